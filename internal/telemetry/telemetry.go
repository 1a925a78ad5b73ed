// Package telemetry holds what custgraph reports about itself: Prometheus
// metrics (GraphQL operations, vendor calls with latency, quota waits,
// caches, circuits, Redis, the Go runtime) and OpenTelemetry traces over
// OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the inbound request, the
// resolvers that call out, and each vendor call).
package telemetry

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
)

// Telemetry is the gateway's metrics registry and tracer.
type Telemetry struct {
	reg    *prometheus.Registry
	tp     trace.TracerProvider
	tracer trace.Tracer
	// tracing: traces go somewhere (New was given a provider).
	tracing bool

	operations  *prometheus.CounterVec
	shared      prometheus.Counter
	waiting     prometheus.Gauge
	opDuration  *prometheus.HistogramVec
	calls       *prometheus.CounterVec
	callLatency *prometheus.HistogramVec
	quotaWait   *prometheus.HistogramVec
	quotaRefuse *prometheus.CounterVec

	mu    sync.Mutex
	names map[string]bool // operation names given their own series
}

// maxOperationNames bounds the operation-name label: names are chosen by
// clients, and an unbounded label is a memory leak in every scraper.
const maxOperationNames = 200

var _ httpx.Observer = (*Telemetry)(nil)

// New returns a Telemetry whose traces go to tp (nil: none).
func New(tp trace.TracerProvider) *Telemetry {
	tracing := tp != nil
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	t := &Telemetry{reg: prometheus.NewRegistry(), tp: tp, tracing: tracing, tracer: tp.Tracer("custgraph"), names: map[string]bool{}}
	t.shared = prometheus.NewCounter(prometheus.CounterOpts{Name: "custgraph_graphql_shared_answers_total",
		Help: "Requests answered with the answer of an identical query in flight at the same moment (not executed, not in custgraph_graphql_operations_total)."})
	t.waiting = prometheus.NewGauge(prometheus.GaugeOpts{Name: "custgraph_graphql_waiting_requests",
		Help: "Requests waiting now for the answer of an identical query in flight (CUSTGRAPH_SHARE_INFLIGHT)."})
	t.operations = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "custgraph_graphql_operations_total",
		Help: "GraphQL operations by name and outcome (ok, partial: data with errors, error: no data)."}, []string{"operation", "outcome"})
	t.opDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "custgraph_graphql_operation_duration_seconds",
		Help: "Time to answer a GraphQL operation.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"outcome"})
	t.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "custgraph_upstream_calls_total",
		Help: "HTTP calls to the vendors by vendor, endpoint and outcome."}, []string{"vendor", "endpoint", "outcome"})
	t.callLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "custgraph_upstream_call_duration_seconds",
		Help: "Latency of HTTP calls to the vendors (without quota waits).", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"vendor", "endpoint"})
	t.quotaWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "custgraph_quota_wait_seconds",
		Help: "Time calls waited for their turn in a vendor's quota.", Buckets: []float64{0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 15}}, []string{"vendor"})
	t.quotaRefuse = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "custgraph_quota_refusals_total",
		Help: "Calls answered RATE_LIMITED by the gateway because the vendor's quota had no turn in time."}, []string{"vendor"})
	t.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		t.operations, t.shared, t.waiting, t.opDuration, t.calls, t.callLatency, t.quotaWait, t.quotaRefuse)
	return t
}

// SharedAnswer counts a request answered with an identical query's answer
// (inflight.Observer).
func (t *Telemetry) SharedAnswer() { t.shared.Inc() }

// Waiting tracks the requests waiting for an identical query's answer
// (inflight.Observer).
func (t *Telemetry) Waiting(delta int) { t.waiting.Add(float64(delta)) }

// Handler serves the metrics in Prometheus's text format.
func (t *Telemetry) Handler() http.Handler {
	return promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{})
}

// TracerProvider is the provider of the gateway's spans (no-op when
// tracing is off).
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tp }

// Tracing reports whether traces are exported: without, the per-request
// and per-field tracing work is skipped altogether.
func (t *Telemetry) Tracing() bool { return t.tracing }

// StartCall implements httpx.Observer: a client span per vendor call,
// named by its endpoint; no URL query (U8 puts its token there) is ever
// recorded.
func (t *Telemetry) StartCall(ctx context.Context, src customer.Source, method, route string) (context.Context, func(string)) {
	ctx, span := t.tracer.Start(ctx, string(src)+" "+method+" "+route, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("custgraph.vendor", string(src)), attribute.String("http.request.method", method),
			attribute.String("url.path", route)))
	start := time.Now()
	return ctx, func(outcome string) {
		t.calls.WithLabelValues(string(src), route, outcome).Inc()
		t.callLatency.WithLabelValues(string(src), route).Observe(time.Since(start).Seconds())
		span.SetAttributes(attribute.String("custgraph.outcome", outcome))
		if outcome != httpx.OutcomeOK {
			span.SetStatus(codes.Error, outcome)
		}
		span.End()
	}
}

// QuotaWait implements httpx.Observer.
func (t *Telemetry) QuotaWait(src customer.Source, waited time.Duration, refused bool) {
	if refused {
		t.quotaRefuse.WithLabelValues(string(src)).Inc()
		return
	}
	t.quotaWait.WithLabelValues(string(src)).Observe(waited.Seconds())
}

// operationLabel bounds the operation names that get their own series.
func (t *Telemetry) operationLabel(name string) string {
	if name == "" {
		return "(anonymous)"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.names[name] {
		return name
	}
	if len(t.names) >= maxOperationNames {
		return "(other)"
	}
	t.names[name] = true
	return name
}
