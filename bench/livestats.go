package main

import (
	"slices"
	"time"
)

// liveChange is one change made at the simulator: a record given a name
// no other change gives.
type liveChange struct {
	source string // u8, ycm, crm
	id     string // the global ID, e.g. u8:00000007
	name   string
	put    time.Time // when the PUT was sent
	err    string    // the PUT's failure, if it failed
}

func (c liveChange) key() string { return c.id + "\x00" + c.name }

// changeStat is one change over every subscriber.
type changeStat struct {
	got, missing, duplicates int
	kind                     string    // of its first event
	at                       time.Time // its first event's at
	atDiffers                int       // events whose at is not the first's
	lat                      []time.Duration
}

// liveStats are a run's (change, subscriber) pairs.
type liveStats struct {
	subscribers, changes int
	pairs                int // changes × subscribers
	got                  int // pairs with the event
	missing, duplicates  int
	others               int // events of no change made (nor any copy of one)
	events               int // every event received
	// at → receipt, and PUT → receipt, over the pairs received (the
	// first copy of each).
	p50, p99, max          time.Duration
	putP50, putP99, putMax time.Duration
	perChange              []changeStat
}

// analyze matches each subscriber's events to the changes (by ID and the
// name the change gave): a change a subscriber never got is missing, each
// copy beyond the first a duplicate; latencies are taken from the first.
func analyze(changes []liveChange, subs [][]liveEvent) liveStats {
	st := liveStats{subscribers: len(subs), changes: len(changes), pairs: len(changes) * len(subs),
		perChange: make([]changeStat, len(changes))}
	idx := map[string]int{}
	for i, c := range changes {
		idx[c.key()] = i
	}
	var lat, put []time.Duration
	seen := make([]int, len(changes))
	for _, evs := range subs {
		clear(seen)
		for _, e := range evs {
			st.events++
			i, ok := idx[e.id+"\x00"+e.name]
			if !ok {
				st.others++
				continue
			}
			cs := &st.perChange[i]
			if seen[i]++; seen[i] > 1 {
				st.duplicates++
				cs.duplicates++
				continue
			}
			if cs.got == 0 {
				cs.kind, cs.at = e.kind, e.at
			} else if !e.at.Equal(cs.at) {
				cs.atDiffers++
			}
			cs.got++
			d := e.recv.Sub(e.at)
			cs.lat = append(cs.lat, d)
			lat = append(lat, d)
			put = append(put, e.recv.Sub(changes[i].put))
		}
		for i, n := range seen {
			if n == 0 {
				st.missing++
				st.perChange[i].missing++
			}
		}
	}
	st.got = len(lat)
	slices.Sort(lat)
	slices.Sort(put)
	st.p50, st.p99, st.max = percentile(lat, 50), percentile(lat, 99), last(lat)
	st.putP50, st.putP99, st.putMax = percentile(put, 50), percentile(put, 99), last(put)
	for i := range st.perChange {
		slices.Sort(st.perChange[i].lat)
	}
	return st
}

func last(sorted []time.Duration) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[len(sorted)-1]
}
