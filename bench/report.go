package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// writeReport writes the markdown report and the chart.
func (b *bench) writeReport(res results, mem map[string][]procMemory, meshReason string, dres *dirResults, lres *liveResults) error {
	plan := b.plan()
	chart := b.path(b.cfg.chart)
	if err := writeChart(chart, plan, res); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	out := b.path(b.cfg.out)
	rel, err := filepath.Rel(filepath.Dir(out), chart)
	if err != nil {
		rel = chart
	}
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	cfg := b.cfg

	p("# Benchmarks")
	p("")
	p("custgraph against [GraphQL Mesh](https://the-guild.dev/graphql/mesh), [Tailcall](https://tailcall.run/) and the bare")
	p("upstream, on the built-in simulators, in one run of `make bench` (`cd bench && go run .`), which wrote this file and the")
	p("chart. Do not edit it by hand: run `make bench` again (about %s on this machine).", roundDuration(time.Since(b.started)))
	p("")
	p("Taken %s. %s %s", b.started.UTC().Format("2006-01-02 15:04 UTC"), meshSentence(meshReason), tailcallSentence(b.tailcallReason))
	p("")
	p("## %s", b.goals.Title)
	p("")
	p("| target | this run | status |")
	p("|---|---|---|")
	unavailable := map[string]string{}
	if meshReason != "" {
		unavailable[mesh] = "Mesh not available: " + meshReason
	}
	if b.redisReason != "" {
		unavailable[custgraphRedis] = "Redis not available: " + b.redisReason
	}
	for name, why := range b.unavailable {
		unavailable[name] = why
	}
	j := judging{res: res, mem: mem, plan: plan, latency: cfg.latency, unavailable: unavailable}
	for _, g := range judge(b.goals.Goals, j) {
		p("| %s | %s | %s |", g.target, cell1(g.numbers, 400), cell1(g.status, 200))
	}
	p("")
	p("## Results")
	p("")
	p("![Requests per second by scenario and gateway](%s)", filepath.ToSlash(rel))
	p("")
	p("Median of %d rounds. In each round every gateway of the scenario was measured in turn: %s of load", cfg.rounds, cfg.load.warmup)
	p("to warm up, the simulator's counters reset, then %s measured, with %d requests in flight (a closed", cfg.load.duration, cfg.load.concurrency)
	p("loop: each of %d workers sends its next request when the last is answered; one Go HTTP client,", cfg.load.concurrency)
	p("keep-alive). RPS counts good answers (HTTP 200 with `data` and no `errors`; for the bare upstream")
	p("errcode \"0\"); *failed* is the rest, all rounds together, and the vendor calls that the simulator")
	p("refused, if any. Scenarios at %s add that latency to every vendor answer (`POST /_sim/faults`).", cfg.latency)
	p("")
	p("Each gateway has a simulator of its own (`custgraph sim`, CRM quota off, 24 h tokens), so that its")
	p("vendor calls are counted apart and no gateway's CRM login ends another's session. The bare")
	p("upstream is a GET of the U8 list page (20 rows) straight from its simulator, with a token fetched")
	p("once: the floor under any gateway. *custgraph on Redis* is custgraph as one of several replicas")
	p("(`CUSTGRAPH_REDIS_URL`, a private `redis-server`): its vendor quotas, credentials, persisted queries")
	p("and the second level of its cache (behind the in-process one) live in Redis; Redis's CPU is not")
	p("counted in its row.")
	p("")
	p("custgraph runs with its defaults: record caches on, and identical queries in flight at the same")
	p("moment share one execution and its answer (`CUSTGRAPH_SHARE_INFLIGHT`; nothing is kept once")
	p("answered). The closed loop sends the same query from every worker, so under load many share. The")
	p("*cache, sharing and directory off* row turns both off, and the directory (whose copy would answer")
	p("(c)'s matches without the CRM): every query executes and decodes its own vendor answers, unless")
	p("an identical vendor call is in flight at the same moment.")
	p("")
	p("- *calls/query, load*: the vendor calls the gateway's own simulator counted during the runs, over")
	p("  the queries answered. custgraph makes identical vendor calls in flight at the same moment once,")
	p("  so under load its concurrent identical queries share list pages and this falls below one query's")
	p("  cost.")
	p("- *calls/query, alone*: the same after the rounds, with the query asked 20 times one at a time")
	p("  (warm caches, nothing to share); *min* is the fewest possible, listed below.")
	p("- *CPU ms/query*: CPU time of the gateway's processes (for the bare upstream, of the simulator) per")
	p("  query answered, from `/proc/<pid>/stat`; the simulator behind a gateway is not counted.")
	p("- The ratio columns divide the row's number by Mesh's or the bare upstream's in the same scenario;")
	p("  the next section divides custgraph's by Tailcall's.")
	p("")
	p("| scenario | gateway | RPS | p50 ms | p99 ms | failed | calls/query, load | calls/query, alone | CPU ms/query | RPS ÷ Mesh | p99 ÷ Mesh | RPS ÷ bare |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range plan {
		for _, gw := range gatewayOrder {
			c := res.get(sc.id, gw)
			if c == nil {
				continue
			}
			if len(c.runs) == 0 {
				p("| %s | %s | %s | – | – | – | – | – | – | – | – | – |", sc.label, gw, cell1(c.note, 120))
				continue
			}
			s := c.sum
			alone := fmt.Sprintf("%.2f", c.alone.calls)
			if gw == custgraph || gw == custgraphNoCache || gw == custgraphRedis {
				alone += fmt.Sprintf(" (min %g)", sc.min(gw))
			}
			p("| %s | %s | %s | %s | %s | %d%s | %.2f | %s | %s | %s | %s | %s |", sc.label, gw, rps(s.RPS), msec(s.P50ms),
				msec(s.P99ms), s.Failed+c.alone.failed, refusals(s.Refused+c.alone.refused), s.CallsPerQuery, alone, msec(s.CPUms),
				ratio(res, sc.id, gw, mesh, rpsOf), ratio(res, sc.id, gw, mesh, p99Of), ratio(res, sc.id, gw, bare, rpsOf))
		}
	}
	p("")
	p("The fewest vendor calls per query, once custgraph's caches are warm:")
	p("")
	seen := map[string]bool{}
	for _, sc := range plan {
		if !seen[sc.meshKey] {
			seen[sc.meshKey] = true
			p("- (%s) %g: %s.", sc.meshKey, sc.minCalls, sc.why)
			if sc.minNoCache != nil {
				p("  %g %s.", *sc.minNoCache, sc.whyNoCache)
			}
		}
	}
	p("")
	w.WriteString(tailcallSection(plan, res, mem, b.tailcallReason, b.tailcallVersion))
	p("## Peak memory")
	p("")
	p("Peak resident set (`VmHWM` from `/proc/<pid>/status`) at the end of the run; for Mesh, every")
	p("process that its serve script started.")
	p("")
	p("| gateway | process | peak RSS |")
	p("|---|---|--:|")
	for _, gw := range append(gatewayOrder, "redis", "simulator") {
		for _, pm := range mem[gw] {
			p("| %s | %s (pid %d) | %s |", gw, pm.name, pm.pid, mib(pm.peakKB))
		}
		if gw == mesh && len(mem[mesh]) == 0 {
			p("| %s | %s | – |", gw, cell1(meshSentence(meshReason), 120))
		}
		if (gw == tailcall || gw == tailcallDedupe) && len(mem[gw]) == 0 && b.unavailable[gw] != "" {
			p("| %s | %s | – |", gw, cell1(b.unavailable[gw], 120))
		}
		if gw == custgraphRedis && b.redisReason != "" {
			p("| %s | %s | – |", gw, cell1("Redis not available: "+b.redisReason, 120))
		}
	}
	p("")
	if dres != nil {
		w.WriteString(b.directorySection(dres))
	}
	if lres != nil {
		w.WriteString(b.liveSection(lres))
	}
	if notes, err := os.ReadFile(filepath.Join(b.root, "bench", "before-after.md")); err == nil {
		p("%s", strings.TrimSpace(string(notes)))
		p("")
	}
	m := describeMachine()
	p("## Machine")
	p("")
	p("| | |")
	p("|---|---|")
	p("| CPU | %s |", m.cpu)
	p("| cores | %d |", m.cores)
	p("| RAM | %s |", m.ram)
	p("| Go | %s |", m.goVersion)
	p("| Node | %s |", m.node)
	p("| kernel | %s |", m.kernel)
	p("")
	p("Everything (the load generator, the gateways and the simulators) shares these cores.")
	p("")
	p("## How it was run")
	p("")
	p("```sh")
	p("%s", strings.TrimSpace("cd bench && go run . "+strings.Join(b.args, " ")))
	p("# which ran, from the repository root, with $TMP a fresh temporary directory:")
	for _, c := range b.commands {
		p("%s", c)
	}
	p("```")
	p("")
	p("`cd bench && go run . -h` lists the knobs (duration, warm-up, rounds, concurrency, latency, `-only`, `-mesh off`, `-tailcall off`, `-directory on|off|only`, `-live on|off|only`).")
	p("")
	p("## Queries")
	p("")
	p("custgraph:")
	p("")
	for _, sc := range plan {
		if sc.latency == 0 {
			p("- %s: `%s`", sc.label, sc.query)
		}
	}
	if len(b.meshQueries) > 0 {
		p("")
		p("GraphQL Mesh, from `bench/mesh` (its README says how they differ: Mesh answers in each vendor's")
		p("shape, and cannot merge one list across sources, so (b) asks each source for 7 rows side by side):")
		p("")
		for _, k := range sortedKeys(b.meshQueries) {
			p("- (%s): `%s`", k, b.meshQueries[k])
		}
	}
	if b.tailcallReason == "" && len(b.unavailable) < 2 {
		p("")
		p("Tailcall, from the config `bench/tailcall.go` writes ((a) and (c) are custgraph's queries; (b) side by")
		p("side as Mesh's, (d) by U8 code, since Tailcall cannot cut the prefix off custgraph's id):")
		p("")
		for _, k := range sortedKeys(tailcallQueries) {
			p("- (%s): `%s`", k, tailcallQueries[k])
		}
	}
	if meshReason != "" && !strings.HasPrefix(meshReason, "left out") {
		p("")
		p("## Why Mesh is missing")
		p("")
		p("```")
		p("%s", meshReason)
		p("```")
	}
	if r := b.tailcallReason; r != "" && !strings.HasPrefix(r, "left out") {
		p("")
		p("## Why Tailcall is missing")
		p("")
		p("```")
		p("%s", r)
		p("```")
	}
	return os.WriteFile(out, []byte(w.String()), 0o644)
}

// path resolves a -out or -chart path against the repository root.
func (b *bench) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.root, p)
}

func meshSentence(reason string) string {
	if reason == "" {
		return "GraphQL Mesh served from `bench/mesh`."
	}
	return "Mesh not available: " + firstLine(reason) + "."
}

func tailcallSentence(reason string) string {
	if reason == "" {
		return "Tailcall served from `bench/tailcall`."
	}
	return "Tailcall not available: " + firstLine(reason) + "."
}

func rpsOf(s summary) float64 { return s.RPS }
func p99Of(s summary) float64 { return s.P99ms }

// ratio is the row's number over other's in the same scenario.
func ratio(res results, sc, gw, other string, f func(summary) float64) string {
	if gw == other {
		return "–"
	}
	a, b := res.get(sc, gw), res.get(sc, other)
	if a == nil || b == nil || len(a.runs) == 0 || len(b.runs) == 0 || f(b.sum) == 0 {
		return "–"
	}
	return times(f(a.sum) / f(b.sum))
}

// cell1 makes s fit one table cell.
func cell1(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSuffix(l, ":")
}

func roundDuration(d time.Duration) string {
	m := math.Floor(d.Minutes())
	return fmt.Sprintf("%.0f min %02.0f s", m, d.Seconds()-60*m)
}
