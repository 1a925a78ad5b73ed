package customer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
)

// MaxFirst bounds `first` on customer lists.
const MaxFirst = 100

// ListRequest asks for one page of customers across sources.
type ListRequest struct {
	// Sources to read, in any order; empty means every enabled source.
	Sources []Source
	Filter  Filter
	// First is how many records, 1 to MaxFirst.
	First int
	// After is the cursor of the record to resume after ("" to start).
	After string
	// Order, when set, orders the list across sources; the directory
	// serves it (as it serves Filter.Search).
	Order *Order
}

// cursor is the opaque position of a walk over several sources: for each
// source the raw offset into its (vendor-filtered) list and whether it is
// exhausted, plus its last known total. F fingerprints the sources and
// filter the cursor was issued for.
type cursor struct {
	V int             `json:"v"`
	F string          `json:"f"`
	O map[Source]int  `json:"o,omitempty"`
	D map[Source]bool `json:"d,omitempty"`
	T map[Source]int  `json:"t,omitempty"`
	_ struct{}        `json:"-"`
}

const cursorVersion = 1

func (c *cursor) clone() *cursor {
	n := &cursor{V: c.V, F: c.F, O: map[Source]int{}, D: map[Source]bool{}, T: map[Source]int{}}
	for k, v := range c.O {
		n.O[k] = v
	}
	for k, v := range c.D {
		n.D[k] = v
	}
	for k, v := range c.T {
		n.T[k] = v
	}
	return n
}

func (c *cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, fingerprint string) (*cursor, error) {
	if s == "" {
		return (&cursor{V: cursorVersion, F: fingerprint}).clone(), nil
	}
	c := &cursor{}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, c) != nil || c.V != cursorVersion {
		return nil, BadInputf("invalid cursor: pass endCursor or an edge's cursor unchanged")
	}
	if c.F != fingerprint {
		return nil, BadInputf("cursor was issued for other sources or another filter")
	}
	for _, off := range c.O {
		if off < 0 {
			return nil, BadInputf("invalid cursor: pass endCursor or an edge's cursor unchanged")
		}
	}
	return c.clone(), nil
}

// fingerprint identifies a list question, so that a cursor is not reused
// with other sources or another filter.
func fingerprint(sources []Source, f Filter) string {
	h := fnv.New64a()
	for _, s := range sources {
		fmt.Fprintf(h, "%s|", s)
	}
	fmt.Fprintf(h, "%q|%q|%q|", f.Name, f.CodeFrom, f.CodeTo)
	if f.UpdatedSince != nil {
		fmt.Fprint(h, f.UpdatedSince.UnixNano())
	}
	return fmt.Sprintf("%x", h.Sum64())
}

// exactTotal reports whether src applies every condition of f itself, so
// that its total counts exactly the records custgraph will return.
func exactTotal(src Source, f Filter) bool {
	switch src {
	case U8:
		// name (keyword) and code range are U8's own; ModifyDate has day
		// granularity, so updatedSince is re-applied here.
		return f.UpdatedSince == nil
	default:
		// YCM has no filters; the CRM's query keyword also matches other
		// fields than the name, and it has no updated_at filter.
		return f.Name == "" && f.UpdatedSince == nil
	}
}

// listed is one record of a chunk with the raw offset that follows it.
type listed struct {
	c    *Customer
	next int
}

// chunk is what one source contributes to a page.
type chunk struct {
	recs  []listed
	next  int  // raw offset after everything examined
	done  bool // the source has nothing more
	total int  // vendor total, -1 when unknown
	err   error
}

// List returns one page of customers across the chosen sources. Sources
// that fail are left out of the page (their position does not advance) and
// reported in the returned errors; a bad request is the only reason for a
// nil Connection.
func (s *Service) List(ctx context.Context, r ListRequest) (*Connection, []error) {
	if r.First < 1 || r.First > MaxFirst {
		return nil, []error{BadInputf("first must be 1 to %d, got %d", MaxFirst, r.First)}
	}
	if r.Order != nil || r.Filter.Search != "" {
		return s.listDirectory(ctx, r)
	}
	sources, err := s.listSources(r.Sources)
	if err != nil {
		return nil, []error{err}
	}
	cur, err := decodeCursor(r.After, fingerprint(sources, r.Filter))
	if err != nil {
		return nil, []error{err}
	}

	var active []Source
	for _, src := range sources {
		if !cur.D[src] {
			active = append(active, src)
		}
	}
	// Every source with records left gets an equal share of the page;
	// the sources are read in parallel.
	chunks := map[Source]*chunk{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, src := range active {
		share := r.First / len(active)
		if i < r.First%len(active) {
			share++
		}
		if share == 0 {
			continue
		}
		if len(active) == 1 {
			// One source: read on this goroutine, whose stack has
			// already grown, rather than on a new one.
			chunks[src] = s.readChunk(ctx, src, cur.O[src], share, r.Filter)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := s.readChunk(ctx, src, cur.O[src], share, r.Filter)
			mu.Lock()
			chunks[src] = ch
			mu.Unlock()
		}()
	}
	wg.Wait()

	conn := &Connection{}
	var errs []error
	state := cur.clone()
	totalKnown := true
	// Totals first, so that every edge's cursor carries all of them.
	for _, src := range sources {
		switch ch := chunks[src]; {
		case ch == nil: // exhausted, or no share this page
			if _, ok := state.T[src]; !ok {
				totalKnown = false
			}
		case ch.err != nil:
			errs = append(errs, ch.err)
			totalKnown = false
		case ch.total >= 0:
			state.T[src] = ch.total
		default:
			delete(state.T, src)
			totalKnown = false
		}
	}
	// The page's edges in one allocation: appending them one by one
	// grew the slice five times for a page of 20 (issue 18).
	rows := 0
	for _, ch := range chunks {
		if ch != nil && ch.err == nil {
			rows += len(ch.recs)
		}
	}
	conn.Edges = make([]Edge, 0, rows)
	for _, src := range sources {
		ch := chunks[src]
		if ch == nil || ch.err != nil {
			continue
		}
		base := state.clone()
		for i, rec := range ch.recs {
			next, done := rec.next, base.D[src]
			if i == len(ch.recs)-1 {
				next, done = ch.next, ch.done
			}
			conn.Edges = append(conn.Edges, Edge{Node: rec.c, base: base, src: src, next: next, done: done})
		}
		state.O[src], state.D[src] = ch.next, ch.done
	}
	if totalKnown {
		sum := 0
		for _, src := range sources {
			sum += state.T[src]
		}
		conn.TotalCount = &sum
	}
	for _, src := range sources {
		if !state.D[src] {
			conn.PageInfo.HasNextPage = true
		}
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.SetEndCursor(conn.Edges[n-1].Cursor)
	} else if conn.PageInfo.HasNextPage {
		conn.PageInfo.SetEndCursor(state.encode)
	}
	return conn, errs
}

// listSources resolves and orders the sources of a list question.
func (s *Service) listSources(asked []Source) ([]Source, error) {
	if len(asked) == 0 {
		var out []Source
		for _, src := range AllSources {
			if s.Enabled(src) {
				out = append(out, src)
			}
		}
		return out, nil
	}
	seen := map[Source]bool{}
	var out []Source
	for _, src := range asked {
		if !s.Enabled(src) {
			return nil, disabled(src)
		}
		if !seen[src] {
			seen[src] = true
			out = append(out, src)
		}
	}
	sort.Slice(out, func(i, j int) bool { return order(out[i]) < order(out[j]) })
	return out, nil
}

func order(s Source) int {
	for i, src := range AllSources {
		if src == s {
			return i
		}
	}
	return len(AllSources)
}

// readChunk reads up to want matching records of src from raw offset off.
// It fetches the vendor pages the records should be on in parallel, and
// goes on page by page while custgraph's own filtering drops records, up
// to MaxScanPages pages.
func (s *Service) readChunk(ctx context.Context, src Source, off, want int, f Filter) *chunk {
	lister := s.lister(src)
	// When the vendor applies the whole filter, every record read is
	// returned, so one page that just covers the records wanted is
	// enough: asking for 20 rows instead of 100 makes the vendor's answer,
	// and decoding it, five times smaller. When custgraph filters itself,
	// full pages scan further per call.
	exact := exactTotal(src, f)
	ch := &chunk{next: off, total: -1}
	scanned := 0
	for len(ch.recs) < want && scanned < s.opts.MaxScanPages {
		size := s.opts.PageSizes[src]
		if exact {
			size = fitPage(ch.next, want-len(ch.recs), size)
		}
		first := ch.next/size + 1
		last := (ch.next+want-len(ch.recs)-1)/size + 1
		if n := first + s.opts.MaxScanPages - scanned - 1; last > n {
			last = n
		}
		pages := make([]*Page, last-first+1)
		errs := make([]error, len(pages))
		s.each(ctx, len(pages), func(ctx context.Context, i int) {
			pages[i], errs[i] = lister.List(ctx, ListQuery{Page: first + i, PageSize: size, Filter: f})
			s.observe(src, errs[i])
		})
		scanned += len(pages)
		for i, p := range pages {
			if errs[i] != nil {
				// A failed source contributes nothing to this page and
				// keeps its position, so nothing is skipped.
				return &chunk{next: off, total: -1, err: errs[i]}
			}
			if exact {
				ch.total = p.Total
			}
			base := (first + i - 1) * size
			for j := ch.next - base; j < len(p.Customers) && len(ch.recs) < want; j++ {
				ch.next = base + j + 1
				if f.Matches(p.Customers[j]) {
					ch.recs = append(ch.recs, listed{c: p.Customers[j], next: ch.next})
				}
			}
			lastPage := len(p.Customers) < size || base+len(p.Customers) >= p.Total
			if lastPage && ch.next >= base+len(p.Customers) {
				ch.done = true
				return ch
			}
			if len(ch.recs) >= want {
				break
			}
		}
	}
	return ch
}

// fitPage returns the smallest page size, from want up to max, whose one
// page holds the raw offsets [off, off+want); max when none does (the
// records then span pages of max). Cursors hold raw offsets, so any page
// size reads the same records.
func fitPage(off, want, max int) int {
	for size := want; size < max; size++ {
		if off/size == (off+want-1)/size {
			return size
		}
	}
	return max
}
