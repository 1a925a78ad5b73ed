package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"custgraph/internal/customer"
	"custgraph/internal/directory"
)

// Directory is the directory's store shared by every replica on one
// Redis: the records (a hash per source), each source's sync state,
// people's link decisions (a hash keyed by pair), a lease per source (the
// replica holding it syncs), and a stream of the batches committed,
// decisions included, which every replica follows. Keys carry the format
// version, so that a build that writes another format starts its own copy
// instead of misreading this one.
type Directory struct {
	store *Store
	keys  dirKeys
	// maxLen bounds the change stream (approximately); a replica that
	// falls further behind reloads the snapshot.
	maxLen int64
	// block is how long one XREAD waits for changes.
	block time.Duration
}

var _ directory.Shared = (*Directory)(nil)

type dirKeys struct{ base string }

func (k dirKeys) records(src customer.Source) string {
	return k.base + "records:" + string(src)
}
func (k dirKeys) lease(src customer.Source) string { return k.base + "lease:" + string(src) }
func (k dirKeys) states() string                   { return k.base + "states" }
func (k dirKeys) decisions() string                { return k.base + "decisions" }
func (k dirKeys) stream() string                   { return k.base + "changes" }
func (k dirKeys) seq() string                      { return k.base + "seq" }

// NewDirectory returns the shared directory store on store.
func NewDirectory(store *Store) *Directory {
	// One hash tag, so that every key lands in one slot of a cluster (the
	// scripts touch several at once).
	base := fmt.Sprintf("%s{dir:v%d}:", prefix, directory.FormatVersion)
	return &Directory{store: store, keys: dirKeys{base: base}, maxLen: 10000, block: 5 * time.Second}
}

// leaseToken is this replica's token for src's lease.
func (d *Directory) leaseToken(src customer.Source) string { return d.store.id + ":" + string(src) }

var leaseAcquireScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

var leaseReleaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Acquire implements directory.Shared.
func (d *Directory) Acquire(ctx context.Context, src customer.Source, ttl time.Duration) (bool, error) {
	var held int64
	err := d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		var err error
		held, err = leaseAcquireScript.Run(ctx, rdb, []string{d.keys.lease(src)}, d.leaseToken(src), ttl.Milliseconds()).Int64()
		return err
	})
	return held == 1, err
}

// Release implements directory.Shared.
func (d *Directory) Release(ctx context.Context, src customer.Source) error {
	return d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		return leaseReleaseScript.Run(ctx, rdb, []string{d.keys.lease(src)}, d.leaseToken(src)).Err()
	})
}

// commitScript writes one batch if the caller still holds the source's
// lease (fencing: a replica that was paused past its lease cannot
// overwrite its successor), and appends it to the change stream with the
// next sequence number.
// KEYS: lease, records, states, stream, seq.
// ARGV: token, source, maxlen, state JSON ("" for none), up ids JSON, del
// ids JSON, then id/value pairs of the records written, then the ids
// deleted.
var commitScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('FENCED the lease is held by another replica')
end
local ups = cjson.decode(ARGV[5])
local dels = cjson.decode(ARGV[6])
local i = 7
for _ = 1, #ups do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, #dels do
  redis.call('HDEL', KEYS[2], ARGV[i])
  i = i + 1
end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], ARGV[4]) end
local seq = redis.call('INCR', KEYS[5])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'seq', seq, 'src', ARGV[2], 'up', ARGV[5], 'del', ARGV[6], 'state', ARGV[4])
return seq
`)

// decideScript writes a batch of decisions (no lease: whichever replica
// served the decision writes it) and appends it to the change stream with
// the next sequence number, so that every replica applies it in commit
// order. The stream entry carries the decisions themselves: applied in
// order, each replica ends on the last of each pair, as the hash does.
// KEYS: decisions, stream, seq.
// ARGV: maxlen, the decisions as a JSON array, then pair/value pairs.
var decideScript = redis.NewScript(`
local i = 3
while i < #ARGV do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local seq = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'seq', seq, 'dec', ARGV[2])
return seq
`)

// ErrFenced is a commit refused because the lease passed to another
// replica.
var ErrFenced = errors.New("directory: the sync lease is held by another replica")

// Commit implements directory.Store.
func (d *Directory) Commit(ctx context.Context, b *directory.Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if len(b.Decisions) > 0 {
		return d.decide(ctx, b.Decisions)
	}
	state := ""
	if b.State != nil {
		v, err := json.Marshal(b.State)
		if err != nil {
			return err
		}
		state = string(v)
	}
	ids := make([]string, len(b.Upserts))
	args := []any{d.leaseToken(b.Source), string(b.Source), d.maxLen, state, "", ""}
	for i, e := range b.Upserts {
		v, err := directory.EncodeEntry(e)
		if err != nil {
			return err
		}
		ids[i] = e.C.SourceID
		args = append(args, e.C.SourceID, string(v))
	}
	for _, id := range b.Deletes {
		args = append(args, id)
	}
	args[4], args[5] = jsonList(ids), jsonList(b.Deletes)
	keys := []string{d.keys.lease(b.Source), d.keys.records(b.Source), d.keys.states(), d.keys.stream(), d.keys.seq()}
	err := d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		return commitScript.Run(ctx, rdb, keys, args...).Err()
	})
	if err != nil && strings.Contains(err.Error(), "FENCED") {
		return ErrFenced
	}
	return err
}

// decide commits a batch of decisions.
func (d *Directory) decide(ctx context.Context, decs []directory.Decision) error {
	vals := make([]string, len(decs))
	args := []any{d.maxLen, ""}
	for i, dec := range decs {
		v, err := directory.EncodeDecision(dec)
		if err != nil {
			return err
		}
		vals[i] = string(v)
		args = append(args, directory.PairKey(dec.A, dec.B), vals[i])
	}
	args[1] = "[" + strings.Join(vals, ",") + "]"
	keys := []string{d.keys.decisions(), d.keys.stream(), d.keys.seq()}
	return d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		return decideScript.Run(ctx, rdb, keys, args...).Err()
	})
}

// jsonList encodes ids as a JSON array ("[]" when empty: Lua's cjson
// reads it as an empty table).
func jsonList(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

var positionScript = redis.NewScript(`
local seq = redis.call('GET', KEYS[1])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return {seq or '0', id}
`)

// position is where the change stream stands: the last entry's ID and the
// last sequence number, read together.
type position struct {
	id  string
	seq int64
}

func (p position) String() string { return p.id + "/" + strconv.FormatInt(p.seq, 10) }

func parsePosition(s string) (position, bool) {
	id, seq, ok := strings.Cut(s, "/")
	n, err := strconv.ParseInt(seq, 10, 64)
	return position{id: id, seq: n}, ok && err == nil
}

// Load implements directory.Store: the position of the change stream
// first, then every state, decision and record. Batches committed while the records
// are read are in the stream after that position, and Follow applies
// them again (writes are whole records, so applying one twice is
// harmless).
func (d *Directory) Load(ctx context.Context) (*directory.Snapshot, error) {
	snap := &directory.Snapshot{Entries: map[customer.Source][]*directory.Entry{}, States: map[customer.Source]*directory.State{}}
	var pos position
	err := d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		v, err := positionScript.Run(ctx, rdb, []string{d.keys.seq(), d.keys.stream()}).StringSlice()
		if err != nil {
			return err
		}
		pos.seq, _ = strconv.ParseInt(v[0], 10, 64)
		pos.id = v[1]
		return nil
	})
	if err != nil {
		return nil, err
	}
	snap.Position = pos.String()
	var states map[string]string
	if err := d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		var err error
		states, err = rdb.HGetAll(ctx, d.keys.states()).Result()
		return err
	}); err != nil {
		return nil, err
	}
	for k, v := range states {
		src, err := customer.ParseSource(k)
		if err != nil {
			continue
		}
		st := &directory.State{}
		if err := json.Unmarshal([]byte(v), st); err != nil {
			// Never served wrong: a state that cannot be read makes the
			// source read again.
			continue
		}
		snap.States[src] = st
	}
	var dcur uint64
	for {
		var kv []string
		if err := d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
			var err error
			kv, dcur, err = rdb.HScan(ctx, d.keys.decisions(), dcur, "", 1000).Result()
			return err
		}); err != nil {
			return nil, err
		}
		for i := 1; i < len(kv); i += 2 {
			// One that cannot be read is left out (the directory keeps
			// the others); HSCAN may return one twice, which is harmless.
			if dec, err := directory.DecodeDecision([]byte(kv[i])); err == nil {
				snap.Decisions = append(snap.Decisions, dec)
			}
		}
		if dcur == 0 {
			break
		}
	}
	for _, src := range customer.AllSources {
		var cur uint64
		for {
			var kv []string
			if err := d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
				var err error
				kv, cur, err = rdb.HScan(ctx, d.keys.records(src), cur, "", 1000).Result()
				return err
			}); err != nil {
				return nil, err
			}
			for i := 0; i+1 < len(kv); i += 2 {
				e, err := directory.DecodeEntry(src, kv[i], []byte(kv[i+1]))
				if err != nil {
					delete(snap.States, src) // read the source again
					continue
				}
				snap.Entries[src] = append(snap.Entries[src], e)
			}
			if cur == 0 {
				break
			}
		}
	}
	// HSCAN may return a record twice; the index keeps the last.
	return snap, nil
}

// Follow implements directory.Shared.
func (d *Directory) Follow(ctx context.Context, from *directory.Snapshot, apply func(*directory.Batch), reload func(*directory.Snapshot)) error {
	pos, ok := parsePosition(from.Position)
	if !ok {
		pos = position{id: "0-0"}
	}
	for ctx.Err() == nil {
		var streams []redis.XStream
		var err error
		if d.store.up.Load() {
			// Not through Store.do, whose timeout bounds quick
			// operations: this one waits for changes by design.
			bctx, cancel := context.WithTimeout(ctx, d.block+d.store.timeout)
			streams, err = d.store.rdb.XRead(bctx, &redis.XReadArgs{Streams: []string{d.keys.stream(), pos.id}, Count: 100, Block: d.block}).Result()
			cancel()
			if errors.Is(err, redis.Nil) {
				err = nil
			} else if ctx.Err() == nil {
				d.store.observe(err)
			}
		} else {
			err = ErrDown
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			sleepCtx(ctx, time.Second)
			continue
		}
		for _, st := range streams {
			for _, m := range st.Messages {
				seq, _ := strconv.ParseInt(fmt.Sprint(m.Values["seq"]), 10, 64)
				if seq != pos.seq+1 {
					// A gap: batches were trimmed away before this
					// replica read them. Start again from a snapshot.
					snap, err := d.Load(ctx)
					if err != nil {
						break
					}
					reload(snap)
					pos, _ = parsePosition(snap.Position)
					break
				}
				b, err := d.batch(ctx, m.Values)
				if err != nil {
					break // read again from pos
				}
				if b != nil {
					apply(b)
				}
				pos = position{id: m.ID, seq: seq}
			}
		}
	}
	return nil
}

// batch rebuilds a committed batch from its stream entry, reading the
// records it wrote as they are now (a later batch may have changed them
// again; it follows in the stream, so the copy ends the same). A batch of
// decisions is in its entry whole; nil when none of them can be read.
func (d *Directory) batch(ctx context.Context, v map[string]any) (*directory.Batch, error) {
	if dv, ok := v["dec"]; ok {
		return decisionBatch(fmt.Sprint(dv)), nil
	}
	src, err := customer.ParseSource(fmt.Sprint(v["src"]))
	if err != nil {
		return nil, err
	}
	b := &directory.Batch{Source: src}
	var ups []string
	if err := json.Unmarshal([]byte(fmt.Sprint(v["up"])), &ups); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(v["del"])), &b.Deletes); err != nil {
		return nil, err
	}
	if s := fmt.Sprint(v["state"]); s != "" {
		b.State = &directory.State{}
		if err := json.Unmarshal([]byte(s), b.State); err != nil {
			return nil, err
		}
	}
	for i := 0; i < len(ups); i += 500 {
		chunk := ups[i:min(i+500, len(ups))]
		var vals []any
		if err := d.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
			var err error
			vals, err = rdb.HMGet(ctx, d.keys.records(src), chunk...).Result()
			return err
		}); err != nil {
			return nil, err
		}
		for j, val := range vals {
			s, ok := val.(string)
			if !ok {
				// Deleted since: a later batch says so too.
				b.Deletes = append(b.Deletes, chunk[j])
				continue
			}
			e, err := directory.DecodeEntry(src, chunk[j], []byte(s))
			if err != nil {
				return nil, err
			}
			b.Upserts = append(b.Upserts, e)
		}
	}
	return b, nil
}

// decisionBatch reads a batch of decisions from its stream entry, leaving
// out what is not a valid decision (never retried: it would not improve).
func decisionBatch(v string) *directory.Batch {
	var raw []json.RawMessage
	if json.Unmarshal([]byte(v), &raw) != nil {
		return nil
	}
	b := &directory.Batch{}
	for _, r := range raw {
		if dec, err := directory.DecodeDecision(r); err == nil {
			b.Decisions = append(b.Decisions, dec)
		}
	}
	if len(b.Decisions) == 0 {
		return nil
	}
	return b
}

// Close implements directory.Store; the Store's connection is closed by
// its owner.
func (d *Directory) Close() error { return nil }

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
