package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Error codes of the refusals made at the HTTP level (extensions.code).
const (
	// CodeBadRequest: the request is not a GraphQL request: a body that
	// is not a request object, a URL query that does not decode, no
	// query (HTTP 400).
	CodeBadRequest = "BAD_REQUEST"
	// CodeRequestTooLarge: the body is larger than MaxBodyBytes (HTTP 413).
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
	// CodeBatchingNotSupported: the body is a JSON array of operations
	// (HTTP 400). gqlgen executes one operation per request.
	CodeBatchingNotSupported = "BATCHING_NOT_SUPPORTED"
	// CodeMethodNotAllowed: a GET asks for a mutation or a subscription
	// (HTTP 405, Allow: POST).
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	// CodeUnsupportedMediaType: a POST whose body is not application/json
	// (HTTP 415).
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	// CodeTimeout: the request's deadline passed before the operation
	// could run (HTTP 504).
	CodeTimeout = "TIMEOUT"
	// CodeStreamRequired: a subscription sent as a plain POST, which can
	// carry one result only: a request error (no data), as the
	// GraphQL-over-HTTP audit's reference server answers it. Subscribe
	// over WebSocket or with Accept: text/event-stream.
	CodeStreamRequired = "STREAM_REQUIRED"
)

// Transport serves GraphQL over HTTP (GET and POST) as the
// GraphQL-over-HTTP spec asks, in place of gqlgen's GET and POST
// transports:
//
//   - the response's media type follows the Accept header
//     (gqlhttp.ResponseMediaType): application/graphql-response+json when
//     the client prefers it, else application/json, always with
//     charset=utf-8;
//   - a request error (the operation never runs: a document that does not
//     parse or validate, variables that do not coerce, an unknown
//     persisted query, a limit of internal/limits, an unknown
//     operationName) has no data entry, and its status is 200 under
//     application/json (the spec's SHOULD: a legacy client reads errors
//     from the body) and 400 under application/graphql-response+json
//     (where a response without data MUST be 4xx or 5xx). gqlgen answers
//     422 and keeps "data": null;
//   - an operation that ran is 200 in both, whatever its errors (partial
//     results);
//   - a request that is not a GraphQL request (a body that does not decode,
//     no query and no persisted query hash) is 400 in both, with a fixed
//     message that never quotes the body; a POST of another content type
//     is 415;
//   - a GET may only run a query: a mutation or subscription is 405 with
//     Allow: POST, before validation and execution.
//
// It reads the request Reader.Middleware read (RequestOf), or reads it
// itself with Reader when no Middleware is in front.
type Transport struct {
	// Reader reads requests that no Reader.Middleware read before.
	Reader Reader
	// MaxTokens bounds the parse a GET's document gets to find its
	// operation type (the handler's parser token limit; 0: none).
	MaxTokens int
}

var _ graphql.Transport = Transport{}

// Supports implements graphql.Transport: every GET and POST that is not a
// protocol upgrade (gqlgen's Options transport takes OPTIONS and HEAD).
func (Transport) Supports(r *http.Request) bool { return isGraphQLRequest(r) }

// Do implements graphql.Transport.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	mediaType := ResponseMediaType(r)
	w.Header().Set("Content-Type", ContentType(mediaType))
	params := t.Reader.params(w, r)
	if params == nil {
		return // refused
	}
	if r.Method == http.MethodGet && !t.isQuery(params.Query, params.OperationName) {
		refuseGETOperation(w, r)
		return
	}

	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// A request error: nothing was executed, so there is no data.
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		status := http.StatusOK
		if mediaType == MediaTypeGraphQLResponse {
			status = http.StatusBadRequest
		}
		writeResponse(w, status, requestError{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		// A persisted query's hash sent by GET names a mutation.
		refuseGETOperation(w, r)
		return
	}
	if opCtx.Operation.Operation == ast.Subscription {
		status := http.StatusOK
		if mediaType == MediaTypeGraphQLResponse {
			status = http.StatusBadRequest
		}
		err := gqlerror.Errorf("a subscription streams its results: send it over a WebSocket (graphql-transport-ws) or as a POST with Accept: text/event-stream")
		errcode.Set(err, CodeStreamRequired)
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlerror.List{err})
		writeResponse(w, status, requestError{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		// The request ended before the operation ran.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			WriteError(w, r, http.StatusGatewayTimeout, CodeTimeout, "the request's deadline passed before the operation could run")
		}
		return
	}
	writeResult(w, resp)
}

// requestError is the body of a request error: no data entry.
type requestError struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func writeResponse(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		// Only a resolver's value that JSON cannot hold; gqlgen's
		// marshalers produce none.
		panic(err)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeResult writes an operation's result, byte for byte as
// writeResponse would, without encoding/json reading the data again:
// json.Marshal validates and compacts a json.RawMessage, which gqlgen
// wrote compact and valid, and that pass was 4 % of the CPU of a list
// query (issue 18). Only the escaping json.Marshal adds (<, >, & and
// U+2028/U+2029, as \u sequences) is kept. Incremental (@defer) results,
// which custgraph does not send over this transport, take the general
// path.
func writeResult(w http.ResponseWriter, resp *graphql.Response) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		writeResponse(w, http.StatusOK, resp)
		return
	}
	b := make([]byte, 0, len(resp.Data)+64)
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		b = appendMember(b, "errors", resp.Errors)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	if len(resp.Data) == 0 {
		b = append(b, "null"...)
	} else if needsEscape(resp.Data) {
		var esc bytes.Buffer
		json.HTMLEscape(&esc, resp.Data)
		b = append(b, esc.Bytes()...)
	} else {
		b = append(b, resp.Data...)
	}
	if len(resp.Extensions) > 0 {
		b = append(b, ',')
		b = appendMember(b, "extensions", resp.Extensions)
	}
	b = append(b, '}')
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// appendMember appends "name":value, the value as json.Marshal writes it.
func appendMember(b []byte, name string, v any) []byte {
	enc, err := json.Marshal(v)
	if err != nil {
		panic(err) // as writeResponse: gqlgen's errors and extensions always encode
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return append(b, enc...)
}

// needsEscape reports whether data may hold what json.HTMLEscape changes:
// <, >, & or the first byte of U+2028 and U+2029 (0xE2, which other
// characters share: those take the slower exact path). A byte loop:
// bytes.ContainsAny with non-ASCII characters decodes every rune, and
// was two thirds of the cost of writing a page of Chinese names.
func needsEscape(data []byte) bool {
	for _, c := range data {
		if c == '<' || c == '>' || c == '&' || c == 0xE2 {
			return true
		}
	}
	return false
}

// isQuery reports whether the operation a GET selects may be a query:
// false only when the document parses and the operation it names (or its
// only one) is a mutation or a subscription. Anything else is left to
// gqlgen to refuse with a precise error.
func (t Transport) isQuery(query, operationName string) bool {
	if query == "" {
		return true
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, t.MaxTokens)
	if err != nil {
		return true
	}
	op := doc.Operations.ForName(operationName)
	return op == nil || op.Operation == ast.Query
}

func refuseGETOperation(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "POST")
	WriteError(w, r, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		"GET may only run queries: send mutations and subscriptions by POST")
}

// Unsupported answers, in the contract's error shape, the requests no
// other transport takes: another method than GET and POST (gqlgen's
// Options transport takes OPTIONS and HEAD), or a protocol upgrade.
// gqlgen's handler would answer them 400 "transport not supported", with
// "data": null, no code and no media type. Add it after every other
// transport.
type Unsupported struct{}

var _ graphql.Transport = Unsupported{}

// Supports implements graphql.Transport: whatever reaches it.
func (Unsupported) Supports(*http.Request) bool { return true }

// Do implements graphql.Transport.
func (Unsupported) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	if r.Header.Get("Upgrade") != "" {
		WriteError(w, r, http.StatusBadRequest, CodeBadRequest,
			"this endpoint does not upgrade connections: send GraphQL requests by GET or POST")
		return
	}
	w.Header().Set("Allow", "GET, POST, OPTIONS")
	WriteError(w, r, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		"send GraphQL requests by GET (queries only) or POST")
}
