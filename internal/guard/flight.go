package guard

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"golang.org/x/sync/singleflight"

	"custgraph/internal/customer"
)

// flights coalesces identical calls in flight across requests: the first
// caller's call is shared by everyone who asks the same while it runs.
//
// singleflight alone runs the call on the first caller's context, so that
// caller's going away would fail everyone else's answer. Here the call
// runs on a context of its own that keeps the first caller's deadline and
// is cancelled only when every caller has gone: a call nobody waits for
// any more is not left running.
type flights struct {
	group singleflight.Group

	mu  sync.Mutex
	m   map[string]*flight
	seq uint64
}

type flight struct {
	id      string // the singleflight key: the call's key and a serial
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int
}

// do runs fn once for all concurrent callers of key; shared reports
// whether the answer was another caller's call (the caller joined one in
// flight).
func (f *flights) do(ctx context.Context, key string, fn func(context.Context) (any, error)) (v any, err error, shared bool) {
	if err := ctx.Err(); err != nil {
		return nil, err, false
	}
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	fl := f.m[key]
	joined := fl != nil
	if !joined {
		f.seq++
		fl = &flight{id: key + "\x00" + strconv.FormatUint(f.seq, 10)}
		base := context.WithoutCancel(ctx) // keeps the request's values (request ID)
		if dl, ok := ctx.Deadline(); ok {
			fl.ctx, fl.cancel = context.WithDeadline(base, dl)
		} else {
			fl.ctx, fl.cancel = context.WithCancel(base)
		}
		f.m[key] = fl
	}
	fl.waiters++
	// DoChan is called under f.mu (it only registers the caller and
	// never calls back into f while holding its own lock), so a caller
	// who found fl here joins its call before finish, which also takes
	// f.mu, can retire it: nobody starts fl's call anew on a context
	// finish has cancelled.
	ch := f.group.DoChan(fl.id, func() (v any, err error) {
		defer f.finish(key, fl)
		// singleflight re-raises a panic in a goroutine of its own,
		// which no handler's recovery reaches and which would take
		// the whole gateway down: make it this call's error instead.
		defer func() {
			if p := recover(); p != nil {
				v, err = nil, &customer.Error{Code: customer.CodeInternal, Message: "internal error", Err: fmt.Errorf("panic in an upstream call: %v", p)}
			}
		}()
		return fn(fl.ctx)
	})
	f.mu.Unlock()

	select {
	case r := <-ch:
		f.leave(key, fl, false)
		return r.Val, r.Err, joined
	case <-ctx.Done():
		f.leave(key, fl, true)
		return nil, ctx.Err(), false
	}
}

// leave drops a caller; when the last one gives up before the answer, the
// call is cancelled and forgotten, so the next caller starts afresh.
func (f *flights) leave(key string, fl *flight, gaveUp bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl.waiters--
	if gaveUp && fl.waiters == 0 {
		fl.cancel()
		if f.m[key] == fl {
			delete(f.m, key)
		}
		f.group.Forget(fl.id)
	}
}

// finish retires a call that has answered.
func (f *flights) finish(key string, fl *flight) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m[key] == fl {
		delete(f.m, key)
	}
	fl.cancel()
}
