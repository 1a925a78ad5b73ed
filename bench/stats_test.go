package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose: newRunResult sorts
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	r := newRunResult(lat, 98, 3, 2*time.Second)
	if r.P50 != 50*time.Millisecond || r.P99 != 99*time.Millisecond {
		t.Errorf("p50, p99 = %v, %v; want 50ms, 99ms", r.P50, r.P99)
	}
	if r.Completed != 100 || r.RPS() != 49 {
		t.Errorf("completed %d, rps %v; want 100, 49", r.Completed, r.RPS())
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one value: p99 = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("no values: p50 = %v", got)
	}
	if !math.IsNaN(r.CallsPerQuery()) || !math.IsNaN(r.CPUPerQuery()) {
		t.Errorf("unknown calls and CPU: %v, %v; want NaN", r.CallsPerQuery(), r.CPUPerQuery())
	}
	r.Calls, r.CPU = 150, 50*time.Millisecond
	if r.CallsPerQuery() != 1.5 || r.CPUPerQuery() != 0.5 {
		t.Errorf("calls/query = %v, CPU ms/query = %v; want 1.5, 0.5", r.CallsPerQuery(), r.CPUPerQuery())
	}
}

func TestMedianAndSummary(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, math.NaN(), 2, 3}); m != 2.5 {
		t.Errorf("median even, NaN left out = %v", m)
	}
	if m := median(nil); !math.IsNaN(m) {
		t.Errorf("median of nothing = %v", m)
	}
	runs := []runResult{
		{Completed: 10, OK: 10, Elapsed: time.Second, P50: time.Millisecond, P99: 9 * time.Millisecond, Calls: 10, CPU: 10 * time.Millisecond},
		{Completed: 30, OK: 29, Failed: 1, Elapsed: time.Second, P50: 3 * time.Millisecond, P99: 5 * time.Millisecond, Calls: 60, CPU: 60 * time.Millisecond},
		{Completed: 20, OK: 20, Elapsed: time.Second, P50: 2 * time.Millisecond, P99: 7 * time.Millisecond, Calls: -1, CPU: -1},
	}
	s := summarize(runs)
	if s.RPS != 20 || s.P50ms != 2 || s.P99ms != 7 || s.CallsPerQuery != 1.5 || s.CPUms != 1.5 || s.Failed != 1 || s.Rounds != 3 {
		t.Errorf("summary = %+v", s)
	}
}

// The report's commands never show the Redis password.
func TestEnvLineHidesTheRedisPassword(t *testing.T) {
	line := envLine(map[string]string{"CUSTGRAPH_REDIS_URL": "redis://:s3cr3t-pw@127.0.0.1:6390/0", "CUSTGRAPH_DEMO": "off"})
	if strings.Contains(line, "s3cr3t-pw") || !strings.Contains(line, "redis://:$PASSWORD@127.0.0.1:6390/0") {
		t.Errorf("envLine = %q", line)
	}
}
