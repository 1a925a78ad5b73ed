package loader

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"custgraph/internal/customer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeU8 is a U8 source that fails the first call for "flaky" and counts
// calls per key.
type fakeU8 struct {
	mu    sync.Mutex
	calls map[string]int
}

func (f *fakeU8) Get(_ context.Context, key string) (*customer.Customer, error) {
	f.mu.Lock()
	f.calls[key]++
	n := f.calls[key]
	f.mu.Unlock()
	switch {
	case key == "flaky" && n == 1:
		return nil, customer.UpstreamError(customer.U8, customer.ReasonUnavailable, "", nil)
	case key == "gone":
		return nil, customer.NotFoundf("no such customer")
	case key == "refused":
		return nil, customer.UpstreamError(customer.U8, customer.ReasonAuth, "30001", nil)
	}
	return &customer.Customer{Source: customer.U8, SourceID: key, Name: "n-" + key}, nil
}

func (f *fakeU8) List(context.Context, customer.ListQuery) (*customer.Page, error) {
	return &customer.Page{}, nil
}

func (f *fakeU8) FindByName(context.Context, string) ([]*customer.Customer, error) { return nil, nil }

func TestTransientFailuresAreNotCached(t *testing.T) {
	f := &fakeU8{calls: map[string]int{}}
	svc := customer.NewService(customer.Sources{U8: f}, customer.ServiceOptions{})
	l := New(svc, Options{})
	ctx := context.Background()

	if _, err := l.Customer(ctx, "u8:flaky"); !customer.IsTransient(err) {
		t.Fatalf("first load: got %v, want a transient failure", err)
	}
	c, err := l.Customer(ctx, "u8:flaky")
	if err != nil || c == nil || c.SourceID != "flaky" {
		t.Fatalf("second load: got %v, %v; want the record (the failure must not be cached)", c, err)
	}
	for _, key := range []string{"gone", "refused"} {
		l.Customer(ctx, "u8:"+key)
		l.Customer(ctx, "u8:"+key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls["gone"] != 1 || f.calls["refused"] != 1 {
		t.Errorf("calls %v: not-found and refusals are answers and must be cached", f.calls)
	}
}

func TestOneBatchPerSourceAndMissingIsNull(t *testing.T) {
	f := &fakeU8{calls: map[string]int{}}
	svc := customer.NewService(customer.Sources{U8: f}, customer.ServiceOptions{})
	l := New(svc, Options{})
	got, errs := l.Customers(context.Background(), []string{"u8:a", "u8:gone", "u8:a", "u8:b"})
	if len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	if got[0].SourceID != "a" || got[1] != nil || got[2] != got[0] || got[3].SourceID != "b" {
		t.Errorf("got %v", got)
	}
	if f.calls["a"] != 1 {
		t.Errorf("key a fetched %d times, want 1", f.calls["a"])
	}
	if _, errs := l.Customers(context.Background(), []string{"u8:a", "crm:1"}); len(errs) != 1 ||
		customer.AsError(errs[0]).Code != customer.CodeBadInput {
		t.Errorf("a disabled source: got %v, want BAD_USER_INPUT", errs)
	}
}

// peekU8 is fakeU8 with an in-process cache of a few keys.
type peekU8 struct {
	fakeU8
	cached map[string]*customer.Customer
}

// Record implements Known for U8's cached keys.
func (p *peekU8) Record(src customer.Source, key string) (*customer.Customer, bool) {
	c, ok := p.cached[key]
	return c, ok && src == customer.U8
}

// Named implements Known: no names are held.
func (p *peekU8) Named(customer.Source, string) ([]*customer.Customer, bool) { return nil, false }

// Keys the source already holds are answered at once; only the others
// wait for a batch, and only they reach the source.
func TestKnownRecordsDoNotWaitForABatch(t *testing.T) {
	hit := &customer.Customer{Source: customer.U8, SourceID: "hit", Name: "cached"}
	f := &peekU8{fakeU8: fakeU8{calls: map[string]int{}}, cached: map[string]*customer.Customer{"hit": hit, "gone": nil}}
	svc := customer.NewService(customer.Sources{U8: f}, customer.ServiceOptions{})
	// A batch waits an hour: a known record that waited for one would
	// not be answered within the test's patience, however busy the
	// machine.
	l := New(svc, Options{Wait: time.Hour, Known: f})
	type answer struct {
		c   *customer.Customer
		err error
	}
	answers := make(chan answer, 2)
	go func() {
		for _, id := range []string{"u8:hit", "u8:gone"} {
			c, err := l.Customer(context.Background(), id)
			answers <- answer{c, err}
		}
	}()
	for i, want := range []*customer.Customer{hit, nil} {
		select {
		case a := <-answers:
			if a.err != nil || a.c != want {
				t.Fatalf("known record %d: %v, %v; want %v", i, a.c, a.err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("known record %d waited for a batch", i)
		}
	}
	l = New(svc, Options{Wait: 300 * time.Millisecond, Known: f})
	got, errs := l.Customers(context.Background(), []string{"u8:hit", "u8:miss"})
	if len(errs) > 0 || got[0] != hit || got[1] == nil || got[1].SourceID != "miss" {
		t.Fatalf("mixed: %v, %v", got, errs)
	}
	if len(f.calls) != 1 || f.calls["miss"] != 1 {
		t.Errorf("source calls %v, want only the unknown key", f.calls)
	}
}
