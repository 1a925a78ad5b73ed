package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"custgraph/internal/gqlhttp"
	"custgraph/internal/limits"
)

// HandlerOptions configures the GraphQL endpoint.
type HandlerOptions struct {
	// Introspection allows __schema and __type queries (on in demo mode).
	Introspection bool
	// NoFederationSDL refuses _service (the SDL a federation router
	// composes from), for deployments that publish their schema another
	// way. _service answers by default, with introspection off too.
	NoFederationSDL bool
	// LogError receives every error that is not shown to the client in
	// full (internal errors, panics) and every upstream failure.
	LogError func(ctx context.Context, err error)
	// PersistedQueries, when set, enables automatic persisted queries
	// (a client sends a query's SHA-256 hash; the full query once, on
	// PERSISTED_QUERY_NOT_FOUND) stored there.
	PersistedQueries graphql.Cache[string]
	// Limits bound each operation before it runs: the parser's token
	// limit, and the operations, depth, aliases and cost of the document
	// (CostModel prices the fields). Zero fields are off, so the zero
	// value checks nothing: production passes limits.Defaults() or its
	// configuration. The HTTP-level bounds (the body's size, batches,
	// malformed bodies) are gqlhttp's Reader: the transport's own, and a
	// Reader.Middleware the router mounts in front of this handler.
	Limits limits.Options
	// MaxBodyBytes bounds a request's body when no gqlhttp.Reader
	// middleware read it before the handler (0: no bound).
	MaxBodyBytes int64
	// Streams, when set, serves subscriptions (and queries and
	// mutations) over WebSocket and Server-Sent Events, with those
	// streams' lifetimes and drain; without it a subscription is refused.
	Streams *gqlhttp.Streams
	// NoCompiled turns the compiled writer off (compiled.go): gqlgen's
	// generated executor then marshals every value, as it did before
	// issue 18. It is on by default; off is for comparing the two.
	NoCompiled bool
	// Plans is the compiled writer's cache and counters, for the caller
	// to report; nil: the handler makes its own.
	Plans *Plans
}

// NewHandler returns the GraphQL-over-HTTP handler for the schema, with
// the transports added explicitly (OPTIONS and HEAD by gqlgen's, GET and
// POST by gqlhttp.Transport, which follows the GraphQL-over-HTTP spec's
// media types and status codes, anything else refused by
// gqlhttp.Unsupported), the limits of o.Limits and the one error
// presenter.
//
// It sets r's compiled writer (compiled.go): r serves one handler.
func NewHandler(r *Resolver, o HandlerOptions) *handler.Server {
	r.plans = nil
	if !o.NoCompiled {
		r.plans = o.Plans
		if r.plans == nil {
			r.plans = NewPlans()
		}
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r}))
	srv.AddTransport(transport.Options{})
	if o.Streams != nil {
		// Before the plain transport, which takes every GET and POST.
		srv.AddTransport(o.Streams.WebSocket())
		srv.AddTransport(gqlhttp.SSE{Streams: o.Streams})
	}
	srv.AddTransport(gqlhttp.Transport{MaxTokens: o.Limits.MaxTokens, Reader: gqlhttp.Reader{MaxBodyBytes: o.MaxBodyBytes}})
	srv.AddTransport(gqlhttp.Unsupported{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	useLimits(srv, o.Limits)
	srv.Use(gate{Introspection: o.Introspection, SDL: !o.NoFederationSDL})
	if o.PersistedQueries != nil {
		srv.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: o.PersistedQueries}})
	}
	srv.SetErrorPresenter(PresentError(o.LogError))
	srv.SetRecoverFunc(Recover(o.LogError))
	return srv
}

// persistedQueries is gqlgen's automatic persisted queries with a code on
// every refusal: gqlgen gives one to PERSISTED_QUERY_NOT_FOUND only, so a
// hash that does not match its query, an unknown version or a malformed
// extension reached clients without extensions.code.
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, raw)
	if err != nil && err.Extensions["code"] == nil {
		errcode.Set(err, gqlhttp.CodeBadRequest)
	}
	return err
}
