// Package graph is custgraph's GraphQL adapter: the schema (*.graphqls),
// the code gqlgen generates from it, resolvers of one to three lines, the
// one error presenter, and the compiled writer of customer pages
// (compiled.go). It makes no HTTP calls and decodes no JSON: the
// work lives in internal/customer and internal/loader.
package graph

//go:generate go run ../internal/generate

import "custgraph/internal/customer"

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Service *customer.Service
	// Statuses reports each source for `sources`: the service's view with
	// its circuit, which the gateway's guards hold. Nil: the service's
	// view alone.
	Statuses func() []*customer.SourceStatus
	// SelfDefineLabels names U8's self-defined fields (index → label).
	SelfDefineLabels map[int]string

	// plans is the compiled writer's cache (compiled.go), set by
	// NewHandler; nil: gqlgen's executor marshals every value.
	plans *Plans
}

// statuses is `sources`: Statuses when the gateway gave one.
func (r *Resolver) statuses() []*customer.SourceStatus {
	if r.Statuses != nil {
		return r.Statuses()
	}
	return r.Service.Statuses(nil)
}
