package crm

import (
	"context"
	"net/http"
	"testing"

	"custgraph/internal/customer"
	"custgraph/internal/provider/providertest"
	crmsim "custgraph/internal/sim/crm"
	"custgraph/internal/sim/fixture"
)

// benchCustomers is how many customers the benchmarks' simulator holds:
// several pages of benchPageSize.
const benchCustomers = 240

// benchPageSize is the list page measured.
const benchPageSize = 50

// benchClient is a Client of a fresh simulator without a quota, with the
// capture of its list answers.
func benchClient(b *testing.B) (*Client, *providertest.Capture) {
	b.Helper()
	w := fixture.Generate(fixture.Options{Seed: 11, Customers: benchCustomers})
	url, hc, capt := providertest.Serve(b, crmsim.New(crmsim.Options{Companies: w.CRM, RateLimit: crmsim.RateLimitOff}), "/api/v2/customers")
	c, err := New(Config{BaseURL: url, Login: crmsim.DemoLogin, Password: crmsim.DemoPassword, HTTPClient: hc})
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
	return providertest.PageBody(b, capt, benchPageSize, c.List)
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
