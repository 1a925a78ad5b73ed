package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"custgraph/graph"
	"custgraph/internal/auth"
	"custgraph/internal/config"
	"custgraph/internal/cors"
	"custgraph/internal/customer"
	"custgraph/internal/gqlhttp"
	"custgraph/internal/guard"
	"custgraph/internal/httpx"
	"custgraph/internal/ide"
	"custgraph/internal/inbound"
	"custgraph/internal/inflight"
	"custgraph/internal/loader"
	crmclient "custgraph/internal/provider/crm"
	"custgraph/internal/provider/session"
	u8client "custgraph/internal/provider/u8"
	ycmclient "custgraph/internal/provider/ycm"
	"custgraph/internal/quota"
	"custgraph/internal/shared"
	"custgraph/internal/sim"
	crmsim "custgraph/internal/sim/crm"
	u8sim "custgraph/internal/sim/u8"
	ycmsim "custgraph/internal/sim/ycm"
	"custgraph/internal/telemetry"
)

// serve runs the GraphQL gateway until ctx ends.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	// Configuration: every problem at once, each naming its variable.
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	tuneGC(getenv)

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

	// Background work stops with serve, before what it uses is closed.
	bg, stopBG := context.WithCancel(ctx)
	var background sync.WaitGroup
	var store *shared.Store
	defer func() {
		stopBG()
		background.Wait()
		if store != nil {
			_ = store.Close()
		}
	}()

	// Shared state, when replicas share Redis.
	if cfg.Redis.URL != "" {
		store, err = shared.Open(shared.Options{URL: cfg.Redis.URL, Timeout: cfg.Redis.Timeout, Log: log.With("component", "redis")})
		if err != nil {
			return err
		}
		background.Go(func() { store.Run(bg) })
	}

	// Traces (when OTEL_EXPORTER_OTLP_ENDPOINT is set) and metrics.
	tp, stopTracing, err := telemetry.StartTracing(ctx, getenv, version)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = stopTracing(sctx)
	}()
	tel := telemetry.New(tp)

	// Upstreams, the service and its background work.
	sources, err := buildSources(cfg, store, tel, log)
	if err != nil {
		return err
	}
	tel.WatchVendors(sources, store)
	svc := customer.NewService(sources, customer.ServiceOptions{})
	background.Go(func() { svc.Run(bg) })

	if cfg.DebugAddr != "" {
		if err := startDebug(bg, cfg.DebugAddr, &background, log.With("component", "debug")); err != nil {
			return fmt.Errorf("CUSTGRAPH_DEBUG_ADDR: %w", err)
		}
	}

	// HTTP.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	h, err := newRouter(svc, cfg, store, tel, log)
	if err != nil {
		return err
	}
	log.Info("custgraph serving", "addr", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	fmt.Fprintf(stdout, "custgraph: GraphQL IDE at http://%s/\n", ln.Addr())
	e := cfg.Edge
	return serveUntil(ctx, ln, h, log, serverTimeouts{readHeader: e.ReadHeaderTimeout, read: e.ReadTimeout,
		write: e.WriteTimeout, idle: e.IdleTimeout, grace: e.ShutdownGrace})
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
}

// buildSources makes one client per configured upstream, each with its
// own tuned HTTP client paced to the vendor's quota, behind a guard
// (cache, coalescing, retries, circuit breaker). With a store, quotas,
// credentials and the cache are shared with the other replicas. An
// unconfigured upstream stays nil (disabled).
func buildSources(cfg *config.Config, store *shared.Store, obs httpx.Observer, log *slog.Logger) (customer.Sources, error) {
	var s customer.Sources
	r := cfg.Resilience
	httpClient := func(src customer.Source, t config.Tuning, throttled func(*http.Response) bool) *http.Client {
		o := httpx.ClientOptions{Timeout: t.Timeout, MaxConns: t.MaxConns, Source: src, MaxWait: r.QuotaMaxWait,
			Observer: obs, Throttled: throttled}
		switch {
		case t.RateLimit.Off || t.RateLimit.N <= 0:
		case store != nil:
			o.Limiter = shared.NewLimiter(store, strings.ToLower(string(src)), t.RateLimit, cfg.Redis.Replicas)
		default:
			o.Limiter = quota.NewWindow(t.RateLimit, nil)
		}
		return httpx.NewClient(o)
	}
	credential := func(src customer.Source, identity ...string) session.Shared {
		if store == nil {
			return nil
		}
		return shared.NewCredential(store, strings.ToLower(string(src)), strings.Join(identity, "\x00"))
	}
	guarded := func(t config.Tuning) guard.Options {
		retries := r.Retries
		if retries == 0 {
			retries = -1 // guard's zero is its default
		}
		o := guard.Options{Retries: retries, RetryBudget: r.RetryBudget, BreakerFailures: r.BreakerFailures, BreakerOpen: r.BreakerOpen,
			CacheTTL: t.CacheTTL, CacheSize: r.CacheSize, Log: log}
		if store != nil {
			o.Remote = shared.NewCache(store)
		}
		return o
	}
	if c := cfg.U8; c.Enabled() {
		u8, err := u8client.New(u8client.Config{BaseURL: c.BaseURL, FromAccount: c.FromAccount,
			ToAccount: c.ToAccount, AppKey: c.AppKey, AppSecret: c.AppSecret, DSSequence: c.DSSequence,
			HTTPClient: httpClient(customer.U8, c.Tuning, nil), Shared: credential(customer.U8, c.BaseURL, c.FromAccount, c.ToAccount, c.AppKey)})
		if err != nil {
			return s, err
		}
		s.U8 = guard.U8(u8, guarded(c.Tuning))
	}
	if c := cfg.YCM; c.Enabled() {
		ycm, err := ycmclient.New(ycmclient.Config{BaseURL: c.BaseURL, ClientID: c.ClientID,
			ClientSecret: c.ClientSecret, HTTPClient: httpClient(customer.YCM, c.Tuning, nil),
			Shared: credential(customer.YCM, c.BaseURL, c.ClientID)})
		if err != nil {
			return s, err
		}
		s.YCM = guard.YCM(ycm, guarded(c.Tuning))
	}
	if c := cfg.CRM; c.Enabled() {
		crm, err := crmclient.New(crmclient.Config{BaseURL: c.BaseURL, Login: c.Login,
			Password: c.Password, CorpID: c.CorpID, HTTPClient: httpClient(customer.CRM, c.Tuning, crmclient.Throttled),
			Shared: credential(customer.CRM, c.BaseURL, c.Login, c.CorpID)})
		if err != nil {
			return s, err
		}
		s.CRM = guard.CRM(crm, guarded(c.Tuning))
	}
	return s, nil
}

// newRouter mounts the endpoints of the contract.
func newRouter(svc *customer.Service, cfg *config.Config, store *shared.Store, tel *telemetry.Telemetry, log *slog.Logger) (http.Handler, error) {
	e := cfg.Edge
	authn, err := newAuthenticator(e, log)
	if err != nil {
		return nil, err
	}
	logError := func(ctx context.Context, err error) {
		// Every error reaching here is redacted at its source (httpx);
		// the request ID ties it to the client's "internal error".
		log.LogAttrs(ctx, slog.LevelWarn, "graphql error", slog.String("request_id", middleware.GetReqID(ctx)),
			slog.String("err", httpx.RedactText(err.Error())))
	}
	gql := graph.NewHandler(&graph.Resolver{Service: svc, SelfDefineLabels: cfg.SelfDefineLabels},
		graph.HandlerOptions{Introspection: e.Introspection, NoFederationSDL: !e.FederationSDL, LogError: logError, Limits: cfg.Limits,
			// Persisted queries live a day unused; in Redis when replicas share it.
			PersistedQueries: shared.NewPersistedQueries(store, 1000, 24*time.Hour)})
	gql.SetDisableSuggestion(!e.FieldSuggestions)
	gql.Use(tel.GraphQL())

	r := chi.NewRouter()
	r.Use(middleware.RequestID, inbound.AccessLog(log), inbound.Recoverer(log))
	// Open: probes must work without credentials.
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(readiness(svc, store))
	})
	switch e.Metrics {
	case "open":
		r.Handle("/metrics", tel.Handler())
	case "auth":
		r.With(authn.Middleware).Handle("/metrics", tel.Handler())
	}
	if e.IDE {
		// GraphiQL served from the binary (no CDN). The page is static;
		// its queries go to /graphql with the same credentials as any
		// client's (its headers editor).
		page := ide.Handler()
		r.Handle("/", page)
		r.Handle(ide.Prefix+"*", page)
	}
	// /graphql: CORS outside authentication (preflights carry no
	// credentials, and a browser must be able to read a 401), then the
	// per-client rate (so that nobody unknown or over the rate makes us
	// read a large body), the body limits, the whole-request deadline and
	// the loaders. Depth, alias, cost and token limits act in the handler,
	// after parsing and before execution.
	chain := []func(http.Handler) http.Handler{cors.New(e.CORSOrigins), authn.Middleware, inbound.NotePrincipal,
		inbound.ClientRate(e.ClientRate, e.ClientRateBy == config.ClientRateByAddress, e.ClientAddressHeader),
		gqlhttp.Reader{MaxBodyBytes: cfg.Limits.MaxBodyBytes}.Middleware, inbound.Deadline(e.RequestTimeout, cfg.Resilience.RetryBudget)}
	if e.ShareInFlight {
		// After the client's identity, rate and limits (each request
		// counts and is checked) and within its deadline (waiting for
		// another's answer counts).
		chain = append(chain, inflight.Middleware(sharingKey, tel))
	}
	chain = append(chain, loader.Middleware(svc, loader.Options{}))
	r.With(chain...).Handle("/graphql", gql)
	if !tel.Tracing() {
		// otelhttp with no exporter still wrapped every request and its
		// writer, a tenth of a small query's CPU.
		return r, nil
	}
	// The inbound span of every request, named by its route; the trace
	// context of a caller (a federated gateway) is continued.
	return otelhttp.NewHandler(r, "custgraph", otelhttp.WithTracerProvider(tel.TracerProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path })), nil
}

// sharingKey is a GraphQL request's identity for inflight: its client,
// and its request as gqlhttp.Reader read and decoded it.
func sharingKey(r *http.Request) (string, bool) {
	req := gqlhttp.RequestOf(r)
	if req == nil {
		return "", false
	}
	return inflight.Key(r, auth.Principal(r.Context()), req.Params.Query, req.Body)
}

// newAuthenticator builds client authentication from the configuration;
// its errors name the variables, never a key or secret.
func newAuthenticator(e config.Edge, log *slog.Logger) (*auth.Authenticator, error) {
	o := auth.Options{APIKeys: e.APIKeys, OnFailure: func(r *http.Request, err error) {
		log.LogAttrs(r.Context(), slog.LevelInfo, "authentication refused",
			slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("reason", err.Error()))
	}}
	if e.JWTSecret != "" || e.JWKSFile != "" {
		o.JWT = &auth.JWTOptions{HS256Secret: []byte(e.JWTSecret), JWKSFile: e.JWKSFile, Issuer: e.JWTIssuer,
			Audience: e.JWTAudience, Leeway: 30 * time.Second}
	}
	a, err := auth.New(o)
	if err != nil {
		return nil, fmt.Errorf("client authentication (CUSTGRAPH_API_KEYS, CUSTGRAPH_JWT_*): %w", err)
	}
	return a, nil
}

type readyReport struct {
	Status  string         `json:"status"`
	Sources []sourceReport `json:"sources"`
	Redis   shared.Status  `json:"redis"`
}

type sourceReport struct {
	Source    string `json:"source"`
	Enabled   bool   `json:"enabled"`
	Healthy   bool   `json:"healthy"`
	Circuit   string `json:"circuit"`
	LastError string `json:"lastError,omitempty"`
}

// readiness reports each source and Redis. The gateway is ready while it
// serves: a failing vendor degrades answers (partial results) and a
// failing Redis sends it to local state, but neither must take the gateway
// out of a load balancer's rotation.
func readiness(svc *customer.Service, store *shared.Store) readyReport {
	rep := readyReport{Status: "ok", Redis: store.Status()}
	for _, st := range svc.Statuses() {
		sr := sourceReport{Source: string(st.Source), Enabled: st.Enabled, Healthy: st.Healthy, Circuit: st.Circuit}
		if st.LastError != nil {
			sr.LastError = *st.LastError
		}
		rep.Sources = append(rep.Sources, sr)
	}
	return rep
}

// gcPercent is serve's GOGC when the environment sets none. The live heap
// is small (tens of MiB: caches and sessions) while every request
// allocates its answer, so Go's default of 100 spent about a sixth of the
// CPU of a list query collecting; 400 costs a few tens of MiB of heap.
const gcPercent = 400

// tuneGC applies gcPercent unless GOGC is set (the runtime has then
// applied it already). GOMEMLIMIT, when set, still bounds the heap.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
