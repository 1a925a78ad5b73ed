package guard

import (
	"context"
	"fmt"
	"strconv"

	"custgraph/internal/customer"
	"custgraph/internal/quota"
)

// U8 is a guarded U8 client: exactly customer.U8Source.
type U8 struct {
	*Guard
	client customer.U8Source
}

// YCM is a guarded YCM client: exactly customer.YCMSource (YCM has no
// search; the service finds names through its own index).
type YCM struct {
	*Guard
	client customer.YCMSource
}

// CRM is a guarded CRM client: exactly customer.CRMSource.
type CRM struct {
	*Guard
	client customer.CRMSource
}

// Each wrapper is its vendor's source and nothing more: a guarded YCM does
// not type-check as a CRM source.
var (
	_ customer.U8Source  = (*U8)(nil)
	_ customer.YCMSource = (*YCM)(nil)
	_ customer.CRMSource = (*CRM)(nil)
)

// NewU8 guards a U8 client. Its list and search answers carry the same
// fields as its by-key answer, so their records fill the cache by key.
func NewU8(client customer.U8Source, o Options) *U8 {
	return &U8{Guard: newGuard(customer.U8, o, true), client: client}
}

// NewYCM guards a YCM client. Its list answers fill the cache by key.
func NewYCM(client customer.YCMSource, o Options) *YCM {
	return &YCM{Guard: newGuard(customer.YCM, o, true), client: client}
}

// NewCRM guards a CRM client. Its list carries fewer fields than its
// detail (no note), so list records do not fill the cache by key.
func NewCRM(client customer.CRMSource, o Options) *CRM {
	return &CRM{Guard: newGuard(customer.CRM, o, false), client: client}
}

// Get returns a record by key (see Guard.get).
func (s *U8) Get(ctx context.Context, key string) (*customer.Customer, error) {
	return s.get(ctx, key, s.client.Get)
}

// List returns one page (see Guard.list).
func (s *U8) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	return s.list(ctx, q, s.client.List)
}

// FindByName returns the records named exactly name (see Guard.findByName).
func (s *U8) FindByName(ctx context.Context, name string) ([]*customer.Customer, error) {
	return s.findByName(ctx, name, s.client.FindByName)
}

// Get returns a record by key (see Guard.get).
func (s *YCM) Get(ctx context.Context, key string) (*customer.Customer, error) {
	return s.get(ctx, key, s.client.Get)
}

// List returns one page (see Guard.list).
func (s *YCM) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	return s.list(ctx, q, s.client.List)
}

// Get returns a record by key (see Guard.get).
func (s *CRM) Get(ctx context.Context, key string) (*customer.Customer, error) {
	return s.get(ctx, key, s.client.Get)
}

// List returns one page (see Guard.list).
func (s *CRM) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	return s.list(ctx, q, s.client.List)
}

// FindByName returns the records named exactly name (see Guard.findByName).
func (s *CRM) FindByName(ctx context.Context, name string) ([]*customer.Customer, error) {
	return s.findByName(ctx, name, s.client.FindByName)
}

// Contacts returns a customer's contacts, cached like a record.
func (s *CRM) Contacts(ctx context.Context, id string) ([]customer.CRMContact, error) {
	return cached(ctx, s.Guard, s.contacts, "contacts", id, func(ctx context.Context) ([]customer.CRMContact, error) {
		return s.client.Contacts(ctx, id)
	})
}

// get returns a record by key: from the cache when it holds the key (a
// record or "no such record"), else from one coalesced, protected call.
func (g *Guard) get(ctx context.Context, key string, fetch func(context.Context, string) (*customer.Customer, error)) (*customer.Customer, error) {
	return cached(ctx, g, g.byKey, "get", key, func(ctx context.Context) (*customer.Customer, error) {
		return fetch(ctx, key)
	})
}

// findByName returns the records named exactly name, cached like a record;
// the records found fill the cache by key where the vendor allows.
func (g *Guard) findByName(ctx context.Context, name string, fetch func(context.Context, string) ([]*customer.Customer, error)) ([]*customer.Customer, error) {
	return cached(ctx, g, g.byName, "name", name, func(ctx context.Context) ([]*customer.Customer, error) {
		cs, err := fetch(ctx, name)
		if err == nil {
			// Once per vendor answer, not per caller: an answer from
			// the cache or shared with others is already remembered.
			g.remember(ctx, cs)
		}
		return cs, err
	})
}

// PeekGet answers a record by key from this process's cache, with no call,
// no remote cache and no waiting (ok false when it holds nothing). A
// record known not to exist is nil with ok true.
func (g *Guard) PeekGet(key string) (*customer.Customer, bool) {
	return peek(g, g.byKey, key)
}

// PeekName answers the records named name as PeekGet answers a key.
func (g *Guard) PeekName(name string) ([]*customer.Customer, bool) {
	return peek(g, g.byName, name)
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

// list returns one page. Pages are never cached: vendors page by offset,
// so a cached page would skip or repeat records once the data change and
// cursors (which hold raw offsets) would drift. Identical pages asked at
// the same time share one call, and (where the vendor allows) the records
// a page brings fill the cache by key.
func (g *Guard) list(ctx context.Context, q customer.ListQuery, fetch func(context.Context, customer.ListQuery) (*customer.Page, error)) (*customer.Page, error) {
	v, err, shared := g.flights.do(ctx, flightKey(ctx, listKey(q)), func(ctx context.Context) (any, error) {
		v, err := g.run(ctx, func(ctx context.Context) (any, error) { return fetch(ctx, q) })
		if err == nil && !quota.IsBackground(ctx) {
			// Once per vendor answer, not once per caller sharing it.
			// Not the directory's sync (background): it reads every
			// page of a source, which would churn the cache (and, with
			// replicas, write every record to Redis) for keys the
			// directory itself answers.
			g.remember(ctx, v.(*customer.Page).Customers)
		}
		return v, err
	})
	if shared {
		g.coalesced.Add(1)
	}
	if err != nil {
		return nil, g.waitError(err)
	}
	return v.(*customer.Page), nil
}

// listKey identifies a page question, written out field by field rather
// than with %+v, which walks the struct by reflection on every call. Every
// field a vendor is asked is in it, the directory's change filters
// included, so that different questions never share a flight; Filter.Search
// is not, since no vendor is asked it (the directory answers it), and
// questions that differ only in it get the same vendor answer.
func listKey(q customer.ListQuery) string {
	since := ""
	if t := q.Filter.UpdatedSince; t != nil {
		since = strconv.FormatInt(t.UnixNano(), 10)
	}
	return fmt.Sprintf("list %d/%d %q %q %q %s %q %t", q.Page, q.PageSize, q.Filter.Name, q.Filter.CodeFrom, q.Filter.CodeTo, since,
		q.TimestampFrom, q.NewestFirst)
}

// remember caches records by key as a lookup by key would have, when the
// vendor's list and search answers carry what its by-key answer does.
func (g *Guard) remember(ctx context.Context, cs []*customer.Customer) {
	if !g.prime || g.byKey == nil {
		return
	}
	byKey := make(map[string]*customer.Customer, len(cs))
	for _, c := range cs {
		if c != nil {
			byKey[c.SourceID] = c
		}
	}
	g.byKey.putMany(ctx, byKey, nil)
}

// cached answers from c when it can, else makes one coalesced, protected
// call and caches its answer: a value, or "not found". Failures are never
// cached. Under Fresh the cache is not asked (nor counted as a miss), and
// the answer replaces what it held.
func cached[V any](ctx context.Context, g *Guard, c *cache[V], op, key string, fn func(context.Context) (V, error)) (V, error) {
	if !isFresh(ctx) {
		if e, ok := c.get(ctx, key); ok {
			g.hits.Add(1)
			return e.v, e.err
		}
		if c != nil {
			g.misses.Add(1)
		}
	}
	v, err, shared := g.flights.do(ctx, flightKey(ctx, op+" "+key), func(ctx context.Context) (any, error) {
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
