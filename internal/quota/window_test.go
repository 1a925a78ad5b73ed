package quota

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"custgraph/internal/testclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWindowNeverOverfills books calls at random moments, some waiting and
// some not, and checks that no span of Per (plus slack) ever holds more
// than N booked calls: what the vendor would count.
func TestWindowNeverOverfills(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		r := Rate{N: 1 + rng.IntN(10), Per: time.Duration(1+rng.IntN(20)) * 100 * time.Millisecond}
		w := NewWindow(r, nil)
		now := time.Unix(1e9, 0)
		var booked []time.Time // ascending, as booked
		for i := 0; i < 400; i++ {
			now = now.Add(time.Duration(rng.IntN(int(r.Per/time.Millisecond)/2+1)) * time.Millisecond)
			limit := time.Duration(rng.IntN(3)) * r.Per
			turn, ok := w.book(now, limit)
			if turn.Before(now) {
				t.Fatalf("seed %d: turn %v before now %v", seed, turn, now)
			}
			if ok != (turn.Sub(now) <= limit) {
				t.Fatalf("seed %d: booked=%v for a wait of %v with limit %v", seed, ok, turn.Sub(now), limit)
			}
			if ok {
				booked = append(booked, turn)
				if rng.IntN(10) == 0 { // a waiter gave up
					j := rng.IntN(len(booked))
					if booked[j].After(now) {
						w.release(booked[j])
						booked = append(booked[:j], booked[j+1:]...)
					}
				}
			}
		}
		sort.Slice(booked, func(i, j int) bool { return booked[i].Before(booked[j]) })
		for i := r.N; i < len(booked); i++ {
			if gap := booked[i].Sub(booked[i-r.N]); gap < r.Per+DefaultSlack(r.Per) {
				t.Fatalf("seed %d, rate %s: calls %d and %d are %v apart: %d calls in one window", seed, r, i-r.N, i, gap, r.N+1)
			}
		}
	}
}

func TestWindowFirstNAreImmediate(t *testing.T) {
	w := NewWindow(Rate{N: 3, Per: time.Second}, nil)
	now := time.Unix(1e9, 0)
	for i := 0; i < 3; i++ {
		if turn, ok := w.book(now, 0); !ok || !turn.Equal(now) {
			t.Fatalf("call %d: turn %v ok=%v, want now", i, turn, ok)
		}
	}
	turn, ok := w.book(now, 0)
	if ok {
		t.Fatal("a fourth call within the window was booked without waiting")
	}
	if want := now.Add(time.Second + DefaultSlack(time.Second)); !turn.Equal(want) {
		t.Fatalf("next turn %v, want %v", turn, want)
	}
	// Once the window has passed, calls are immediate again.
	later := now.Add(2 * time.Second)
	if turn, ok := w.book(later, 0); !ok || !turn.Equal(later) {
		t.Fatalf("after the window: turn %v ok=%v", turn, ok)
	}
}

func TestTakeWaitsOrRefuses(t *testing.T) {
	r := Rate{N: 2, Per: 100 * time.Millisecond}
	w := NewWindow(r, nil)
	ctx := context.Background()
	var turns []*Turn
	for i := 0; i < 2; i++ {
		turn, err := w.Take(ctx, 0)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		turns = append(turns, turn)
	}
	// The third does not fit in 10 ms: refused, with the wait, and
	// nothing booked.
	turn, err := w.Take(ctx, 10*time.Millisecond)
	var ex *ExceededError
	if !errors.As(err, &ex) || !errors.Is(err, ErrExceeded) || ex.Wait < 50*time.Millisecond || turn != nil {
		t.Fatalf("got %v, %v, want an ExceededError with the wait", turn, err)
	}
	// Nor in a deadline that ends first.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := w.Take(short, time.Second); !errors.Is(err, ErrExceeded) {
		t.Fatalf("with a 20 ms deadline: %v", err)
	}
	if n := booked(w); n != 2 {
		t.Fatalf("%d turns booked after two refusals, want 2", n)
	}
	// With room to wait, it waits for the window: its turn is a span
	// after the first, and it never comes early.
	third, err := w.Take(ctx, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if gap := third.At.Sub(turns[0].At); gap < r.Per+DefaultSlack(r.Per) {
		t.Fatalf("third turn %v after the first, want a span (%v)", gap, r.Per+DefaultSlack(r.Per))
	}
	if time.Now().Before(third.At) {
		t.Fatalf("Take returned before the turn at %v", third.At)
	}
}

func booked(w *Window) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.turns)
}

func TestTakeGivesBackOnCancel(t *testing.T) {
	r := Rate{N: 1, Per: 200 * time.Millisecond}
	w := NewWindow(r, nil)
	if _, err := w.Take(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := w.Take(ctx, time.Second); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled waiter got %v", err)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	wg.Wait()
	if n := booked(w); n != 1 {
		t.Fatalf("%d turns booked after the waiter left, want 1", n)
	}
}

func TestFillSpendsTheWindow(t *testing.T) {
	w := NewWindow(Rate{N: 3, Per: time.Second}, nil)
	w.Fill()
	now := w.now()
	turn, ok := w.book(now, 0)
	if ok || turn.Sub(now) < time.Second {
		t.Fatalf("after Fill the next turn is %v away (booked %v), want a whole span", turn.Sub(now), ok)
	}
}

// newFakeClock is a clock tests move by hand. It starts at the real time,
// so that deadlines of contexts (which run on the real clock) mean the
// same on it.
func newFakeClock() *testclock.Clock { return testclock.New(time.Now()) }

// take books a turn now or fails, never waiting.
func take(w *Window) (*Turn, error) { return w.Take(context.Background(), 0) }

// TestSlackFollowsTheCallsLag: the span between windows is the period
// plus the longest recent time from a turn to its answer, within its
// bounds; a refusal doubles it.
func TestSlackFollowsTheCallsLag(t *testing.T) {
	per := 10 * time.Second
	l := NewLag(per)
	if got := l.Slack(); got != DefaultSlack(per) {
		t.Fatalf("slack before any answer %v, want %v", got, DefaultSlack(per))
	}
	l.Observe(time.Millisecond)
	if got := l.Slack(); got != minSlack {
		t.Fatalf("slack after a 1 ms answer %v, want the floor %v", got, minSlack)
	}
	l.Observe(300 * time.Millisecond)
	l.Observe(40 * time.Millisecond)
	if got := l.Slack(); got != 300*time.Millisecond {
		t.Fatalf("slack %v, want the longest lag 300ms", got)
	}
	l.Refused()
	if got := l.Slack(); got != 600*time.Millisecond {
		t.Fatalf("slack after a refusal %v, want 600ms", got)
	}
	l.Observe(time.Hour)
	if got := l.Slack(); got != MaxSlack(per) {
		t.Fatalf("slack after an hour's lag %v, want the cap %v", got, MaxSlack(per))
	}
	// lagSamples quick answers later, the slow ones are forgotten.
	for range lagSamples {
		l.Observe(5 * time.Millisecond)
	}
	if got := l.Slack(); got != minSlack {
		t.Fatalf("slack after %d quick answers %v, want %v", lagSamples, got, minSlack)
	}
}

// TestWindowBooksWithTheLearnedSlack: after answers that took 300 ms, the
// N+1-th call is booked a period and 300 ms after the first.
func TestWindowBooksWithTheLearnedSlack(t *testing.T) {
	clock := newFakeClock()
	r := Rate{N: 2, Per: 2 * time.Second}
	w := NewWindow(r, clock.Now)
	w.Lag().Observe(300 * time.Millisecond)
	now := clock.Now()
	for range r.N {
		if _, ok := w.book(now, 0); !ok {
			t.Fatal("a call within the quota was not booked at once")
		}
	}
	turn, _ := w.book(now, time.Hour)
	if want := now.Add(r.Per + 300*time.Millisecond); !turn.Equal(want) {
		t.Fatalf("turn %v, want %v", turn.Sub(now), want.Sub(now))
	}
}

// TestUnusedTurnIsGivenBack: a call that never reached the vendor does not
// count: the quota is as if it had not been booked.
func TestUnusedTurnIsGivenBack(t *testing.T) {
	clock := newFakeClock()
	w := NewWindow(Rate{N: 2, Per: time.Minute}, clock.Now)
	a, err := take(w)
	if err != nil {
		t.Fatal(err)
	}
	b, err := take(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := take(w); !errors.Is(err, ErrExceeded) {
		t.Fatalf("a third call in the window: %v, want ErrExceeded", err)
	}
	b.Unused()
	a.Answered()
	if _, err := take(w); err != nil {
		t.Fatalf("after one call was given back: %v", err)
	}
	if n := booked(w); n != 2 {
		t.Fatalf("%d booked, want 2", n)
	}
}

// TestRefusedFillsTheWindow: a vendor's refusal books the whole quota, so
// that the next turn is a whole span away, or as far as the vendor asked.
func TestRefusedFillsTheWindow(t *testing.T) {
	clock := newFakeClock()
	r := Rate{N: 3, Per: time.Second}
	w := NewWindow(r, clock.Now)
	turn, err := take(w)
	if err != nil {
		t.Fatal(err)
	}
	turn.Refused(0)
	now := clock.Now()
	next, ok := w.book(now, time.Hour)
	// The refusal doubled the slack (from the default, no answer seen).
	if want := now.Add(r.Per + 2*DefaultSlack(r.Per)); !ok || next.Before(want) {
		t.Fatalf("next turn %v after a refusal, want at least %v", next.Sub(now), want.Sub(now))
	}

	w = NewWindow(r, clock.Now)
	turn, _ = take(w)
	turn.Refused(30 * time.Second)
	next, _ = w.book(now, time.Hour)
	if next.Sub(now) < 30*time.Second {
		t.Fatalf("next turn %v after a refusal asking for 30s", next.Sub(now))
	}
}

// TestTakeLeavesTheCallItsTime: a turn that comes too late in the deadline
// for the call to be answered (as long as calls take) is not booked.
func TestTakeLeavesTheCallItsTime(t *testing.T) {
	clock := newFakeClock()
	w := NewWindow(Rate{N: 1, Per: 2 * time.Second}, clock.Now)
	for range 3 {
		w.Lag().Observe(400 * time.Millisecond)
	}
	if _, err := take(w); err != nil {
		t.Fatal(err)
	}
	clock.Advance(1800 * time.Millisecond) // the next turn: 600 ms away
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(900*time.Millisecond))
	defer cancel()
	if _, err := w.Take(ctx, time.Hour); !errors.Is(err, ErrExceeded) {
		t.Fatalf("a turn 600ms away with 900ms left and calls taking 400ms: %v, want ErrExceeded", err)
	}
	if n := booked(w); n != 1 {
		t.Fatalf("%d booked, want 1", n)
	}
}

// TestAbandonOnGivesTheTurnBack: a caller waiting for its turn when the
// abandon channel closes returns ErrAbandoned and books nothing.
func TestAbandonOnGivesTheTurnBack(t *testing.T) {
	w := NewWindow(Rate{N: 1, Per: time.Hour}, nil)
	if _, err := w.Take(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	abandon := make(chan struct{})
	ctx := AbandonOn(context.Background(), abandon)
	done := make(chan error, 1)
	go func() {
		_, err := w.Take(ctx, 2*time.Hour)
		done <- err
	}()
	close(abandon)
	if err := <-done; !errors.Is(err, ErrAbandoned) {
		t.Fatalf("got %v, want ErrAbandoned", err)
	}
	if n := booked(w); n != 1 {
		t.Fatalf("%d booked after the waiter gave up, want 1", n)
	}
	// Already closed: refused without a wait.
	if _, err := w.Take(ctx, 2*time.Hour); !errors.Is(err, ErrAbandoned) {
		t.Fatalf("with the channel closed: %v", err)
	}
}
