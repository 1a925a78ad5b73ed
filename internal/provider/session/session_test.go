package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"custgraph/internal/customer"
	"custgraph/internal/testclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// counter fetches "t1", "t2", … and counts the fetches; gate, when set,
// holds each fetch until it is closed.
type counter struct {
	n    atomic.Int32
	gate chan struct{}
}

func (c *counter) fetch(ctx context.Context) (string, time.Duration, error) {
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return "", 0, ctx.Err()
		}
	}
	return fmt.Sprintf("t%d", c.n.Add(1)), time.Hour, nil
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	f := &counter{gate: make(chan struct{})}
	c := New(customer.CRM, f.fetch, nil)
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = c.Get(context.Background())
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	for i, v := range got {
		if v != "t1" {
			t.Errorf("caller %d got %q, want t1", i, v)
		}
	}
	if n := f.n.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

func TestRenewReplacesOnlyTheStaleValue(t *testing.T) {
	f := &counter{}
	c := New(customer.U8, f.fetch, nil)
	ctx := context.Background()
	v1, _ := c.Get(ctx)
	v2, _ := c.Renew(ctx, v1)
	v3, _ := c.Renew(ctx, v1) // another caller that saw the same refusal
	if v1 != "t1" || v2 != "t2" || v3 != "t2" || f.n.Load() != 2 {
		t.Errorf("got %s %s %s after %d fetches, want t1 t2 t2 after 2", v1, v2, v3, f.n.Load())
	}
}

func TestExpiryFetchesAgain(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := &counter{}
	c := New(customer.YCM, f.fetch, clock.Now)
	c.Get(context.Background())
	clock.Advance(time.Hour)
	if v, _ := c.Get(context.Background()); v != "t2" {
		t.Errorf("after expiry got %s, want t2", v)
	}
}

func TestWaiterRetriesWhenOnlyTheLeaderGaveUp(t *testing.T) {
	f := &counter{gate: make(chan struct{})}
	c := New(customer.CRM, f.fetch, nil)
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() { _, err := c.Get(leaderCtx); leaderErr <- err }()
	time.Sleep(10 * time.Millisecond)
	waiter := make(chan string, 1)
	go func() { v, _ := c.Get(context.Background()); waiter <- v }()
	time.Sleep(10 * time.Millisecond)
	cancelLeader()
	if err := <-leaderErr; !IsContextErr(err) {
		t.Fatalf("leader got %v, want its context's error", err)
	}
	close(f.gate)
	if v := <-waiter; v != "t1" {
		t.Errorf("waiter got %q, want a fetch of its own (t1)", v)
	}
}

func TestWaiterThatGivesUpGetsAnUpstreamTimeout(t *testing.T) {
	f := &counter{gate: make(chan struct{})}
	c := New(customer.U8, f.fetch, nil)
	go c.Get(context.Background())
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx)
	var e *customer.Error
	if !errors.As(err, &e) || e.Source != customer.U8 || e.Reason != customer.ReasonTimeout {
		t.Errorf("got %v, want a U8 TIMEOUT", err)
	}
	close(f.gate)
	time.Sleep(10 * time.Millisecond)
}
