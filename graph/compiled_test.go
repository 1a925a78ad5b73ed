package graph_test

// The compiled writer (graph/compiled.go) against gqlgen's executor, over
// random data: records whose every field the writer writes takes
// awkward values (nil, empty, control characters, quotes, invalid UTF-8,
// unknown enum values, times with and without milliseconds in several
// zones, floats that are not finite), asked for with random selections
// of every field of the types it has plans for and a few it has not. The
// same schema and data serve two handlers, one with the writer off; their
// answers must be the same bytes. compiled_diff_test.go does the same over
// the simulators with generated query shapes, errors and partial results.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"custgraph/graph"
	"custgraph/internal/customer"
	"custgraph/internal/loader"
)

// awkwardStrings are values a string field takes.
var awkwardStrings = []string{"", "宁波程锦机械设备有限公司", `a "quoted" \ name`, "tab\there\nnew\rline", "\x00\x01\x1f\x7f",
	"bad \xff\xfe utf-8", "<script>&amp;</script>", "\u2028\u2029", "emoji 😀", "plain"}

func randString(r *rand.Rand) string { return awkwardStrings[r.IntN(len(awkwardStrings))] }

func randStringPtr(r *rand.Rand) *string {
	if r.IntN(3) == 0 {
		return nil
	}
	s := randString(r)
	return &s
}

func randTimePtr(r *rand.Rand) *time.Time {
	if r.IntN(4) == 0 {
		return nil
	}
	zones := []*time.Location{time.UTC, customer.Shanghai, time.FixedZone("x", -3*3600-1800)}
	t := time.Date(1990+r.IntN(50), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60),
		[]int{0, 1e6, 123456789, 999999999}[r.IntN(4)], zones[r.IntN(len(zones))])
	return &t
}

func randFloatPtr(r *rand.Rand, finite bool) *float64 {
	vals := []float64{0, math.Copysign(0, -1), 1, -1.5, 121.4737, 31.2304, 1e21, 1e-7, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64}
	if !finite {
		vals = append(vals, math.NaN(), math.Inf(1), math.Inf(-1))
	}
	if r.IntN(3) == 0 {
		return nil
	}
	f := vals[r.IntN(len(vals))]
	return &f
}

// randCustomers makes n records of src; with finite false, some of their
// coordinates are not finite numbers (an error gqlgen reports).
func randCustomers(r *rand.Rand, src customer.Source, n int, finite bool) []*customer.Customer {
	kinds := []customer.PhoneKind{customer.PhoneMobile, customer.PhoneWork, customer.PhoneHome, customer.PhoneFax, customer.PhoneOther, "PAGER"}
	cs := make([]*customer.Customer, n)
	for i := range cs {
		c := &customer.Customer{Source: src, SourceID: fmt.Sprintf("%08d", i+1), Name: randString(r),
			ShortName: randStringPtr(r), ContactName: randStringPtr(r), Email: randStringPtr(r),
			Remark: randStringPtr(r), CreatedAt: randTimePtr(r), UpdatedAt: randTimePtr(r)}
		if i%7 == 3 {
			c.Source = "NOWHERE" // an enum value the schema does not have
		}
		for range r.IntN(4) {
			c.Phones = append(c.Phones, customer.Phone{Kind: kinds[r.IntN(len(kinds))], Number: randString(r)})
		}
		if r.IntN(3) > 0 {
			c.Address = &customer.PostalAddress{Formatted: randStringPtr(r), Street: randStringPtr(r), City: randStringPtr(r),
				Region: randStringPtr(r), Country: randStringPtr(r), PostalCode: randStringPtr(r),
				Latitude: randFloatPtr(r, finite), Longitude: randFloatPtr(r, finite)}
		}
		cs[i] = c
	}
	return cs
}

// selectionGen writes random selections of a type from the schema.
type selectionGen struct {
	r      *rand.Rand
	schema *ast.Schema
	n      int // for unique aliases and fragment names
	frags  []string
}

// fieldsOf lists the fields of name the generator may select: those
// without required arguments.
func (g *selectionGen) fieldsOf(name string) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range g.schema.Types[name].Fields {
		required := false
		for _, a := range f.Arguments {
			required = required || (a.Type.NonNull && a.DefaultValue == nil)
		}
		if !required && !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	return out
}

// plain says whether a field is one the compiled writer has a plan for;
// the generator picks those most of the time.
var plain = map[string]bool{
	"edges": true, "nodes": true, "pageInfo": true, "totalCount": true, "cursor": true, "node": true,
	"hasNextPage": true, "endCursor": true, "id": true, "source": true, "sourceId": true, "name": true,
	"shortName": true, "contactName": true, "email": true, "phones": true, "address": true, "createdAt": true,
	"updatedAt": true, "kind": true, "number": true, "formatted": true, "street": true, "city": true,
	"region": true, "country": true, "postalCode": true, "latitude": true, "longitude": true,
	"matches": true, // resolved by gqlgen in the writer's lists (compiledBatch)
}

// selection writes a selection set of type name, depth levels deep at
// most; rarely it selects a field the writer leaves to gqlgen.
func (g *selectionGen) selection(name string, depth int) string {
	fields := g.fieldsOf(name)
	var parts []string
	for range 1 + g.r.IntN(5) {
		f := fields[g.r.IntN(len(fields))]
		if !plain[f.Name] && g.r.IntN(8) > 0 {
			continue
		}
		part := f.Name
		if f.Name == "matches" && g.r.IntN(2) == 0 {
			part += []string{"(sources: [CRM])", "(sources: [U8, YCM])", "(sources: [])"}[g.r.IntN(3)]
		}
		if g.r.IntN(4) == 0 {
			g.n++
			part = fmt.Sprintf("a%d: %s", g.n, f.Name)
		}
		if def := g.schema.Types[f.Type.Name()]; def.Kind == ast.Object || def.Kind == ast.Interface {
			if strings.HasPrefix(part, f.Name+"(") && g.r.IntN(2) == 0 {
				g.n++ // the same field with other arguments needs its own key
				part = fmt.Sprintf("a%d: %s", g.n, part)
			}
			if depth == 0 {
				continue
			}
			part += " " + g.selection(def.Name, depth-1)
		}
		switch g.r.IntN(10) {
		case 0: // the same response key twice: gqlgen merges them
			parts = append(parts, part)
		case 1:
			part = "... on " + name + " { " + part + " }"
		case 2:
			g.n++
			frag := fmt.Sprintf("F%d", g.n)
			g.frags = append(g.frags, "fragment "+frag+" on "+name+" { "+part+" }")
			part = "..." + frag
		}
		parts = append(parts, part)
	}
	if g.r.IntN(6) == 0 || len(parts) == 0 {
		parts = append(parts, "__typename")
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

// newMemoryHandler serves recs (their sources') over the schema, with the
// compiled writer on or off; plans counts what it wrote.
func newMemoryHandler(recs map[customer.Source][]*customer.Customer, compiled bool) (http.Handler, *graph.Plans) {
	srcs := customer.Sources{}
	for src, cs := range recs {
		m := &memorySource{src: src, recs: cs}
		switch src {
		case customer.U8:
			srcs.U8 = m
		case customer.YCM:
			srcs.YCM = m
		case customer.CRM:
			srcs.CRM = m
		}
	}
	svc := customer.NewService(srcs, customer.ServiceOptions{})
	plans := graph.NewPlans()
	h := graph.NewHandler(&graph.Resolver{Service: svc}, graph.HandlerOptions{NoCompiled: !compiled, Plans: plans})
	return loader.Middleware(svc, loader.Options{})(h), plans
}

// answerOf is the status and body of query's answer from h, whatever
// they are.
func answerOf(t *testing.T, h http.Handler, query string) []byte {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return append([]byte(fmt.Sprintf("%d ", w.Code)), w.Body.Bytes()...)
}

// sameAnswer reports whether two answers (status, then body) are the
// same bytes but for the order of their errors: gqlgen resolves fields
// that may wait (links, matches) concurrently, so their errors arrive in
// any order, with or without the compiled writer.
func sameAnswer(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	type answer struct {
		Errors     []json.RawMessage `json:"errors"`
		Data       json.RawMessage   `json:"data"`
		Extensions json.RawMessage   `json:"extensions"`
	}
	norm := func(raw []byte) (string, []string, bool) {
		status, body, _ := bytes.Cut(raw, []byte(" "))
		var v answer
		if json.Unmarshal(body, &v) != nil {
			return "", nil, false
		}
		errs := make([]string, len(v.Errors))
		for i, e := range v.Errors {
			errs[i] = string(e)
		}
		slices.Sort(errs)
		return string(status) + " " + string(v.Data) + " " + string(v.Extensions), errs, true
	}
	ra, ea, okA := norm(a)
	rb, eb, okB := norm(b)
	return okA && okB && ra == rb && slices.Equal(ea, eb)
}

func TestCompiledWritesWhatGqlgenWrites(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	queries := 400
	if testing.Short() {
		queries = 100
	}
	for _, finite := range []bool{true, false} {
		t.Run(fmt.Sprintf("finite=%v", finite), func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			r := rand.New(rand.NewPCG(seed, 18))
			recs := map[customer.Source][]*customer.Customer{
				customer.U8: randCustomers(r, customer.U8, 40, finite), customer.CRM: randCustomers(r, customer.CRM, 40, finite)}
			general, none := newMemoryHandler(recs, false)
			compiled, plans := newMemoryHandler(recs, true)
			for i := range queries {
				g := &selectionGen{r: r, schema: schema}
				var q string
				switch i % 4 {
				case 0, 1:
					q = fmt.Sprintf(`{ customers(sources: [U8, CRM], first: %d) %s }`, 1+r.IntN(30), g.selection("CustomerConnection", 3))
				case 2:
					q = fmt.Sprintf(`{ customersByIds(ids: ["u8:%08d", "crm:%08d", "u8:99999999"]) %s }`, 1+r.IntN(40), 1+r.IntN(40), g.selection("Customer", 2))
				case 3:
					q = fmt.Sprintf(`{ customer(id: "crm:%08d") %s }`, 1+r.IntN(41), g.selection("Customer", 2))
				}
				q += " " + strings.Join(g.frags, " ")
				want, got := answerOf(t, general, q), answerOf(t, compiled, q)
				if !sameAnswer(want, got) {
					t.Fatalf("query %d differs (seed %d)\n%s\ngqlgen:   %.3000s\ncompiled: %.3000s", i, seed, q, want, got)
				}
			}
			if none.Compiled.Load() != 0 || none.General.Load() != 0 {
				t.Errorf("the writer ran with CUSTGRAPH_COMPILED off: %d compiled, %d general", none.Compiled.Load(), none.General.Load())
			}
			// Most selections are plain: the writer must have written
			// most values, or this test compared gqlgen with itself.
			if c, g := plans.Compiled.Load(), plans.General.Load(); c < uint64(queries)/3 {
				t.Errorf("the compiled writer wrote %d values and left %d to gqlgen, of %d queries", c, g, queries)
			}
		})
	}
}
