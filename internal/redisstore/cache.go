package redisstore

import (
	"context"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"
)

// Cache is the entity cache level that replicas share; it implements
// guard.Remote. Every failure is a miss or a dropped write: the replica's
// own cache and the vendors still answer.
type Cache struct {
	store *Store
}

// NewCache returns the shared entity cache.
func NewCache(store *Store) *Cache { return &Cache{store: store} }

// Get returns the value under key.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool) {
	var raw []byte
	err := c.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		var err error
		raw, err = rdb.Get(ctx, prefix+"cache:"+key).Bytes()
		return err
	})
	return raw, err == nil
}

// Set writes entries, each to live ttl, in one round trip.
func (c *Cache) Set(ctx context.Context, entries map[string][]byte, ttl time.Duration) {
	_ = c.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k, v := range entries {
				p.Set(ctx, prefix+"cache:"+k, v, ttl)
			}
			return nil
		})
		return err
	})
}

// PersistedQueries holds automatic persisted queries (hash → query) in
// Redis, so that a hash registered through one replica runs on any other,
// with a local LRU in front (and alone while Redis is unreachable). It
// implements gqlgen's graphql.Cache[string].
type PersistedQueries struct {
	store *Store // nil: local only
	ttl   time.Duration
	local *lru.Cache[string, string]
}

// NewPersistedQueries returns the persisted-query store: size bounds the
// local LRU, ttl how long Redis keeps an unused query.
func NewPersistedQueries(store *Store, size int, ttl time.Duration) *PersistedQueries {
	l, err := lru.New[string, string](max(size, 1))
	if err != nil {
		panic(err)
	}
	return &PersistedQueries{store: store, ttl: ttl, local: l}
}

// Get returns the query registered under hash.
func (p *PersistedQueries) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := p.local.Get(hash); ok {
		return q, true
	}
	if p.store == nil {
		return "", false
	}
	var q string
	err := p.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		var err error
		// Reading a query renews it: queries in use never expire.
		q, err = rdb.GetEx(ctx, prefix+"apq:"+hash, p.ttl).Result()
		return err
	})
	if err != nil {
		return "", false
	}
	p.local.Add(hash, q)
	return q, true
}

// Add registers query under hash (gqlgen has checked the hash).
func (p *PersistedQueries) Add(ctx context.Context, hash, query string) {
	p.local.Add(hash, query)
	if p.store == nil {
		return
	}
	_ = p.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		return rdb.Set(ctx, prefix+"apq:"+hash, query, p.ttl).Err()
	})
}

// Delete drops entries, in one round trip (guard.Forgetter).
func (c *Cache) Delete(ctx context.Context, keys []string) {
	_ = c.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		full := make([]string, len(keys))
		for i, k := range keys {
			full[i] = prefix + "cache:" + k
		}
		return rdb.Del(ctx, full...).Err()
	})
}
