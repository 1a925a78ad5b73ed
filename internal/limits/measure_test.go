package limits_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"custgraph/internal/limits"
)

const testSchema = `
type Query {
  item(id: ID!): Item
  items(first: Int = 10): Connection!
  node(id: ID!): Node
}
interface Node { id: ID! }
type Item implements Node {
  id: ID!
  name: String!
  tags: [String!]!
  children: [Item!]!
}
type Connection { nodes: [Item!]! total: Int }
`

var schema = gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphqls", Input: testSchema})

// pageModel sizes Connection.nodes by items' first and Item.children as
// 3 records, each costing 10 more than a plain field.
func pageModel(f limits.Field) limits.Cost {
	switch f.Parent + "." + f.Name {
	case "Query.items":
		first, _ := f.Args["first"].(int64)
		return limits.Cost{Self: 10, Each: 1, Page: int(first)}
	case "Connection.nodes":
		return limits.Cost{Self: 1, Each: f.Page}
	case "Item.children":
		return limits.Cost{Self: 10, Each: 3}
	}
	return limits.Cost{Self: 1, Each: 1}
}

func measure(t *testing.T, query string, vars map[string]any, model limits.CostModel) limits.Measurement {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		t.Fatalf("invalid test query: %v", errs)
	}
	return limits.Measure(doc, doc.Operations[0], vars, model)
}

func TestMeasure(t *testing.T) {
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		model limits.CostModel
		want  limits.Measurement
	}{
		{"one field", `{ item(id: 1) { id } }`, nil, nil, limits.Measurement{Depth: 2, Cost: 2}},
		{"__typename at the root", `{ __typename }`, nil, nil, limits.Measurement{Depth: 1, Cost: 1}},
		{"nesting", `{ item(id: 1) { children { children { children { name } } } } }`, nil, nil,
			limits.Measurement{Depth: 5, Cost: 5}},
		{"depth is the deepest branch", `{ item(id: 1) { id children { id } } items { total } }`, nil, nil,
			limits.Measurement{Depth: 3, Cost: 6}},
		{"fragment expanded for depth", `{ item(id: 1) { ...F } } fragment F on Item { children { children { id } } }`, nil, nil,
			limits.Measurement{Depth: 4, Cost: 4}},
		{"inline fragment", `{ node(id: 1) { ... on Item { children { id } } } }`, nil, nil,
			limits.Measurement{Depth: 3, Cost: 3}},
		{"aliases", `{ a: item(id: 1) { id } b: item(id: 2) { x: id name } item(id: 3) { id: id } }`, nil, nil,
			limits.Measurement{Depth: 2, Aliases: 3, Cost: 7}},
		{"aliases of a fragment spread under two fields count twice",
			`{ a: item(id: 1) { ...F } b: item(id: 2) { ...F } } fragment F on Item { x: id y: name }`, nil, nil,
			limits.Measurement{Depth: 2, Aliases: 6, Cost: 6}},
		{"a fragment spread twice in one selection is collected once",
			`{ item(id: 1) { ...F ...F ... on Item { ...F } } } fragment F on Item { x: id }`, nil, nil,
			limits.Measurement{Depth: 2, Aliases: 1, Cost: 2}},
		{"introspection is not walked", `{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, nil, nil,
			limits.Measurement{Depth: 1, Cost: 1}},
		{"aliased introspection counts its alias", `{ s: __schema { queryType { name } } t: __type(name: "Item") { name } }`, nil, nil,
			limits.Measurement{Depth: 1, Aliases: 2, Cost: 2}},
		{"page from the default of first", `{ items { nodes { id name } total } }`, nil, pageModel,
			// items 10 + (nodes 1 + 10×2) + total 1
			limits.Measurement{Depth: 3, Cost: 32}},
		{"page from a variable", `query($n: Int) { items(first: $n) { nodes { id } } }`, map[string]any{"n": int64(50)}, pageModel,
			limits.Measurement{Depth: 3, Cost: 10 + 1 + 50}},
		{"page through a fragment", `{ items(first: 5) { ...C } } fragment C on Connection { nodes { id } }`, nil, pageModel,
			limits.Measurement{Depth: 3, Cost: 10 + 1 + 5}},
		{"one fragment under two pages", `{ a: items(first: 5) { ...C } b: items(first: 7) { ...C } } fragment C on Connection { nodes { id } }`, nil, pageModel,
			limits.Measurement{Depth: 3, Aliases: 2, Cost: (10 + 1 + 5) + (10 + 1 + 7)}},
		{"nested lists multiply", `{ items(first: 100) { nodes { children { children { id } } } } }`, nil, pageModel,
			// children: 10 + 3×1 = 13; outer children: 10 + 3×13 = 49; nodes: 1 + 100×49
			limits.Measurement{Depth: 5, Cost: 10 + 1 + 100*49}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := measure(t, tt.query, tt.vars, tt.model); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A chain of fragments that each spread the next in two fields is 2^n
// fields when executed: the cost must say so, the walk must stay linear,
// and the arithmetic must saturate rather than wrap.
func TestMeasureFragmentBombIsLinearAndSaturates(t *testing.T) {
	const n = 70
	var b strings.Builder
	b.WriteString("{ item(id: 1) { ...F0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Item { a: children { ...F%d } b: children { ...F%d } }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Item { id }\n", n)
	start := time.Now()
	got := measure(t, b.String(), nil, pageModel)
	if d := time.Since(start); d > time.Second {
		t.Errorf("measuring took %v", d)
	}
	if got.Cost != math.MaxInt || got.Aliases != math.MaxInt || got.Depth != n+2 {
		t.Errorf("got %+v, want saturated cost and aliases, depth %d", got, n+2)
	}
}

// Validation refuses fragment cycles; Measure must still end on one.
func TestMeasureFragmentCycleEnds(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: `{ item(id: 1) { ...A } }
	  fragment A on Item { id ...B } fragment B on Item { name ...A }`})
	if err != nil {
		t.Fatal(err)
	}
	got := limits.Measure(doc, doc.Operations[0], nil, nil)
	if got.Depth != 2 || got.Cost != 3 {
		t.Errorf("got %+v, want depth 2, cost 3", got)
	}
}

func TestCheck(t *testing.T) {
	o := limits.Options{MaxDepth: 3, MaxAliases: 2, MaxCost: 20, MaxOperations: 2}
	tests := []struct {
		name, query, code, message string
		limit, actual              int
	}{
		{"within", `{ a: item(id: 1) { children { id } } }`, "", "", 0, 0},
		{"too deep", `{ item(id: 1) { children { children { id } } } }`, limits.CodeTooDeep,
			"the query is 4 levels deep, over the limit of 3", 3, 4},
		{"depth before aliases", `{ a: item(id: 1) { b: children { c: children { id } } } }`, limits.CodeTooDeep,
			"the query is 4 levels deep, over the limit of 3", 3, 4},
		{"too many aliases", `{ a: item(id: 1) { id } b: item(id: 1) { id } c: item(id: 1) { id } }`, limits.CodeTooManyAliases,
			"the query has 3 aliases, over the limit of 2", 2, 3},
		{"too complex", `{ items(first: 30) { nodes { id } } }`, limits.CodeTooComplex,
			"the query costs 41, over the limit of 20: ask for fewer records (first, ids) or fewer nested matches", 20, 41},
		{"too many operations", `query A { __typename } query B { __typename } query C { __typename }`, limits.CodeTooManyOperations,
			"the document holds 3 operations, over the limit of 2: send only the one to run", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tt.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			_, err := o.Check(doc, doc.Operations[0], nil, pageModel)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("not refused")
			}
			if err.Message != tt.message || err.Extensions["code"] != tt.code ||
				err.Extensions["limit"] != tt.limit || err.Extensions["actual"] != tt.actual {
				t.Errorf("got %q %v, want %q code %s limit %d actual %d", err.Message, err.Extensions, tt.message, tt.code, tt.limit, tt.actual)
			}
		})
	}
}

func TestZeroOptionsCheckNothing(t *testing.T) {
	doc, errs := gqlparser.LoadQueryWithRules(schema, `query A { a: item(id: 1) { children { children { children { id } } } } } query B { __typename }`, nil)
	if errs != nil {
		t.Fatal(errs)
	}
	if _, err := (limits.Options{}).Check(doc, doc.Operations[0], nil, nil); err != nil {
		t.Errorf("zero options refused: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := limits.Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if err := (limits.Options{}).Validate(); err != nil {
		t.Errorf("zero: %v", err)
	}
	err := limits.Options{MaxDepth: -1, MaxOperations: -5}.Validate()
	if err == nil || !strings.Contains(err.Error(), "MaxDepth") || !strings.Contains(err.Error(), "MaxOperations") {
		t.Errorf("negative limits: %v", err)
	}
}
