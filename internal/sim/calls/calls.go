// Package calls records what the simulators were asked: the calls and
// refusals each simulated vendor counts, served at /_sim/stats.
package calls

import (
	"sort"
	"sync"
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
