// Package directory is custgraph's synced copy of every source's
// customers. A syncer per source reads the vendor's own list endpoint in
// the background (through the same guarded clients, quota, breaker and
// metrics as live requests, but behind them in the quota), keeps the
// records in a Store (a file by default, Redis when replicas share), and
// an in-memory Index answers what no vendor can: search and order across
// sources, phone lookups, exact names and by-key reads with no call.
package directory

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/identity"
)

// Vendor is what the directory needs of a source's client: its list pages
// and its records by key (to confirm that a record missing from a full
// pass was deleted).
type Vendor interface {
	customer.Lister
	customer.Getter
}

// Options configures a Directory. Zero values take the defaults.
type Options struct {
	// Vendors are the enabled sources' clients (guarded).
	Vendors map[customer.Source]Vendor
	// Store keeps the copy; nil keeps it in memory only. A Shared store
	// makes replicas share one copy and one syncer per source.
	Store Store
	// Interval is how often each source is asked what changed (default
	// 30 s).
	Interval time.Duration
	// FullInterval is how often U8 and the CRM are read in full, to see
	// deletions (default 24 h). YCM has no change filter: every pass of
	// YCM is a full one.
	FullInterval time.Duration
	// MaxAge is how old a source's copy may be (the time since its last
	// successful pass began) and still be served; older, it is STALE
	// (default 10 min).
	MaxAge time.Duration
	// PageSizes are the list page sizes per source (default U8 500, YCM
	// 50, CRM 100: each vendor's largest).
	PageSizes map[customer.Source]int
	// Pace bounds the sync's own calls per source where the vendor has no
	// quota the gateway keeps (YCM): at most one call per Pace (default
	// YCM 100 ms; 0 elsewhere).
	Pace map[customer.Source]time.Duration
	// LeaseTTL is how long a shared syncer's lease lasts unrenewed
	// (default 15 s): how soon another replica takes over a dead one.
	LeaseTTL time.Duration
	// Fresh, when set, marks a context under which a by-key read skips
	// every cache (a deletion is confirmed by the vendor itself).
	Fresh func(context.Context) context.Context
	// Background marks a context whose calls yield the vendors' quotas to
	// live requests.
	Background func(context.Context) context.Context
	// Log receives sync failures and resets.
	Log *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Loaded, when set, is called once the store's copy is in the index
	// (the gateway gives the garbage of a large load back to the system).
	Loaded func()
}

func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.FullInterval <= 0 {
		o.FullInterval = 24 * time.Hour
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 10 * time.Minute
	}
	sizes := map[customer.Source]int{customer.U8: 500, customer.YCM: 50, customer.CRM: 100}
	for k, v := range o.PageSizes {
		if v > 0 {
			sizes[k] = v
		}
	}
	o.PageSizes = sizes
	pace := map[customer.Source]time.Duration{customer.YCM: 100 * time.Millisecond}
	for k, v := range o.Pace {
		pace[k] = v
	}
	o.Pace = pace
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.Store == nil {
		o.Store = Memory()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Fresh == nil {
		o.Fresh = func(ctx context.Context) context.Context { return ctx }
	}
	if o.Background == nil {
		o.Background = func(ctx context.Context) context.Context { return ctx }
	}
	return o
}

// Directory is the synced copy. It satisfies customer.Directory.
type Directory struct {
	o      Options
	idx    *Index
	ids    *identity.Index // identity resolution over the copy (links.go)
	shared Shared          // nil when the store is this replica's own

	mu     sync.RWMutex
	states map[customer.Source]*State
	// loaded is closed once the store's snapshot is in the index.
	loaded chan struct{}

	counters map[customer.Source]*Counters
}

var _ customer.Directory = (*Directory)(nil)

// Counters count one source's sync work, for /metrics.
type Counters struct {
	// Passes by kind ("full", "changes") and outcome ("ok", "failed").
	passes sync.Map // string → *atomic.Int64
	// Calls are the vendor calls the sync made.
	Calls atomic.Int64
	// Syncing is 1 while this replica syncs the source (holds its lease).
	Syncing atomic.Bool
}

// Passes returns the passes of kind with outcome so far.
func (c *Counters) Passes(kind, outcome string) int64 {
	if v, ok := c.passes.Load(kind + "/" + outcome); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (c *Counters) pass(kind, outcome string) {
	v, _ := c.passes.LoadOrStore(kind+"/"+outcome, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// New returns a Directory over o; Run loads and syncs it.
func New(o Options) *Directory {
	o = o.withDefaults()
	d := &Directory{o: o, idx: NewIndex(), ids: identity.New(), states: map[customer.Source]*State{}, loaded: make(chan struct{}),
		counters: map[customer.Source]*Counters{}}
	d.shared, _ = o.Store.(Shared)
	for src := range o.Vendors {
		d.counters[src] = &Counters{}
	}
	return d
}

// Synced lists the sources the directory syncs.
func (d *Directory) Synced() []customer.Source {
	var out []customer.Source
	for _, src := range customer.AllSources {
		if _, ok := d.o.Vendors[src]; ok {
			out = append(out, src)
		}
	}
	return out
}

// Passes counts src's sync passes of kind ("full", "changes") with
// outcome ("ok", "failed") on this replica.
func (d *Directory) Passes(src customer.Source, kind, outcome string) int64 {
	if c := d.counters[src]; c != nil {
		return c.Passes(kind, outcome)
	}
	return 0
}

// SyncCalls counts the vendor calls src's sync made on this replica.
func (d *Directory) SyncCalls(src customer.Source) int64 {
	if c := d.counters[src]; c != nil {
		return c.Calls.Load()
	}
	return 0
}

// Syncing reports whether this replica syncs src now.
func (d *Directory) Syncing(src customer.Source) bool {
	c := d.counters[src]
	return c != nil && c.Syncing.Load()
}

// Run loads the store's copy, then keeps every source synced (and, when
// shared, follows the other replicas' changes) until ctx ends.
func (d *Directory) Run(ctx context.Context) {
	snap, err := d.o.Store.Load(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.o.Log.Error("directory: the store cannot be read; starting empty", "err", err)
		}
		snap = &Snapshot{Entries: map[customer.Source][]*Entry{}, States: map[customer.Source]*State{}}
	}
	if snap.Reset != "" {
		d.o.Log.Warn("directory: the stored copy was dropped and is read again from the vendors", "why", snap.Reset)
	}
	d.install(snap, d.o.Loaded)
	close(d.loaded)

	var wg sync.WaitGroup
	if d.shared != nil {
		wg.Go(func() {
			err := d.shared.Follow(ctx, snap, d.apply, func(s *Snapshot) { d.install(s, nil) })
			if err != nil && ctx.Err() == nil {
				d.o.Log.Error("directory: following the shared changes stopped", "err", err)
			}
		})
	}
	for src, v := range d.o.Vendors {
		s := &syncer{d: d, src: src, vendor: v, size: d.o.PageSizes[src], pace: d.o.Pace[src], counters: d.counters[src]}
		wg.Go(func() { s.run(ctx) })
	}
	wg.Wait()
}

// install replaces the whole copy with a snapshot. built, when set, is
// called once the index is built and before the copy is served (and
// READY), so that what it does (the gateway frees the load's garbage) is
// done by then.
func (d *Directory) install(snap *Snapshot, built func()) {
	// One Apply: the index builds its base once, in bulk, rather than
	// rebuilding it at every batch as its delta grows.
	var all []*Entry
	for _, src := range customer.AllSources {
		all = append(all, snap.Entries[src]...)
	}
	idx := NewIndex()
	idx.Apply(all, nil)
	d.linkAll(all)
	if built != nil {
		built()
	}
	d.mu.Lock()
	d.idx = idx
	d.states = map[customer.Source]*State{}
	for src, st := range snap.States {
		d.states[src] = st.clone()
	}
	d.mu.Unlock()
}

// apply brings one committed batch into the copy.
func (d *Directory) apply(b *Batch) {
	keys := make([]Key, len(b.Deletes))
	for i, id := range b.Deletes {
		keys[i] = Key{Source: b.Source, ID: id}
	}
	d.mu.Lock()
	idx := d.idx
	idx.Apply(b.Upserts, keys)
	d.linkBatch(b)
	if b.State != nil {
		d.states[b.Source] = b.State.clone()
	}
	d.mu.Unlock()
	if b.State != nil && b.State.Resume == nil {
		// A pass ended: fold what it brought into the index's base, so
		// that queries do not scan its records one by one.
		idx.Compact(compactAt)
	}
}

// compactAt is the least number of records a pass must have changed for
// its end to rebuild the index's base (a rebuild costs about a second per
// 100,000 records; scanning a thousand changed records costs a query
// well under a millisecond).
const compactAt = 1000

// commit writes a batch to the store and, unless the store is shared
// (whose changes come back through Follow), into the copy.
func (d *Directory) commit(ctx context.Context, b *Batch) error {
	if err := d.o.Store.Commit(ctx, b); err != nil {
		return err
	}
	if d.shared == nil {
		d.apply(b)
	}
	return nil
}

func (d *Directory) index() *Index {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.idx
}

func (d *Directory) state(src customer.Source) *State {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.states[src].clone()
}

// Status implements customer.Directory.
func (d *Directory) Status(src customer.Source) customer.DirectoryStatus {
	if _, ok := d.o.Vendors[src]; !ok {
		return customer.DirectoryStatus{State: customer.DirectoryOff}
	}
	st := d.state(src)
	out := customer.DirectoryStatus{State: customer.DirectorySyncing, Records: d.index().Len(src)}
	if !st.SyncedAt.IsZero() {
		at := st.SyncedAt
		lag := d.o.Now().Sub(st.FreshAt).Seconds()
		out.LastSyncedAt, out.LagSeconds = &at, &lag
	}
	switch {
	case !st.Complete:
	case d.o.Now().Sub(st.FreshAt) > d.o.MaxAge:
		out.State = customer.DirectoryStale
	default:
		out.State = customer.DirectoryReady
	}
	return out
}

// Ready reports whether every synced source's copy is READY: what a
// replica's /readyz may wait for.
func (d *Directory) Ready() bool {
	for src := range d.o.Vendors {
		if !d.Status(src).Serving() {
			return false
		}
	}
	return true
}

// Record implements customer.Directory.
func (d *Directory) Record(src customer.Source, key string) (*customer.Customer, bool) {
	if !d.Status(src).Serving() {
		return nil, false
	}
	e, ok := d.index().Get(Key{Source: src, ID: key})
	if !ok {
		// Not "known missing": the record may have been created since the
		// last pass, and one call for a key the copy lacks costs little.
		return nil, false
	}
	return e.C, true
}

// Named implements customer.Directory.
func (d *Directory) Named(src customer.Source, name string) ([]*customer.Customer, bool) {
	if !d.Status(src).Serving() {
		return nil, false
	}
	return d.index().Named(src, name), true
}

// ByPhone implements customer.Directory: the sources given must be
// serving (the service checks).
func (d *Directory) ByPhone(_ context.Context, p customer.Phone164, sources []customer.Source) ([]*customer.Customer, error) {
	return d.index().ByPhone(p, sources), nil
}

// cursor is the opaque position of a directory list: the sort key of the
// last record served, for the question it was served for.
type cursor struct {
	V int    `json:"v"`
	F string `json:"f"`
	K []byte `json:"k"`
}

// cursorVersion tells directory cursors from the live list's (version 1).
const cursorVersion = 2

// List implements customer.Directory: keyset pages in one order across
// the sources, stable while the sync changes the copy.
func (d *Directory) List(_ context.Context, q customer.DirectoryQuery) (*customer.Connection, error) {
	if q.Order.Field == "" {
		q.Order.Field = customer.OrderName
	}
	fp := fingerprint(q)
	var after []byte
	if q.After != "" {
		c := &cursor{}
		b, err := base64.RawURLEncoding.DecodeString(q.After)
		if err != nil || json.Unmarshal(b, c) != nil || c.V != cursorVersion || len(c.K) == 0 {
			return nil, customer.BadInputf("invalid cursor: pass endCursor or an edge's cursor unchanged")
		}
		if c.F != fp {
			return nil, customer.BadInputf("cursor was issued for other sources, another filter or another order")
		}
		after = c.K
	}
	res := d.index().Query(Query{Sources: q.Sources, Filter: q.Filter, Order: q.Order, After: after, First: q.First})
	conn := &customer.Connection{PageInfo: customer.PageInfo{HasNextPage: res.More}}
	total := res.Total
	conn.TotalCount = &total
	encode := func(k []byte) string {
		b, _ := json.Marshal(cursor{V: cursorVersion, F: fp, K: k})
		return base64.RawURLEncoding.EncodeToString(b)
	}
	conn.Edges = make([]customer.Edge, len(res.Entries))
	for i, e := range res.Entries {
		k := res.Keys[i]
		conn.Edges[i] = customer.EdgeWith(e.C, func() string { return encode(k) })
	}
	if n := len(res.Keys); n > 0 {
		end := encode(res.Keys[n-1])
		conn.PageInfo.EndCursor = &end
	} else if q.After != "" {
		end := q.After
		conn.PageInfo.EndCursor = &end
	}
	return conn, nil
}

// fingerprint identifies a list question, so that a cursor is not reused
// with other sources, another filter or another order.
func fingerprint(q customer.DirectoryQuery) string {
	h := fnv.New64a()
	srcs := append([]customer.Source(nil), q.Sources...)
	sort.Slice(srcs, func(i, j int) bool { return srcs[i] < srcs[j] })
	for _, s := range srcs {
		fmt.Fprintf(h, "%s|", s)
	}
	f := q.Filter
	fmt.Fprintf(h, "%q|%q|%q|%q|%s|%t|", f.Name, f.CodeFrom, f.CodeTo, f.Search, q.Order.Field, q.Order.Desc)
	if f.UpdatedSince != nil {
		fmt.Fprint(h, f.UpdatedSince.UnixNano())
	}
	return fmt.Sprintf("%x", h.Sum64())
}

// WaitLoaded waits until the store's copy is loaded (or ctx ends).
func (d *Directory) WaitLoaded(ctx context.Context) error {
	select {
	case <-d.loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errLeaseLost ends a pass whose syncer no longer holds the lease.
var errLeaseLost = errors.New("the sync lease passed to another replica")

// Close closes the store; Run must have ended.
func (d *Directory) Close() error { return d.o.Store.Close() }
