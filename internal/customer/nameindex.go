package customer

import (
	"context"
	"sync"
	"time"
)

// nameIndex maps exact names to the records of a source that has no search
// (YCM), built by walking its list pages. It is rebuilt in the background,
// so a name lookup never pages the vendor; answers may be as old as the
// refresh interval.
type nameIndex struct {
	list     Lister
	pageSize int
	max      int
	observe  func(error)

	mu      sync.RWMutex
	byName  map[string][]*Customer
	built   time.Time
	lastErr error
	// building is closed when the build in flight ends.
	building chan struct{}
}

// buildTimeout bounds one index build.
const buildTimeout = 2 * time.Minute

// ready waits until the index has been built once, starting a build if
// none is in flight, or until ctx ends. If the first build failed, its error
// is returned and the next question tries again.
func (x *nameIndex) ready(ctx context.Context) error {
	x.mu.Lock()
	if !x.built.IsZero() {
		x.mu.Unlock()
		return nil
	}
	ch := x.building
	if ch == nil {
		// The build is shared by every waiter, so it must not end with
		// the request that happened to start it.
		ch = x.start(context.WithoutCancel(ctx))
	}
	x.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return UpstreamError(YCM, ReasonTimeout, "", ctx.Err())
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.built.IsZero() {
		return x.lastErr
	}
	return nil
}

// rebuild builds the index anew (or joins the build in flight) and waits
// for it.
func (x *nameIndex) rebuild(ctx context.Context) {
	x.mu.Lock()
	ch := x.building
	if ch == nil {
		ch = x.start(ctx)
	}
	x.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// start launches a build; x.mu must be held. The returned channel closes
// when the build ends.
func (x *nameIndex) start(ctx context.Context) chan struct{} {
	ch := make(chan struct{})
	x.building = ch
	go func() {
		defer close(ch)
		ctx, cancel := context.WithTimeout(ctx, buildTimeout)
		defer cancel()
		byName, err := x.walk(ctx)
		x.mu.Lock()
		defer x.mu.Unlock()
		if err == nil {
			x.byName, x.built = byName, time.Now()
		}
		x.lastErr = err
		x.building = nil
	}()
	return ch
}

func (x *nameIndex) walk(ctx context.Context) (map[string][]*Customer, error) {
	byName := map[string][]*Customer{}
	n := 0
	for page := 1; ; page++ {
		p, err := x.list.List(ctx, ListQuery{Page: page, PageSize: x.pageSize})
		x.observe(err)
		if err != nil {
			return nil, err
		}
		for _, c := range p.Customers {
			if n >= x.max {
				return byName, nil
			}
			byName[c.Name] = append(byName[c.Name], c)
			n++
		}
		if len(p.Customers) == 0 || !p.HasMore() {
			return byName, nil
		}
	}
}

// peek looks name up if the index is built, without starting a build.
func (x *nameIndex) peek(name string) ([]*Customer, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.built.IsZero() {
		return nil, false
	}
	return x.byName[name], true
}

func (x *nameIndex) lookup(name string) []*Customer {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byName[name]
}

// isBuilt reports whether the index was built at least once.
func (x *nameIndex) isBuilt() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return !x.built.IsZero()
}
