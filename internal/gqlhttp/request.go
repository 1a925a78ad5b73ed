package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"custgraph/internal/readbody"
)

// Request is one GraphQL request as read from HTTP.
type Request struct {
	// Params are its parameters: the POST body's JSON object, or the GET
	// URL's query string.
	Params *graphql.RawParams
	// Body is the POST body they were decoded from (nil for a GET).
	Body []byte
}

// Reader reads GraphQL requests from HTTP, once per request, and refuses
// those that are not well-formed GraphQL requests before anything else
// reads them:
//
//   - a body over MaxBodyBytes is refused with 413 REQUEST_TOO_LARGE, at
//     once when Content-Length says so, else once that many bytes are read
//     (http.MaxBytesReader, which also has the server close the
//     connection);
//   - a POST that is not application/json is refused with 415
//     UNSUPPORTED_MEDIA_TYPE;
//   - a JSON array (a batch, which gqlgen cannot execute) is refused with
//     400 BATCHING_NOT_SUPPORTED, and a body that is not a GraphQL request
//     object with 400 BAD_REQUEST and a fixed message. gqlgen's own POST
//     transport would answer both with the body itself in its message
//     ("json request body could not be decoded: … body:…"), which reflects
//     whatever the client sent, megabytes or secrets, into the response
//     and into logs;
//   - a GET whose URL query does not decode, or whose variables or
//     extensions are not JSON objects, is refused with 400 BAD_REQUEST.
//
// Every refusal is written by WriteError, in the media type the client
// accepts. The GraphQL-over-HTTP spec asks for 400 on a body that is not
// a well-formed request, under application/json and
// application/graphql-response+json alike.
type Reader struct {
	// MaxBodyBytes bounds the request body; 0 leaves it unbounded.
	MaxBodyBytes int64
}

// DefaultMaxBodyBytes is the gateway's bound of a request body: a query
// within the parser's token limit is at most tens of KiB, and 1 MiB leaves
// room for large variables (tens of thousands of IDs).
const DefaultMaxBodyBytes = 1 << 20

// Middleware reads every GraphQL request (a GET or a POST that is not a
// protocol upgrade) with rd and passes it on with the Request in its
// context (RequestOf), so that what comes after (the sharing of identical
// requests, the transport) reads the decoded request instead of the body.
// Other requests pass through, their body bounded all the same. Mount it
// in front of the /graphql handler and of anything that reads the body.
func (rd Reader) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isGraphQLRequest(r) {
			if rd.MaxBodyBytes > 0 && r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, rd.MaxBodyBytes)
			}
			next.ServeHTTP(w, r)
			return
		}
		req := rd.read(w, r)
		if req == nil {
			return // refused
		}
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, req))
		if req.Body != nil {
			r.Body = io.NopCloser(bytes.NewReader(req.Body))
		}
		next.ServeHTTP(w, r)
	})
}

type requestKey struct{}

// RequestOf returns the GraphQL request Middleware read from r, or nil
// when it read none (another method, or no Middleware in front).
func RequestOf(r *http.Request) *Request {
	req, _ := r.Context().Value(requestKey{}).(*Request)
	return req
}

// isGraphQLRequest reports whether r is a request the transport serves.
func isGraphQLRequest(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

// read reads r's GraphQL request, or writes the refusal and returns nil.
func (rd Reader) read(w http.ResponseWriter, r *http.Request) *Request {
	if r.Method == http.MethodGet {
		return getRequest(w, r)
	}
	if rd.MaxBodyBytes > 0 && r.ContentLength > rd.MaxBodyBytes {
		rd.tooLarge(w, r)
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		w.Header().Set("Accept-Post", "application/json")
		WriteError(w, r, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"POST a JSON request object with Content-Type: application/json")
		return nil
	}
	var body []byte
	if r.Body != nil {
		rb := r.Body
		if rd.MaxBodyBytes > 0 {
			rb = http.MaxBytesReader(w, rb, rd.MaxBodyBytes)
		}
		presize := rd.MaxBodyBytes
		if presize <= 0 {
			presize = DefaultMaxBodyBytes
		}
		if body, err = readbody.Read(rb, r.ContentLength, presize); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				rd.tooLarge(w, r)
				return nil
			}
			WriteError(w, r, http.StatusBadRequest, CodeBadRequest, "could not read the request body")
			return nil
		}
	}
	params, code, msg := decodeBody(body)
	if code != "" {
		WriteError(w, r, http.StatusBadRequest, code, msg)
		return nil
	}
	return &Request{Params: params, Body: body}
}

func (rd Reader) tooLarge(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
		fmt.Sprintf("request body larger than %d bytes", rd.MaxBodyBytes))
}

// getRequest reads a GET's request from its URL query; nil when it
// refused r.
func getRequest(w http.ResponseWriter, r *http.Request) *Request {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		WriteError(w, r, http.StatusBadRequest, CodeBadRequest, "the URL query string does not decode")
		return nil
	}
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for _, p := range []struct {
		name string
		into any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(p.into); err != nil {
			WriteError(w, r, http.StatusBadRequest, CodeBadRequest, p.name+" must be a JSON object")
			return nil
		}
	}
	return &Request{Params: params}
}

// decodeBody decodes body as the GraphQL POST transport does (one JSON
// value into graphql.RawParams, numbers kept as json.Number) and returns
// it, or the refusal's code and message when that fails (params nil).
// The message never quotes the body: it names the byte offset or the
// field at fault.
func decodeBody(body []byte) (params *graphql.RawParams, code, msg string) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, CodeBadRequest, "request body is empty: send a JSON object with query, and optionally operationName, variables and extensions"
	case trimmed[0] == '[':
		return nil, CodeBatchingNotSupported, "batched requests (a JSON array of operations) are not supported: send one operation per request"
	}
	params = &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(params)
	if err == nil {
		return params, "", ""
	}
	code, msg = bodyRefusal(err)
	return nil, code, msg
}

// bodyRefusal is the code and fixed message for a body that did not decode.
func bodyRefusal(err error) (code, msg string) {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return CodeBadRequest, fmt.Sprintf("request body is not valid JSON (error at byte %d)", e.Offset)
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		// Value is "string", "object"…, but "number 42" for a number:
		// keep the kind only.
		kind, _, _ := strings.Cut(e.Value, " ")
		if e.Field == "" {
			return CodeBadRequest, fmt.Sprintf("request body is a JSON %s, not an object with query, operationName, variables and extensions", kind)
		}
		// Field is the path of RawParams' JSON names (query, variables…),
		// never a key the client chose: RawParams' maps take any value.
		return CodeBadRequest, fmt.Sprintf("request body field %q must not be a JSON %s", e.Field, kind)
	}
	// io.ErrUnexpectedEOF (a truncated body) and anything else.
	return CodeBadRequest, "request body is not valid JSON"
}

// params returns r's GraphQL parameters, as Reader.Middleware read them
// or else read here, stamped with r's headers and the time they took to
// read; nil when r was refused (answered already): a request that does
// not read, or that holds no query nor persisted query hash.
func (rd Reader) params(w http.ResponseWriter, r *http.Request) *graphql.RawParams {
	start := graphql.Now()
	req := RequestOf(r)
	if req == nil {
		if req = rd.read(w, r); req == nil {
			return nil
		}
	}
	params := req.Params
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		WriteError(w, r, http.StatusBadRequest, CodeBadRequest,
			"the request has no query: send query (or a persisted query's hash in extensions.persistedQuery), and optionally operationName, variables and extensions")
		return nil
	}
	return params
}
