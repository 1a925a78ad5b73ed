package redisstore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/directory"
	"custgraph/internal/redistest"
)

// crmVendor is a CRM in memory that counts its list calls.
type crmVendor struct {
	mu    sync.Mutex
	recs  map[string]*customer.Customer
	tick  int
	lists int
}

func newCRMVendor(n int) *crmVendor {
	v := &crmVendor{recs: map[string]*customer.Customer{}}
	for i := 1; i <= n; i++ {
		v.put(fmt.Sprintf("%d", 100+i), fmt.Sprintf("公司%d", i))
	}
	return v
}

func (v *crmVendor) put(id, name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.tick++
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(v.tick) * time.Minute)
	v.recs[id] = &customer.Customer{Source: customer.CRM, SourceID: id, Name: name, UpdatedAt: &at}
}

func (v *crmVendor) List(_ context.Context, q customer.ListQuery) (*customer.Page, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.lists++
	var all []*customer.Customer
	for _, c := range v.recs {
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool {
		if q.NewestFirst {
			return all[i].UpdatedAt.After(*all[j].UpdatedAt)
		}
		return all[i].SourceID < all[j].SourceID
	})
	p := &customer.Page{Page: q.Page, PageSize: q.PageSize, Total: len(all)}
	for i := (q.Page - 1) * q.PageSize; i < len(all) && i < q.Page*q.PageSize; i++ {
		c := *all[i]
		p.Customers = append(p.Customers, &c)
	}
	return p, nil
}

func (v *crmVendor) Get(_ context.Context, key string) (*customer.Customer, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.recs[key]
	if !ok {
		return nil, customer.ErrNotFound
	}
	cc := *c
	return &cc, nil
}

// dirReplica is one replica's directory on the shared Redis.
type dirReplica struct {
	d    *directory.Directory
	stop func()
}

func startDirReplica(t *testing.T, srv *redistest.Server, v *crmVendor) *dirReplica {
	t.Helper()
	store := replica(t, srv, nil)
	d := directory.New(directory.Options{
		Vendors:   map[customer.Source]directory.Vendor{customer.CRM: v},
		Store:     NewDirectory(store),
		Interval:  20 * time.Millisecond,
		LeaseTTL:  300 * time.Millisecond,
		PageSizes: map[customer.Source]int{customer.CRM: 7},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	var once sync.Once
	r := &dirReplica{d: d, stop: func() { once.Do(func() { cancel(); <-done }) }}
	t.Cleanup(r.stop)
	return r
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dirNames(d *directory.Directory) map[string]string {
	out := map[string]string{}
	conn, err := d.List(context.Background(), customer.DirectoryQuery{Sources: []customer.Source{customer.CRM}, First: 100})
	if err != nil {
		return nil
	}
	for _, n := range conn.Nodes() {
		out[n.SourceID] = n.Name
	}
	return out
}

func sameNames(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestReplicasShareOneDirectory: one replica syncs, both serve the same
// copy, a change reaches both, a replica that joins later is READY from
// Redis with no vendor call, and when the syncer stops another takes over.
func TestReplicasShareOneDirectory(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	v := newCRMVendor(40)
	a := startDirReplica(t, srv, v)
	b := startDirReplica(t, srv, v)
	for _, r := range []*dirReplica{a, b} {
		waitFor(t, "READY", func() bool { return r.d.Status(customer.CRM).State == customer.DirectoryReady })
	}
	syncing := 0
	for _, r := range []*dirReplica{a, b} {
		if r.d.Syncing(customer.CRM) {
			syncing++
		}
	}
	if syncing != 1 {
		t.Fatalf("%d replicas sync the CRM, want 1", syncing)
	}
	v.put("105", "改名后的公司")
	v.put("999", "新公司")
	for _, r := range []*dirReplica{a, b} {
		waitFor(t, "the change on every replica", func() bool {
			n := dirNames(r.d)
			return n["105"] == "改名后的公司" && n["999"] == "新公司"
		})
	}

	// A replica that joins is READY from Redis alone.
	c := startDirReplica(t, srv, v)
	waitFor(t, "the joining replica READY", func() bool { return c.d.Status(customer.CRM).State == customer.DirectoryReady })
	if !sameNames(dirNames(c.d), dirNames(a.d)) {
		t.Errorf("the joining replica's copy differs")
	}
	if n := c.d.SyncCalls(customer.CRM); n != 0 {
		t.Errorf("the joining replica made %d vendor calls, want none", n)
	}

	// Stop the syncer: another replica takes the sync over.
	syncer, others := a, []*dirReplica{b, c}
	if b.d.Syncing(customer.CRM) {
		syncer, others = b, []*dirReplica{a, c}
	} else if c.d.Syncing(customer.CRM) {
		syncer, others = c, []*dirReplica{a, b}
	}
	syncer.stop()
	waitFor(t, "another replica to take the sync over", func() bool {
		return others[0].d.Syncing(customer.CRM) || others[1].d.Syncing(customer.CRM)
	})
	v.put("1000", "接手后的新公司")
	for _, r := range others {
		waitFor(t, "a change synced by the new syncer", func() bool { return dirNames(r.d)["1000"] == "接手后的新公司" })
	}
}

// TestFencedCommit: a replica that lost its lease cannot write.
func TestFencedCommit(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a, b := NewDirectory(replica(t, srv, nil)), NewDirectory(replica(t, srv, nil))
	ctx := context.Background()
	if held, err := a.Acquire(ctx, customer.CRM, 100*time.Millisecond); err != nil || !held {
		t.Fatalf("a: Acquire = %v, %v", held, err)
	}
	if held, _ := b.Acquire(ctx, customer.CRM, time.Second); held {
		t.Fatal("b took a lease a holds")
	}
	// a pauses past its lease; b takes over.
	waitFor(t, "b to take the lease", func() bool { held, _ := b.Acquire(ctx, customer.CRM, time.Second); return held })
	at := time.Now()
	err := a.Commit(ctx, &directory.Batch{Source: customer.CRM, Upserts: []*directory.Entry{{C: &customer.Customer{Source: customer.CRM, SourceID: "1", Name: "x", UpdatedAt: &at}}}})
	if err != ErrFenced {
		t.Fatalf("a's commit after losing the lease: %v, want ErrFenced", err)
	}
}
