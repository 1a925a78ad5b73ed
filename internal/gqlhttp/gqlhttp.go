// Package gqlhttp holds what GraphQL over HTTP asks of every response the
// gateway writes itself: the media type negotiated from Accept, and the
// one GraphQL-shaped error body.
package gqlhttp

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
)

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

// WriteError writes a GraphQL-shaped error response with extensions.code
// (and requestId, when the request has one) and no data, in the media
// type r accepts (application/json when r is nil). Every refusal made
// outside the GraphQL executor (transport, limits, authentication, rate,
// panics) is written here.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	ext := map[string]string{"code": code}
	if r != nil {
		if id := middleware.GetReqID(r.Context()); id != "" {
			ext["requestId"] = id
		}
	}
	type gqlError struct {
		Message    string            `json:"message"`
		Extensions map[string]string `json:"extensions"`
	}
	b, _ := json.Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{[]gqlError{{Message: msg, Extensions: ext}}})
	mediaType := MediaTypeJSON
	if r != nil {
		mediaType = ResponseMediaType(r)
	}
	w.Header().Set("Content-Type", ContentType(mediaType))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
