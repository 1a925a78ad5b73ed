package telemetry

import "github.com/prometheus/client_golang/prometheus"

// WatchCompiled adds custgraph_graphql_compiled_values_total: the values
// (customer pages, lists, records) graph's compiled writer wrote, and
// those it was offered and left to gqlgen's executor, read from counts,
// which returns both.
func (t *Telemetry) WatchCompiled(counts func() (compiled, general uint64)) {
	for _, w := range []string{"compiled", "general"} {
		t.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "custgraph_graphql_compiled_values_total",
			Help:        "Customer pages, lists and records offered to the compiled writer (CUSTGRAPH_COMPILED), by who wrote them: the compiled writer, or gqlgen's executor (a selection or a value it leaves to gqlgen).",
			ConstLabels: prometheus.Labels{"writer": w},
		}, func() float64 {
			c, g := counts()
			if w == "compiled" {
				return float64(c)
			}
			return float64(g)
		}))
	}
}
