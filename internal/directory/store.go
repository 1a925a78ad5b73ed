package directory

import (
	"context"
	"time"

	"custgraph/internal/customer"
)

// Store keeps the directory between restarts, and between replicas when it
// is shared: every record with its change marker, each source's sync
// state, and people's link decisions. A Commit is atomic: after a crash
// the store holds the batch whole or not at all, so a pass resumes from
// the state committed with its last records.
type Store interface {
	// Load returns what the store holds. A store that finds itself corrupt
	// or written by another format version starts empty (and says so in
	// Snapshot.Reset) rather than serving anything wrong.
	Load(ctx context.Context) (*Snapshot, error)
	// Commit writes one batch of one source, or one batch of decisions,
	// atomically. Of two decisions on one pair, the one committed last
	// is kept.
	Commit(ctx context.Context, b *Batch) error
	// Close releases the store.
	Close() error
}

// Shared is a Store that replicas share: one of them syncs each source at
// a time (holding a lease), and every replica follows the changes the
// syncer commits.
type Shared interface {
	Store
	// Acquire tries to take or keep src's lease for ttl and reports
	// whether this replica holds it. Commits of a replica that lost the
	// lease are refused (fencing), so a paused holder cannot overwrite
	// its successor's work.
	Acquire(ctx context.Context, src customer.Source, ttl time.Duration) (bool, error)
	// Release gives src's lease up, if held, so that another replica
	// takes over at once.
	Release(ctx context.Context, src customer.Source) error
	// Follow calls apply with every batch committed after the snapshot
	// Load returned (by any replica, this one included, decisions as well
	// as records), in commit order,
	// until ctx ends. When it cannot tell that no batch was missed (the
	// change log was trimmed past this replica, or it was away), it calls
	// reload with a fresh snapshot instead.
	Follow(ctx context.Context, from *Snapshot, apply func(*Batch), reload func(*Snapshot)) error
}

// Snapshot is what a store holds.
type Snapshot struct {
	Entries map[customer.Source][]*Entry
	States  map[customer.Source]*State
	// Decisions are people's link decisions: the last committed on each
	// pair, in no particular order.
	Decisions []Decision
	// Reset says why the store started empty although it existed
	// (corrupt, another format version); "" when it did not.
	Reset string
	// Position is where a Shared store's change log stood when the
	// snapshot was taken (opaque to the directory).
	Position string
}

// Batch is one atomic write of one source: records created, changed or
// deleted, and the source's sync state after them; or one write of
// people's link decisions, which has no Source, records nor state (a
// decision is written by whichever replica served it, holding no lease:
// it is never fenced). See Check.
type Batch struct {
	Source  customer.Source
	Upserts []*Entry
	// Deletes are source IDs.
	Deletes []string
	// State, when set, replaces the source's sync state.
	State *State
	// Decisions, in a batch of their own, replace each pair's decision.
	Decisions []Decision
}

// FormatVersion is the version of what the stores write: records, states
// and their encoding. A store holding another version is rebuilt from the
// vendors, never read.
//
// Decisions did not change it: a store written before them simply holds
// none (no decisions bucket in the file, no decisions hash on Redis), which
// reads as it should. Unlike records, decisions cannot be read again from
// the vendors: the file keeps them when it drops its records (see
// File.Load), and a change of this version must carry Redis's decisions
// hash (whose key holds the version) over to the new keys.
const FormatVersion = 1

// State is where one source's sync stands.
type State struct {
	// Complete: a full pass has ended, so the copy holds every record.
	Complete bool `json:"complete"`
	// FreshAt is when the last successful pass began: no record served is
	// older than this.
	FreshAt time.Time `json:"freshAt"`
	// SyncedAt is when the last successful pass ended.
	SyncedAt time.Time `json:"syncedAt"`
	// FullAt is when the last full pass that ended began.
	FullAt time.Time `json:"fullAt"`
	// Marker is the newest change marker seen (U8 timestamp, CRM
	// updated_at), where the next incremental pass starts.
	Marker string `json:"marker,omitempty"`
	// Resume is a full pass under way: a syncer (this replica after a
	// restart, or another) goes on from its next page.
	Resume *Resume `json:"resume,omitempty"`
}

// Resume is the position of a full pass under way.
type Resume struct {
	// Page is the next page to read (1-based), of PageSize records.
	Page     int       `json:"page"`
	PageSize int       `json:"pageSize"`
	Started  time.Time `json:"started"`
	// Marker is where the incremental passes after this one start (see
	// syncer.full).
	Marker string `json:"marker,omitempty"`
}

// olderThan reports whether s is older than cur, the state the copy
// holds. A follower on a shared store may apply again batches its
// snapshot already held (the snapshot can be newer than the change log's
// position it follows from); their states must not take the copy back to
// an unfinished first pass (SYNCING) or to an older freshness. A syncer
// never commits such a state: a pass starts from the state before it.
func (s *State) olderThan(cur *State) bool {
	return cur != nil && ((cur.Complete && !s.Complete) || s.FreshAt.Before(cur.FreshAt))
}

func (s *State) clone() *State {
	if s == nil {
		return &State{}
	}
	c := *s
	if s.Resume != nil {
		r := *s.Resume
		c.Resume = &r
	}
	return &c
}

// memory is the Store of demo mode and of a directory with no data
// directory: it keeps nothing across restarts (decisions included: the
// Directory holds them in memory alone).
type memory struct{}

func (memory) Load(context.Context) (*Snapshot, error) {
	return &Snapshot{Entries: map[customer.Source][]*Entry{}, States: map[customer.Source]*State{}}, nil
}
func (memory) Commit(context.Context, *Batch) error { return nil }
func (memory) Close() error                         { return nil }

// Memory returns a Store that keeps nothing: the directory lives in
// memory only and is synced afresh after every start.
func Memory() Store { return memory{} }
