package cors

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"custgraph/internal/auth"
)

const app = "https://app.example.com"

// do sends one request through New(origins) around a handler that records
// whether it ran.
func do(t *testing.T, origins []string, method, origin string, h map[string]string) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	reached := false
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached = true
		w.WriteHeader(http.StatusOK)
	})
	req := httptest.NewRequest(method, "/graphql", nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	New(origins)(next).ServeHTTP(rec, req)
	return rec, reached
}

func preflight(headers string) map[string]string {
	h := map[string]string{"Access-Control-Request-Method": "POST"}
	if headers != "" {
		h["Access-Control-Request-Headers"] = headers
	}
	return h
}

func varies(rec *httptest.ResponseRecorder, header string) bool {
	for _, v := range rec.Header().Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), header) {
				return true
			}
		}
	}
	return false
}

func TestActualRequests(t *testing.T) {
	listed := []string{app, " http://localhost:5173 ", "HTTPS://Admin.Example.com:443/"}
	cases := []struct {
		name    string
		origins []string
		origin  string
		want    string // Access-Control-Allow-Origin; "" for none
	}{
		{"listed origin", listed, app, app},
		{"listed origin with port, blanks trimmed", listed, "http://localhost:5173", "http://localhost:5173"},
		{"listed with other case and default port", listed, "https://admin.example.com", "https://admin.example.com"},
		{"unlisted origin", listed, "https://evil.example.com", ""},
		{"listed host, other scheme", listed, "http://app.example.com", ""},
		{"listed host, other port", listed, "https://app.example.com:8443", ""},
		{"suffix of a listed origin", listed, "https://app.example.com.evil.net", ""},
		{"null origin", listed, "null", ""},
		{"no origin (not a browser)", listed, "", ""},
		{"star", []string{"*"}, "https://anything.example.net", "*"},
		{"star among others", []string{app, "*"}, "https://anything.example.net", "*"},
		{"wildcard entries are not honoured", []string{"https://*.example.com"}, app, ""},
		{"null entries are not honoured", []string{"null"}, "null", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, reached := do(t, c.origins, http.MethodPost, c.origin, nil)
			if !reached {
				t.Fatal("the handler did not run: CORS must not block actual requests (the browser does)")
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != c.want {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, c.want)
			}
			if !varies(rec, "Origin") {
				t.Errorf("Vary = %q, want Origin in it", rec.Header().Values("Vary"))
			}
			if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q", got)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	origins := []string{app}
	// As browsers send it (Fetch standard): lower case, sorted.
	apollo := "apollo-require-preflight,authorization,content-type,x-api-key,x-apollo-operation-name"
	t.Run("listed origin, Apollo headers", func(t *testing.T) {
		rec, reached := do(t, origins, http.MethodOptions, app, preflight(apollo))
		if reached {
			t.Error("the preflight reached the handler")
		}
		if rec.Code != http.StatusNoContent {
			t.Errorf("status = %d, want 204", rec.Code)
		}
		h := rec.Header()
		if got := h.Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Access-Control-Allow-Origin = %q", got)
		}
		if got := h.Get("Access-Control-Allow-Methods"); got != "POST" {
			t.Errorf("Access-Control-Allow-Methods = %q", got)
		}
		allowedHeaders := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
		for _, want := range strings.Split(apollo, ",") {
			if !strings.Contains(allowedHeaders, want) {
				t.Errorf("Access-Control-Allow-Headers = %q, want %s in it", allowedHeaders, want)
			}
		}
		if got := h.Get("Access-Control-Max-Age"); got != "600" {
			t.Errorf("Access-Control-Max-Age = %q", got)
		}
		if !varies(rec, "Origin") {
			t.Errorf("Vary = %q", h.Values("Vary"))
		}
	})
	for _, method := range []string{"GET", "POST"} {
		t.Run("method "+method, func(t *testing.T) {
			h := preflight("content-type")
			h["Access-Control-Request-Method"] = method
			rec, _ := do(t, origins, http.MethodOptions, app, h)
			if got := rec.Header().Get("Access-Control-Allow-Methods"); got != method {
				t.Errorf("Access-Control-Allow-Methods = %q", got)
			}
		})
	}
	refused := []struct {
		name, origin string
		h            map[string]string
	}{
		{"unlisted origin", "https://evil.example.com", preflight("content-type")},
		{"method not allowed", app, map[string]string{"Access-Control-Request-Method": "DELETE"}},
		{"header not allowed", app, preflight("content-type,x-evil")},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			rec, reached := do(t, origins, http.MethodOptions, c.origin, c.h)
			if reached {
				t.Error("the preflight reached the handler")
			}
			for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
				if got := rec.Header().Get(k); got != "" {
					t.Errorf("%s = %q, want none", k, got)
				}
			}
		})
	}
}

func TestOffWhenNoOrigins(t *testing.T) {
	for _, origins := range [][]string{nil, {}, {" "}} {
		rec, reached := do(t, origins, http.MethodOptions, app, preflight("content-type"))
		if !reached {
			t.Errorf("%q: the request did not reach the handler", origins)
		}
		for k := range rec.Header() {
			if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
				t.Errorf("%q: header %s set while CORS is off", origins, k)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Validate([]string{app, "http://localhost:5173", "https://app.example.com/", "*", " https://x.example.com ", ""}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	bad := []string{"app.example.com", "ftp://app.example.com", "https://*.example.com", "null",
		"https://app.example.com/path", "https://app.example.com?q=1", "https://user@app.example.com", "https://"}
	for _, o := range bad {
		if err := Validate([]string{app, o}); err == nil || !strings.Contains(err.Error(), "entry 2") {
			t.Errorf("Validate(%q) = %v, want an error naming entry 2", o, err)
		}
	}
}

// The wiring the gateway needs: CORS outside auth, so that a preflight is
// answered without credentials and a 401 is readable by the page.
func TestOutsideAuth(t *testing.T) {
	authn, err := auth.New(auth.Options{APIKeys: []string{"key-0123456789abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	var principals []string
	h := New([]string{app})(authn.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		principals = append(principals, auth.Principal(r.Context()))
	})))
	send := func(method string, headers map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/graphql", nil)
		req.Header.Set("Origin", app)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := send(http.MethodOptions, preflight("authorization,content-type"))
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != app {
		t.Errorf("preflight: status %d, headers %v", rec.Code, rec.Header())
	}
	rec = send(http.MethodPost, nil)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("Access-Control-Allow-Origin") != app {
		t.Errorf("unauthenticated POST: status %d, headers %v; want 401 readable by the page", rec.Code, rec.Header())
	}
	rec = send(http.MethodPost, map[string]string{"Authorization": "Bearer key-0123456789abcdef"})
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != app {
		t.Errorf("authenticated POST: status %d, headers %v", rec.Code, rec.Header())
	}
	if !slices.Equal(principals, []string{auth.KeyID("key-0123456789abcdef")}) {
		t.Errorf("principals = %q", principals)
	}
}
