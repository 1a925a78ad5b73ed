package guard

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/quota"
)

// The guard's part in the directory's sync: change filters that never
// share a flight, and background calls whose every attempt stays
// background and never carries a live caller.

// TestListKeyHoldsEveryQuestion sets each field of ListQuery and its
// Filter in turn: each must change the key, so that a field added later
// cannot make different questions share a flight unnoticed.
func TestListKeyHoldsEveryQuestion(t *testing.T) {
	base := customer.ListQuery{Page: 1, PageSize: 50}
	notAsked := map[string]bool{"Filter.Search": true} // no vendor is asked it
	set := func(name string, f reflect.Value) {
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Int:
			f.SetInt(7)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		default:
			t.Fatalf("%s: a field of kind %s; teach this test (and listKey) about it", name, f.Kind())
		}
	}
	try := func(name string, q customer.ListQuery) {
		if changed := listKey(q) != listKey(base); changed == notAsked[name] {
			t.Errorf("setting %s changes the list key: %v", name, changed)
		}
	}
	for i := range reflect.TypeFor[customer.ListQuery]().NumField() {
		q := base
		f := reflect.ValueOf(&q).Elem().Field(i)
		name := reflect.TypeFor[customer.ListQuery]().Field(i).Name
		if name == "Filter" {
			continue // field by field below
		}
		set(name, f)
		try(name, q)
	}
	for i := range reflect.TypeFor[customer.Filter]().NumField() {
		q := base
		name := "Filter." + reflect.TypeFor[customer.Filter]().Field(i).Name
		set(name, reflect.ValueOf(&q.Filter).Elem().Field(i))
		try(name, q)
	}
}

func TestListKeyHoldsTheChangeFilters(t *testing.T) {
	base := customer.ListQuery{Page: 1, PageSize: 50}
	since, newest := base, base
	since.TimestampFrom = "1048593"
	newest.NewestFirst = true
	keys := map[string]bool{listKey(base): true, listKey(since): true, listKey(newest): true}
	if len(keys) != 3 {
		t.Fatalf("listKey gives %d keys for three questions: %v", len(keys), keys)
	}
	if got := listConcurrently(t, base, since); got != 2 {
		t.Errorf("inner Lists with and without TimestampFrom = %d, want 2", got)
	}
	if got := listConcurrently(t, base, newest); got != 2 {
		t.Errorf("inner Lists with and without NewestFirst = %d, want 2", got)
	}
	if got := listConcurrently(t, since, since); got != 1 {
		t.Errorf("inner Lists for one TimestampFrom question = %d, want 1", got)
	}
}

func (f *fake) marks() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bg)
}

// TestBackgroundRetriesStayBackground: a background call's retries after a
// transient failure take their quota turns as background calls too.
func TestBackgroundRetriesStayBackground(t *testing.T) {
	f := newFake(customer.U8)
	f.setScript(upstream(customer.U8, customer.ReasonUnavailable), upstream(customer.U8, customer.ReasonTimeout))
	f.listIDs = []string{"a"}
	s := NewU8(f, Options{Backoff: time.Millisecond})
	bg := quota.Background(context.Background())
	if _, err := s.List(bg, customer.ListQuery{Page: 1, PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	if got := f.marks(); len(got) != 3 || slices.Contains(got, false) {
		t.Fatalf("attempts' background marks %v, want three, all background", got)
	}
	f.setScript(upstream(customer.U8, customer.ReasonUnavailable))
	mustGet(t, s, "001") // live, and so are its retries
	if got := f.marks()[3:]; len(got) != 2 || slices.Contains(got, true) {
		t.Fatalf("a live call's attempts' marks %v, want two, none background", got)
	}
}

// TestLiveCallsDoNotJoinBackgroundFlights: a flight runs at its first
// caller's priority, so a live caller asking what a background call is
// already asking makes its own (live) call rather than wait behind the
// sync's quota turns; background callers do share one.
func TestLiveCallsDoNotJoinBackgroundFlights(t *testing.T) {
	f := newFake(customer.U8)
	gate := make(chan struct{})
	f.setGate(gate)
	s := NewU8(f, Options{})
	bg := quota.Background(context.Background())
	first := goGet(s, bg, "001")
	recv(t, f.entered, "the background call")
	second := goGet(s, bg, "001")
	waitUntil(t, "a second background caller joins", func() bool { return flightWaiters(&s.flights, "background get 001") == 2 })
	live := goGet(s, context.Background(), "001")
	recv(t, f.entered, "the live caller's own call")
	close(gate)
	for _, ch := range []<-chan getResult{first, second, live} {
		if r := recv(t, ch, "an answer"); r.err != nil {
			t.Fatal(r.err)
		}
	}
	if got := f.marks(); !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("calls made %v, want one background and one live", got)
	}
}
