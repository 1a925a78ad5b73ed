// Package ide serves custgraph's GraphQL IDE: GraphiQL, built from ide/
// (cd ide && npm ci && npm run build) into dist/ and embedded in the
// binary. The page loads nothing from another origin: its script, styles
// and fonts come from this handler and its queries go to /graphql next to
// it, with the headers its headers editor holds.
//
// Paths (the handler expects the full request path):
//
//	/            the page (index.html), never cached without revalidation
//	/ide/…       the bundle: hashed file names, cached for a year
//
// Anything else is 404.
package ide

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var dist embed.FS

// Prefix is the path under which the page's assets are served; mount
// Handler at "/" and at Prefix+"*" (chi) or Prefix (http.ServeMux).
const Prefix = "/ide/"

// ContentSecurityPolicy is sent with the page: the browser itself refuses
// any load from another origin.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"font-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// hashed matches the content hash esbuild puts in a file name.
var hashed = regexp.MustCompile(`-[A-Z2-7]{8}\.[a-z0-9]+$`)

type asset struct {
	body        []byte
	contentType string
	cache       string
	etag        string
	compress    bool

	gzipOnce sync.Once
	gzipped  []byte // nil when compression does not pay
}

type handler struct {
	assets map[string]*asset
}

// Handler serves the IDE's page at "/" and its assets under Prefix.
func Handler() http.Handler {
	h := &handler{assets: map[string]*asset{}}
	err := fs.WalkDir(dist, "dist", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := dist.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, "dist/")
		urlPath := "/" + rel
		cache := "no-cache"
		switch {
		case rel == "index.html":
			urlPath = "/"
		case !strings.HasPrefix(urlPath, Prefix):
			return nil // only the page and the assets under Prefix are served
		case hashed.MatchString(rel):
			cache = "public, max-age=31536000, immutable"
		}
		sum := sha256.Sum256(body)
		ct := contentType(rel)
		h.assets[urlPath] = &asset{body: body, contentType: ct, cache: cache,
			etag: `"` + hex.EncodeToString(sum[:12]) + `"`, compress: compressible(ct) && len(body) > 1024}
		return nil
	})
	if err != nil {
		panic("ide: embedded files: " + err.Error()) // cannot happen with go:embed
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", a.cache)
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Path == "/" {
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("Referrer-Policy", "no-referrer")
	}
	body, etag := a.body, a.etag
	if a.compress {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			if gz := a.gzip(); gz != nil {
				hd.Set("Content-Encoding", "gzip")
				body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gzip"`
			}
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// gzip compresses the asset once, on first use.
func (a *asset) gzip() []byte {
	a.gzipOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(a.body)
		if zw.Close() == nil && b.Len() < len(a.body) {
			a.gzipped = b.Bytes()
		}
	})
	return a.gzipped
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// with a non-zero q, or else allowed by "*".
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			gzipQ = q
		case "*":
			starQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// contentType is fixed per extension (not taken from the system's MIME
// tables, which vary between machines).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".json":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".woff2":
		return "font/woff2"
	case ".woff":
		return "font/woff"
	case ".ttf":
		return "font/ttf"
	default:
		return "application/octet-stream"
	}
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "image/svg")
}
