// Package guard wraps each vendor client in what keeps it usable and
// frugal: a cross-request cache of records, coalescing of identical calls
// in flight, retries of failed reads within a budget, and a circuit
// breaker that fails fast while the vendor is down.
//
// A call goes: cache → coalescing → breaker → retries → the client (whose
// transport paces every HTTP call to the vendor's quota; see httpx).
package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"custgraph/internal/customer"
	"custgraph/internal/quota"
)

// Options tunes a Guard. Zero values take the defaults.
type Options struct {
	// Retries is how many times a read that failed as UNAVAILABLE or
	// TIMEOUT (5xx, broken connection, the vendor's "try again"
	// envelope, a timeout) is tried again. Default 2; negative: none.
	Retries int
	// Backoff is the base of the jittered backoff: retry n waits between
	// Backoff·2ⁿ⁻¹/2 and Backoff·2ⁿ⁻¹. Default 20 ms.
	Backoff time.Duration
	// RetryBudget is the time the retries of one request take at most,
	// all its vendor calls together, counted from its first retry (see
	// WithRetryBudget); a call made outside a request has one of its own.
	// A retry is made only while the budget lasts and is cut off when it
	// runs out, so that a hung vendor costs a request one call's timeout
	// and this, not a timeout per attempt. Default 4 s.
	RetryBudget time.Duration
	// RetryRatio is the retry budget: retries may be at most this share
	// of calls (plus RetryBurst saved up), so that a failing vendor sees
	// little more than its usual load. Default 0.5; RetryBurst 20.
	RetryRatio float64
	RetryBurst int
	// BreakerFailures is how many failures in a row open the circuit
	// (default 5); BreakerOpen how long it stays open before a probe
	// (default 10 s).
	BreakerFailures int
	BreakerOpen     time.Duration
	// CacheTTL is how long a record (or a name's records, or "no such
	// record") is served from the cache; zero turns the cache off.
	// CacheSize bounds each of the source's caches (default 10000).
	CacheTTL  time.Duration
	CacheSize int
	// Remote, when set, is the cache level shared with other replicas.
	Remote Remote
	// Log receives circuit changes; nil discards them.
	Log *slog.Logger
	// Now is the cache's clock; nil means time.Now.
	Now func() time.Time
}

// Guard holds the protections of one vendor.
type Guard struct {
	src     customer.Source
	o       Options
	breaker *gobreaker.TwoStepCircuitBreaker[any]
	budget  *budget
	flights flights

	// trip closes when the circuit opens (and is then replaced): calls
	// still waiting for a quota turn give up (quota.AbandonOn), since
	// the turn could only be spent on a call bound to fail.
	tripMu sync.Mutex
	trip   chan struct{}

	byKey    *cache[*customer.Customer]
	byName   *cache[[]*customer.Customer]
	contacts *cache[[]customer.CRMContact]
	// prime: the vendor's list and search answers carry the same fields
	// as its by-key answer, so their records may fill the cache by key.
	prime bool

	hits, misses, coalesced, retries atomic.Int64
}

func newGuard(src customer.Source, o Options, prime bool) *Guard {
	if o.Retries == 0 {
		o.Retries = 2
	}
	if o.Backoff <= 0 {
		o.Backoff = 20 * time.Millisecond
	}
	if o.RetryBudget <= 0 {
		o.RetryBudget = 4 * time.Second
	}
	if o.RetryRatio <= 0 {
		o.RetryRatio = 0.5
	}
	if o.RetryBurst <= 0 {
		o.RetryBurst = 20
	}
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = 5
	}
	if o.BreakerOpen <= 0 {
		o.BreakerOpen = 10 * time.Second
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{src: src, o: o, budget: &budget{tokens: float64(o.RetryBurst), max: float64(o.RetryBurst), ratio: o.RetryRatio},
		trip: make(chan struct{}), prime: prime}
	g.byKey = newCache[*customer.Customer](o.CacheSize, o.CacheTTL, o.Now, o.Remote, string(src)+":get:")
	g.byName = newCache[[]*customer.Customer](o.CacheSize, o.CacheTTL, o.Now, o.Remote, string(src)+":name:")
	g.contacts = newCache[[]customer.CRMContact](o.CacheSize, o.CacheTTL, o.Now, o.Remote, string(src)+":contacts:")
	failures := uint32(o.BreakerFailures)
	g.breaker = gobreaker.NewTwoStepCircuitBreaker[any](gobreaker.Settings{
		Name:        string(src),
		MaxRequests: 1, // one probe at a time while half-open
		Interval:    time.Minute,
		Timeout:     o.BreakerOpen,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		OnStateChange: func(name string, from, to gobreaker.State) {
			level := slog.LevelInfo
			if to == gobreaker.StateOpen {
				level = slog.LevelWarn
				g.tripMu.Lock()
				close(g.trip)
				g.trip = make(chan struct{})
				g.tripMu.Unlock()
			}
			o.Log.Log(context.Background(), level, "circuit "+circuitName(to), "source", name, "from", circuitName(from))
		},
		IsSuccessful: func(err error) bool { return !vendorFailure(err) },
		IsExcluded:   neutral,
	})
	return g
}

// Circuit is the breaker's state: CLOSED, OPEN or HALF_OPEN.
func (g *Guard) Circuit() string { return circuitName(g.breaker.State()) }

// CacheHits counts lookups by key, by name and of contacts answered from
// the cache (lists are never cached).
func (g *Guard) CacheHits() int64 { return g.hits.Load() }

// CacheMisses counts lookups by key, by name and of contacts that went to
// the vendor.
func (g *Guard) CacheMisses() int64 { return g.misses.Load() }

// Coalesced counts calls answered by another caller's call in flight.
func (g *Guard) Coalesced() int64 { return g.coalesced.Load() }

// Retries counts calls made again after a transient failure.
func (g *Guard) Retries() int64 { return g.retries.Load() }

func circuitName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return "OPEN"
	case gobreaker.StateHalfOpen:
		return "HALF_OPEN"
	}
	return "CLOSED"
}

// vendorFailure reports whether err says the vendor is failing: down,
// slow or answering garbage. Answers (not found, bad input), refusals of
// our credentials or request, and quota refusals are not.
func vendorFailure(err error) bool {
	var e *customer.Error
	if err == nil || !errors.As(err, &e) || e.Code != customer.CodeUpstream {
		return false
	}
	switch e.Reason {
	case customer.ReasonUnavailable, customer.ReasonTimeout, customer.ReasonBadResponse:
		return true
	}
	return false
}

// neutral errors say nothing of the vendor's health: the caller went away
// or the quota (ours) had no turn.
func neutral(err error) bool {
	return errors.Is(err, context.Canceled) ||
		errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Reason: customer.ReasonRateLimited})
}

// waitError is what a caller learns when its own deadline passed while it
// waited for the vendor (its call, or another caller's it joined): the
// source timed out for it, an upstream TIMEOUT of the contract's shape,
// not a bare context error that the edge can only call internal.
func (g *Guard) waitError(err error) error {
	var e *customer.Error
	if errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &e) {
		return customer.UpstreamError(g.src, customer.ReasonTimeout, "", err)
	}
	return err
}

// retryable reports whether a failed read may succeed if made again.
func retryable(err error) bool {
	var e *customer.Error
	if !errors.As(err, &e) || e.Code != customer.CodeUpstream {
		return false
	}
	return e.Reason == customer.ReasonUnavailable || e.Reason == customer.ReasonTimeout
}

// run makes one protected call: through the breaker, retried within the
// budget. Every vendor call of a Guard goes through here.
func (g *Guard) run(ctx context.Context, fn func(context.Context) (any, error)) (any, error) {
	done, err := g.breaker.Allow()
	if err != nil {
		detail := fmt.Sprintf("circuit open, calls resume within %s", g.o.BreakerOpen)
		if errors.Is(err, gobreaker.ErrTooManyRequests) {
			detail = "circuit half-open, a probe call is deciding"
		}
		return nil, customer.Refused(g.src, customer.ReasonUnavailable, detail, fmt.Errorf("circuit %s: %w", g.Circuit(), err))
	}
	// The breaker must hear of every call it allowed, or a half-open
	// circuit waits forever for its probe: a panic (recovered by the
	// flight) counts as a failure.
	settled := false
	defer func() {
		if !settled {
			done(customer.UpstreamError(g.src, customer.ReasonBadResponse, "", errors.New("the call panicked")))
		}
	}()
	g.tripMu.Lock()
	ctx = quota.AbandonOn(ctx, g.trip)
	g.tripMu.Unlock()
	v, err := g.retry(ctx, fn)
	settled = true
	done(verdict(ctx, err))
	return v, err
}

// retry calls fn, and again after a jittered backoff while it fails as
// retryable: within Retries, the retry budget of the request (its time;
// see WithRetryBudget) and of the vendor (its share of calls), ctx, and
// while the circuit stays closed. Every attempt runs under a context made
// from ctx, so a background call's retries take background quota turns
// too (quota.Background); one whose turn cannot come within the retry's
// time ends as ErrExceeded like a live one, answered with the failure
// that asked for it.
func (g *Guard) retry(ctx context.Context, fn func(context.Context) (any, error)) (any, error) {
	g.budget.deposit()
	window := retryWindowOf(ctx, g.o.RetryBudget)
	v, err := fn(ctx)
	for attempt := 0; ; attempt++ {
		if err == nil || !retryable(err) || attempt >= g.o.Retries || ctx.Err() != nil ||
			g.breaker.State() == gobreaker.StateOpen {
			return v, err
		}
		wait := g.backoff(attempt)
		until := window.until(time.Now())
		if time.Until(until) <= wait {
			return v, err // the request's retry time is spent
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return v, err
		}
		if !g.budget.withdraw() {
			return v, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, err
		}
		g.retries.Add(1)
		actx, cancel := context.WithDeadline(ctx, until)
		again, againErr := fn(actx)
		cancel()
		if errors.Is(againErr, quota.ErrExceeded) {
			// No quota turn within the retry's time: the failure
			// that asked for the retry is the answer, not our quota.
			return v, err
		}
		v, err = again, againErr
	}
}

// retryWindow is the time the retries of one request may take together:
// it opens at the request's first retry and lasts budget.
type retryWindow struct {
	budget time.Duration
	mu     sync.Mutex
	end    time.Time // zero until the first retry
}

type retryWindowKey struct{}

// WithRetryBudget returns ctx carrying one retry budget of d for every
// vendor call made under it: the edge gives each request one, so that its
// retries, however many calls and vendors they span, take d at most
// between them (see Options.RetryBudget).
func WithRetryBudget(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, retryWindowKey{}, &retryWindow{budget: d})
}

type freshKey struct{}

// Fresh returns ctx under which lookups by key, by name and of contacts
// skip the cache (this process's and the remote one) and ask the vendor,
// through the breaker, retries and coalescing as any call, and then cache
// the answer, "not found" included. The directory uses it to confirm that
// a record missing from a full pass is really gone: a cached record would
// only repeat what the pass may have outdated.
func Fresh(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshKey{}, true)
}

func isFresh(ctx context.Context) bool {
	f, _ := ctx.Value(freshKey{}).(bool)
	return f
}

// flightKey is key for coalescing a call made under ctx. Background calls
// (quota.Background) fly apart from live ones: a flight runs on its first
// caller's context, and so at its priority, and a live caller joining a
// background call would wait for the quota turns live calls leave the
// sync. A fresh lookup may join a call in flight: its answer comes from
// the vendor too.
func flightKey(ctx context.Context, key string) string {
	if quota.IsBackground(ctx) {
		return "background " + key
	}
	return key
}

// retryWindowOf returns ctx's retry window, or a new one of d for a call
// made outside a request.
func retryWindowOf(ctx context.Context, d time.Duration) *retryWindow {
	if w, ok := ctx.Value(retryWindowKey{}).(*retryWindow); ok {
		return w
	}
	return &retryWindow{budget: d}
}

// until returns the end of the window, opening it now if no retry has yet.
func (w *retryWindow) until(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.end.IsZero() {
		w.end = now.Add(w.budget)
	}
	return w.end
}

// verdict is what the breaker learns from a call's outcome: nothing when
// every caller went away, since the vendor may have been about to answer.
func verdict(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return context.Canceled
	}
	return err
}

// backoff is the jittered wait before retry attempt+1.
func (g *Guard) backoff(attempt int) time.Duration {
	d := g.o.Backoff << attempt
	return d/2 + rand.N(d/2+1)
}

// budget is a token bucket of retries: each call saves ratio of a retry,
// each retry spends one, and at most max are saved.
type budget struct {
	mu                 sync.Mutex
	tokens, max, ratio float64
}

func (b *budget) deposit() {
	b.mu.Lock()
	b.tokens = min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

func (b *budget) withdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
