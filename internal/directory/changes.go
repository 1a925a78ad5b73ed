package directory

import (
	"time"

	"custgraph/internal/customer"
)

// changesOf lists what b does to the copy, for OnChange: each upsert of
// a record the copy lacks as CREATED, of one whose content differs as
// UPDATED, each deletion of a record the copy holds as DELETED; what
// leaves the copy as it is tells nothing. A follower on Redis may apply a
// batch again that its snapshot already held (rebuilt from the records
// as they are now), and tells nothing twice so. Nothing until the source's
// copy has once been complete: its first full pass is a load. d.mu is
// held, before b is applied.
func (d *Directory) changesOf(b *Batch, deletes []Key) []*customer.Change {
	if d.o.OnChange == nil || len(b.Upserts)+len(deletes) == 0 || !d.loadedOnce[b.Source] {
		return nil
	}
	at := d.o.Now()
	if b.State != nil && !b.State.SyncedAt.IsZero() {
		at = b.State.SyncedAt
	}
	out := make([]*customer.Change, 0, len(b.Upserts)+len(deletes))
	for _, e := range b.Upserts {
		c := &customer.Change{Kind: customer.ChangeCreated, Source: b.Source, Key: e.C.SourceID, Customer: e.C, At: syncedAt(e, at)}
		if old, ok := d.idx.Get(Key{Source: b.Source, ID: e.C.SourceID}); ok {
			if old.Marker == e.Marker {
				continue // the same content: no change
			}
			c.Kind, c.Previous = customer.ChangeUpdated, old.C
		}
		out = append(out, c)
	}
	for _, k := range deletes {
		if old, ok := d.idx.Get(k); ok {
			out = append(out, &customer.Change{Kind: customer.ChangeDeleted, Source: k.Source, Key: k.ID, Previous: old.C, At: at})
		}
	}
	return out
}

// reloaded lists what replacing the copy old with the snapshot now
// changed, for OnChange: a replica that reloads a shared snapshot (it
// fell behind the change stream) tells its subscribers what it would
// otherwise have missed. Nothing at the first load, nor for a source
// whose copy was incomplete. d.mu is held.
func (d *Directory) reloaded(old, now *Index, snap *Snapshot) []*customer.Change {
	if d.o.OnChange == nil {
		return nil
	}
	select {
	case <-d.loaded:
	default:
		return nil // the first load
	}
	at := d.o.Now()
	var out []*customer.Change
	for _, src := range customer.AllSources {
		if !d.loadedOnce[src] {
			continue
		}
		seen := map[string]bool{}
		for _, e := range snap.Entries[src] {
			seen[e.C.SourceID] = true
			prev, ok := old.Get(Key{Source: src, ID: e.C.SourceID})
			switch {
			case !ok:
				out = append(out, &customer.Change{Kind: customer.ChangeCreated, Source: src, Key: e.C.SourceID, Customer: e.C, At: syncedAt(e, at)})
			case prev.Marker != e.Marker:
				out = append(out, &customer.Change{Kind: customer.ChangeUpdated, Source: src, Key: e.C.SourceID, Customer: e.C, Previous: prev.C, At: syncedAt(e, at)})
			}
		}
		old.Each(src, func(e *Entry) bool {
			if !seen[e.C.SourceID] {
				out = append(out, &customer.Change{Kind: customer.ChangeDeleted, Source: src, Key: e.C.SourceID, Previous: e.C, At: at})
			}
			return true
		})
	}
	return out
}

// syncedAt is when the sync read e (the same on every replica), else def.
func syncedAt(e *Entry, def time.Time) time.Time {
	if e.C.SyncedAt != nil {
		return *e.C.SyncedAt
	}
	return def
}

// noteComplete remembers the sources whose copy is complete: from then on
// their changes are told, even while a later full pass is under way or a
// follower replays older batches. d.mu is held.
func (d *Directory) noteComplete() {
	for src, st := range d.states {
		if st.Complete {
			d.loadedOnce[src] = true
		}
	}
}

// tell hands changes to OnChange.
func (d *Directory) tell(changes []*customer.Change) {
	if len(changes) > 0 && d.o.OnChange != nil {
		d.o.OnChange(changes)
	}
}
