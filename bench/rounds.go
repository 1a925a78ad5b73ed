package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"
)

// cell is one gateway in one scenario.
type cell struct {
	runs []runResult
	sum  summary
	note string // why there are no runs
	// alone is the probe of one query at a time after the rounds.
	alone probeResult
}

// probeResult is what one query costs alone.
type probeResult struct {
	queries, failed, refused int
	calls, p50ms             float64 // per query; the median latency
}

// results are the cells by scenario id and gateway name.
type results map[string]map[string]*cell

func (r results) get(sc, gw string) *cell {
	if r[sc] == nil {
		return nil
	}
	return r[sc][gw]
}

// measureAll runs every scenario: in each round every gateway in turn,
// then each alone.
func (b *bench) measureAll(ctx context.Context, gws map[string]*gateway, meshReason string) (results, error) {
	client := newClient(b.cfg.load.concurrency)
	res := results{}
	plan := b.plan()
	reqs := map[string]map[string]request{} // by scenario, gateway
	orders := map[string][]string{}         // the gateways that run, by scenario
	total := 0
	for _, sc := range plan {
		res[sc.id], reqs[sc.id] = map[string]*cell{}, map[string]request{}
		for _, name := range sc.gateways {
			c := &cell{}
			res[sc.id][name] = c
			g := gws[name]
			if g == nil {
				switch {
				case name == custgraphRedis:
					c.note = "Redis not available: " + b.redisReason
				case b.unavailable[name] != "":
					c.note = firstLine(b.unavailable[name])
				default:
					c.note = "Mesh not available: " + firstLine(meshReason)
				}
				continue
			}
			req, why := g.request(sc)
			if why != "" {
				c.note = why
				continue
			}
			reqs[sc.id][name] = req
			orders[sc.id] = append(orders[sc.id], name)
		}
		// Answers compared with custgraph's before the rounds.
		for _, name := range slices.Clone(orders[sc.id]) {
			g := gws[name]
			if g.check == nil {
				continue
			}
			if err := b.checkRows(ctx, client, sc, g, reqs[sc.id]); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				res[sc.id][name].note = "answers other rows than custgraph: " + err.Error()
				fmt.Printf("%s %s: not measured, %s\n", sc.label, name, res[sc.id][name].note)
				orders[sc.id] = slices.DeleteFunc(orders[sc.id], func(n string) bool { return n == name })
				continue
			}
			fmt.Printf("%s %s: same rows as custgraph\n", sc.label, name)
		}
		total += b.cfg.rounds * len(orders[sc.id])
	}
	fmt.Printf("measuring: %d runs of %s + %s warm-up, %d workers (about %s)\n", total, b.cfg.load.duration,
		b.cfg.load.warmup, b.cfg.load.concurrency, (time.Duration(total) * (b.cfg.load.duration + b.cfg.load.warmup)).Round(time.Second))
	latency, done := time.Duration(0), 0
	for _, sc := range plan {
		if sc.latency != latency {
			for _, g := range gws {
				if err := g.sim.setLatency(ctx, sc.latency); err != nil {
					return nil, err
				}
			}
			latency = sc.latency
		}
		order := orders[sc.id]
		for round := 1; round <= b.cfg.rounds; round++ {
			for _, name := range order {
				g := gws[name]
				var cpu0 time.Duration
				r, err := measure(ctx, client, reqs[sc.id][name], b.cfg.load, func() error {
					cpu0 = treeCPU(g.cpuPID())
					return g.sim.reset(ctx)
				})
				if err != nil {
					return nil, err
				}
				r.CPU = treeCPU(g.cpuPID()) - cpu0
				if r.Calls, r.Refused, err = g.sim.counts(ctx); err != nil {
					return nil, err
				}
				c := res[sc.id][name]
				c.runs = append(c.runs, r)
				done++
				fmt.Printf("[%2d/%d] %-32s %-22s round %d: %8.0f rps  p50 %7.2f ms  p99 %7.2f ms  %d failed  %.2f calls/query%s\n",
					done, total, sc.label, name, round, r.RPS(), ms(r.P50), ms(r.P99), r.Failed, r.CallsPerQuery(), refusals(r.Refused))
			}
		}
		for _, name := range order {
			c, g := res[sc.id][name], gws[name]
			c.sum = summarize(c.runs)
			var err error
			if c.alone, err = probeAlone(ctx, client, reqs[sc.id][name], g.sim); err != nil {
				return nil, err
			}
			fmt.Printf("        %-32s %-22s alone:   %.2f calls/query, p50 %.2f ms over %d queries\n",
				sc.label, name, c.alone.calls, c.alone.p50ms, c.alone.queries)
		}
	}
	return res, nil
}

// checkRows asks g and custgraph (when it runs the scenario) the
// scenario's query once each and lets g.check compare the answers.
func (b *bench) checkRows(ctx context.Context, client *http.Client, sc scenario, g *gateway, reqs map[string]request) error {
	if err := g.sim.setLatency(ctx, 0); err != nil {
		return err
	}
	body, err := fetchOnce(ctx, client, reqs[g.name])
	if err != nil {
		return err
	}
	var ref []byte
	if r, ok := reqs[custgraph]; ok {
		if ref, err = fetchOnce(ctx, client, r); err != nil {
			return fmt.Errorf("custgraph: %w", err)
		}
	}
	return g.check(sc, body, ref)
}

// probeAlone asks the query 20 times one at a time (for at most 3 s) and
// counts the vendor calls.
func probeAlone(ctx context.Context, client *http.Client, req request, sim *simulator) (probeResult, error) {
	if err := sim.reset(ctx); err != nil {
		return probeResult{}, err
	}
	lat, failed := probe(ctx, client, req, 20, 3*time.Second)
	calls, refused, err := sim.counts(ctx)
	if err != nil {
		return probeResult{}, err
	}
	r := newRunResult(lat, 0, failed, 0)
	pr := probeResult{queries: len(lat), failed: failed, refused: refused, calls: math.NaN(), p50ms: ms(r.P50)}
	if len(lat) > 0 {
		pr.calls = float64(calls) / float64(len(lat))
	}
	return pr, ctx.Err()
}

// refusals notes vendor refusals, when there were any.
func refusals(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d refused by the vendor", n)
}
