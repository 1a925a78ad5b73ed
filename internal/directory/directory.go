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
	// OnDecision, when set, is called with every link decision once it
	// is applied to the copy (after Decision and DecisionsOf return it):
	// each decision of the store's snapshot when it is installed (at
	// start, and when a shared copy is read again), then each decision
	// committed, by this replica or another, in commit order. It is
	// called from one goroutine at a time, and must not call Decide.
	OnDecision func(Decision)
	// OnChange, when set, is called with the records each applied batch
	// created, changed or deleted, on every replica (a shared store's
	// batches come through Follow), each source's in commit order (calls
	// for different sources may come at once); it must not wait. A source's changes are told only once its copy is
	// complete: its first full pass, which creates every record, is a
	// load, not a change. A reload of a shared snapshot tells what it
	// changed in the copy. See changes.go.
	OnChange func([]*customer.Change)
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
	// loadedOnce holds the sources whose copy has been complete: their
	// changes are told (changes.go).
	loadedOnce map[customer.Source]bool
	// decisions are people's link decisions, the last on each pair;
	// decided indexes their pairs by record (both ends), for DecisionsOf.
	decisions map[pair]Decision
	decided   map[Key][]pair
	// waiters are Decide calls on a shared store waiting for their
	// decision to come back through Follow.
	waiters map[pair][]*decisionWaiter
	// deciding serializes the commit and the apply of decisions on a
	// store of this replica's own (so that they are applied, and
	// OnDecision called, in commit order), and the OnDecision calls.
	deciding sync.Mutex
	// loaded is closed once the store's snapshot is in the index.
	loaded chan struct{}
	// rewarm asks for the identity index to be warmed again (after a
	// reload replaced it); buffered, so asking never waits.
	rewarm chan struct{}

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
	d := &Directory{o: o, idx: NewIndex(), ids: identity.New(), rewarm: make(chan struct{}, 1), states: map[customer.Source]*State{}, loaded: make(chan struct{}),
		loadedOnce: map[customer.Source]bool{},
		counters:   map[customer.Source]*Counters{},
		decisions:  map[pair]Decision{}, decided: map[Key][]pair{}, waiters: map[pair][]*decisionWaiter{}}
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
	// The identity index resolves every record's links in the
	// background, so that a page's links are read, not computed: after
	// this load, and after every reload of a shared snapshot.
	wg.Go(func() {
		for {
			d.ids.Warm(ctx)
			select {
			case <-ctx.Done():
				return
			case <-d.rewarm:
			}
		}
	})
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
	d.deciding.Lock()
	defer d.deciding.Unlock()
	select {
	case d.rewarm <- struct{}{}:
	default:
	}
	d.mu.Lock()
	changes := d.reloaded(d.idx, idx, snap)
	defer d.tell(changes)
	d.idx = idx
	d.states = map[customer.Source]*State{}
	for src, st := range snap.States {
		d.states[src] = st.clone()
	}
	d.noteComplete()
	d.decisions, d.decided = map[pair]Decision{}, map[Key][]pair{}
	decs, woken := d.setDecisions(snap.Decisions)
	d.mu.Unlock()
	d.notify(decs, woken)
}

// apply brings one committed batch into the copy.
func (d *Directory) apply(b *Batch) {
	if len(b.Decisions) > 0 {
		d.deciding.Lock()
		defer d.deciding.Unlock()
		d.applyDecisions(b.Decisions)
		return
	}
	keys := make([]Key, len(b.Deletes))
	for i, id := range b.Deletes {
		keys[i] = Key{Source: b.Source, ID: id}
	}
	d.mu.Lock()
	idx := d.idx
	changes := d.changesOf(b, keys)
	idx.Apply(b.Upserts, keys)
	d.linkBatch(b)
	if b.State != nil && !b.State.olderThan(d.states[b.Source]) {
		d.states[b.Source] = b.State.clone()
		d.noteComplete()
	}
	d.mu.Unlock()
	d.tell(changes)
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
	if d.shared == nil && len(b.Decisions) > 0 {
		// Committed and applied under one lock: of two decisions on one
		// pair made at once, the copy keeps the one the store kept.
		d.deciding.Lock()
		defer d.deciding.Unlock()
		if err := d.o.Store.Commit(ctx, b); err != nil {
			return err
		}
		d.applyDecisions(b.Decisions)
		return nil
	}
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
		last := res.Keys[n-1]
		conn.PageInfo.SetEndCursor(func() string { return encode(last) })
	} else if after := q.After; after != "" {
		conn.PageInfo.SetEndCursor(func() string { return after })
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

// decisionWaiter is a Decide call on a shared store waiting for its
// decision to come back through Follow.
type decisionWaiter struct {
	dec  Decision
	done chan struct{}
}

// applyDecisions brings committed decisions into the copy, in order, and
// tells OnDecision; d.deciding is held.
func (d *Directory) applyDecisions(decs []Decision) {
	d.mu.Lock()
	applied, woken := d.setDecisions(decs)
	d.mu.Unlock()
	d.notify(applied, woken)
}

// setDecisions puts decs into the copy (a later one on a pair replaces
// the earlier); it returns those put (a store's value that is no valid
// decision is left out) and the Decide calls waiting for them, which it
// takes off the waiters. d.mu is held.
func (d *Directory) setDecisions(decs []Decision) (out []Decision, woken []*decisionWaiter) {
	out = make([]Decision, 0, len(decs))
	for _, dec := range decs {
		dec = dec.Normalize()
		if dec.Validate() != nil {
			continue
		}
		p := dec.pair()
		if _, ok := d.decisions[p]; !ok {
			d.decided[p.a] = append(d.decided[p.a], p)
			d.decided[p.b] = append(d.decided[p.b], p)
		}
		d.decisions[p] = dec
		out = append(out, dec)
		ws := d.waiters[p][:0]
		for _, w := range d.waiters[p] {
			if w.dec.equal(dec) {
				woken = append(woken, w)
			} else {
				ws = append(ws, w)
			}
		}
		if len(ws) == 0 {
			delete(d.waiters, p)
		} else {
			d.waiters[p] = ws
		}
	}
	return out, woken
}

// notify calls OnDecision with each decision applied, then lets the
// Decide calls that waited for them return; d.deciding is held, so the
// calls come one at a time, in the order applied.
func (d *Directory) notify(decs []Decision, woken []*decisionWaiter) {
	if d.o.OnDecision != nil {
		for _, dec := range decs {
			d.o.OnDecision(dec)
		}
	}
	for _, w := range woken {
		close(w.done)
	}
}

// Decide records a person's decision on two records of different
// sources: it replaces any earlier decision on the pair, persists in the
// store (and so survives restarts) and, on a shared store, reaches every
// replica. dec's keys may come in either order; a zero At is now. An
// invalid decision (one key empty, an unknown source, both keys of one
// source) is an error and nothing is written.
//
// Decide returns once the decision is in this replica's copy (Decision
// and DecisionsOf return it, and OnDecision has been told). With a store of this replica's own, the
// commit applies it at once. With a shared store the decision comes back
// through Follow, like every other replica's, and Decide waits for that
// (bounded by ctx) rather than applying it locally as well: Follow
// applies the decisions of every replica in commit order, and a local
// apply could land after a later decision on the same pair that Follow
// had already applied, leaving this replica on the older one. If ctx
// ends first the decision is committed all the same (and is applied
// when Follow brings it), and the error says so. Decide waits for the
// store's copy to be loaded first (see Run), so that loading cannot
// replace a decision already made.
func (d *Directory) Decide(ctx context.Context, dec Decision) error {
	if dec.At.IsZero() {
		dec.At = d.o.Now()
	}
	dec = dec.Normalize()
	if err := dec.Validate(); err != nil {
		return err
	}
	if err := d.WaitLoaded(ctx); err != nil {
		return err
	}
	b := &Batch{Decisions: []Decision{dec}}
	if d.shared == nil {
		return d.commit(ctx, b)
	}
	// Waiting before the commit: Follow may bring it back before Commit
	// returns.
	w := &decisionWaiter{dec: dec, done: make(chan struct{})}
	p := dec.pair()
	d.mu.Lock()
	d.waiters[p] = append(d.waiters[p], w)
	d.mu.Unlock()
	defer d.forget(p, w)
	if err := d.commit(ctx, b); err != nil {
		return err
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("directory: the decision is committed but not yet applied on this replica: %w", ctx.Err())
	}
}

// forget removes a waiter that was not woken.
func (d *Directory) forget(p pair, w *decisionWaiter) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ws := d.waiters[p]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(d.waiters, p)
	} else {
		d.waiters[p] = ws
	}
}

// Decision returns the decision on the pair a, b (in either order), if a
// person made one.
func (d *Directory) Decision(a, b Key) (Decision, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	dec, ok := d.decisions[pairOf(a, b)]
	return dec, ok
}

// DecisionsOf returns every decision on a pair that holds k, ordered by
// pair (A, then B).
func (d *Directory) DecisionsOf(k Key) []Decision {
	d.mu.RLock()
	ps := d.decided[k]
	out := make([]Decision, len(ps))
	for i, p := range ps {
		out[i] = d.decisions[p]
	}
	d.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if c := cmpKey(out[i].A, out[j].A); c != 0 {
			return c < 0
		}
		return cmpKey(out[i].B, out[j].B) < 0
	})
	return out
}
