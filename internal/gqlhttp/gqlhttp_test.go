package gqlhttp

import (
	"net/http/httptest"
	"testing"
)

func TestResponseMediaType(t *testing.T) {
	const json, gql = MediaTypeJSON, MediaTypeGraphQLResponse
	for _, tt := range []struct{ accept, want string }{
		{"", json},
		{"application/json", json},
		{"application/graphql-response+json", gql},
		{"*/*", json},
		{"application/*", json},
		{"text/html", json}, // names neither: the spec lets the server answer application/json
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", json},
		{"application/graphql-response+json,application/json;q=0.9", gql}, // Apollo Client 4
		{"application/json;q=0.9, application/graphql-response+json", gql},
		{"application/json, application/graphql-response+json", json}, // equal q: the first listed
		{"*/*, application/graphql-response+json", gql},               // equal q: explicit over wildcard
		{"application/graphql-response+json;q=0, application/json;q=0.1", json},
		{"application/graphql-response+json; charset=utf-8", gql},
		{"application/json;q=bogus, application/graphql-response+json;q=0.5", gql},
		{"application/graphql-response+json;q=0.5, */*;q=0.6", json},
	} {
		req := httptest.NewRequest("GET", "/graphql", nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		if got := ResponseMediaType(req); got != tt.want {
			t.Errorf("Accept %q: %s, want %s", tt.accept, got, tt.want)
		}
	}
}
