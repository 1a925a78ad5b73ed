package changefeed

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"custgraph/internal/customer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func change(src customer.Source, key string) *customer.Change {
	return &customer.Change{Kind: customer.ChangeUpdated, Source: src, Key: key}
}

func drain(ch <-chan *customer.Change) (ids []string) {
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				return ids
			}
			ids = append(ids, c.ID())
		default:
			return ids
		}
	}
}

func TestSubscribersReceiveTheirSourcesInOrder(t *testing.T) {
	f := New(Options{})
	ctx := t.Context()
	all, err := f.Subscribe(ctx, "a", "ws", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	crm, _ := f.Subscribe(ctx, "a", "sse", []customer.Source{customer.CRM}, nil)
	f.Publish([]*customer.Change{change(customer.U8, "1"), change(customer.CRM, "2")})
	f.Publish([]*customer.Change{change(customer.YCM, "3")})
	if got := fmt.Sprint(drain(all)); got != "[u8:1 crm:2 ycm:3]" {
		t.Errorf("all sources: %s", got)
	}
	if got := fmt.Sprint(drain(crm)); got != "[crm:2]" {
		t.Errorf("CRM only: %s", got)
	}
	st := f.Stats()
	if st.Delivered != 4 || st.Open["ws"] != 1 || st.Open["sse"] != 1 {
		t.Errorf("stats: %+v", st)
	}
}

func TestContextEndsTheSubscription(t *testing.T) {
	f := New(Options{PerClient: 1})
	ctx, cancel := context.WithCancel(context.Background())
	ch, _ := f.Subscribe(ctx, "a", "ws", nil, nil)
	cancel()
	for range ch { // closed once ctx ends
	}
	// Its place is free again.
	ch2, err := f.Subscribe(t.Context(), "a", "ws", nil, nil)
	if err != nil {
		t.Fatalf("after the first ended: %v", err)
	}
	f.Close()
	if _, ok := <-ch2; ok {
		t.Error("Close left a subscription open")
	}
	if st := f.Stats(); st.Open["ws"] != 0 {
		t.Errorf("open after Close: %+v", st)
	}
	// After Close a subscription completes at once.
	ch3, err := f.Subscribe(t.Context(), "b", "ws", nil, nil)
	if _, ok := <-ch3; err != nil || ok {
		t.Errorf("a subscription after Close: %v %v", err, ok)
	}
}

func TestPerClientCap(t *testing.T) {
	f := New(Options{PerClient: 2})
	ctx := t.Context()
	for i := range 2 {
		if _, err := f.Subscribe(ctx, "principal k", "ws", nil, nil); err != nil {
			t.Fatalf("subscription %d: %v", i+1, err)
		}
	}
	_, err := f.Subscribe(ctx, "principal k", "sse", nil, nil)
	var e *customer.Error
	if !errors.As(err, &e) || e.Code != customer.CodeTooManySubscriptions {
		t.Fatalf("a third: %v", err)
	}
	if _, err := f.Subscribe(ctx, "principal other", "ws", nil, nil); err != nil {
		t.Errorf("another client: %v", err)
	}
}

// A subscriber that does not read is told it is slow and closed, after
// the changes its buffer held; the others and the publisher go on.
func TestSlowSubscriberIsClosed(t *testing.T) {
	f := New(Options{Buffer: 3})
	ctx := t.Context()
	var told *customer.Error
	slow, _ := f.Subscribe(ctx, "a", "ws", nil, func(err *customer.Error) { told = err })
	fast, _ := f.Subscribe(ctx, "b", "ws", nil, nil)
	var got []string
	for i := range 10 {
		f.Publish([]*customer.Change{change(customer.U8, fmt.Sprint(i))})
		got = append(got, drain(fast)...)
	}
	if len(got) != 10 {
		t.Errorf("the reading subscriber got %d of 10", len(got))
	}
	var kept []string
	for c := range slow {
		kept = append(kept, c.ID())
	}
	if fmt.Sprint(kept) != "[u8:0 u8:1 u8:2]" {
		t.Errorf("the slow subscriber's buffer: %v", kept)
	}
	if told == nil || told.Code != customer.CodeSlowSubscriber {
		t.Errorf("the slow subscriber was told %v", told)
	}
	if st := f.Stats(); st.Slow != 1 || st.Dropped != 1 || st.Open["ws"] != 1 {
		t.Errorf("stats: %+v", st)
	}
}
