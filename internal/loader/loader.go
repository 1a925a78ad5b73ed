// Package loader batches and de-duplicates every upstream lookup of one
// GraphQL request: records by key and by exact name, per source. Loaders
// are built per request by Middleware and fetched with For(ctx), so that a
// key asked for anywhere in one response costs one upstream lookup, and no
// answer outlives its request.
package loader

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"custgraph/internal/customer"
)

// Options tunes the loaders. Zero values take the defaults.
type Options struct {
	// Wait is how long a batch collects keys (default 1 ms). It is paid
	// at every nesting level of a query, so it stays small.
	Wait time.Duration
	// BatchTimeout bounds one batch's upstream work (default 15 s).
	BatchTimeout time.Duration
	// Capacity is the most keys per batch, per source (default U8 100,
	// YCM 50, CRM 50: what each vendor answers in reasonable time with
	// the service's fan-out).
	Capacity map[customer.Source]int
	// Known, when set, answers the keys and names this process already
	// holds (the gateway's caches), so that they are answered at once
	// rather than after a batch's wait at every level of a query.
	Known Known
}

// Known answers from what this process already holds, with no call and no
// waiting; ok is false when it holds nothing for the question. A record
// known not to exist is a nil record with ok true.
type Known interface {
	Record(src customer.Source, key string) (c *customer.Customer, ok bool)
	Named(src customer.Source, name string) (cs []*customer.Customer, ok bool)
}

func (o Options) withDefaults() Options {
	if o.Wait <= 0 {
		o.Wait = time.Millisecond
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = 15 * time.Second
	}
	caps := map[customer.Source]int{customer.U8: 100, customer.YCM: 50, customer.CRM: 50}
	for k, v := range o.Capacity {
		if v > 0 {
			caps[k] = v
		}
	}
	o.Capacity = caps
	return o
}

// Loaders holds one request's loaders, made on first use: most requests
// touch one or two of the six.
type Loaders struct {
	svc    *customer.Service
	o      Options
	mu     sync.Mutex
	byKey  [3]*dataloader.Loader[string, *customer.Customer]
	byName [3]*dataloader.Loader[string, []*customer.Customer]
}

// New builds a request's loaders over svc.
func New(svc *customer.Service, o Options) *Loaders {
	return &Loaders{svc: svc, o: o.withDefaults()}
}

// slot is src's index in the loader arrays.
func slot(src customer.Source) int {
	switch src {
	case customer.U8:
		return 0
	case customer.YCM:
		return 1
	default:
		return 2
	}
}

func (l *Loaders) keyLoader(src customer.Source) *dataloader.Loader[string, *customer.Customer] {
	l.mu.Lock()
	defer l.mu.Unlock()
	ld := &l.byKey[slot(src)]
	if *ld == nil {
		*ld = newLoader(l.o, src, l.svc.GetMany)
	}
	return *ld
}

func (l *Loaders) nameLoader(src customer.Source) *dataloader.Loader[string, []*customer.Customer] {
	l.mu.Lock()
	defer l.mu.Unlock()
	ld := &l.byName[slot(src)]
	if *ld == nil {
		*ld = newLoader(l.o, src, l.svc.FindByNames)
	}
	return *ld
}

// known is a thunk for an answer this process already has: the loaders
// hand it out at once instead of waiting out a batch (Options.Wait at
// every level of a query) for nothing.
func known[V any](v V) dataloader.Thunk[V] {
	return func() (V, error) { return v, nil }
}

// loadKey is a thunk for src's record key.
func (l *Loaders) loadKey(ctx context.Context, src customer.Source, key string) dataloader.Thunk[*customer.Customer] {
	if l.o.Known != nil {
		if c, ok := l.o.Known.Record(src, key); ok {
			return known(c)
		}
	}
	return l.keyLoader(src).Load(ctx, key)
}

// loadName is a thunk for src's records named name.
func (l *Loaders) loadName(ctx context.Context, src customer.Source, name string) dataloader.Thunk[[]*customer.Customer] {
	if l.o.Known != nil {
		if cs, ok := l.o.Known.Named(src, name); ok {
			return known(cs)
		}
	}
	return l.nameLoader(src).Load(ctx, name)
}

// newLoader builds one loader over a service batch function. Transient
// failures are removed from the loader's cache once the batch ends, so a
// later lookup in the same request tries again instead of repeating the
// failure.
func newLoader[V any](o Options, src customer.Source,
	fetch func(context.Context, customer.Source, []string) ([]V, []error)) *dataloader.Loader[string, V] {
	var ld *dataloader.Loader[string, V]
	batch := func(ctx context.Context, keys []string) []*dataloader.Result[V] {
		// The batch runs on the context of the first caller; bound it on
		// its own so one batch cannot hold a request forever.
		ctx, cancel := context.WithTimeout(ctx, o.BatchTimeout)
		defer cancel()
		vals, errs := fetch(ctx, src, keys)
		out := make([]*dataloader.Result[V], len(keys))
		for i := range keys {
			out[i] = &dataloader.Result[V]{Data: vals[i], Error: errs[i]}
			if customer.IsTransient(errs[i]) || ctx.Err() != nil {
				defer ld.Clear(ctx, keys[i])
			}
		}
		return out
	}
	ld = dataloader.NewBatchedLoader(batch,
		dataloader.WithWait[string, V](o.Wait),
		dataloader.WithBatchCapacity[string, V](o.Capacity[src]))
	return ld
}

type ctxKey struct{}

// Middleware puts fresh loaders over svc into every request's context.
func Middleware(svc *customer.Service, o Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := context.WithValue(r.Context(), ctxKey{}, New(svc, o))
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// WithLoaders returns ctx carrying l (for callers outside HTTP, e.g. tests).
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders. It panics when Middleware did not
// run: that is a wiring bug, not a runtime condition.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loader.For: no loaders in context; is loader.Middleware installed?")
	}
	return l
}

// Customer loads one record by global ID; nil when it does not exist.
func (l *Loaders) Customer(ctx context.Context, id string) (*customer.Customer, error) {
	gid, err := l.svc.Key(id)
	if err != nil {
		return nil, err
	}
	return l.loadKey(ctx, gid.Source, gid.Key)()
}

// Customers loads records by global ID, in order, nil where a record does
// not exist. Any malformed ID fails the whole question before any upstream
// call; a failed source yields nil entries and its errors.
func (l *Loaders) Customers(ctx context.Context, ids []string) ([]*customer.Customer, []error) {
	gids := make([]customer.GlobalID, len(ids))
	for i, id := range ids {
		gid, err := l.svc.Key(id)
		if err != nil {
			return nil, []error{err}
		}
		gids[i] = gid
	}
	thunks := make([]dataloader.Thunk[*customer.Customer], len(ids))
	for i, gid := range gids {
		thunks[i] = l.loadKey(ctx, gid.Source, gid.Key)
	}
	out := make([]*customer.Customer, len(ids))
	var errs []error
	seen := map[customer.Source]bool{}
	for i, th := range thunks {
		c, err := th()
		if err != nil {
			// One error per failed source is enough for the client.
			if !seen[gids[i].Source] {
				seen[gids[i].Source] = true
				errs = append(errs, err)
			}
			continue
		}
		out[i] = c
	}
	return out, errs
}

// ByName finds the records named exactly name in the chosen sources (all
// enabled ones when none are given).
func (l *Loaders) ByName(ctx context.Context, name string, sources []customer.Source) ([]*customer.Customer, []error) {
	if len(sources) == 0 {
		sources = customer.AllSources
	}
	var chosen []customer.Source
	for _, src := range sources {
		if l.svc.Enabled(src) {
			chosen = append(chosen, src)
		}
	}
	return l.namesLater(ctx, name, chosen, nil)()
}

// MatchesOf finds each of cs in other sources, the matches of cs[i] at
// i: the links at or above the match threshold where the directory serves
// the source (identity resolution, no vendor call), the records of exactly
// the same name where it does not (the directory off or still syncing: the
// vendors' own name lookups, batched). Every name lookup is asked of the
// loaders before any is awaited, so one goroutine puts all of them in one
// batch: a page's matches need no goroutine per row to be batched
// (graph's batch resolver of Customer.matches).
func (l *Loaders) MatchesOf(ctx context.Context, cs []*customer.Customer, sources []customer.Source) ([][]*customer.Customer, [][]error) {
	waits := make([]func() ([]*customer.Customer, []error), len(cs))
	for i, c := range cs {
		if c == nil {
			// A null row of a list that allows them (customersByIds'
			// unknown ID): it has no matches to find, and gqlgen
			// hands it in with its siblings.
			waits[i] = func() ([]*customer.Customer, []error) { return []*customer.Customer{}, nil }
			continue
		}
		waits[i] = l.matchesLater(ctx, c, sources)
	}
	out := make([][]*customer.Customer, len(cs))
	errs := make([][]error, len(cs))
	for i, wait := range waits {
		out[i], errs[i] = wait()
	}
	return out, errs
}

// matchesLater asks for c's matches and returns the wait for them.
func (l *Loaders) matchesLater(ctx context.Context, c *customer.Customer, sources []customer.Source) func() ([]*customer.Customer, []error) {
	linked, rest := l.svc.Matched(c, sources)
	if len(rest) == 0 {
		if linked == nil {
			linked = []*customer.Customer{}
		}
		return func() ([]*customer.Customer, []error) { return linked, nil }
	}
	wait := l.namesLater(ctx, c.Name, rest, c)
	return func() ([]*customer.Customer, []error) {
		// named is never nil, and the result must not be either: nil
		// with errors is a failed field, and matches is non-null, so a
		// source down would null the row, then the whole page, where
		// the contract wants the sources that answered beside the error.
		named, errs := wait()
		if len(linked) == 0 {
			return named, errs
		}
		return append(linked, named...), errs
	}
}

// namesLater asks the name loaders of sources for name and returns the
// wait for their records, self left out.
func (l *Loaders) namesLater(ctx context.Context, name string, sources []customer.Source, self *customer.Customer) func() ([]*customer.Customer, []error) {
	thunks := make([]dataloader.Thunk[[]*customer.Customer], len(sources))
	for i, src := range sources {
		thunks[i] = l.loadName(ctx, src, name)
	}
	return func() ([]*customer.Customer, []error) {
		var out []*customer.Customer
		var errs []error
		for _, th := range thunks {
			cs, err := th()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, c := range cs {
				if self == nil || c.Source != self.Source || c.SourceID != self.SourceID {
					out = append(out, c)
				}
			}
		}
		if out == nil {
			out = []*customer.Customer{}
		}
		return out, errs
	}
}

// Remark is c's remark. A CRM record the directory served lacks it (the
// CRM's list pages carry no note), so it is read from the CRM by key,
// batched with every other key of the response, and only when a client
// selects it.
func (l *Loaders) Remark(ctx context.Context, c *customer.Customer) (*string, error) {
	if c.Source != customer.CRM || c.SyncedAt == nil {
		return c.Remark, nil
	}
	live, err := l.keyLoader(c.Source).Load(ctx, c.SourceID)()
	if err != nil || live == nil {
		return nil, err
	}
	return live.Remark, nil
}
