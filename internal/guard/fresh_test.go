package guard

import (
	"context"
	"errors"
	"testing"
	"time"

	"custgraph/internal/customer"
)

// TestFreshSkipsTheCacheAndRefreshesIt: a fresh Get asks the vendor even
// with the record cached here and in the shared cache, and its answer
// (here: the record is gone) replaces both, for this replica and others.
func TestFreshSkipsTheCacheAndRefreshesIt(t *testing.T) {
	f := newFake(customer.CRM)
	remote := &countingRemote{}
	s := NewCRM(f, Options{CacheTTL: time.Minute, Remote: remote})
	ctx := context.Background()
	mustGet(t, s, "7")
	hits, misses := s.CacheHits(), s.CacheMisses()

	f.setScript(customer.NotFoundf("no customer %s", "7"))
	if c, err := s.Get(Fresh(ctx), "7"); !customer.IsNotFound(err) || c != nil {
		t.Fatalf("fresh Get of a deleted record = (%v, %v), want NotFound", c, err)
	}
	if got := f.gets.Load(); got != 2 {
		t.Fatalf("inner Gets = %d, want 2: the fresh read asked the vendor", got)
	}
	if s.CacheHits() != hits || s.CacheMisses() != misses {
		t.Errorf("a fresh read counted as a cache lookup: hits %d→%d, misses %d→%d", hits, s.CacheHits(), misses, s.CacheMisses())
	}
	// The cache now says "not found", here and for another replica.
	if _, err := s.Get(ctx, "7"); !customer.IsNotFound(err) || f.gets.Load() != 2 {
		t.Fatalf("after the fresh read: %v with %d inner Gets, want the cached NotFound", err, f.gets.Load())
	}
	other := NewCRM(f, Options{CacheTTL: time.Minute, Remote: remote})
	if _, err := other.Get(ctx, "7"); !customer.IsNotFound(err) || f.gets.Load() != 2 {
		t.Fatalf("another replica: %v with %d inner Gets, want the shared NotFound", err, f.gets.Load())
	}
	// A record found again replaces the "not found".
	if c, err := s.Get(Fresh(ctx), "7"); err != nil || c == nil {
		t.Fatalf("fresh Get of a record back: (%v, %v)", c, err)
	}
	if got := f.gets.Load(); got != 3 {
		t.Fatalf("inner Gets = %d, want 3", got)
	}
	mustGet(t, s, "7")
	if got := f.gets.Load(); got != 3 {
		t.Fatalf("inner Gets = %d after the refreshed record, want 3 (served from the cache)", got)
	}
}

// TestFreshIsGuarded: a fresh read is retried after a transient failure,
// coalesces with one in flight, and is refused by an open circuit.
func TestFreshIsGuarded(t *testing.T) {
	f := newFake(customer.U8)
	s := NewU8(f, Options{CacheTTL: time.Minute, Backoff: time.Millisecond, BreakerFailures: 3, BreakerOpen: time.Hour})
	ctx := Fresh(context.Background())
	f.setScript(upstream(customer.U8, customer.ReasonUnavailable))
	if _, err := s.Get(ctx, "001"); err != nil || f.gets.Load() != 2 || s.Retries() != 1 {
		t.Fatalf("fresh Get after a transient failure: %v, %d inner Gets, %d retries; want a retried answer", err, f.gets.Load(), s.Retries())
	}

	gate := make(chan struct{})
	f.setGate(gate)
	first := goGet(s, ctx, "002")
	recv(t, f.entered, "the first fresh call")
	second := goGet(s, ctx, "002")
	waitUntil(t, "the second fresh read joins", func() bool { return flightWaiters(&s.flights, "get 002") == 2 })
	close(gate)
	for _, ch := range []<-chan getResult{first, second} {
		if r := recv(t, ch, "an answer"); r.err != nil {
			t.Fatal(r.err)
		}
	}
	if got := f.gets.Load(); got != 3 {
		t.Fatalf("inner Gets = %d, want 3: two fresh reads at once share a call", got)
	}

	f.setGate(nil)
	f.setAlways(upstream(customer.U8, customer.ReasonBadResponse))
	for range 3 {
		s.Get(ctx, "003")
	}
	calls := f.gets.Load()
	_, err := s.Get(ctx, "001") // cached, but a fresh read asks the vendor
	if s.Circuit() != "OPEN" || !errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Reason: customer.ReasonUnavailable}) || f.gets.Load() != calls {
		t.Fatalf("fresh Get with the circuit %s: %v after %d more calls, want refused without a call", s.Circuit(), err, f.gets.Load()-calls)
	}
}

// TestFreshAppliesToNamesAndContacts: lookups by name and of contacts are
// cached as records are, and a fresh one asks the vendor as well.
func TestFreshAppliesToNamesAndContacts(t *testing.T) {
	f := newFake(customer.CRM)
	s := NewCRM(f, Options{CacheTTL: time.Minute})
	for _, ctx := range []context.Context{context.Background(), context.Background(), Fresh(context.Background())} {
		if _, err := s.FindByName(ctx, "Acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Contacts(ctx, "7"); err != nil {
			t.Fatal(err)
		}
	}
	if finds, contacts := f.finds.Load(), f.contacts.Load(); finds != 2 || contacts != 2 {
		t.Fatalf("vendor asked %d names and %d contacts, want 2 each: once, then once fresh", finds, contacts)
	}
}
