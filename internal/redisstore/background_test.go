package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/redistest"
)

// TestSharedBackgroundLeavesTheReserve: with 10 a minute shared by two
// replicas, background calls of both get 9 turns at once; the tenth is
// refused by its deadline (not left to wait a minute), and the turn left is
// a live call's at once, on either replica.
func TestSharedBackgroundLeavesTheReserve(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rate := quota.Rate{N: 10, Per: time.Minute}
	a, b := NewLimiter(replica(t, srv, nil), "crm", rate, 2), NewLimiter(replica(t, srv, nil), "crm", rate, 2)
	bg := quota.Background(context.Background())
	for i := range rate.N - quota.Reserve(rate) {
		if _, err := []*Limiter{a, b}[i%2].Take(bg, 0); err != nil {
			t.Fatalf("background call %d: %v", i, err)
		}
	}
	short, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	var ex *quota.ExceededError
	if _, err := b.Take(short, time.Hour); !errors.As(err, &ex) || ex.Wait < rate.Per/2 {
		t.Fatalf("a background call past N−Reserve: %v, want refused by its deadline with a wait of about a window", err)
	}
	if _, err := a.Take(context.Background(), 0); err != nil {
		t.Fatalf("a live call after the sync's turns: %v, want the reserved turn at once", err)
	}
	if _, err := b.Take(context.Background(), 0); !errors.Is(err, quota.ErrExceeded) {
		t.Fatalf("a second live call: %v, want the quota spent", err)
	}
}

// TestSharedBackgroundNeverJumpsTheQueue: while a live call of one replica
// waits for its turn, a background call of another books nothing, even
// where the window has room (turns given back); once the live caller has
// gone, it books at once.
func TestSharedBackgroundNeverJumpsTheQueue(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rate := quota.Rate{N: 10, Per: time.Minute}
	storeA := replica(t, srv, nil)
	a, b := NewLimiter(storeA, "crm", rate, 2), NewLimiter(replica(t, srv, nil), "crm", rate, 2)
	var turns []*quota.Turn
	for range rate.N {
		turn, err := a.Take(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		turns = append(turns, turn)
	}
	waiting, stopWaiting := context.WithCancel(context.Background())
	waited := make(chan error, 1)
	go func() { // a live call queued for the next window
		_, err := b.Take(waiting, 2*rate.Per)
		waited <- err
	}()
	// Its booking is what matters, seen in Redis, not when it ran.
	deadline := time.Now().Add(10 * time.Second)
	for storeA.rdb.ZCard(context.Background(), a.key).Val() != int64(rate.N)+1 {
		if time.Now().After(deadline) {
			t.Fatal("the live call did not queue within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, turn := range turns[:5] { // room for the sync, but for the queue
		turn.Unused()
	}
	bg := quota.Background(context.Background())
	short, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	var ex *quota.ExceededError
	if _, err := a.Take(short, time.Hour); !errors.As(err, &ex) || ex.Wait < rate.Per/2 {
		t.Fatalf("a background call with a live one queued: %v, want a wait for the queued turn", err)
	}
	stopWaiting()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Fatalf("the queued live call: %v", err)
	}
	if _, err := a.Take(short, time.Hour); err != nil {
		t.Fatalf("with nobody queued and five turns free: %v", err)
	}
}

// TestSharedBackgroundWaitsBeyondMaxWait: a background call whose turn is
// further than maxWait waits for it instead of failing, and its turn keeps
// the window (checked on Redis's clock, in the turns themselves).
func TestSharedBackgroundWaitsBeyondMaxWait(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rate := quota.Rate{N: 2, Per: 300 * time.Millisecond}
	l := NewLimiter(replica(t, srv, nil), "crm", rate, 1)
	bg := quota.Background(context.Background())
	first, err := l.Take(bg, 0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := l.Take(bg, time.Millisecond)
	if err != nil {
		t.Fatalf("a background call beyond maxWait: %v, want it to wait", err)
	}
	if gap := second.At.Sub(first.At); gap < rate.Per {
		t.Fatalf("background turns %v apart, want a window (%v): 2/300ms leaves the sync one", gap, rate.Per)
	}
}

// TestSharedBackgroundFallsBackToTheLocalRule: with Redis gone, a background
// call keeps the background rule on this replica's share: the share is
// filled a window (the others may have spent it), so the call waits rather
// than failing, and is refused only by a deadline that ends first.
func TestSharedBackgroundFallsBackToTheLocalRule(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	s := replica(t, srv, nil)
	l := NewLimiter(s, "crm", quota.Rate{N: 10, Per: time.Minute}, 1)
	srv.Kill()
	bg := quota.Background(context.Background())
	short, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	if _, err := l.Take(short, time.Hour); !errors.Is(err, quota.ErrExceeded) {
		t.Fatalf("background call with Redis down and the share filled: %v, want refused by its deadline", err)
	}
	if s.Healthy() {
		t.Fatal("Redis still counted healthy")
	}
}
