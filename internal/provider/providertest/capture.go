// Package providertest holds what the vendor clients' tests and
// benchmarks share.
package providertest

import (
	"bytes"
	"io"
	"net/http"
	"sync"
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
