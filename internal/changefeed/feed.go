// Package changefeed fans the directory's changes out to the open
// subscriptions of this replica. Every replica applies every committed
// change (the directory's own store, or the change stream on Redis), so a
// subscriber receives each change once, from the replica it is connected
// to, whichever replica synced it.
//
// Publishing never waits: each subscriber has a bounded buffer, and one
// that falls behind by more than it is told so and closed, rather than
// slowing the sync or the other subscribers.
package changefeed

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"custgraph/internal/customer"
)

// Defaults of Options.
const (
	DefaultBuffer    = 256
	DefaultPerClient = 20
)

// Options configure a Feed. Zero values take the defaults.
type Options struct {
	// Buffer is how many changes a subscriber may fall behind by before
	// it is closed as slow (default 256).
	Buffer int
	// PerClient bounds the subscriptions one client (principal, or
	// address when anonymous) holds open on this replica (default 20).
	PerClient int
}

// Feed is the changes of this replica's directory, for its subscribers.
// It implements customer.Changes.
type Feed struct {
	o Options

	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	clients map[string]int
	open    map[string]int // by transport
	closed  bool

	delivered, dropped, slow atomic.Int64
}

var _ customer.Changes = (*Feed)(nil)

// New returns a Feed.
func New(o Options) *Feed {
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.PerClient <= 0 {
		o.PerClient = DefaultPerClient
	}
	return &Feed{o: o, subs: map[*subscriber]struct{}{}, clients: map[string]int{}, open: map[string]int{}}
}

type subscriber struct {
	ch        chan *customer.Change
	sources   uint8 // bit per customer.Source.Ordinal
	client    string
	transport string
	slow      func(*customer.Error)
	stop      func() bool
}

// Subscribe implements customer.Changes. After Close it returns a closed
// channel: the stream completes at once.
func (f *Feed) Subscribe(ctx context.Context, client, transport string, sources []customer.Source, slow func(*customer.Error)) (<-chan *customer.Change, error) {
	s := &subscriber{ch: make(chan *customer.Change, f.o.Buffer), client: client, transport: transport, slow: slow}
	for _, src := range sources {
		s.sources |= 1 << src.Ordinal()
	}
	if len(sources) == 0 {
		s.sources = ^uint8(0)
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		close(s.ch)
		return s.ch, nil
	}
	if f.clients[client] >= f.o.PerClient {
		f.mu.Unlock()
		return nil, &customer.Error{Code: customer.CodeTooManySubscriptions,
			Message: fmt.Sprintf("this client has %d subscriptions open, as many as it may: end one first", f.o.PerClient)}
	}
	f.subs[s] = struct{}{}
	f.clients[client]++
	f.open[transport]++
	// No goroutine per subscriber: the subscription ends with its context.
	// Registered under the lock, which its call waits for.
	s.stop = context.AfterFunc(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.removeLocked(s, nil)
	})
	f.mu.Unlock()
	return s.ch, nil
}

// removeLocked ends s: slow is told err (when set), then its channel is
// closed. f.mu is held, so that no Publish sends to a closed channel.
func (f *Feed) removeLocked(s *subscriber, err *customer.Error) {
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	if f.clients[s.client]--; f.clients[s.client] <= 0 {
		delete(f.clients, s.client)
	}
	f.open[s.transport]--
	if s.stop != nil {
		s.stop()
	}
	if err != nil && s.slow != nil {
		s.slow(err)
	}
	close(s.ch)
}

// Publish hands changes to every subscriber of their sources, without
// waiting: a subscriber whose buffer is full is closed as slow.
func (f *Feed) Publish(changes []*customer.Change) {
	if len(changes) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var slow []*subscriber
	for _, c := range changes {
		bit := uint8(1) << c.Source.Ordinal()
		for s := range f.subs {
			if s.sources&bit == 0 {
				continue
			}
			select {
			case s.ch <- c:
				f.delivered.Add(1)
			default:
				f.dropped.Add(1)
				slow = append(slow, s)
			}
		}
		for _, s := range slow {
			if _, ok := f.subs[s]; ok {
				f.slow.Add(1)
				f.removeLocked(s, &customer.Error{Code: customer.CodeSlowSubscriber,
					Message: fmt.Sprintf("this subscriber fell more than %d changes behind and was closed: subscribe again, and read what changed meanwhile by query", f.o.Buffer)})
			}
		}
		slow = slow[:0]
	}
}

// Close ends every subscription (their streams complete) and makes later
// ones end at once: the first step of a graceful shutdown.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for s := range f.subs {
		f.removeLocked(s, nil)
	}
}

// Stats are the feed's counters, for /metrics.
type Stats struct {
	// Open is the open subscriptions by transport.
	Open map[string]int
	// Delivered counts changes put in a subscriber's buffer; Dropped the
	// changes a full buffer refused; Slow the subscribers closed for it.
	Delivered, Dropped, Slow int64
}

// Stats returns the counters.
func (f *Feed) Stats() Stats {
	f.mu.Lock()
	open := make(map[string]int, len(f.open))
	for k, v := range f.open {
		open[k] = v
	}
	f.mu.Unlock()
	return Stats{Open: open, Delivered: f.delivered.Load(), Dropped: f.dropped.Load(), Slow: f.slow.Load()}
}
