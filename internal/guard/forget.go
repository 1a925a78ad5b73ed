package guard

import (
	"context"

	"custgraph/internal/customer"
)

// Forgetter is what a Remote that can drop entries offers (Redis does).
type Forgetter interface {
	Delete(ctx context.Context, keys []string)
}

// Forget drops what the caches hold about the records changes name: each
// one by key (its record, its CRM contacts) and the name lookups of its
// names before and after the change, here and, when the remote can, in
// the remote. The directory calls it on every replica for every change
// its sync sees, so that a by-key read is as fresh as the sync rather
// than as the cache's TTL. Changes of other sources are ignored.
func (g *Guard) Forget(ctx context.Context, changes []*customer.Change) {
	if g.byKey == nil && g.byName == nil && g.contacts == nil {
		return
	}
	var remote []string
	drop := func(c interface{ forget(string) string }, key string) {
		if k := c.forget(key); k != "" {
			remote = append(remote, k)
		}
	}
	for _, ch := range changes {
		if ch.Source != g.src {
			continue
		}
		drop(g.byKey, ch.Key)
		drop(g.contacts, ch.Key)
		for _, c := range []*customer.Customer{ch.Previous, ch.Customer} {
			if c != nil && c.Name != "" {
				drop(g.byName, c.Name)
			}
		}
	}
	if f, ok := g.o.Remote.(Forgetter); ok && len(remote) > 0 {
		f.Delete(ctx, remote)
	}
}

// forget drops key here and returns its remote key ("" when the cache is
// off).
func (c *cache[V]) forget(key string) string {
	if c == nil {
		return ""
	}
	c.lru.Remove(key)
	return c.name + key
}
