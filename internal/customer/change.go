package customer

import (
	"context"
	"time"
)

// ChangeKind says what a change did to a record.
type ChangeKind string

// The kinds of change the directory's sync sees.
const (
	ChangeCreated ChangeKind = "CREATED"
	ChangeUpdated ChangeKind = "UPDATED"
	ChangeDeleted ChangeKind = "DELETED"
)

// Change is one record's change as the directory's sync saw it: what
// Subscription.customerChanged delivers.
type Change struct {
	Kind ChangeKind
	// Source and Key name the record; ID is its global ID.
	Source Source
	Key    string
	// Customer is the record after the change; nil when it was deleted.
	Customer *Customer
	// Previous is the record before the change (nil when created): the
	// caches forget the names it was found by. Not part of the schema.
	Previous *Customer
	// At is when custgraph saw the change: the sync's time, the same on
	// every replica.
	At time.Time
}

// ID is the record's global ID.
func (c *Change) ID() string { return GlobalID{Source: c.Source, Key: c.Key}.String() }

// Error codes of the change subscription.
const (
	// CodeTooManySubscriptions: the client has as many open
	// subscriptions as it may (CUSTGRAPH_SUBSCRIPTIONS_PER_CLIENT).
	CodeTooManySubscriptions ErrorCode = "TOO_MANY_SUBSCRIPTIONS"
	// CodeSlowSubscriber: the subscriber fell so far behind the changes
	// that its buffer filled; it is closed and should subscribe again
	// (and read what it missed by query).
	CodeSlowSubscriber ErrorCode = "SLOW_SUBSCRIBER"
)

// Changes is the feed of the directory's changes a subscription reads.
type Changes interface {
	// Subscribe returns the changes of the chosen sources (all when
	// empty) from now on, until ctx ends (the channel is then closed).
	// The channel is also closed when the subscriber falls behind by
	// more than its buffer, after slow is called with the error to tell
	// it; and at shutdown, with no error. client names who subscribes,
	// for the per-client cap; transport ("ws", "sse") is for metrics.
	Subscribe(ctx context.Context, client, transport string, sources []Source, slow func(*Error)) (<-chan *Change, error)
}

// Subscribe returns the changes of sources (all the directory syncs when
// omitted) as the directory's sync sees them, until ctx ends; see
// Changes.Subscribe. The changes come from the directory: with it off
// the answer is DIRECTORY_UNAVAILABLE; an empty list of sources, or a
// source this gateway does not read, is BAD_USER_INPUT.
func (s *Service) Subscribe(ctx context.Context, client, transport string, sources []Source, slow func(*Error)) (<-chan *Change, error) {
	if sources != nil && len(sources) == 0 {
		return nil, BadInputf("sources is empty: name at least one source, or leave sources out for all")
	}
	d := s.opts.Directory
	if d == nil || s.opts.Changes == nil {
		return nil, &Error{Code: CodeDirectory, DirectoryState: DirectoryOff,
			Message: "changes are seen by the directory's sync, and the directory is off on this gateway (CUSTGRAPH_DIRECTORY=off)"}
	}
	seen := map[Source]bool{}
	var srcs []Source
	for _, src := range sources {
		if seen[src] {
			continue
		}
		seen[src] = true
		if d.Status(src).State == DirectoryOff {
			return nil, BadInputf("%s is not read by this gateway: it has no changes to subscribe to", src)
		}
		srcs = append(srcs, src)
	}
	return s.opts.Changes.Subscribe(ctx, client, transport, srcs, slow)
}
