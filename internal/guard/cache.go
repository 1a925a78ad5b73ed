package guard

import (
	"context"
	"encoding/json"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"custgraph/internal/customer"
)

// Remote is a second cache level that replicas share (Redis): what one
// replica fetched, the others serve. It is best effort: a failing remote
// is a miss, and a write that fails is dropped.
type Remote interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Set(ctx context.Context, entries map[string][]byte, ttl time.Duration)
}

// cache is a bounded LRU whose entries also expire after a TTL, in front
// of an optional Remote.
//
// Why not golang-lru's expirable.LRU: it starts a cleanup goroutine per
// cache that can never be stopped. Here an expired entry is dropped when
// it is read, and the LRU bound keeps the rest in check.
type cache[V any] struct {
	ttl    time.Duration
	now    func() time.Time
	lru    *lru.Cache[string, entry[V]]
	remote Remote
	name   string // the remote keys' prefix, e.g. "U8:get:"
}

type entry[V any] struct {
	v       V
	err     error // a cached "not found"
	expires time.Time
}

// wire is an entry as the remote holds it.
type wire[V any] struct {
	V        V      `json:"v"`
	NotFound string `json:"nf,omitempty"`
	Expires  int64  `json:"exp"` // unix ms
}

// newCache returns a cache of at most size entries living ttl each, or nil
// (which caches nothing) when ttl or size is not positive.
func newCache[V any](size int, ttl time.Duration, now func() time.Time, remote Remote, name string) *cache[V] {
	if ttl <= 0 || size <= 0 {
		return nil
	}
	l, err := lru.New[string, entry[V]](size)
	if err != nil { // only for a size ≤ 0, excluded above
		panic(err)
	}
	return &cache[V]{ttl: ttl, now: now, lru: l, remote: remote, name: name}
}

// peek returns a live entry of this process, never asking the remote.
func (c *cache[V]) peek(key string) (entry[V], bool) {
	if c == nil {
		return entry[V]{}, false
	}
	if e, ok := c.lru.Get(key); ok && c.now().Before(e.expires) {
		return e, true
	}
	return entry[V]{}, false
}

// get returns a live entry, from this process or else from the remote.
func (c *cache[V]) get(ctx context.Context, key string) (entry[V], bool) {
	if c == nil {
		return entry[V]{}, false
	}
	if e, ok := c.lru.Get(key); ok {
		if c.now().Before(e.expires) {
			return e, true
		}
		c.lru.Remove(key)
	}
	if c.remote == nil {
		return entry[V]{}, false
	}
	raw, ok := c.remote.Get(ctx, c.name+key)
	if !ok {
		return entry[V]{}, false
	}
	var w wire[V]
	if json.Unmarshal(raw, &w) != nil {
		return entry[V]{}, false
	}
	e := entry[V]{v: w.V, expires: time.UnixMilli(w.Expires)}
	if w.NotFound != "" {
		e.err = customer.NotFoundf("%s", w.NotFound)
	}
	if !c.now().Before(e.expires) {
		return entry[V]{}, false
	}
	c.lru.Add(key, e)
	return e, true
}

// put stores an answer (v, or a not-found err) for the TTL, here and in
// the remote.
func (c *cache[V]) put(ctx context.Context, key string, v V, err error) {
	c.putMany(ctx, map[string]V{key: v}, err)
}

// putMany stores answers, with one remote write for all.
func (c *cache[V]) putMany(ctx context.Context, vs map[string]V, err error) {
	if c == nil || len(vs) == 0 {
		return
	}
	expires := c.now().Add(c.ttl)
	var remote map[string][]byte
	if c.remote != nil {
		remote = make(map[string][]byte, len(vs))
	}
	for key, v := range vs {
		c.lru.Add(key, entry[V]{v: v, err: err, expires: expires})
		if remote != nil {
			w := wire[V]{V: v, Expires: expires.UnixMilli()}
			if err != nil {
				w.NotFound = customer.AsError(err).Message
			}
			if raw, jerr := json.Marshal(w); jerr == nil {
				remote[c.name+key] = raw
			}
		}
	}
	if len(remote) > 0 {
		c.remote.Set(ctx, remote, c.ttl)
	}
}

// len is the number of entries held here, live or not yet dropped.
func (c *cache[V]) len() int {
	if c == nil {
		return 0
	}
	return c.lru.Len()
}
