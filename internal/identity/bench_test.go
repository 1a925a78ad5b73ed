package identity

import (
	"strconv"
	"testing"

	"custgraph/internal/customer"
	"custgraph/internal/sim/fixture"
)

// world turns the simulators' generated companies into records, roughly
// as the vendors' mappings fill them: name, short name, the switchboard,
// the first contact with mobile and email.
func world(n int) []*customer.Customer {
	w := fixture.Generate(fixture.Options{Seed: 3, Customers: n})
	var out []*customer.Customer
	for i, src := range customer.AllSources {
		for j, co := range [][]*fixture.Company{w.U8, w.YCM, w.CRM}[i] {
			c := &customer.Customer{Source: src, SourceID: strconv.Itoa(j + 1), Name: co.Name}
			if co.ShortName != "" && src == customer.U8 {
				c.ShortName = ptr(co.ShortName)
			}
			if co.Tel != "" {
				c.Phones = append(c.Phones, customer.Phone{Kind: customer.PhoneWork, Number: co.Tel})
			}
			if len(co.Contacts) > 0 {
				p := co.Contacts[0]
				c.ContactName = ptr(p.Name)
				if p.Mobile != "" {
					c.Phones = append(c.Phones, customer.Phone{Kind: customer.PhoneMobile, Number: p.Mobile})
				}
				if p.Email != "" {
					c.Email = ptr(p.Email)
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// BenchmarkLinksPage is the links of a page of 100 records at 100,000
// records a source (go test -bench LinksPage -benchtime 200x).
func BenchmarkLinksPage(b *testing.B) {
	cs := world(100000)
	x := New()
	x.Reset(cs)
	b.ReportAllocs()
	considered.Store(0)
	b.ResetTimer()
	for i := range b.N {
		at := (i * 997) % (len(cs) - 100)
		for _, c := range cs[at : at+100] {
			x.Links(c, nil, nil)
		}
	}
	b.ReportMetric(float64(considered.Load())/float64(b.N*100), "candidates/record")
}
