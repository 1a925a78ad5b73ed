package ycm

import (
	"context"
	"net/http"
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
	url, hc, capt := providertest.Serve(b, ycmsim.New(ycmsim.Options{Companies: w.YCM}), customersPath)
	c, err := New(Config{BaseURL: url, ClientID: ycmsim.DemoClientID, ClientSecret: ycmsim.DemoClientSecret, HTTPClient: hc})
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
	return providertest.PageBody(b, capt, MaxPageSize, c.List)
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
