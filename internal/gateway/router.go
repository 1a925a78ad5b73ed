package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"custgraph/graph"
	"custgraph/internal/auth"
	"custgraph/internal/config"
	"custgraph/internal/cors"
	"custgraph/internal/gqlhttp"
	"custgraph/internal/ide"
	"custgraph/internal/inbound"
	"custgraph/internal/inflight"
	"custgraph/internal/loader"
	"custgraph/internal/redact"
	"custgraph/internal/redisstore"
	"custgraph/internal/telemetry"
)

// router mounts the endpoints of the contract.
func (g *Gateway) router(cfg *config.Config, tel *telemetry.Telemetry, log *slog.Logger, accessLog io.Writer) (http.Handler, error) {
	e := cfg.Edge
	authn, err := newAuthenticator(e, log)
	if err != nil {
		return nil, err
	}
	logError := func(ctx context.Context, err error) {
		// Every error reaching here is redacted at its source (redact);
		// the request ID ties it to the client's "internal error".
		log.LogAttrs(ctx, slog.LevelWarn, "graphql error", slog.String("request_id", middleware.GetReqID(ctx)),
			slog.String("err", redact.Text(err.Error())))
	}
	sub := cfg.Subscriptions
	g.streams = gqlhttp.NewStreams(gqlhttp.StreamOptions{KeepAlive: sub.KeepAlive, InitTimeout: sub.InitTimeout,
		IdleTimeout: sub.IdleTimeout, MaxLifetime: sub.MaxLifetime,
		Reader: gqlhttp.Reader{MaxBodyBytes: e.MaxBodyBytes}, Expiry: auth.Expiry,
		Authenticate: func(ctx context.Context, h http.Header) (context.Context, error) {
			ctx, err := authn.CheckHeaders(ctx, h)
			if err != nil {
				log.LogAttrs(ctx, slog.LevelInfo, "authentication refused", slog.String("request_id", middleware.GetReqID(ctx)),
					slog.String("transport", "websocket connection_init"), slog.String("reason", err.Error()))
			}
			return ctx, err
		}})
	plans := graph.NewPlans()
	tel.WatchCompiled(func() (uint64, uint64) { return plans.Compiled.Load(), plans.General.Load() })
	gql := graph.NewHandler(&graph.Resolver{Service: g.svc, Statuses: g.Statuses, SelfDefineLabels: cfg.SelfDefineLabels},
		graph.HandlerOptions{NoCompiled: !e.Compiled, Plans: plans, Introspection: e.Introspection, NoFederationSDL: !e.FederationSDL, LogError: logError, Limits: cfg.Limits, MaxBodyBytes: e.MaxBodyBytes,
			// Persisted queries live a day unused; in Redis when replicas share it.
			PersistedQueries: redisstore.NewPersistedQueries(g.store, 1000, 24*time.Hour), Streams: g.streams})
	gql.SetDisableSuggestion(!e.FieldSuggestions)
	gql.Use(tel.GraphQL())
	// A query or mutation over a stream gets the request timeout its
	// stream, which lives long, cannot have.
	gql.Use(gqlhttp.OperationDeadline{Timeout: e.RequestTimeout})
	// Each event of a subscription is resolved with loaders of its own:
	// the connection's would cache records for as long as it lives.
	loaders := loader.Options{Known: known{g.vendors, g.svc, g.dir}}
	gql.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Subscription {
			ctx = loader.WithLoaders(ctx, loader.New(g.svc, loaders))
		}
		return next(ctx)
	})

	r := chi.NewRouter()
	r.Use(middleware.RequestID, inbound.AccessLogWith(inbound.AccessLogOptions{Every: e.AccessLog, Out: accessLog, Log: log}), inbound.Recoverer(log))
	// Open: probes must work without credentials.
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(g.readiness())
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
	// read a large body), the reading of the request (its size bounded),
	// the whole-request deadline and the loaders. Depth, alias, cost and
	// token limits act in the handler, after parsing and before execution.
	//
	// A stream (a WebSocket, an SSE response) has its Origin checked
	// against the same list (browsers open WebSockets cross-site), no
	// whole-request deadline and no sharing: it lives as long as its
	// subscription, and Streams bounds it.
	chain := []func(http.Handler) http.Handler{cors.New(e.CORSOrigins), cors.WebSocketOrigins(e.CORSOrigins, gqlhttp.WriteError),
		// The client's address is kept for the per-client cap of
		// subscriptions only: no other request pays for it.
		authn.Middleware, inbound.NotePrincipal, onStreams(true, inbound.NoteClient(e.ClientAddressHeader)),
		inbound.ClientRate(e.ClientRate, e.ClientRateBy == config.ClientRateByAddress, e.ClientAddressHeader),
		gqlhttp.Reader{MaxBodyBytes: e.MaxBodyBytes}.Middleware, onStreams(false, inbound.Deadline(e.RequestTimeout, cfg.Resilience.RetryBudget))}
	if e.ShareInFlight {
		// After the client's identity, rate and limits (each request
		// counts and is checked) and within its deadline (waiting for
		// another's answer counts).
		chain = append(chain, onStreams(false, inflight.Middleware(sharingKey, tel)))
	}
	chain = append(chain, loader.Middleware(g.svc, loaders), g.streams.Middleware)
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

// onStreams applies mw to the streams (stream true: WebSocket upgrades,
// POSTs that accept text/event-stream) or to every other request.
func onStreams(stream bool, mw func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		wrapped := mw(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if gqlhttp.IsStream(r) == stream {
				wrapped.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
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
	Status  string            `json:"status"`
	Sources []sourceReport    `json:"sources"`
	Redis   redisstore.Status `json:"redis"`
}

type sourceReport struct {
	Source    string `json:"source"`
	Enabled   bool   `json:"enabled"`
	Healthy   bool   `json:"healthy"`
	Circuit   string `json:"circuit"`
	LastError string `json:"lastError,omitempty"`
	// Directory is the directory's copy of the source (absent when the
	// directory is off).
	Directory *directoryReport `json:"directory,omitempty"`
}

type directoryReport struct {
	State        string     `json:"state"`
	Records      int        `json:"records"`
	LastSyncedAt *time.Time `json:"lastSyncedAt,omitempty"`
	LagSeconds   *float64   `json:"lagSeconds,omitempty"`
}

// readiness reports each source (with its directory copy) and Redis. The
// gateway is ready while it serves: a failing vendor degrades answers
// (partial results), a failing Redis sends it to local state, and a
// directory still syncing answers its own fields with a clear error, but
// none of them must take the gateway out of a load balancer's rotation.
func (g *Gateway) readiness() readyReport {
	rep := readyReport{Status: "ok", Redis: g.store.Status()}
	for _, st := range g.Statuses() {
		sr := sourceReport{Source: string(st.Source), Enabled: st.Enabled, Healthy: st.Healthy, Circuit: st.Circuit}
		if st.LastError != nil {
			sr.LastError = *st.LastError
		}
		if ds := st.Directory; ds != nil && st.Enabled {
			sr.Directory = &directoryReport{State: ds.State, Records: ds.Records, LastSyncedAt: ds.LastSyncedAt, LagSeconds: ds.LagSeconds}
		}
		rep.Sources = append(rep.Sources, sr)
	}
	return rep
}
