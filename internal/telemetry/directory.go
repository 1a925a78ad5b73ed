package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"custgraph/internal/customer"
)

// Directory is what telemetry reads of the directory: each synced
// source's state and the counters its syncers keep.
type Directory interface {
	Synced() []customer.Source
	Status(src customer.Source) customer.DirectoryStatus
	// Passes counts src's sync passes of kind ("full", "changes") with
	// outcome ("ok", "failed").
	Passes(src customer.Source, kind, outcome string) int64
	// SyncCalls counts the vendor calls src's sync made on this replica.
	SyncCalls(src customer.Source) int64
	// Syncing reports whether this replica syncs src now (holds its
	// lease).
	Syncing(src customer.Source) bool
}

// WatchDirectory adds the directory's series: per source, its state,
// records, lag, passes and calls.
func (t *Telemetry) WatchDirectory(d Directory) {
	states := []string{customer.DirectorySyncing, customer.DirectoryReady, customer.DirectoryStale}
	for _, src := range d.Synced() {
		labels := prometheus.Labels{"source": string(src)}
		gauge := func(name, help string, read func() float64) {
			t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, read))
		}
		gauge("custgraph_directory_records", "Records of the source the directory holds.",
			func() float64 { return float64(d.Status(src).Records) })
		gauge("custgraph_directory_lag_seconds", "Age of the oldest data the directory may serve for the source (time since its last successful sync pass began); -1 before the first.",
			func() float64 {
				if l := d.Status(src).LagSeconds; l != nil {
					return *l
				}
				return -1
			})
		gauge("custgraph_directory_syncing", "1 while this replica syncs the source (holds its lease).",
			func() float64 { return boolFloat(d.Syncing(src)) })
		for _, state := range states {
			t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "custgraph_directory_state", Help: "1 for the state of the directory's copy of the source.",
				ConstLabels: prometheus.Labels{"source": string(src), "state": state},
			}, func() float64 { return boolFloat(d.Status(src).State == state) }))
		}
		for _, kind := range []string{"full", "changes"} {
			for _, outcome := range []string{"ok", "failed"} {
				t.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "custgraph_directory_sync_passes_total", Help: "Sync passes of the source by kind (full, changes) and outcome (ok, failed), on this replica.",
					ConstLabels: prometheus.Labels{"source": string(src), "kind": kind, "outcome": outcome},
				}, func() float64 { return float64(d.Passes(src, kind, outcome)) }))
			}
		}
		t.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "custgraph_directory_sync_calls_total", Help: "Vendor calls the source's sync made on this replica (also counted in custgraph_upstream_calls_total).",
			ConstLabels: labels,
		}, func() float64 { return float64(d.SyncCalls(src)) }))
	}
}
