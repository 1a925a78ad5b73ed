package directory_test

import (
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
