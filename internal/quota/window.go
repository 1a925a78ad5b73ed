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
	// further away than maxWait, or comes too late in ctx's deadline for
	// the call to end in an answer, it books nothing and returns an
	// *ExceededError at once. When ctx ends while waiting, or a channel
	// given with AbandonOn closes, the booking is given back and ctx's
	// error (or ErrAbandoned) returned.
	//
	// Under a Background context the call takes only a turn live calls
	// can spare (see Background): it waits for one as long as ctx
	// allows, maxWait aside, and fails with an *ExceededError only when
	// ctx's deadline comes before one could.
	Take(ctx context.Context, maxWait time.Duration) (*Turn, error)
}

// Turn is a booked call. The caller tells it how the call went, so that
// the quota spends only what the vendor counted and learns how late the
// vendor may count a call.
type Turn struct {
	// At is the turn's time on the limiter's clock (Redis's for a shared
	// limiter).
	At time.Time

	came     time.Time     // when the wait ended, on this process's clock
	ahead    time.Duration // how much earlier than came At may have been
	lag      *Lag
	giveBack func()
	refused  func(after time.Duration)
}

// Unused gives the turn back: its call never reached the vendor (no
// connection, a failed dial or name lookup, nothing written), so the
// vendor did not count it.
func (t *Turn) Unused() {
	if t != nil && t.giveBack != nil {
		t.giveBack()
	}
}

// Answered records that the call's answer began now: the vendor counted
// the call no later than this, which the slack must cover.
func (t *Turn) Answered() {
	if t != nil && t.lag != nil {
		t.lag.Observe(time.Since(t.came) + t.ahead)
	}
}

// Refused records that the vendor refused the call for its quota: no call
// goes until a whole window has passed (and at least after, the wait the
// vendor asked for, 0 when it said none), and the slack grows.
func (t *Turn) Refused(after time.Duration) {
	if t == nil {
		return
	}
	if t.lag != nil {
		t.lag.Refused()
	}
	if t.refused != nil {
		t.refused(after)
	}
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

// ErrAbandoned is returned by Take when the channel given with AbandonOn
// closed while the call waited for its turn (its vendor's circuit opened:
// the turn could only have been spent on a call bound to fail).
var ErrAbandoned = errors.New("abandoned while waiting for a quota turn")

type abandonKey struct{}

// AbandonOn returns ctx with ch: a Take under it that is still waiting for
// its turn when ch closes gives the turn back and returns ErrAbandoned.
func AbandonOn(ctx context.Context, ch <-chan struct{}) context.Context {
	return context.WithValue(ctx, abandonKey{}, ch)
}

// Limit is how far away a turn may be for a call under ctx: maxWait, and
// what ctx's deadline leaves once need (the time the call itself takes)
// is set aside.
func Limit(ctx context.Context, now time.Time, maxWait, need time.Duration) time.Duration {
	limit := maxWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, dl.Sub(now)-need)
	}
	return limit
}

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
	// lag sets the slack added to Rate.Per: calls booked a period apart
	// can reach the vendor closer together (see Lag), and the vendor
	// counts arrivals.
	lag *Lag
	now func() time.Time
	// sleep is how a background Take waits before it looks again
	// (Pause); tests move their clock instead.
	sleep func(ctx context.Context, d time.Duration) error

	mu sync.Mutex
	// turns are the booked call times, ascending; those older than the
	// longest span are dropped as new ones are booked.
	turns []time.Time
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
	return &Window{rate: r, lag: NewLag(r.Per), now: now, sleep: Pause}
}

// Rate returns the quota the Window keeps.
func (w *Window) Rate() Rate { return w.rate }

// Span is the window's span now: the period and the slack Lag sets.
func (w *Window) Span() time.Duration { return w.rate.Per + w.lag.Slack() }

// Lag returns what the Window learns of its calls' lateness.
func (w *Window) Lag() *Lag { return w.lag }

// Take implements Limiter. Under a Background context it leaves live
// calls their turns (see Background) and ignores maxWait.
func (w *Window) Take(ctx context.Context, maxWait time.Duration) (*Turn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if IsBackground(ctx) {
		return w.takeBackground(ctx)
	}
	now := w.now()
	at, ok := w.book(now, Limit(ctx, now, maxWait, w.lag.Need()))
	if !ok {
		return nil, &ExceededError{Rate: w.rate, Wait: at.Sub(now)}
	}
	giveBack := func() { w.release(at) }
	if err := AwaitTurn(ctx, at.Sub(now), giveBack); err != nil {
		return nil, err
	}
	return NewTurn(at, 0, w.lag, giveBack, func(after time.Duration) { w.FillUntil(w.now().Add(after)) }), nil
}

// NewTurn returns a Turn at at whose wait just ended, for a Limiter's
// Take: ahead is how much earlier than now the turn may have come (the
// round trip to a shared limiter's clock), lag learns how the call went,
// giveBack returns the booking and refused fills the quota for after.
func NewTurn(at time.Time, ahead time.Duration, lag *Lag, giveBack func(), refused func(after time.Duration)) *Turn {
	return &Turn{At: at, came: time.Now(), ahead: ahead, lag: lag, giveBack: giveBack, refused: refused}
}

// AwaitTurn waits until a booked turn, wait away, comes. When ctx ends
// first, or the channel of AbandonOn closes, giveBack returns the turn and
// ctx's error (or ErrAbandoned) is returned.
func AwaitTurn(ctx context.Context, wait time.Duration, giveBack func()) error {
	abandon, _ := ctx.Value(abandonKey{}).(<-chan struct{})
	select {
	case <-abandon:
		giveBack()
		return ErrAbandoned
	default:
	}
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
	case <-abandon:
		giveBack()
		return ErrAbandoned
	}
}

// book finds the earliest turn at or after now that keeps every span at
// most N calls, and books it when it is no more than limit away.
func (w *Window) book(now time.Time, limit time.Duration) (time.Time, bool) {
	span := w.Span()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.drop(now)
	// The new turn comes after every booked one (so turns stay in
	// order; it only costs a wait after a waiter gave its turn back) and
	// a whole span after the N-th last, so no span holds N+1 calls.
	turn := now
	if n := len(w.turns); n > 0 {
		turn = later(turn, w.turns[n-1])
		if n >= w.rate.N {
			turn = later(turn, w.turns[n-w.rate.N].Add(span))
		}
	}
	if turn.Sub(now) > limit {
		return turn, false
	}
	w.turns = append(w.turns, turn)
	return turn, true
}

// drop forgets the turns no span can reach any more, whatever slack the
// Lag sets later. w.mu is held.
func (w *Window) drop(now time.Time) {
	cut := now.Add(-(w.rate.Per + MaxSlack(w.rate.Per)))
	i := 0
	for i < len(w.turns) && !w.turns[i].After(cut) {
		i++
	}
	w.turns = append(w.turns[:0], w.turns[i:]...)
}

// Fill books the whole quota now, as if N calls had just been made: the
// next turn comes a span later. A replica that loses the shared quota
// calls it before going on alone, because it cannot know how much of the
// current window the others have spent.
func (w *Window) Fill() { w.FillUntil(w.now()) }

// FillUntil books the whole quota, as if N calls were made now (or at the
// last booked turn, when that is later): no turn comes before a whole span
// from then, nor before until. A vendor's refusal fills the window until
// the time the vendor said to come back.
func (w *Window) FillUntil(until time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := later(until.Add(-w.rate.Per), w.lastTurn())
	at = later(at, w.now())
	for range w.rate.N {
		w.turns = append(w.turns, at)
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
