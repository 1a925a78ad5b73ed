package main

import (
	"testing"
	"time"
)

// Each (change, subscriber) pair counts once: its first copy gives the
// latency, later copies are duplicates, a change never received is
// missing, and events of no change made are others.
func TestAnalyze(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	changes := []liveChange{
		{source: "u8", id: "u8:1", name: "甲", put: t0},
		{source: "crm", id: "crm:2", name: "乙", put: t0.Add(2 * time.Second)},
	}
	at1, at2 := t0.Add(500*time.Millisecond), t0.Add(2700*time.Millisecond)
	ev := func(id, name string, at time.Time, after time.Duration) liveEvent {
		return liveEvent{id: id, name: name, kind: "UPDATED", at: at, recv: at.Add(after)}
	}
	subs := [][]liveEvent{
		{ev("u8:1", "甲", at1, 10*time.Millisecond), ev("crm:2", "乙", at2, 20*time.Millisecond)},
		{ev("u8:1", "甲", at1, 30*time.Millisecond), ev("u8:1", "甲", at1, 900*time.Millisecond), ev("u8:9", "丙", at2, time.Millisecond)},
		{ev("u8:1", "甲", at1.Add(time.Millisecond), 40*time.Millisecond), ev("crm:2", "乙", at2, 2*time.Second),
			ev("crm:2", "other name", at2, time.Millisecond)},
	}
	st := analyze(changes, subs)
	if st.pairs != 6 || st.got != 5 || st.missing != 1 || st.duplicates != 1 || st.others != 2 || st.events != 8 {
		t.Fatalf("counts: %+v", st)
	}
	// Latencies received: 10, 20, 30, 40 ms and 2 s.
	if st.p50 != 30*time.Millisecond || st.p99 != 2*time.Second || st.max != 2*time.Second {
		t.Fatalf("at → receipt: p50 %s p99 %s max %s", st.p50, st.p99, st.max)
	}
	// PUT → receipt: 510, 530, 541 ms, 720 ms and 2.7 s.
	if st.putP50 != 541*time.Millisecond || st.putMax != 2700*time.Millisecond {
		t.Fatalf("PUT → receipt: p50 %s max %s", st.putP50, st.putMax)
	}
	c0, c1 := st.perChange[0], st.perChange[1]
	if c0.got != 3 || c0.missing != 0 || c0.duplicates != 1 || c0.atDiffers != 1 || !c0.at.Equal(at1) || c0.kind != "UPDATED" {
		t.Fatalf("change 1: %+v", c0)
	}
	if c1.got != 2 || c1.missing != 1 || c1.duplicates != 0 || last(c1.lat) != 2*time.Second {
		t.Fatalf("change 2: %+v", c1)
	}
	if empty := analyze(changes, nil); empty.pairs != 0 || empty.p99 != 0 || empty.max != 0 {
		t.Fatalf("no subscribers: %+v", empty)
	}
}

// A next message's payload, as gqlgen writes it, with `at` to the
// millisecond.
func TestParseNext(t *testing.T) {
	recv := time.Now()
	ev, err := parseNext([]byte(`{"data":{"customerChanged":{"kind":"UPDATED","id":"u8:00000007","at":"2026-11-30T16:35:05.123+08:00","customer":{"name":"郑州市合新电子科技有限公司"}}}}`), recv)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 30, 8, 35, 5, 123e6, time.UTC)
	if !ev.at.Equal(want) || ev.id != "u8:00000007" || ev.kind != "UPDATED" || ev.name != "郑州市合新电子科技有限公司" || !ev.recv.Equal(recv) {
		t.Fatalf("%+v", ev)
	}
	ev, err = parseNext([]byte(`{"data":{"customerChanged":{"kind":"DELETED","id":"crm:1","at":"2026-11-30T08:35:05Z","customer":null}}}`), recv)
	if err != nil || ev.name != "" || ev.kind != "DELETED" {
		t.Fatalf("deleted: %+v, %v", ev, err)
	}
	for _, bad := range []string{`{"errors":[{"message":"SLOW_SUBSCRIBER"}]}`, `{"data":null}`, `{"data":{"customerChanged":{"at":"yesterday"}}}`, `[`} {
		if _, err := parseNext([]byte(bad), recv); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestPromSum(t *testing.T) {
	text := `# HELP custgraph_subscriptions_open Open subscriptions.
# TYPE custgraph_subscriptions_open gauge
custgraph_subscriptions_open{transport="sse"} 3
custgraph_subscriptions_open{transport="ws"} 1000
custgraph_subscriptions_open_total 7
custgraph_directory_syncing{source="U8"} 1
custgraph_directory_syncing{source="YCM"} 0
custgraph_directory_state{source="U8",state="READY"} 1
go_memstats_heap_inuse_bytes 2.5165824e+07
`
	for _, tc := range []struct {
		name  string
		match map[string]string
		want  float64
		ok    bool
	}{
		{"custgraph_subscriptions_open", map[string]string{"transport": "ws"}, 1000, true},
		{"custgraph_subscriptions_open", nil, 1003, true},
		{"custgraph_directory_syncing", map[string]string{"source": "U8"}, 1, true},
		{"custgraph_directory_syncing", map[string]string{"source": "CRM"}, 0, false},
		{"custgraph_directory_state", map[string]string{"state": "READY", "source": "U8"}, 1, true},
		{"go_memstats_heap_inuse_bytes", nil, 25165824, true},
		{"go_memstats_heap", nil, 0, false},
	} {
		got, ok := promSum(text, tc.name, tc.match)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s %v = %v, %v; want %v, %v", tc.name, tc.match, got, ok, tc.want, tc.ok)
		}
	}
}
