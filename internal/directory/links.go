package directory

import (
	"context"

	"custgraph/internal/customer"
	"custgraph/internal/identity"
)

// Identity resolution runs on the directory's copy: the identity index
// follows every record the copy takes in or drops, so links change as the
// sources do, with no vendor call.

// linkAll rebuilds the identity index from a whole copy.
func (d *Directory) linkAll(entries []*Entry) {
	cs := make([]*customer.Customer, len(entries))
	for i, e := range entries {
		cs[i] = e.C
	}
	d.ids.Reset(cs)
}

// linkBatch brings one batch's records into the identity index.
func (d *Directory) linkBatch(b *Batch) {
	if len(b.Upserts) == 0 && len(b.Deletes) == 0 {
		return
	}
	cs := make([]*customer.Customer, len(b.Upserts))
	for i, e := range b.Upserts {
		cs[i] = e.C
	}
	gone := make([]customer.GlobalID, len(b.Deletes))
	for i, id := range b.Deletes {
		gone[i] = customer.GlobalID{Source: b.Source, Key: id}
	}
	d.ids.Apply(cs, gone)
}

// Links implements customer.Linker: c's links to the records the copy
// holds of sources.
func (d *Directory) Links(c *customer.Customer, sources []customer.Source) []customer.Link {
	found := d.ids.Links(c, sources, d.Verdicts(customer.GlobalID{Source: c.Source, Key: c.SourceID}))
	out := make([]customer.Link, 0, len(found))
	for _, l := range found {
		if l.Customer == nil {
			continue // a confirmed partner the copy does not hold (deleted)
		}
		out = append(out, customer.Link{Customer: l.Customer, Confidence: l.Confidence, MatchedOn: l.Signals})
	}
	return out
}

// Identities is the identity index, for evaluation and benchmarks.
func (d *Directory) Identities() *identity.Index { return d.ids }

// Each calls fn with every record the copy holds of src, in NAME order,
// until fn returns false (for evaluation and benchmarks).
func (d *Directory) Each(src customer.Source, fn func(*customer.Customer) bool) {
	d.index().Each(src, func(e *Entry) bool { return fn(e.C) })
}

func (k Key) global() customer.GlobalID { return customer.GlobalID{Source: k.Source, Key: k.ID} }

// Verdicts are people's decisions on id, as the identity index takes them.
func (d *Directory) Verdicts(id customer.GlobalID) []identity.Verdict {
	k := Key{Source: id.Source, ID: id.Key}
	d.mu.RLock()
	defer d.mu.RUnlock()
	ps := d.decided[k]
	if len(ps) == 0 {
		return nil
	}
	out := make([]identity.Verdict, len(ps))
	for i, p := range ps {
		dec := d.decisions[p]
		other := dec.B
		if other == k {
			other = dec.A
		}
		out[i] = identity.Verdict{Other: other.global(), Same: dec.Same}
	}
	return out
}

// DecideLink implements customer.Linker: the decision is stored, shared
// and in the copy's decisions (which links read) before it returns, and logged with who made
// it (decisions override the resolver, so who overrode it must be known).
func (d *Directory) DecideLink(ctx context.Context, a, b customer.GlobalID, same bool, by string) error {
	dec := NewDecision(Key{Source: a.Source, ID: a.Key}, Key{Source: b.Source, ID: b.Key}, same, by, d.o.Now())
	if err := d.Decide(ctx, dec); err != nil {
		return err
	}
	verdict := "rejected"
	if same {
		verdict = "confirmed"
	}
	d.o.Log.Info("directory: a person decided a link", "a", a.String(), "b", b.String(), "decision", verdict, "principal", by)
	return nil
}
