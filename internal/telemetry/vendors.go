package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"custgraph/internal/customer"
)

// Vendor is what telemetry reads of a guarded vendor client: its circuit
// (CLOSED, OPEN or HALF_OPEN) and the counters its guard keeps anyway.
type Vendor interface {
	Circuit() string
	CacheHits() int64
	CacheMisses() int64
	Coalesced() int64
	Retries() int64
}

// Health is what telemetry reads of the replicas' shared state.
type Health interface {
	// Healthy reports whether it is in use (false when unreachable or
	// not configured).
	Healthy() bool
}

// WatchVendors adds the series read from the state the guards and the
// shared state keep anyway: each vendor's circuit and cache counters, and
// whether the shared state (Redis) is in use.
func (t *Telemetry) WatchVendors(vendors map[customer.Source]Vendor, shared Health) {
	t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "custgraph_redis_up",
		Help: "1 while the replicas' shared state in Redis is in use, 0 while Redis is unreachable or not configured.",
	}, func() float64 { return boolFloat(shared.Healthy()) }))

	for src, v := range vendors {
		labels := prometheus.Labels{"vendor": string(src)}
		for _, state := range []string{"CLOSED", "OPEN", "HALF_OPEN"} {
			t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "custgraph_upstream_circuit", Help: "1 for the vendor circuit's current state.",
				ConstLabels: prometheus.Labels{"vendor": string(src), "state": state},
			}, func() float64 { return boolFloat(v.Circuit() == state) }))
		}
		counter := func(name, help string, read func() int64) {
			t.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
				func() float64 { return float64(read()) }))
		}
		counter("custgraph_cache_hits_total", "Lookups by id, name or contacts answered from the cache.", v.CacheHits)
		counter("custgraph_cache_misses_total", "Lookups by id, name or contacts that went to the vendor.", v.CacheMisses)
		counter("custgraph_upstream_coalesced_total", "Vendor calls saved by sharing an identical call in flight.", v.Coalesced)
		counter("custgraph_upstream_retries_total", "Vendor calls made again after a transient failure.", v.Retries)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
