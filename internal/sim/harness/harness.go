// Package harness holds what the three simulators share: call and
// rejection counters (served at /_sim/stats), injected latency, and
// injected faults. Each simulator decides how its own vendor fails; harness
// only decides when.
package harness

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Rejection reasons, as /_sim/stats names them.
const (
	RejectRateLimited  = "rate_limited"
	RejectUnauthorized = "unauthorized"
	RejectFault        = "injected_fault"
)

// Stats is the JSON body of GET /_sim/stats.
type Stats struct {
	// Calls counts requests by "<source> <METHOD> <route>", e.g.
	// "crm GET /api/v2/customers/{id}".
	Calls map[string]int `json:"calls"`
	// Rejected counts refusals by "<source> <reason>".
	Rejected map[string]int `json:"rejected"`
}

// Recorder counts calls and rejections. It is safe for concurrent use; a
// nil *Recorder counts nothing, so a simulator built without one needs no
// default.
type Recorder struct {
	mu       sync.Mutex
	calls    map[string]int
	rejected map[string]int
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{calls: map[string]int{}, rejected: map[string]int{}}
}

// Call counts one request to route (a ServeMux pattern such as
// "GET /api/v2/customers/{id}") of source.
func (r *Recorder) Call(source, route string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.calls[source+" "+route]++
	r.mu.Unlock()
}

// Reject counts one refusal of source for reason.
func (r *Recorder) Reject(source, reason string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.rejected[source+" "+reason]++
	r.mu.Unlock()
}

// Snapshot copies the counters.
func (r *Recorder) Snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Calls: make(map[string]int, len(r.calls)), Rejected: make(map[string]int, len(r.rejected))}
	for k, v := range r.calls {
		s.Calls[k] = v
	}
	for k, v := range r.rejected {
		s.Rejected[k] = v
	}
	return s
}

// Reset zeroes the counters.
func (r *Recorder) Reset() {
	r.mu.Lock()
	clear(r.calls)
	clear(r.rejected)
	r.mu.Unlock()
}

// Total sums the calls whose key starts with prefix ("crm ", "u8 GET ").
func (s Stats) Total(prefix string) int {
	n := 0
	for k, v := range s.Calls {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			n += v
		}
	}
	return n
}

// Keys lists the call keys in order, for readable test failures.
func (s Stats) Keys() []string {
	keys := make([]string, 0, len(s.Calls))
	for k := range s.Calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Fault is the shape an injected failure takes. Each simulator renders it
// the way its vendor fails.
type Fault int

// Fault shapes.
const (
	// FaultNone: answer normally.
	FaultNone Fault = iota
	// FaultStatus: an HTTP 5xx from the vendor's gateway.
	FaultStatus
	// FaultEnvelope: HTTP 200 (or the vendor's usual status) with the
	// vendor's own error envelope.
	FaultEnvelope
	// FaultDrop: the connection is closed without an answer.
	FaultDrop
)

// Faults decides latency and injected failures for one simulator. The
// knobs can change while it serves. It is safe for concurrent use; a nil
// *Faults adds no latency and injects nothing.
type Faults struct {
	mu       sync.Mutex
	latency  time.Duration
	failRate float64
	down     bool
	rng      *rand.Rand
}

// NewFaults returns Faults with the given knobs; seed makes the sequence of
// injected failures repeatable.
func NewFaults(latency time.Duration, failRate float64, seed uint64) *Faults {
	return &Faults{latency: latency, failRate: failRate, rng: rand.New(rand.NewPCG(seed, 0xfa17))}
}

// Set changes latency and fail rate.
func (f *Faults) Set(latency time.Duration, failRate float64) {
	f.mu.Lock()
	f.latency, f.failRate = latency, failRate
	f.mu.Unlock()
}

// SetDown makes every call fail by dropping the connection (true), as a
// dead vendor would, or serve again (false).
func (f *Faults) SetDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// Knobs returns the current latency and fail rate.
func (f *Faults) Knobs() (time.Duration, float64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.latency, f.failRate, f.down
}

// Delay waits for the configured latency, or until ctx ends.
func (f *Faults) Delay(ctx context.Context) error {
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
func (f *Faults) Next() Fault {
	if f == nil {
		return FaultNone
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return FaultDrop
	}
	if f.failRate <= 0 || f.rng.Float64() >= f.failRate {
		return FaultNone
	}
	return Fault(1 + f.rng.IntN(3))
}

// Drop closes the client's connection without writing an answer.
func Drop(w http.ResponseWriter) {
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
func Admit(w http.ResponseWriter, r *http.Request, source, route string, rec *Recorder, f *Faults,
	render func(http.ResponseWriter, Fault)) bool {
	rec.Call(source, route)
	if f.Delay(r.Context()) != nil {
		return false
	}
	fault := f.Next()
	if fault == FaultNone {
		return true
	}
	rec.Reject(source, RejectFault)
	if fault == FaultDrop {
		Drop(w)
	} else {
		render(w, fault)
	}
	return false
}
