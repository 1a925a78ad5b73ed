package graph

import (
	"reflect"

	"github.com/99designs/gqlgen/graphql/handler"

	"custgraph/internal/limits"
)

// The cost model's weights. A field read from what is already loaded costs
// 1, as in gqlgen's default complexity; a field that makes upstream calls
// costs upstreamCall more per call it may make, because that is what the
// limits protect: the vendors' quotas (the CRM's is 10 calls per 10 s for
// the whole company) and the time a request holds them. The dataloaders
// merge equal keys and names within a request, so real calls are often
// fewer: the model prices the worst case of distinct records.
const (
	upstreamCall = 10
	// maxFirst is customers' largest page; a larger `first` is refused by
	// the resolver as BAD_USER_INPUT, so it is priced as 100 and the
	// client gets that precise refusal rather than QUERY_TOO_COMPLEX.
	maxFirst = 100
	// filterPages is how many vendor pages custgraph may read per source
	// to apply a filter itself (see the README's Filters).
	filterPages = 10
	allSources  = 3
)

// CostModel prices the fields of this schema for limits.Measure. A field
// costs Self + Each × (its selection's cost); what is not listed costs
// {Self: 1, Each: 1} (its lists, such as phones or labels, are the
// record's own data, short and already loaded).
//
//   - customer, node: one lookup.
//   - customersByIds(ids), _entities(representations): one lookup and one
//     record per element.
//   - customers(sources, filter, first): one list call per chosen source
//     (up to filterPages each with a filter); its connection's edges and
//     nodes are lists of `first` records (default 20, at most 100), passed
//     down as Page.
//   - customersByName(sources): one lookup per chosen source, and one
//     record expected from each.
//   - Customer.matches(sources): one lookup per other source it consults
//     (a record's own source is never consulted: at most 2), and one
//     record expected from each, so that matches of matches under a page
//     of 100 costs 100 × 2 × 2 lookups and more.
//   - Customer.links(sources): read from the directory's memory, no
//     lookup, but a list of records: a few expected from each other
//     source (linksEach), so that links of links under a page nest as
//     matches do.
//   - confirmLink, rejectLink: a lookup of each record named.
//   - sources: the three sources, read from memory.
func CostModel(f limits.Field) limits.Cost {
	switch f.Parent + "." + f.Name {
	case "Query.customer", "Query.node":
		return limits.Cost{Self: 1 + upstreamCall, Each: 1}
	case "Query.customersByIds":
		n := listLen(f.Args["ids"])
		return limits.Cost{Self: 1 + upstreamCall*n, Each: n}
	case "Query._entities":
		n := listLen(f.Args["representations"])
		return limits.Cost{Self: 1 + upstreamCall*n, Each: n}
	case "Query.customers":
		calls := chosenSources(f.Args, allSources)
		if filter, _ := f.Args["filter"].(map[string]any); len(filter) > 0 {
			calls *= filterPages
		}
		first := min(max(intArg(f.Args["first"], defaultFirst), 1), maxFirst)
		return limits.Cost{Self: 1 + upstreamCall*calls, Each: 1, Page: first}
	case "CustomerConnection.edges", "CustomerConnection.nodes":
		if f.Page > 0 {
			return limits.Cost{Self: 1, Each: f.Page}
		}
		return limits.Cost{Self: 1, Each: defaultFirst}
	case "Query.customersByName":
		n := chosenSources(f.Args, allSources)
		return limits.Cost{Self: 1 + upstreamCall*n, Each: n}
	case "Customer.matches":
		n := chosenSources(f.Args, allSources-1)
		return limits.Cost{Self: 1 + upstreamCall*n, Each: n}
	case "Customer.links":
		n := chosenSources(f.Args, allSources-1)
		return limits.Cost{Self: 1, Each: linksEach * n}
	case "Mutation.confirmLink", "Mutation.rejectLink":
		return limits.Cost{Self: 1 + 2*upstreamCall, Each: 1}
	case "Query.sources":
		return limits.Cost{Self: 1, Each: allSources}
	}
	return limits.Cost{Self: 1, Each: 1}
}

// linksEach is how many links from each other source a record is expected
// to have: one, sometimes a duplicate.
const linksEach = 2

// chosenSources is the number of sources the `sources` argument chooses (all
// when omitted or empty), at most most.
func chosenSources(args map[string]any, most int) int {
	if n := listLen(args["sources"]); n > 0 {
		return min(n, most)
	}
	return most
}

// listLen is the length of a list argument. GraphQL takes a single value
// for a list of one; null is empty.
func listLen(v any) int {
	if v == nil {
		return 0
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		return rv.Len()
	}
	return 1
}

// intArg is an Int argument as gqlparser gives it (int64 from a literal;
// from variables, whatever the JSON decoder and coercion made of it).
func intArg(v any, def int) int {
	switch n := v.(type) {
	case int64:
		return int(min(max(n, -1<<31), 1<<31))
	case int:
		return n
	case int32:
		return int(n)
	case float64:
		return int(min(max(n, -1<<31), 1<<31))
	case interface{ Int64() (int64, error) }: // json.Number
		if i, err := n.Int64(); err == nil {
			return int(min(max(i, -1<<31), 1<<31))
		}
	}
	return def
}

// useLimits applies the limits that live in the GraphQL handler: the
// parser's token limit and the extension that checks operations, depth,
// aliases and cost after validation. The HTTP-level limits (body size,
// batches, malformed bodies) are limits.Options.Middleware, mounted by the
// router.
func useLimits(srv *handler.Server, o limits.Options) {
	if o.MaxTokens > 0 {
		srv.SetParserTokenLimit(o.MaxTokens)
	}
	if o.MaxDepth > 0 || o.MaxAliases > 0 || o.MaxCost > 0 || o.MaxOperations > 0 {
		srv.Use(limits.Extension{Options: o, Cost: CostModel})
	}
}
