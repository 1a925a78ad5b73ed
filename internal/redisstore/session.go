package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"custgraph/internal/provider/session"
)

// lockTTL bounds how long one replica may hold a credential's lock: longer
// than a login call may take, short enough that a replica that died while
// logging in does not hold the others up for long.
const lockTTL = 15 * time.Second

// releaseScript deletes a lock only if this replica still owns it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Credential keeps one vendor credential (the U8 token, the YCM token, the
// CRM session) in Redis for every replica. It implements session.Shared.
type Credential struct {
	store *Store
	key   string
	lock  string
	poll  time.Duration
}

var _ session.Shared = (*Credential)(nil)

// NewCredential returns the shared credential of one vendor account:
// identity names it (e.g. base URL and login); it is hashed, so no account
// name appears in Redis key names.
func NewCredential(store *Store, source, identity string) *Credential {
	h := sha256.Sum256([]byte(identity))
	key := prefix + "session:" + source + ":" + hex.EncodeToString(h[:8])
	return &Credential{store: store, key: key, lock: key + ":lock", poll: 50 * time.Millisecond}
}

// Obtain implements session.Shared: a fresh credential another replica
// stored is used as it is; otherwise one replica at a time (holding the
// lock) fetches a new one and stores it for the others, who wait for it.
// When Redis cannot be used, the credential is fetched locally.
func (c *Credential) Obtain(ctx context.Context, stale string, fetch session.Fetch) (string, time.Duration, error) {
	for {
		v, ttl, err := c.load(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return "", 0, ctx.Err()
		case err != nil:
			return fetch(ctx) // Redis unusable: this replica on its own
		case v != "" && v != stale:
			return v, ttl, nil
		}
		owner := c.store.token()
		var locked bool
		err = c.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
			var err error
			locked, err = rdb.SetNX(ctx, c.lock, owner, lockTTL).Result()
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return "", 0, ctx.Err()
			}
			return fetch(ctx)
		}
		if locked {
			return c.fetchLocked(ctx, owner, stale, fetch)
		}
		// Another replica is fetching: look again shortly.
		t := time.NewTimer(c.poll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", 0, ctx.Err()
		}
	}
}

// fetchLocked fetches and stores the credential while holding the lock,
// unless another replica stored a fresh one just before the lock was taken.
func (c *Credential) fetchLocked(ctx context.Context, owner, stale string, fetch session.Fetch) (string, time.Duration, error) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.store.timeout)
		defer cancel()
		_ = c.store.do(rctx, func(ctx context.Context, rdb *redis.Client) error {
			return releaseScript.Run(ctx, rdb, []string{c.lock}, owner).Err()
		})
	}()
	if v, ttl, err := c.load(ctx); err == nil && v != "" && v != stale {
		return v, ttl, nil
	}
	v, useFor, err := fetch(ctx)
	if err != nil || useFor <= 0 {
		return v, useFor, err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.store.timeout)
	defer cancel()
	_ = c.store.do(sctx, func(ctx context.Context, rdb *redis.Client) error {
		return rdb.Set(ctx, c.key, v, useFor).Err()
	})
	return v, useFor, nil
}

// load reads the stored credential and its remaining life; "" when none.
func (c *Credential) load(ctx context.Context) (string, time.Duration, error) {
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	err := c.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			get = p.Get(ctx, c.key)
			ttl = p.PTTL(ctx, c.key)
			return nil
		})
		if errors.Is(err, redis.Nil) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", 0, err
	}
	v, d := get.Val(), ttl.Val()
	if v == "" || d <= 0 {
		return "", 0, nil
	}
	return v, d, nil
}
