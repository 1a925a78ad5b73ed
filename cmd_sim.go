package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// runSim serves the three simulators until ctx ends.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	seed := fs.Uint64("seed", 0, "data set; the same seed gives the same data")
	customers := fs.Int("customers", 0, "records per source (default 300)")
	latency := fs.Duration("latency", 0, "delay added to every vendor answer, e.g. 150ms")
	failRate := fs.Float64("fail-rate", 0, "share of vendor calls (0 to 1) that fail the way the vendor fails")
	crmRate := fs.String("crm-rate-limit", "10/10s", "CRM quota per company as N/duration; 0 or off disables it")
	u8TTL := fs.Duration("u8-token-ttl", 0, "U8 token lifetime (default 7200s)")
	ycmTTL := fs.Duration("ycm-token-ttl", 0, "YCM access token lifetime (default 1800s)")
	dataDir := fs.String("data", "", "directory of u8.json, ycm.json, crm.json (vendor wire records) to serve instead of generated data")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: custgraph sim [flags]\n\nServes the U8, YCM and CRM simulators under /u8, /ycm and /crm, with /_sim/stats, /_sim/reset, /_sim/faults, /_sim/records and /_sim/identities.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage{err.Error()}
	}
	if fs.NArg() > 0 {
		return errUsage{fmt.Sprintf("sim takes no arguments, got %q", fs.Arg(0))}
	}
	if *failRate < 0 || *failRate > 1 {
		return errUsage{"-fail-rate must be from 0 to 1"}
	}
	if *customers < 0 || *latency < 0 {
		return errUsage{"-customers and -latency must not be negative"}
	}
	rate, err := quota.ParseRate(*crmRate)
	if err != nil {
		return errUsage{"-crm-rate-limit: " + err.Error()}
	}
	start := time.Now()
	s, err := sim.Open(sim.Options{Seed: *seed, Customers: *customers, Latency: *latency, FailRate: *failRate,
		CRMRate: rate, U8TokenTTL: *u8TTL, YCMTokenTTL: *ycmTTL, DataDir: *dataDir})
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	built := time.Since(start)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	base := "http://" + ln.Addr().String()
	log.Info("simulators serving", "u8", base+"/u8", "ycm", base+"/ycm", "crm", base+"/crm",
		"stats", base+"/_sim/stats", "crm_rate_limit", rate.String(), "data", *dataDir, "built_in", built.String())
	fmt.Fprintf(stdout, "U8:  %s/u8\nYCM: %s/ycm\nCRM: %s/crm\n", base, base, base)
	return serveUntil(ctx, ln, s, log, defaultTimeouts)
}

// serverTimeouts bound the HTTP server's connections.
type serverTimeouts struct {
	readHeader, read, write, idle time.Duration
	// grace bounds how long requests in flight may take at shutdown.
	grace time.Duration
	// drain, when set, ends the long-lived streams (subscriptions over
	// WebSocket and SSE) at shutdown, within grace and before the server
	// waits for its requests: http.Server.Shutdown neither waits for a
	// hijacked WebSocket nor ends a stream that never returns by itself.
	drain func(context.Context) error
}

// defaultTimeouts are the simulators' (the gateway's come from its
// configuration).
var defaultTimeouts = serverTimeouts{readHeader: 10 * time.Second, idle: 2 * time.Minute, grace: 15 * time.Second}

// serveUntil serves h on ln until ctx ends, then shuts down gracefully:
// it stops accepting and lets requests in flight finish for up to
// to.grace.
func serveUntil(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, to serverTimeouts) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: to.readHeader,
		ReadTimeout:       to.read,
		WriteTimeout:      to.write,
		IdleTimeout:       to.idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "grace", to.grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), to.grace)
	defer cancel()
	if to.drain != nil {
		// New streams are refused from here on (503).
		if err := to.drain(sctx); err != nil {
			log.Warn("shutting down: streams still open at the end of the grace", "err", err)
		}
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
