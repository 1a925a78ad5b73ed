package quota

import (
	"context"
	"time"
)

// Background calls (the directory's sync of the vendors' customer lists)
// share the quota with live calls (requests someone waits for) but must
// never take a turn a live call could have used: a live request may wait
// for a turn because of other live requests, never because of the sync.
//
// A background Take books a turn only at once, never in the future, and
// only when
//
//  1. no turn is booked in the future: nobody is queued (a live caller
//     waiting for its turn, or a window filled after a vendor's refusal),
//     and
//  2. once it is booked, at least Reserve(rate) turns are still free in
//     the span that ends now, for live calls that come meanwhile.
//
// Otherwise it waits until the earliest time both can hold and looks
// again. Its wait is bounded by its context alone, not by maxWait: the
// sync has no one waiting for it.

type backgroundKey struct{}

// Background returns ctx marking the calls made under it as background
// work: their quota turns come after every live call's (see above).
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// Reserve is how many turns of each span background calls leave free for
// live ones: a tenth of the quota, at least one, so that with the CRM's
// 10/10s the sync makes at most 9 calls a span and a live call finds a
// turn at once unless other live calls took it. A quota of one call has
// no turn to spare: its sync then takes the one turn only when no live
// call is queued, and a live call may wait one span behind it.
func Reserve(r Rate) int {
	return min(max(1, r.N/10), r.N-1)
}

// backgroundWait reports when a background call may book a turn at now:
// turns are the booked turns, ascending; span the window's span. A wait of
// zero or less means now. The rule is the one above: after every booked
// turn (nobody queued) and a span after the (N−Reserve)-th last, so that
// the span ending now holds at most N−Reserve calls with the new one.
func backgroundWait(turns []time.Time, now time.Time, r Rate, span time.Duration) time.Duration {
	n := len(turns)
	if n == 0 {
		return 0
	}
	at := later(now, turns[n-1])
	if k := r.N - Reserve(r); n >= k {
		at = later(at, turns[n-k].Add(span))
	}
	return at.Sub(now)
}

// bookBackground books a turn at now when a background call may take it
// (backgroundWait); else it books nothing and returns how long until it
// may.
func (w *Window) bookBackground(now time.Time) (time.Duration, bool) {
	span := w.Span()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.drop(now)
	if wait := backgroundWait(w.turns, now, w.rate, span); wait > 0 {
		return wait, false
	}
	w.turns = append(w.turns, now)
	return 0, true
}

// takeBackground is Take under a Background context: it books a turn at
// once when live calls can spare it, and otherwise waits and looks again,
// for as long as ctx allows.
func (w *Window) takeBackground(ctx context.Context) (*Turn, error) {
	for {
		now := w.now()
		wait, ok := w.bookBackground(now)
		if ok {
			giveBack := func() { w.release(now) }
			// A closed abandon channel still refuses the turn.
			if err := AwaitTurn(ctx, 0, giveBack); err != nil {
				return nil, err
			}
			return NewTurn(now, 0, w.lag, giveBack, func(after time.Duration) { w.FillUntil(w.now().Add(after)) }), nil
		}
		if err := BackgroundTooLate(ctx, now, wait, w.lag.Need(), w.rate); err != nil {
			return nil, err
		}
		if err := w.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// BackgroundTooLate returns an *ExceededError when ctx's deadline ends
// before a background call could have its turn, wait from now, and the
// call's usual time (need): waiting could only end in ctx's error with
// nothing gained. It is the deadline that refuses, never maxWait.
func BackgroundTooLate(ctx context.Context, now time.Time, wait, need time.Duration, r Rate) error {
	if dl, ok := ctx.Deadline(); ok && dl.Sub(now)-need < wait {
		return &ExceededError{Rate: r, Wait: wait}
	}
	return nil
}

// minPause is the least a background call waits before it looks at the
// quota again, so that a wait rounded down (Redis counts milliseconds)
// never turns into a busy loop.
const minPause = time.Millisecond

// Pause waits d (at least minPause) unless ctx ends first, or the channel
// of AbandonOn closes: then it returns ctx's error, or ErrAbandoned. A
// background call waits with it before looking at the quota again.
func Pause(ctx context.Context, d time.Duration) error {
	return AwaitTurn(ctx, max(d, minPause), func() {})
}
