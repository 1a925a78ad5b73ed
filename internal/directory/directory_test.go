package directory_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/directory"
)

// vendor is a source in memory, with the change filters the real ones
// have: U8's timestamp, the CRM's newest-first order.
type vendor struct {
	src customer.Source

	mu    sync.Mutex
	recs  map[string]*customer.Customer
	clock int // U8 timestamps, CRM minutes
	lists int
	gets  int
	// failPage, when set, fails that page of plain (full-pass) lists.
	failPage int
}

func newVendor(src customer.Source, n int) *vendor {
	v := &vendor{src: src, recs: map[string]*customer.Customer{}}
	for i := 1; i <= n; i++ {
		v.put(fmt.Sprintf("%05d", i), fmt.Sprintf("公司%05d", i))
	}
	return v
}

// put creates or changes a record, stamping it as the vendor would.
func (v *vendor) put(id, name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clock++
	c := &customer.Customer{Source: v.src, SourceID: id, Name: name}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(v.clock) * time.Minute)
	c.UpdatedAt = &at
	if v.src == customer.U8 {
		ts := strconv.Itoa(1000 + v.clock)
		c.U8 = &customer.U8Customer{Code: id, Timestamp: &ts}
	}
	v.recs[id] = c
}

func (v *vendor) remove(id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.recs, id)
}

func (v *vendor) List(_ context.Context, q customer.ListQuery) (*customer.Page, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.lists++
	plain := q.TimestampFrom == "" && !q.NewestFirst
	if plain && v.failPage == q.Page {
		return nil, customer.UpstreamError(v.src, customer.ReasonUnavailable, "", errors.New("down"))
	}
	var all []*customer.Customer
	for _, c := range v.recs {
		if q.TimestampFrom != "" {
			from, _ := strconv.Atoi(q.TimestampFrom)
			ts, _ := strconv.Atoi(*c.U8.Timestamp)
			if ts < from {
				continue
			}
		}
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool {
		if q.NewestFirst {
			return all[i].UpdatedAt.After(*all[j].UpdatedAt)
		}
		return all[i].SourceID < all[j].SourceID
	})
	p := &customer.Page{Page: q.Page, PageSize: q.PageSize, Total: len(all)}
	lo := (q.Page - 1) * q.PageSize
	for i := lo; i < len(all) && i < lo+q.PageSize; i++ {
		c := *all[i]
		p.Customers = append(p.Customers, &c)
	}
	return p, nil
}

func (v *vendor) Get(_ context.Context, key string) (*customer.Customer, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gets++
	c, ok := v.recs[key]
	if !ok {
		return nil, customer.ErrNotFound
	}
	cc := *c
	return &cc, nil
}

func (v *vendor) counts() (lists, gets int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lists, v.gets
}

// run starts d until the test ends (or stop is called).
func run(t *testing.T, d *directory.Directory) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// eventually waits for cond, failing the test after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ready(d *directory.Directory, src customer.Source) func() bool {
	return func() bool { return d.Status(src).State == customer.DirectoryReady }
}

func names(d *directory.Directory, src customer.Source) map[string]string {
	out := map[string]string{}
	conn, err := d.List(context.Background(), customer.DirectoryQuery{Sources: []customer.Source{src}, First: 100})
	if err != nil {
		panic(err)
	}
	for _, n := range conn.Nodes() {
		out[n.SourceID] = n.Name
	}
	return out
}

func TestSyncFollowsChangesAndDeletions(t *testing.T) {
	for _, src := range []customer.Source{customer.U8, customer.YCM, customer.CRM} {
		t.Run(string(src), func(t *testing.T) {
			v := newVendor(src, 23)
			d := directory.New(directory.Options{
				Vendors:   map[customer.Source]directory.Vendor{src: v},
				Interval:  10 * time.Millisecond,
				PageSizes: map[customer.Source]int{src: 5},
				Pace:      map[customer.Source]time.Duration{customer.YCM: 0},
			})
			run(t, d)
			eventually(t, "READY", ready(d, src))
			if got := d.Status(src).Records; got != 23 {
				t.Fatalf("records %d, want 23", got)
			}
			v.put("00003", "改名公司")
			v.put("00100", "新公司")
			eventually(t, "the change and the new record", func() bool {
				n := names(d, src)
				return n["00003"] == "改名公司" && n["00100"] == "新公司"
			})
			if c, ok := d.Record(src, "00100"); !ok || c.SyncedAt == nil {
				t.Errorf("Record(00100) = %v, %v; want the synced copy", c, ok)
			}
			if src == customer.YCM {
				// Every YCM pass is full, so deletions show at once.
				v.remove("00007")
				eventually(t, "the deletion", func() bool { _, ok := names(d, src)["00007"]; return !ok })
			}
		})
	}
}

func TestFullPassConfirmsDeletionsAndResumesAfterAFailure(t *testing.T) {
	v := newVendor(customer.CRM, 30)
	v.failPage = 4
	dir := t.TempDir()
	open := func() *directory.File {
		f, reset, err := directory.OpenFile(dir)
		if err != nil || reset != "" {
			t.Fatalf("OpenFile: %v %q", err, reset)
		}
		return f
	}
	f := open()
	d := directory.New(directory.Options{Vendors: map[customer.Source]directory.Vendor{customer.CRM: v},
		Store: f, Interval: 10 * time.Millisecond, FullInterval: time.Hour, PageSizes: map[customer.Source]int{customer.CRM: 5}})
	stop := run(t, d)
	eventually(t, "the failed page to be tried", func() bool { l, _ := v.counts(); return l >= 6 })
	if st := d.Status(customer.CRM); st.State != customer.DirectorySyncing {
		t.Fatalf("state %s during a failing first pass, want SYNCING", st.State)
	}
	stop()
	f.Close()

	// A restart resumes the pass from the page that failed.
	v.mu.Lock()
	v.failPage, v.lists = 0, 0
	v.mu.Unlock()
	f = open()
	d = directory.New(directory.Options{Vendors: map[customer.Source]directory.Vendor{customer.CRM: v},
		Store: f, Interval: time.Hour, FullInterval: time.Hour, PageSizes: map[customer.Source]int{customer.CRM: 5}})
	stop = run(t, d)
	eventually(t, "READY", ready(d, customer.CRM))
	lists, _ := v.counts()
	// Pages 4, 5, 6 and 7 (the empty one), and the marker probe.
	if lists > 5 {
		t.Errorf("the resumed pass made %d list calls, want at most 5 (pages 4 to 7 and the probe)", lists)
	}
	if got := d.Status(customer.CRM).Records; got != 30 {
		t.Errorf("records %d, want 30", got)
	}
	stop()
	f.Close()

	// A restart within the interval is READY from the file, with no call.
	v.mu.Lock()
	v.lists = 0
	v.mu.Unlock()
	f = open()
	d = directory.New(directory.Options{Vendors: map[customer.Source]directory.Vendor{customer.CRM: v},
		Store: f, Interval: time.Hour, PageSizes: map[customer.Source]int{customer.CRM: 5}})
	stop = run(t, d)
	eventually(t, "READY after the restart", ready(d, customer.CRM))
	if lists, gets := v.counts(); lists != 0 || gets != 0 {
		t.Errorf("restart made %d list and %d get calls, want none", lists, gets)
	}
	stop()
	f.Close()

	// A full pass deletes what the vendor confirms gone.
	v.remove("00009")
	f = open()
	defer f.Close()
	d = directory.New(directory.Options{Vendors: map[customer.Source]directory.Vendor{customer.CRM: v},
		Store: f, Interval: 10 * time.Millisecond, FullInterval: 10 * time.Millisecond, PageSizes: map[customer.Source]int{customer.CRM: 5}})
	run(t, d)
	eventually(t, "the deletion", func() bool { return d.Status(customer.CRM).Records == 29 })
	if _, gets := v.counts(); gets < 1 {
		t.Errorf("deletion made %d by-key reads, want it confirmed by one", gets)
	}
}

func TestCorruptOrOlderFileIsReadAgainNotServed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "directory.db"), []byte("not a bbolt file, a torn write"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, reset, err := directory.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if reset == "" {
		t.Error("a corrupt file was opened without a reset")
	}
	snap, err := f.Load(context.Background())
	if err != nil || len(snap.States) != 0 {
		t.Fatalf("Load after reset: %v, %d states", err, len(snap.States))
	}
	aside, _ := filepath.Glob(filepath.Join(dir, "directory.db.corrupt-*"))
	if len(aside) != 1 {
		t.Errorf("corrupt file kept aside as %v, want one", aside)
	}
}

// TestStaleCopyIsNotServed: a copy whose last successful pass is older than
// MaxAge is STALE: not served by key or name (the service then asks the
// vendor, or answers DIRECTORY_UNAVAILABLE), and READY again once a pass
// succeeds.
func TestStaleCopyIsNotServed(t *testing.T) {
	v := newVendor(customer.U8, 10)
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	d := directory.New(directory.Options{Vendors: map[customer.Source]directory.Vendor{customer.U8: v},
		Interval: time.Hour, MaxAge: 10 * time.Minute, Now: clock})
	run(t, d)
	eventually(t, "READY", ready(d, customer.U8))
	if _, ok := d.Record(customer.U8, "00001"); !ok {
		t.Fatal("a READY copy did not serve a key it holds")
	}
	advance(11 * time.Minute)
	st := d.Status(customer.U8)
	if st.State != customer.DirectoryStale || st.LagSeconds == nil || *st.LagSeconds < 600 {
		t.Fatalf("status %+v after 11 minutes without a pass, want STALE with a lag over 600 s", st)
	}
	if _, ok := d.Record(customer.U8, "00001"); ok {
		t.Error("a STALE copy served a key")
	}
	if _, ok := d.Named(customer.U8, "公司00001"); ok {
		t.Error("a STALE copy served a name")
	}
	// The next pass (due after Interval on the same clock) makes it READY.
	advance(time.Hour)
	eventually(t, "READY after a pass", ready(d, customer.U8))
}
