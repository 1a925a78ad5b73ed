package graph_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	goast "go/ast"
	goparser "go/parser"
	"go/token"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"custgraph/graph"
	"custgraph/internal/customer"
)

// The differential test of the compiled writer: the same generated
// queries go to two gateways over identical simulators, one with the
// compiled writer off (every operation through gqlgen's generated
// executor: the reference) and one with it on (the default), and every
// answer must be the same, byte for byte.

var (
	diffSeed = flag.Uint64("diff.seed", 1,
		"seed of TestCompiledMatchesGeneral's query generator (0: one from the clock, printed)")
	diffQueries = flag.Int("diff.queries", 0,
		"queries per scenario of TestCompiledMatchesGeneral (0: each scenario's own number)")
)

const (
	// diffCompiledSetting switches the compiled writer: on (the default)
	// or off (every value through gqlgen's executor).
	diffCompiledSetting = "CUSTGRAPH_COMPILED"
	// diffCompiledValuesMetric counts the values (customer pages, lists,
	// records) the compiled writer was offered, by who wrote them
	// (writer="compiled" or "general"): after each query the test reads
	// whether the candidate compiled anything for it.
	diffCompiledValuesMetric = "custgraph_graphql_compiled_values_total"
	// diffMinCompiledShare is the least share of a scenario's generated
	// queries the candidate must run compiled. The generator aims most
	// operations at the compiled writer's subset (customers, customer,
	// customersByIds, customersByName over connections, edges, page info
	// and plain customer fields) but also leaves it on purpose (other root
	// fields, the vendors' extension types, links, introspection, invalid
	// arguments); well under the share it aims at, yet far from zero, so a
	// candidate that quietly falls back to gqlgen for everything fails.
	diffMinCompiledShare = 0.20
	// diffMaxMismatches bounds the mismatches reported per scenario.
	diffMaxMismatches = 5
)

// diffSettings are set on both gateways, the same, so that an answer
// depends on the query sequence only and not on timing:
//
//   - CUSTGRAPH_RETRIES=0: a retry waits a backoff and spends from a
//     retry budget in time (CUSTGRAPH_RETRY_BUDGET) and in share of calls,
//     so whether a failed call is retried, and which error is reported,
//     would depend on timing; and a dead vendor would cost every query its
//     backoffs.
//   - CUSTGRAPH_BREAKER_FAILURES high: a circuit that opens after a few
//     failures in a row turns some of the concurrent calls of one
//     operation into "circuit open" refusals, which ones depending on
//     the order the calls end; and gobreaker forgets the count every
//     minute. The scenario "CRM circuit open" opens it before the run and
//     keeps it open (CUSTGRAPH_BREAKER_OPEN), so that no probe happens.
//   - the vendors' caches (CUSTGRAPH_*_CACHE_TTL) last past the test: with
//     the default TTLs (1m, 5m) an entry could expire between the
//     reference's query and the candidate's. Both gateways see the same
//     queries in the same order, so their caches hold the same records.
//   - CUSTGRAPH_ACCESS_LOG=off: a few hundred lines of noise.
//
// The directory stays off (newEnv's default): its sync runs in the
// background on a timer, so the two gateways' copies would not be in the
// same state at the same query. Its fields (customersByPhone, links,
// filter.search, orderBy) then answer DIRECTORY_UNAVAILABLE errors,
// which are compared like any answer.
var diffSettings = map[string]string{
	"CUSTGRAPH_RETRIES":          "0",
	"CUSTGRAPH_BREAKER_FAILURES": "1000000",
	"CUSTGRAPH_BREAKER_OPEN":     "1h",
	"CUSTGRAPH_U8_CACHE_TTL":     "1h",
	"CUSTGRAPH_YCM_CACHE_TTL":    "1h",
	"CUSTGRAPH_CRM_CACHE_TTL":    "1h",
	"CUSTGRAPH_ACCESS_LOG":       "off",
}

// diffScenario is one state of the vendors the queries run in.
type diffScenario struct {
	name string
	// queries per run, and under -short.
	queries, short int
	settings       map[string]string
	// prepare sets the vendors' faults, on each gateway alike.
	prepare func(t *testing.T, e *env)
}

var diffScenarios = []diffScenario{
	// The first scenario's gateways are warm: the data check walked every
	// list through them. The others start cold.
	{name: "all up", queries: 160, short: 40},
	{name: "CRM down", queries: 100, short: 25, prepare: func(t *testing.T, e *env) { e.sim.Faults("crm").SetDown(true) }},
	{name: "U8 down", queries: 100, short: 25, prepare: func(t *testing.T, e *env) { e.sim.Faults("u8").SetDown(true) }},
	{name: "YCM down", queries: 60, short: 15, prepare: func(t *testing.T, e *env) { e.sim.Faults("ycm").SetDown(true) }},
	{name: "CRM circuit open", queries: 40, short: 10,
		settings: map[string]string{"CUSTGRAPH_BREAKER_FAILURES": "1"},
		prepare: func(t *testing.T, e *env) {
			e.sim.Faults("crm").SetDown(true)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, errs := e.svc.GetMany(ctx, customer.CRM, []string{"1"}); errs[0] == nil {
				t.Fatal("a call to the CRM that is down succeeded")
			}
		}},
}

// TestCompiledMatchesGeneral proves that the compiled writer answers
// exactly as gqlgen's: a few hundred generated queries (over the whole
// schema reachable from Query, so that fallbacks run too) go to a
// reference gateway with the compiled writer off and a candidate with it
// on, in the same order, with all vendors up and with one down; status,
// content type and body must be equal byte for byte, but for the order of
// the errors where gqlgen's own order depends on goroutines.
func TestCompiledMatchesGeneral(t *testing.T) {
	seed := *diffSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -diff.seed=%d)", seed, seed)
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()

	var pools *diffPools
	for i, sc := range diffScenarios {
		t.Run(sc.name, func(t *testing.T) {
			settings := map[string]string{}
			for k, v := range diffSettings {
				settings[k] = v
			}
			for k, v := range sc.settings {
				settings[k] = v
			}
			ref := newEnv(t, settings, map[string]string{diffCompiledSetting: "off"})
			cand := newEnv(t, settings, map[string]string{diffCompiledSetting: "on"})
			diffSameSimulators(t, ref, cand)
			if pools == nil {
				pools = diffData(t, ref, cand)
			}
			if sc.prepare != nil {
				sc.prepare(t, ref)
				sc.prepare(t, cand)
			}
			n := sc.queries
			if testing.Short() {
				n = sc.short
			}
			if *diffQueries > 0 {
				n = *diffQueries
			}
			g := newDiffGen(seed+uint64(i)*0x9e3779b97f4a7c15, schema, pools.clone())
			st := runDiff(t, g, ref, cand, n, seed)
			t.Logf("%d queries (%d generated invalid, discarded), %d within the compiled subset, %d answers with errors, %d request errors; %s",
				st.sent, st.invalid, st.subset, st.withErrors, st.requestErrors, g.cover.String())
			if st.invalid > st.sent {
				t.Errorf("the generator made %d invalid queries for %d valid: it needs fixing", st.invalid, st.sent)
			}
			// Else the candidate could not reach diffMinCompiledShare.
			if st.sent >= 40 && float64(st.subset) < 1.5*diffMinCompiledShare*float64(st.sent) {
				t.Errorf("only %d of %d queries are within the compiled subset: the generator needs fixing", st.subset, st.sent)
			}
			t.Run("compiled", func(t *testing.T) { diffCheckCompiled(t, ref, st) })
		})
	}
}

// diffSameSimulators checks that both gateways' simulators generated the same
// records (same seed, same count): every record's identity and how its
// source writes it.
func diffSameSimulators(t *testing.T, ref, cand *env) {
	t.Helper()
	a, _ := json.Marshal(ref.sim.IdentityDetail())
	b, _ := json.Marshal(cand.sim.IdentityDetail())
	if !bytes.Equal(a, b) {
		t.Fatalf("the two simulators hold different records (seed %d, %d per source)", 1, perSource)
	}
}

// diffPools are the values the generator draws arguments from.
type diffPools struct {
	ids     map[string][]string // global IDs by prefix (u8, ycm, crm)
	names   []string
	phones  []string
	codes   []string            // U8 codes
	cursors map[string][]string // by diffListKey
	// questions are the customers list questions asked, by diffListKey.
	questions map[string]diffQuestion
}

// diffQuestion is what a customers cursor is bound to.
type diffQuestion struct{ sources, filter any }

func (p *diffPools) clone() *diffPools {
	c := &diffPools{ids: map[string][]string{}, names: slices.Clone(p.names), phones: slices.Clone(p.phones),
		codes: slices.Clone(p.codes), cursors: map[string][]string{}, questions: map[string]diffQuestion{}}
	for k, v := range p.ids {
		c.ids[k] = slices.Clone(v)
	}
	for k, v := range p.cursors {
		c.cursors[k] = slices.Clone(v)
	}
	for k, v := range p.questions {
		c.questions[k] = v
	}
	return c
}

// diffData reads every record of every source through both gateways'
// services (below GraphQL, so without either executor), checks that they
// are the same, and returns the pools of IDs, names, phones and cursors.
func diffData(t *testing.T, ref, cand *env) *diffPools {
	t.Helper()
	walk := func(e *env) ([]*customer.Customer, []string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var nodes []*customer.Customer
		var cursors []string
		after := ""
		for range 100 {
			conn, errs := e.svc.List(ctx, customer.ListRequest{First: 13, After: after})
			if len(errs) > 0 {
				t.Fatalf("list: %v", errs)
			}
			for _, ed := range conn.Edges {
				nodes = append(nodes, ed.Node)
				cursors = append(cursors, ed.Cursor())
			}
			if !conn.PageInfo.HasNextPage || len(conn.Edges) == 0 {
				break
			}
			after = cursors[len(cursors)-1]
		}
		return nodes, cursors
	}
	nodes, cursors := walk(ref)
	nodes2, cursors2 := walk(cand)
	a, _ := json.Marshal(nodes)
	b, _ := json.Marshal(nodes2)
	if !bytes.Equal(a, b) || !slices.Equal(cursors, cursors2) {
		t.Fatal("the two gateways read different records from their simulators")
	}
	if len(nodes) != 3*perSource {
		t.Fatalf("read %d records, want %d", len(nodes), 3*perSource)
	}
	p := &diffPools{ids: map[string][]string{}, cursors: map[string][]string{diffListKey(nil, nil): cursors},
		questions: map[string]diffQuestion{diffListKey(nil, nil): {}}}
	seen := map[string]bool{}
	for _, c := range nodes {
		p.ids[c.Source.Prefix()] = append(p.ids[c.Source.Prefix()], c.ID())
		if !seen[c.Name] {
			seen[c.Name] = true
			p.names = append(p.names, c.Name)
		}
		for _, ph := range c.Phones {
			p.phones = append(p.phones, ph.Number)
		}
		if c.Source == customer.U8 {
			p.codes = append(p.codes, c.SourceID)
		}
	}
	return p
}

// diffListKey names a customers list question (sources and filter as
// generated, nil when left out): a cursor is valid only with the question
// it was issued for.
func diffListKey(sources, filter any) string {
	b, _ := json.Marshal([]any{sources, filter})
	return string(b)
}

// diffStats counts a scenario's run.
type diffStats struct {
	sent, invalid, withErrors, requestErrors int
	// compiled counts the queries for which the candidate's compiled
	// count grew; metric is false when it serves no such count.
	compiled int
	metric   bool
	// subset counts the queries within the compiled writer's subset.
	subset int
}

// diffAnswer is one gateway's answer.
type diffAnswer struct {
	status      int
	contentType string
	body        []byte
}

// runDiff sends n valid generated queries to both gateways, one query at
// a time (to both at once), and compares the answers.
func runDiff(t *testing.T, g *diffGen, ref, cand *env, n int, seed uint64) diffStats {
	t.Helper()
	var st diffStats
	concurrent := diffConcurrentFields(t)
	mismatches := 0
	before, metric := diffCompiledCount(t, cand)
	st.metric = metric
	for i := 0; i < n; i++ {
		var q diffQuery
		var doc *ast.QueryDocument
		for {
			q = g.operation()
			var errs gqlerror.List
			doc, errs = gqlparser.LoadQueryWithRules(g.schema, q.query, nil)
			if len(errs) == 0 {
				break
			}
			st.invalid++
			if st.invalid > 20*n+100 {
				t.Fatalf("the generator makes no valid query; last: %s\n%v", q.query, errs[0])
			}
		}
		body := q.body()
		// The same request ID for both: an internal error shows it.
		reqID := fmt.Sprintf("diff-%d-%d", seed, i)
		var wg sync.WaitGroup
		var candAns diffAnswer
		wg.Go(func() { candAns = postDiff(t, cand, body, q.accept, reqID) })
		refAns := postDiff(t, ref, body, q.accept, reqID)
		wg.Wait()
		st.sent++
		if bytes.Contains(refAns.body, []byte(`"errors":`)) {
			st.withErrors++
			if !bytes.Contains(refAns.body, []byte(`"data":`)) {
				st.requestErrors++
			}
		}
		if g.withinSubset(doc, q.opName) {
			st.subset++
		}
		unordered := diffErrorsUnordered(doc, q.opName, concurrent)
		if !diffSameAnswer(refAns, candAns, unordered) {
			mismatches++
			t.Errorf("query %d of seed %d: the compiled writer's answer differs from gqlgen's\n%s\n%s",
				i, seed, q.describe(), diffDescribe(refAns, candAns))
			if mismatches >= diffMaxMismatches {
				t.Fatalf("%d mismatches: stopping", mismatches)
			}
		}
		if metric {
			if after, _ := diffCompiledCount(t, cand); after > before {
				st.compiled++
				before = after
			}
		}
		// Cursors of the reference's answer feed later queries' after.
		g.harvest(q, refAns.body)
	}
	return st
}

// postDiff sends one GraphQL-over-HTTP POST to e's router.
func postDiff(t *testing.T, e *env, body []byte, accept, reqID string) diffAnswer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(middleware.RequestIDHeader, reqID)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	e.http.ServeHTTP(rec, req)
	return diffAnswer{status: rec.Code, contentType: rec.Header().Get("Content-Type"), body: rec.Body.Bytes()}
}

// withinSubset reports whether an operation stays within the compiled
// executor's subset (compiledField), fragments' type conditions included.
func (g *diffGen) withinSubset(doc *ast.QueryDocument, opName string) bool {
	op := doc.Operations.ForName(opName)
	if op == nil {
		op = doc.Operations[0]
	}
	ok := true
	var visit func(ss ast.SelectionSet)
	visit = func(ss ast.SelectionSet) {
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				if s.Name != "__typename" && (s.ObjectDefinition == nil || s.Definition == nil ||
					!g.compiledField(s.ObjectDefinition, s.Definition)) {
					ok = false
				}
				visit(s.SelectionSet)
			case *ast.InlineFragment:
				if s.TypeCondition != "" && !diffCompiledTypes[s.TypeCondition] {
					ok = false
				}
				visit(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil && !diffCompiledTypes[s.Definition.TypeCondition] {
					ok = false
				}
				if s.Definition != nil {
					visit(s.Definition.SelectionSet)
				}
			}
		}
	}
	visit(op.SelectionSet)
	return ok
}

// diffErrorsUnordered reports whether gqlgen's own order of the errors
// depends on goroutines: with more than one root field (resolved
// concurrently), or with a field gqlgen resolves in a goroutine of its own
// (concurrent: matches, a batch resolver whose errors are added as the
// batch ends; links, whose list elements are marshalled one goroutine
// each, …), anywhere in the operation.
func diffErrorsUnordered(doc *ast.QueryDocument, opName string, concurrent map[string]bool) bool {
	op := doc.Operations.ForName(opName)
	if op == nil && len(doc.Operations) > 0 {
		op = doc.Operations[0]
	}
	if op == nil {
		return false
	}
	// visit calls f with every field of ss, fragments' included.
	var visit func(ss ast.SelectionSet, deep bool, seen map[string]bool, f func(*ast.Field))
	visit = func(ss ast.SelectionSet, deep bool, seen map[string]bool, f func(*ast.Field)) {
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				f(s)
				if deep {
					visit(s.SelectionSet, deep, seen, f)
				}
			case *ast.InlineFragment:
				visit(s.SelectionSet, deep, seen, f)
			case *ast.FragmentSpread:
				if fr := doc.Fragments.ForName(s.Name); fr != nil && !seen[s.Name] {
					seen[s.Name] = true
					visit(fr.SelectionSet, deep, seen, f)
					delete(seen, s.Name)
				}
			}
		}
	}
	roots := map[string]bool{}
	visit(op.SelectionSet, false, map[string]bool{}, func(f *ast.Field) {
		if f.Name != "__typename" {
			roots[f.Alias] = true
		}
	})
	found := len(roots) > 1
	visit(op.SelectionSet, true, map[string]bool{}, func(f *ast.Field) {
		if _, ok := concurrent[f.Name]; ok && f.ObjectDefinition != nil && f.ObjectDefinition.Name == "Customer" {
			found = true
		}
	})
	return found
}

// diffConcurrentFields reads the Customer fields gqlgen resolves in
// goroutines of their own from graph's generated concurrent_fields.go
// (the map concurrentFields, unexported), so that diffErrorsUnordered follows
// the schema's resolvers as they change.
func diffConcurrentFields(t *testing.T) map[string]bool {
	t.Helper()
	f, err := goparser.ParseFile(token.NewFileSet(), "concurrent_fields.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	goast.Inspect(f, func(n goast.Node) bool {
		if kv, ok := n.(*goast.KeyValueExpr); ok {
			if lit, ok := kv.Key.(*goast.BasicLit); ok && lit.Kind == token.STRING {
				name, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[name] = true
			}
		}
		return true
	})
	if !out["matches"] {
		t.Fatalf("concurrent_fields.go: no matches among %v", out)
	}
	return out
}

// diffSameAnswer compares two answers: status, content type and body byte for
// byte, the body's top-level errors as a sorted list when unordered.
func diffSameAnswer(a, b diffAnswer, unordered bool) bool {
	if a.status != b.status || a.contentType != b.contentType {
		return false
	}
	if bytes.Equal(a.body, b.body) {
		return true
	}
	return unordered && bytes.Equal(diffSortErrors(a.body), diffSortErrors(b.body))
}

// diffSortErrors returns body with its top-level errors array sorted (each
// error's bytes unchanged), everything else as it was; body itself when it
// is no JSON object or has no errors.
func diffSortErrors(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return body
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return body
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return body
		}
		if key != "errors" {
			continue
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return body
		}
		slices.SortFunc(list, func(x, y json.RawMessage) int { return bytes.Compare(x, y) })
		out := slices.Clone(body[:start])
		out = append(out, '[')
		for i, e := range list {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, e...)
		}
		out = append(out, ']')
		return append(out, body[end:]...)
	}
	return body
}

// diffDescribe shows both answers around their first difference.
func diffDescribe(ref, cand diffAnswer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "reference: %d %s, %d bytes; candidate: %d %s, %d bytes\n",
		ref.status, ref.contentType, len(ref.body), cand.status, cand.contentType, len(cand.body))
	at := 0
	for at < len(ref.body) && at < len(cand.body) && ref.body[at] == cand.body[at] {
		at++
	}
	window := func(body []byte) string {
		from, to := max(0, at-300), min(len(body), at+300)
		s := string(body[from:to])
		if from > 0 {
			s = "…" + s
		}
		if to < len(body) {
			s += "…"
		}
		return s
	}
	fmt.Fprintf(&b, "first difference at byte %d\nreference: %s\ncandidate: %s", at, window(ref.body), window(cand.body))
	return b.String()
}

// diffCheckCompiled asserts from /metrics that the candidate compiled
// something for a fair share of the queries, and the reference for none.
func diffCheckCompiled(t *testing.T, ref *env, st diffStats) {
	if !st.metric {
		t.Fatalf("%s is not served: cannot tell whether the candidate compiled anything", diffCompiledValuesMetric)
	}
	if n, _ := diffCompiledCount(t, ref); n != 0 {
		t.Errorf("the reference (%s=off) compiled %v, want nothing", diffCompiledSetting, n)
	}
	t.Logf("the candidate compiled for %d of %d queries", st.compiled, st.sent)
	if st.compiled == 0 {
		t.Fatalf("the candidate compiled nothing: the comparison compared gqlgen with itself")
	}
	if share := float64(st.compiled) / float64(st.sent); share < diffMinCompiledShare {
		t.Errorf("the candidate compiled for %.0f%% of the queries, want at least %.0f%%", 100*share, 100*diffMinCompiledShare)
	}
}

// diffCompiledCount reads e's count of compiled work from /metrics: the
// values by writer="compiled" of diffCompiledValuesMetric; found is false
// when e does not serve it.
func diffCompiledCount(t *testing.T, e *env) (n float64, found bool) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.http.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body.String())
	}
	for _, m := range []struct{ name, label string }{
		{diffCompiledValuesMetric, `writer="compiled"`},
	} {
		for line := range strings.SplitSeq(rec.Body.String(), "\n") {
			if !strings.HasPrefix(line, m.name+"{") && !strings.HasPrefix(line, m.name+" ") {
				continue
			}
			found = true
			if !strings.Contains(line, m.label) {
				continue
			}
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			n += v
		}
		if found {
			return n, true
		}
	}
	return 0, false
}

// ---------------------------------------------------------------------------
// The query generator.

// diffQuery is one generated request.
type diffQuery struct {
	query  string
	opName string
	// vars is the variables member: nil with varsAs "" leaves it out,
	// "null" and "{}" send those.
	vars   map[string]any
	varsAs string
	accept string
	// lists maps the response keys of root customers fields to their
	// list question (diffListKey), to keep their cursors.
	lists map[string]string
}

func (q diffQuery) body() []byte {
	m := map[string]any{"query": q.query}
	if q.opName != "" {
		m["operationName"] = q.opName
	}
	switch {
	case q.vars != nil:
		m["variables"] = q.vars
	case q.varsAs == "null":
		m["variables"] = nil
	case q.varsAs == "{}":
		m["variables"] = map[string]any{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func (q diffQuery) describe() string {
	vars, _ := json.Marshal(q.vars)
	return fmt.Sprintf("query: %s\noperationName: %q\nvariables: %s\nAccept: %q", q.query, q.opName, vars, q.accept)
}

// diffCover counts what the generated queries used.
type diffCover struct {
	roots                                                     map[string]int
	multiRoot, aliases, merged, twins, varUses, badVars       int
	inline, spreads, directives, nulls, badArgs, cursors, ops int
}

func (c diffCover) String() string {
	names := make([]string, 0, len(c.roots))
	for k := range c.roots {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, c.roots[k])
	}
	return fmt.Sprintf("roots {%s}; %d multi-root, %d aliases, %d merged, %d twin fields, %d variables (%d bad), "+
		"%d inline fragments, %d spreads, %d @include/@skip, %d nulls, %d invalid arguments, %d cursors, %d two-operation documents",
		strings.Join(parts, ", "), c.multiRoot, c.aliases, c.merged, c.twins, c.varUses, c.badVars,
		c.inline, c.spreads, c.directives, c.nulls, c.badArgs, c.cursors, c.ops)
}

// diffGen generates random valid operations from the schema. It is
// deterministic given its seed and the answers harvested.
type diffGen struct {
	r      *rand.Rand
	schema *ast.Schema
	p      *diffPools
	cover  diffCover

	// the operation being generated
	n        int // numbers aliases, variables and fragments
	maxDepth int
	// narrow keeps the operation within the compiled writer's subset
	// (diffCompiledRoots, diffCompiledTypes), but for its arguments.
	narrow  bool
	varDefs []string
	vars    map[string]any
	frags   []string
	fragsOn map[string][]string // fragment names by type condition
	lists   map[string]string
}

func newDiffGen(seed uint64, schema *ast.Schema, p *diffPools) *diffGen {
	return &diffGen{r: rand.New(rand.NewPCG(seed, 0xd1ff)), schema: schema, p: p, cover: diffCover{roots: map[string]int{}}}
}

// chance is true with probability pct %.
func (g *diffGen) chance(pct int) bool { return g.r.IntN(100) < pct }

func diffPick[T any](g *diffGen, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *diffGen) name(prefix string) string {
	g.n++
	return prefix + strconv.Itoa(g.n)
}

// diffScope is the fields already selected at one place of the response,
// fragments' included: a response key selected twice must be the same
// field with the same arguments, and their sub-selections merge.
type diffScope map[string]*diffScoped

type diffScoped struct {
	sig   string // field name and arguments, as written
	child diffScope
}

// operation generates one query operation (occasionally with a second
// operation beside it, operationName choosing).
func (g *diffGen) operation() diffQuery {
	g.n, g.varDefs, g.vars, g.frags = 0, nil, map[string]any{}, nil
	g.fragsOn, g.lists = map[string][]string{}, map[string]string{}
	g.maxDepth = 4
	if g.chance(20) {
		g.maxDepth = 5
	}
	g.narrow = g.chance(diffNarrowShare)
	roots := 1
	switch x := g.r.IntN(10); {
	case x >= 9:
		roots = 3
	case x >= 7:
		roots = 2
	}
	if roots > 1 {
		g.cover.multiRoot++
	}
	sc := diffScope{}
	var items []string
	for range roots {
		fd := g.rootField(roots > 1)
		g.cover.roots[fd.Name]++
		items = append(items, g.field(g.schema.Query, fd, 1, sc)...)
	}
	if g.chance(4) {
		items = append(items, "__typename")
	}
	sel := "{ " + strings.Join(items, " ") + " }"
	switch x := g.r.IntN(100); {
	case x < 4: // the root fields inside an inline fragment on Query
		sel = "{ ... on Query " + g.directive() + sel + " }"
		g.cover.inline++
	case x < 8: // … or a named one
		f := g.name("Root")
		g.frags = append(g.frags, "fragment "+f+" on Query "+sel)
		sel = "{ ..." + f + " }"
		g.cover.spreads++
	}
	q := diffQuery{lists: g.lists}
	two := g.chance(5)
	if two || g.chance(40) {
		q.opName = g.name("Op")
	}
	head := "query"
	if q.opName != "" {
		head += " " + q.opName
	}
	if len(g.varDefs) > 0 {
		head += "(" + strings.Join(g.varDefs, ", ") + ")"
	}
	doc := head + " " + sel
	if q.opName == "" && len(g.varDefs) == 0 && g.chance(50) {
		doc = sel // shorthand
	}
	parts := []string{doc}
	if two {
		parts = append(parts, "query Other { __typename }")
		if g.chance(50) {
			parts[0], parts[1] = parts[1], parts[0]
		}
		g.cover.ops++
	}
	parts = append(parts, g.frags...)
	q.query = strings.Join(parts, "\n")
	if len(g.vars) > 0 {
		q.vars = g.vars
	} else {
		q.varsAs = diffPick(g, []string{"", "", "null", "{}"})
	}
	q.accept = diffPick(g, []string{"", "application/json", "application/graphql-response+json",
		"application/graphql-response+json, application/json;q=0.9"})
	return q
}

// diffRootWeights weigh Query's fields: mostly the compiled writer's four,
// the rest sometimes; any field Query gains later gets the default.
var diffRootWeights = map[string]int{
	"customers": 30, "customer": 14, "customersByIds": 14, "customersByName": 14,
	"node": 5, "customersByPhone": 3, "sources": 3, "_entities": 3, "_service": 1, "__type": 2, "__schema": 1,
}

// The compiled writer's subset, as announced: the root fields it
// answers and the types whose fields it writes (of Customer, the plain
// fields: compiledField). diffNarrowShare % of the operations keep within
// it, so that the candidate has enough to compile; the others roam the
// whole schema, so that its fallbacks run too.
var (
	diffCompiledRoots = map[string]bool{"customers": true, "customer": true, "customersByIds": true, "customersByName": true}
	diffCompiledTypes = map[string]bool{"Query": true, "CustomerConnection": true, "CustomerEdge": true, "PageInfo": true,
		"Customer": true, "Node": true, "Phone": true, "PostalAddress": true}
)

const diffNarrowShare = 50

// compiledField reports whether fd of def is in the compiled writer's
// subset: not the extension types, nor the resolvers it leaves to gqlgen
// (remark, links). matches is in: gqlgen resolves it inside the writer's
// lists of customers, errors and partial results included.
func (g *diffGen) compiledField(def *ast.Definition, fd *ast.FieldDefinition) bool {
	if !diffCompiledTypes[def.Name] || (def.Name == "Query" && !diffCompiledRoots[fd.Name]) {
		return false
	}
	if def.Name == "Customer" {
		switch fd.Name {
		case "u8", "ycm", "crm", "links", "remark":
			return false
		}
	}
	return true
}

func (g *diffGen) rootField(multi bool) *ast.FieldDefinition {
	var fields []*ast.FieldDefinition
	total := 0
	weight := func(f *ast.FieldDefinition) int {
		// sources reports what the other root fields' vendor calls did,
		// as they end: asked beside them, its answer depends on timing.
		if multi && f.Name == "sources" {
			return 0
		}
		if g.narrow && !diffCompiledRoots[f.Name] {
			return 0
		}
		if w, ok := diffRootWeights[f.Name]; ok {
			return w
		}
		return 2
	}
	for _, f := range g.schema.Query.Fields {
		fields = append(fields, f)
		total += weight(f)
	}
	x := g.r.IntN(total)
	for _, f := range fields {
		if x -= weight(f); x < 0 {
			return f
		}
	}
	return fields[0]
}

func (g *diffGen) def(t *ast.Type) *ast.Definition { return g.schema.Types[t.Name()] }

func (g *diffGen) leaf(t *ast.Type) bool {
	k := g.def(t).Kind
	return k == ast.Scalar || k == ast.Enum
}

// field writes one selection of fd (of parent) at depth (root fields are
// 1): alias, arguments, directive, sub-selection; now and then the same
// response key again (merged) or the field again under another alias with
// other arguments.
func (g *diffGen) field(parent *ast.Definition, fd *ast.FieldDefinition, depth int, sc diffScope) []string {
	args, list := g.args(parent, fd)
	sig := fd.Name + args
	key := fd.Name
	if s, ok := sc[key]; (ok && s.sig != sig) || g.chance(15) {
		key = g.name("a")
		g.cover.aliases++
	}
	s, ok := sc[key]
	if !ok {
		s = &diffScoped{sig: sig, child: diffScope{}}
		sc[key] = s
	}
	if list != "" && parent == g.schema.Query {
		g.lists[key] = list
	}
	write := func(dir string) string {
		out := fd.Name + args + dir
		if key != fd.Name {
			out = key + ": " + out
		}
		if !g.leaf(fd.Type) {
			out += " " + g.selSet(g.def(fd.Type), depth+1, s.child)
		}
		return out
	}
	dir := ""
	if g.chance(6) && (!g.narrow || g.chance(30)) {
		dir = g.directive()
	}
	out := []string{write(dir)}
	if g.chance(10) { // the same response key again: the fields merge
		out = append(out, write(""))
		g.cover.merged++
	}
	if len(fd.Arguments) > 0 && g.chance(10) { // twins: other arguments, another alias
		g.cover.twins++
		out = append(out, g.field(parent, fd, depth, sc)...)
	}
	return out
}

// directive is @include or @skip, with a literal or a variable.
func (g *diffGen) directive() string {
	g.cover.directives++
	name := diffPick(g, []string{"include", "skip"})
	var cond string
	if g.chance(60) {
		v := g.name("b")
		g.varDefs = append(g.varDefs, "$"+v+": Boolean!")
		g.vars[v] = g.chance(70) == (name == "include")
		cond = "$" + v
	} else {
		cond = strconv.FormatBool(g.chance(70) == (name == "include"))
	}
	return " @" + name + "(if: " + cond + ")"
}

// selSet writes a selection set of def at depth.
func (g *diffGen) selSet(def *ast.Definition, depth int, sc diffScope) string {
	n := 1 + g.r.IntN(4)
	var items []string
	for range n {
		items = append(items, g.item(def, depth, sc)...)
	}
	return "{ " + strings.Join(items, " ") + " }"
}

// item writes one selection of a selection set of def: a field,
// __typename, an inline fragment or a fragment spread.
func (g *diffGen) item(def *ast.Definition, depth int, sc diffScope) []string {
	abstract := def.Kind == ast.Interface || def.Kind == ast.Union
	x := g.r.IntN(100)
	switch {
	case x < 5 || (def.Kind == ast.Union && x < 30):
		if g.chance(25) {
			g.cover.aliases++
			return []string{g.name("t") + ": __typename"}
		}
		return []string{"__typename"}
	case x < 10 || (abstract && x < 75):
		on := g.fragmentTarget(def)
		g.cover.inline++
		head := "..."
		if on != nil {
			head += " on " + on.Name
		} else {
			on = def
		}
		if g.chance(20) && (!g.narrow || g.chance(30)) {
			head += g.directive()
		}
		return []string{head + " " + g.selSet(on, depth, sc)}
	case x < 14 || (abstract && x < 90):
		on := g.fragmentTarget(def)
		if on == nil {
			on = def
		}
		g.cover.spreads++
		if have := g.fragsOn[on.Name]; len(have) > 0 && g.chance(40) {
			return []string{"..." + diffPick(g, have)}
		}
		f := g.name("F")
		g.frags = append(g.frags, "fragment "+f+" on "+on.Name+" "+g.selSet(on, depth, sc))
		g.fragsOn[on.Name] = append(g.fragsOn[on.Name], f)
		return []string{"..." + f}
	}
	fd := g.pickField(def, depth)
	if fd == nil {
		return []string{"__typename"}
	}
	return g.field(def, fd, depth, sc)
}

// fragmentTarget is a type condition valid inside def: def itself, one of
// its interfaces or unions (objects), one of its possible types
// (abstract); nil for none.
func (g *diffGen) fragmentTarget(def *ast.Definition) *ast.Definition {
	var on []*ast.Definition
	switch def.Kind {
	case ast.Object:
		on = append(on, def, def, def)
		for _, i := range def.Interfaces {
			on = append(on, g.schema.Types[i])
		}
		if g.narrow {
			break
		}
		names := make([]string, 0, len(g.schema.Types))
		for n, u := range g.schema.Types {
			if u.Kind == ast.Union && slices.Contains(u.Types, def.Name) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			on = append(on, g.schema.Types[n])
		}
	default:
		possible := slices.Clone(g.schema.GetPossibleTypes(def))
		slices.SortFunc(possible, func(a, b *ast.Definition) int { return strings.Compare(a.Name, b.Name) })
		on = append(on, def)
		for _, p := range possible {
			on = append(on, p, p, p)
		}
	}
	if g.chance(15) {
		return nil
	}
	return diffPick(g, on)
}

// pickField chooses a field of def by weight; composite fields only above
// the maximum depth.
func (g *diffGen) pickField(def *ast.Definition, depth int) *ast.FieldDefinition {
	var fields []*ast.FieldDefinition
	var weights []int
	total := 0
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		w := 1
		switch {
		case !g.leaf(f.Type) && depth >= g.maxDepth:
			w = 0
		case def.Name == "SourceStatus" && (f.Name == "healthy" || f.Name == "lastError"):
			// A source's health is the outcome of its last call, and a
			// call an earlier request left behind (cancelled as its
			// request ended: lastError "internal error") counts, or not,
			// depending on when it ends: an answer of timing, in either
			// gateway.
			w = 0
		case g.narrow && !g.compiledField(def, f):
			w = 0
		case def.Name == "Customer" && f.Name == "matches":
			// Matches of matches under a page multiply the cost past
			// the limit (refused, which is compared too, but runs
			// nothing).
			w = 3
			if depth > 3 {
				w = 0
			}
		case def.Name == "Customer" && f.Name == "links":
			w = 1
		case def.Name == "CustomerConnection" && (f.Name == "edges" || f.Name == "nodes"):
			w = 6
		case def.Name == "CustomerConnection" || def.Name == "CustomerEdge":
			w = 4
		case !g.leaf(f.Type):
			w = 3
		}
		fields, weights = append(fields, f), append(weights, w)
		total += w
	}
	if total == 0 {
		return nil
	}
	x := g.r.IntN(total)
	for i, f := range fields {
		if x -= weights[i]; x < 0 {
			return f
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Arguments.

// args writes fd's arguments, "" for none; list is the list question of
// a customers field.
func (g *diffGen) args(parent *ast.Definition, fd *ast.FieldDefinition) (text, list string) {
	if len(fd.Arguments) == 0 {
		return "", ""
	}
	type arg struct {
		name, lit string
	}
	var out []arg
	if parent == g.schema.Query && fd.Name == "customers" {
		vals := g.customersArgs()
		for _, a := range fd.Arguments {
			if v, ok := vals[a.Name]; ok {
				out = append(out, arg{a.Name, g.lit(v, a.Type, diffVarArg)})
			}
		}
		list = diffListKey(vals["sources"], vals["filter"])
	} else {
		for _, a := range fd.Arguments {
			optional := !a.Type.NonNull || a.DefaultValue != nil
			if optional && g.chance(40) {
				continue
			}
			if !a.Type.NonNull && g.chance(5) {
				g.cover.nulls++
				out = append(out, arg{a.Name, "null"})
				continue
			}
			out = append(out, arg{a.Name, g.lit(g.argValue(fd, a), a.Type, diffVarArg)})
		}
	}
	if len(out) == 0 {
		return "", list
	}
	g.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	parts := make([]string, len(out))
	for i, a := range out {
		parts[i] = a.name + ": " + a.lit
	}
	return "(" + strings.Join(parts, ", ") + ")", list
}

// customersArgs chooses customers' arguments together, so that after is
// mostly a cursor of the same sources and filter: often a question asked
// before (whose answers gave cursors), else a new one.
func (g *diffGen) customersArgs() map[string]any {
	v := map[string]any{}
	var asked []string
	for k := range g.p.questions {
		if len(g.p.cursors[k]) > 0 {
			asked = append(asked, k)
		}
	}
	sort.Strings(asked)
	again := len(asked) > 0 && g.chance(45)
	if again {
		q := g.p.questions[diffPick(g, asked)]
		if q.sources != nil {
			v["sources"] = q.sources
		}
		if q.filter != nil {
			v["filter"] = q.filter
		}
	} else {
		if !g.chance(35) {
			v["sources"] = g.sources()
		}
		if g.chance(18) {
			v["filter"] = g.filter()
		}
	}
	if g.chance(4) {
		v["orderBy"] = map[string]any{"field": diffPick(g, []string{"NAME", "UPDATED_AT"}), "direction": diffPick(g, []string{"ASC", "DESC"})}
	}
	switch x := g.r.IntN(100); {
	case x < 20:
	case x < 25:
		v["first"] = nil
		g.cover.nulls++
	case x < 33:
		v["first"] = diffPick(g, []int{0, -1, 101, 1000})
		g.cover.badArgs++
	default:
		v["first"] = 1 + g.r.IntN(30)
	}
	key := diffListKey(v["sources"], v["filter"])
	if _, ok := g.p.questions[key]; !ok {
		g.p.questions[key] = diffQuestion{v["sources"], v["filter"]}
	}
	switch x := g.r.IntN(100); {
	case again && x < 85:
		v["after"] = diffPick(g, g.p.cursors[key])
		g.cover.cursors++
	case x < 90:
	case x < 95:
		v["after"] = diffPick(g, []string{"bad", "", "eyJ2Ijo5OX0"})
		g.cover.badArgs++
	default:
		// A cursor of another question: refused.
		if len(asked) > 0 {
			if k := diffPick(g, asked); k != key {
				v["after"] = diffPick(g, g.p.cursors[k])
				g.cover.badArgs++
			}
		}
	}
	return v
}

// sources is a list of sources: a random selection in random order,
// sometimes empty or with a source twice.
func (g *diffGen) sources() any {
	if g.chance(5) {
		g.cover.nulls++
		return nil
	}
	all := []any{"U8", "YCM", "CRM"}
	g.r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	out := all[:g.r.IntN(4)]
	if len(out) > 0 && g.chance(5) {
		out = append(out, out[0])
	}
	return out
}

func (g *diffGen) filter() any {
	switch g.r.IntN(7) {
	case 0:
		name := []rune(diffPick(g, g.p.names))
		from := g.r.IntN(max(1, len(name)-2))
		return map[string]any{"name": string(name[from:min(len(name), from+2)])}
	case 1:
		a, b := diffPick(g, g.p.codes), diffPick(g, g.p.codes)
		if a > b {
			a, b = b, a
		}
		return map[string]any{"codeFrom": a, "codeTo": b}
	case 2:
		return map[string]any{"updatedSince": diffPick(g, []string{"2020-01-01T00:00:00Z", "2024-06-01T08:00:00+08:00"})}
	case 3:
		return map[string]any{"search": diffPick(g, []string{"科技", "  "})}
	case 4:
		return map[string]any{}
	case 5:
		return map[string]any{"name": "无此关键词"}
	}
	return map[string]any{"codeFrom": diffPick(g, g.p.codes)}
}

// id is a global ID: mostly one that exists, else one of the right
// shape that does not, or a malformed one.
func (g *diffGen) id() string {
	switch x := g.r.IntN(100); {
	case x < 75:
		return diffPick(g, g.p.ids[diffPick(g, []string{"u8", "u8", "ycm", "crm", "crm"})])
	case x < 88:
		return diffPick(g, []string{"u8:99999999", "ycm:1", "crm:999999", "u8:ZZ01"})
	}
	g.cover.badArgs++
	return diffPick(g, []string{"sap:1", "u8:", "ycm:12a", "00000001", "U8:00000001", "crm:-1"})
}

// argValue chooses a value for argument a of field fd, by its name where
// it means something, else by its type.
func (g *diffGen) argValue(fd *ast.FieldDefinition, a *ast.ArgumentDefinition) any {
	switch {
	case a.Name == "id":
		return g.id()
	case a.Name == "ids":
		n := g.r.IntN(8)
		if g.chance(5) {
			n = 0
		}
		ids := make([]any, 0, n)
		for range n {
			if len(ids) > 0 && g.chance(10) {
				ids = append(ids, ids[g.r.IntN(len(ids))])
			} else {
				ids = append(ids, g.id())
			}
		}
		if n == 1 && g.chance(30) {
			return ids[0] // a list's single item, as input coercion allows
		}
		return ids
	case a.Name == "name" && fd.Name == "__type":
		if g.chance(10) {
			return "NoSuchType"
		}
		names := make([]string, 0, len(g.schema.Types))
		for n := range g.schema.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		return diffPick(g, names)
	case a.Name == "name":
		switch x := g.r.IntN(100); {
		case x < 80:
			return diffPick(g, g.p.names)
		case x < 90:
			return diffPick(g, g.p.names) + " "
		}
		return diffPick(g, []string{"无此客户有限公司", ""})
	case a.Name == "sources":
		return g.sources()
	case a.Name == "number":
		if g.chance(80) && len(g.p.phones) > 0 {
			return diffPick(g, g.p.phones)
		}
		return diffPick(g, []string{"123", "+86 138 0000 0000", ""})
	case a.Name == "index":
		if g.chance(15) {
			g.cover.badArgs++
			return diffPick(g, []int{0, 17, -1})
		}
		return 1 + g.r.IntN(16)
	case a.Name == "minConfidence":
		return diffPick(g, []float64{0, 0.5, 0.9, 1})
	case a.Name == "representations":
		n := 1 + g.r.IntN(3)
		reps := make([]any, n)
		for i := range reps {
			rep := map[string]any{"__typename": "Customer", "id": g.id()}
			if g.chance(8) {
				rep["__typename"] = "Order"
				g.cover.badArgs++
			}
			reps[i] = rep
		}
		return reps
	}
	return g.valueOf(a.Type, 0)
}

// valueOf is a value of type t, by its type alone.
func (g *diffGen) valueOf(t *ast.Type, depth int) any {
	if !t.NonNull && g.chance(3) {
		return nil
	}
	if t.Elem != nil {
		out := make([]any, g.r.IntN(3))
		for i := range out {
			out[i] = g.valueOf(t.Elem, depth+1)
		}
		return out
	}
	def := g.def(t)
	switch def.Kind {
	case ast.Enum:
		return diffPick(g, def.EnumValues).Name
	case ast.InputObject:
		m := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull || (depth < 2 && g.chance(50)) {
				m[f.Name] = g.valueOf(f.Type, depth+1)
			}
		}
		return m
	}
	switch def.Name {
	case "Int":
		return 1 + g.r.IntN(20)
	case "Float":
		return diffPick(g, []float64{0, 0.5, 1, 2.25})
	case "Boolean":
		return g.chance(50)
	case "ID":
		return g.id()
	case "DateTime":
		return "2024-01-02T03:04:05Z"
	case "Date":
		return "2024-01-02"
	case "_Any":
		return map[string]any{"__typename": "Customer", "id": g.id()}
	}
	return diffPick(g, []string{"x", diffPick(g, g.p.names)})
}

// Chances (%) that lit writes a value as a variable: an argument, an item
// or field inside one, none (in a variable's default value).
const (
	diffVarArg, diffVarInside, diffVarNone = 22, 8, 0
)

// lit writes v as a GraphQL value of type t, with chance pct (an item or
// field of it with a smaller one) as a variable instead.
func (g *diffGen) lit(v any, t *ast.Type, pct int) string {
	inner := min(pct, diffVarInside)
	if pct > 0 && g.chance(pct) {
		return g.variable(v, t)
	}
	if v == nil {
		return "null"
	}
	if t.Elem != nil {
		items, ok := v.([]any)
		if !ok {
			return g.lit(v, t.Elem, inner)
		}
		parts := make([]string, len(items))
		for i, x := range items {
			parts[i] = g.lit(x, t.Elem, inner)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	def := g.def(t)
	switch def.Kind {
	case ast.Enum:
		return v.(string)
	case ast.InputObject:
		m := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + g.lit(m[k], def.Fields.ForName(k).Type, inner)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return diffScalarLit(v)
}

// variable defines a variable of type t holding v (rarely a value of the
// wrong type, or none with a default instead) and returns its reference.
func (g *diffGen) variable(v any, t *ast.Type) string {
	name := g.name("v")
	g.cover.varUses++
	def := "$" + name + ": " + t.String()
	switch {
	case g.chance(2):
		g.cover.badVars++
		g.vars[name] = diffBadValue(g.def(t), t)
	case !t.NonNull && v != nil && g.chance(15):
		// The value as the variable's default, the variable not sent.
		def += " = " + g.lit(v, t, diffVarNone)
	default:
		g.vars[name] = v
	}
	g.varDefs = append(g.varDefs, def)
	return "$" + name
}

// diffBadValue is a value no variable of type t accepts.
func diffBadValue(def *ast.Definition, t *ast.Type) any {
	if t.Elem != nil || def.Kind == ast.InputObject {
		return "bad"
	}
	switch def.Name {
	case "String", "ID", "DateTime", "Date":
		return true
	}
	return "bad"
}

// diffScalarLit writes a scalar value (or an _Any's object) as a GraphQL
// literal.
func diffScalarLit(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		return strings.TrimSuffix(b.String(), "\n")
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = diffScalarLit(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + diffScalarLit(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	panic(fmt.Sprintf("no literal for %T", v))
}

// harvest keeps the cursors of the root customers fields of an answer,
// for later queries' after.
func (g *diffGen) harvest(q diffQuery, body []byte) {
	if len(q.lists) == 0 {
		return
	}
	var resp struct {
		Data map[string]any `json:"data"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return
	}
	keys := make([]string, 0, len(q.lists))
	for k := range q.lists {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		list := q.lists[k]
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				ks := make([]string, 0, len(v))
				for k := range v {
					ks = append(ks, k)
				}
				sort.Strings(ks)
				for _, k := range ks {
					walk(v[k])
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			case string:
				if diffIsCursor(v) && !slices.Contains(g.p.cursors[list], v) && len(g.p.cursors[list]) < 300 {
					g.p.cursors[list] = append(g.p.cursors[list], v)
				}
			}
		}
		walk(resp.Data[k])
	}
}

// diffIsCursor tells a list cursor (base64 of a JSON object with its version
// "v") from the other strings of an answer.
func diffIsCursor(s string) bool {
	if len(s) < 16 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && bytes.HasPrefix(b, []byte(`{"v":`))
}
