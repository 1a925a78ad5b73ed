package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"custgraph/internal/gqlhttp"
	"custgraph/internal/limits"
)

// transportHandler is the gateway, with its default limits and persisted
// queries, over the simulators.
func transportHandler(t *testing.T) http.Handler { return newEnv(t).http }

// TestTransportStatusesAndMediaTypes pins the GraphQL-over-HTTP behaviour
// per case and negotiated media type: request errors (nothing executed)
// have no data and are 200 under application/json, 400 under
// application/graphql-response+json; executed operations are 200 in both;
// requests that are not GraphQL requests are 4xx in both.
func TestTransportStatusesAndMediaTypes(t *testing.T) {
	h := transportHandler(t)
	const mtJSON, mtGQL = gqlhttp.MediaTypeJSON, gqlhttp.MediaTypeGraphQLResponse
	deep := `{ customer(id: "u8:00000001") { ` + strings.Repeat("matches { ", 15) + "id" + strings.Repeat(" }", 15) + " } }"
	body := func(m map[string]any) string {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	type want struct {
		status int
		data   bool   // the data entry is present
		code   string // the first error's extensions.code; "" for no errors
	}
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string // POST body, or GET URL query
		json, gql   want   // by Accept: application/json, application/graphql-response+json
	}{
		{"query", "POST", "application/json", body(map[string]any{"query": "{ __typename }"}),
			want{200, true, ""}, want{200, true, ""}},
		{"query with null variables, operationName and extensions", "POST", "application/json",
			`{"query":"{ __typename }","variables":null,"operationName":null,"extensions":null}`,
			want{200, true, ""}, want{200, true, ""}},
		{"field error: the operation ran", "POST", "application/json", body(map[string]any{"query": `{ customer(id: "nope") { id } }`}),
			want{200, true, "BAD_USER_INPUT"}, want{200, true, "BAD_USER_INPUT"}},
		{"parse error", "POST", "application/json", body(map[string]any{"query": "{"}),
			want{200, false, "GRAPHQL_PARSE_FAILED"}, want{400, false, "GRAPHQL_PARSE_FAILED"}},
		{"validation error", "POST", "application/json", body(map[string]any{"query": "{ nope }"}),
			want{200, false, "GRAPHQL_VALIDATION_FAILED"}, want{400, false, "GRAPHQL_VALIDATION_FAILED"}},
		{"variable coercion error", "POST", "application/json",
			body(map[string]any{"query": `query($id: ID!) { __typename }`, "variables": map[string]any{"id": nil}}),
			want{200, false, "GRAPHQL_VALIDATION_FAILED"}, want{400, false, "GRAPHQL_VALIDATION_FAILED"}},
		{"unknown operationName", "POST", "application/json", body(map[string]any{"query": "query A { __typename }", "operationName": "B"}),
			want{200, false, "GRAPHQL_VALIDATION_FAILED"}, want{400, false, "GRAPHQL_VALIDATION_FAILED"}},
		{"limit refusal", "POST", "application/json", body(map[string]any{"query": deep}),
			want{200, false, limits.CodeTooDeep}, want{400, false, limits.CodeTooDeep}},
		{"unknown persisted query", "POST", "application/json",
			body(map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("ab", 32)}}}),
			want{200, false, "PERSISTED_QUERY_NOT_FOUND"}, want{400, false, "PERSISTED_QUERY_NOT_FOUND"}},
		{"no query", "POST", "application/json", `{"qeury":"{ __typename }"}`,
			want{400, false, gqlhttp.CodeBadRequest}, want{400, false, gqlhttp.CodeBadRequest}},
		{"malformed JSON", "POST", "application/json", `{ "not a JSON`,
			want{400, false, gqlhttp.CodeBadRequest}, want{400, false, gqlhttp.CodeBadRequest}},
		{"no body", "POST", "application/json", "",
			want{400, false, gqlhttp.CodeBadRequest}, want{400, false, gqlhttp.CodeBadRequest}},
		{"query not a string", "POST", "application/json", `{"query":{"obj":"ect"}}`,
			want{400, false, gqlhttp.CodeBadRequest}, want{400, false, gqlhttp.CodeBadRequest}},
		{"batch", "POST", "application/json", `[{"query":"{ __typename }"}]`,
			want{400, false, gqlhttp.CodeBatchingNotSupported}, want{400, false, gqlhttp.CodeBatchingNotSupported}},
		{"no Content-Type", "POST", "", body(map[string]any{"query": "{ __typename }"}),
			want{415, false, gqlhttp.CodeUnsupportedMediaType}, want{415, false, gqlhttp.CodeUnsupportedMediaType}},
		{"text/plain", "POST", "text/plain", body(map[string]any{"query": "{ __typename }"}),
			want{415, false, gqlhttp.CodeUnsupportedMediaType}, want{415, false, gqlhttp.CodeUnsupportedMediaType}},
		{"GET query", "GET", "", url.Values{"query": {`query($n: String!) { __type(name: $n) { name } }`}, "variables": {`{"n":"Customer"}`}}.Encode(),
			want{200, true, ""}, want{200, true, ""}},
		{"GET parse error", "GET", "", url.Values{"query": {"{"}}.Encode(),
			want{200, false, "GRAPHQL_PARSE_FAILED"}, want{400, false, "GRAPHQL_PARSE_FAILED"}},
		{"GET mutation", "GET", "", url.Values{"query": {"mutation { __typename }"}}.Encode(),
			want{405, false, gqlhttp.CodeMethodNotAllowed}, want{405, false, gqlhttp.CodeMethodNotAllowed}},
		{"GET subscription by operationName", "GET", "", url.Values{"query": {"query A { __typename } subscription B { __typename }"}, "operationName": {"B"}}.Encode(),
			want{405, false, gqlhttp.CodeMethodNotAllowed}, want{405, false, gqlhttp.CodeMethodNotAllowed}},
		{"GET without query", "GET", "", "",
			want{400, false, gqlhttp.CodeBadRequest}, want{400, false, gqlhttp.CodeBadRequest}},
		{"GET variables not JSON", "GET", "", url.Values{"query": {"{ __typename }"}, "variables": {"{"}}.Encode(),
			want{400, false, gqlhttp.CodeBadRequest}, want{400, false, gqlhttp.CodeBadRequest}},
	}
	for _, tt := range tests {
		for _, mt := range []struct {
			accept string
			want   want
		}{{mtJSON, tt.json}, {mtGQL, tt.gql}} {
			t.Run(tt.name+"/"+mt.accept, func(t *testing.T) {
				var req *http.Request
				if tt.method == "GET" {
					req = httptest.NewRequest("GET", "/graphql?"+tt.body, nil)
				} else {
					req = httptest.NewRequest("POST", "/graphql", strings.NewReader(tt.body))
					if tt.contentType != "" {
						req.Header.Set("Content-Type", tt.contentType)
					}
				}
				req.Header.Set("Accept", mt.accept)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				t.Logf("%-55s %-34s %d %.200s", tt.name, mt.accept, rec.Code, rec.Body)
				if ct := rec.Header().Get("Content-Type"); ct != mt.accept+"; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				var resp map[string]json.RawMessage
				if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
					t.Fatalf("body not JSON: %v: %s", err, rec.Body)
				}
				_, hasData := resp["data"]
				var code string
				if raw, ok := resp["errors"]; ok {
					var errs []gqlError
					if err := json.Unmarshal(raw, &errs); err != nil || len(errs) == 0 {
						t.Fatalf("errors %s", raw)
					}
					code, _ = errs[0].Extensions["code"].(string)
				}
				if rec.Code != mt.want.status || hasData != mt.want.data || code != mt.want.code {
					t.Errorf("got %d data=%v code=%q, want %d data=%v code=%q: %s",
						rec.Code, hasData, code, mt.want.status, mt.want.data, mt.want.code, rec.Body)
				}
				if rec.Code == 405 && rec.Header().Get("Allow") != "POST" {
					t.Errorf("405 with Allow %q", rec.Header().Get("Allow"))
				}
			})
		}
	}
}

// TestTransportPersistedQueries: a hash alone is PERSISTED_QUERY_NOT_FOUND,
// the hash with the query runs and stores it, and the hash alone then
// runs, by POST and by GET.
func TestTransportPersistedQueries(t *testing.T) {
	h := transportHandler(t)
	query := `query Typename { __typename }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	ask := func(withQuery bool) (int, string) {
		m := map[string]any{"extensions": ext}
		if withQuery {
			m["query"] = query
		}
		b, _ := json.Marshal(m)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, rawPost(b, false))
		return rec.Code, rec.Body.String()
	}
	if code, body := ask(false); code != 200 || !strings.Contains(body, "PERSISTED_QUERY_NOT_FOUND") || strings.Contains(body, `"data"`) {
		t.Errorf("hash alone, first: %d %s", code, body)
	}
	if code, body := ask(true); code != 200 || body != `{"data":{"__typename":"Query"}}` {
		t.Errorf("hash and query: %d %s", code, body)
	}
	if code, body := ask(false); code != 200 || body != `{"data":{"__typename":"Query"}}` {
		t.Errorf("hash alone, then: %d %s", code, body)
	}
	extJSON, _ := json.Marshal(ext)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/graphql?"+url.Values{"extensions": {string(extJSON)}}.Encode(), nil))
	if rec.Code != 200 || rec.Body.String() != `{"data":{"__typename":"Query"}}` {
		t.Errorf("hash alone by GET: %d %s", rec.Code, rec.Body)
	}
}
