package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// goal is one target of issue 8, judged on this run's numbers.
type goal struct {
	target, numbers, status string
}

const (
	met         = "met"
	notMet      = "**not met**"
	notMeasured = "not measured"
)

func verdict(ok bool) string {
	if ok {
		return met
	}
	return notMet
}

// judge checks the targets.
func judge(res results, mem map[string][]procMemory, plan []scenario, latency time.Duration, meshReason string) []goal {
	sum := func(sc, gw string) (summary, bool) {
		c := res.get(sc, gw)
		if c == nil || len(c.runs) == 0 {
			return summary{}, false
		}
		return c.sum, true
	}
	noMesh := "Mesh not available: " + meshReason
	if meshReason == "" {
		noMesh = "scenario not run"
	}
	var goals []goal

	// Throughput against Mesh on (a) and (c).
	g := goal{target: "RPS ≥ 10× Mesh's on (a) and (c)"}
	var parts []string
	ok, all := true, true
	for _, id := range []string{"a", "c"} {
		cg, ok1 := sum(id, custgraph)
		ms, ok2 := sum(id, mesh)
		if !ok1 || !ok2 {
			all = false
			continue
		}
		r := cg.RPS / ms.RPS
		parts = append(parts, fmt.Sprintf("(%s) %s vs %s rps = %s", id, rps(cg.RPS), rps(ms.RPS), times(r)))
		ok = ok && r >= 10
	}
	goals = append(goals, finish(g, parts, ok, all, noMesh))

	// Tail latency against Mesh, where no latency is added (with it, both
	// are bounded below by the vendor's).
	g = goal{target: "p99 ≤ 1/5 of Mesh's ((a)–(d), no added latency)"}
	parts, ok, all = nil, true, true
	for _, id := range []string{"a", "b", "c", "d"} {
		cg, ok1 := sum(id, custgraph)
		ms, ok2 := sum(id, mesh)
		if !ok1 || !ok2 {
			all = false
			continue
		}
		r := cg.P99ms / ms.P99ms
		parts = append(parts, fmt.Sprintf("(%s) %s vs %s ms = %.2f", id, msec(cg.P99ms), msec(ms.P99ms), r))
		ok = ok && r <= 0.2
	}
	goals = append(goals, finish(g, parts, ok, all, noMesh))

	// Memory against Mesh: custgraph's process against Mesh's largest.
	g = goal{target: "peak RSS ≤ 1/5 of Mesh's"}
	cgMem, meshMem := mem[custgraph], mem[mesh]
	if len(cgMem) == 0 || len(meshMem) == 0 {
		g.status, g.numbers = notMeasured, noMesh
	} else {
		largest := largestProc(meshMem)
		r := float64(cgMem[0].peakKB) / float64(largest.peakKB)
		g.numbers = fmt.Sprintf("%s vs %s (%s, pid %d) = %.2f", mib(cgMem[0].peakKB), mib(largest.peakKB), largest.name, largest.pid, r)
		if len(meshMem) > 1 {
			g.numbers += fmt.Sprintf("; Mesh's %d processes together %s", len(meshMem), mib(totalKB(meshMem)))
		}
		g.status = verdict(r <= 0.2)
	}
	goals = append(goals, g)

	// Caching off against the bare upstream.
	g = goal{target: "caching off (and in-flight sharing): RPS ≥ 50 % of the bare upstream's on (a)"}
	off, ok1 := sum("a", custgraphNoCache)
	floor, ok2 := sum("a", bare)
	if ok1 && ok2 {
		r := off.RPS / floor.RPS
		g.numbers = fmt.Sprintf("%s vs %s rps = %.0f %%", rps(off.RPS), rps(floor.RPS), 100*r)
		g.status = verdict(r >= 0.5)
	} else {
		g.status, g.numbers = notMeasured, "scenario (a) not run"
	}
	goals = append(goals, g)

	// Vendor calls per query at the computed minimum, one query at a time
	// (a little slack for token renewals and cache entries expiring).
	g = goal{target: "vendor calls per query at the computed minimum (one query at a time)"}
	parts, ok, all = nil, true, true
	for _, sc := range plan {
		for _, gw := range []string{custgraph, custgraphNoCache, custgraphRedis} {
			c := res.get(sc.id, gw)
			if c == nil || len(c.runs) == 0 {
				continue
			}
			name := sc.label
			switch gw {
			case custgraphNoCache:
				name += ", cache and sharing off"
			case custgraphRedis:
				name += ", on Redis"
			}
			parts = append(parts, fmt.Sprintf("%s %.2f (min %g)", name, c.alone.calls, sc.minCalls))
			ok = ok && c.alone.calls <= sc.minCalls+0.05
		}
	}
	if len(parts) == 0 {
		all = false
	}
	goals = append(goals, finish(g, parts, ok, all, "no scenario run"))

	// Fan-out in parallel: (b) with latency takes about one latency.
	g = goal{target: fmt.Sprintf("(b) with %s on every vendor call takes ≈ one latency (p50 ≤ %s ms)", latency, msec(1.5*ms(latency)))}
	if s, found := sum("b50", custgraph); found {
		limit := 1.5 * ms(latency)
		g.numbers = fmt.Sprintf("p50 %s ms, p99 %s ms under load; p50 %s ms alone (three calls one after another would take ≥ %s ms)",
			msec(s.P50ms), msec(s.P99ms), msec(res.get("b50", custgraph).alone.p50ms), msec(3*ms(latency)))
		g.status = verdict(s.P50ms <= limit)
	} else {
		g.status, g.numbers = notMeasured, "scenario b50 not run"
	}
	return append(goals, g)
}

// finish sets a goal's numbers and status; all says every scenario it
// needs was measured.
func finish(g goal, parts []string, ok, all bool, missing string) goal {
	g.numbers = strings.Join(parts, "; ")
	switch {
	case len(parts) == 0:
		g.status, g.numbers = notMeasured, missing
	case !all:
		g.status = notMeasured + " in full (" + missing + "); so far " + verdict(ok)
	default:
		g.status = verdict(ok)
	}
	return g
}

func largestProc(ps []procMemory) procMemory {
	var best procMemory
	for _, p := range ps {
		if p.peakKB > best.peakKB {
			best = p
		}
	}
	return best
}

func totalKB(ps []procMemory) int64 {
	var n int64
	for _, p := range ps {
		n += p.peakKB
	}
	return n
}

// Number formats of the report.

func rps(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	s := fmt.Sprintf("%.0f", x)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func msec(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case x < 10:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.1f", x)
	}
}

func times(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	if r < 10 {
		return fmt.Sprintf("%.2f×", r)
	}
	return fmt.Sprintf("%.1f×", r)
}

func mib(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }
