package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// liveTarget is the latency target: p99 from the sync seeing a
// change to the event at every subscriber.
const liveTarget = time.Second

// liveGoals judges the part's targets.
func (r *liveResults) goals() []dirGoal {
	var out []dirGoal
	for _, run := range []*liveRun{r.one, r.redis} {
		if run == nil {
			continue
		}
		if run.reason != "" {
			out = append(out, dirGoal{fmt.Sprintf("p99 < 1 s from the sync seeing a change to the event, %s", run.label), cell1(run.reason, 200), notMeasured})
			continue
		}
		st := run.stats
		out = append(out, dirGoal{
			fmt.Sprintf("p99 < 1 s from the sync seeing a change to the event at each subscriber, %s subscribers on %s", thousands(run.opened), run.label),
			fmt.Sprintf("p50 %s, p99 %s, max %s over %s (change, subscriber) pairs", secsMS(st.p50), secsMS(st.p99), secsMS(st.max), thousands(st.got)),
			verdict(st.got > 0 && st.p99 < liveTarget)})
		out = append(out, dirGoal{
			fmt.Sprintf("each change exactly once at every subscriber, %s", run.label),
			fmt.Sprintf("%d changes × %s subscribers: %d missing, %d duplicates", st.changes, thousands(st.subscribers), st.missing, st.duplicates),
			verdict(st.pairs > 0 && st.missing == 0 && st.duplicates == 0 && len(run.openErrs) == 0)})
	}
	return out
}

// kibPer is kB per n, in KiB.
func kibPer(kb float64, n int) string {
	if n == 0 || math.IsNaN(kb) {
		return "–"
	}
	return fmt.Sprintf("%.1f KiB", kb/float64(n))
}

// liveSection is the report's section on live changes.
func (b *bench) liveSection(r *liveResults) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	lc := b.cfg.live
	p("%s", liveHead)
	p("")
	p("`Subscription.customerChanged` (README \"Live changes\") over WebSocket, taken %s; this part took %s.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), roundDuration(r.took))
	p("`cd bench && go run . -live only` runs this part alone and replaces this section; the commands are at its end.")
	p("")
	p("### Targets (issue 17)")
	p("")
	p("| target | this run | status |")
	p("|---|---|---|")
	for _, g := range r.goals() {
		p("| %s | %s | %s |", g.target, cell1(g.numbers, 300), g.status)
	}
	for _, run := range []*liveRun{r.one, r.redis} {
		if run == nil || run.reason != "" {
			continue
		}
		var notes []string
		for _, e := range run.errs {
			notes = append(notes, "error: "+e)
		}
		if len(run.openErrs) > 0 {
			notes = append(notes, fmt.Sprintf("%d subscribers could not open, e.g. %s", len(run.openErrs), run.openErrs[0]))
		}
		if len(run.ended) > 0 {
			notes = append(notes, fmt.Sprintf("%d subscriptions ended during the run, e.g. %s", len(run.ended), run.ended[0]))
		}
		if run.bad > 0 {
			notes = append(notes, fmt.Sprintf("%d messages the subscribers could not read", run.bad))
		}
		if len(notes) > 0 {
			p("")
			for _, n := range notes {
				p("- %s: %s", run.label, cell1(n, 300))
			}
		}
	}
	p("")
	p("### How it was measured")
	p("")
	p("A simulator with `-customers %d -crm-rate-limit off`, and custgraph over it with the directory on,", lc.customers)
	p("`CUSTGRAPH_SYNC_INTERVAL=%s` (a pass per source every %s), `CUSTGRAPH_SYNC_YCM_PACE=0` (YCM has no", lc.interval, lc.interval)
	p("change filter: every YCM pass reads it in full) and `CUSTGRAPH_SUBSCRIPTIONS_PER_CLIENT=%d` (every", 2*lc.subscribers)
	p("subscriber comes from 127.0.0.1, which is one client to the per-client cap). Then the same with two")
	p("replicas on a private `redis-server` (`CUSTGRAPH_REDIS_URL`, as *custgraph on Redis*), the first READY")
	p("before the second started, and the subscribers alternating between them.")
	p("")
	p("Each subscriber is a WebSocket of its own from the bench process (Go, `github.com/coder/websocket`,")
	p("`graphql-transport-ws`: `connection_init`, `connection_ack`, `subscribe`, server pings answered), with")
	p("`%s`; they are opened 32 at a time, and measuring starts once the gateways' `custgraph_subscriptions_open` counts them all.", liveQuery)
	p("The bench raised its open-file limit (the gateways inherit it) to %d.", r.fileLimit)
	p("")
	p("The changes (%d a run) rename one record each at the simulator (`PUT /_sim/records/{source}/{id}`),", lc.changes)
	p("U8, YCM and CRM in turn, each record and name used once, so that an event is matched to its change")
	p("by ID and name. The next change is made once every subscriber has the last (the pass that saw it")
	p("is over, so each change is another pass's), after a random wait of up to one interval (so that")
	p("changes fall at every point of a pass's cycle); after the last, %s more for late copies.", 2*lc.interval+time.Second)
	p("")
	p("- *at → receipt*: from the event's `at` (when the sync read the changed record, to the millisecond,")
	p("  the gateway's clock) to the subscriber's read returning (the bench's clock: the same machine).")
	p("  It covers the write of the page, the fan-out, resolving `customer { name }` for each subscriber,")
	p("  the WebSocket write, and the client's own scheduling among %d readers on the 2 cores it shares with", lc.subscribers)
	p("  the gateway. Over every (change, subscriber) pair received, the first copy of each.")
	p("- *PUT → receipt*, for information: from the PUT sent; adds the wait for the next pass (up to")
	p("  one interval) and the pass's own reading of the vendor.")
	p("- *missing*: pairs whose event never came; *duplicates*: copies beyond the first; *other*: events")
	p("  of no change made here.")
	p("")
	p("### Latency and delivery")
	p("")
	p("| run | subscribers | changes | pairs | received | missing | duplicates | other | at → receipt p50 | p99 | max | PUT → receipt p50 | p99 | max |")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	row := func(label string, st liveStats) {
		p("| %s | %s | %d | %s | %s | %d | %d | %d | %s | %s | %s | %s | %s | %s |", label, thousands(st.subscribers), st.changes,
			thousands(st.pairs), thousands(st.got), st.missing, st.duplicates, st.others, secsMS(st.p50), secsMS(st.p99), secsMS(st.max),
			secsMS(st.putP50), secsMS(st.putP99), secsMS(st.putMax))
	}
	for _, run := range []*liveRun{r.one, r.redis} {
		if run == nil {
			continue
		}
		if run.reason != "" {
			p("| %s | %s | | | | | | | | | | | | |", run.label, cell1("not measured: "+run.reason, 200))
			continue
		}
		row(run.label, run.stats)
		for i, st := range run.byReplica {
			rep := run.replicas[i]
			syncs := "syncs none"
			if len(rep.syncing) > 0 {
				syncs = "syncs " + strings.Join(rep.syncing, ", ")
			}
			row(fmt.Sprintf("… on %s (%s)", rep.g.name, syncs), st)
		}
	}
	if one := r.one; one != nil && one.reason == "" && len(one.replicas) == 1 {
		rep := one.replicas[0]
		p("")
		p("### Memory and CPU, one replica")
		p("")
		p("Memory of the gateway (`VmRSS` of `/proc/<pid>/status`; the Go heap in use is")
		p("`go_memstats_heap_inuse_bytes` from `/metrics`, read right after a collection forced through the")
		p("profiler, `CUSTGRAPH_DEBUG_ADDR`, `/debug/pprof/heap?gc=1`):")
		p("")
		p("| | RSS | Go heap in use |")
		p("|---|--:|--:|")
		p("| READY, before the subscribers | %s | %s |", mibs(rep.rss0.rss), bytesMiB(rep.heap0))
		p("| %s subscriptions open | %s | %s |", thousands(rep.subs), mibs(rep.rss1.rss), bytesMiB(rep.heap1))
		p("| **per open subscription** | **%s** | **%s** |", kibPer(float64(rep.rss1.rss-rep.rss0.rss), rep.subs),
			kibPer((rep.heap1-rep.heap0)/1024, rep.subs))
		p("")
		events := one.stats.got + one.stats.duplicates
		p("CPU of the gateway (`utime + stime` of `/proc/<pid>/stat`, 10 ms ticks): %s over the %s of the", cpuSecs(one.cpuRounds), secs(one.roundsTook))
		p("changes (from the first PUT to %s after the last event), and %s over the same time right after, with", 2*lc.interval+time.Second, cpuSecs(one.cpuIdle))
		p("the subscribers still open and nothing changed: the sync passes (YCM read in full every %s) and", lc.interval)
		p("the keep-alive pings cost that whether or not anything changes, so it is subtracted.")
		if events > 0 {
			per := ms(one.cpuRounds-one.cpuIdle) / float64(events) * 1000
			p("")
			p("**CPU per 1,000 events delivered: %.0f ms** ((%s − %s) ÷ %s events received × 1,000; the", per, cpuSecs(one.cpuRounds), cpuSecs(one.cpuIdle), thousands(events))
			p("gateway's `custgraph_subscription_events_delivered_total` grew by %s meanwhile).", thousandsF(rep.delivered))
		}
		if rep.dropped > 0 || rep.slow > 0 {
			p("")
			p("The gateway dropped %s events and closed %s subscribers as slow.", thousandsF(rep.dropped), thousandsF(rep.slow))
		}
	}
	if red := r.redis; red != nil && red.reason == "" {
		p("")
		p("On Redis, the replicas' counters of events delivered grew by %s; CPU over the changes (no idle baseline", deliveredOf(red))
		p("taken): %s for both replicas together. RSS with the subscribers open: %s.", cpuSecs(red.cpuRounds), rssOf(red))
	}
	for _, run := range []*liveRun{r.one, r.redis} {
		if run == nil || run.reason != "" {
			continue
		}
		p("")
		p("### Each change, %s", run.label)
		p("")
		p("*sync lag*: from the PUT to the `at` of its first event (when the sync read it).")
		p("")
		p("| # | record | kind | sync lag | at → receipt p50 | p99 | max | received | missing | duplicates | other `at`s |")
		p("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
		for i, c := range run.changes {
			cs := run.stats.perChange[i]
			lag := "–"
			if cs.got > 0 {
				lag = secsMS(cs.at.Sub(c.put))
			}
			if c.err != "" {
				lag = cell1(c.err, 80)
			}
			p("| %d | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d |", i+1, c.id, orDash(cs.kind), lag, secsMS(percentile(cs.lat, 50)),
				secsMS(percentile(cs.lat, 99)), secsMS(last(cs.lat)), thousands(cs.got), cs.missing, cs.duplicates, cs.atDiffers)
		}
	}
	p("")
	p("```sh")
	p("# from the repository root, $TMP a fresh temporary directory:")
	for _, c := range b.liveCommands {
		p("%s", c)
	}
	p("```")
	p("")
	return w.String()
}

func cpuSecs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func bytesMiB(b float64) string {
	if math.IsNaN(b) || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", b/(1<<20))
}

func thousandsF(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return thousands(int(math.Round(x)))
}

func deliveredOf(run *liveRun) string {
	var parts []string
	for _, r := range run.replicas {
		parts = append(parts, fmt.Sprintf("%s on %s", thousandsF(r.delivered), r.g.name))
	}
	return strings.Join(parts, " and ")
}

func rssOf(run *liveRun) string {
	var parts []string
	for _, r := range run.replicas {
		parts = append(parts, fmt.Sprintf("%s (%s before the subscribers) on %s", mibs(r.rss1.rss), mibs(r.rss0.rss), r.g.name))
	}
	return strings.Join(parts, ", ")
}
