// Package providertest holds what the vendor clients' tests and
// benchmarks share.
package providertest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"custgraph/internal/customer"
)

// Capture is a RoundTripper that keeps the body of the last answer to
// Path, so that benchmarks decode exactly the bytes a simulator sends.
type Capture struct {
	Next http.RoundTripper
	Path string
	mu   sync.Mutex
	body []byte
}

// RoundTrip implements http.RoundTripper.
func (c *Capture) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.Next.RoundTrip(r)
	if err != nil || r.URL.Path != c.Path {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.body = b
	c.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// Body is the last captured answer's body.
func (c *Capture) Body() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.body
}

// Serve serves h until tb ends and returns its URL and a client whose
// answers to path are captured.
func Serve(tb testing.TB, h http.Handler, path string) (string, *http.Client, *Capture) {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	hc := srv.Client()
	capt := &Capture{Next: hc.Transport, Path: path}
	hc.Transport = capt
	return srv.URL, hc, capt
}

// PageBody lists page 2 of size records through list and returns the
// answer's body as the vendor sent it.
func PageBody(tb testing.TB, capt *Capture, size int, list func(context.Context, customer.ListQuery) (*customer.Page, error)) []byte {
	tb.Helper()
	p, err := list(context.Background(), customer.ListQuery{Page: 2, PageSize: size})
	if err != nil {
		tb.Fatal(err)
	}
	if len(p.Customers) != size {
		tb.Fatalf("page holds %d customers, want %d", len(p.Customers), size)
	}
	return capt.Body()
}
