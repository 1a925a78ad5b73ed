package directory

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"custgraph/internal/customer"
)

// crmOverlap is how far back of its marker an incremental CRM pass reads:
// the CRM stamps updated_at to the minute, so records changed in the
// marker's minute (and a little clock drift) are read again rather than
// missed.
const crmOverlap = 2 * time.Minute

// maxConfirm bounds the by-key reads one full pass spends confirming that
// records it did not see were deleted; the rest wait for the next pass.
const maxConfirm = 100

// syncer keeps one source's copy: a full pass at first (and periodically,
// and on every pass of YCM, which has no change filter), then passes over
// what changed since the last one.
type syncer struct {
	d        *Directory
	src      customer.Source
	vendor   Vendor
	size     int
	pace     time.Duration
	counters *Counters

	lastCall time.Time
	retryAt  time.Time
	// own is the state this syncer last committed while it held the
	// lease. With a shared store the copy learns of a commit only when the
	// change stream brings it back, and a syncer that read the copy's
	// state at once would see its own pass unfinished and run it again.
	own *State
}

// state is where the source's sync stands for this syncer: what it last
// committed itself, else the copy's.
func (s *syncer) state() *State {
	if s.own != nil {
		return s.own.clone()
	}
	return s.d.state(s.src)
}

// commit writes a batch and remembers the state it carries.
func (s *syncer) commit(ctx context.Context, b *Batch) error {
	if err := s.d.commit(ctx, b); err != nil {
		return err
	}
	if b.State != nil {
		s.own = b.State.clone()
	}
	return nil
}

func (s *syncer) now() time.Time { return s.d.o.Now() }

// run syncs the source until ctx ends: while this replica holds the
// source's lease (always, with a store of its own).
func (s *syncer) run(ctx context.Context) {
	shared := s.d.shared
	ttl := s.d.o.LeaseTTL
	defer func() {
		if shared != nil && s.counters.Syncing.Load() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			_ = shared.Release(rctx, s.src)
		}
		s.counters.Syncing.Store(false)
	}()
	for ctx.Err() == nil {
		if shared != nil {
			held, err := shared.Acquire(ctx, s.src, ttl)
			if err != nil || !held {
				// Another replica syncs: its commits, not ours, say
				// where the sync stands from now on.
				s.own = nil
				s.counters.Syncing.Store(false)
				sleep(ctx, ttl/3)
				continue
			}
		}
		s.counters.Syncing.Store(true)
		wait := s.due().Sub(s.now())
		if wait > 0 {
			// The due time is on the directory's clock (Options.Now),
			// which need not be the timer's: look at it again at least
			// every second, and in time to renew a shared lease.
			wait = min(wait, time.Second)
			if shared != nil {
				wait = min(wait, ttl/3)
			}
			sleep(ctx, wait)
			continue
		}
		s.passOnce(ctx)
	}
}

// due is when the next pass should start.
func (s *syncer) due() time.Time {
	st := s.state()
	next := time.Time{}
	if st.Complete && st.Resume == nil {
		next = st.SyncedAt.Add(s.d.o.Interval)
	}
	if s.retryAt.After(next) {
		next = s.retryAt
	}
	return next
}

// passOnce runs one pass, keeping the lease while it runs when shared.
func (s *syncer) passOnce(ctx context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if shared := s.d.shared; shared != nil {
		keeper := make(chan struct{})
		defer close(keeper)
		go func() {
			t := time.NewTicker(s.d.o.LeaseTTL / 3)
			defer t.Stop()
			for {
				select {
				case <-keeper:
					return
				case <-ctx.Done():
					return
				case <-t.C:
					if held, err := shared.Acquire(ctx, s.src, s.d.o.LeaseTTL); err == nil && !held {
						cancel(errLeaseLost)
						return
					}
				}
			}
		}()
	}
	st := s.state()
	full := st.Resume != nil || !st.Complete || s.src == customer.YCM || s.now().Sub(st.FullAt) >= s.d.o.FullInterval
	kind := "changes"
	if full {
		kind = "full"
	}
	bg := s.d.o.Background(ctx)
	var err error
	if full {
		err = s.full(bg, st)
	} else {
		err = s.changes(bg, st)
	}
	if err != nil {
		if ctx.Err() != nil && context.Cause(ctx) != errLeaseLost {
			return // shutting down
		}
		s.counters.pass(kind, "failed")
		s.retryAt = s.now().Add(s.d.o.Interval)
		// customer errors are client-safe by construction: no URL, no
		// secret.
		s.d.o.Log.Warn("directory: sync pass failed; the last good copy keeps serving", "source", s.src, "pass", kind, "err", customer.AsError(err).Message)
		return
	}
	s.counters.pass(kind, "ok")
	s.retryAt = time.Time{}
}

// list reads one page for the sync, at the sync's pace.
func (s *syncer) list(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	if err := s.call(ctx); err != nil {
		return nil, err
	}
	return s.vendor.List(ctx, q)
}

// call waits for the sync's pace and counts one vendor call.
func (s *syncer) call(ctx context.Context) error {
	if s.pace > 0 {
		sleep(ctx, time.Until(s.lastCall.Add(s.pace)))
		s.lastCall = time.Now()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.counters.Calls.Add(1)
	return nil
}

// full reads every page of the source, going on from a pass under way,
// and at its end deletes what the pass did not see (when it saw every
// page itself) once the vendor confirms it gone.
func (s *syncer) full(ctx context.Context, st *State) error {
	r := st.Resume
	if r == nil || r.PageSize <= 0 {
		r = &Resume{Page: 1, PageSize: s.size, Started: s.now()}
		if s.src == customer.CRM {
			// The newest change as the pass begins: where the next
			// incremental pass starts, since the pass itself walks in
			// another order.
			p, err := s.list(ctx, customer.ListQuery{Page: 1, PageSize: 1, NewestFirst: true})
			if err != nil {
				return err
			}
			r.Marker = maxMarker(s.src, "", p.Customers)
		}
	}
	// Only a pass that saw every page itself knows what is missing.
	var seen map[string]bool
	if r.Page == 1 {
		seen = map[string]bool{}
	}
	for page := r.Page; ; page++ {
		p, err := s.list(ctx, customer.ListQuery{Page: page, PageSize: r.PageSize})
		if err != nil {
			return err
		}
		if s.src == customer.U8 && page == 1 {
			// U8's timestamps grow with every change, so the largest
			// on the first page read is no later than the newest change
			// when the pass began: from it, the next incremental pass
			// misses nothing that changed during this one.
			r.Marker = maxMarker(s.src, "", p.Customers)
		}
		ups := s.changed(p.Customers)
		for _, c := range p.Customers {
			if seen != nil {
				seen[c.SourceID] = true
			}
		}
		last := len(p.Customers) == 0 || len(p.Customers) < r.PageSize || !p.HasMore()
		next := st.clone()
		if !last {
			nr := *r
			nr.Page = page + 1
			next.Resume = &nr
			if err := s.commit(ctx, &Batch{Source: s.src, Upserts: ups, State: next}); err != nil {
				return err
			}
			continue
		}
		var dels []string
		if seen != nil {
			var more []*Entry
			dels, more, err = s.confirmGone(ctx, seen)
			if err != nil {
				return err
			}
			ups = append(ups, more...)
		}
		next.Complete, next.Resume = true, nil
		next.FreshAt, next.FullAt, next.SyncedAt = r.Started, r.Started, s.now()
		next.Marker = laterMarker(s.src, st.Marker, r.Marker)
		return s.commit(ctx, &Batch{Source: s.src, Upserts: ups, Deletes: dels, State: next})
	}
}

// confirmGone finds the records of the copy a full pass did not see and
// asks the vendor for each (at most maxConfirm per pass): the gone are
// deleted; the ones still there (a page shifted under the pass) are
// refreshed.
func (s *syncer) confirmGone(ctx context.Context, seen map[string]bool) (gone []string, found []*Entry, err error) {
	var missing []string
	s.d.index().Each(s.src, func(e *Entry) bool {
		if !seen[e.C.SourceID] {
			missing = append(missing, e.C.SourceID)
		}
		return len(missing) < maxConfirm
	})
	for _, id := range missing {
		if err := s.call(ctx); err != nil {
			return nil, nil, err
		}
		c, err := s.vendor.Get(s.d.o.Fresh(ctx), id)
		switch {
		case customer.IsNotFound(err):
			gone = append(gone, id)
		case err != nil:
			return nil, nil, err
		default:
			found = append(found, s.changed([]*customer.Customer{c})...)
		}
	}
	return gone, found, nil
}

// changes reads what changed since the last pass: U8 by timestamp (or
// ModifyDate, by day, where U8 gives no timestamps), the CRM newest first
// until the pages are older than the marker. YCM never comes here.
func (s *syncer) changes(ctx context.Context, st *State) error {
	started := s.now()
	marker := st.Marker
	var ups []*Entry
	total := -1 // the vendor's count of every record, when known
	for page := 1; ; page++ {
		q := customer.ListQuery{Page: page, PageSize: s.size}
		switch {
		case s.src == customer.CRM:
			q.NewestFirst = true
		case st.Marker != "":
			q.TimestampFrom = st.Marker
		default:
			since := st.FreshAt
			q.Filter.UpdatedSince = &since
		}
		p, err := s.list(ctx, q)
		if err != nil {
			return err
		}
		cs := p.Customers
		older := false
		if s.src == customer.CRM {
			// Newest first, unfiltered: the total is every record's.
			if page == 1 && !p.Estimated {
				total = p.Total
			}
			cs, older = s.since(cs, st.Marker)
		}
		ups = append(ups, s.changed(cs)...)
		marker = laterMarker(s.src, marker, maxMarker(s.src, "", cs))
		if older || len(p.Customers) == 0 || len(p.Customers) < s.size || !p.HasMore() {
			break
		}
		if len(ups) >= 1000 {
			// Long runs of changes are written as they come, so that a
			// failure does not lose them.
			if err := s.d.commit(ctx, &Batch{Source: s.src, Upserts: ups}); err != nil {
				return err
			}
			ups = nil
		}
	}
	next := st.clone()
	next.FreshAt, next.SyncedAt, next.Marker = started, s.now(), marker
	if s.fewer(ctx, total, ups) {
		// Only a full pass finds what was deleted (no vendor lists its
		// deletions): the next pass is one, rather than a day later.
		next.FullAt = time.Time{}
		s.d.o.Log.Info("directory: the vendor counts fewer records than the copy holds; the next pass reads it in full to find what was deleted", "source", s.src)
	}
	return s.commit(ctx, &Batch{Source: s.src, Upserts: ups, State: next})
}

// fewer reports whether the vendor holds fewer records than the copy will
// once ups are in it: records were deleted. total is the vendor's count
// of every record (-1: unknown; U8's is asked for here, one call of one
// row). A record created and another deleted between two passes leave the
// count as it was: those deletions wait for the periodic full pass.
func (s *syncer) fewer(ctx context.Context, total int, ups []*Entry) bool {
	if s.src == customer.U8 {
		if err := s.call(ctx); err != nil {
			return false
		}
		p, err := s.vendor.List(ctx, customer.ListQuery{Page: 1, PageSize: 1})
		if err != nil || p.Estimated {
			return false
		}
		total = p.Total
	}
	if total < 0 {
		return false
	}
	idx := s.d.index()
	held := idx.Len(s.src)
	for _, e := range ups {
		if _, ok := idx.Get(Key{Source: s.src, ID: e.C.SourceID}); !ok {
			held++
		}
	}
	return total < held
}

// since keeps the CRM records changed at or after marker less the
// overlap; older reports that the page reached older records, so no page
// after it holds a change.
func (s *syncer) since(cs []*customer.Customer, marker string) (kept []*customer.Customer, older bool) {
	m, err := time.Parse(time.RFC3339, marker)
	if err != nil {
		return cs, false
	}
	cut := m.Add(-crmOverlap)
	for _, c := range cs {
		if t := c.UpdatedAt; t != nil && t.Before(cut) {
			older = true
			continue
		}
		kept = append(kept, c)
	}
	return kept, older
}

// changed returns entries for the records that differ from the copy's
// (or are new to it), stamped with the time they were synced. Records are
// copied (compactly: see compact), since the vendor client's caches may
// hold the same values.
func (s *syncer) changed(cs []*customer.Customer) []*Entry {
	idx := s.d.index()
	now := s.now()
	var out []*Entry
	for _, c := range cs {
		if c == nil {
			continue
		}
		h := contentHash(c)
		if e, ok := idx.Get(Key{Source: s.src, ID: c.SourceID}); ok && e.Marker == h {
			continue
		}
		cc := *c
		cc.SyncedAt = &now
		out = append(out, &Entry{C: compact(&cc), Marker: h})
	}
	return out
}

// contentHash is what a record's values hash to, without SyncedAt: equal
// hashes are the same record, so a pass writes only what changed, and a
// write is keyed by source, ID and content (idempotent).
func contentHash(c *customer.Customer) string {
	cc := *c
	cc.SyncedAt = nil
	b, _ := json.Marshal(&cc)
	h := fnv.New64a()
	_, _ = h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

// maxMarker is the newest change marker of cs later than from: U8's
// timestamp, the CRM's updated_at (RFC 3339).
func maxMarker(src customer.Source, from string, cs []*customer.Customer) string {
	m := from
	for _, c := range cs {
		m = laterMarker(src, m, markerOf(src, c))
	}
	return m
}

func markerOf(src customer.Source, c *customer.Customer) string {
	switch src {
	case customer.U8:
		if c.U8 != nil && c.U8.Timestamp != nil {
			return strings.TrimSpace(*c.U8.Timestamp)
		}
	case customer.CRM:
		if c.UpdatedAt != nil {
			return c.UpdatedAt.UTC().Format(time.RFC3339)
		}
	}
	return ""
}

// laterMarker returns the later of two markers ("" is earliest). U8
// timestamps are decimal numbers of any length; RFC 3339 times in UTC
// compare as strings.
func laterMarker(src customer.Source, a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	if src == customer.U8 {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) > len(b) {
				return a
			}
			return b
		}
	}
	if b > a {
		return b
	}
	return a
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
