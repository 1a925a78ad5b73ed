package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"custgraph/internal/customer"
)

// Why bbolt: the directory is searched and ordered in memory (see Index),
// so what it needs on disk is a crash-safe key-value file that a restart
// reads back in one sequential pass, and that takes a batch of records
// with the sync state in one transaction. bbolt does exactly that (etcd's
// store: copy-on-write pages, a checksummed meta page, fsync on commit),
// in pure Go with no cgo and a small build. SQLite (modernc.org/sqlite)
// would add an FTS index the directory does not use, and a build several
// times larger; bleve's index is both slower to build and unable to find
// one-character Chinese queries. A torn write cannot be seen: bbolt
// commits by switching meta pages, so a crash leaves the last committed
// transaction.

// fileName is the directory's file under the data directory.
const fileName = "directory.db"

var (
	metaBucket  = []byte("meta")
	stateBucket = []byte("state")
	formatKey   = []byte("format")
	// decisionBucket holds people's link decisions: key PairKey, value
	// EncodeDecision. A file written before decisions has none, which
	// reads as no decision (FormatVersion did not change for them).
	decisionBucket = []byte("decisions")
)

func recordBucket(src customer.Source) []byte { return []byte("records/" + string(src)) }

// stored is an Entry as the stores encode it.
type stored struct {
	C *customer.Customer `json:"c"`
	M string             `json:"m,omitempty"`
}

// EncodeEntry is how the stores write an entry.
func EncodeEntry(e *Entry) ([]byte, error) { return json.Marshal(stored{C: e.C, M: e.Marker}) }

// DecodeEntry reads what EncodeEntry wrote for src's record id; a value
// that is not that record is an error.
func DecodeEntry(src customer.Source, id string, b []byte) (*Entry, error) {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if s.C == nil || s.C.Source != src || s.C.SourceID != id {
		return nil, fmt.Errorf("record %s/%s holds another record", src, id)
	}
	return &Entry{C: compact(s.C), Marker: s.M}, nil
}

// File is the Store kept in a file under the data directory.
type File struct {
	db   *bolt.DB
	path string
}

// OpenFile opens (creating when missing) the directory's file in dir. A
// file that cannot be opened as a store (corrupt) is moved aside as
// directory.db.corrupt-<time> and a new one started; Load then reports
// the reset. A file another process holds is an error.
func OpenFile(dir string) (*File, string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, "", fmt.Errorf("directory data dir: %w", err)
	}
	path := filepath.Join(dir, fileName)
	reset := ""
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, "", fmt.Errorf("directory data dir %s is in use by another process (give each replica its own CUSTGRAPH_DATA_DIR, or share one directory through CUSTGRAPH_REDIS_URL)", dir)
	}
	if err != nil {
		aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405")
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, "", fmt.Errorf("directory file %s cannot be opened (%v) nor moved aside: %w", path, err, rerr)
		}
		reset = fmt.Sprintf("the file could not be read (%v); moved aside to %s", err, filepath.Base(aside))
		if db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second}); err != nil {
			return nil, "", fmt.Errorf("directory file: %w", err)
		}
	}
	return &File{db: db, path: path}, reset, nil
}

// Load implements Store: every record, state and decision, or no record
// nor state (with Reset set) when the file holds another format version
// or a record that cannot be read; the records are then dropped, so that
// nothing of them is ever served. The decisions are kept: the vendors
// cannot give them back, and each is read (and checked) on its own; one
// that cannot be read is left out.
func (f *File) Load(ctx context.Context) (*Snapshot, error) {
	snap, err := f.load(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(decisionBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			if dec, err := DecodeDecision(v); err == nil {
				snap.Decisions = append(snap.Decisions, dec)
			}
			return nil
		})
	}); err != nil {
		return nil, err
	}
	return snap, nil
}

// load reads the records and states.
func (f *File) load(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{Entries: map[customer.Source][]*Entry{}, States: map[customer.Source]*State{}}
	var empty bool
	err := f.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil {
			empty = true
			return nil
		}
		if v := string(meta.Get(formatKey)); v != strconv.Itoa(FormatVersion) {
			return fmt.Errorf("written by format version %q, this build reads %d", v, FormatVersion)
		}
		if states := tx.Bucket(stateBucket); states != nil {
			if err := states.ForEach(func(k, v []byte) error {
				src, err := customer.ParseSource(string(k))
				if err != nil {
					return fmt.Errorf("state of unknown source %q", k)
				}
				st := &State{}
				if err := json.Unmarshal(v, st); err != nil {
					return fmt.Errorf("state of %s: %w", src, err)
				}
				snap.States[src] = st
				return nil
			}); err != nil {
				return err
			}
		}
		for _, src := range customer.AllSources {
			b := tx.Bucket(recordBucket(src))
			if b == nil {
				continue
			}
			// The values are bbolt's memory, valid for this transaction:
			// decoded here, in parallel (decoding is most of a restart).
			var keys, vals [][]byte
			if err := b.ForEach(func(k, v []byte) error {
				keys, vals = append(keys, k), append(vals, v)
				return nil
			}); err != nil {
				return err
			}
			entries, err := decodeAll(ctx, src, keys, vals)
			if err != nil {
				return err
			}
			snap.Entries[src] = entries
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		// Never served wrong: what cannot be read whole is dropped, and
		// the sources are read again.
		if werr := f.wipe(); werr != nil {
			return nil, fmt.Errorf("directory file unreadable (%v) and not reset: %w", err, werr)
		}
		return &Snapshot{Entries: map[customer.Source][]*Entry{}, States: map[customer.Source]*State{}, Reset: err.Error()}, nil
	}
	if empty {
		if err := f.wipe(); err != nil {
			return nil, err
		}
	}
	return snap, nil
}

// wipe empties the file of all but its decisions and stamps it with this
// build's format.
func (f *File) wipe() error {
	return f.db.Update(func(tx *bolt.Tx) error {
		var names [][]byte
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !bytes.Equal(name, decisionBucket) {
				names = append(names, append([]byte(nil), name...))
			}
			return nil
		})
		for _, n := range names {
			if err := tx.DeleteBucket(n); err != nil {
				return err
			}
		}
		meta, err := tx.CreateBucket(metaBucket)
		if err != nil {
			return err
		}
		return meta.Put(formatKey, []byte(strconv.Itoa(FormatVersion)))
	})
}

// Commit implements Store: the batch in one transaction, fsynced.
func (f *File) Commit(_ context.Context, b *Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if len(b.Decisions) > 0 {
		return f.db.Update(func(tx *bolt.Tx) error {
			decs, err := tx.CreateBucketIfNotExists(decisionBucket)
			if err != nil {
				return err
			}
			for _, dec := range b.Decisions {
				v, err := EncodeDecision(dec)
				if err != nil {
					return err
				}
				if err := decs.Put([]byte(PairKey(dec.A, dec.B)), v); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return f.db.Update(func(tx *bolt.Tx) error {
		recs, err := tx.CreateBucketIfNotExists(recordBucket(b.Source))
		if err != nil {
			return err
		}
		for _, e := range b.Upserts {
			v, err := EncodeEntry(e)
			if err != nil {
				return err
			}
			if err := recs.Put([]byte(e.C.SourceID), v); err != nil {
				return err
			}
		}
		for _, id := range b.Deletes {
			if err := recs.Delete([]byte(id)); err != nil {
				return err
			}
		}
		if b.State != nil {
			states, err := tx.CreateBucketIfNotExists(stateBucket)
			if err != nil {
				return err
			}
			v, err := json.Marshal(b.State)
			if err != nil {
				return err
			}
			return states.Put([]byte(b.Source), v)
		}
		return nil
	})
}

// Close implements Store.
func (f *File) Close() error { return f.db.Close() }

// decodeAll decodes src's records on every CPU.
func decodeAll(ctx context.Context, src customer.Source, keys, vals [][]byte) ([]*Entry, error) {
	entries := make([]*Entry, len(keys))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(keys)/1000))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(keys); i += workers {
				if i%1024 == 0 && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				e, err := DecodeEntry(src, string(keys[i]), vals[i])
				if err != nil {
					errs[w] = fmt.Errorf("record %s/%s: %w", src, keys[i], err)
					return
				}
				entries[i] = e
			}
		})
	}
	wg.Wait()
	return entries, errors.Join(errs...)
}
