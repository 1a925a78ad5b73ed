package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// marshalSlice marshals a list of objects. The generated code calls it in
// place of graphql.MarshalSliceConcurrently (internal/generate rewrites
// the calls), with the list's selection set.
//
// gqlgen starts a goroutine per element so that the resolvers of every
// element run at once and their loaders batch all the keys of the page.
// When the selection holds no field that could wait (concurrentFields:
// no resolver, no method that takes a context, at any depth), no element
// can block, and the goroutines only cost: for a page of 20 customers with
// `id name`, about a fifth of the gateway's CPU per query. Such lists are
// marshalled in order on the caller's goroutine; the rest as gqlgen does.
//
// A batch resolver selected on the elements themselves (Customer.matches)
// does not make them wait on each other: the first element's call
// resolves the field for every element of the list (gqlgen's batch
// parents), and the others read its result.
func marshalSlice(ctx context.Context, sel ast.SelectionSet, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length <= 1 || mayWait(ctx, sel) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	failed := false
	for i := range length {
		// As gqlgen's: a field context per element, its own index.
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		if !marshalRecovering(childCtx, i, ret, marshalElement) {
			failed = true
		}
	}
	if failed {
		// As gqlgen's: a panic in any element nulls the list, after every
		// element has been tried.
		return nil
	}
	return ret
}

// marshalRecovering marshals element i into ret, turning a panic into the
// field error gqlgen's recover would add; it reports whether it did not
// panic.
func marshalRecovering(ctx context.Context, i int, ret graphql.Array, marshalElement func(context.Context, int) graphql.Marshaler) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			ok = false
		}
	}()
	ret[i] = marshalElement(ctx, i)
	return true
}

// maxSelectionDepth and maxSelections bound mayWait's walk: a selection
// deeper or larger than this is taken to wait (the query limits refuse
// far smaller documents anyway).
const (
	maxSelectionDepth = 64
	maxSelections     = 10000
)

// mayWait reports whether sel, with the fragments it spreads, selects a
// field in concurrentFields: at any depth, but a batch resolver only below
// the elements' own fields.
func mayWait(ctx context.Context, sel ast.SelectionSet) bool {
	var fragments ast.FragmentDefinitionList
	if graphql.HasOperationContext(ctx) {
		if doc := graphql.GetOperationContext(ctx).Doc; doc != nil {
			fragments = doc.Fragments
		}
	}
	steps := 0
	return selectsConcurrent(sel, fragments, 0, &steps)
}

// selectsConcurrent is mayWait at level (0: the elements' own fields;
// fragments stay at their level). steps counts the selection sets walked,
// bounded by maxSelectionDepth per level and in all.
func selectsConcurrent(sel ast.SelectionSet, fragments ast.FragmentDefinitionList, level int, steps *int) bool {
	if *steps++; *steps > maxSelections || level > maxSelectionDepth {
		return true
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if batch, ok := concurrentFields[s.Name]; ok && (!batch || level > 0) {
				return true
			}
			if selectsConcurrent(s.SelectionSet, fragments, level+1, steps) {
				return true
			}
		case *ast.InlineFragment:
			if selectsConcurrent(s.SelectionSet, fragments, level, steps) {
				return true
			}
		case *ast.FragmentSpread:
			f := s.Definition
			if f == nil {
				f = fragments.ForName(s.Name)
			}
			if f == nil || selectsConcurrent(f.SelectionSet, fragments, level, steps) {
				return true
			}
		}
	}
	return false
}
