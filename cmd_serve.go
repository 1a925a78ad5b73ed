package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"custgraph/graph"
	"custgraph/internal/config"
	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/loader"
	crmclient "custgraph/internal/provider/crm"
	u8client "custgraph/internal/provider/u8"
	ycmclient "custgraph/internal/provider/ycm"
	"custgraph/internal/sim"
	crmsim "custgraph/internal/sim/crm"
	u8sim "custgraph/internal/sim/u8"
	ycmsim "custgraph/internal/sim/ycm"
)

// serve runs the GraphQL gateway until ctx ends.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	// Configuration: every problem at once, each naming its variable.
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))

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

	// Upstreams, the service and its background work.
	sources, err := buildSources(cfg)
	if err != nil {
		return err
	}
	svc := customer.NewService(sources, customer.ServiceOptions{})
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go svc.Run(bg)

	// HTTP.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	h := newRouter(svc, cfg, log)
	log.Info("custgraph serving", "addr", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	fmt.Fprintf(stdout, "custgraph: GraphQL IDE at http://%s/\n", ln.Addr())
	return serveUntil(ctx, ln, h, log)
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
		if err := serveUntil(ctx, ln, sim.New(sim.Options{}), log.With("component", "sim")); err != nil {
			log.Error("simulators stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

// useDemo points every source at the simulators with their demo
// credentials.
func useDemo(cfg *config.Config, base string) {
	cfg.U8 = config.U8{BaseURL: base + "/u8", FromAccount: u8sim.DemoFromAccount, ToAccount: u8sim.DemoToAccount,
		AppKey: u8sim.DemoAppKey, AppSecret: u8sim.DemoAppSecret}
	cfg.YCM = config.YCM{BaseURL: base + "/ycm", ClientID: ycmsim.DemoClientID, ClientSecret: ycmsim.DemoClientSecret}
	cfg.CRM = config.CRM{BaseURL: base + "/crm", Login: crmsim.DemoLogin, Password: crmsim.DemoPassword}
}

// buildSources makes one client per configured upstream; an unconfigured
// one stays nil (disabled).
func buildSources(cfg *config.Config) (customer.Sources, error) {
	var s customer.Sources
	if cfg.U8.Enabled() {
		c, err := u8client.New(u8client.Config{BaseURL: cfg.U8.BaseURL, FromAccount: cfg.U8.FromAccount,
			ToAccount: cfg.U8.ToAccount, AppKey: cfg.U8.AppKey, AppSecret: cfg.U8.AppSecret,
			DSSequence: cfg.U8.DSSequence, HTTPClient: httpx.NewClient(httpx.ClientOptions{})})
		if err != nil {
			return s, err
		}
		s.U8 = c
	}
	if cfg.YCM.Enabled() {
		c, err := ycmclient.New(ycmclient.Config{BaseURL: cfg.YCM.BaseURL, ClientID: cfg.YCM.ClientID,
			ClientSecret: cfg.YCM.ClientSecret, HTTPClient: httpx.NewClient(httpx.ClientOptions{})})
		if err != nil {
			return s, err
		}
		s.YCM = c
	}
	if cfg.CRM.Enabled() {
		c, err := crmclient.New(crmclient.Config{BaseURL: cfg.CRM.BaseURL, Login: cfg.CRM.Login,
			Password: cfg.CRM.Password, CorpID: cfg.CRM.CorpID, HTTPClient: httpx.NewClient(httpx.ClientOptions{})})
		if err != nil {
			return s, err
		}
		s.CRM = c
	}
	return s, nil
}

// newRouter mounts the endpoints of the contract.
func newRouter(svc *customer.Service, cfg *config.Config, log *slog.Logger) http.Handler {
	logError := func(ctx context.Context, err error) {
		// Every error reaching here is redacted at its source (httpx);
		// the request ID ties it to the client's "internal error".
		log.LogAttrs(ctx, slog.LevelWarn, "graphql error", slog.String("request_id", middleware.GetReqID(ctx)),
			slog.String("err", httpx.RedactText(err.Error())))
	}
	gql := graph.NewHandler(&graph.Resolver{Service: svc, SelfDefineLabels: cfg.SelfDefineLabels},
		graph.HandlerOptions{Introspection: true, LogError: logError})

	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer)
	r.With(loader.Middleware(svc, loader.Options{})).Handle("/graphql", gql)
	r.Get("/", playground.Handler("custgraph", "/graphql"))
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(readiness(svc))
	})
	return r
}

type readyReport struct {
	Status  string         `json:"status"`
	Sources []sourceReport `json:"sources"`
}

type sourceReport struct {
	Source    string `json:"source"`
	Enabled   bool   `json:"enabled"`
	Healthy   bool   `json:"healthy"`
	Circuit   string `json:"circuit"`
	LastError string `json:"lastError,omitempty"`
}

// readiness reports each source. The gateway is ready while it serves: a
// failing vendor degrades answers (partial results) but must not take the
// gateway out of a load balancer's rotation.
func readiness(svc *customer.Service) readyReport {
	rep := readyReport{Status: "ok"}
	for _, st := range svc.Statuses() {
		sr := sourceReport{Source: string(st.Source), Enabled: st.Enabled, Healthy: st.Healthy, Circuit: st.Circuit}
		if st.LastError != nil {
			sr.LastError = *st.LastError
		}
		rep.Sources = append(rep.Sources, sr)
	}
	return rep
}
