package providertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// recorder is a testing.TB that keeps the failures reported to it instead
// of failing the test, so that the helpers' own failures can be asserted.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

func TestCheckRequest(t *testing.T) {
	want := Want{
		Method: http.MethodPost,
		Query:  url.Values{"a": {"1"}, "b": {"x", "y"}},
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": nil},
		Form:   url.Values{"grant_type": {"client_credentials"}},
	}
	jsonWant := Want{Method: http.MethodPost, JSON: map[string]any{"login": "138", "device": "open_api"}}
	tests := []struct {
		name   string
		method string
		target string
		header http.Header
		body   string
		want   Want
		fails  string // a text the failure must hold; "" for none
	}{
		{"as wanted", "POST", "/p?a=1&b=x&b=y", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials", want, ""},
		{"method", "GET", "/p?a=1&b=x&b=y", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials", want, "method: got GET, want POST"},
		{"extra parameter", "POST", "/p?a=1&b=x&b=y&c=2", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials", want, "unexpected c"},
		{"missing parameter", "POST", "/p?b=x&b=y", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials", want, "a missing"},
		{"value order", "POST", "/p?a=1&b=y&b=x", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials", want, "b: got"},
		{"header value", "POST", "/p?a=1&b=x&b=y", http.Header{"Content-Type": {"application/json"}}, "grant_type=client_credentials", want, "header Content-Type"},
		{"header that must be absent", "POST", "/p?a=1&b=x&b=y", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Bearer x"}}, "grant_type=client_credentials", want, "header Authorization"},
		{"form", "POST", "/p?a=1&b=x&b=y", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=refresh_token", want, "form: grant_type"},
		{"json as wanted", "POST", "/p", nil, `{"device":"open_api","login":"138"}`, jsonWant, ""},
		{"json value", "POST", "/p", nil, `{"device":"open_api","login":"139"}`, jsonWant, "JSON body"},
		{"json extra key", "POST", "/p", nil, `{"device":"open_api","login":"138","corp_id":"x"}`, jsonWant, "JSON body"},
		{"body where none is wanted", "GET", "/p", nil, "x=1", Want{Method: "GET"}, "want none"},
		{"query where none is wanted", "GET", "/p?x=1", nil, "", Want{Method: "GET"}, "unexpected x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header[k] = v
			}
			rec := &recorder{TB: t}
			CheckRequest(rec, r, tt.want)
			got := strings.Join(rec.failures(), "\n")
			switch {
			case tt.fails == "" && got != "":
				t.Errorf("failures: got %q, want none", got)
			case tt.fails != "" && !strings.Contains(got, tt.fails):
				t.Errorf("failures: got %q, want one holding %q", got, tt.fails)
			}
		})
	}
}

func TestWireRoutesOnlyUnderTheBasePath(t *testing.T) {
	tests := []struct {
		path      string
		wantFails bool
		wantLog   string
	}{
		{BasePath + "/api/x", false, "GET /api/x"},
		{"/api/x", true, "GET /api/x (outside /base)"},
		{BasePath + "/api/x/y", true, "GET /api/x/y"},
		{BasePath + "//api/x", true, "GET //api/x"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := &recorder{TB: t}
			w := NewWire(rec)
			var served atomic.Bool
			w.Handle("/api/x", func(rw http.ResponseWriter, r *http.Request) {
				served.Store(true)
				Reply(rw, http.StatusOK, `{}`)
			})
			resp, err := w.Client.Get(strings.TrimSuffix(w.URL, BasePath) + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if failed := len(rec.failures()) > 0; failed != tt.wantFails {
				t.Errorf("test failed: got %v (%q), want %v", failed, rec.failures(), tt.wantFails)
			}
			if served.Load() == tt.wantFails {
				t.Errorf("handler served: got %v, want %v", served.Load(), !tt.wantFails)
			}
			if got := w.Log(); !slices.Equal(got, []string{tt.wantLog}) {
				t.Errorf("log: got %q, want %q", got, []string{tt.wantLog})
			}
		})
	}
}
