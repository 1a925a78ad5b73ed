// Package quota keeps custgraph's outbound calls within each vendor's
// quota, so that the vendor never has to refuse one.
package quota

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Limiter books outbound calls against a quota. Window is the in-process
// one; a shared one (Redis) can stand in for it when replicas must keep one
// quota between them.
type Limiter interface {
	// Take books one call and waits for its turn. When the turn is
	// further away than maxWait, or than ctx's deadline leaves, it books
	// nothing and returns an *ExceededError at once. When ctx ends while
	// waiting, the booking is given back and ctx's error returned.
	Take(ctx context.Context, maxWait time.Duration) error
}

// ErrExceeded matches every *ExceededError.
var ErrExceeded = errors.New("outbound quota spent")

// ExceededError says the quota has no turn within the time allowed.
type ExceededError struct {
	Rate Rate
	// Wait is how long the next turn is away.
	Wait time.Duration
}

func (e *ExceededError) Error() string {
	return fmt.Sprintf("outbound quota %s spent: next call possible in %s", e.Rate, e.Wait.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrExceeded) hold.
func (e *ExceededError) Is(target error) bool { return target == ErrExceeded }

// Window holds calls to at most Rate.N in every span of Rate.Per: the
// sliding window the CRM enforces, and the strictest reading of any other
// "N per period" rule (a fixed window or a token bucket never refuses what
// it admits).
//
// Why not golang.org/x/time/rate: a token bucket of burst N refilling N per
// period lets through up to 2N−1 calls in one period (a full burst, then
// the refill), which the CRM's window would refuse.
//
// Turns may lie in the future: a caller books the earliest free one and
// sleeps until it comes, so waiters go in the order they asked.
type Window struct {
	rate Rate
	// span is Rate.Per plus slack: calls booked a period apart can reach
	// the vendor closer together (network jitter, a slow dial), and the
	// vendor counts arrivals.
	span time.Duration
	now  func() time.Time

	mu sync.Mutex
	// turns are the booked call times, ascending; those older than span
	// are dropped as new ones are booked.
	turns []time.Time
}

// Slack returns the margin added to a period: 5 % of it, at least 20 ms
// and at most 2 s.
func Slack(per time.Duration) time.Duration {
	return min(max(per/20, 20*time.Millisecond), 2*time.Second)
}

// NewWindow returns a Window for r; now is its clock (nil: time.Now).
// r must be a quota (N and Per positive), not Off.
func NewWindow(r Rate, now func() time.Time) *Window {
	if r.Off || r.N <= 0 || r.Per <= 0 {
		panic(fmt.Sprintf("quota.NewWindow: %+v is no quota", r))
	}
	if now == nil {
		now = time.Now
	}
	return &Window{rate: r, span: r.Per + Slack(r.Per), now: now}
}

// Rate returns the quota the Window keeps.
func (w *Window) Rate() Rate { return w.rate }

// Take implements Limiter.
func (w *Window) Take(ctx context.Context, maxWait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := w.now()
	limit := maxWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, dl.Sub(now))
	}
	turn, ok := w.book(now, limit)
	if !ok {
		return &ExceededError{Rate: w.rate, Wait: turn.Sub(now)}
	}
	return AwaitTurn(ctx, turn.Sub(now), func() { w.release(turn) })
}

// AwaitTurn waits until a booked turn, wait away, comes. When ctx ends
// first, giveBack returns the turn and ctx's error is returned.
func AwaitTurn(ctx context.Context, wait time.Duration, giveBack func()) error {
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		giveBack()
		return ctx.Err()
	}
}

// book finds the earliest turn at or after now that keeps every span at
// most N calls, and books it when it is no more than limit away.
func (w *Window) book(now time.Time, limit time.Duration) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cut := now.Add(-w.span)
	i := 0
	for i < len(w.turns) && !w.turns[i].After(cut) {
		i++
	}
	w.turns = append(w.turns[:0], w.turns[i:]...)
	// The new turn comes after every booked one (so turns stay in
	// order; it only costs a wait after a waiter gave its turn back) and
	// a whole span after the N-th last, so no span holds N+1 calls.
	turn := now
	if n := len(w.turns); n > 0 {
		turn = later(turn, w.turns[n-1])
		if n >= w.rate.N {
			turn = later(turn, w.turns[n-w.rate.N].Add(w.span))
		}
	}
	if turn.Sub(now) > limit {
		return turn, false
	}
	w.turns = append(w.turns, turn)
	return turn, true
}

// Fill books the whole quota now, as if N calls had just been made: the
// next turn comes a span later. A replica that loses the shared quota
// calls it before going on alone, because it cannot know how much of the
// current window the others have spent.
func (w *Window) Fill() {
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for range w.rate.N {
		w.turns = append(w.turns, later(now, w.lastTurn()))
	}
}

func (w *Window) lastTurn() time.Time {
	if len(w.turns) == 0 {
		return time.Time{}
	}
	return w.turns[len(w.turns)-1]
}

// release gives a booked turn back. Turns booked after it stay valid: one
// call fewer never fills a window.
func (w *Window) release(turn time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.turns) - 1; i >= 0; i-- {
		if w.turns[i].Equal(turn) {
			w.turns = append(w.turns[:i], w.turns[i+1:]...)
			return
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
