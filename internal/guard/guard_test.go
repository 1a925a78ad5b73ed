package guard

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
	"custgraph/internal/quota"
	"custgraph/internal/testclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fake is a vendor client (customer.CRMSource, so also U8Source and
// YCMSource) that counts its calls, answers as scripted, and can hold
// calls until released or their context ends.
type fake struct {
	src customer.Source

	gets, lists, finds, contacts atomic.Int64
	cancelled                    atomic.Int64 // calls that saw their context end

	entered chan string   // "op key" as each call starts
	sawDone chan struct{} // as a held call sees its context end

	mu      sync.Mutex
	script  []error       // outcomes of the next calls in order; nil is success
	always  error         // outcome once the script is spent
	gate    chan struct{} // when set, calls wait for it to close
	listIDs []string      // the records a List page brings
	bg      []bool        // each call's quota.IsBackground, in order
}

func newFake(src customer.Source) *fake {
	return &fake{src: src, entered: make(chan string, 1000), sawDone: make(chan struct{}, 1000)}
}

func (f *fake) setScript(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = errs
}

func (f *fake) setAlways(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.always = err
}

func (f *fake) setGate(g chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = g
}

func (f *fake) call(ctx context.Context, op, key string) error {
	f.mu.Lock()
	err, gate := f.always, f.gate
	f.bg = append(f.bg, quota.IsBackground(ctx))
	if len(f.script) > 0 {
		err, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	select {
	case f.entered <- op + " " + key:
	default:
	}
	if err == errPanic {
		panic("fake client bug")
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			f.cancelled.Add(1)
			f.sawDone <- struct{}{}
			// As a real client would: a failed request, caused by ctx.
			return customer.UpstreamError(f.src, customer.ReasonUnavailable, "", ctx.Err())
		}
	}
	return err
}

// errPanic scripted makes the fake panic instead of answering.
var errPanic = errors.New("panic")

func record(src customer.Source, key string) *customer.Customer {
	return &customer.Customer{Source: src, SourceID: key, Name: "name of " + key}
}

func (f *fake) Get(ctx context.Context, key string) (*customer.Customer, error) {
	f.gets.Add(1)
	if err := f.call(ctx, "get", key); err != nil {
		return nil, err
	}
	return record(f.src, key), nil
}

func (f *fake) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	f.lists.Add(1)
	if err := f.call(ctx, "list", fmt.Sprint(q.Page)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	ids := f.listIDs
	f.mu.Unlock()
	p := &customer.Page{Page: q.Page, PageSize: q.PageSize, Total: len(ids)}
	for _, id := range ids {
		p.Customers = append(p.Customers, record(f.src, id))
	}
	return p, nil
}

func (f *fake) FindByName(ctx context.Context, name string) ([]*customer.Customer, error) {
	f.finds.Add(1)
	if err := f.call(ctx, "name", name); err != nil {
		return nil, err
	}
	return []*customer.Customer{record(f.src, "id-"+name)}, nil
}

func (f *fake) Contacts(ctx context.Context, id string) ([]customer.CRMContact, error) {
	f.contacts.Add(1)
	if err := f.call(ctx, "contacts", id); err != nil {
		return nil, err
	}
	return []customer.CRMContact{{ID: id + "-c1", Name: "contact of " + id}}, nil
}

var _ customer.CRMSource = (*fake)(nil)

// guarded is what the tests ask of any of the three guarded sources.
type guarded interface {
	customer.YCMSource
	Circuit() string
}

func upstream(src customer.Source, r customer.Reason) *customer.Error {
	return customer.UpstreamError(src, r, "", errors.New("x"))
}

// newClock is an injectable Options.Now.
func newClock() *testclock.Clock { return testclock.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) }

func mustGet(t *testing.T, s customer.Getter, key string) *customer.Customer {
	t.Helper()
	c, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if c == nil || c.SourceID != key {
		t.Fatalf("Get(%q) = %+v", key, c)
	}
	return c
}

// ---- cache ----

func TestGetCachesRecord(t *testing.T) {
	f := newFake(customer.U8)
	s := NewU8(f, Options{CacheTTL: time.Minute})
	c1 := mustGet(t, s, "001")
	c2 := mustGet(t, s, "001")
	if c1 != c2 {
		t.Error("second Get did not return the cached record")
	}
	if got := f.gets.Load(); got != 1 {
		t.Errorf("inner Gets = %d, want 1", got)
	}
	if hits, misses := s.CacheHits(), s.CacheMisses(); hits != 1 || misses != 1 {
		t.Errorf("%d hits, %d misses, want 1 hit and 1 miss", hits, misses)
	}
	mustGet(t, s, "002")
	if got := f.gets.Load(); got != 2 {
		t.Errorf("inner Gets = %d after another key, want 2", got)
	}
	if hits, misses := s.CacheHits(), s.CacheMisses(); hits != 1 || misses != 2 {
		t.Errorf("%d hits, %d misses, want 1 hit and 2 misses", hits, misses)
	}
}

func TestGetCachesNotFound(t *testing.T) {
	f := newFake(customer.CRM)
	f.setScript(customer.NotFoundf("no customer %s", "7"))
	s := NewCRM(f, Options{CacheTTL: time.Minute})
	for i := range 2 {
		c, err := s.Get(context.Background(), "7")
		if !customer.IsNotFound(err) || c != nil {
			t.Fatalf("Get %d = (%v, %v), want NotFound", i, c, err)
		}
	}
	if got := f.gets.Load(); got != 1 {
		t.Errorf("inner Gets = %d, want 1 (not found is cached)", got)
	}
	if hits, misses := s.CacheHits(), s.CacheMisses(); hits != 1 || misses != 1 {
		t.Errorf("%d hits, %d misses, want 1 hit and 1 miss", hits, misses)
	}
}

func TestGetDoesNotCacheFailures(t *testing.T) {
	for _, r := range []customer.Reason{customer.ReasonUnavailable, customer.ReasonTimeout,
		customer.ReasonRateLimited, customer.ReasonAuth, customer.ReasonBadResponse} {
		t.Run(string(r), func(t *testing.T) {
			f := newFake(customer.U8)
			f.setScript(upstream(customer.U8, r))
			s := NewU8(f, Options{CacheTTL: time.Minute, Retries: -1})
			if _, err := s.Get(context.Background(), "001"); !errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Reason: r}) {
				t.Fatalf("first Get: err = %v, want %s", err, r)
			}
			mustGet(t, s, "001")
			if got := f.gets.Load(); got != 2 {
				t.Errorf("inner Gets = %d, want 2 (failure not cached)", got)
			}
		})
	}
}

func TestCacheEntriesExpireAfterTTL(t *testing.T) {
	clock := newClock()
	f := newFake(customer.U8)
	f.setScript(nil, customer.NotFoundf("gone"))
	s := NewU8(f, Options{CacheTTL: time.Minute, Now: clock.Now})

	c1 := mustGet(t, s, "001")
	clock.Advance(time.Minute - time.Second)
	if c := mustGet(t, s, "001"); c != c1 || f.gets.Load() != 1 {
		t.Fatalf("within the TTL: inner Gets = %d, same record %v; want 1, true", f.gets.Load(), c == c1)
	}
	clock.Advance(time.Second)
	// Expired: asked again; this time the record is gone, which is cached.
	if _, err := s.Get(context.Background(), "001"); !customer.IsNotFound(err) {
		t.Fatalf("after the TTL: err = %v, want NotFound", err)
	}
	if got := f.gets.Load(); got != 2 {
		t.Fatalf("inner Gets = %d after the TTL, want 2", got)
	}
	clock.Advance(time.Minute - time.Second)
	if _, err := s.Get(context.Background(), "001"); !customer.IsNotFound(err) || f.gets.Load() != 2 {
		t.Fatalf("cached NotFound: err = %v, inner Gets = %d; want NotFound, 2", err, f.gets.Load())
	}
	clock.Advance(time.Second)
	mustGet(t, s, "001")
	if got := f.gets.Load(); got != 3 {
		t.Errorf("inner Gets = %d after the NotFound expired, want 3", got)
	}
}

func TestCacheTTLZeroDisablesCache(t *testing.T) {
	f := newFake(customer.U8)
	f.listIDs = []string{"001"}
	s := NewU8(f, Options{})
	c1 := mustGet(t, s, "001")
	c2 := mustGet(t, s, "001")
	if c1 == c2 {
		t.Error("a record was served from a disabled cache")
	}
	if _, err := s.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, "001")
	f.setScript(customer.NotFoundf("gone"), customer.NotFoundf("gone"))
	for range 2 {
		if _, err := s.Get(context.Background(), "002"); !customer.IsNotFound(err) {
			t.Fatalf("err = %v, want NotFound", err)
		}
	}
	if got := f.gets.Load(); got != 5 {
		t.Errorf("inner Gets = %d, want 5 (every Get asks)", got)
	}
	if hits := s.CacheHits(); hits != 0 {
		t.Errorf("%d hits, want no hits", hits)
	}
}

func TestCacheSizeBoundsEntries(t *testing.T) {
	f := newFake(customer.U8)
	s := NewU8(f, Options{CacheTTL: time.Minute, CacheSize: 2})
	for _, k := range []string{"a", "b", "c"} {
		mustGet(t, s, k)
	}
	if n := s.byKey.len(); n != 2 {
		t.Errorf("cache holds %d entries, want 2", n)
	}
	mustGet(t, s, "c")
	mustGet(t, s, "b")
	if got := f.gets.Load(); got != 3 {
		t.Fatalf("inner Gets = %d, want 3 (b and c cached)", got)
	}
	mustGet(t, s, "a") // the least recently used, evicted
	if got := f.gets.Load(); got != 4 {
		t.Errorf("inner Gets = %d, want 4 (a evicted)", got)
	}
	if hits, misses := s.CacheHits(), s.CacheMisses(); hits != 2 || misses != 4 {
		t.Errorf("%d hits, %d misses, want 2 hits and 4 misses", hits, misses)
	}
}

func TestFindByNameAndContactsAreCached(t *testing.T) {
	f := newFake(customer.CRM)
	s := NewCRM(f, Options{CacheTTL: time.Minute})
	ctx := context.Background()
	for range 2 {
		cs, err := s.FindByName(ctx, "Acme")
		if err != nil || len(cs) != 1 {
			t.Fatalf("FindByName = (%v, %v)", cs, err)
		}
		ps, err := s.Contacts(ctx, "9")
		if err != nil || len(ps) != 1 || ps[0].ID != "9-c1" {
			t.Fatalf("Contacts = (%v, %v)", ps, err)
		}
	}
	if f.finds.Load() != 1 || f.contacts.Load() != 1 {
		t.Errorf("inner FindByName %d, Contacts %d; want 1 each", f.finds.Load(), f.contacts.Load())
	}
	if hits, misses := s.CacheHits(), s.CacheMisses(); hits != 2 || misses != 2 {
		t.Errorf("%d hits, %d misses, want 2 hits and 2 misses", hits, misses)
	}
}

// ---- lists ----

func TestListPrimesKeyCache(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   customer.Source
		guard func(*fake) guarded
		prime bool
	}{
		{"U8", customer.U8, func(f *fake) guarded { return NewU8(f, Options{CacheTTL: time.Minute}) }, true},
		{"YCM", customer.YCM, func(f *fake) guarded { return NewYCM(f, Options{CacheTTL: time.Minute}) }, true},
		{"CRM", customer.CRM, func(f *fake) guarded { return NewCRM(f, Options{CacheTTL: time.Minute}) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(tc.src)
			f.listIDs = []string{"a", "b"}
			s := tc.guard(f)
			p, err := s.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 10})
			if err != nil || len(p.Customers) != 2 {
				t.Fatalf("List = (%+v, %v)", p, err)
			}
			c := mustGet(t, s, "b")
			var want int64
			if !tc.prime {
				want = 1 // the CRM's detail holds more than its list
			}
			if got := f.gets.Load(); got != want {
				t.Errorf("inner Gets after List = %d, want %d", got, want)
			}
			if tc.prime && c != p.Customers[1] {
				t.Error("Get did not return the listed record")
			}
		})
	}
}

func TestFindByNamePrimesKeyCacheForU8(t *testing.T) {
	f := newFake(customer.U8)
	s := NewU8(f, Options{CacheTTL: time.Minute})
	cs, err := s.FindByName(context.Background(), "Acme")
	if err != nil || len(cs) != 1 {
		t.Fatalf("FindByName = (%v, %v)", cs, err)
	}
	if c := mustGet(t, s, "id-Acme"); c != cs[0] || f.gets.Load() != 0 {
		t.Errorf("Get after FindByName: inner Gets %d, same record %v; want 0, true", f.gets.Load(), c == cs[0])
	}
}

// countingRemote is a Remote that counts its writes.
type countingRemote struct {
	mu   sync.Mutex
	m    map[string][]byte
	sets int
}

func (r *countingRemote) Get(_ context.Context, key string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[key]
	return v, ok
}

func (r *countingRemote) Set(_ context.Context, entries map[string][]byte, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string][]byte{}
	}
	for k, v := range entries {
		r.m[k] = v
	}
	r.sets++
}

// A vendor answer is written to the shared cache once; answers from the
// cache write nothing more (with Redis, each write is a round trip).
func TestCachedAnswersAreNotWrittenAgain(t *testing.T) {
	f := newFake(customer.U8)
	f.listIDs = []string{"a", "b"}
	remote := &countingRemote{}
	s := NewU8(f, Options{CacheTTL: time.Minute, Remote: remote})
	ctx := context.Background()
	if _, err := s.FindByName(ctx, "Acme"); err != nil {
		t.Fatal(err)
	}
	first := remote.sets // the answer by name, and its records by key
	for range 3 {
		if _, err := s.FindByName(ctx, "Acme"); err != nil {
			t.Fatal(err)
		}
	}
	if remote.sets != first || f.finds.Load() != 1 {
		t.Errorf("three cached FindByName: %d more remote writes and %d vendor calls; want 0 and 1 in all", remote.sets-first, f.finds.Load())
	}
}

// TestBackgroundListDoesNotPrimeTheCache: the directory's sync reads every
// page of a source in the background; its pages must not fill (and churn)
// the cache by key, which the directory itself answers.
func TestBackgroundListDoesNotPrimeTheCache(t *testing.T) {
	f := newFake(customer.U8)
	f.listIDs = []string{"a", "b"}
	s := NewU8(f, Options{CacheTTL: time.Minute})
	if _, err := s.List(quota.Background(context.Background()), customer.ListQuery{Page: 1, PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.PeekGet("b"); ok {
		t.Error("a background list primed the cache")
	}
}

func TestListIsNotCached(t *testing.T) {
	f := newFake(customer.U8)
	f.listIDs = []string{"a"}
	s := NewU8(f, Options{CacheTTL: time.Minute})
	q := customer.ListQuery{Page: 1, PageSize: 10}
	for range 2 {
		if _, err := s.List(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.lists.Load(); got != 2 {
		t.Errorf("inner Lists = %d, want 2", got)
	}
}

func TestListFailureIsReturned(t *testing.T) {
	f := newFake(customer.YCM)
	f.setScript(upstream(customer.YCM, customer.ReasonAuth))
	s := NewYCM(f, Options{CacheTTL: time.Minute})
	p, err := s.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 10})
	if p != nil || !errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Reason: customer.ReasonAuth}) {
		t.Errorf("List = (%v, %v), want an AUTH error", p, err)
	}
}

// listConcurrently runs two Lists at once while the client holds the
// first, and returns how many client calls they made.
func listConcurrently(t *testing.T, q1, q2 customer.ListQuery) int64 {
	t.Helper()
	f := newFake(customer.U8)
	f.listIDs = []string{"a"}
	gate := make(chan struct{})
	f.setGate(gate)
	s := NewU8(f, Options{CacheTTL: time.Minute})
	errs := make(chan error, 2)
	list := func(q customer.ListQuery) {
		_, err := s.List(context.Background(), q)
		errs <- err
	}
	go list(q1)
	recv(t, f.entered, "the first List call")
	go list(q2)
	waitUntil(t, "the second List joins or calls", func() bool {
		return totalWaiters(&s.flights) == 2 || f.lists.Load() == 2
	})
	settle()
	close(gate)
	for range 2 {
		if err := recv(t, errs, "a List answer"); err != nil {
			t.Fatal(err)
		}
	}
	return f.lists.Load()
}

func TestListCoalescesIdenticalQueries(t *testing.T) {
	q := customer.ListQuery{Page: 2, PageSize: 50, Filter: customer.Filter{Name: "Acme"}}
	if got := listConcurrently(t, q, q); got != 1 {
		t.Errorf("inner Lists = %d, want 1", got)
	}
	q2 := q
	q2.Page = 3
	if got := listConcurrently(t, q, q2); got != 2 {
		t.Errorf("inner Lists for different pages = %d, want 2", got)
	}
}

// Two requests asking the same page "updated since" the same instant each
// parse their own *time.Time: the queries are identical and must share
// one call.
func TestListCoalescesIdenticalUpdatedSince(t *testing.T) {
	t1 := time.Date(2025, 3, 1, 0, 0, 0, 0, customer.Shanghai)
	t2 := t1
	q1 := customer.ListQuery{Page: 1, PageSize: 50, Filter: customer.Filter{UpdatedSince: &t1}}
	q2 := customer.ListQuery{Page: 1, PageSize: 50, Filter: customer.Filter{UpdatedSince: &t2}}
	if got := listConcurrently(t, q1, q2); got != 1 {
		t.Errorf("inner Lists = %d, want 1: identical queries (UpdatedSince %v) did not coalesce", got, t1)
	}
}

// ---- coalescing ----

type getResult struct {
	c   *customer.Customer
	err error
}

func goGet(s customer.Getter, ctx context.Context, key string) <-chan getResult {
	out := make(chan getResult, 1)
	go func() {
		c, err := s.Get(ctx, key)
		out <- getResult{c, err}
	}()
	return out
}

// concurrentGets makes n Gets of one key while the client holds the call,
// checks they all got the one answer of one call, and returns the guard.
func concurrentGets(t *testing.T, n int) *U8 {
	t.Helper()
	f := newFake(customer.U8)
	gate := make(chan struct{})
	f.setGate(gate)
	s := NewU8(f, Options{CacheTTL: time.Minute})
	outs := make([]<-chan getResult, n)
	for i := range outs {
		outs[i] = goGet(s, context.Background(), "001")
	}
	recv(t, f.entered, "the client call")
	waitUntil(t, "every caller waits", func() bool { return flightWaiters(&s.flights, "get 001") == n })
	settle()
	close(gate)
	var first *customer.Customer
	for i, out := range outs {
		r := recv(t, out, "an answer")
		if r.err != nil || r.c == nil || r.c.SourceID != "001" {
			t.Fatalf("caller %d: (%+v, %v)", i, r.c, r.err)
		}
		if first == nil {
			first = r.c
		} else if r.c != first {
			t.Errorf("caller %d got another record than caller 0", i)
		}
	}
	if got := f.gets.Load(); got != 1 {
		t.Errorf("inner Gets = %d, want 1", got)
	}
	return s
}

func TestGetCoalescesConcurrentCalls(t *testing.T) {
	const n = 10
	s := concurrentGets(t, n)
	if hits, misses := s.CacheHits(), s.CacheMisses(); misses != n || hits != 0 {
		t.Errorf("%d hits, %d misses, want %d misses and no hit", hits, misses, n)
	}
	mustGet(t, s, "001") // now cached
	if hits := s.CacheHits(); hits != 1 {
		t.Errorf("%d hits, want 1 hit", hits)
	}
}

func TestStatsCoalescedCountsJoinersOnly(t *testing.T) {
	const n = 10
	s := concurrentGets(t, n)
	if got := s.Coalesced(); got != n-1 {
		t.Errorf("Coalesced() = %d, want %d: %d callers were answered by another's call", got, n-1, n-1)
	}
}

func TestCoalescedGetSurvivesFirstCallerCancel(t *testing.T) {
	f := newFake(customer.CRM)
	gate := make(chan struct{})
	f.setGate(gate)
	s := NewCRM(f, Options{CacheTTL: time.Minute})
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	first := goGet(s, ctx1, "9")
	recv(t, f.entered, "the client call")
	var others []<-chan getResult
	for range 3 {
		others = append(others, goGet(s, context.Background(), "9"))
	}
	waitUntil(t, "every caller waits", func() bool { return flightWaiters(&s.flights, "get 9") == 4 })
	settle()
	cancel1()
	if r := recv(t, first, "the first caller's return"); !errors.Is(r.err, context.Canceled) {
		t.Errorf("first caller: err = %v, want context.Canceled", r.err)
	}
	close(gate)
	for i, out := range others {
		if r := recv(t, out, "an answer"); r.err != nil || r.c == nil || r.c.SourceID != "9" {
			t.Errorf("caller %d: (%+v, %v), want the record", i+2, r.c, r.err)
		}
	}
	if f.gets.Load() != 1 || f.cancelled.Load() != 0 {
		t.Errorf("inner Gets %d, cancelled %d; want 1, 0", f.gets.Load(), f.cancelled.Load())
	}
	mustGet(t, s, "9")
	if got := f.gets.Load(); got != 1 {
		t.Errorf("inner Gets = %d, want 1 (the answer was cached)", got)
	}
}

func TestAllCallersGoneCancelsCall(t *testing.T) {
	f := newFake(customer.U8)
	gate := make(chan struct{})
	f.setGate(gate)
	s := NewU8(f, Options{CacheTTL: time.Minute})
	var cancels []context.CancelFunc
	var outs []<-chan getResult
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cancels = append(cancels, cancel)
		outs = append(outs, goGet(s, ctx, "001"))
		if i == 0 {
			recv(t, f.entered, "the client call")
		}
	}
	waitUntil(t, "every caller waits", func() bool { return flightWaiters(&s.flights, "get 001") == 3 })
	settle()
	for i, cancel := range cancels {
		cancel()
		if r := recv(t, outs[i], "a cancelled caller's return"); !errors.Is(r.err, context.Canceled) {
			t.Errorf("caller %d: err = %v, want context.Canceled", i, r.err)
		}
	}
	recv(t, f.sawDone, "the client call to see its context end")

	close(gate)
	mustGet(t, s, "001")
	if got := f.gets.Load(); got != 2 {
		t.Errorf("inner Gets = %d, want 2 (a fresh call after the abandoned one)", got)
	}
	if got := s.Circuit(); got != "CLOSED" {
		t.Errorf("Circuit() = %s, want CLOSED", got)
	}
}

// ---- retries ----

func TestRetriesTransientFailures(t *testing.T) {
	for _, r := range []customer.Reason{customer.ReasonUnavailable, customer.ReasonTimeout} {
		t.Run(string(r), func(t *testing.T) {
			f := newFake(customer.U8)
			f.setScript(upstream(customer.U8, r), upstream(customer.U8, r))
			s := NewU8(f, Options{Backoff: time.Millisecond})
			mustGet(t, s, "001")
			if got := f.gets.Load(); got != 3 {
				t.Errorf("inner Gets = %d, want 3", got)
			}
			if got := s.Retries(); got != 2 {
				t.Errorf("Retries() = %d, want 2", got)
			}
		})
	}
}

func TestRetriesGiveUpAfterRetries(t *testing.T) {
	f := newFake(customer.U8)
	f.setAlways(upstream(customer.U8, customer.ReasonUnavailable))
	s := NewU8(f, Options{Retries: 3, Backoff: time.Millisecond, BreakerFailures: 100})
	_, err := s.Get(context.Background(), "001")
	if !errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Source: customer.U8, Reason: customer.ReasonUnavailable}) {
		t.Errorf("err = %v, want U8 UNAVAILABLE", err)
	}
	if got := f.gets.Load(); got != 4 {
		t.Errorf("inner Gets = %d, want 4 (1 + 3 retries)", got)
	}
}

func TestNoRetryForOtherFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"AUTH", upstream(customer.CRM, customer.ReasonAuth)},
		{"REJECTED", upstream(customer.CRM, customer.ReasonRejected)},
		{"RATE_LIMITED", upstream(customer.CRM, customer.ReasonRateLimited)},
		{"BAD_RESPONSE", upstream(customer.CRM, customer.ReasonBadResponse)},
		{"NOT_FOUND", customer.NotFoundf("no customer")},
		{"BAD_USER_INPUT", customer.BadInputf("bad key")},
		{"plain error", errors.New("boom")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(customer.CRM)
			f.setAlways(tc.err)
			s := NewCRM(f, Options{Backoff: time.Millisecond})
			if _, err := s.Get(context.Background(), "9"); !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if got := f.gets.Load(); got != 1 {
				t.Errorf("inner Gets = %d, want 1", got)
			}
			if got := s.Retries(); got != 0 {
				t.Errorf("Retries() = %d, want 0", got)
			}
		})
	}
}

func TestNegativeRetriesMeansNone(t *testing.T) {
	f := newFake(customer.U8)
	f.setScript(upstream(customer.U8, customer.ReasonUnavailable))
	s := NewU8(f, Options{Retries: -1, Backoff: time.Millisecond})
	if _, err := s.Get(context.Background(), "001"); err == nil {
		t.Fatal("Get succeeded, want UNAVAILABLE")
	}
	if f.gets.Load() != 1 || s.Retries() != 0 {
		t.Errorf("inner Gets %d, retries %d; want 1, 0", f.gets.Load(), s.Retries())
	}
}

func TestRetryBudgetLimitsRetries(t *testing.T) {
	f := newFake(customer.U8)
	f.setAlways(upstream(customer.U8, customer.ReasonUnavailable))
	s := NewU8(f, Options{Retries: 2, Backoff: time.Millisecond, RetryBurst: 1, RetryRatio: 0.01, BreakerFailures: 1000})
	const calls = 20
	for i := range calls {
		if _, err := s.Get(context.Background(), fmt.Sprint(i)); err == nil {
			t.Fatal("Get succeeded, want UNAVAILABLE")
		}
	}
	if got := s.Retries(); got != 1 {
		t.Errorf("Retries() = %d, want 1 (the burst; 20 calls at 0.01 earn no more)", got)
	}
	if got := f.gets.Load(); got != calls+1 {
		t.Errorf("inner Gets = %d, want %d", got, calls+1)
	}
}

func TestRetryStopsWhenCallerLeaves(t *testing.T) {
	f := newFake(customer.U8)
	f.setAlways(upstream(customer.U8, customer.ReasonUnavailable))
	s := NewU8(f, Options{Backoff: time.Hour, RetryBudget: 2 * time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := goGet(s, ctx, "001")
	recv(t, f.entered, "the client call")
	waitUntil(t, "the retry is scheduled", func() bool { // its budget spent, its backoff begun
		s.budget.mu.Lock()
		defer s.budget.mu.Unlock()
		return s.budget.tokens < s.budget.max
	})
	cancel()
	if r := recv(t, out, "the caller's return"); !errors.Is(r.err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", r.err)
	}
	// The backoff is abandoned with the call (goleak checks the goroutine
	// ends); the breaker learns nothing from it.
	waitUntil(t, "the call reports to the breaker", func() bool { return s.breaker.Counts().TotalExclusions == 1 })
	if got := f.gets.Load(); got != 1 || s.Retries() != 0 {
		t.Errorf("inner Gets = %d, retries %d; want 1 and 0 (the abandoned retry was never made)", got, s.Retries())
	}
}

func TestNoRetryPastDeadline(t *testing.T) {
	f := newFake(customer.U8)
	f.setAlways(upstream(customer.U8, customer.ReasonUnavailable))
	s := NewU8(f, Options{Backoff: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.Get(ctx, "001")
	if !errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Reason: customer.ReasonUnavailable}) {
		t.Errorf("err = %v, want UNAVAILABLE at once (the backoff outlasts the deadline)", err)
	}
	if f.gets.Load() != 1 || s.Retries() != 0 {
		t.Errorf("inner Gets %d, retries %d; want 1, 0", f.gets.Load(), s.Retries())
	}
}

// hungRetries returns a call whose first attempt times out at once (as
// after its own per-call timeout) and whose retries hang until their
// context ends; attempts counts them, and retryDeadlines gets each
// retry's deadline.
func hungRetries(src customer.Source, attempts *atomic.Int32, firstDone *time.Time, retryDeadlines chan<- time.Time) func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		if attempts.Add(1) == 1 {
			*firstDone = time.Now()
			return nil, upstream(src, customer.ReasonTimeout)
		}
		dl, _ := ctx.Deadline()
		retryDeadlines <- dl
		<-ctx.Done()
		return nil, customer.UpstreamError(src, customer.ReasonTimeout, "", ctx.Err())
	}
}

// TestRetryBudgetBoundsAHungVendor: a vendor that never answers costs a
// call its first timeout and the retry budget, not a timeout per retry:
// the retry is cut off when the budget ends, and no further retry is made.
func TestRetryBudgetBoundsAHungVendor(t *testing.T) {
	const budget = 100 * time.Millisecond
	g := newGuard(customer.U8, Options{Retries: 2, Backoff: time.Millisecond, RetryBudget: budget, BreakerFailures: 100}, false)
	var attempts atomic.Int32
	var firstDone time.Time
	deadlines := make(chan time.Time, 3)
	_, err := g.run(context.Background(), hungRetries(customer.U8, &attempts, &firstDone, deadlines))
	if !errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Reason: customer.ReasonTimeout}) {
		t.Fatalf("err = %v, want TIMEOUT", err)
	}
	if n := attempts.Load(); n != 2 {
		t.Fatalf("%d attempts, want 2: the retry used up the budget", n)
	}
	dl := <-deadlines
	if dl.Before(firstDone.Add(budget)) || dl.After(firstDone.Add(budget+time.Second)) {
		t.Fatalf("the retry's deadline is %v after the first attempt ended, want the budget (%v) from the retry's start", dl.Sub(firstDone), budget)
	}
}

// TestRetryBudgetIsTheRequests: calls under one WithRetryBudget share
// it: once one call's retries have spent it, another call of the same
// request (another vendor) is not retried.
func TestRetryBudgetIsTheRequests(t *testing.T) {
	ctx := WithRetryBudget(context.Background(), 50*time.Millisecond)
	opts := Options{Retries: 2, Backoff: time.Millisecond, RetryBudget: time.Hour, BreakerFailures: 100}
	var a, b atomic.Int32
	var firstDone time.Time
	deadlines := make(chan time.Time, 6)
	if _, err := newGuard(customer.U8, opts, false).run(ctx, hungRetries(customer.U8, &a, &firstDone, deadlines)); err == nil {
		t.Fatal("the hung U8 call succeeded")
	}
	if _, err := newGuard(customer.CRM, opts, false).run(ctx, hungRetries(customer.CRM, &b, &firstDone, deadlines)); err == nil {
		t.Fatal("the hung CRM call succeeded")
	}
	if a.Load() != 2 || b.Load() != 1 {
		t.Fatalf("attempts U8 %d, CRM %d; want 2 and 1 (the request's retry budget was spent)", a.Load(), b.Load())
	}
}

// TestNoRetryOnceTheCircuitOpened: a call does not retry into a circuit
// that other calls' failures opened meanwhile.
func TestNoRetryOnceTheCircuitOpened(t *testing.T) {
	g := newGuard(customer.YCM, Options{Retries: 2, Backoff: time.Millisecond, BreakerFailures: 1, BreakerOpen: time.Hour}, false)
	entered, proceed := make(chan struct{}), make(chan struct{})
	var attempts atomic.Int32
	done := make(chan error, 1)
	go func() {
		_, err := g.run(context.Background(), func(ctx context.Context) (any, error) {
			if attempts.Add(1) == 1 {
				close(entered)
				<-proceed
			}
			return nil, upstream(customer.YCM, customer.ReasonUnavailable)
		})
		done <- err
	}()
	recv(t, entered, "the first attempt")
	g.run(context.Background(), func(context.Context) (any, error) { return nil, upstream(customer.YCM, customer.ReasonUnavailable) })
	if g.Circuit() != "OPEN" {
		t.Fatalf("circuit %s, want OPEN", g.Circuit())
	}
	close(proceed)
	if err := recv(t, done, "the call's end"); err == nil {
		t.Fatal("the call succeeded")
	}
	if n := attempts.Load(); n != 1 {
		t.Fatalf("%d attempts, want 1: no retry into an open circuit", n)
	}
}

// TestCallsWaitingForAQuotaTurnGiveUpWhenTheCircuitOpens: a call waiting
// for its vendor's quota when the circuit opens gives its turn back and
// fails at once, instead of waiting to spend the turn on a dead vendor.
func TestCallsWaitingForAQuotaTurnGiveUpWhenTheCircuitOpens(t *testing.T) {
	g := newGuard(customer.CRM, Options{Retries: -1, BreakerFailures: 1, BreakerOpen: time.Hour}, false)
	w := quota.NewWindow(quota.Rate{N: 1, Per: time.Hour}, nil)
	if _, err := w.Take(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := g.run(context.Background(), func(ctx context.Context) (any, error) {
			close(entered)
			_, err := w.Take(ctx, 2*time.Hour)
			return nil, err
		})
		done <- err
	}()
	recv(t, entered, "the waiting call")
	g.run(context.Background(), func(context.Context) (any, error) { return nil, upstream(customer.CRM, customer.ReasonUnavailable) })
	if err := recv(t, done, "the waiting call's end"); !errors.Is(err, quota.ErrAbandoned) {
		t.Fatalf("the waiting call: %v, want ErrAbandoned", err)
	}
}

// TestDeadlineWhileWaitingIsTheSourcesTimeout: a caller whose deadline
// passes while it waits for another's call gets the source's TIMEOUT,
// not a bare context error that the edge could only call internal.
func TestDeadlineWhileWaitingIsTheSourcesTimeout(t *testing.T) {
	f := newFake(customer.CRM)
	gate := make(chan struct{})
	f.setGate(gate)
	s := NewCRM(f, Options{})
	first := goGet(s, context.Background(), "7")
	recv(t, f.entered, "the first call")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Get(ctx, "7")
	if !errors.Is(err, &customer.Error{Code: customer.CodeUpstream, Source: customer.CRM, Reason: customer.ReasonTimeout}) {
		t.Fatalf("err = %v, want a CRM TIMEOUT", err)
	}
	close(gate)
	if r := recv(t, first, "the first caller's answer"); r.err != nil {
		t.Fatal(r.err)
	}
}

// ---- breaker ----

func breakerOptions() Options {
	return Options{Retries: -1, BreakerFailures: 3, BreakerOpen: 100 * time.Millisecond}
}

// tripBreaker fails three calls for key (the fake must be failing), checks
// the circuit opened, and waits until it lets a probe through.
func tripBreaker(t *testing.T, s guarded, key string) {
	t.Helper()
	for range 3 {
		s.Get(context.Background(), key)
	}
	if got := s.Circuit(); got != "OPEN" {
		t.Fatalf("Circuit() = %s, want OPEN", got)
	}
	time.Sleep(150 * time.Millisecond)
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	f := newFake(customer.CRM)
	f.setAlways(upstream(customer.CRM, customer.ReasonUnavailable))
	s := NewCRM(f, breakerOptions())
	ctx := context.Background()
	for i := range 3 {
		if got := s.Circuit(); got != "CLOSED" {
			t.Fatalf("Circuit() = %s after %d failures, want CLOSED", got, i)
		}
		if _, err := s.Get(ctx, "9"); err == nil {
			t.Fatal("Get succeeded, want UNAVAILABLE")
		}
	}
	if got := s.Circuit(); got != "OPEN" {
		t.Fatalf("Circuit() = %s after 3 failures, want OPEN", got)
	}

	f.setAlways(nil) // the vendor is back, but the circuit is open
	_, err := s.Get(ctx, "9")
	var e *customer.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want a *customer.Error", err, err)
	}
	if e.Code != customer.CodeUpstream || e.Reason != customer.ReasonUnavailable || e.Source != customer.CRM {
		t.Errorf("open circuit error = {Code %s Reason %s Source %q}, want DOWNSTREAM_SERVICE_ERROR UNAVAILABLE CRM",
			e.Code, e.Reason, e.Source)
	}
	if _, err := s.List(ctx, customer.ListQuery{Page: 1, PageSize: 10}); err == nil {
		t.Error("List succeeded through an open circuit")
	}
	if _, err := s.Contacts(ctx, "9"); err == nil {
		t.Error("Contacts succeeded through an open circuit")
	}
	if got := f.gets.Load() + f.lists.Load() + f.contacts.Load(); got != 3 {
		t.Errorf("client calls = %d, want 3 (none while open)", got)
	}

	time.Sleep(150 * time.Millisecond)
	mustGet(t, s, "9")
	if got := s.Circuit(); got != "CLOSED" {
		t.Errorf("Circuit() = %s after a successful probe, want CLOSED", got)
	}
	mustGet(t, s, "10")
}

func TestBreakerFailedProbeReopens(t *testing.T) {
	f := newFake(customer.U8)
	f.setAlways(upstream(customer.U8, customer.ReasonTimeout))
	s := NewU8(f, breakerOptions())
	tripBreaker(t, s, "001")
	if _, err := s.Get(context.Background(), "001"); err == nil {
		t.Fatal("probe succeeded, want TIMEOUT")
	}
	if got := f.gets.Load(); got != 4 {
		t.Errorf("inner Gets = %d, want 4 (one probe)", got)
	}
	if got := s.Circuit(); got != "OPEN" {
		t.Errorf("Circuit() = %s after a failed probe, want OPEN", got)
	}
}

func TestBreakerIgnoresNeutralOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"RATE_LIMITED", upstream(customer.CRM, customer.ReasonRateLimited)},
		{"NOT_FOUND", customer.NotFoundf("no customer")},
		{"AUTH", upstream(customer.CRM, customer.ReasonAuth)},
		{"canceled", customer.UpstreamError(customer.CRM, customer.ReasonUnavailable, "", context.Canceled)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(customer.CRM)
			f.setAlways(tc.err)
			s := NewCRM(f, breakerOptions())
			for i := range 10 {
				if _, err := s.Get(context.Background(), fmt.Sprint(i)); !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
			}
			if got := s.Circuit(); got != "CLOSED" {
				t.Errorf("Circuit() = %s after 10 × %s, want CLOSED", got, tc.name)
			}
			if got := f.gets.Load(); got != 10 {
				t.Errorf("inner Gets = %d, want 10", got)
			}
		})
	}
}

func TestBreakerIgnoresCallersLeaving(t *testing.T) {
	f := newFake(customer.CRM)
	gate := make(chan struct{})
	f.setGate(gate)
	s := NewCRM(f, breakerOptions())
	for i := range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		out := goGet(s, ctx, "9")
		recv(t, f.entered, "the client call")
		cancel()
		if r := recv(t, out, "the caller's return"); !errors.Is(r.err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", r.err)
		}
		recv(t, f.sawDone, "the client call to see its context end")
		waitUntil(t, "the call reports to the breaker", func() bool {
			return s.breaker.Counts().TotalExclusions == uint32(i+1)
		})
	}
	if got := s.Circuit(); got != "CLOSED" {
		t.Errorf("Circuit() = %s after 5 abandoned calls, want CLOSED", got)
	}
	if got := s.breaker.Counts().ConsecutiveFailures; got != 0 {
		t.Errorf("breaker counted %d failures, want 0", got)
	}
	close(gate)
	mustGet(t, s, "9")
}

// A client that panics fails its call with INTERNAL, not the process; and
// the breaker must not be left waiting forever for the outcome of a probe
// that panicked.
func TestBreakerRecoversAfterPanickingProbe(t *testing.T) {
	f := newFake(customer.YCM)
	f.setAlways(upstream(customer.YCM, customer.ReasonUnavailable))
	s := NewYCM(f, breakerOptions())
	tripBreaker(t, s, "1")
	f.setScript(errPanic) // the half-open probe panics
	f.setAlways(nil)      // and then the vendor answers
	_, err := s.Get(context.Background(), "1")
	if e := customer.AsError(err); e == nil || e.Code != customer.CodeInternal {
		t.Fatalf("panicking probe: err = %v, want INTERNAL", err)
	}
	// Whatever the breaker made of the panic, within a few open periods
	// calls must reach the vendor again.
	deadline := time.Now().Add(time.Second)
	for {
		c, err := s.Get(context.Background(), "1")
		if err == nil && c != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("circuit stuck %s after a panicking probe: %v", s.Circuit(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := s.Circuit(); got != "CLOSED" {
		t.Errorf("Circuit() = %s after a successful call, want CLOSED", got)
	}
}

func TestGetPanicBecomesInternalError(t *testing.T) {
	f := newFake(customer.U8)
	f.setScript(errPanic)
	s := NewU8(f, Options{CacheTTL: time.Minute})
	c, err := s.Get(context.Background(), "001")
	var e *customer.Error
	if c != nil || !errors.As(err, &e) || e.Code != customer.CodeInternal {
		t.Fatalf("Get = (%v, %v), want an INTERNAL *customer.Error", c, err)
	}
	mustGet(t, s, "001") // not cached, and the guard still works
	if got := f.gets.Load(); got != 2 {
		t.Errorf("inner Gets = %d, want 2", got)
	}
}

// A peek answers only from this process's live entries: never a call,
// never the remote.
func TestPeekAnswersFromThisProcessOnly(t *testing.T) {
	f := newFake(customer.U8)
	remote := &countingRemote{}
	clock := testclock.New(time.Now())
	s := NewU8(f, Options{CacheTTL: time.Minute, Remote: remote, Now: clock.Now})
	if _, ok := s.PeekGet("k"); ok {
		t.Fatal("peek of an unknown key answered")
	}
	c := mustGet(t, s, "k")
	if got, ok := s.PeekGet("k"); !ok || got != c {
		t.Errorf("peek after Get: %v, %v; want the record", got, ok)
	}
	other := NewU8(f, Options{CacheTTL: time.Minute, Remote: remote, Now: clock.Now}) // another replica
	if _, ok := other.PeekGet("k"); ok {
		t.Error("peek answered from the remote cache")
	}
	clock.Advance(2 * time.Minute)
	if _, ok := s.PeekGet("k"); ok {
		t.Error("peek answered an expired entry")
	}
	if f.gets.Load() != 1 {
		t.Errorf("vendor Gets %d, want 1", f.gets.Load())
	}
}
