package quota

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"custgraph/internal/testclock"
)

func TestReserve(t *testing.T) {
	for _, c := range []struct{ n, want int }{{1, 0}, {2, 1}, {10, 1}, {19, 1}, {20, 2}, {100, 10}} {
		if got := Reserve(Rate{N: c.n, Per: time.Second}); got != c.want {
			t.Errorf("Reserve(%d/1s) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestIsBackground(t *testing.T) {
	ctx := context.Background()
	if IsBackground(ctx) {
		t.Fatal("a plain context is background")
	}
	bg := Background(ctx)
	if !IsBackground(bg) {
		t.Fatal("Background(ctx) is not background")
	}
	// Contexts made from it (deadlines, cancels, values) stay background.
	sub, cancel := context.WithTimeout(AbandonOn(bg, make(chan struct{})), time.Hour)
	defer cancel()
	if !IsBackground(sub) || !IsBackground(context.WithoutCancel(sub)) {
		t.Fatal("a context made from a background one lost the mark")
	}
}

// errStop is what the tests' sleep returns to end a background Take that
// would wait, after noting the wait.
var errStop = errors.New("stop: the background take would wait")

// stopSleep makes w's background waits end Take at once, noting each wait.
func stopSleep(w *Window) *[]time.Duration {
	var waits []time.Duration
	w.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return errStop
	}
	return &waits
}

// TestBackgroundLeavesTheReserve: with 10/10s, background calls get 9
// turns at once and the tenth waits a span; the turn they left is a live
// call's at once, and only then is the quota spent for live calls too.
func TestBackgroundLeavesTheReserve(t *testing.T) {
	clock := newFakeClock()
	r := Rate{N: 10, Per: 10 * time.Second}
	w := NewWindow(r, clock.Now)
	waits := stopSleep(w)
	bg := Background(context.Background())
	for i := range r.N - Reserve(r) {
		turn, err := w.Take(bg, 0)
		if err != nil {
			t.Fatalf("background call %d: %v", i, err)
		}
		if !turn.At.Equal(clock.Now()) {
			t.Fatalf("background call %d booked at %v, want now", i, turn.At.Sub(clock.Now()))
		}
	}
	if _, err := w.Take(bg, time.Hour); !errors.Is(err, errStop) {
		t.Fatalf("a background call past N−Reserve: %v, want a wait", err)
	}
	if want := w.Span(); len(*waits) != 1 || (*waits)[0] != want {
		t.Fatalf("background waits %v, want one of a span (%v)", *waits, want)
	}
	if n := booked(w); n != r.N-Reserve(r) {
		t.Fatalf("%d booked, want %d: a waiting background call books nothing", n, r.N-Reserve(r))
	}
	if _, err := take(w); err != nil {
		t.Fatalf("a live call with the sync's turns spent: %v, want the reserved turn at once", err)
	}
	if _, err := take(w); !errors.Is(err, ErrExceeded) {
		t.Fatalf("a second live call: %v, want the quota spent", err)
	}
}

// TestBackgroundNeverJumpsTheQueue: while a live call waits for its turn,
// a background call books nothing, even where the span has room (a turn
// given back); it may once that live turn has come.
func TestBackgroundNeverJumpsTheQueue(t *testing.T) {
	clock := newFakeClock()
	r := Rate{N: 10, Per: 10 * time.Second}
	w := NewWindow(r, clock.Now)
	waits := stopSleep(w)
	var turns []*Turn
	for range r.N {
		turn, err := take(w)
		if err != nil {
			t.Fatal(err)
		}
		turns = append(turns, turn)
	}
	queued, ok := w.book(clock.Now(), time.Hour) // a live caller waiting
	if !ok {
		t.Fatal("a live call could not queue")
	}
	// Five given back: the span holds five and the queued turn, room
	// for the sync but for the queue.
	for _, turn := range turns[:5] {
		turn.Unused()
	}
	bg := Background(context.Background())
	if _, err := w.Take(bg, 0); !errors.Is(err, errStop) {
		t.Fatalf("a background call with a live one queued: %v, want a wait", err)
	}
	if want := queued.Sub(clock.Now()); (*waits)[0] != want {
		t.Fatalf("background wait %v, want until the queued live turn (%v)", (*waits)[0], want)
	}
	clock.Advance((*waits)[0])
	if _, err := w.Take(bg, 0); err != nil {
		t.Fatalf("once the queued turn came: %v", err)
	}
}

// TestBackgroundWaitsAsLongAsItsContextAllows: maxWait does not refuse a
// background call, which waits (on the Window's clock here), looks again
// and books; its context's end or deadline, and AbandonOn, do end it.
func TestBackgroundWaitsAsLongAsItsContextAllows(t *testing.T) {
	clock := newFakeClock()
	r := Rate{N: 2, Per: time.Minute}
	w := NewWindow(r, clock.Now)
	var slept time.Duration
	w.sleep = func(ctx context.Context, d time.Duration) error {
		slept += d
		clock.Advance(d)
		return ctx.Err()
	}
	bg := Background(context.Background())
	first, err := w.Take(bg, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	second, err := w.Take(bg, 0) // 2/min leaves the sync one a span
	if err != nil {
		t.Fatalf("a background call beyond maxWait 0: %v, want it to wait", err)
	}
	if got := second.At.Sub(first.At); got != w.Span() || slept != w.Span() || !second.At.Equal(start.Add(slept)) {
		t.Fatalf("second background turn %v after the first, slept %v; want a span (%v)", got, slept, w.Span())
	}

	// A deadline before the turn could come: refused at once, booking
	// nothing, as the deadline (not maxWait) says.
	dl, cancel := context.WithTimeout(bg, time.Second)
	defer cancel()
	slept = 0
	var ex *ExceededError
	if _, err := w.Take(dl, time.Hour); !errors.As(err, &ex) || slept != 0 {
		t.Fatalf("background call with a deadline before its turn: %v after %v, want an ExceededError at once", err, slept)
	}
	// Cancelled while waiting: its context's error, nothing booked.
	cctx, cancelNow := context.WithCancel(bg)
	w.sleep = func(context.Context, time.Duration) error { cancelNow(); return cctx.Err() }
	if _, err := w.Take(cctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled background call: %v", err)
	}
	// The real Pause ends on an abandon channel.
	w.sleep = Pause
	abandon := make(chan struct{})
	close(abandon)
	if _, err := w.Take(AbandonOn(bg, abandon), 0); !errors.Is(err, ErrAbandoned) {
		t.Fatalf("abandoned background call: %v", err)
	}
	if n := booked(w); n != 2 {
		t.Fatalf("%d booked, want the two turns taken", n)
	}
}

// TestBackgroundLeavesLiveCallsTheirTurns runs a greedy background taker
// (it takes every turn it may, as a sync of a long list does) beside live
// calls at random moments, on a clock moved by hand, and checks what the
// live calls see:
//   - after every background turn, the span ending then still holds
//     Reserve free turns;
//   - no background turn is booked while a live call is queued;
//   - a live call that finds nobody queued, and fewer than Reserve live
//     calls in the span, has its turn at once: it never waits for the
//     sync.
func TestBackgroundLeavesLiveCallsTheirTurns(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		r := Rate{N: 1 + rng.IntN(30), Per: time.Duration(1+rng.IntN(20)) * time.Second}
		reserve := Reserve(r)
		clock := testclock.New(time.Unix(1e9, 0))
		w := NewWindow(r, clock.Now)
		span := w.Span() // no answers are observed: the slack stays
		var live, background []time.Time
		// inSpan counts the turns after now − span; both lists are
		// booked in ascending order, so only their tails are read.
		inSpan := func(ts []time.Time, now time.Time) (n int) {
			for i := len(ts) - 1; i >= 0 && ts[i].After(now.Add(-span)); i-- {
				n++
			}
			return n
		}
		queued := func(now time.Time) bool { return len(live) > 0 && live[len(live)-1].After(now) }
		for range 2000 {
			clock.Advance(time.Duration(rng.IntN(int(r.Per/time.Millisecond)/r.N+1)) * time.Millisecond)
			now := clock.Now()
			if rng.IntN(4) == 0 { // a live call, willing to wait
				wasQueued := queued(now)
				fewLive := inSpan(live, now) < reserve
				turn, ok := w.book(now, time.Hour)
				if !ok {
					t.Fatalf("seed %d: a live call could not book within an hour", seed)
				}
				if !wasQueued && fewLive && !turn.Equal(now) {
					t.Fatalf("seed %d, rate %s: a live call with nobody queued and %d live calls in the span waits %v",
						seed, r, inSpan(live, now), turn.Sub(now))
				}
				live = append(live, turn)
				continue
			}
			for { // the sync takes all it may
				wasQueued := queued(now)
				if _, ok := w.bookBackground(now); !ok {
					break
				}
				background = append(background, now)
				if wasQueued {
					t.Fatalf("seed %d: a background turn booked with a live call queued", seed)
				}
				if used := inSpan(live, now) + inSpan(background, now); used > r.N-reserve {
					t.Fatalf("seed %d, rate %s: %d turns used in the span after a background one, want at most %d",
						seed, r, used, r.N-reserve)
				}
			}
		}
		if len(background) == 0 {
			t.Fatalf("seed %d, rate %s: the sync never had a turn", seed, r)
		}
	}
}
