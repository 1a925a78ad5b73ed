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
			if gap := booked[i].Sub(booked[i-r.N]); gap < r.Per+Slack(r.Per) {
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
	if want := now.Add(time.Second + Slack(time.Second)); !turn.Equal(want) {
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
	start := time.Now()
	for i := 0; i < 2; i++ {
		if err := w.Take(ctx, 0); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// The third does not fit in 10 ms: refused at once, with the wait.
	err := w.Take(ctx, 10*time.Millisecond)
	var ex *ExceededError
	if !errors.As(err, &ex) || !errors.Is(err, ErrExceeded) || ex.Wait < 50*time.Millisecond {
		t.Fatalf("got %v, want an ExceededError with the wait", err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("refusal took %v", d)
	}
	// Nor in a deadline that ends first.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := w.Take(short, time.Second); !errors.Is(err, ErrExceeded) {
		t.Fatalf("with a 20 ms deadline: %v", err)
	}
	// With room to wait, it waits for the window.
	if err := w.Take(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < r.Per {
		t.Fatalf("third call after %v, before the window of %v passed", d, r.Per)
	}
}

func TestTakeGivesBackOnCancel(t *testing.T) {
	r := Rate{N: 1, Per: 200 * time.Millisecond}
	w := NewWindow(r, nil)
	if err := w.Take(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := w.Take(ctx, time.Second); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled waiter got %v", err)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	wg.Wait()
	w.mu.Lock()
	n := len(w.turns)
	w.mu.Unlock()
	if n != 1 {
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
