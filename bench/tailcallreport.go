package main

import (
	"fmt"
	"math"
	"strings"
)

// tailcallPairs are the comparisons of issue 18's table: custgraph's
// defaults against Tailcall with dedupe and @cache, and custgraph doing
// each query's work (cache, sharing and directory off) against Tailcall with dedupe
// only.
var tailcallPairs = [][2]string{{custgraph, tailcall}, {custgraphNoCache, tailcallDedupe}}

// tailcallSection is the report's "custgraph ÷ Tailcall" section: the
// ratios of each pair in each scenario that ran both, and of peak RSS.
func tailcallSection(plan []scenario, res results, mem map[string][]procMemory, reason, version string) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	p("## custgraph ÷ Tailcall (issue 18)")
	p("")
	if reason != "" {
		p("Tailcall not available: %s.", firstLine(reason))
		p("")
		return w.String()
	}
	p("[Tailcall](https://tailcall.run/) %s (`bench/tailcall`, its prebuilt Linux binary, pinned), on a simulator", strings.TrimPrefix(version, "tailcall "))
	p("of its own per configuration, with a config the bench writes (`bench/tailcall.go`): every vendor")
	p("call `@http(…, dedupe: true)`, the tokens fetched once and baked in (it cannot log in itself).")
	p("*Tailcall* adds `@cache` to every vendor call, for as long as custgraph's caches keep a record")
	p("(U8 and YCM 1 min, CRM 5 min); *Tailcall, dedupe only* has no cache: every query does its own")
	p("work, as *custgraph, cache, sharing and directory off*. Tailcall's (a) and (c) are custgraph's own queries,")
	p("and the bench checks before the rounds that it answers the same U8 rows (ids and names, in")
	p("order); its (c) matches are the CRM's exact-name lookup (`duplicates/matching_name`, one per row),")
	p("which custgraph finds too, among names typed otherwise. The ratios are custgraph's number over")
	p("Tailcall's in the same run (medians of rounds): above 1× is better for RPS, below 1× for p99 and CPU.")
	p("")
	p("| scenario | custgraph | Tailcall | RPS | p99 | CPU ms/query | CPU ÷ Tailcall | RPS ÷ Tailcall | p99 ÷ Tailcall | calls/query, load |")
	p("|---|---|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range plan {
		for _, pair := range tailcallPairs {
			a, b := res.get(sc.id, pair[0]), res.get(sc.id, pair[1])
			if a == nil || b == nil || len(a.runs) == 0 || len(b.runs) == 0 {
				continue
			}
			x, y := a.sum, b.sum
			p("| %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %s | %s | %.2f / %.2f |", sc.label, pair[0], pair[1],
				rps(x.RPS), rps(y.RPS), msec(x.P99ms), msec(y.P99ms), cpuMs(x.CPUms), cpuMs(y.CPUms),
				times(x.CPUms/y.CPUms), times(x.RPS/y.RPS), times(x.P99ms/y.P99ms), x.CallsPerQuery, y.CallsPerQuery)
		}
	}
	p("")
	p("Cells with two numbers are custgraph's / Tailcall's.")
	p("")
	var rss []string
	for _, pair := range tailcallPairs {
		if len(mem[pair[0]]) == 0 || len(mem[pair[1]]) == 0 {
			continue
		}
		a, b := largestProc(mem[pair[0]]), largestProc(mem[pair[1]])
		rss = append(rss, fmt.Sprintf("%s %s ÷ %s %s = %s", pair[0], mib(a.peakKB), pair[1], mib(b.peakKB),
			times(float64(a.peakKB)/float64(b.peakKB))))
	}
	if len(rss) > 0 {
		p("Peak RSS: %s.", strings.Join(rss, "; "))
		p("")
	}
	return w.String()
}

// cpuMs is CPU time per query: tenths of a millisecond matter here.
func cpuMs(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.3f", x)
}
