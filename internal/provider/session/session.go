// Package session holds the credential that every request of a vendor
// client shares (the U8 token, the YCM access token, the CRM login
// session) and fetches it at most once at a time: concurrent callers wait
// for the fetch in flight and share its result. For the CRM this is vital:
// every login ends the account's previous session, so two logins at once
// would keep kicking each other out.
package session

import (
	"context"
	"errors"
	"sync"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
)

// Fetch obtains a new credential and how long it may be used.
type Fetch func(ctx context.Context) (value string, useFor time.Duration, err error)

// Shared keeps a credential where every replica of the gateway finds it,
// so that the replicas hold one credential between them (vital for the
// CRM, where each login ends the previous session).
type Shared interface {
	// Obtain returns a credential other than stale and how long it may
	// be used: the one another replica holds when it is fresh, else one
	// from fetch, fetched while holding the replicas' lock and kept for
	// the others.
	Obtain(ctx context.Context, stale string, fetch Fetch) (string, time.Duration, error)
}

// Cache is one shared credential. It is safe for concurrent use.
type Cache struct {
	source customer.Source
	fetch  Fetch
	now    func() time.Time
	shared Shared // nil: this process alone

	mu     sync.Mutex
	value  string
	until  time.Time
	flight *flight
}

// flight is one fetch in progress; done closes when value and err are set.
type flight struct {
	done      chan struct{}
	value     string
	err       error
	abandoned bool // the fetch ended with its caller's context, not by the vendor
}

// New returns an empty Cache that fetches with fetch. Errors of callers
// that give up waiting are upstream TIMEOUT/UNAVAILABLE errors of source.
// now nil means time.Now.
func New(source customer.Source, fetch Fetch, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{source: source, fetch: fetch, now: now}
}

// Share makes the Cache obtain its credential through s (nil: fetch it
// alone). Call it before the Cache is used.
func (c *Cache) Share(s Shared) { c.shared = s }

// Get returns the credential, fetching one when there is none or it is
// due for renewal.
func (c *Cache) Get(ctx context.Context) (string, error) { return c.Renew(ctx, "") }

// Renew returns a credential other than stale, the one the vendor just
// refused. If another caller already replaced stale, that replacement is
// returned without a fetch, so callers that all saw the same refusal cause
// exactly one fetch.
func (c *Cache) Renew(ctx context.Context, stale string) (string, error) {
	for {
		c.mu.Lock()
		if c.value != "" && c.value != stale && c.now().Before(c.until) {
			v := c.value
			c.mu.Unlock()
			return v, nil
		}
		f := c.flight
		lead := f == nil
		if lead {
			f = &flight{done: make(chan struct{})}
			c.flight = f
		}
		c.mu.Unlock()

		if lead {
			var useFor time.Duration
			if c.shared != nil {
				f.value, useFor, f.err = c.shared.Obtain(ctx, stale, c.fetch)
			} else {
				f.value, useFor, f.err = c.fetch(ctx)
			}
			f.abandoned = f.err != nil && ctx.Err() != nil
			c.mu.Lock()
			if f.err == nil {
				c.value, c.until = f.value, c.now().Add(useFor)
			}
			c.flight = nil
			c.mu.Unlock()
			close(f.done)
			return f.value, f.err
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", httpx.TransportError(c.source, ctx.Err())
		}
		// A fetch cut short by its caller's context says nothing about
		// ours: try again.
		if f.abandoned && ctx.Err() == nil {
			continue
		}
		return f.value, f.err
	}
}

// Current returns the credential held now ("" when none), without
// fetching: for redacting it from texts the vendor sends back.
func (c *Cache) Current() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// IsContextErr reports whether err came from a cancelled or expired
// context rather than from the vendor.
func IsContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
