package graph

import (
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestPlansBounded: the plan cache keeps at most maxPlans entries, and so
// at most that many documents alive, however many distinct documents it
// sees; and a selection seen again, copied as gqlgen copies it on every
// request, is answered from the cache.
func TestPlansBounded(t *testing.T) {
	ps := NewPlans()
	plan := func(q string) *plan {
		doc, err := gqlparser.LoadQueryWithRules(parsedSchema, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
		customers := doc.Operations[0].SelectionSet[0].(*ast.Field)
		return ps.planFor(oc, customers.SelectionSet, kConnection)
	}
	for i := range 3 * maxPlans {
		if p := plan(fmt.Sprintf(`{ customers(first: %d) { nodes { id name } } }`, 1+i%100)); p == nil {
			t.Fatalf("query %d: no plan for plain fields", i)
		}
		ps.mu.RLock()
		n := len(ps.cache)
		ps.mu.RUnlock()
		if n > maxPlans {
			t.Fatalf("%d entries after %d documents, want at most %d", n, i+1, maxPlans)
		}
	}
	if p := plan(`{ customers { nodes { remark } } }`); p != nil {
		t.Error("a resolver field (remark) got a plan")
	}

	doc, err := gqlparser.LoadQueryWithRules(parsedSchema, `{ customers { a: nodes { id } b: nodes { name } } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
	sel := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
	first := ps.planFor(oc, sel, kConnection)
	// A copy of the selection, as gqlgen's CollectFields makes on every
	// request: the same document's nodes, the same plan.
	if again := ps.planFor(oc, append(ast.SelectionSet(nil), sel...), kConnection); first == nil || again != first {
		t.Errorf("the same selection of the same document compiled again (%p, %p)", first, again)
	}
}
