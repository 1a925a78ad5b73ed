package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"custgraph/internal/customer"
	"custgraph/internal/guard"
	"custgraph/internal/shared"
)

// WatchVendors adds the series read from the state the guards and the
// Redis store keep anyway: each vendor's circuit and cache counters, and
// Redis's health.
func (t *Telemetry) WatchVendors(sources customer.Sources, store *shared.Store) {
	t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "custgraph_redis_up",
		Help: "1 while the replicas' shared state in Redis is in use, 0 while Redis is unreachable or not configured.",
	}, func() float64 { return boolFloat(store.Healthy()) }))

	guards := map[customer.Source]*guard.Source{}
	if g, ok := sources.U8.(*guard.Source); ok {
		guards[customer.U8] = g
	}
	if g, ok := sources.YCM.(*guard.Source); ok {
		guards[customer.YCM] = g
	}
	if g, ok := sources.CRM.(*guard.Source); ok {
		guards[customer.CRM] = g
	}
	for src, g := range guards {
		labels := prometheus.Labels{"vendor": string(src)}
		for _, state := range []string{"CLOSED", "OPEN", "HALF_OPEN"} {
			t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "custgraph_upstream_circuit", Help: "1 for the vendor circuit's current state.",
				ConstLabels: prometheus.Labels{"vendor": string(src), "state": state},
			}, func() float64 { return boolFloat(g.Circuit() == state) }))
		}
		counter := func(name, help string, read func(guard.Stats) int64) {
			t.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
				func() float64 { return float64(read(g.Stats())) }))
		}
		counter("custgraph_cache_hits_total", "Lookups by id, name or contacts answered from the cache.", func(s guard.Stats) int64 { return s.CacheHits })
		counter("custgraph_cache_misses_total", "Lookups by id, name or contacts that went to the vendor.", func(s guard.Stats) int64 { return s.CacheMisses })
		counter("custgraph_upstream_coalesced_total", "Vendor calls saved by sharing an identical call in flight.", func(s guard.Stats) int64 { return s.Coalesced })
		counter("custgraph_upstream_retries_total", "Vendor calls made again after a transient failure.", func(s guard.Stats) int64 { return s.Retries })
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
