// Package redisstore is custgraph's Redis adapter: it keeps the state that
// replicas share in Redis, so that many replicas act toward the vendors as
// one gateway: the vendors' quotas, their credentials (one CRM session for
// all), the entity cache behind each replica's own, and automatic
// persisted queries.
//
// Redis is never a single point of failure: every operation has a short
// bound, and while Redis is unreachable each replica serves from local
// state (logged once, shown by Status) until a probe finds Redis back.
//
// The client is go-redis v9: the most used Go client, it reads redis:// and
// rediss:// URLs with passwords as they are, and custgraph keeps its own
// in-process cache in front of Redis, so rueidis's server-assisted
// client-side caching would add little.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"custgraph/internal/redact"
)

// Options configures a Store.
type Options struct {
	// URL is redis://[:password@]host:port/db or rediss://… (TLS).
	URL string
	// Timeout bounds one Redis operation (default 250 ms).
	Timeout time.Duration
	// Log receives the outage and recovery lines; nil discards them.
	Log *slog.Logger
	// Probe is how often an unreachable Redis is tried again (default 1 s).
	Probe time.Duration
}

// Store is the connection to Redis with its health.
type Store struct {
	rdb     *redis.Client
	timeout time.Duration
	probe   time.Duration
	log     *slog.Logger
	id      string // this replica, for lock ownership and quota turns

	up      atomic.Bool
	mu      sync.Mutex
	lastErr string
	seq     atomic.Uint64
}

// ErrDown is returned instead of trying while Redis is known unreachable.
var ErrDown = errors.New("redis unavailable")

// prefix starts every key custgraph writes.
const prefix = "custgraph:"

// quiet drops go-redis's own log lines (a failed dial on every attempt):
// the Store logs an outage once, and its return, itself.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quiet{}) }

// Open parses o.URL and returns a Store; it does not wait for Redis, which
// may come up later. A malformed URL is an error that never shows the
// password.
func Open(o Options) (*Store, error) {
	opts, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("CUSTGRAPH_REDIS_URL must be redis://[:password@]host:port[/db] or rediss://…: %s", redact.URL(o.URL))
	}
	if o.Timeout <= 0 {
		o.Timeout = 250 * time.Millisecond
	}
	if o.Probe <= 0 {
		o.Probe = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	opts.DialTimeout = o.Timeout * 4
	opts.ReadTimeout = o.Timeout
	opts.WriteTimeout = o.Timeout
	opts.MaxRetries = 0 // a failed operation falls back at once; the probe retries
	opts.DisableIdentity = true
	s := &Store{rdb: redis.NewClient(opts), timeout: o.Timeout, probe: o.Probe, log: o.Log,
		id: fmt.Sprintf("%x", time.Now().UnixNano())}
	s.up.Store(true)
	return s, nil
}

// Run probes Redis until ctx ends: at once (so that an unreachable Redis
// at start is logged), then every Probe while it is down.
func (s *Store) Run(ctx context.Context) {
	t := time.NewTicker(s.probe)
	defer t.Stop()
	s.check(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !s.up.Load() {
				s.check(ctx)
			}
		}
	}
}

func (s *Store) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout*4)
	defer cancel()
	err := s.rdb.Ping(ctx).Err()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return
	}
	s.observe(err)
}

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Status is what /readyz shows of Redis.
type Status struct {
	Configured bool   `json:"configured"`
	Healthy    bool   `json:"healthy"`
	LastError  string `json:"lastError,omitempty"`
}

// Status reports the Store's health; a nil Store is "not configured".
func (s *Store) Status() Status {
	if s == nil {
		return Status{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{Configured: true, Healthy: s.up.Load(), LastError: s.lastErr}
}

// Healthy reports whether Redis is in use.
func (s *Store) Healthy() bool { return s != nil && s.up.Load() }

// do runs op against Redis within the Store's timeout, unless Redis is
// known down. A failure marks it down (logged once); redis.Nil (no such
// key) is an answer, and the caller's own cancellation says nothing.
func (s *Store) do(ctx context.Context, op func(context.Context, *redis.Client) error) error {
	if !s.up.Load() {
		return ErrDown
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := op(octx, s.rdb)
	if errors.Is(err, redis.Nil) || (err != nil && ctx.Err() != nil) {
		return err
	}
	s.observe(err)
	return err
}

// observe records an operation's outcome, logging each change of state.
func (s *Store) observe(err error) {
	if err == nil {
		if !s.up.Swap(true) {
			s.log.Info("redis back: replicas share state again")
		}
		return
	}
	s.mu.Lock()
	s.lastErr = errText(err)
	s.mu.Unlock()
	if s.up.Swap(false) {
		s.log.Warn("redis unavailable: serving with local state until it is back", "err", errText(err))
	}
}

// errText is an error's text with any Redis URL's password masked (go-redis
// errors carry addresses, not passwords, but the text is checked anyway).
func errText(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "redis: no answer in time"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// token returns a fresh unique member name for this replica.
func (s *Store) token() string { return fmt.Sprintf("%s-%d", s.id, s.seq.Add(1)) }
