package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"

	"custgraph/graph/model"
	"custgraph/internal/customer"
)

// partial returns the data the healthy sources gave and reports each
// failed source's error beside it, at the field's path: the partial-result
// shape of the contract. Only when there is no data at all (a nil result,
// e.g. a malformed ID or a bad cursor) does the field itself fail.
func partial[T any](ctx context.Context, v T, errs []error) (T, error) {
	if len(errs) > 0 && isNil(v) {
		for _, err := range errs[1:] {
			graphql.AddError(ctx, err)
		}
		return v, errs[0]
	}
	for _, err := range errs {
		graphql.AddError(ctx, err)
	}
	return v, nil
}

// partialBatch is partial for a batch resolver over parents of the GraphQL
// type typeName (Go type P): vs[i] and errs[i] are parent i's. A parent's
// errors go beside its data at its own path; its field fails (null, with
// its first error) only when it has no data at all.
func partialBatch[P, T any](ctx context.Context, typeName string, vs []T, errs [][]error) ([]T, error) {
	var failed graphql.BatchErrorList
	for i, es := range errs {
		if len(es) == 0 {
			continue
		}
		if isNil(vs[i]) {
			if failed == nil {
				failed = make(graphql.BatchErrorList, len(vs))
			}
			// gqlgen adds it at parent i's path as it resolves the field.
			failed[i], es = es[0], es[1:]
		}
		at := pathIndexOf[P](ctx, typeName, i)
		for _, err := range es {
			graphql.AddBatchError(ctx, at, err)
		}
	}
	if failed != nil {
		return vs, failed
	}
	return vs, nil
}

// pathIndexOf is the index in the response's list of the batch's parent
// i: the same, unless the list mixes types (federation's _entities), where
// gqlgen maps list indices to the parents of each type.
func pathIndexOf[P any](ctx context.Context, typeName string, i int) int {
	b, ok := graphql.BatchParentsFor[P](ctx, typeName)
	if !ok || b.IndexMap == nil {
		return i
	}
	for at, parent := range b.IndexMap {
		if parent == i {
			return at
		}
	}
	return i
}

func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// node returns c as a Node, and a nil interface (not a typed nil) when
// there is no such record.
func node(c *customer.Customer, err error) (model.Node, error) {
	if c == nil || err != nil {
		return nil, err
	}
	return c, nil
}

// orderOf is the domain's order of a list's orderBy (nil when none).
func orderOf(o *model.CustomerOrder) *customer.Order {
	if o == nil {
		return nil
	}
	return &customer.Order{Field: o.Field, Desc: o.Direction != nil && *o.Direction == model.OrderDirectionDesc}
}

// searchOf sets a filter's search. Given, it must hold a character other
// than spaces: an empty search is a client's mistake, not "no search".
func searchOf(f *customer.Filter, s *string) error {
	if s == nil {
		return nil
	}
	if customer.NormalizeText(*s) == "" {
		return customer.BadInputf("filter.search must hold at least one character other than spaces; leave it out for no search")
	}
	f.Search = *s
	return nil
}

func filterOf(f *customer.Filter) customer.Filter {
	if f == nil {
		return customer.Filter{}
	}
	return *f
}

// defaultFirst is the schema's default for `first`, also used when a
// client sends an explicit null.
const defaultFirst = 20

func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func entityIDs(reps []*model.CustomerByIDsInput) []string {
	ids := make([]string, len(reps))
	for i, r := range reps {
		ids[i] = r.ID
	}
	return ids
}
