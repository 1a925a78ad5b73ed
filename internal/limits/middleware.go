package limits

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
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
// media type the client accepts (ResponseMediaType). The GraphQL-over-HTTP
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
			Refuse(w, r, http.StatusBadRequest, CodeBadRequest, "could not read the request body")
			return
		}
		if code, msg := CheckBody(body); code != "" {
			Refuse(w, r, http.StatusBadRequest, code, msg)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func (o Options) tooLarge(w http.ResponseWriter, r *http.Request) {
	Refuse(w, r, http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
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

// CheckBody decodes body as the GraphQL POST transport does (one JSON
// value into graphql.RawParams, numbers kept as json.Number) and returns
// the refusal's code and message when that fails ("" when body is a
// request object). The message never quotes the body: it names the byte
// offset or the field at fault.
func CheckBody(body []byte) (code, msg string) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return CodeBadRequest, "request body is empty: send a JSON object with query, and optionally operationName, variables and extensions"
	case trimmed[0] == '[':
		return CodeBatchingNotSupported, "batched requests (a JSON array of operations) are not supported: send one operation per request"
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(&params)
	if err == nil {
		return "", ""
	}
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

// The media types of a GraphQL response (GraphQL over HTTP).
const (
	// MediaTypeJSON is the legacy media type every client understands.
	MediaTypeJSON = "application/json"
	// MediaTypeGraphQLResponse is the GraphQL-over-HTTP media type: its
	// status codes tell request errors (4xx, no data) from executed
	// operations (200).
	MediaTypeGraphQLResponse = "application/graphql-response+json"
)

// ResponseMediaType is the media type of the response to r, from its
// Accept header, as the GraphQL-over-HTTP spec asks: the one of
// application/graphql-response+json and application/json that the client
// prefers (the higher q; at equal q an explicit type over a wildcard,
// then the one listed first). A wildcard (*/* or application/*) stands
// for application/json, and so does an Accept header that is absent or
// names neither: the spec lets a server answer application/json then,
// which every client reads, rather than 406.
func ResponseMediaType(r *http.Request) string {
	accept := r.Header.Values("Accept")
	best, bestQ, bestExplicit := MediaTypeJSON, -1.0, false
	for _, header := range accept {
		for part := range strings.SplitSeq(header, ",") {
			mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			if q == 0 {
				continue // "not acceptable"
			}
			var candidate string
			explicit := true
			switch mediaType {
			case MediaTypeGraphQLResponse, MediaTypeJSON:
				candidate = mediaType
			case "*/*", "application/*":
				candidate, explicit = MediaTypeJSON, false
			default:
				continue
			}
			if q > bestQ || (q == bestQ && explicit && !bestExplicit) {
				best, bestQ, bestExplicit = candidate, q, explicit
			}
		}
	}
	return best
}

// ContentType is the Content-Type header of a GraphQL response in
// mediaType: GraphQL responses are always UTF-8, and say so.
func ContentType(mediaType string) string { return mediaType + "; charset=utf-8" }

// Refuse writes a GraphQL-shaped error response with extensions.code and
// no data, in the media type r accepts (application/json when r is nil).
func Refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	type gqlError struct {
		Message    string            `json:"message"`
		Extensions map[string]string `json:"extensions"`
	}
	b, _ := json.Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{[]gqlError{{Message: msg, Extensions: map[string]string{"code": code}}}})
	mediaType := MediaTypeJSON
	if r != nil {
		mediaType = ResponseMediaType(r)
	}
	w.Header().Set("Content-Type", ContentType(mediaType))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
