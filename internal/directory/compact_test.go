package directory

import (
	"reflect"
	"runtime"
	"testing"

	"custgraph/internal/customer"
)

// TestCompactCopiesEverything: the compact copy equals the record, field
// for field, for every kind of record the fixtures make, and shares no
// memory a later change of the original could reach.
func TestCompactCopiesEverything(t *testing.T) {
	for _, e := range fixtureEntries(200) {
		c := compact(e.C)
		if !reflect.DeepEqual(c, e.C) {
			t.Fatalf("compact(%s/%s) differs:\n got %+v\nwant %+v", e.C.Source, e.C.SourceID, c, e.C)
		}
		if c.ContactName != nil && c.ContactName == e.C.ContactName {
			t.Fatal("the copy shares a pointer with the original")
		}
	}
	if compact(nil) != nil {
		t.Error("compact(nil) is not nil")
	}
}

// TestCompactMakesFewObjects: the point of compact: a copy the garbage
// collector marks as a handful of objects, not dozens.
func TestCompactMakesFewObjects(t *testing.T) {
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapObjects
	}
	base := live()
	es := fixtureEntries(2000)
	withOriginals := live() - base
	copies := make([]*customer.Customer, len(es))
	for i, e := range es {
		copies[i] = compact(e.C)
	}
	n := len(es)
	es = nil
	withCopies := live() - base
	runtime.KeepAlive(es)
	runtime.KeepAlive(copies)
	t.Logf("objects per record: %.1f as mapped, %.1f compacted", float64(withOriginals)/float64(n), float64(withCopies)/float64(n))
	if withCopies*2 > withOriginals {
		t.Errorf("compacted records hold %d objects, the originals %d: want at most half", withCopies, withOriginals)
	}
}
