package crm

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"custgraph/internal/customer"
	crmsim "custgraph/internal/sim/crm"
	"custgraph/internal/sim/fixture"
)

// benchCustomers is how many customers the benchmarks' simulator holds:
// several pages of benchPageSize.
const benchCustomers = 240

// benchPageSize is the list page measured.
const benchPageSize = 50

// capture keeps the body of the last answer to path, so that benchmarks
// decode exactly the bytes the simulator sends.
type capture struct {
	next http.RoundTripper
	path string
	mu   sync.Mutex
	body []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil || r.URL.Path != c.path {
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

// benchClient is a Client of a fresh simulator without a quota, with the
// capture of its list answers.
func benchClient(b *testing.B) (*Client, *capture) {
	b.Helper()
	w := fixture.Generate(fixture.Options{Seed: 11, Customers: benchCustomers})
	srv := httptest.NewServer(crmsim.New(crmsim.Options{Companies: w.CRM, RateLimit: crmsim.RateLimitOff}))
	b.Cleanup(srv.Close)
	hc := srv.Client()
	capt := &capture{next: hc.Transport, path: "/api/v2/customers"}
	hc.Transport = capt
	c, err := New(Config{BaseURL: srv.URL, Login: crmsim.DemoLogin, Password: crmsim.DemoPassword, HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	return c, capt
}

// listBody returns a list answer of benchPageSize customers as the
// simulator sends it.
func listBody(b *testing.B) []byte {
	b.Helper()
	c, capt := benchClient(b)
	p, err := c.List(context.Background(), customer.ListQuery{Page: 2, PageSize: benchPageSize})
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Customers) != benchPageSize {
		b.Fatalf("page holds %d customers, want %d", len(p.Customers), benchPageSize)
	}
	return capt.body
}

// BenchmarkDecodeList decodes a list answer as fetch does: the envelope,
// then its data.
func BenchmarkDecodeList(b *testing.B) {
	body := listBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var d listData
		if err := decode(http.StatusOK, body, customer.ReasonRejected, &d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToCustomer(b *testing.B) {
	var d listData
	if err := decode(http.StatusOK, listBody(b), customer.ReasonRejected, &d); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range d.Customers {
			if _, err := mapOne(w); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkList(b *testing.B) {
	c, _ := benchClient(b)
	ctx := context.Background()
	q := customer.ListQuery{Page: 2, PageSize: benchPageSize}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.List(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
