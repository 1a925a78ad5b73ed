// Package limits measures a GraphQL document and refuses an operation over
// a bound before any upstream call is made:
//
//   - at parse time (Options.MaxTokens, applied by the handler through
//     gqlgen's SetParserTokenLimit): the number of tokens of the query;
//   - after validation, before execution (Extension, a gqlgen handler
//     extension): the operation definitions of the document, and the
//     selected operation's depth, aliases and cost (Measure).
//
// Every refusal is a GraphQL-shaped error, {"errors":[{"message",
// "extensions":{"code"}}]}, whose message states the limit and, where it
// is known, the request's actual value. What the HTTP request may be (its
// body's size, a batch, a body that is no request) is internal/gqlhttp's.
package limits

import (
	"errors"
	"fmt"
)

// Error codes (extensions.code) of the refusals.
const (
	// CodeTooManyOperations: the document holds more than MaxOperations
	// operation definitions.
	CodeTooManyOperations = "TOO_MANY_OPERATIONS"
	// CodeTooDeep: the operation nests fields deeper than MaxDepth.
	CodeTooDeep = "QUERY_TOO_DEEP"
	// CodeTooManyAliases: the operation has more than MaxAliases aliases.
	CodeTooManyAliases = "TOO_MANY_ALIASES"
	// CodeTooComplex: the operation costs more than MaxCost.
	CodeTooComplex = "QUERY_TOO_COMPLEX"
)

// Options are the bounds of one request. A zero field turns its limit off,
// like the zero Options as a whole: use Defaults and override.
type Options struct {
	// MaxDepth bounds how deeply fields nest in the operation, fragments
	// expanded; a root field is at depth 1. Introspection (__schema,
	// __type) does not count: it is answered from memory, and gqlparser's
	// MaxIntrospectionDepth rule already bounds it.
	MaxDepth int
	// MaxAliases bounds the fields whose alias differs from their name,
	// fragments expanded.
	MaxAliases int
	// MaxCost bounds the operation's cost (Measure, with the schema's
	// CostModel).
	MaxCost int
	// MaxTokens bounds the tokens of the query text; the parser stops at
	// the first token over it (GRAPHQL_PARSE_FAILED), so a huge query
	// costs no more than MaxTokens tokens of parsing and no validation.
	MaxTokens int
	// MaxOperations bounds the operation definitions of one request. A
	// request executes exactly one operation (gqlgen has no batching: a
	// JSON array of operations is always refused, whatever this says), but
	// its document may hold several, the one to run named by
	// operationName, as GraphiQL sends a whole editor; every one of them
	// is parsed and validated.
	MaxOperations int
}

// Defaults returns the limits custgraph runs with unless configured.
func Defaults() Options {
	return Options{
		// The deepest useful selection of the schema is 8 levels:
		// customers → edges → node → matches → crm → contacts → address →
		// tel. 10 leaves room for a matches of matches; past that a query
		// only asks the same customers again.
		MaxDepth: 10,
		// Aliases put several lookups side by side (customer(id: …) a few
		// times); customersByIds is the way to ask for many. 30 is
		// generous for hand-written and generated queries alike, and stops
		// a flood of aliased lookups that each cost an upstream call.
		MaxAliases: 30,
		// With the schema's cost model (graph.CostModel: 1 per field, 10
		// per upstream call) the README's queries cost under 100 and a
		// page of 100 customers with their matches about 2700; matches of
		// matches under a page of 100 cost about 6800 and are refused.
		MaxCost: 5000,
		// GraphiQL's introspection query, the largest a client sends
		// unasked, is under 200 tokens, a hand-written query far fewer;
		// 3000 leaves fifteen times that,
		// while keeping parsing and validation (whose overlapping-fields
		// rule is quadratic) of a hostile query short.
		MaxTokens: 3000,
		// GraphiQL sends every operation of its editor with the one to
		// run named; 10 is more than a tab holds in practice.
		MaxOperations: 10,
	}
}

// Validate reports a negative limit (zero turns a limit off).
func (o Options) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"MaxDepth", int64(o.MaxDepth)}, {"MaxAliases", int64(o.MaxAliases)}, {"MaxCost", int64(o.MaxCost)},
		{"MaxTokens", int64(o.MaxTokens)}, {"MaxOperations", int64(o.MaxOperations)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("limits: %s must be 0 (off) or more, not %d", f.name, f.v))
		}
	}
	return errors.Join(errs...)
}

// checksOperation reports whether any limit of the Extension is on.
func (o Options) checksOperation() bool {
	return o.MaxDepth > 0 || o.MaxAliases > 0 || o.MaxCost > 0 || o.MaxOperations > 0
}
