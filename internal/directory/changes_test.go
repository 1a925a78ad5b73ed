package directory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/directory"
)

// changeLog collects what OnChange tells.
type changeLog struct {
	mu  sync.Mutex
	all []*customer.Change
}

func (l *changeLog) add(cs []*customer.Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, cs...)
}

func (l *changeLog) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.all))
	for i, c := range l.all {
		out[i] = string(c.Kind) + " " + c.ID()
	}
	return out
}

func (l *changeLog) get(i int) *customer.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all[i]
}

// The first full pass is a load, not changes; then each change the sync
// sees is told once, with its kind, the record after it and before it.
func TestOnChangeTellsEachChangeOnce(t *testing.T) {
	for _, src := range []customer.Source{customer.U8, customer.YCM, customer.CRM} {
		t.Run(string(src), func(t *testing.T) {
			v := newVendor(src, 12)
			log := &changeLog{}
			d := directory.New(directory.Options{
				Vendors:      map[customer.Source]directory.Vendor{src: v},
				Interval:     10 * time.Millisecond,
				FullInterval: 30 * time.Millisecond,
				PageSizes:    map[customer.Source]int{src: 5},
				Pace:         map[customer.Source]time.Duration{customer.YCM: 0},
				OnChange:     log.add,
			})
			run(t, d)
			eventually(t, "READY", ready(d, src))
			if got := log.seen(); len(got) != 0 {
				t.Fatalf("the first load told %d changes: %v", len(got), got[:min(3, len(got))])
			}
			v.put("00003", "改名公司")
			eventually(t, "the rename", func() bool { return len(log.seen()) >= 1 })
			v.put("00100", "新公司")
			eventually(t, "the new record", func() bool { return len(log.seen()) >= 2 })
			v.remove("00007")
			eventually(t, "the deletion", func() bool { return len(log.seen()) >= 3 })
			// Passes go on (full ones too): nothing unchanged is told again.
			passes := d.Passes(src, "full", "ok")
			eventually(t, "two more full passes", func() bool { return d.Passes(src, "full", "ok") >= passes+2 })
			want := fmt.Sprint([]string{"UPDATED " + src.Prefix() + ":00003", "CREATED " + src.Prefix() + ":00100", "DELETED " + src.Prefix() + ":00007"})
			if got := fmt.Sprint(log.seen()); got != want {
				t.Fatalf("told %s, want %s", got, want)
			}
			up, del := log.get(0), log.get(2)
			if up.Customer == nil || up.Customer.Name != "改名公司" || up.Previous == nil || up.Previous.Name != "公司00003" || up.At.IsZero() {
				t.Errorf("the update: %+v", up)
			}
			if del.Customer != nil || del.Previous == nil || del.Previous.Name != "公司00007" {
				t.Errorf("the deletion: %+v", del)
			}
		})
	}
}

// A deletion at U8 or the CRM, whose lists tell no deletions, is found
// within a few passes rather than at the daily full pass: the vendor's
// count falls below the copy's, so the next pass is a full one.
func TestFewerRecordsBringTheFullPassForward(t *testing.T) {
	for _, src := range []customer.Source{customer.U8, customer.CRM} {
		t.Run(string(src), func(t *testing.T) {
			v := newVendor(src, 12)
			log := &changeLog{}
			d := directory.New(directory.Options{
				Vendors:      map[customer.Source]directory.Vendor{src: v},
				Interval:     10 * time.Millisecond,
				FullInterval: time.Hour,
				PageSizes:    map[customer.Source]int{src: 5},
				OnChange:     log.add,
			})
			run(t, d)
			eventually(t, "READY", ready(d, src))
			full := d.Passes(src, "full", "ok")
			eventually(t, "a pass over the changes", func() bool { return d.Passes(src, "changes", "ok") > 0 })
			if got := d.Passes(src, "full", "ok"); got != full {
				t.Fatalf("%d full passes with nothing deleted, want none", got-full)
			}
			v.remove("00007")
			eventually(t, "the deletion", func() bool { return len(log.seen()) > 0 })
			if got := fmt.Sprint(log.seen()); got != "[DELETED "+src.Prefix()+":00007]" {
				t.Errorf("told %s", got)
			}
			// One full pass found it; the passes after it are over the
			// changes again.
			eventually(t, "the full pass counted", func() bool { return d.Passes(src, "full", "ok") > full })
			changes := d.Passes(src, "changes", "ok")
			eventually(t, "a pass over the changes after it", func() bool { return d.Passes(src, "changes", "ok") > changes })
			if got := d.Passes(src, "full", "ok"); got != full+1 {
				t.Errorf("%d full passes, want one more", got-full)
			}
		})
	}
}

// replaying is a shared store whose snapshot is newer than the change log
// it follows: Follow applies again a batch of the first full pass (the
// snapshot already holds its record, with that content), then a real
// change, as a follower on Redis may.
type replaying struct {
	snap              *directory.Snapshot
	replay, change    *directory.Batch
	replayed, proceed chan struct{}
}

func (r *replaying) Load(context.Context) (*directory.Snapshot, error) { return r.snap, nil }
func (r *replaying) Commit(context.Context, *directory.Batch) error    { return nil }
func (r *replaying) Close() error                                      { return nil }
func (r *replaying) Acquire(context.Context, customer.Source, time.Duration) (bool, error) {
	return false, nil // another replica syncs
}
func (r *replaying) Release(context.Context, customer.Source) error { return nil }
func (r *replaying) Follow(ctx context.Context, _ *directory.Snapshot, apply func(*directory.Batch), _ func(*directory.Snapshot)) error {
	apply(r.replay)
	close(r.replayed)
	select {
	case <-r.proceed:
		apply(r.change)
	case <-ctx.Done():
	}
	<-ctx.Done()
	return nil
}

// A batch applied again tells nothing and does not take the copy back to
// SYNCING; the change after it is told.
func TestReplayedBatchesChangeNothing(t *testing.T) {
	now := time.Now()
	entry := func(id, name, marker string) *directory.Entry {
		return &directory.Entry{C: &customer.Customer{Source: customer.CRM, SourceID: id, Name: name, SyncedAt: &now}, Marker: marker}
	}
	complete := &directory.State{Complete: true, FreshAt: now, SyncedAt: now, FullAt: now}
	firstPass := &directory.State{Resume: &directory.Resume{Page: 2, PageSize: 1, Started: now.Add(-time.Hour)}}
	store := &replaying{
		snap: &directory.Snapshot{
			Entries: map[customer.Source][]*directory.Entry{customer.CRM: {entry("1", "甲公司", "m1"), entry("2", "乙公司", "m2")}},
			States:  map[customer.Source]*directory.State{customer.CRM: complete},
		},
		replay:   &directory.Batch{Source: customer.CRM, Upserts: []*directory.Entry{entry("1", "甲公司", "m1")}, State: firstPass},
		change:   &directory.Batch{Source: customer.CRM, Upserts: []*directory.Entry{entry("2", "乙公司改名", "m2b")}, State: complete},
		replayed: make(chan struct{}), proceed: make(chan struct{}),
	}
	log := &changeLog{}
	d := directory.New(directory.Options{Vendors: map[customer.Source]directory.Vendor{customer.CRM: newVendor(customer.CRM, 0)},
		Store: store, OnChange: log.add, MaxAge: time.Hour})
	run(t, d)
	<-store.replayed
	if st := d.Status(customer.CRM).State; st != customer.DirectoryReady {
		t.Errorf("after the replay the copy is %s, want READY", st)
	}
	close(store.proceed)
	eventually(t, "the change after the replay", func() bool { return len(log.seen()) > 0 })
	if got := fmt.Sprint(log.seen()); got != "[UPDATED crm:2]" {
		t.Errorf("told %s, want only the real change", got)
	}
}
