// Package graph is custgraph's GraphQL adapter: the schema (*.graphqls),
// the code gqlgen generates from it, resolvers of one to three lines, and
// the one error presenter. It makes no HTTP calls and decodes no JSON: the
// work lives in internal/customer and internal/loader.
package graph

//go:generate go run github.com/99designs/gqlgen generate

import "custgraph/internal/customer"

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Service *customer.Service
	// SelfDefineLabels names U8's self-defined fields (index → label).
	SelfDefineLabels map[int]string
}
