package redisstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/directory"
	"custgraph/internal/redistest"
)

var (
	decU8  = directory.Key{Source: customer.U8, ID: "0001"}
	decCRM = directory.Key{Source: customer.CRM, ID: "101"}
	decYCM = directory.Key{Source: customer.YCM, ID: "7"}
	decAt  = time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)
)

// decide makes a decision through d, bounded as a request would be.
func decide(t *testing.T, d *directory.Directory, a, b directory.Key, same bool, by string, at time.Time) directory.Decision {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dec := directory.Decision{A: a, B: b, Same: same, By: by, At: at}
	if err := d.Decide(ctx, dec); err != nil {
		t.Fatalf("Decide(%+v): %v", dec, err)
	}
	return dec.Normalize()
}

// hasDecision reports whether d holds want on want's pair.
func hasDecision(d *directory.Directory, want directory.Decision) func() bool {
	return func() bool { got, ok := d.Decision(want.A, want.B); return ok && got == want }
}

// TestDecisionsShared: a decision made on one replica is on that replica
// when Decide returns, reaches the others through the change stream
// (among the syncer's batches), is in a fresh Load, and the last made on
// a pair wins everywhere, whichever replica made it.
func TestDecisionsShared(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	v := newCRMVendor(20)
	a := startDirReplica(t, srv, v)
	b := startDirReplica(t, srv, v)
	for _, r := range []*dirReplica{a, b} {
		waitFor(t, "READY", func() bool { return r.d.Status(customer.CRM).State == customer.DirectoryReady })
	}
	confirm := decide(t, a.d, decU8, decCRM, true, "jwt:alice", decAt)
	if !hasDecision(a.d, confirm)() {
		t.Fatal("Decide returned before the decision was on its own replica")
	}
	waitFor(t, "the decision on the other replica", hasDecision(b.d, confirm))

	// Later decisions override earlier ones, alternating replicas: each
	// ends on the last.
	v.put("105", "改名后的公司") // the syncer's batches go on between them
	decide(t, b.d, decCRM, decU8, false, "apikey:01234567", decAt.Add(time.Minute))
	decide(t, a.d, decU8, decCRM, true, "jwt:carol", decAt.Add(2*time.Minute))
	last := decide(t, b.d, decU8, decCRM, false, "jwt:dave", decAt.Add(3*time.Minute))
	other := decide(t, a.d, decYCM, decU8, true, "jwt:alice", decAt)
	for _, r := range []*dirReplica{a, b} {
		waitFor(t, "the last decision on every replica", func() bool { return hasDecision(r.d, last)() && hasDecision(r.d, other)() })
		if of := r.d.DecisionsOf(decU8); len(of) != 2 {
			t.Errorf("DecisionsOf(U8) = %+v, want two", of)
		}
	}

	snap, err := NewDirectory(replica(t, srv, nil)).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]directory.Decision{}
	for _, dec := range snap.Decisions {
		got[directory.PairKey(dec.A, dec.B)] = dec
	}
	if len(got) != 2 || got[directory.PairKey(decU8, decCRM)] != last || got[directory.PairKey(decU8, decYCM)] != other {
		t.Errorf("a fresh Load holds %+v, want %+v and %+v", snap.Decisions, last, other)
	}

	// A replica that joins has them from the load.
	c := startDirReplica(t, srv, v)
	waitFor(t, "the joining replica loaded", func() bool { return c.d.WaitLoaded(context.Background()) == nil })
	if !hasDecision(c.d, last)() || !hasDecision(c.d, other)() {
		t.Errorf("the joining replica holds %+v", c.d.DecisionsOf(decU8))
	}
}

// pausedFollow is a shared store whose Follow stops at the first batch
// hold picks (by default the first of decisions) until gate is closed, so
// that the stream can be trimmed past it meanwhile, as if the replica had
// fallen far behind.
type pausedFollow struct {
	*Directory
	hold         func(*directory.Batch) bool
	paused, gate chan struct{}
	once         sync.Once
	reloads      atomic.Int32
}

func (p *pausedFollow) Follow(ctx context.Context, from *directory.Snapshot, apply func(*directory.Batch), reload func(*directory.Snapshot)) error {
	return p.Directory.Follow(ctx, from, func(b *directory.Batch) {
		if (p.hold == nil && len(b.Decisions) > 0) || (p.hold != nil && p.hold(b)) {
			p.once.Do(func() {
				close(p.paused)
				<-p.gate
			})
		}
		apply(b)
	}, func(s *directory.Snapshot) {
		p.reloads.Add(1)
		reload(s)
	})
}

// runDirectory runs d until the test ends.
func runDirectory(t *testing.T, d *directory.Directory) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := d.WaitLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestDecisionsSurviveAGap: a replica that missed decisions trimmed from
// the change stream reads them from the snapshot it reloads, and tells
// OnDecision of them.
func TestDecisionsSurviveAGap(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	storeA := NewDirectory(replica(t, srv, nil))
	storeA.block = 100 * time.Millisecond
	storeB := NewDirectory(replica(t, srv, nil))
	storeB.block = 100 * time.Millisecond
	paused := &pausedFollow{Directory: storeB, paused: make(chan struct{}), gate: make(chan struct{})}
	var heard sync.Map // pair → the last decision OnDecision heard
	a := directory.New(directory.Options{Store: storeA})
	b := directory.New(directory.Options{Store: paused, OnDecision: func(dec directory.Decision) {
		heard.Store(directory.PairKey(dec.A, dec.B), dec)
	}})
	runDirectory(t, a)
	runDirectory(t, b)

	decide(t, a, decU8, decCRM, true, "jwt:alice", decAt)
	<-paused.paused // b holds the first batch, not yet applied
	reject := decide(t, a, decU8, decCRM, false, "jwt:bob", decAt.Add(time.Minute))
	ycm := decide(t, a, decU8, decYCM, true, "jwt:bob", decAt)
	ctx := context.Background()
	if err := storeA.store.rdb.XTrimMaxLen(ctx, storeA.keys.stream(), 0).Err(); err != nil {
		t.Fatal(err)
	}
	crmYCM := decide(t, a, decCRM, decYCM, false, "jwt:carol", decAt)
	close(paused.gate)

	for _, want := range []directory.Decision{reject, ycm, crmYCM} {
		waitFor(t, "the missed decisions on b", hasDecision(b, want))
		if got, ok := heard.Load(directory.PairKey(want.A, want.B)); !ok || got.(directory.Decision) != want {
			t.Errorf("OnDecision heard %+v for %+v", got, want)
		}
	}
	if paused.reloads.Load() == 0 {
		t.Error("b did not reload: the gap was not seen")
	}
}

// TestDecisionBatchIsNotFenced: a replica holding no lease writes
// decisions, and a batch mixing them with records is refused.
func TestDecisionBatchIsNotFenced(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	s := NewDirectory(replica(t, srv, nil))
	ctx := context.Background()
	dec := directory.NewDecision(decU8, decCRM, true, "jwt:alice", decAt)
	if err := s.Commit(ctx, &directory.Batch{Decisions: []directory.Decision{dec}}); err != nil {
		t.Fatalf("a decision without a lease: %v", err)
	}
	if err := s.Commit(ctx, &directory.Batch{Source: customer.CRM, Decisions: []directory.Decision{dec}}); err != directory.ErrMixedBatch {
		t.Fatalf("a mixed batch: %v, want ErrMixedBatch", err)
	}
	snap, err := s.Load(ctx)
	if err != nil || len(snap.Decisions) != 1 || snap.Decisions[0] != dec {
		t.Fatalf("Load: %+v %v", snap.Decisions, err)
	}
}
