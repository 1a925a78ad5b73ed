package ycm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"custgraph/internal/customer"
	"custgraph/internal/provider/providertest"
	"custgraph/internal/sim/fixture"
	ycmsim "custgraph/internal/sim/ycm"
)

// benchCustomers is how many customers the benchmarks' simulator holds:
// several full pages of MaxPageSize.
const benchCustomers = 240

// benchClient is a Client of a fresh simulator, with the capture of its
// list answers.
func benchClient(b *testing.B) (*Client, *providertest.Capture) {
	b.Helper()
	w := fixture.Generate(fixture.Options{Seed: 11, Customers: benchCustomers})
	srv := httptest.NewServer(ycmsim.New(ycmsim.Options{Companies: w.YCM}))
	b.Cleanup(srv.Close)
	hc := srv.Client()
	capt := &providertest.Capture{Next: hc.Transport, Path: customersPath}
	hc.Transport = capt
	c, err := New(Config{BaseURL: srv.URL, ClientID: ycmsim.DemoClientID, ClientSecret: ycmsim.DemoClientSecret, HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	return c, capt
}

// pageBody returns a list answer of MaxPageSize records as the simulator
// sends it.
func pageBody(b *testing.B) []byte {
	b.Helper()
	c, capt := benchClient(b)
	p, err := c.List(context.Background(), customer.ListQuery{Page: 2, PageSize: MaxPageSize})
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Customers) != MaxPageSize {
		b.Fatalf("page holds %d customers, want %d", len(p.Customers), MaxPageSize)
	}
	return capt.Body()
}

// decodeList reads a list answer as Client.page does: in one pass when
// it can, else the envelope, then its data.
func decodeList(body []byte) (*wirePage, error) {
	p := new(wirePage)
	if decodeSuccess(http.StatusOK, body, p) {
		return p, checkPage(p)
	}
	env, err := decodeEnvelope(body)
	if err != nil {
		return nil, err
	}
	return decodePage(env.Data)
}

func BenchmarkDecodePage(b *testing.B) {
	body := pageBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeList(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToCustomers(b *testing.B) {
	p, err := decodeList(pageBody(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := toCustomers(p.List); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList(b *testing.B) {
	c, _ := benchClient(b)
	ctx := context.Background()
	q := customer.ListQuery{Page: 2, PageSize: MaxPageSize}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.List(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
