package limits

import (
	"bytes"
	"context"
	"custgraph/internal/gqlhttp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
)

// Middleware guards the GraphQL endpoint at the HTTP level, before gqlgen
// reads the request:
//
//   - a body over MaxBodyBytes is refused with 413 REQUEST_TOO_LARGE, at
//     once when Content-Length says so, else once that many bytes are read
//     (http.MaxBytesReader, which also has the server close the
//     connection);
//   - a JSON POST (the requests gqlgen's POST transport takes) is read and
//     decoded as gqlgen will decode it: a JSON array (a batch, which gqlgen
//     cannot execute) is refused with 400 BATCHING_NOT_SUPPORTED, and a
//     body that is not a GraphQL request object with 400 BAD_REQUEST and a
//     fixed message. gqlgen would answer both with the body itself in its
//     message ("json request body could not be decoded: … body:…"), which
//     reflects whatever the client sent, megabytes or secrets, into the
//     response and into logs.
//
// Every refusal is a GraphQL-shaped body,
// {"errors":[{"message":…,"extensions":{"code":…}}]} without data, in the
// media type the client accepts (gqlhttp.ResponseMediaType). The GraphQL-over-HTTP
// spec asks for 400 on a body that is not a well-formed request, under
// application/json and application/graphql-response+json alike.
//
// Mount it in front of the /graphql handler (and of anything that reads the
// body, such as the per-request loaders, though they do not).
func (o Options) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.MaxBodyBytes > 0 {
			if r.ContentLength > o.MaxBodyBytes {
				o.tooLarge(w, r)
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)
			}
		}
		if !isJSONPost(r) || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				o.tooLarge(w, r)
				return
			}
			gqlhttp.WriteError(w, r, http.StatusBadRequest, CodeBadRequest, "could not read the request body")
			return
		}
		params, code, msg := DecodeBody(body)
		if code != "" {
			gqlhttp.WriteError(w, r, http.StatusBadRequest, code, msg)
			return
		}
		// The transport takes the request object decoded here instead
		// of decoding the body again (Decoded).
		r = r.WithContext(context.WithValue(r.Context(), decodedKey{}, decoded{params, body}))
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func (o Options) tooLarge(w http.ResponseWriter, r *http.Request) {
	gqlhttp.WriteError(w, r, http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
		fmt.Sprintf("request body larger than %d bytes", o.MaxBodyBytes))
}

// isJSONPost reports whether gqlgen's POST transport takes r (its Supports).
func isJSONPost(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "application/json"
}

// DecodeBody decodes body as the GraphQL POST transport does (one JSON
// value into graphql.RawParams, numbers kept as json.Number) and returns
// it, or the refusal's code and message when that fails (params nil).
// The message never quotes the body: it names the byte offset or the
// field at fault.
func DecodeBody(body []byte) (params *graphql.RawParams, code, msg string) {
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

type decodedKey struct{}

type decoded struct {
	params *graphql.RawParams
	body   []byte
}

// Decoded returns the request object Middleware decoded from r's body,
// and the body, or nil and nil when it did not (another method or media
// type, or no Middleware in front).
func Decoded(r *http.Request) (*graphql.RawParams, []byte) {
	d, _ := r.Context().Value(decodedKey{}).(decoded)
	return d.params, d.body
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
