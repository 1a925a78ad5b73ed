// Package gateway wires custgraph together: from its configuration, the
// guarded vendor clients, the customer service, the GraphQL handler and
// the router of every endpoint, with the shared state (Redis) and the
// telemetry they report to. `custgraph serve`, the tests and the
// benchmarks all build the gateway here, so that they run the one that
// ships.
package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"custgraph/internal/changefeed"
	"custgraph/internal/config"
	"custgraph/internal/customer"
	"custgraph/internal/directory"
	"custgraph/internal/gqlhttp"
	"custgraph/internal/redisstore"
	"custgraph/internal/telemetry"
)

// Deps are what the gateway takes from its process beyond configuration.
type Deps struct {
	// Log receives the gateway's log lines; nil discards them.
	Log *slog.Logger
	// Version names the build in traces.
	Version string
	// Getenv reads the OpenTelemetry variables (OTEL_EXPORTER_OTLP_…);
	// nil reads none (no traces).
	Getenv func(string) string
	// AccessLog, when set, receives the access log's lines, written
	// there directly (cheaper than through Log, whose JSON they match);
	// else Log does.
	AccessLog io.Writer
}

// Gateway is custgraph's gateway, built and running its background work
// (the shared state's probe, the YCM name index) until Close.
type Gateway struct {
	handler     http.Handler
	svc         *customer.Service
	vendors     vendors
	store       *redisstore.Store
	dir         *directory.Directory // nil when off
	feed        *changefeed.Feed     // the directory's changes for subscribers
	streams     *gqlhttp.Streams     // open WebSockets and SSE responses
	stopTracing func(context.Context) error

	stop       context.CancelFunc
	background sync.WaitGroup
}

// New builds the gateway cfg describes and starts its background work. A
// source whose base URL cfg leaves empty is disabled.
func New(cfg *config.Config, d Deps) (*Gateway, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Getenv == nil {
		d.Getenv = func(string) string { return "" }
	}
	g := &Gateway{}
	ok := false
	defer func() {
		if !ok {
			g.Close()
		}
	}()

	// Shared state, when replicas share Redis.
	if cfg.Redis.URL != "" {
		store, err := redisstore.Open(redisstore.Options{URL: cfg.Redis.URL, Timeout: cfg.Redis.Timeout, Log: d.Log.With("component", "redis")})
		if err != nil {
			return nil, err
		}
		g.store = store
	}

	// Traces (when OTEL_EXPORTER_OTLP_ENDPOINT is set) and metrics.
	tp, stopTracing, err := telemetry.StartTracing(context.Background(), d.Getenv, d.Version)
	if err != nil {
		return nil, err
	}
	g.stopTracing = stopTracing
	tel := telemetry.New(tp)

	// The vendors, each behind its guard, and the service over them.
	g.vendors, err = newVendors(cfg, g.store, tel, d.Log)
	if err != nil {
		return nil, err
	}
	tel.WatchVendors(g.vendors.telemetry(), g.store)

	// The directory: the synced copy of every source. Each change its
	// sync sees (on any replica) drops the caches' copies of the record,
	// then reaches the subscribers of this replica.
	g.feed = changefeed.New(changefeed.Options{Buffer: cfg.Subscriptions.Buffer, PerClient: cfg.Subscriptions.PerClient})
	onChange := func(cs []*customer.Change) {
		g.vendors.forget(cs)
		g.feed.Publish(cs)
	}
	if g.dir, err = newDirectory(cfg, g.store, g.vendors, onChange, d.Log); err != nil {
		return nil, err
	}
	so := customer.ServiceOptions{MatchThreshold: cfg.Directory.MatchThreshold}
	if g.dir != nil {
		so.Directory = g.dir
		so.Changes = g.feed
		tel.WatchDirectory(g.dir)
	}
	g.svc = customer.NewService(g.vendors.sources(), so)

	// The endpoints.
	if g.handler, err = g.router(cfg, tel, d.Log, d.AccessLog); err != nil {
		return nil, err
	}
	tel.WatchChanges(g.feed, g.streams)

	// Background work, stopped by Close before what it uses is closed.
	bg, stop := context.WithCancel(context.Background())
	g.stop = stop
	if g.store != nil {
		g.background.Go(func() { g.store.Run(bg) })
	}
	g.background.Go(func() { g.svc.Run(bg) })
	if g.dir != nil {
		g.background.Go(func() { g.dir.Run(bg) })
	}
	ok = true
	return g, nil
}

// Handler serves every endpoint of the contract: /graphql, the IDE at /,
// /healthz, /readyz and /metrics.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Service is the customer service the gateway serves.
func (g *Gateway) Service() *customer.Service { return g.svc }

// Changes is the feed of the directory's changes to this replica's
// subscribers.
func (g *Gateway) Changes() *changefeed.Feed { return g.feed }

// Directory is the gateway's synced copy; nil when the directory is off.
func (g *Gateway) Directory() *directory.Directory { return g.dir }

// Drain ends every subscription (each stream completes) and closes the
// streams that carry them, within ctx: the first step of a graceful
// shutdown, before the HTTP server waits for its requests.
func (g *Gateway) Drain(ctx context.Context) error {
	g.feed.Close()
	return g.streams.Drain(ctx)
}

// Close stops the background work and releases what the gateway holds:
// the connections to Redis and the trace exporter (flushed within 5 s).
func (g *Gateway) Close() error {
	if g.stop != nil {
		g.stop()
	}
	g.background.Wait()
	var err error
	if g.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if e := g.stopTracing(ctx); e != nil {
			err = fmt.Errorf("traces: %w", e)
		}
	}
	if g.dir != nil {
		if e := g.dir.Close(); e != nil && err == nil {
			err = fmt.Errorf("directory: %w", e)
		}
	}
	if g.store != nil {
		if e := g.store.Close(); e != nil && err == nil {
			err = fmt.Errorf("redis: %w", e)
		}
	}
	return err
}

// Statuses reports each source as `sources` and /readyz show it: the
// service's view (enabled, the last call's failure) with its guard's
// circuit.
func (g *Gateway) Statuses() []*customer.SourceStatus {
	return g.svc.Statuses(g.vendors.circuit)
}
