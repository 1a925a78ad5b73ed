// Package directory keeps custgraph's synced copy of every source's
// customers and answers from memory what no vendor can: search, pinyin
// order across sources, phone lookups and exact names.
package directory

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"custgraph/internal/customer"
)

// Key identifies a record: its source and its ID in that source.
type Key struct {
	Source customer.Source
	ID     string
}

// Entry is one record as the directory holds it. An Entry given to Apply
// is the index's from then on: neither it nor its Customer may change.
type Entry struct {
	C      *customer.Customer // C.SyncedAt is set by whoever builds the entry
	Marker string             // the vendor's change marker (U8 timestamp, CRM updated_at, YCM content hash)
}

// The design, for 100,000 records a source (300,000 in all) answered in
// well under 10 ms:
//
// Readers never wait. The index is an immutable snapshot behind an
// atomic pointer; Apply (one writer at a time) builds the next snapshot
// and swaps it in, so every question sees one state from start to end.
//
// A snapshot is a large immutable base, built in bulk, plus a small delta:
// the records upserted since the base was built, kept in each order as
// sorted slices (merged, not re-sorted, by each Apply), and a bitset of the
// base records replaced or deleted since ("dead"). When the delta passes
// a threshold (a quarter of the base, 4,096 to 16,384 records), Apply
// rebuilds the base synchronously: a merge of the base's surviving
// records with the delta, remapping the base's posting lists rather than
// re-reading 300,000 haystacks. No goroutine is started, so nothing can
// leak; the rare rebuild costs the writer alone (readers keep answering
// from the old snapshot), and amortized over the batches it is small
// (see the benchmarks).
//
// A base record's number (doc) is its position in NAME order. Every
// posting list is therefore already in NAME order: a search ordered by
// NAME walks the matches from the cursor and stops after First, and the
// exact Total is a population count, with no sort of the matches.
//
// Search runs on posting lists of the unigrams and bigrams (runes, not
// bytes) of each record's normalized haystack, whose fields are joined by
// a newline, which no normalized query holds, so that no n-gram spans two
// fields: a one- or two-character query's posting list is its exact
// answer. A longer query intersects the posting lists of all its bigrams
// and verifies the candidates with strings.Contains. A posting list is a
// sorted []uint32, or a bitset once it holds more than one record in 32
// (where a bitset is smaller); the digits and Latin letters of phones and
// emails make many such dense lists, and "科" alone matches a fifth of
// the records.
//
// UPDATED_AT order keeps the base's docs sorted by that key: a dense
// match set is read by walking it from the cursor and testing membership,
// a sparse one by selecting the page with a bounded heap.

// NewIndex returns an empty index.
func NewIndex() *Index {
	x := &Index{}
	x.cur.Store(&snap{b: &base{grams: map[uint64]*posting{}, hoff: []uint32{0}}})
	return x
}

// Index is the directory's in-memory index of every source's records.
// Its methods are safe for concurrent use; Apply calls are serialized.
type Index struct {
	cur atomic.Pointer[snap]
	wmu sync.Mutex // serializes Apply
}

// rec is an entry with everything the index derives from it, computed
// once, when the entry is applied.
type rec struct {
	e    *Entry
	key  Key
	src  uint8  // the source's position in customer.AllSources
	name []byte // the NAME order key
	upd  []byte // the UPDATED_AT order key
	hay  string // the normalized haystack: fields joined by '\n'
	// The haystack's fields come in three runs: those holding anything
	// but ASCII, hay[:wide]; those of ASCII holding more than digits,
	// hay[wide:text]; the digits alone (phones), hay[text:]. A search
	// reads only the runs it can match (see hayRun).
	wide, text uint32
	phones     []customer.Phone164
}

// srcIndex numbers the sources as customer.AllSources orders them (the
// tie-break after the name); an unknown source numbers 3, its own.
func srcIndex(s customer.Source) uint8 { return uint8(s.Ordinal()) }

// nsrc is the size of per-source arrays: the three sources and one slot
// for any other.
const nsrc = 4

// nameKey is the NAME order key: the collation key of the name, escaped
// (each 0x00 as 0x00 0xff) and ended by 0x00 0x01 so that a name which is
// a prefix of another still orders first whatever follows, then the
// source and the ID, which make the order total.
func nameKey(name string, src uint8, id string) []byte {
	k := customer.NameSortKey(name)
	out := make([]byte, 0, len(k)+len(k)/8+3+len(id))
	out = escape(out, k)
	return append(append(out, src), id...)
}

func escape(out, k []byte) []byte {
	for _, c := range k {
		out = append(out, c)
		if c == 0 {
			out = append(out, 0xff)
		}
	}
	return append(out, 0, 1)
}

// updKey is the UPDATED_AT order key: 0 for no time (the oldest), or 1
// and the time's seconds and nanoseconds, big-endian, then the source and
// the ID.
func updKey(c *customer.Customer, src uint8, id string) []byte {
	out := make([]byte, 14, 14+len(id))
	if t := c.UpdatedAt; t != nil {
		out[0] = 1
		binary.BigEndian.PutUint64(out[1:], uint64(t.Unix())^(1<<63))
		binary.BigEndian.PutUint32(out[9:], uint32(t.Nanosecond()))
	}
	out[13] = src
	return append(out, id...)
}

// newRec derives a rec from e. Its haystack holds the name, short name,
// contact names, emails (normalized) and the digits of every phone.
func newRec(e *Entry) *rec {
	c := e.C
	r := &rec{e: e, key: Key{c.Source, c.SourceID}, src: srcIndex(c.Source)}
	r.name = nameKey(c.Name, r.src, c.SourceID)
	r.upd = updKey(c, r.src, c.SourceID)

	var fields []string
	add := func(s string, digits bool) {
		if digits {
			s = customer.PhoneDigits(s)
		} else {
			s = customer.NormalizeText(s)
		}
		if s != "" && !slices.Contains(fields, s) {
			fields = append(fields, s)
		}
	}
	var phones []string
	addPhone := func(p *string) {
		if p != nil && *p != "" && !slices.Contains(phones, *p) {
			phones = append(phones, *p)
		}
	}
	add(c.Name, false)
	for _, p := range []*string{c.ShortName, c.ContactName, c.Email} {
		if p != nil {
			add(*p, false)
		}
	}
	for _, p := range c.Phones {
		addPhone(&p.Number)
	}
	if x := c.CRM; x != nil {
		if a := x.Address; a != nil {
			if a.Email != nil {
				add(*a.Email, false)
			}
			addPhone(a.Tel)
			addPhone(a.Phone)
			addPhone(a.Fax)
		}
		for _, ct := range x.Contacts {
			add(ct.Name, false)
			if a := ct.Address; a != nil {
				if a.Email != nil {
					add(*a.Email, false)
				}
				addPhone(a.Tel)
				addPhone(a.Phone)
			}
		}
	}
	for _, p := range phones {
		add(p, true)
		if n, err := customer.NormalizePhone(p); err == nil && !slices.Contains(r.phones, n) {
			r.phones = append(r.phones, n)
		}
	}
	// Order the fields by run (stably: the order within a run is the
	// order above) and note where the runs end.
	slices.SortStableFunc(fields, func(a, b string) int { return fieldRun(a) - fieldRun(b) })
	var wide, text int
	for _, f := range fields {
		switch fieldRun(f) {
		case 0:
			wide += len(f) + 1
			text = wide
		case 1:
			text += len(f) + 1
		}
	}
	r.hay = strings.Join(fields, "\n")
	r.wide, r.text = uint32(min(wide, len(r.hay))), uint32(min(text, len(r.hay)))
	return r
}

// fieldRun tells which run of the haystack a field goes in: 0 when it
// holds anything but ASCII, 1 when ASCII but more than digits, 2 when
// digits alone.
func fieldRun(f string) int {
	run := 2
	for i := 0; i < len(f); i++ {
		switch c := f[i]; {
		case c >= utf8.RuneSelf:
			return 0
		case c < '0' || c > '9':
			run = 1
		}
	}
	return run
}

// hayRun tells which runs of a haystack a (normalized, non-empty) search
// can match within, as an index into searchRuns: a search holding
// anything but ASCII only the first run; one of ASCII with more than
// digits the first two; digits all three. A match never spans two
// fields, and a field in a later run lacks what the search holds.
func hayRun(search string) int {
	return fieldRun(search)
}

// searchIn returns the part of r's haystack a search of run run reads.
func (r *rec) searchIn(run int) string {
	switch run {
	case 0:
		return r.hay[:r.wide]
	case 1:
		return r.hay[:r.text]
	}
	return r.hay
}

// contains is strings.Contains(h, q), faster on this index's haystacks.
// strings.Index over more than 64 bytes first looks for q's first byte
// with IndexByte; in Chinese text that byte (0xe4 to 0xe9) is nearly
// every third byte, so it stops at each and compares. Over 64 bytes or
// fewer it runs the vectorized brute force at once, so a long haystack
// is read in windows of 64 bytes overlapping by len(q)-1, which finds
// every match. Three to five times faster on the benchmarks' searches.
func contains(h, q string) bool {
	const window = 64 // bytealg.MaxBruteForce on amd64
	if len(h) <= window || len(q) > window/2 || len(q) < 2 {
		return strings.Contains(h, q)
	}
	step := window - len(q) + 1
	for i := 0; ; i += step {
		if i+window >= len(h) {
			return strings.Contains(h[i:], q)
		}
		if strings.Contains(h[i:i+window], q) {
			return true
		}
	}
}

// Grams: a unigram is its rune; a bigram sets the top bit above its two
// runes.
func unigram(r rune) uint64   { return uint64(r) }
func bigram(a, b rune) uint64 { return 1<<63 | uint64(a)<<32 | uint64(b) }

// bitset is a set of docs.
type bitset []uint64

func newBitset(n int) bitset       { return make(bitset, (n+63)/64) }
func (s bitset) has(i uint32) bool { return s[i>>6]&(1<<(i&63)) != 0 }
func (s bitset) set(i uint32)      { s[i>>6] |= 1 << (i & 63) }
func (s bitset) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}
func (s bitset) clone() bitset         { return slices.Clone(s) }
func (s bitset) hasSafe(i uint32) bool { return s != nil && s.has(i) }

// next returns the first member at or after i, or -1.
func (s bitset) next(i int) int {
	if i < 0 {
		i = 0
	}
	w := i >> 6
	if w >= len(s) {
		return -1
	}
	word := s[w] >> (uint(i) & 63)
	if word != 0 {
		return i + bits.TrailingZeros64(word)
	}
	for w++; w < len(s); w++ {
		if s[w] != 0 {
			return w<<6 + bits.TrailingZeros64(s[w])
		}
	}
	return -1
}

// prev returns the last member at or before i, or -1.
func (s bitset) prev(i int) int {
	if i < 0 {
		return -1
	}
	w := i >> 6
	if w >= len(s) {
		w, i = len(s)-1, len(s)*64-1
	}
	word := s[w] << (63 - uint(i)&63)
	if word != 0 {
		return i - bits.LeadingZeros64(word)
	}
	for w--; w >= 0; w-- {
		if s[w] != 0 {
			return w<<6 + 63 - bits.LeadingZeros64(s[w])
		}
	}
	return -1
}

// posting is the docs holding one gram: ids sorted, or bits when dense.
type posting struct {
	ids  []uint32
	bits bitset
	n    int
}

// dense tells whether n docs of a base of size are best held as a bitset.
func dense(n, size int) bool { return n*32 > size }

func newPosting(ids []uint32, size int) *posting {
	if dense(len(ids), size) {
		b := newBitset(size)
		for _, d := range ids {
			b.set(d)
		}
		return &posting{bits: b, n: len(ids)}
	}
	return &posting{ids: slices.Clip(ids), n: len(ids)}
}

// phoneRef is one number a base doc holds.
type phoneRef struct {
	number string
	doc    uint32
}

// base is the immutable bulk of a snapshot.
type base struct {
	// recs holds the records by value, in NAME order: a doc is a position
	// here. By value, and with their haystacks and keys sliced from the
	// arenas below, so that 300,000 records are a few large objects for
	// the collector rather than a million small ones, and a verification
	// pass reads memory in order instead of chasing a pointer a record.
	recs []rec
	// hay is every doc's haystack, in doc order: doc d's is
	// hay[hoff[d]:hoff[d+1]] (also recs[d].hay). Verifying the candidates
	// of a long search reads it front to back.
	hay    string
	hoff   []uint32
	runs   [][2]uint32 // doc d's haystack's wide and text (see rec)
	grams  map[uint64]*posting
	upd    []uint32   // docs in UPDATED_AT order
	byKey  []uint32   // docs in (source, ID) order
	phones []phoneRef // by number, then doc
	src    [nsrc]bitset
	nsrc   [nsrc]int
}

// snap is one state of the index.
type snap struct {
	b     *base
	dead  bitset // base docs replaced or deleted since b was built; nil: none
	ndead [nsrc]int
	// The delta: the records upserted since b was built, in each order.
	dName, dUpd, dKey []*rec
	dcount            [nsrc]int
}

func cmpKey(a, b Key) int {
	if c := strings.Compare(string(a.Source), string(b.Source)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func byName(a, b *rec) int { return bytes.Compare(a.name, b.name) }
func byUpd(a, b *rec) int  { return bytes.Compare(a.upd, b.upd) }
func byKeyRec(a, b *rec) int {
	return cmpKey(a.key, b.key)
}

// deltaGet finds k in the delta.
func (s *snap) deltaGet(k Key) (*rec, bool) {
	i, ok := slices.BinarySearchFunc(s.dKey, k, func(r *rec, k Key) int { return cmpKey(r.key, k) })
	if !ok {
		return nil, false
	}
	return s.dKey[i], true
}

// baseGet finds k's doc in the base, dead or alive.
func (s *snap) baseGet(k Key) (uint32, bool) {
	b := s.b
	i, ok := slices.BinarySearchFunc(b.byKey, k, func(d uint32, k Key) int { return cmpKey(b.recs[d].key, k) })
	if !ok {
		return 0, false
	}
	return b.byKey[i], true
}

func (s *snap) alive(d uint32) bool { return !s.dead.hasSafe(d) }

// Get returns the entry of k.
func (x *Index) Get(k Key) (*Entry, bool) {
	s := x.cur.Load()
	if r, ok := s.deltaGet(k); ok {
		return r.e, true
	}
	if d, ok := s.baseGet(k); ok && s.alive(d) {
		return s.b.recs[d].e, true
	}
	return nil, false
}

// Len returns how many records of src the index holds.
func (x *Index) Len(src customer.Source) int {
	s := x.cur.Load()
	i := srcIndex(src)
	return s.b.nsrc[i] - s.ndead[i] + s.dcount[i]
}

// Each calls fn for src's entries of one snapshot, in NAME order, until fn
// returns false. fn may call the index, Apply included.
func (x *Index) Each(src customer.Source, fn func(*Entry) bool) {
	s := x.cur.Load()
	si := srcIndex(src)
	bs := s.b.src[si]
	d := bs.next(0)
	j := 0
	for {
		for j < len(s.dName) && s.dName[j].src != si {
			j++
		}
		for d >= 0 && !s.alive(uint32(d)) {
			d = bs.next(d + 1)
		}
		var r *rec
		switch {
		case d < 0 && j >= len(s.dName):
			return
		case d < 0:
			r, j = s.dName[j], j+1
		case j >= len(s.dName) || byName(&s.b.recs[d], s.dName[j]) < 0:
			r, d = &s.b.recs[d], bs.next(d+1)
		default:
			r, j = s.dName[j], j+1
		}
		if !fn(r.e) {
			return
		}
	}
}

// Apply upserts and deletes records in one step: readers see all of it or
// none. An upsert replaces the entry of the same Key; a Key both upserted
// and deleted in one call ends deleted; deleting what the index does not
// hold does nothing. Entries whose C is nil are ignored.
func (x *Index) Apply(upserts []*Entry, deletes []Key) {
	// The derived fields cost microseconds a record: compute them before
	// taking the writer's turn.
	del := make(map[Key]bool, len(deletes))
	for _, k := range deletes {
		del[k] = true
	}
	recs := make([]*rec, len(upserts))
	derive := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if e := upserts[i]; e != nil && e.C != nil && !del[Key{e.C.Source, e.C.SourceID}] {
				recs[i] = newRec(e)
			}
		}
	}
	// A bulk load derives its records on every processor: each task
	// writes its own stretch of recs, and all have ended when parallel
	// returns.
	if len(upserts) >= parallelFrom {
		const chunk = 1024
		parallel((len(upserts)+chunk-1)/chunk, func(i int) {
			derive(i*chunk, min((i+1)*chunk, len(upserts)))
		})
	} else {
		derive(0, len(upserts))
	}
	latest := make(map[Key]*rec, len(upserts))
	for _, r := range recs {
		if r != nil {
			latest[r.key] = r // the last upsert of a key wins
		}
	}
	if len(latest) == 0 && len(del) == 0 {
		return
	}
	x.wmu.Lock()
	defer x.wmu.Unlock()
	old := x.cur.Load()
	next := &snap{b: old.b, dead: old.dead, ndead: old.ndead}

	// Every changed key leaves the delta and kills its base doc.
	changed := make(map[Key]bool, len(latest)+len(del))
	for k := range latest {
		changed[k] = true
	}
	for k := range del {
		changed[k] = true
	}
	cloned := false
	for k := range changed {
		if d, ok := old.baseGet(k); ok && old.alive(d) {
			if !cloned {
				if next.dead == nil {
					next.dead = newBitset(len(old.b.recs))
				} else {
					next.dead = next.dead.clone()
				}
				cloned = true
			}
			next.dead.set(d)
			next.ndead[old.b.recs[d].src]++
		}
	}
	add := make([]*rec, 0, len(latest))
	for _, r := range latest {
		add = append(add, r)
	}
	// The delta's records that changed: found by key, not by a map lookup
	// for every record of the delta in each of its three orders.
	var drop map[*rec]bool
	for k := range changed {
		if r, ok := old.deltaGet(k); ok {
			if drop == nil {
				drop = map[*rec]bool{}
			}
			drop[r] = true
		}
	}
	keep := func(r *rec) bool { return drop == nil || !drop[r] }
	next.dName = mergeRecs(old.dName, add, keep, nameOrder)
	next.dUpd = mergeRecs(old.dUpd, add, keep, updOrder)
	next.dKey = mergeRecs(old.dKey, add, keep, keyOrder)
	for _, r := range next.dKey {
		next.dcount[r.src]++
	}

	if len(next.dKey) > rebuildAt(len(old.b.recs)) {
		next = &snap{b: next.rebuild()}
	}
	x.cur.Store(next)
}

// Compact folds the delta into the base now, if it holds at least min
// records: the directory calls it when a sync pass ends, so that the
// records a pass brought are not scanned one by one by every query until
// the delta would have grown past rebuildAt. Readers keep the old
// snapshot meanwhile.
func (x *Index) Compact(min int) {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	old := x.cur.Load()
	if n := len(old.dKey) + old.dead.count(); n == 0 || n < min {
		return
	}
	x.cur.Store(&snap{b: old.rebuild()})
}

// rebuildAt is how large the delta may grow over a base of n records
// before the base is rebuilt: large enough that rebuilds are rare, small
// enough that scanning it costs a query little.
func rebuildAt(n int) int { return min(max(n/4, minDelta), maxDelta) }

// They are variables so that tests can make rebuilds frequent.
var minDelta, maxDelta = 4096, 16384

// mergeRecs returns the records of old that keep holds merged with add,
// in cmp's order; add is sorted in place.
func mergeRecs(old, add []*rec, keep func(*rec) bool, o recOrder) []*rec {
	sortRecs(add, o)
	cmp := o.cmp
	out := make([]*rec, 0, len(old)+len(add))
	j := 0
	for _, r := range old {
		if !keep(r) {
			continue
		}
		for j < len(add) && cmp(add[j], r) < 0 {
			out = append(out, add[j])
			j++
		}
		out = append(out, r)
	}
	return append(out, add[j:]...)
}

// recOrder is an order of records: cmp, and a prefix of the key as
// three words, which orders as cmp does wherever they differ.
type recOrder struct {
	cmp    func(a, b *rec) int
	prefix func(r *rec) [3]uint64
}

var (
	nameOrder = recOrder{byName, func(r *rec) [3]uint64 { return prefix(r.name) }}
	updOrder  = recOrder{byUpd, func(r *rec) [3]uint64 { return prefix(r.upd) }}
	keyOrder  = recOrder{byKeyRec, func(r *rec) [3]uint64 {
		// The source first; the ID only where the whole source fits the
		// first word, so that equal first words mean equal sources.
		if len(r.key.Source) >= 8 {
			return [3]uint64{prefix(r.key.Source)[0]}
		}
		p := prefix(r.key.ID)
		return [3]uint64{prefix(r.key.Source)[0], p[0], p[1]}
	}}
)

// prefix returns the first 24 bytes of k, zero-padded, as big-endian
// words: where two prefixes differ they order as the keys do.
func prefix[T ~string | ~[]byte](k T) [3]uint64 {
	var buf [24]byte
	copy(buf[:], k)
	return [3]uint64{binary.BigEndian.Uint64(buf[0:]), binary.BigEndian.Uint64(buf[8:]), binary.BigEndian.Uint64(buf[16:])}
}

func cmpPrefix(a, b [3]uint64) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// sortRecs sorts rs in o. Comparing byte keys through two pointers each
// time cost a bulk load seconds in cache misses (collation keys share
// long prefixes: 杭州…); a large sort compares precomputed prefixes held
// beside the pointer, and reads the keys only on a tie.
func sortRecs(rs []*rec, o recOrder) {
	if len(rs) < 256 {
		slices.SortFunc(rs, o.cmp)
		return
	}
	type item struct {
		p [3]uint64
		r *rec
	}
	items := make([]item, len(rs))
	for i, r := range rs {
		items[i] = item{o.prefix(r), r}
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := cmpPrefix(a.p, b.p); c != 0 {
			return c
		}
		return o.cmp(a.r, b.r)
	})
	for i := range items {
		rs[i] = items[i].r
	}
}

// sortPhoneRefs sorts ps by number, then doc, comparing prefixes first
// (as sortRecs).
func sortPhoneRefs(ps []phoneRef) {
	type item struct {
		p  [3]uint64
		pr phoneRef
	}
	items := make([]item, len(ps))
	for i, p := range ps {
		items[i] = item{prefix(p.number), p}
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := cmpPrefix(a.p, b.p); c != 0 {
			return c
		}
		return cmpPhoneRef(a.pr, b.pr)
	})
	for i := range items {
		ps[i] = items[i].pr
	}
}

// rebuild makes a base of s's live records: the base's survivors merged
// with the delta. Surviving docs keep their relative order, so their
// posting lists are remapped, not recomputed; only the delta's records
// are tokenized.
func (s *snap) rebuild() *base {
	ob := s.b
	n := 0
	for i := range ob.nsrc {
		n += ob.nsrc[i] - s.ndead[i]
	}
	n += len(s.dName)
	nb := &base{recs: make([]rec, 0, n)}
	const gone = ^uint32(0)
	remap := make([]uint32, len(ob.recs))
	deltaDoc := make(map[*rec]uint32, len(s.dName))
	j := 0
	for d := range ob.recs {
		r := &ob.recs[d]
		if !s.alive(uint32(d)) {
			remap[d] = gone
			continue
		}
		for j < len(s.dName) && byName(s.dName[j], r) < 0 {
			deltaDoc[s.dName[j]] = uint32(len(nb.recs))
			nb.recs = append(nb.recs, *s.dName[j])
			j++
		}
		remap[d] = uint32(len(nb.recs))
		nb.recs = append(nb.recs, *r)
	}
	for ; j < len(s.dName); j++ {
		deltaDoc[s.dName[j]] = uint32(len(nb.recs))
		nb.recs = append(nb.recs, *s.dName[j])
	}
	nb.arenas()

	for i := range nb.src {
		nb.src[i] = newBitset(n)
	}
	for d := range nb.recs {
		r := &nb.recs[d]
		nb.src[r.src].set(uint32(d))
		nb.nsrc[r.src]++
	}

	// The orders by UPDATED_AT and by key: merges of the old, remapped,
	// with the delta's.
	mergeDocs := func(old []uint32, delta []*rec, cmp func(a, b *rec) int) []uint32 {
		out := make([]uint32, 0, n)
		j := 0
		for _, od := range old {
			d := remap[od]
			if d == gone {
				continue
			}
			for j < len(delta) && cmp(delta[j], &nb.recs[d]) < 0 {
				out = append(out, deltaDoc[delta[j]])
				j++
			}
			out = append(out, d)
		}
		for ; j < len(delta); j++ {
			out = append(out, deltaDoc[delta[j]])
		}
		return out
	}
	nb.upd = mergeDocs(ob.upd, s.dUpd, byUpd)
	nb.byKey = mergeDocs(ob.byKey, s.dKey, byKeyRec)

	// Phones: the old, remapped, with the delta's, sorted.
	var addPhones []phoneRef
	for _, r := range s.dName {
		for _, p := range r.phones {
			addPhones = append(addPhones, phoneRef{p.Number, deltaDoc[r]})
		}
	}
	sortPhoneRefs(addPhones)
	nb.phones = make([]phoneRef, 0, len(ob.phones)+len(addPhones))
	j = 0
	for _, p := range ob.phones {
		d := remap[p.doc]
		if d == gone {
			continue
		}
		p.doc = d
		for j < len(addPhones) && cmpPhoneRef(addPhones[j], p) < 0 {
			nb.phones = append(nb.phones, addPhones[j])
			j++
		}
		nb.phones = append(nb.phones, p)
	}
	nb.phones = append(nb.phones, addPhones[j:]...)

	// Grams: the delta's records, tokenized in doc order (the delta is
	// in NAME order too), so that each gram's new docs come sorted.
	add := tokenize(s.dName, deltaDoc)
	nb.grams = make(map[uint64]*posting, len(ob.grams)+len(add.grams)/4)
	taken := make([]bool, len(add.grams))
	for g, p := range ob.grams {
		var extra []uint32
		if i := add.find(g); i >= 0 {
			extra, taken[i] = add.lists[i], true
		}
		if np := remapPosting(p, extra, remap, n); np != nil {
			nb.grams[g] = np
		}
	}
	for i, g := range add.grams {
		if !taken[i] {
			nb.grams[g] = newPosting(add.lists[i], n)
		}
	}
	return nb
}

// tokenize collects the grams of recs (in NAME order, so their docs
// increase). A large delta (a bulk load) is cut in stretches tokenized on
// every processor, whose lists are then joined in order.
func tokenize(recs []*rec, doc map[*rec]uint32) *gramLists {
	parts := 1
	if len(recs) >= 4*parallelFrom {
		parts = runtime.GOMAXPROCS(0)
	}
	ts := make([]*gramLists, parts)
	per := (len(recs) + parts - 1) / parts
	parallel(parts, func(i int) {
		t := newGramLists()
		for _, r := range recs[min(i*per, len(recs)):min((i+1)*per, len(recs))] {
			t.doc(r.hay, doc[r])
		}
		ts[i] = t
	})
	t := ts[0]
	for _, u := range ts[1:] {
		for j, g := range u.grams {
			if i := t.find(g); i >= 0 {
				t.lists[i] = append(t.lists[i], u.lists[j]...)
			} else {
				t.insert(g, u.lists[j])
			}
		}
	}
	return t
}

// insert adds gram g, which t does not hold, with its docs.
func (t *gramLists) insert(g uint64, docs []uint32) {
	t.grams = append(t.grams, g)
	t.lists = append(t.lists, docs)
	i := int32(len(t.grams))
	a, b := rune(-1), rune(g)
	if g>>63 == 1 {
		a, b = rune(g>>32&0x7fffffff), rune(uint32(g))
	}
	if p := t.slot(a, b); p != nil {
		*p = i
	} else {
		t.other[g] = i
	}
}

// gramLists collects the docs holding each gram, given docs in
// increasing order. It replaces sorting every record's grams (18 million
// of them in a bulk load) and a map append for each: a doc is appended
// to a gram's list unless it is already the list's last, and the common
// grams (unigrams of the Basic Multilingual Plane, bigrams of two ASCII
// characters: digits, emails) are found by array index, not hashing.
type gramLists struct {
	uni   []int32 // rune → index+1 in grams, for runes below 1<<16
	ascii []int32 // a<<7|b → index+1, for bigrams of two ASCII runes
	other map[uint64]int32
	grams []uint64
	lists [][]uint32
}

func newGramLists() *gramLists {
	return &gramLists{uni: make([]int32, 1<<16), ascii: make([]int32, 1<<14), other: map[uint64]int32{}}
}

// slot returns where g's index+1 is kept.
func (t *gramLists) slot(a, b rune) *int32 {
	switch {
	case a < 0 && b < 1<<16:
		return &t.uni[b]
	case a >= 0 && a < utf8.RuneSelf && b < utf8.RuneSelf:
		return &t.ascii[a<<7|b]
	}
	return nil
}

// add notes that doc d holds the gram of a and b (a < 0: the unigram b).
func (t *gramLists) add(a, b rune, d uint32) {
	var i int32
	p := t.slot(a, b)
	if p != nil {
		i = *p
	} else {
		i = t.other[gramOf(a, b)]
	}
	if i == 0 {
		t.grams = append(t.grams, gramOf(a, b))
		t.lists = append(t.lists, nil)
		i = int32(len(t.grams))
		if p != nil {
			*p = i
		} else {
			t.other[gramOf(a, b)] = i
		}
	}
	if l := t.lists[i-1]; len(l) == 0 || l[len(l)-1] != d {
		t.lists[i-1] = append(l, d)
	}
}

func gramOf(a, b rune) uint64 {
	if a < 0 {
		return unigram(b)
	}
	return bigram(a, b)
}

// doc adds the unigrams and bigrams of doc d's haystack.
func (t *gramLists) doc(hay string, d uint32) {
	prev := rune(-1)
	for _, r := range hay {
		if r == '\n' {
			prev = -1
			continue
		}
		t.add(-1, r, d)
		if prev >= 0 {
			t.add(prev, r, d)
		}
		prev = r
	}
}

// find returns the index of gram g, or -1.
func (t *gramLists) find(g uint64) int {
	var i int32
	switch {
	case g>>63 == 0 && g < 1<<16:
		i = t.uni[g]
	case g>>63 == 1:
		a, b := rune(g>>32&0x7fffffff), rune(uint32(g))
		if p := t.slot(a, b); p != nil {
			i = *p
		} else {
			i = t.other[g]
		}
	default:
		i = t.other[g]
	}
	return int(i) - 1
}

// arenas copies the haystacks and keys of b's records, in doc order,
// into one string and one byte slice, and points the records at them.
// The records are b's own copies, so no reader of an older snapshot sees
// them change.
func (b *base) arenas() {
	nhay, nkey := 0, 0
	for i := range b.recs {
		r := &b.recs[i]
		nhay += len(r.hay)
		nkey += len(r.name) + len(r.upd)
	}
	var hb strings.Builder
	hb.Grow(nhay)
	keys := make([]byte, 0, nkey)
	b.hoff = make([]uint32, len(b.recs)+1)
	b.runs = make([][2]uint32, len(b.recs))
	for i := range b.recs {
		r := &b.recs[i]
		hb.WriteString(r.hay)
		b.hoff[i+1] = uint32(hb.Len())
		b.runs[i] = [2]uint32{r.wide, r.text}
		o := len(keys)
		keys = append(keys, r.name...)
		r.name = keys[o:len(keys):len(keys)]
		o = len(keys)
		keys = append(keys, r.upd...)
		r.upd = keys[o:len(keys):len(keys)]
	}
	b.hay = hb.String()
	for i := range b.recs {
		b.recs[i].hay = b.hay[b.hoff[i]:b.hoff[i+1]]
	}
}

// remapPosting moves p to the new base's docs (remap; gone: dropped) and
// adds extra; nil when nothing is left.
func remapPosting(p *posting, extra, remap []uint32, n int) *posting {
	const gone = ^uint32(0)
	if p.bits == nil {
		ids := make([]uint32, 0, len(p.ids)+len(extra))
		for _, od := range p.ids {
			if d := remap[od]; d != gone {
				ids = append(ids, d)
			}
		}
		if len(extra) > 0 {
			ids = mergeIDs(ids, extra)
		}
		if len(ids) == 0 {
			return nil
		}
		return newPosting(ids, n)
	}
	nbits := newBitset(n)
	for w, word := range p.bits {
		for ; word != 0; word &= word - 1 {
			if d := remap[w<<6+bits.TrailingZeros64(word)]; d != gone {
				nbits[d>>6] |= 1 << (d & 63)
			}
		}
	}
	for _, d := range extra {
		nbits.set(d)
	}
	c := nbits.count()
	if dense(c, n) {
		return &posting{bits: nbits, n: c}
	}
	if c == 0 {
		return nil
	}
	ids := make([]uint32, 0, c)
	for w, word := range nbits {
		for ; word != 0; word &= word - 1 {
			ids = append(ids, uint32(w<<6+bits.TrailingZeros64(word)))
		}
	}
	return &posting{ids: ids, n: c}
}

func cmpPhoneRef(a, b phoneRef) int {
	if c := strings.Compare(a.number, b.number); c != 0 {
		return c
	}
	return int(a.doc) - int(b.doc)
}

// mergeIDs merges two sorted, disjoint lists of docs into a (which it
// may grow).
func mergeIDs(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Query asks for one page of a list.
type Query struct {
	Sources []customer.Source // non-empty
	// Filter: Search (a substring of the normalized haystack), Name
	// (strings.Contains on the raw name, as Filter.Matches), CodeFrom and
	// CodeTo (U8 only, as Filter.Matches), UpdatedSince.
	Filter customer.Filter
	Order  customer.Order // NAME (pinyin) or UPDATED_AT, Desc; NAME when empty
	After  []byte         // the sort key of the last record of the previous page; nil = from the start
	First  int
}

// Result is one page of a list.
type Result struct {
	Entries []*Entry
	// Keys holds the sort key of each entry (the caller turns the last
	// into a cursor). They are the index's: do not change them.
	Keys  [][]byte
	Total int  // exact count of every record matching Sources+Filter (ignoring After/First)
	More  bool // records follow the page
}

// searchText is what a search looks for: the normalized text, or its
// digits alone when it holds nothing but digits and phone punctuation.
func searchText(q string) string {
	s := customer.NormalizeText(q)
	if s == "" || strings.Trim(s, "0123456789+-()") != "" {
		return s
	}
	if d := customer.PhoneDigits(s); d != "" {
		return d
	}
	return s
}

// docset is a set of base docs: a bitset or a sorted list.
type docset struct {
	bits bitset
	ids  []uint32
	n    int
	buf  *[]uint64 // where bits came from, to give back
}

var bitsets sync.Pool

// scratch returns a zeroed bitset of n docs from the pool.
func scratch(n int) (bitset, *[]uint64) {
	w := (n + 63) / 64
	p, _ := bitsets.Get().(*[]uint64)
	if p == nil || cap(*p) < w {
		b := make([]uint64, w)
		p = &b
	}
	b := (*p)[:w]
	clear(b)
	return bitset(b), p
}

func (m *docset) release() {
	if m.buf != nil {
		bitsets.Put(m.buf)
		m.buf, m.bits = nil, nil
	}
}

func (m *docset) has(d uint32) bool {
	if m.bits != nil {
		return m.bits.has(d)
	}
	_, ok := slices.BinarySearch(m.ids, d)
	return ok
}

// match finds the base docs matching the question.
func (s *snap) match(search string, mask [nsrc]bool, f customer.Filter, extra bool) *docset {
	b := s.b
	n := len(b.recs)
	runes := []rune(search)
	var ps []*posting
	switch len(runes) {
	case 0:
	case 1:
		ps = append(ps, b.grams[unigram(runes[0])])
	default:
		for i := 1; i < len(runes); i++ {
			ps = append(ps, b.grams[bigram(runes[i-1], runes[i])])
		}
	}
	if slices.Contains(ps, nil) {
		return &docset{}
	}
	slices.SortFunc(ps, func(a, b *posting) int { return a.n - b.n })
	ps = slices.Compact(ps)
	// A one- or two-character query's posting list is its answer; a
	// longer one's candidates hold all its bigrams, and are verified.
	verify := len(runes) > 2

	m := &docset{}
	if len(ps) == 0 || ps[0].bits != nil {
		// Every posting list is a bitset (the first is the smallest):
		// AND them with the sources, less the dead.
		m.bits, m.buf = scratch(n)
		for i := range m.bits {
			var w uint64
			for si, ok := range mask {
				if ok && b.src[si] != nil {
					w |= b.src[si][i]
				}
			}
			for _, p := range ps {
				w &= p.bits[i]
			}
			if s.dead != nil {
				w &^= s.dead[i]
			}
			m.bits[i] = w
		}
	} else {
		m.ids = make([]uint32, 0, ps[0].n)
	next:
		for _, d := range ps[0].ids {
			if !mask[b.recs[d].src] || !s.alive(d) {
				continue
			}
			for _, p := range ps[1:] {
				if p.bits != nil {
					if !p.bits.has(d) {
						continue next
					}
				} else if _, ok := slices.BinarySearch(p.ids, d); !ok {
					continue next
				}
			}
			m.ids = append(m.ids, d)
		}
	}
	if !verify && !extra {
		if m.bits != nil {
			m.n = m.bits.count()
		} else {
			m.n = len(m.ids)
		}
		return m
	}
	// The haystacks are read from the arena, in doc order: the
	// candidates of a long search are verified by a forward scan of
	// memory, of the runs the search can match in alone.
	run := hayRun(search)
	keep := func(d uint32) bool {
		if verify {
			end := b.hoff[d+1]
			if run < 2 {
				end = b.hoff[d] + b.runs[d][run]
			}
			if !contains(b.hay[b.hoff[d]:end], search) {
				return false
			}
		}
		return !extra || f.Matches(b.recs[d].e.C)
	}
	if m.bits != nil {
		m.n = filterBits(m.bits, keep)
	} else {
		m.ids = filterIDs(m.ids, keep)
		m.n = len(m.ids)
	}
	return m
}

// parallelFrom is how many candidates make verifying them worth
// splitting across the processors: below it (some hundreds of
// microseconds of strings.Contains) starting goroutines costs more than
// it saves.
const parallelFrom = 4096

// parallel calls fn(i) for i in [0, n) on up to GOMAXPROCS goroutines,
// handing out the indexes one at a time so that a slow chunk does not
// hold the others up, and returns when every call has. The goroutines
// end with it: none outlives the call.
func parallel(n int, fn func(i int)) {
	p := min(runtime.GOMAXPROCS(0), n)
	if p <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// chunkWords is how many bitset words (of 64 docs) one parallel task
// verifies: some 16,000 docs, large enough to make handing out tasks
// cheap, small enough to balance two or more processors.
const chunkWords = 256

// filterBits clears the members of s that keep refuses and returns how
// many are left. Large sets are verified in parallel, each task on its
// own words of s, so no two goroutines write the same word.
func filterBits(s bitset, keep func(uint32) bool) int {
	filter := func(lo, hi int) int {
		n := 0
		for w := lo; w < hi; w++ {
			word := s[w]
			for x := word; x != 0; x &= x - 1 {
				if !keep(uint32(w<<6 + bits.TrailingZeros64(x))) {
					word &^= x & -x
				}
			}
			s[w] = word
			n += bits.OnesCount64(word)
		}
		return n
	}
	if s.count() < parallelFrom {
		return filter(0, len(s))
	}
	tasks := (len(s) + chunkWords - 1) / chunkWords
	counts := make([]int, tasks)
	parallel(tasks, func(i int) {
		counts[i] = filter(i*chunkWords, min((i+1)*chunkWords, len(s)))
	})
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// filterIDs keeps the docs of ids that keep accepts, in place. Long lists
// are verified in parallel, each task compacting its own stretch; the
// stretches are then moved together.
func filterIDs(ids []uint32, keep func(uint32) bool) []uint32 {
	if len(ids) < parallelFrom {
		return slices.DeleteFunc(ids, func(d uint32) bool { return !keep(d) })
	}
	const chunk = chunkWords * 64 / 4
	tasks := (len(ids) + chunk - 1) / chunk
	kept := make([]int, tasks)
	parallel(tasks, func(i int) {
		part := ids[i*chunk : min((i+1)*chunk, len(ids))]
		kept[i] = len(slices.DeleteFunc(part, func(d uint32) bool { return !keep(d) }))
	})
	n := 0
	for i, k := range kept {
		n += copy(ids[n:], ids[i*chunk:i*chunk+k])
	}
	return ids[:n]
}

// after tells whether key follows the cursor in the order asked.
func after(key, cursor []byte, desc bool) bool {
	if cursor == nil {
		return true
	}
	if desc {
		return bytes.Compare(key, cursor) < 0
	}
	return bytes.Compare(key, cursor) > 0
}

// pageByName returns up to k docs of m that follow the cursor in NAME
// order: docs are in NAME order, so it starts at the cursor and walks.
func (s *snap) pageByName(m *docset, cursor []byte, desc bool, k int) []*rec {
	recs := s.b.recs
	n := len(recs)
	var start int // the first doc after the cursor (ascending) or the last before it
	switch {
	case cursor == nil && desc:
		start = n - 1
	case cursor == nil:
		start = 0
	case desc:
		start = sort.Search(n, func(i int) bool { return bytes.Compare(recs[i].name, cursor) >= 0 }) - 1
	default:
		start = sort.Search(n, func(i int) bool { return bytes.Compare(recs[i].name, cursor) > 0 })
	}
	out := make([]*rec, 0, min(k, m.n))
	if m.bits != nil {
		for d := start; len(out) < k && d >= 0; {
			if desc {
				d = m.bits.prev(d)
			} else {
				d = m.bits.next(d)
			}
			if d < 0 {
				break
			}
			out = append(out, &recs[d])
			if desc {
				d--
			} else {
				d++
			}
		}
		return out
	}
	i, _ := slices.BinarySearch(m.ids, uint32(max(start, 0)))
	if desc {
		if start < 0 {
			return out
		}
		i, _ = slices.BinarySearch(m.ids, uint32(start)+1)
		for i--; i >= 0 && len(out) < k; i-- {
			out = append(out, &recs[m.ids[i]])
		}
		return out
	}
	for ; i < len(m.ids) && len(out) < k; i++ {
		out = append(out, &recs[m.ids[i]])
	}
	return out
}

// pageByUpdated returns up to k docs of m that follow the cursor in
// UPDATED_AT order. A dense set is read by walking the base's UPDATED_AT
// order from the cursor; a sparse one by a bounded heap over its members.
func (s *snap) pageByUpdated(m *docset, cursor []byte, desc bool, k int) []*rec {
	recs, upd := s.b.recs, s.b.upd
	n := len(upd)
	if m.n == 0 || k == 0 {
		return nil
	}
	if m.n*64 > n {
		var start int
		switch {
		case cursor == nil && desc:
			start = n - 1
		case cursor == nil:
			start = 0
		case desc:
			start = sort.Search(n, func(i int) bool { return bytes.Compare(recs[upd[i]].upd, cursor) >= 0 }) - 1
		default:
			start = sort.Search(n, func(i int) bool { return bytes.Compare(recs[upd[i]].upd, cursor) > 0 })
		}
		out := make([]*rec, 0, k)
		step := 1
		if desc {
			step = -1
		}
		for i := start; i >= 0 && i < n && len(out) < k; i += step {
			if d := upd[i]; m.has(d) {
				out = append(out, &recs[d])
			}
		}
		return out
	}
	h := &recHeap{desc: desc}
	consider := func(d uint32) {
		r := &recs[d]
		if !after(r.upd, cursor, desc) {
			return
		}
		if len(h.recs) < k {
			heap.Push(h, r)
		} else if h.better(r, h.recs[0]) {
			h.recs[0] = r
			heap.Fix(h, 0)
		}
	}
	if m.bits != nil {
		for w, word := range m.bits {
			for ; word != 0; word &= word - 1 {
				consider(uint32(w<<6 + bits.TrailingZeros64(word)))
			}
		}
	} else {
		for _, d := range m.ids {
			consider(d)
		}
	}
	out := h.recs
	slices.SortFunc(out, func(a, b *rec) int {
		if desc {
			return byUpd(b, a)
		}
		return byUpd(a, b)
	})
	return out
}

// recHeap holds the best k records seen, the worst on top.
type recHeap struct {
	recs []*rec
	desc bool
}

// better tells whether a comes before b in the order asked.
func (h *recHeap) better(a, b *rec) bool {
	if h.desc {
		return byUpd(a, b) > 0
	}
	return byUpd(a, b) < 0
}
func (h *recHeap) Len() int           { return len(h.recs) }
func (h *recHeap) Less(i, j int) bool { return h.better(h.recs[j], h.recs[i]) }
func (h *recHeap) Swap(i, j int)      { h.recs[i], h.recs[j] = h.recs[j], h.recs[i] }
func (h *recHeap) Push(x any)         { h.recs = append(h.recs, x.(*rec)) }
func (h *recHeap) Pop() any {
	r := h.recs[len(h.recs)-1]
	h.recs = h.recs[:len(h.recs)-1]
	return r
}

// Query answers one page of q: the records of q.Sources matching
// q.Filter, in q.Order, after q.After, at most q.First of them, with the
// exact Total of matches.
func (x *Index) Query(q Query) Result {
	s := x.cur.Load()
	var mask [nsrc]bool
	for _, src := range q.Sources {
		if i := srcIndex(src); int(i) < len(customer.AllSources) {
			mask[i] = true
		}
	}
	f := q.Filter
	search := searchText(f.Search)
	extra := f.Name != "" || f.CodeFrom != "" || f.CodeTo != "" || f.UpdatedSince != nil
	byUpdated, desc := q.Order.Field == customer.OrderUpdatedAt, q.Order.Desc
	k := max(q.First, 0) + 1 // one more tells whether more follow

	m := s.match(search, mask, f, extra)
	run := hayRun(search)
	defer m.release()
	total := m.n
	var page []*rec
	delta, key := s.dName, func(r *rec) []byte { return r.name }
	if byUpdated {
		page = s.pageByUpdated(m, q.After, desc, k)
		delta, key = s.dUpd, func(r *rec) []byte { return r.upd }
	} else {
		page = s.pageByName(m, q.After, desc, k)
	}

	// The delta, in order: every match counts; the first k after the
	// cursor join the page.
	var dpage []*rec
	for i := range delta {
		r := delta[i]
		if desc {
			r = delta[len(delta)-1-i]
		}
		if !mask[r.src] || search != "" && !contains(r.searchIn(run), search) || extra && !f.Matches(r.e.C) {
			continue
		}
		total++
		if len(dpage) < k && after(key(r), q.After, desc) {
			dpage = append(dpage, r)
		}
	}

	res := Result{Total: total}
	for i, j := 0, 0; (i < len(page) || j < len(dpage)) && len(res.Entries) < k; {
		var r *rec
		switch {
		case j >= len(dpage):
			r, i = page[i], i+1
		case i >= len(page):
			r, j = dpage[j], j+1
		case (bytes.Compare(key(page[i]), key(dpage[j])) < 0) != desc:
			r, i = page[i], i+1
		default:
			r, j = dpage[j], j+1
		}
		res.Entries = append(res.Entries, r.e)
		res.Keys = append(res.Keys, key(r))
	}
	if len(res.Entries) == k {
		res.Entries, res.Keys, res.More = res.Entries[:k-1], res.Keys[:k-1], true
	}
	return res
}

// Named returns src's records named exactly name, in NAME order.
func (x *Index) Named(src customer.Source, name string) []*customer.Customer {
	s := x.cur.Load()
	si := srcIndex(src)
	prefix := append(escape(nil, customer.NameSortKey(name)), si)
	var out []*customer.Customer
	recs := s.b.recs
	d := sort.Search(len(recs), func(i int) bool { return bytes.Compare(recs[i].name, prefix) >= 0 })
	j, _ := slices.BinarySearchFunc(s.dName, prefix, func(r *rec, p []byte) int { return bytes.Compare(r.name, p) })
	for {
		for d < len(recs) && bytes.HasPrefix(recs[d].name, prefix) && (!s.alive(uint32(d)) || recs[d].e.C.Name != name) {
			d++
		}
		for j < len(s.dName) && bytes.HasPrefix(s.dName[j].name, prefix) && s.dName[j].e.C.Name != name {
			j++
		}
		inBase := d < len(recs) && bytes.HasPrefix(recs[d].name, prefix)
		inDelta := j < len(s.dName) && bytes.HasPrefix(s.dName[j].name, prefix)
		switch {
		case inBase && (!inDelta || byName(&recs[d], s.dName[j]) < 0):
			out, d = append(out, recs[d].e.C), d+1
		case inDelta:
			out, j = append(out, s.dName[j].e.C), j+1
		default:
			return out
		}
	}
}

// holds tells whether r holds p: its number, with no extension, the same
// or none where p has one.
func holds(r *rec, p customer.Phone164) bool {
	for _, q := range r.phones {
		if q.Number == p.Number && (p.Ext == "" || q.Ext == "" || q.Ext == p.Ext) {
			return true
		}
	}
	return false
}

// ByPhone returns the records of sources holding p.Number, in NAME order.
// When p.Ext is set, a record whose same number has another extension
// (and none without) is left out.
func (x *Index) ByPhone(p customer.Phone164, sources []customer.Source) []*customer.Customer {
	s := x.cur.Load()
	var mask [nsrc]bool
	for _, src := range sources {
		mask[srcIndex(src)] = true
	}
	var base []*rec
	ph := s.b.phones
	i := sort.Search(len(ph), func(i int) bool { return ph[i].number >= p.Number })
	last := uint32(1<<32 - 1)
	for ; i < len(ph) && ph[i].number == p.Number; i++ {
		d := ph[i].doc
		r := &s.b.recs[d]
		if d != last && mask[r.src] && s.alive(d) && holds(r, p) {
			base = append(base, r)
		}
		last = d
	}
	var out []*customer.Customer
	j := 0
	for _, r := range s.dName {
		if !mask[r.src] || !holds(r, p) {
			continue
		}
		for j < len(base) && byName(base[j], r) < 0 {
			out = append(out, base[j].e.C)
			j++
		}
		out = append(out, r.e.C)
	}
	for ; j < len(base); j++ {
		out = append(out, base[j].e.C)
	}
	return out
}
