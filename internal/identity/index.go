package identity

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"custgraph/internal/customer"
)

// Link is one record of another source that a record is (probably) the
// same customer as.
type Link struct {
	ID customer.GlobalID
	// Customer is the record linked as the index holds it; nil for a
	// confirmed partner the index does not hold.
	Customer *customer.Customer
	// Confidence is 0 to 1; 1 where a person confirmed the link.
	Confidence float64
	// Score is the evidence in log-odds (+Inf where a person confirmed
	// the link); Confidence is its logistic. make eval -scores reads it.
	Score float64
	// Signals are what the link rests on, strongest first.
	Signals []Signal
}

// Index holds the features of every record of the directory and the keys
// candidates come from. It follows the directory (Reset, Apply) and
// answers links from memory. Safe for concurrent use.
type Index struct {
	mu   sync.RWMutex
	recs map[customer.GlobalID]*features
	// post lists the records holding each key (see keys): candidates
	// come from them, and their length is how rare a value is.
	post map[key][]*features
}

// Verdict is a person's decision on a record, seen from the other of the
// pair: Other is the same customer (Same) or not. The directory keeps the
// decisions; Links takes those of the record it answers.
type Verdict struct {
	Other customer.GlobalID
	Same  bool
}

// considered counts the candidates scored (see Considered).
var considered atomic.Int64

// personKey turns a contact name's key into the key of the person
// records of that name: a company finds the call centre's records of its
// contacts without a second hash of the name.
const personKey key = 0x9e3779b97f4a7c15

// maxBlock is the most records a key may hold and still bring
// candidates: a value that common (a 400 number, a chain's trade name) is
// evidence, weighed by its rarity, but pairs every holder with every
// other, which no one would call a lead.
const maxBlock = 200

// minScore is the least score of a pair Links answers: evidence about
// as strong against as for (about 1 in 100 of such pairs is a link).
const minScore = -4.6

// New returns an empty index.
func New() *Index {
	return &Index{recs: map[customer.GlobalID]*features{}, post: map[key][]*features{}}
}

// keys lists the keys f is found under. Some only count how rare a
// value is (d, n, c); the others also bring candidates, and are narrow
// enough to: a trade name is a candidate key only with the start of its
// industry (k: 卓创|纺织), since one trade name alone is shared by
// hundreds of companies of a large directory; a name written with no
// industry (b: 卓创 alone) is found by the trade name.
func (f *features) keys(yield func(key)) {
	// Each key once, though a name and its alias share some (卓创 of
	// 杭州卓创纺织 and of 卓创纺织): a posting holds a record once.
	var buf [32]key
	ks := buf[:0]
	add := func(k key) {
		if !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	for _, k := range f.phones {
		add(k)
	}
	for _, k := range f.emails {
		add(k)
	}
	for _, k := range f.domains {
		add(k)
	}
	for _, k := range f.contacts {
		add(k)
	}
	if f.uscc != "" {
		add(keyOf('u', f.uscc))
	}
	if f.person {
		add(keyOf('n', f.name.Full) ^ personKey)
	} else {
		nameKeys(f.name, add)
		for _, a := range f.aliases {
			nameKeys(a, add)
		}
	}
	for _, k := range ks {
		yield(k)
	}
}

// nameKeys are the keys a company name (or alias) is found under: its
// trade name (c), with the start of its industry (k) or alone (b), and its
// pinyin with the start of its industry (y).
func nameKeys(n customer.CompanyName, yield func(key)) {
	if n.Core == "" {
		return
	}
	yield(keyOf('c', n.Core))
	if n.Industry == "" {
		yield(keyOf('b', n.Core))
		return
	}
	ind := industryStart(n.Industry)
	yield(keyOf('k', n.Core+"|"+ind))
	for _, py := range pinyinKeys(n.Core) {
		yield(keyOf('y', py+"|"+ind))
	}
}

// industryStart is the first two characters of an industry: what a name
// shortened keeps (电子 of 电子科技, 机械 of 机械设备).
func industryStart(ind string) string {
	n := 0
	for i := range ind {
		if n == 2 {
			return ind[:i]
		}
		n++
	}
	return ind
}

// Reset replaces the whole index with cs, built in parallel.
func (x *Index) Reset(cs []*customer.Customer) {
	fs := make([]*features, len(cs))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(cs); i += workers {
				fs[i] = extract(cs[i])
			}
		})
	}
	wg.Wait()
	recs := make(map[customer.GlobalID]*features, len(fs))
	post := make(map[key][]*features, len(fs)*4)
	for _, f := range fs {
		recs[f.id] = f
		f.keys(func(k key) { post[k] = append(post[k], f) })
	}
	x.mu.Lock()
	x.recs, x.post = recs, post
	x.mu.Unlock()
}

// Apply brings records created, changed or deleted into the index.
func (x *Index) Apply(upserts []*customer.Customer, deletes []customer.GlobalID) {
	fs := make([]*features, len(upserts))
	for i, c := range upserts {
		fs[i] = extract(c)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range deletes {
		x.remove(id)
	}
	for _, f := range fs {
		x.remove(f.id)
		x.recs[f.id] = f
		f.keys(func(k key) { x.post[k] = append(x.post[k], f) })
		x.invalidate(f)
	}
}

func (x *Index) remove(id customer.GlobalID) {
	old, ok := x.recs[id]
	if !ok {
		return
	}
	x.invalidate(old)
	delete(x.recs, id)
	old.keys(func(k key) {
		list := x.post[k]
		if i := slices.Index(list, old); i >= 0 {
			list[i] = list[len(list)-1]
			list = list[:len(list)-1]
		}
		if len(list) == 0 {
			delete(x.post, k)
		} else {
			x.post[k] = list
		}
	})
}

// Len is how many records the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.recs)
}

func cmpID(a, b customer.GlobalID) int {
	if c := cmp.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// Links answers the records of sources (all others when empty) that c is
// the same customer as, with a score of at least minScore, strongest
// first: what the resolver finds, overridden by people's decisions on c
// (verdicts): a confirmed partner at confidence 1 whatever its score, a
// rejected one never. c is compared as the index holds it when it does
// (so that links are symmetric), else as given.
func (x *Index) Links(c *customer.Customer, sources []customer.Source, verdicts []Verdict) []Link {
	id := customer.GlobalID{Source: c.Source, Key: c.SourceID}
	x.mu.RLock()
	defer x.mu.RUnlock()
	var raw []Link
	f, held := x.recs[id]
	if held {
		// What the resolver finds for a record the index holds is kept
		// with it until a change that may alter it (see invalidate).
		if p := f.links.Load(); p != nil {
			raw = *p
		} else {
			raw = x.resolve(f, true)
			f.links.Store(&raw)
		}
	} else {
		f = extract(c)
		raw = x.resolve(f, false)
	}
	var mask [4]bool // by Source.Ordinal: the sources asked, c's own left out
	for i, src := range customer.AllSources {
		mask[i] = src != c.Source && (len(sources) == 0 || slices.Contains(sources, src))
	}

	// People's decisions over the resolver's links.
	decided := func(o customer.GlobalID) bool {
		return slices.ContainsFunc(verdicts, func(v Verdict) bool { return v.Other == o })
	}
	out := make([]Link, 0, len(raw)+len(verdicts))
	for _, v := range verdicts {
		o := v.Other
		if !v.Same || !mask[o.Source.Ordinal()] {
			continue
		}
		l := Link{ID: o, Confidence: 1, Score: math.Inf(1), Signals: []Signal{Confirmed}}
		if i := slices.IndexFunc(raw, func(r Link) bool { return r.ID == o }); i >= 0 {
			l.Signals = append(l.Signals, raw[i].Signals...)
			l.Customer = raw[i].Customer
		} else if of, ok := x.recs[o]; ok {
			_, sigs := score(f, of, x.count)
			l.Signals = append(l.Signals, sigs...)
			l.Customer = of.c
		}
		out = append(out, l)
	}
	for _, l := range raw {
		// A confirmed partner is in out already; a rejected one stays out.
		if mask[l.ID.Source.Ordinal()] && !decided(l.ID) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Link) int {
		if c := cmp.Compare(b.Confidence, a.Confidence); c != 0 {
			return c
		}
		return cmpID(a.ID, b.ID)
	})
	return out
}

func (x *Index) count(k key) int { return len(x.post[k]) }

// resolve finds what the resolver links f to in every other source,
// before people's decisions; held: f is the index's own. x.mu is held
// (for reading at least).
func (x *Index) resolve(f *features, held bool) []Link {
	// Candidates are few (about a dozen a record): a slice beats a map.
	seen := make([]*features, 0, 16)
	var out []Link
	consider := func(o *features) {
		if o == f || o.src == f.src || slices.Contains(seen, o) || !held && o.id == f.id {
			return
		}
		seen = append(seen, o)
		var t tally
		if s := weigh(f, o, x.count, &t); s >= minScore {
			out = append(out, Link{ID: o.id, Customer: o.c, Confidence: confidence(s), Score: s, Signals: t.signals()})
		}
	}
	f.candidateKeys(func(k, gate key) {
		if len(x.post[gate]) <= maxBlock {
			for _, o := range x.post[k] {
				consider(o)
			}
		}
	})
	considered.Add(int64(len(seen)))
	return out
}

// candidateKeys lists the keys f's candidates are found under, each with
// its gate: the key whose holders must be few (maxBlock) for it to bring
// candidates. A pair is a candidate from both sides or neither, so links
// are symmetric: each key is looked up by the records it holds, under the
// same gate (a person by its name among contact names, a company's
// contacts among person records, both gated by the contact name; a name
// without industry and one with, both gated by the trade name).
func (f *features) candidateKeys(yield func(k, gate key)) {
	for _, k := range f.phones {
		yield(k, k)
	}
	for _, k := range f.emails {
		yield(k, k)
	}
	if f.uscc != "" {
		k := keyOf('u', f.uscc)
		yield(k, k)
	}
	if f.person {
		k := keyOf('n', f.name.Full)
		yield(k, k)
		return
	}
	for _, n := range f.contacts {
		yield(n^personKey, n)
	}
	nameCandidates(f.name, yield)
	for _, a := range f.aliases {
		nameCandidates(a, yield)
	}
}

// nameCandidates looks a company name (or alias) up: a name without
// industry among every name of its trade name; one with industry among
// those with the same start of industry, those without industry, and
// those of the same pinyin.
func nameCandidates(n customer.CompanyName, yield func(k, gate key)) {
	if n.Core == "" {
		return
	}
	c := keyOf('c', n.Core)
	if n.Industry == "" {
		yield(c, c)
		return
	}
	ind := industryStart(n.Industry)
	k := keyOf('k', n.Core+"|"+ind)
	yield(k, k)
	yield(keyOf('b', n.Core), c)
	for _, py := range pinyinKeys(n.Core) {
		y := keyOf('y', py+"|"+ind)
		yield(y, y)
	}
}

// invalidate drops the kept links of every record whose links a change
// of f (in, out or changed) may alter: f's, and those of every record
// holding one of f's keys, since the pair may be a candidate now or no
// longer, and since the key's rarity, which weighs every pair sharing
// it, changed. Pairs that share none of f's keys score as before. x.mu
// is held for writing.
func (x *Index) invalidate(f *features) {
	f.links.Store(nil)
	f.keys(func(k key) {
		// A value held by more records than maxBlock brings no candidate,
		// and weighs nothing long before (see rare): one more or less
		// holder changes no score.
		if list := x.post[k]; len(list) <= maxBlock+1 {
			for _, o := range list {
				o.links.Store(nil)
			}
		}
	})
}

// Warm resolves, in the background of a load, the links of every record
// not yet resolved, a few hundred at a time (each batch under the read
// lock, so changes wait a millisecond at most), until done or ctx ends:
// a page's links are then read, not computed.
func (x *Index) Warm(ctx context.Context) {
	x.mu.RLock()
	all := make([]*features, 0, len(x.recs))
	for _, f := range x.recs {
		all = append(all, f)
	}
	x.mu.RUnlock()
	for i := 0; i < len(all) && ctx.Err() == nil; i += warmBatch {
		x.mu.RLock()
		for _, f := range all[i:min(i+warmBatch, len(all))] {
			if x.recs[f.id] == f && f.links.Load() == nil {
				raw := x.resolve(f, true)
				f.links.Store(&raw)
			}
		}
		x.mu.RUnlock()
	}
}

const warmBatch = 256

// Considered is how many candidates Links has scored since the process
// started (for make eval, which reports candidates a record).
func Considered() int64 { return considered.Load() }
