package u8

import (
	"context"
	"strconv"
	"testing"

	"custgraph/internal/customer"
	"custgraph/internal/provider/providertest"
	"custgraph/internal/sim/fixture"
	u8sim "custgraph/internal/sim/u8"
)

// benchCustomers is how many customers the benchmarks' simulator holds:
// enough for a page of 100 with rows left over.
const benchCustomers = 240

// benchPageSizes are the batch_get page sizes measured: the client's
// default and a large page.
var benchPageSizes = []int{DefaultPageSize, 100}

// benchClient is a Client of a fresh simulator, with the capture of its
// batch_get answers.
func benchClient(b *testing.B) (*Client, *providertest.Capture) {
	b.Helper()
	w := fixture.Generate(fixture.Options{Seed: 5, Customers: benchCustomers})
	url, hc, capt := providertest.Serve(b, u8sim.New(u8sim.Options{Companies: w.U8}), "/api/customer/batch_get")
	cfg := demoConfig(url)
	cfg.HTTPClient = hc
	c, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return c, capt
}

// batchBody returns a batch_get answer of size rows as the simulator
// sends it.
func batchBody(b *testing.B, size int) []byte {
	b.Helper()
	c, capt := benchClient(b)
	return providertest.PageBody(b, capt, size, c.List)
}

func BenchmarkDecodeBatch(b *testing.B) {
	for _, size := range benchPageSizes {
		b.Run("rows="+strconv.Itoa(size), func(b *testing.B) {
			body := batchBody(b, size)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var ans batchAnswer
				if err := decode(body, &ans); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkToCustomer(b *testing.B) {
	for _, size := range benchPageSizes {
		b.Run("rows="+strconv.Itoa(size), func(b *testing.B) {
			var ans batchAnswer
			if err := decode(batchBody(b, size), &ans); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				for i := range ans.Customer {
					if _, err := toCustomer(&ans.Customer[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkList(b *testing.B) {
	for _, size := range benchPageSizes {
		b.Run("rows="+strconv.Itoa(size), func(b *testing.B) {
			c, _ := benchClient(b)
			ctx := context.Background()
			q := customer.ListQuery{Page: 2, PageSize: size}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.List(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
