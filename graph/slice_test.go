package graph

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestMayWait: a list is marshalled on one goroutine only when nothing in
// its elements' selection can wait on a loader, however the selection
// reaches such a field.
func TestMayWait(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	for _, tt := range []struct {
		name, query string
		wait        bool
	}{
		{"plain fields", `{ customers { nodes { id name phones { number } } } }`, false},
		{"aliases of plain fields", `{ customers { nodes { a: id b: name } } }`, false},
		{"a resolver field", `{ customers { nodes { id links { confidence } } } }`, true},
		{"a resolver aliased", `{ customers { nodes { id r: remark } } }`, true},
		{"a batch resolver on the elements", `{ customers { nodes { id m: matches { id name } } } }`, false},
		{"a batch resolver below the elements", `{ customers { nodes { matches { matches { id } } } } }`, true},
		{"a resolver below a batch resolver", `{ customers { nodes { matches { id remark } } } }`, true},
		{"a batch resolver in a fragment on the elements", `{ customers { nodes { ...F } } } fragment F on Customer { ... on Customer { matches { id } } }`, false},
		{"a resolver in a nested object", `{ customers { nodes { u8 { selfDefined { index value } } } } }`, true},
		{"a resolver in an inline fragment", `{ customers { nodes { ... on Customer { remark } } } }`, true},
		{"a resolver in a named fragment", `{ customers { nodes { ...F } } } fragment F on Customer { id ...G } fragment G on Customer { links { confidence } }`, true},
		{"a named fragment of plain fields", `{ customers { nodes { ...F } } } fragment F on Customer { id name }`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tt.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{Doc: doc})
			nodes := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field).SelectionSet
			if got := mayWait(ctx, nodes); got != tt.wait {
				t.Errorf("mayWait = %v, want %v", got, tt.wait)
			}
		})
	}
}

// onCallersGoroutine reports whether the calling code runs on the
// goroutine of TestMarshalSlice (its frame is on the stack), rather than
// on one marshalSlice started.
func onCallersGoroutine() bool {
	buf := make([]byte, 64<<10)
	return strings.Contains(string(buf[:runtime.Stack(buf, false)]), "graph.TestMarshalSlice")
}

// TestMarshalSlice: a list that cannot wait is marshalled in order on the
// caller's goroutine, each element with its own index; one that can is
// marshalled with every element at once, as the loaders need to batch a
// page's keys (the elements here only finish once all have started).
func TestMarshalSlice(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	nodes := func(q string) (context.Context, ast.SelectionSet) {
		doc, errs := gqlparser.LoadQueryWithRules(schema, q, nil)
		if errs != nil {
			t.Fatal(errs)
		}
		ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{Doc: doc})
		return ctx, doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field).SelectionSet
	}

	t.Run("in order on the caller's goroutine", func(t *testing.T) {
		ctx, sel := nodes(`{ customers { nodes { id name } } }`)
		var order []int
		got := marshalSlice(ctx, sel, 5, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
			if !onCallersGoroutine() {
				t.Errorf("element %d marshalled on another goroutine", i)
			}
			if idx := graphql.GetFieldContext(ctx).Index; idx == nil || *idx != i {
				t.Errorf("element %d has index %v", i, idx)
			}
			order = append(order, i)
			return graphql.MarshalString(fmt.Sprint(i))
		})
		if len(got) != 5 || fmt.Sprint(order) != "[0 1 2 3 4]" {
			t.Errorf("got %d elements in order %v", len(got), order)
		}
	})

	t.Run("all at once when an element can wait", func(t *testing.T) {
		ctx, sel := nodes(`{ customers { nodes { id links { confidence } } } }`)
		const n = 5
		var started sync.WaitGroup
		started.Add(n)
		all := make(chan struct{})
		go func() { started.Wait(); close(all) }()
		got := marshalSlice(ctx, sel, n, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
			started.Done()
			select {
			case <-all:
			case <-time.After(10 * time.Second):
				t.Errorf("element %d: the others never started (marshalled one at a time)", i)
			}
			return graphql.MarshalString(fmt.Sprint(i))
		})
		if len(got) != n {
			t.Errorf("got %d elements", len(got))
		}
	})

	t.Run("a panic nulls the list, as gqlgen's", func(t *testing.T) {
		ctx, sel := nodes(`{ customers { nodes { id } } }`)
		ctx = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, graphql.DefaultRecover)
		ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "nodes"}}})
		var tried []int
		got := marshalSlice(ctx, sel, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
			tried = append(tried, i)
			if i == 1 {
				panic("boom")
			}
			return graphql.MarshalString("x")
		})
		if got != nil || fmt.Sprint(tried) != "[0 1 2]" {
			t.Errorf("got %v after trying %v, want nil after all three", got, tried)
		}
		if errs := graphql.GetErrors(ctx); len(errs) != 1 {
			t.Errorf("errors %v, want the panic's one", errs)
		}
	})
}
