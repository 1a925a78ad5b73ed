package guard

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"custgraph/internal/customer"
)

// patience bounds every wait of these tests: generous, since a wait only
// runs this long when the test is failing anyway.
const patience = 5 * time.Second

// settle gives goroutines that are already counted as waiters of a flight
// time to reach singleflight (waiters is counted just before joining), so a
// test that then lets the call answer knows they all joined it.
func settle() { time.Sleep(50 * time.Millisecond) }

// waitUntil polls cond until it holds, failing the test after patience.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// recv receives from ch, failing the test after patience.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// flightWaiters is how many callers wait on the call of key in flight.
func flightWaiters(f *flights, key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl := f.m[key]; fl != nil {
		return fl.waiters
	}
	return 0
}

// totalWaiters is how many callers wait on any call in flight.
func totalWaiters(f *flights) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, fl := range f.m {
		n += fl.waiters
	}
	return n
}

type result struct {
	v      any
	err    error
	shared bool
}

// blocker is a call that blocks until released or its context ends.
type blocker struct {
	calls   atomic.Int64
	entered chan context.Context // the call's context, once per call
	release chan struct{}
	val     any
}

func newBlocker(val any) *blocker {
	return &blocker{entered: make(chan context.Context, 100), release: make(chan struct{}), val: val}
}

func (b *blocker) fn(ctx context.Context) (any, error) {
	b.calls.Add(1)
	b.entered <- ctx
	select {
	case <-b.release:
		return b.val, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func goDo(f *flights, ctx context.Context, key string, fn func(context.Context) (any, error)) <-chan result {
	out := make(chan result, 1)
	go func() {
		v, err, shared := f.do(ctx, key, fn)
		out <- result{v, err, shared}
	}()
	return out
}

func TestFlightsOneCallForConcurrentCallers(t *testing.T) {
	var f flights
	b := newBlocker(42)
	const n = 8
	outs := make([]<-chan result, n)
	for i := range outs {
		outs[i] = goDo(&f, context.Background(), "k", b.fn)
	}
	recv(t, b.entered, "the call")
	waitUntil(t, "all callers wait", func() bool { return flightWaiters(&f, "k") == n })
	settle()
	close(b.release)
	for i, out := range outs {
		r := recv(t, out, "an answer")
		if r.err != nil || r.v != 42 {
			t.Errorf("caller %d: got (%v, %v), want (42, nil)", i, r.v, r.err)
		}
	}
	if got := b.calls.Load(); got != 1 {
		t.Errorf("calls = %d, want 1", got)
	}
}

func TestFlightsDifferentKeysDoNotShare(t *testing.T) {
	var f flights
	b := newBlocker("v")
	o1 := goDo(&f, context.Background(), "a", b.fn)
	o2 := goDo(&f, context.Background(), "b", b.fn)
	recv(t, b.entered, "call a or b")
	recv(t, b.entered, "call a or b")
	close(b.release)
	for _, o := range []<-chan result{o1, o2} {
		if r := recv(t, o, "an answer"); r.err != nil || r.shared {
			t.Errorf("got err %v shared %v, want nil, false", r.err, r.shared)
		}
	}
	if got := b.calls.Load(); got != 2 {
		t.Errorf("calls = %d, want 2", got)
	}
}

func TestFlightsCallerAlreadyDone(t *testing.T) {
	var f flights
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	_, err, _ := f.do(ctx, "k", func(context.Context) (any, error) { called = true; return 1, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if called {
		t.Error("the call was made for a caller already gone")
	}
}

type ctxKey struct{}

func TestFlightsCallKeepsValuesAndDeadline(t *testing.T) {
	var f flights
	dl := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.WithValue(context.Background(), ctxKey{}, "req-1"), dl)
	defer cancel()
	var got context.Context
	_, err, _ := f.do(ctx, "k", func(c context.Context) (any, error) { got = c; return 1, nil })
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Value(ctxKey{}).(string); v != "req-1" {
		t.Errorf("call's context lost the request's value: %q", v)
	}
	if d, ok := got.Deadline(); !ok || !d.Equal(dl) {
		t.Errorf("call's deadline = %v, %v; want %v", d, ok, dl)
	}
}

func TestFlightsFirstCallerLeavingDoesNotFailOthers(t *testing.T) {
	var f flights
	b := newBlocker("v")
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	o1 := goDo(&f, ctx1, "k", b.fn)
	callCtx := recv(t, b.entered, "the call")
	o2 := goDo(&f, context.Background(), "k", b.fn)
	o3 := goDo(&f, context.Background(), "k", b.fn)
	waitUntil(t, "all callers wait", func() bool { return flightWaiters(&f, "k") == 3 })
	settle()
	cancel1()
	if r := recv(t, o1, "the first caller's return"); !errors.Is(r.err, context.Canceled) {
		t.Errorf("first caller: err = %v, want context.Canceled", r.err)
	}
	if callCtx.Err() != nil {
		t.Fatalf("the call's context ended with the first caller: %v", callCtx.Err())
	}
	close(b.release)
	for _, o := range []<-chan result{o2, o3} {
		if r := recv(t, o, "an answer"); r.err != nil || r.v != "v" {
			t.Errorf("got (%v, %v), want (v, nil)", r.v, r.err)
		}
	}
	if got := b.calls.Load(); got != 1 {
		t.Errorf("calls = %d, want 1", got)
	}
}

func TestFlightsLastCallerLeavingCancelsCall(t *testing.T) {
	var f flights
	b := newBlocker("v")
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	o1 := goDo(&f, ctx1, "k", b.fn)
	callCtx := recv(t, b.entered, "the call")
	o2 := goDo(&f, ctx2, "k", b.fn)
	waitUntil(t, "both callers wait", func() bool { return flightWaiters(&f, "k") == 2 })
	settle()
	cancel1()
	recv(t, o1, "the first caller's return")
	if callCtx.Err() != nil {
		t.Fatal("the call was cancelled while a caller still waited")
	}
	cancel2()
	recv(t, o2, "the second caller's return")
	select {
	case <-callCtx.Done():
	case <-time.After(patience):
		t.Fatal("the call's context was not cancelled once every caller left")
	}

	// The abandoned call is forgotten: the next caller starts afresh.
	close(b.release)
	r := recv(t, goDo(&f, context.Background(), "k", b.fn), "a fresh answer")
	if r.err != nil || r.v != "v" || r.shared {
		t.Errorf("fresh call: got (%v, %v, shared %v), want (v, nil, false)", r.v, r.err, r.shared)
	}
	if got := b.calls.Load(); got != 2 {
		t.Errorf("calls = %d, want 2", got)
	}
}

func TestFlightsNewCallAfterAnswer(t *testing.T) {
	var f flights
	var calls atomic.Int64
	fn := func(ctx context.Context) (any, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return calls.Add(1), nil
	}
	for want := int64(1); want <= 3; want++ {
		v, err, shared := f.do(context.Background(), "k", fn)
		if err != nil || v != want || shared {
			t.Fatalf("call %d: got (%v, %v, shared %v)", want, v, err, shared)
		}
	}
}

// The leader's answer is its own call's, not another caller's: only the
// callers that joined it are "shared" (and so counted as Coalesced).
func TestFlightsSharedOnlyForJoiners(t *testing.T) {
	var f flights
	b := newBlocker("v")
	leader := goDo(&f, context.Background(), "k", b.fn)
	recv(t, b.entered, "the call")
	joiner := goDo(&f, context.Background(), "k", b.fn)
	waitUntil(t, "the joiner waits", func() bool { return flightWaiters(&f, "k") == 2 })
	settle()
	close(b.release)
	if r := recv(t, joiner, "the joiner's answer"); r.err != nil || !r.shared {
		t.Errorf("joiner: err %v shared %v, want nil, true", r.err, r.shared)
	}
	if r := recv(t, leader, "the leader's answer"); r.err != nil || r.shared {
		t.Errorf("leader: err %v shared %v, want nil, false (it made the call itself)", r.err, r.shared)
	}
}

// A caller that finds a call in flight but reaches singleflight only after
// that call has answered must not be run on the retired call's (cancelled)
// context: its own context is live, so it must get an answer, not
// context.Canceled. Stress: many callers hammer one key with a quick call.
func TestFlightsLateJoinerGetsLiveContext(t *testing.T) {
	var f flights
	var calls, deadCtx, failed atomic.Int64
	fn := func(ctx context.Context) (any, error) {
		calls.Add(1)
		if err := ctx.Err(); err != nil {
			deadCtx.Add(1)
			return nil, err
		}
		runtime.Gosched()
		return 1, nil
	}
	stop := time.Now().Add(300 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := 0; i < 3000 && time.Now().Before(stop) && deadCtx.Load() == 0; i++ {
				if _, err, _ := f.do(context.Background(), "k", fn); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if deadCtx.Load() > 0 || failed.Load() > 0 {
		t.Errorf("of %d calls, %d ran on an already-cancelled context and %d callers with live contexts failed",
			calls.Load(), deadCtx.Load(), failed.Load())
	}
}

// A panicking call fails every caller with INTERNAL instead of crashing the
// process from singleflight's goroutine; the key is usable afterwards.
func TestFlightsPanicBecomesError(t *testing.T) {
	var f flights
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	boom := func(context.Context) (any, error) {
		entered <- struct{}{}
		<-release
		panic("boom")
	}
	o1 := goDo(&f, context.Background(), "k", boom)
	<-entered
	o2 := goDo(&f, context.Background(), "k", boom)
	waitUntil(t, "both callers wait", func() bool { return flightWaiters(&f, "k") == 2 })
	settle()
	close(release)
	for _, o := range []<-chan result{o1, o2} {
		r := recv(t, o, "an answer")
		if e := customer.AsError(r.err); e == nil || e.Code != customer.CodeInternal || r.v != nil {
			t.Errorf("got (%v, %v), want an INTERNAL error", r.v, r.err)
		}
	}
	v, err, _ := f.do(context.Background(), "k", func(context.Context) (any, error) { return 1, nil })
	if err != nil || v != 1 {
		t.Errorf("after the panic: got (%v, %v), want (1, nil)", v, err)
	}
}
