package identity

import (
	"cmp"
	"runtime"
	"slices"
	"sync"

	"custgraph/internal/customer"
)

// Link is one record of another source that a record is (probably) the
// same customer as.
type Link struct {
	ID customer.GlobalID
	// Confidence is 0 to 1; 1 where a person confirmed the link.
	Confidence float64
	// Signals are what the link rests on, strongest first.
	Signals []Signal
}

// Index holds the features of every record of the directory and the keys
// candidates come from. It follows the directory (Reset, Apply) and
// answers links from memory. Safe for concurrent use.
type Index struct {
	mu   sync.RWMutex
	recs map[customer.GlobalID]*features
	// post lists the records holding each key ("p"+phone, "e"+email,
	// "d"+domain, "n"+contact name, "c"+trade name, "y"+its pinyin,
	// "a"+an alias's trade name, "u"+credit code): candidates come from
	// them, and their length is how rare a value is.
	post map[string][]*features
	// decided holds people's decisions, by pair (lower ID first): true
	// for confirmed. confirmed lists each record's confirmed partners.
	decided   map[[2]customer.GlobalID]bool
	confirmed map[customer.GlobalID][]customer.GlobalID
}

// maxBlock is the most records a key may hold and still bring
// candidates: a value that common (a 400 number, a chain's trade name) is
// evidence, weighed by its rarity, but pairs every holder with every
// other, which no one would call a lead.
const maxBlock = 200

// minConfidence is the least confidence of a link Links answers.
const minConfidence = 0.01

// New returns an empty index.
func New() *Index {
	return &Index{recs: map[customer.GlobalID]*features{}, post: map[string][]*features{},
		decided: map[[2]customer.GlobalID]bool{}, confirmed: map[customer.GlobalID][]customer.GlobalID{}}
}

// keys lists the keys f is found under.
func (f *features) keys(yield func(string)) {
	for _, p := range f.phones {
		yield("p" + p)
	}
	for _, e := range f.emails {
		yield("e" + e)
	}
	for _, d := range f.domains {
		yield("d" + d)
	}
	for _, n := range f.contacts {
		yield("n" + n)
	}
	if f.uscc != "" {
		yield("u" + f.uscc)
	}
	if f.person || f.name.Core == "" {
		return
	}
	yield("c" + f.name.Core)
	for _, py := range f.py {
		yield("y" + py)
	}
	for _, a := range f.aliases {
		if a.Core != "" && a.Core != f.name.Core {
			yield("a" + a.Core)
		}
	}
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
	post := make(map[string][]*features, len(fs)*4)
	for _, f := range fs {
		recs[f.id] = f
		f.keys(func(k string) { post[k] = append(post[k], f) })
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
		f.keys(func(k string) { x.post[k] = append(x.post[k], f) })
	}
}

func (x *Index) remove(id customer.GlobalID) {
	old, ok := x.recs[id]
	if !ok {
		return
	}
	delete(x.recs, id)
	old.keys(func(k string) {
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

func pair(a, b customer.GlobalID) [2]customer.GlobalID {
	if cmpID(a, b) > 0 {
		a, b = b, a
	}
	return [2]customer.GlobalID{a, b}
}

func cmpID(a, b customer.GlobalID) int {
	if c := cmp.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// Decide records a person's decision on a and b: same (confirmed) or not
// (rejected). The later decision on a pair replaces the earlier.
func (x *Index) Decide(a, b customer.GlobalID, same bool) {
	p := pair(a, b)
	x.mu.Lock()
	defer x.mu.Unlock()
	was, had := x.decided[p]
	x.decided[p] = same
	if had && was == same {
		return
	}
	if same {
		x.confirmed[a] = append(x.confirmed[a], b)
		x.confirmed[b] = append(x.confirmed[b], a)
		return
	}
	if had && was {
		x.confirmed[a] = slices.DeleteFunc(x.confirmed[a], func(id customer.GlobalID) bool { return id == b })
		x.confirmed[b] = slices.DeleteFunc(x.confirmed[b], func(id customer.GlobalID) bool { return id == a })
	}
}

// Links answers the records of sources (all others when empty) that c is
// the same customer as, with confidence at least minConfidence, strongest
// first: what the resolver finds, overridden by people's decisions. c is
// compared as the index holds it when it does (so that links are
// symmetric), else as given.
func (x *Index) Links(c *customer.Customer, sources []customer.Source) []Link {
	id := customer.GlobalID{Source: c.Source, Key: c.SourceID}
	x.mu.RLock()
	defer x.mu.RUnlock()
	f, ok := x.recs[id]
	if !ok {
		f = extract(c)
	}
	want := func(src customer.Source) bool {
		return src != c.Source && (len(sources) == 0 || slices.Contains(sources, src))
	}
	count := func(k string) int { return len(x.post[k]) }

	seen := map[customer.GlobalID]bool{id: true}
	var out []Link
	consider := func(o *features) {
		if seen[o.id] || !want(o.id.Source) {
			return
		}
		seen[o.id] = true
		if same, ok := x.decided[pair(id, o.id)]; ok && !same {
			return
		}
		s, sigs := score(f, o, count)
		if conf := confidence(s); conf >= minConfidence {
			out = append(out, Link{ID: o.id, Confidence: conf, Signals: sigs})
		}
	}
	// Confirmed partners first: they hold whatever the score.
	for _, o := range x.confirmed[id] {
		if !want(o.Source) || seen[o] {
			continue
		}
		seen[o] = true
		l := Link{ID: o, Confidence: 1, Signals: []Signal{Confirmed}}
		if of, ok := x.recs[o]; ok {
			_, sigs := score(f, of, count)
			l.Signals = append(l.Signals, sigs...)
		}
		out = append(out, l)
	}
	block := func(k string, only func(*features) bool) {
		list := x.post[k]
		if len(list) > maxBlock {
			return
		}
		for _, o := range list {
			if only == nil || only(o) {
				consider(o)
			}
		}
	}
	isPerson := func(o *features) bool { return o.person }
	for _, p := range f.phones {
		block("p"+p, nil)
	}
	for _, e := range f.emails {
		block("e"+e, nil)
	}
	if f.uscc != "" {
		block("u"+f.uscc, nil)
	}
	if f.person {
		block("n"+f.name.Full, nil)
	} else {
		for _, n := range f.contacts {
			block("n"+n, isPerson)
		}
		if f.name.Core != "" {
			block("c"+f.name.Core, nil)
			block("a"+f.name.Core, nil)
			for _, py := range f.py {
				block("y"+py, nil)
			}
		}
		for _, a := range f.aliases {
			if a.Core != "" {
				block("c"+a.Core, nil)
			}
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
