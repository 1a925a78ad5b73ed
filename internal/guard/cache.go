package guard

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// cache is a bounded LRU whose entries also expire after a TTL.
//
// Why not golang-lru's expirable.LRU: it starts a cleanup goroutine per
// cache that can never be stopped. Here an expired entry is dropped when
// it is read, and the LRU bound keeps the rest in check.
type cache[V any] struct {
	ttl time.Duration
	now func() time.Time
	lru *lru.Cache[string, entry[V]]
}

type entry[V any] struct {
	v       V
	err     error // a cached "not found"
	expires time.Time
}

// newCache returns a cache of at most size entries living ttl each, or nil
// (which caches nothing) when ttl or size is not positive.
func newCache[V any](size int, ttl time.Duration, now func() time.Time) *cache[V] {
	if ttl <= 0 || size <= 0 {
		return nil
	}
	l, err := lru.New[string, entry[V]](size)
	if err != nil { // only for a size ≤ 0, excluded above
		panic(err)
	}
	return &cache[V]{ttl: ttl, now: now, lru: l}
}

// get returns a live entry.
func (c *cache[V]) get(key string) (entry[V], bool) {
	if c == nil {
		return entry[V]{}, false
	}
	e, ok := c.lru.Get(key)
	if !ok {
		return e, false
	}
	if !c.now().Before(e.expires) {
		c.lru.Remove(key)
		return entry[V]{}, false
	}
	return e, true
}

// put stores an answer (v, or a not-found err) for the TTL.
func (c *cache[V]) put(key string, v V, err error) {
	if c == nil {
		return
	}
	c.lru.Add(key, entry[V]{v: v, err: err, expires: c.now().Add(c.ttl)})
}

// len is the number of entries held, live or not yet dropped.
func (c *cache[V]) len() int {
	if c == nil {
		return 0
	}
	return c.lru.Len()
}
