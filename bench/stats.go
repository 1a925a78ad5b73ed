package main

import (
	"math"
	"slices"
	"time"
)

// runResult is one measured run of one gateway in one scenario.
type runResult struct {
	// Completed is how many responses came back; OK how many of them were
	// good answers (HTTP 200, no GraphQL errors); Failed counts the rest
	// plus the requests that got no response at all.
	Completed, OK, Failed int
	Elapsed               time.Duration
	P50, P99              time.Duration
	// Calls is how many vendor calls the gateway's simulator counted
	// during the run; -1 when unknown.
	Calls int
	// Refused is how many of those calls the vendor refused: a gateway
	// that passes vendor errors on as data (Mesh) shows them here.
	Refused int
	// CPU is the time the gateway's processes (for the bare upstream, the
	// simulator's) spent on the CPU during the run; -1 when unknown.
	CPU time.Duration
}

// RPS is good answers per second.
func (r runResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// CallsPerQuery is the vendor calls per completed query; NaN when unknown.
func (r runResult) CallsPerQuery() float64 {
	if r.Calls < 0 || r.Completed == 0 {
		return math.NaN()
	}
	return float64(r.Calls) / float64(r.Completed)
}

// CPUPerQuery is the gateway's CPU milliseconds per completed query; NaN
// when unknown.
func (r runResult) CPUPerQuery() float64 {
	if r.CPU < 0 || r.Completed == 0 {
		return math.NaN()
	}
	return ms(r.CPU) / float64(r.Completed)
}

// newRunResult computes the percentiles of the latencies (which it sorts).
func newRunResult(latencies []time.Duration, ok, failed int, elapsed time.Duration) runResult {
	slices.Sort(latencies)
	return runResult{Completed: len(latencies), OK: ok, Failed: failed, Elapsed: elapsed,
		P50: percentile(latencies, 50), P99: percentile(latencies, 99), Calls: -1, CPU: -1}
}

// percentile is the p-th percentile (0 < p ≤ 100) of sorted latencies by
// the nearest-rank method: the smallest value with at least p % of the
// values at or below it. It is 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// median of xs (NaN values left out); NaN when none is left.
func median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// summary is the median of a gateway's rounds in one scenario.
type summary struct {
	Rounds        int
	RPS           float64
	P50ms, P99ms  float64
	CallsPerQuery float64
	CPUms         float64 // per query
	// Failed and Refused are sums over all rounds.
	Failed, Refused int
}

func summarize(runs []runResult) summary {
	s := summary{Rounds: len(runs)}
	var rps, p50, p99, cpq, cpu []float64
	for _, r := range runs {
		rps = append(rps, r.RPS())
		p50 = append(p50, ms(r.P50))
		p99 = append(p99, ms(r.P99))
		cpq = append(cpq, r.CallsPerQuery())
		cpu = append(cpu, r.CPUPerQuery())
		s.Failed += r.Failed
		s.Refused += r.Refused
	}
	s.RPS, s.P50ms, s.P99ms = median(rps), median(p50), median(p99)
	s.CallsPerQuery, s.CPUms = median(cpq), median(cpu)
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
