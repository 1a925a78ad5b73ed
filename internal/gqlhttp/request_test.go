package gqlhttp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"custgraph/internal/gqlhttp"
)

// marker is in every hostile body: a refusal must never carry it back.
const marker = "SECRET-MARKER-7f3a"

func TestReaderMiddleware(t *testing.T) {
	o := gqlhttp.Reader{MaxBodyBytes: 100}
	valid := `{"query":"{ a }","variables":{"m":"` + marker + `"}}`
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		chunked     bool // no Content-Length: the cap is found while reading
		status      int  // 0: passed on
		code        string
		message     string
	}{
		{"valid request", "POST", "application/json", valid, false, 0, "", ""},
		{"valid request, charset", "POST", "application/json; charset=utf-8", valid, false, 0, "", ""},
		{"valid request, chunked", "POST", "application/json", valid, true, 0, "", ""},
		{"GET", "GET", "", "", false, 0, "", ""},
		{"too large by Content-Length", "POST", "application/json", strings.Repeat(marker, 10), false,
			413, gqlhttp.CodeRequestTooLarge, "request body larger than 100 bytes"},
		{"too large, chunked", "POST", "application/json", strings.Repeat(marker, 10), true,
			413, gqlhttp.CodeRequestTooLarge, "request body larger than 100 bytes"},
		{"too large, other content type", "POST", "text/plain", strings.Repeat(marker, 10), false,
			413, gqlhttp.CodeRequestTooLarge, "request body larger than 100 bytes"},
		{"batch", "POST", "application/json", ` [{"query":"{ a }"},{"query":"` + marker + `"}]`, false,
			400, gqlhttp.CodeBatchingNotSupported, "batched requests (a JSON array of operations) are not supported: send one operation per request"},
		{"malformed", "POST", "application/json", `{"query": "` + marker + `" x}`, false,
			400, gqlhttp.CodeBadRequest, "request body is not valid JSON (error at byte 32)"},
		{"truncated", "POST", "application/json", `{"query": "` + marker, false,
			400, gqlhttp.CodeBadRequest, "request body is not valid JSON"},
		{"empty", "POST", "application/json", "  ", false,
			400, gqlhttp.CodeBadRequest, "request body is empty: send a JSON object with query, and optionally operationName, variables and extensions"},
		{"a string", "POST", "application/json", `"` + marker + `"`, false,
			400, gqlhttp.CodeBadRequest, "request body is a JSON string, not an object with query, operationName, variables and extensions"},
		{"a number", "POST", "application/json", `12345678`, false,
			400, gqlhttp.CodeBadRequest, "request body is a JSON number, not an object with query, operationName, variables and extensions"},
		{"query not a string", "POST", "application/json", `{"query": 4242}`, false,
			400, gqlhttp.CodeBadRequest, `request body field "query" must not be a JSON number`},
		{"variables not an object", "POST", "application/json", `{"query":"{ a }","variables":["` + marker + `"]}`, false,
			400, gqlhttp.CodeBadRequest, `request body field "variables" must not be a JSON array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var passed string
			h := o.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					t.Errorf("next read: %v", err)
				}
				passed = string(b)
				if req := gqlhttp.RequestOf(r); req == nil || (r.Method == http.MethodPost && (req.Params.Query != "{ a }" || string(req.Body) != tt.body)) {
					t.Errorf("the decoded request object was not passed on: %+v", req)
				}
				w.WriteHeader(299)
			}))
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req := httptest.NewRequest(tt.method, "/graphql", body)
			if tt.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(strings.NewReader(tt.body)) // hides the length
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if tt.status == 0 {
				if rec.Code != 299 || passed != tt.body {
					t.Errorf("status %d, next got %q; want it passed on intact", rec.Code, passed)
				}
				return
			}
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if strings.Contains(rec.Body.String(), marker) || strings.Contains(rec.Body.String(), "12345678") ||
				strings.Contains(rec.Body.String(), "4242") {
				t.Errorf("body echoed: %s", rec.Body)
			}
			var resp struct {
				Errors []struct {
					Message    string
					Extensions map[string]string
				}
				Data *json.RawMessage
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("response %q: %v", rec.Body, err)
			}
			if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != tt.code || resp.Errors[0].Message != tt.message || resp.Data != nil {
				t.Errorf("got %s, want code %s message %q", rec.Body, tt.code, tt.message)
			}
		})
	}
}

func TestReaderWithoutBoundPassesEverythingOn(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	var n int
	h := (gqlhttp.Reader{}).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n = len(b)
	}))
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(`{"query":"`+big+`"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if n != len(big)+12 {
		t.Errorf("next read %d bytes", n)
	}
}

func TestRefusalsFollowAccept(t *testing.T) {
	h := (gqlhttp.Reader{MaxBodyBytes: 100}).Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("passed on")
	}))
	for accept, want := range map[string]string{
		"":                                  "application/json; charset=utf-8",
		"application/json":                  "application/json; charset=utf-8",
		"application/graphql-response+json": "application/graphql-response+json; charset=utf-8",
		"application/graphql-response+json, application/json;q=0.9": "application/graphql-response+json; charset=utf-8",
	} {
		for _, body := range []string{`{"query": `, strings.Repeat("x", 200)} {
			req := httptest.NewRequest("POST", "/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if ct := rec.Header().Get("Content-Type"); ct != want || (rec.Code != 400 && rec.Code != 413) {
				t.Errorf("Accept %q, %d-byte body: %d %q, want %q", accept, len(body), rec.Code, ct, want)
			}
		}
	}
}
