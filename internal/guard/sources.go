package guard

import (
	"context"
	"fmt"
	"strconv"

	"custgraph/internal/customer"
)

// Source is a guarded vendor client. It implements whichever of
// customer.U8Source, YCMSource and CRMSource its client does.
type Source struct {
	*Guard
	getter customer.Getter
	lister customer.Lister
	finder customer.NameFinder    // nil when the vendor has no name search
	people customer.ContactLister // nil but for the CRM
	// prime: the vendor's list and search answers carry the same fields
	// as its by-key answer, so their records may fill the cache by key.
	// Not so for the CRM, whose detail adds the note (remark).
	prime bool
}

// U8 guards a U8 client.
func U8(next customer.U8Source, o Options) *Source {
	return &Source{Guard: newGuard(customer.U8, o), getter: next, lister: next, finder: next, prime: true}
}

// YCM guards a YCM client.
func YCM(next customer.YCMSource, o Options) *Source {
	return &Source{Guard: newGuard(customer.YCM, o), getter: next, lister: next, prime: true}
}

// CRM guards a CRM client.
func CRM(next customer.CRMSource, o Options) *Source {
	return &Source{Guard: newGuard(customer.CRM, o), getter: next, lister: next, finder: next, people: next}
}

var (
	_ customer.U8Source  = (*Source)(nil)
	_ customer.YCMSource = (*Source)(nil)
	_ customer.CRMSource = (*Source)(nil)
	_ customer.Peeker    = (*Source)(nil)
)

// Get returns a record by key: from the cache when it holds the key (a
// record or "no such record"), else from one coalesced, protected call.
func (s *Source) Get(ctx context.Context, key string) (*customer.Customer, error) {
	return cached(ctx, s.Guard, s.byKey, "get", key, func(ctx context.Context) (*customer.Customer, error) {
		return s.getter.Get(ctx, key)
	})
}

// FindByName returns the records named exactly name.
func (s *Source) FindByName(ctx context.Context, name string) ([]*customer.Customer, error) {
	if s.finder == nil {
		return nil, customer.BadInputf("%s has no name search", s.src)
	}
	return cached(ctx, s.Guard, s.byName, "name", name, func(ctx context.Context) ([]*customer.Customer, error) {
		cs, err := s.finder.FindByName(ctx, name)
		if err == nil {
			// Once per vendor answer, not per caller: an answer from
			// the cache or shared with others is already remembered.
			s.remember(ctx, cs)
		}
		return cs, err
	})
}

// PeekGet implements customer.Peeker from this process's cache.
func (s *Source) PeekGet(key string) (*customer.Customer, bool) {
	return peek(s.Guard, s.byKey, key)
}

// PeekName implements customer.Peeker from this process's cache.
func (s *Source) PeekName(name string) ([]*customer.Customer, bool) {
	if s.finder == nil {
		return nil, false
	}
	return peek(s.Guard, s.byName, name)
}

// peek answers from c's local entries: a value, or nil for "no such
// record". Only not-found errors are ever cached.
func peek[V any](g *Guard, c *cache[V], key string) (V, bool) {
	e, ok := c.peek(key)
	if !ok {
		var zero V
		return zero, false
	}
	g.hits.Add(1)
	return e.v, true
}

// Contacts returns a CRM customer's contacts.
func (s *Source) Contacts(ctx context.Context, id string) ([]customer.CRMContact, error) {
	if s.people == nil {
		return nil, customer.BadInputf("%s has no contacts", s.src)
	}
	return cached(ctx, s.Guard, s.contacts, "contacts", id, func(ctx context.Context) ([]customer.CRMContact, error) {
		return s.people.Contacts(ctx, id)
	})
}

// List returns one page. Pages are never cached: vendors page by offset,
// so a cached page would skip or repeat records once the data change and
// cursors (which hold raw offsets) would drift. Identical pages asked at
// the same time share one call, and (for U8 and YCM) the records a page
// brings fill the cache by key.
func (s *Source) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	v, err, shared := s.flights.do(ctx, listKey(q), func(ctx context.Context) (any, error) {
		v, err := s.run(ctx, func(ctx context.Context) (any, error) { return s.lister.List(ctx, q) })
		if err == nil {
			// Once per vendor answer, not once per caller sharing it.
			s.remember(ctx, v.(*customer.Page).Customers)
		}
		return v, err
	})
	if shared {
		s.coalesced.Add(1)
	}
	if err != nil {
		return nil, s.waitError(err)
	}
	return v.(*customer.Page), nil
}

// listKey identifies a page question, written out field by field rather
// than with %+v, which walks the struct by reflection on every call.
func listKey(q customer.ListQuery) string {
	since := ""
	if t := q.Filter.UpdatedSince; t != nil {
		since = strconv.FormatInt(t.UnixNano(), 10)
	}
	return fmt.Sprintf("list %d/%d %q %q %q %s", q.Page, q.PageSize, q.Filter.Name, q.Filter.CodeFrom, q.Filter.CodeTo, since)
}

// remember caches records by key as a lookup by key would have.
func (s *Source) remember(ctx context.Context, cs []*customer.Customer) {
	if !s.prime || s.byKey == nil {
		return
	}
	byKey := make(map[string]*customer.Customer, len(cs))
	for _, c := range cs {
		if c != nil {
			byKey[c.SourceID] = c
		}
	}
	s.byKey.putMany(ctx, byKey, nil)
}

// cached answers from c when it can, else makes one coalesced, protected
// call and caches its answer: a value, or "not found". Failures are never
// cached.
func cached[V any](ctx context.Context, g *Guard, c *cache[V], op, key string, fn func(context.Context) (V, error)) (V, error) {
	if e, ok := c.get(ctx, key); ok {
		g.hits.Add(1)
		return e.v, e.err
	}
	if c != nil {
		g.misses.Add(1)
	}
	v, err, shared := g.flights.do(ctx, op+" "+key, func(ctx context.Context) (any, error) {
		return g.run(ctx, func(ctx context.Context) (any, error) { return fn(ctx) })
	})
	if shared {
		g.coalesced.Add(1)
	}
	var zero V
	switch {
	case customer.IsNotFound(err):
		c.put(ctx, key, zero, err)
		return zero, err
	case err != nil:
		return zero, g.waitError(err)
	}
	out := v.(V)
	c.put(ctx, key, out, nil)
	return out, nil
}
