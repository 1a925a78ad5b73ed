package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"

	"custgraph/internal/config"
	"custgraph/internal/gateway"
	"custgraph/internal/sim"
	crmsim "custgraph/internal/sim/crm"
	u8sim "custgraph/internal/sim/u8"
	ycmsim "custgraph/internal/sim/ycm"
)

// serve runs the GraphQL gateway until ctx ends. It prints the address it
// bound (CUSTGRAPH_ADDR may ask for port 0) as "custgraph: GraphQL IDE at
// http://ADDR/" on stdout, its first line, for scripts and tests.
func serve(ctx context.Context, environ []string, stdout, stderr io.Writer) error {
	getenv := getenvOf(environ)
	// Configuration: every problem at once, each naming its variable.
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	// A misspelt variable is otherwise ignored without a word (a
	// misspelt base URL would start demo mode).
	for _, msg := range config.Unknown(environ) {
		log.Warn(msg)
	}
	stopGC := tuneGC(ctx, getenv)
	defer stopGC()

	// Demo mode: the simulators run in-process on a loopback port and the
	// gateway uses them exactly as it would use the vendors.
	if cfg.DemoMode() {
		base, stopSim, err := startDemoSim(ctx, log)
		if err != nil {
			return fmt.Errorf("demo mode: %w", err)
		}
		defer stopSim()
		useDemo(cfg, base)
		log.Info("demo mode: serving the built-in U8, YCM and CRM simulators", "simulators", base)
	}
	log.Info("configuration", "config", cfg.String())

	// The gateway and its background work, stopped before serve returns.
	gw, err := gateway.New(cfg, gateway.Deps{Log: log, Version: version, Getenv: getenv, AccessLog: stderr})
	if err != nil {
		return err
	}
	defer gw.Close()

	var debugServer sync.WaitGroup
	if cfg.DebugAddr != "" {
		dctx, stopDebug := context.WithCancel(ctx)
		defer func() { stopDebug(); debugServer.Wait() }()
		if err := startDebug(dctx, cfg.DebugAddr, &debugServer, log.With("component", "debug")); err != nil {
			return fmt.Errorf("CUSTGRAPH_DEBUG_ADDR: %w", err)
		}
	}

	// HTTP.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("custgraph serving", "addr", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	fmt.Fprintf(stdout, "custgraph: GraphQL IDE at http://%s/\n", ln.Addr())
	e := cfg.Edge
	return serveUntil(ctx, ln, gw.Handler(), log, serverTimeouts{readHeader: e.ReadHeaderTimeout, read: e.ReadTimeout,
		write: e.WriteTimeout, idle: e.IdleTimeout, grace: e.ShutdownGrace, drain: gw.Drain})
}

// getenvOf reads a variable of environ ("NAME=value" entries; the last of
// a name wins, as in a process's environment).
func getenvOf(environ []string) func(string) string {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return func(name string) string { return vars[name] }
}

// startDemoSim serves the simulators on a free loopback port. The CRM
// quota stays on, as in real life.
func startDemoSim(ctx context.Context, log *slog.Logger) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := serveUntil(ctx, ln, sim.New(sim.Options{}), log.With("component", "sim"), defaultTimeouts); err != nil {
			log.Error("simulators stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

// useDemo points every source at the simulators with their demo
// credentials; the tuning (quotas, timeouts, caches) stays as configured.
func useDemo(cfg *config.Config, base string) {
	cfg.U8 = config.U8{BaseURL: base + "/u8", FromAccount: u8sim.DemoFromAccount, ToAccount: u8sim.DemoToAccount,
		AppKey: u8sim.DemoAppKey, AppSecret: u8sim.DemoAppSecret, Tuning: cfg.U8.Tuning}
	cfg.YCM = config.YCM{BaseURL: base + "/ycm", ClientID: ycmsim.DemoClientID, ClientSecret: ycmsim.DemoClientSecret, Tuning: cfg.YCM.Tuning}
	cfg.CRM = config.CRM{BaseURL: base + "/crm", Login: crmsim.DemoLogin, Password: crmsim.DemoPassword, Tuning: cfg.CRM.Tuning}
	// Demo mode for good: with the base URLs set, "auto" would now read
	// as production, and the directory would persist the simulators'
	// data under ./data (demo mode keeps it in memory).
	cfg.Demo = config.DemoOn
}
