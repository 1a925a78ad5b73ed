package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"custgraph/internal/customer"
	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// scores prints, for the data of seed 101 at 3,000 records a source (a
// seed the evaluation does not use), the candidate pairs by raw score
// (rounded to 0.5): how many, how many right, and the evidence they rest
// on: what to read before changing a weight.
func scores(seed uint64, size int, out io.Writer) error {
	s, err := sim.Open(sim.Options{Seed: seed, Customers: size, CRMRate: quota.Rate{Off: true}})
	if err != nil {
		return err
	}
	labels := s.IdentityDetail()
	gw, stop, err := gatewayOver(s, nil)
	if err != nil {
		return err
	}
	defer stop()
	d := gw.Directory()
	type bucket struct {
		n, right int
		sigs     map[string][2]int
	}
	buckets := map[float64]*bucket{}
	seen := map[pairKey]bool{}
	for _, src := range customer.AllSources {
		d.Each(src, func(c *customer.Customer) bool {
			for _, l := range d.Identities().Links(c, nil, nil) {
				p := pairOf(c.ID(), l.ID.String())
				if seen[p] {
					continue
				}
				seen[p] = true
				k := math.Round(l.Score*2) / 2
				b := buckets[k]
				if b == nil {
					b = &bucket{sigs: map[string][2]int{}}
					buckets[k] = b
				}
				right := labels[p[0]].ID != "" && labels[p[0]].ID == labels[p[1]].ID
				b.n++
				var sigs []string
				for _, s := range l.Signals {
					sigs = append(sigs, string(s))
				}
				key := strings.Join(sigs, "+")
				v := b.sigs[key]
				v[0]++
				if right {
					b.right++
					v[1]++
				}
				b.sigs[key] = v
			}
			return true
		})
	}
	var ks []float64
	for k := range buckets {
		ks = append(ks, k)
	}
	sort.Float64s(ks)
	for _, k := range ks {
		b := buckets[k]
		fmt.Fprintf(out, "%6.1f %5d %5.1f%%  ", k, b.n, 100*float64(b.right)/float64(b.n))
		for sig, v := range b.sigs {
			fmt.Fprintf(out, " %s:%d/%d", sig, v[1], v[0])
		}
		fmt.Fprintln(out)
	}
	return nil
}
