package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// BasePath is where a wire test mounts the vendor's API: a client given
// Wire.URL as its base URL must send every vendor path as BasePath+path.
// A client that drops its base URL's path, or doubles a slash when
// joining, reaches the catch-all and fails the test.
const BasePath = "/base"

// Wire is the server of one wire test, in the style of go-github's tests:
// a handler per exact vendor path under BasePath, and a catch-all on "/"
// that fails the test on any other URL. It keeps the order of the
// requests it received, so that tests can assert what a client sent and
// in which order (token before call, call, new token, call again).
type Wire struct {
	// URL is the base URL to configure the client with: the server's
	// URL followed by BasePath.
	URL string
	// Client is an HTTP client for the server; for a TLS server it is
	// the only client that trusts its certificate.
	Client *http.Client

	tb  testing.TB
	mux *http.ServeMux

	mu  sync.Mutex
	log []string
}

// NewWire starts a plain HTTP wire server that lives until tb ends.
func NewWire(tb testing.TB) *Wire {
	tb.Helper()
	return newWire(tb, httptest.NewServer)
}

// NewTLSWire starts a wire server that speaks HTTPS only, for vendors that
// refuse plain HTTP (YCM).
func NewTLSWire(tb testing.TB) *Wire {
	tb.Helper()
	return newWire(tb, httptest.NewTLSServer)
}

func newWire(tb testing.TB, start func(http.Handler) *httptest.Server) *Wire {
	w := &Wire{tb: tb, mux: http.NewServeMux()}
	w.mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		tb.Errorf("unexpected request %s %s: no handler for this path under %s", r.Method, r.URL.Path, BasePath)
		http.Error(rw, "unexpected URL", http.StatusNotFound)
	})
	srv := start(http.HandlerFunc(w.serve))
	tb.Cleanup(srv.Close)
	w.URL = srv.URL + BasePath
	w.Client = srv.Client()
	return w
}

// serve logs the request and routes it. A path that is not in canonical
// form is refused here: http.ServeMux would answer it with a redirect to
// the clean path, which the client would follow, hiding a malformed URL.
func (w *Wire) serve(rw http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	logged := p + " (outside " + BasePath + ")"
	if rest, ok := strings.CutPrefix(p, BasePath); ok && strings.HasPrefix(rest, "/") {
		logged = rest
	}
	w.mu.Lock()
	w.log = append(w.log, r.Method+" "+logged)
	w.mu.Unlock()
	if p != path.Clean(p) {
		w.tb.Errorf("request path %q is not canonical, want %q", p, path.Clean(p))
		http.Error(rw, "unexpected URL", http.StatusNotFound)
		return
	}
	w.mux.ServeHTTP(rw, r)
}

// Handle serves the vendor path vendorPath (which starts with "/") at
// BasePath+vendorPath, and only there.
func (w *Wire) Handle(vendorPath string, h http.HandlerFunc) {
	w.tb.Helper()
	if !strings.HasPrefix(vendorPath, "/") || strings.ContainsAny(vendorPath, "{}") {
		w.tb.Fatalf("vendor path %q must start with / and hold no pattern", vendorPath)
	}
	w.mux.HandleFunc(BasePath+vendorPath, h)
}

// Log returns the requests received so far as "METHOD /vendor/path"
// (the path without BasePath; a path outside BasePath in full and marked
// so), in the order they arrived.
func (w *Wire) Log() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// Calls returns how many requests arrived for the vendor path, whatever
// their method.
func (w *Wire) Calls(vendorPath string) int {
	n := 0
	for _, entry := range w.Log() {
		if _, p, _ := strings.Cut(entry, " "); p == vendorPath {
			n++
		}
	}
	return n
}

// Want is what a handler expects of the request it receives. Query, Form
// and JSON are compared exactly: a missing, extra or different parameter
// fails.
type Want struct {
	// Method is the HTTP method.
	Method string
	// Query is every query parameter with its values; nil or empty means
	// the URL must carry no query at all.
	Query url.Values
	// Header lists headers that must carry exactly these values; a header
	// listed with no values must be absent.
	Header http.Header
	// Form is the exact form-encoded body (name and values).
	Form url.Values
	// JSON is the exact JSON object the body must hold, as
	// encoding/json decodes it into a map. With neither Form nor JSON,
	// the request must have no body.
	JSON map[string]any
}

// CheckRequest reports, through tb.Errorf, every way r differs from want.
// It is safe to call from a handler: it never stops the test goroutine.
func CheckRequest(tb testing.TB, r *http.Request, want Want) {
	tb.Helper()
	if r.Method != want.Method {
		tb.Errorf("%s: method: got %s, want %s", r.URL.Path, r.Method, want.Method)
	}
	got, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		tb.Errorf("%s: malformed query %q: %v", r.URL.Path, r.URL.RawQuery, err)
	}
	diffValues(tb, r.URL.Path+": query", got, want.Query)
	for _, name := range sortedKeys(want.Header) {
		if got, want := r.Header.Values(name), want.Header[name]; !slices.Equal(got, want) {
			tb.Errorf("%s: header %s: got %q, want %q", r.URL.Path, name, got, want)
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		tb.Errorf("%s: reading body: %v", r.URL.Path, err)
		return
	}
	switch {
	case want.Form != nil && want.JSON != nil:
		tb.Errorf("%s: a Want holds a form body or a JSON body, not both", r.URL.Path)
	case want.Form != nil:
		got, err := url.ParseQuery(string(body))
		if err != nil {
			tb.Errorf("%s: body is no form (%v): %q", r.URL.Path, err, body)
			return
		}
		diffValues(tb, r.URL.Path+": form", got, want.Form)
	case want.JSON != nil:
		var got map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&got); err != nil || dec.More() {
			tb.Errorf("%s: body is no single JSON object: %q", r.URL.Path, body)
			return
		}
		if !reflect.DeepEqual(got, want.JSON) {
			tb.Errorf("%s: JSON body: got %v, want %v", r.URL.Path, got, want.JSON)
		}
	case len(body) > 0:
		tb.Errorf("%s: body: got %q, want none", r.URL.Path, body)
	}
}

// diffValues reports each name whose values differ between got and want.
func diffValues(tb testing.TB, what string, got, want url.Values) {
	tb.Helper()
	names := map[string]bool{}
	for k := range got {
		names[k] = true
	}
	for k := range want {
		names[k] = true
	}
	for _, k := range sortedKeys(names) {
		g, w := got[k], want[k]
		switch {
		case w == nil:
			tb.Errorf("%s: got unexpected %s=%q", what, k, g)
		case g == nil:
			tb.Errorf("%s: %s missing, want %q", what, k, w)
		case !slices.Equal(g, w):
			tb.Errorf("%s: %s: got %q, want %q", what, k, g, w)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Reply writes a JSON answer with the given status, labelled as the
// vendors label theirs (U8's documents show application/json;charset=UTF-8).
func Reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
