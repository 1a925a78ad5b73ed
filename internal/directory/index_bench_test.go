package directory

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/sim/fixture"
)

// benchPerSource is how many records each source holds in the benchmarks.
const benchPerSource = 100_000

// The benchmarks share one index of 3 × 100,000 records made from the
// simulators' generated companies, built once.
var bench struct {
	once    sync.Once
	entries []*Entry
	x       *Index
	build   time.Duration
	heap    uint64
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fixtureEntries turns the generated world into records as each vendor's
// mapping would hold them.
func fixtureEntries(perSource int) []*Entry {
	w := fixture.Generate(fixture.Options{Seed: 1, Customers: perSource})
	synced := time.Now()
	var out []*Entry
	add := func(c *customer.Customer, co *fixture.Company) {
		t := co.Modified
		c.UpdatedAt, c.SyncedAt = &t, &synced
		out = append(out, &Entry{C: c, Marker: t.Format(time.RFC3339)})
	}
	for i, co := range w.U8 {
		p := co.Contacts[0]
		c := &customer.Customer{Source: customer.U8, SourceID: fmt.Sprintf("%08d", i+1), Name: co.Name,
			ShortName: str(co.ShortName), ContactName: str(p.Name)}
		for _, ph := range []customer.Phone{{Kind: customer.PhoneWork, Number: co.Tel}, {Kind: customer.PhoneMobile, Number: p.Mobile}, {Kind: customer.PhoneFax, Number: co.Fax}} {
			if ph.Number != "" {
				c.Phones = append(c.Phones, ph)
			}
		}
		add(c, co)
	}
	for i, co := range w.YCM {
		p := co.Contacts[0]
		c := &customer.Customer{Source: customer.YCM, SourceID: fmt.Sprint(50000000 + i), Name: co.Name,
			ContactName: str(p.Name), Email: str(p.Email),
			Phones: []customer.Phone{{Kind: customer.PhoneMobile, Number: "+86 " + p.Mobile}, {Kind: customer.PhoneWork, Number: "(" + co.AreaCode + ")" + co.Tel[len(co.AreaCode)+1:]}}}
		add(c, co)
	}
	for i, co := range w.CRM {
		a := &customer.CRMAddress{Tel: str(co.Tel), Email: str(co.Email), Fax: str(co.Fax)}
		x := &customer.CRMCustomer{ID: fmt.Sprint(800 + i), Address: a}
		for j, p := range co.Contacts {
			x.Contacts = append(x.Contacts, customer.CRMContact{ID: fmt.Sprint(j), Name: p.Name,
				Address: &customer.CRMAddress{Phone: str(p.Mobile), Tel: str(p.Tel), Email: str(p.Email)}})
		}
		c := &customer.Customer{Source: customer.CRM, SourceID: x.ID, Name: co.Name, Email: a.Email,
			ContactName: str(co.Contacts[0].Name), CRM: x}
		for _, ph := range []customer.Phone{{Kind: customer.PhoneWork, Number: co.Tel}, {Kind: customer.PhoneFax, Number: co.Fax}} {
			if ph.Number != "" {
				c.Phones = append(c.Phones, ph)
			}
		}
		add(c, co)
	}
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func benchIndex(b *testing.B) *Index {
	bench.once.Do(func() {
		bench.entries = fixtureEntries(benchPerSource)
		before := heapInUse()
		start := time.Now()
		x := NewIndex()
		// As the directory loads its store: one Apply.
		x.Apply(bench.entries, nil)
		bench.build = time.Since(start)
		bench.heap = heapInUse() - before
		bench.x = x
		s := x.cur.Load()
		b.Logf("built %d records in %v (one Apply, as the directory loads its store); the index holds %.0f MB of heap besides the entries; base %d, delta %d",
			len(bench.entries), bench.build, float64(bench.heap)/(1<<20), len(s.b.recs), len(s.dKey))
	})
	return bench.x
}

// latencies runs fn b.N times, cycling through its arguments, and reports
// the 50th and 99th percentiles and the worst.
func latencies[T any](b *testing.B, args []T, fn func(T)) {
	b.Helper()
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		fn(args[i%len(args)])
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(ds)
	pct := func(p float64) float64 { return float64(ds[int(float64(len(ds)-1)*p)].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(ds[len(ds)-1].Microseconds()), "max-µs")
}

// BenchmarkBuild reports the shared index's build: 300,000 records from
// empty by Apply in batches of 500, and the heap the index holds.
func BenchmarkBuild(b *testing.B) {
	benchIndex(b)
	for b.Loop() {
	}
	b.ReportMetric(bench.build.Seconds(), "build-s")
	b.ReportMetric(float64(bench.heap)/(1<<20), "heap-MB")
}

func BenchmarkQuery(b *testing.B) {
	x := benchIndex(b)
	name := customer.Order{Field: customer.OrderName}
	upd := customer.Order{Field: customer.OrderUpdatedAt, Desc: true}
	// A cursor well inside the list, for second-and-later pages.
	mid := x.Query(Query{Sources: all, Order: name, First: 20}).Keys
	_ = mid
	var midName []byte
	n := 0
	x.Each(customer.CRM, func(e *Entry) bool {
		n++
		if n == 40_000 {
			midName = newRec(e).name
			return false
		}
		return true
	})
	kinds := []struct {
		name     string
		searches []string
		order    customer.Order
		sources  []customer.Source
		after    []byte
	}{
		{"search1/NAME", []string{"科", "华", "天", "电", "信", "贸", "州", "王"}, name, all, nil},
		{"search2/NAME", []string{"天华", "科技", "华信", "电子", "贸易", "有限", "机械", "杭州"}, name, all, nil},
		{"search3+/NAME", []string{"科技有限", "华信电子", "天华科技", "有限公司", "电子科技有限公司", "杭州市", "股份有限"}, name, all, nil},
		{"search3+/NAME/after", []string{"科技有限", "有限公司", "天华科技"}, name, all, midName},
		{"search1/UPDATED_AT", []string{"科", "华", "天", "电"}, upd, all, nil},
		{"search3+/UPDATED_AT", []string{"科技有限", "华信电子", "天华科技"}, upd, all, nil},
		{"search-digits/NAME", []string{"0571", "138", "8888", "13912", "021-6"}, name, all, nil},
		{"search-email/NAME", []string{"info@", "sales", "wang", ".com.cn"}, name, all, nil},
		{"search1/NAME/CRM", []string{"科", "华", "天"}, name, []customer.Source{customer.CRM}, nil},
		{"list/NAME", []string{""}, name, all, nil},
		{"list/NAME/after", []string{""}, name, all, midName},
		{"list/NAME/desc", []string{""}, customer.Order{Desc: true}, all, nil},
		{"list/NAME/YCM", []string{""}, name, []customer.Source{customer.YCM}, nil},
		{"list/UPDATED_AT", []string{""}, upd, all, nil},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			total := 0
			latencies(b, k.searches, func(s string) {
				r := x.Query(Query{Sources: k.sources, Filter: customer.Filter{Search: s}, Order: k.order, After: k.after, First: 20})
				total += r.Total
			})
			b.ReportMetric(float64(total)/float64(b.N), "total/op")
		})
	}
}

func BenchmarkByPhone(b *testing.B) {
	x := benchIndex(b)
	var nums []customer.Phone164
	for _, e := range bench.entries[:200] {
		for _, p := range e.C.Phones {
			if n, err := customer.NormalizePhone(p.Number); err == nil {
				nums = append(nums, n)
			}
		}
	}
	latencies(b, nums, func(p customer.Phone164) {
		if len(x.ByPhone(p, all)) == 0 {
			b.Fatalf("no record holds %v", p)
		}
	})
}

func BenchmarkNamed(b *testing.B) {
	x := benchIndex(b)
	latencies(b, bench.entries[:500], func(e *Entry) {
		if len(x.Named(e.C.Source, e.C.Name)) == 0 {
			b.Fatalf("no record named %q", e.C.Name)
		}
	})
}

// BenchmarkApply100 applies batches of 100 changed records (new names,
// new times) to the 300,000 records; rebuilds of the base fall inside
// some batches and show in max.
func BenchmarkApply100(b *testing.B) {
	x := benchIndex(b)
	r := rand.New(rand.NewPCG(5, 5))
	var batches [][]*Entry
	for range 400 {
		var batch []*Entry
		for range 100 {
			old := bench.entries[r.IntN(len(bench.entries))].C
			c := *old
			c.Name = old.Name + "分公司"
			t := time.Now()
			c.UpdatedAt = &t
			batch = append(batch, &Entry{C: &c, Marker: t.String()})
		}
		batches = append(batches, batch)
	}
	rebuilds := 0
	latencies(b, batches, func(batch []*Entry) {
		base := x.cur.Load().b
		x.Apply(batch, nil)
		if x.cur.Load().b != base {
			rebuilds++
		}
	})
	b.ReportMetric(float64(rebuilds), "rebuilds")
}
