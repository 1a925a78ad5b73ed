package ide

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"custgraph/graph"
)

func get(t *testing.T, h http.Handler, target string, header ...string) *http.Response {
	t.Helper()
	return do(t, h, http.MethodGet, target, header...)
}

func do(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	attrRef = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']([^"']*)["']`)
	cssURL  = regexp.MustCompile(`url\(\s*["']?([^"')]+)["']?\s*\)`)
)

// pageRefs returns what index.html loads, resolved against the page at /.
func pageRefs(t *testing.T, html string) []string {
	t.Helper()
	base, _ := url.Parse("http://custgraph.test/")
	var refs []string
	for _, m := range attrRef.FindAllStringSubmatch(html, -1) {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		u, err := base.Parse(ref)
		if err != nil {
			t.Fatalf("index.html: bad reference %q: %v", ref, err)
		}
		if u.Host != base.Host || u.Scheme != base.Scheme {
			t.Errorf("index.html loads %q from another origin", ref)
			continue
		}
		refs = append(refs, u.Path)
	}
	return refs
}

func TestIndex(t *testing.T) {
	h := Handler()
	res := get(t, h, "/")
	html := body(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d", res.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-cache",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": ContentSecurityPolicy,
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("GET / %s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(html, "<title>custgraph</title>") {
		t.Error("index.html: no <title>custgraph</title>")
	}
	refs := pageRefs(t, html)
	var js, css int
	for _, r := range refs {
		if !strings.HasPrefix(r, Prefix) {
			t.Errorf("index.html refers to %s, outside %s", r, Prefix)
		}
		switch path.Ext(r) {
		case ".js":
			js++
		case ".css":
			css++
		}
	}
	if js != 1 || css != 1 {
		t.Errorf("index.html loads %d scripts and %d stylesheets, want 1 and 1: %v", js, css, refs)
	}
	if res := do(t, h, http.MethodHead, "/"); res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD /: %d", res.StatusCode)
	}
}

// Every asset the page refers to, and every font its stylesheets refer
// to, is served with its content type and a year of caching.
func TestReferencedAssets(t *testing.T) {
	h := Handler()
	wantType := map[string]string{
		".js":    "text/javascript; charset=utf-8",
		".css":   "text/css; charset=utf-8",
		".woff2": "font/woff2",
		".woff":  "font/woff",
	}
	queue := pageRefs(t, body(t, get(t, h, "/")))
	seen := map[string]bool{}
	fonts := 0
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		res := get(t, h, p)
		b := body(t, res)
		if res.StatusCode != http.StatusOK || len(b) == 0 {
			t.Errorf("GET %s: %d, %d bytes", p, res.StatusCode, len(b))
			continue
		}
		ext := path.Ext(p)
		if want, ok := wantType[ext]; !ok || res.Header.Get("Content-Type") != want {
			t.Errorf("GET %s: Content-Type %q, want %q", p, res.Header.Get("Content-Type"), want)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q, want immutable (hashed name)", p, got)
		}
		if ext == ".woff2" || ext == ".woff" {
			fonts++
		}
		if ext != ".css" {
			continue
		}
		base, _ := url.Parse("http://custgraph.test" + p)
		for _, m := range cssURL.FindAllStringSubmatch(b, -1) {
			if strings.HasPrefix(m[1], "data:") {
				continue
			}
			u, err := base.Parse(m[1])
			if err != nil || u.Host != base.Host {
				t.Errorf("%s: url(%s) is not same-origin", p, m[1])
				continue
			}
			queue = append(queue, u.Path)
		}
	}
	if fonts == 0 {
		t.Error("the stylesheet refers to no font file")
	}
}

// Every embedded file is reachable: nothing dead is shipped.
func TestEveryFileServed(t *testing.T) {
	h := Handler()
	n := 0
	err := fs.WalkDir(dist, "dist", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		p := "/" + strings.TrimPrefix(name, "dist/")
		if p == "/index.html" {
			p = "/"
		}
		want, _ := dist.ReadFile(name)
		res := get(t, h, p)
		if got := body(t, res); res.StatusCode != http.StatusOK || got != string(want) {
			t.Errorf("GET %s: %d, %d bytes, want %d", p, res.StatusCode, len(got), len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Fatalf("only %d files embedded: build the IDE (cd ide && npm ci && npm run build)", n)
	}
}

// Loads of an absolute or protocol-relative URL: CSS url() and @import,
// HTML src/href, JS import()/import/fetch() of a literal and React's src
// prop. Strings that are not loads (license texts, error messages, the
// links in GraphiQL's help) do not match.
var externalLoad = regexp.MustCompile("(?i)(?:url\\(\\s*['\"]?|@import\\s+['\"]?|\\b(?:src|href|srcset|action|poster)\\s*=\\s*['\"]?|" +
	"\\bsrc\\s*:\\s*['\"`]|\\bimport\\s*\\(\\s*['\"`]|\\b(?:import|from)\\s*['\"`]|\\bfetch\\s*\\(\\s*['\"`])(?:https?:)?//")

func TestNoExternalLoads(t *testing.T) {
	for _, bad := range []string{`url(https://x/f.woff2)`, `url("//x/f.css")`, `<script src="http://x/a.js">`,
		`<link href='https://x/s.css'>`, `import("https://x/m.js")`, `@import "https://x/a.css"`, `fetch("https://x")`,
		`createElement("img",{src:"https://x/i.png"})`} {
		if !externalLoad.MatchString(bad) {
			t.Fatalf("the pattern misses %s", bad)
		}
	}
	err := fs.WalkDir(dist, "dist", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch path.Ext(name) {
		case ".html", ".js", ".css":
		default:
			return nil
		}
		b, err := dist.ReadFile(name)
		if err != nil {
			return err
		}
		for _, loc := range externalLoad.FindAllIndex(b, -1) {
			t.Errorf("%s loads from another origin: …%s…", name, b[max(0, loc[0]-40):min(len(b), loc[1]+60)])
		}
		if bytes.Contains(b, []byte("sourceMappingURL")) {
			t.Errorf("%s refers to a source map", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNotFound(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/ide/", "/ide/nope.js", "/ide/fonts/", "/index.html", "/ide/../index.html", "/favicon.ico", "/graphql"} {
		if res := get(t, h, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	res := do(t, h, http.MethodPost, "/")
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

func TestGzipAndRevalidation(t *testing.T) {
	h := Handler()
	var js string
	for _, r := range pageRefs(t, body(t, get(t, h, "/"))) {
		if path.Ext(r) == ".js" {
			js = r
		}
	}
	plain := get(t, h, js)
	want := body(t, plain)
	if plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("gzip without Accept-Encoding")
	}
	res := get(t, h, js, "Accept-Encoding", "gzip, deflate, br")
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("Content-Encoding %q, Vary %q", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != want {
		t.Fatalf("gzipped body differs (%v)", err)
	}
	if res.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Error("the gzipped and plain bodies share an ETag")
	}
	for _, p := range []string{"/", js} {
		etag := get(t, h, p).Header.Get("ETag")
		if res := get(t, h, p, "If-None-Match", etag); etag == "" || res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match %s: %d, want 304", p, etag, res.StatusCode)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "deflate": false,
		"*": true, "*;q=0": false, "gzip;q=0, *": false, "identity, *;q=0.1": true, "x-gzip": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// The tabs a first visit opens with (ide/src/tabs) are valid against the
// schema, each named, and built into the embedded bundle as they are.
func TestDefaultTabs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "ide", "src", "tabs", "*.graphql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no tabs in ide/src/tabs (%v)", err)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var bundle []byte
	_ = fs.WalkDir(dist, "dist/ide", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(name) == ".js" {
			bundle, err = dist.ReadFile(name)
		}
		return err
	})
	names := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, errs := gqlparser.LoadQueryWithRules(schema, string(src), nil)
		if len(errs) > 0 {
			t.Errorf("%s: %v", filepath.Base(f), errs)
			continue
		}
		if len(doc.Operations) != 1 || doc.Operations[0].Name == "" || names[doc.Operations[0].Name] {
			t.Errorf("%s: want one named operation, its name unique among the tabs", filepath.Base(f))
		} else {
			names[doc.Operations[0].Name] = true
		}
		if !bytes.Contains(bundle, src) {
			t.Errorf("%s is not in the embedded bundle as it is: rebuild (cd ide && npm ci && npm run build)", filepath.Base(f))
		}
		if vars, err := os.ReadFile(strings.TrimSuffix(f, ".graphql") + ".json"); err == nil {
			var v map[string]any
			if err := json.Unmarshal(vars, &v); err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
		}
	}
}
