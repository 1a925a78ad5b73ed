package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"custgraph/internal/changefeed"
)

// Changes is what telemetry reads of the change feed.
type Changes interface {
	Stats() changefeed.Stats
}

// Streams is what telemetry reads of the open streams.
type Streams interface {
	Open() map[string]int
}

// WatchChanges adds the subscriptions' series: open subscriptions and
// streams by transport ("ws", "sse"), changes delivered and dropped, and
// subscribers closed for being slow.
func (t *Telemetry) WatchChanges(c Changes, s Streams) {
	for _, tr := range []string{"ws", "sse"} {
		labels := prometheus.Labels{"transport": tr}
		t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "custgraph_subscriptions_open", Help: "Open subscriptions on this replica, by transport (ws, sse).", ConstLabels: labels,
		}, func() float64 { return float64(c.Stats().Open[tr]) }))
		t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "custgraph_streams_open", Help: "Open WebSocket connections (ws) and SSE responses (sse) on this replica.", ConstLabels: labels,
		}, func() float64 { return float64(s.Open()[tr]) }))
	}
	counter := func(name, help string, read func(changefeed.Stats) int64) {
		t.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(read(c.Stats())) }))
	}
	counter("custgraph_subscription_events_delivered_total", "Changes handed to a subscriber on this replica (one per subscriber and change).",
		func(s changefeed.Stats) int64 { return s.Delivered })
	counter("custgraph_subscription_events_dropped_total", "Changes a subscriber's full buffer refused on this replica (the subscriber is then closed).",
		func(s changefeed.Stats) int64 { return s.Dropped })
	counter("custgraph_subscription_slow_closed_total", "Subscribers closed on this replica for falling more than CUSTGRAPH_SUBSCRIPTION_BUFFER changes behind.",
		func(s changefeed.Stats) int64 { return s.Slow })
}
