package main

import "time"

// Gateway names, as the table and the chart show them.
const (
	custgraph        = "custgraph"
	custgraphNoCache = "custgraph, cache, sharing and directory off"
	custgraphRedis   = "custgraph on Redis"
	mesh             = "GraphQL Mesh"
	bare             = "bare upstream"
	// Tailcall (bench/tailcall.go): dedupe: true and @cache on every
	// vendor call, as custgraph's defaults; and dedupe alone, every query
	// doing its own work, as custgraph with cache, sharing and directory
	// off.
	tailcall       = "Tailcall"
	tailcallDedupe = "Tailcall, dedupe only"
)

// gatewayOrder is the order of the table's rows and the chart's bars.
var gatewayOrder = []string{custgraph, custgraphNoCache, custgraphRedis, mesh, tailcall, tailcallDedupe, bare}

// scenario is one kind of query, asked of several gateways in turn.
type scenario struct {
	id    string // "a", …, "a50"
	query string // the custgraph query
	// meshKey names the query in bench/mesh's list ("a" to "d"), and in
	// tailcallQueries.
	meshKey string
	label   string
	latency time.Duration // added to every vendor answer
	// minCalls is the fewest vendor calls a query can take once the
	// caches are warm (custgraph's rows are judged by it); why says why.
	minCalls float64
	why      string
	// minNoCache and whyNoCache are minCalls and why for custgraphNoCache
	// where they differ (no directory answers (c)'s matches).
	minNoCache *float64
	whyNoCache string
	gateways   []string
}

const (
	queryA = `{ customers(sources: [U8], first: 20) { nodes { id name } } }`
	queryB = `{ customers(first: 21) { nodes { id name source } } }`
	queryC = `{ customers(sources: [U8], first: 20) { nodes { id name matches(sources: [CRM]) { id name } } } }`
	queryD = `{ customer(id: "u8:00000001") { id name } }`
)

// rowsPlusOne is (c)'s vendor calls with nothing kept: the list page
// and a name lookup for each of its 20 rows.
var rowsPlusOne = 21.0

// min is the fewest vendor calls per query of gw in sc, once warm.
func (sc scenario) min(gw string) float64 {
	if gw == custgraphNoCache && sc.minNoCache != nil {
		return *sc.minNoCache
	}
	return sc.minCalls
}

// scenarios are run in this order; the ones with latency last, so that
// the simulators' latency changes once.
func scenarios(latency time.Duration) []scenario {
	lat := " at " + latency.String()
	whyA := "one U8 list page"
	whyB := "one list page per source (7 rows each)"
	whyC := "one U8 list page; the rows' CRM matches come from the directory (the synced copy); without the directory, from the cache after the first query (21 cold)"
	whyCNoCache := "with cache, sharing and directory off, one U8 list page and one CRM exact-name lookup per row, as Tailcall's dedupe only"
	return []scenario{
		{id: "a", query: queryA, meshKey: "a", label: "(a) U8, 20 rows", minCalls: 1, why: whyA,
			gateways: []string{custgraph, custgraphNoCache, custgraphRedis, mesh, tailcall, tailcallDedupe, bare}},
		{id: "b", query: queryB, meshKey: "b", label: "(b) 3 sources, 21 rows", minCalls: 3, why: whyB,
			gateways: []string{custgraph, custgraphRedis, mesh, tailcall, tailcallDedupe}},
		{id: "c", query: queryC, meshKey: "c", label: "(c) U8 20 rows + CRM matches", minCalls: 1, why: whyC,
			minNoCache: &rowsPlusOne, whyNoCache: whyCNoCache,
			gateways: []string{custgraph, custgraphNoCache, custgraphRedis, mesh, tailcall, tailcallDedupe}},
		{id: "d", query: queryD, meshKey: "d", label: "(d) one customer by id", minCalls: 0,
			why: "the record is in the cache (warm-up fetched it)", gateways: []string{custgraph, custgraphRedis, mesh, tailcall, tailcallDedupe}},
		{id: "a50", query: queryA, meshKey: "a", label: "(a)" + lat, latency: latency, minCalls: 1, why: whyA,
			gateways: []string{custgraph, mesh, tailcall, tailcallDedupe, bare}},
		{id: "b50", query: queryB, meshKey: "b", label: "(b)" + lat, latency: latency, minCalls: 3, why: whyB,
			gateways: []string{custgraph, mesh, tailcall, tailcallDedupe}},
		{id: "c50", query: queryC, meshKey: "c", label: "(c)" + lat, latency: latency, minCalls: 1, why: whyC,
			gateways: []string{custgraph, mesh, tailcall, tailcallDedupe}},
	}
}
