package redisstore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/directory"
	"custgraph/internal/redistest"
)

func (v *crmVendor) drop(id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.recs, id)
}

// told collects what a replica's OnChange told, by kind and ID.
type told struct {
	mu   sync.Mutex
	seen map[string]int
}

func (l *told) add(cs []*customer.Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range cs {
		l.seen[string(c.Kind)+" "+c.ID()]++
	}
}

func (l *told) count(what string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[what]
}

func (l *told) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for k, n := range l.seen {
		out = append(out, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}

// TestChangesSurviveAGap: every replica tells each change once, the
// syncer's and a follower's alike; a follower that fell behind a trimmed
// change stream tells what its reload changed in its copy, and nothing
// twice.
func TestChangesSurviveAGap(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	v := newCRMVendor(20)
	syncerLog, followerLog := &told{seen: map[string]int{}}, &told{seen: map[string]int{}}
	storeA := NewDirectory(replica(t, srv, nil))
	a := directory.New(directory.Options{
		Vendors: map[customer.Source]directory.Vendor{customer.CRM: v}, Store: storeA,
		Interval: 20 * time.Millisecond, FullInterval: 60 * time.Millisecond, LeaseTTL: 300 * time.Millisecond,
		PageSizes: map[customer.Source]int{customer.CRM: 7}, OnChange: syncerLog.add,
	})
	storeB := NewDirectory(replica(t, srv, nil))
	storeB.block = 100 * time.Millisecond
	// Once armed, b holds the first batch of records it follows.
	var armed atomic.Bool
	held := &pausedFollow{Directory: storeB, paused: make(chan struct{}), gate: make(chan struct{}),
		hold: func(b *directory.Batch) bool { return armed.Load() && len(b.Upserts) > 0 }}
	// b syncs nothing itself: it follows a's commits.
	b := directory.New(directory.Options{Store: held, OnChange: followerLog.add})
	runDirectory(t, a)
	runDirectory(t, b)
	waitFor(t, "READY", func() bool { return a.Status(customer.CRM).State == customer.DirectoryReady })
	records := func(d *directory.Directory) int {
		conn, err := d.List(context.Background(), customer.DirectoryQuery{Sources: []customer.Source{customer.CRM}, First: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(conn.Edges)
	}
	waitFor(t, "the follower's copy", func() bool { return records(b) == 20 })

	armed.Store(true)
	v.put("105", "第一次改名")
	<-held.paused // b holds that batch, not yet applied
	v.put("106", "第二次改名")
	v.put("999", "新客户")
	v.drop("110")
	for _, what := range []string{"UPDATED crm:105", "UPDATED crm:106", "CREATED crm:999", "DELETED crm:110"} {
		waitFor(t, what+" on the syncer", func() bool { return syncerLog.count(what) > 0 })
	}
	if err := storeA.store.rdb.XTrimMaxLen(context.Background(), storeA.keys.stream(), 0).Err(); err != nil {
		t.Fatal(err)
	}
	v.put("107", "第三次改名")
	waitFor(t, "the last change on the syncer", func() bool { return syncerLog.count("UPDATED crm:107") > 0 })
	close(held.gate)

	want := []string{"UPDATED crm:105", "UPDATED crm:106", "CREATED crm:999", "DELETED crm:110", "UPDATED crm:107"}
	for _, what := range want {
		waitFor(t, what+" on the follower", func() bool { return followerLog.count(what) > 0 })
	}
	if held.reloads.Load() == 0 {
		t.Error("the follower did not reload: the gap was not seen")
	}
	// A later change arrives after all of them: nothing was told twice.
	v.put("108", "其后")
	for _, l := range []*told{syncerLog, followerLog} { // the syncer too follows the stream
		waitFor(t, "the later change", func() bool { return l.count("UPDATED crm:108") > 0 })
	}
	for _, l := range []*told{syncerLog, followerLog} {
		for _, what := range append(want, "UPDATED crm:108") {
			if n := l.count(what); n != 1 {
				t.Errorf("%s told %d times: %s", what, n, l)
			}
		}
	}
}
