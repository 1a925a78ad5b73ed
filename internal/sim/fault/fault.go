// Package fault injects the failures of a simulated vendor: latency, and
// failed calls in the vendor's own shapes (a 5xx page, its error envelope,
// a dropped connection). Each simulator renders how its vendor fails;
// fault only decides when.
package fault

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"custgraph/internal/sim/calls"
)

// Kind is the shape an injected failure takes. Each simulator renders it
// the way its vendor fails.
type Kind int

// Failure shapes.
const (
	// None: answer normally.
	None Kind = iota
	// Status: an HTTP 5xx from the vendor's gateway.
	Status
	// Envelope: HTTP 200 (or the vendor's usual status) with the
	// vendor's own error envelope.
	Envelope
	// Drop: the connection is closed without an answer.
	Drop
)

// Injector decides latency and injected failures for one simulator. The
// knobs can change while it serves. It is safe for concurrent use; a nil
// *Injector adds no latency and injects nothing.
type Injector struct {
	mu       sync.Mutex
	latency  time.Duration
	failRate float64
	down     bool
	rng      *rand.Rand
}

// New returns an Injector with the given knobs; seed makes the sequence of
// injected failures repeatable.
func New(latency time.Duration, failRate float64, seed uint64) *Injector {
	return &Injector{latency: latency, failRate: failRate, rng: rand.New(rand.NewPCG(seed, 0xfa17))}
}

// Set changes latency and fail rate.
func (f *Injector) Set(latency time.Duration, failRate float64) {
	f.mu.Lock()
	f.latency, f.failRate = latency, failRate
	f.mu.Unlock()
}

// SetDown makes every call fail by dropping the connection (true), as a
// dead vendor would, or serve again (false).
func (f *Injector) SetDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// Knobs returns the current latency and fail rate.
func (f *Injector) Knobs() (time.Duration, float64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.latency, f.failRate, f.down
}

// Delay waits for the configured latency, or until ctx ends.
func (f *Injector) Delay(ctx context.Context) error {
	if f == nil {
		return ctx.Err()
	}
	f.mu.Lock()
	d := f.latency
	f.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Next decides whether this call fails, and how: a third of injected
// failures each are 5xx, error envelopes and dropped connections.
func (f *Injector) Next() Kind {
	if f == nil {
		return None
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return Drop
	}
	if f.failRate <= 0 || f.rng.Float64() >= f.failRate {
		return None
	}
	return Kind(1 + f.rng.IntN(3))
}

// Hangup closes the client's connection without writing an answer.
func Hangup(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// No hijacking (HTTP/2): abort the handler, which resets the stream.
	panic(http.ErrAbortHandler)
}

// Admit does what every simulated vendor route does first: count the call
// under route, wait the injected latency, and inject a fault, rendered by
// render in the vendor's own shape (a dropped connection needs no
// rendering). It reports whether the route should go on.
func Admit(w http.ResponseWriter, r *http.Request, source, route string, rec *calls.Recorder, f *Injector,
	render func(http.ResponseWriter, Kind)) bool {
	rec.Call(source, route)
	if f.Delay(r.Context()) != nil {
		return false
	}
	kind := f.Next()
	if kind == None {
		return true
	}
	rec.Reject(source, calls.RejectFault)
	if kind == Drop {
		Hangup(w)
	} else {
		render(w, kind)
	}
	return false
}
