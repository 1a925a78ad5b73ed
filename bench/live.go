package main

// The live changes part of the bench (issue 17): subscribers of
// Subscription.customerChanged over WebSocket on one replica, and split
// over two replicas on Redis; changes made at the simulator one sync pass
// apart; per change and subscriber, the time from the sync seeing the
// change (the event's `at`) to the event at the subscriber; every change
// exactly once; memory per open subscription and CPU per 1,000 events.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// liveConfig is the live changes part's command line.
type liveConfig struct {
	mode        string // on, off or only
	subscribers int
	changes     int
	interval    time.Duration // the gateways' CUSTGRAPH_SYNC_INTERVAL
	customers   int           // records per source of the simulator
}

// liveReplica is one gateway of a run and what was read of it.
type liveReplica struct {
	g     *dirGateway
	debug string // the profiler's base URL, to collect garbage before reading the heap
	subs  int    // subscribers opened on it
	// before and after the subscribers opened
	rss0, rss1   memKB
	heap0, heap1 float64 // go_memstats_heap_inuse_bytes after a collection; NaN when unknown
	syncing      []string
	delivered    float64 // custgraph_subscription_events_delivered_total over the rounds
	dropped      float64
	slow         float64
}

// liveRun is one configuration measured: one replica, or two on Redis.
type liveRun struct {
	label    string
	replicas []*liveReplica
	// idle: an idle baseline of CPU was measured after the rounds.
	idle               bool
	opened             int
	openTook           time.Duration
	openErrs           []string
	ended              []string // subscriptions that ended during the run: why
	bad                int      // messages the subscribers could not read
	changes            []liveChange
	stats              liveStats
	byReplica          []liveStats
	roundsTook         time.Duration
	cpuRounds, cpuIdle time.Duration
	errs               []string
	reason             string // why the run is missing
}

// liveResults are the part's figures.
type liveResults struct {
	one, redis *liveRun
	took       time.Duration
	fileLimit  uint64
}

// lnote records a command for the live changes section.
func (b *bench) lnote(format string, args ...any) {
	b.liveCommands = append(b.liveCommands, fmt.Sprintf(format, args...))
}

// startLiveSim serves the simulators with lc.customers records per
// source, the CRM quota off.
func (b *bench) startLiveSim(name string) (*simulator, error) {
	argv := []string{b.bin, "sim", "-addr", "127.0.0.1:0", "-customers", strconv.Itoa(b.cfg.live.customers), "-crm-rate-limit", "off"}
	p, err := b.start(name, b.root, nil, simAddr, argv...)
	if err != nil {
		return nil, err
	}
	addr, err := p.waitAddr(time.Minute)
	if err != nil {
		return nil, err
	}
	b.lnote("%s   # %s, on %s", b.shown(argv), name, addr)
	return &simulator{proc: p, url: "http://" + addr}, nil
}

// startLiveGateway serves custgraph over sim with the directory on, a
// sync pass every lc.interval and the per-client cap of subscriptions
// above the subscribers (they all come from one address), plus extra.
func (b *bench) startLiveGateway(name string, sim *simulator, extra map[string]string) (*liveReplica, error) {
	lc := b.cfg.live
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := gatewayEnv(sim.url, merge(map[string]string{
		"CUSTGRAPH_DIRECTORY":                "on",
		"CUSTGRAPH_SYNC_INTERVAL":            lc.interval.String(),
		"CUSTGRAPH_SYNC_YCM_PACE":            "0",
		"CUSTGRAPH_SUBSCRIPTIONS_PER_CLIENT": strconv.Itoa(2 * lc.subscribers),
		"CUSTGRAPH_DATA_DIR":                 filepath.Join(b.tmp, "data-"+name),
		"CUSTGRAPH_DEBUG_ADDR":               fmt.Sprintf("127.0.0.1:%d", port),
	}, extra))
	g := &dirGateway{name: name, sim: sim, env: env, started: time.Now()}
	p, err := b.start(name, b.root, env, custgraphAddr, b.bin, "serve")
	if err != nil {
		return nil, err
	}
	addr, err := p.waitAddr(time.Minute)
	if err != nil {
		return nil, err
	}
	g.proc, g.url = p, "http://"+addr+"/graphql"
	shown := map[string]string{}
	for k, v := range env { // what differs from the bench's usual gateway
		if k == "CUSTGRAPH_REDIS_URL" || k == "CUSTGRAPH_DATA_DIR" || k == "CUSTGRAPH_DEBUG_ADDR" ||
			strings.Contains(k, "DIRECTORY") || strings.Contains(k, "SYNC") || strings.Contains(k, "SUBSCRIPTION") {
			shown[k] = v
		}
	}
	b.lnote("%s %s   # %s, on %s (and the simulator's URLs and demo credentials)",
		strings.ReplaceAll(envLine(shown), b.tmp, "$TMP"), b.shown([]string{b.bin, "serve"}), name, addr)
	return &liveReplica{g: g, debug: fmt.Sprintf("http://127.0.0.1:%d", port), heap0: math.NaN(), heap1: math.NaN()}, nil
}

// metrics is the replica's /metrics.
func (r *liveReplica) metrics(ctx context.Context) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.g.url, "/graphql")+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/metrics: HTTP %d", resp.StatusCode)
	}
	return string(b), nil
}

func (r *liveReplica) metric(ctx context.Context, name string, match map[string]string) float64 {
	text, err := r.metrics(ctx)
	if err != nil {
		return math.NaN()
	}
	v, ok := promSum(text, name, match)
	if !ok {
		return math.NaN()
	}
	return v
}

// heap is the Go heap in use right after a collection (the profiler's
// heap endpoint with gc=1 collects), from /metrics.
func (r *liveReplica) heap(ctx context.Context) float64 {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.debug+"/debug/pprof/heap?gc=1", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return r.metric(ctx, "go_memstats_heap_inuse_bytes", nil)
}

func (r *liveReplica) wsURL() string { return "ws" + strings.TrimPrefix(r.g.url, "http") }

// pickRecords are records of each source to change, in a random order
// fixed by the seed.
func pickRecords(ctx context.Context, sim *simulator) (map[string][]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, sim.url+"/_sim/identities", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ids map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&ids); err != nil {
		return nil, fmt.Errorf("/_sim/identities: %w", err)
	}
	out := map[string][]string{}
	for _, k := range sortedKeys(ids) {
		src, _, _ := strings.Cut(k, ":")
		out[src] = append(out[src], k)
	}
	rng := rand.New(rand.NewPCG(17, 17))
	for _, src := range dirSources {
		rng.Shuffle(len(out[src]), func(i, j int) { out[src][i], out[src][j] = out[src][j], out[src][i] })
	}
	return out, nil
}

// putBody is a record of src in the vendor's wire format with the name
// name (a replace: the simulator keeps only what the body says).
func putBody(src, name string) string {
	var m map[string]string
	switch src {
	case "ycm":
		m = map[string]string{"company": name, "firstName": "三", "lastName": "张"}
	default:
		m = map[string]string{"name": name}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// putChange replaces the record at the simulator.
func putChange(ctx context.Context, sim *simulator, c *liveChange) error {
	_, key, _ := strings.Cut(c.id, ":")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, sim.url+"/_sim/records/"+c.source+"/"+key, strings.NewReader(putBody(c.source, c.name)))
	req.Header.Set("Content-Type", "application/json")
	c.put = time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("PUT %s: HTTP %d %s", c.id, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// cpu is the replicas' CPU time so far.
func (run *liveRun) cpu() time.Duration {
	var t time.Duration
	for _, r := range run.replicas {
		t += treeCPU(r.g.proc.pid())
	}
	return t
}

// measureLive opens the subscribers over run's replicas, makes the
// changes one sync pass apart (waiting for each to reach every
// subscriber, then a random part of an interval so that changes fall at
// every moment of a pass's cycle), and reads memory and CPU around it.
// picks are the records to change, of which it takes the first ones;
// tag makes the names its own.
func (b *bench) measureLive(ctx context.Context, run *liveRun, sim *simulator, picks map[string][]string, tag int) error {
	lc := b.cfg.live
	for i := range lc.changes {
		src := dirSources[i%len(dirSources)]
		k := i / len(dirSources)
		if k >= len(picks[src]) {
			return fmt.Errorf("the simulator has too few %s records for %d changes", src, lc.changes)
		}
		run.changes = append(run.changes, liveChange{source: src, id: picks[src][k],
			name: fmt.Sprintf("实时变更测试%d-%02d有限公司", tag, i+1)})
	}
	idx := map[string]int{}
	for i, c := range run.changes {
		idx[c.key()] = i
	}
	counts := make([]atomic.Int64, len(run.changes))
	got := func(ev liveEvent) {
		if i, ok := idx[ev.id+"\x00"+ev.name]; ok {
			counts[i].Add(1)
		}
	}

	time.Sleep(time.Second) // past the start's work
	for _, r := range run.replicas {
		r.rss0, r.heap0 = readMem(r.g.proc.pid()), r.heap(ctx)
	}
	var urls []string
	for _, r := range run.replicas {
		urls = append(urls, r.wsURL())
	}
	t0 := time.Now()
	subs, failed := openSubs(ctx, urls, lc.subscribers, got)
	run.openTook, run.opened, run.openErrs = time.Since(t0), len(subs), failed
	defer closeSubs(subs)
	for _, s := range subs {
		run.replicas[s.replica].subs++
	}
	fmt.Printf("live: %s: %d subscribers open in %s (%d failed)\n", run.label, len(subs), run.openTook.Round(time.Millisecond), len(failed))
	// The server has them all once its gauge says so.
	deadline := time.Now().Add(30 * time.Second)
	for ctx.Err() == nil {
		open := 0.0
		for _, r := range run.replicas {
			open += r.metric(ctx, "custgraph_subscriptions_open", map[string]string{"transport": "ws"})
		}
		if open == float64(len(subs)) {
			break
		}
		if time.Now().After(deadline) {
			run.errs = append(run.errs, fmt.Sprintf("the replicas count %v subscriptions open, not %d", open, len(subs)))
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	delivered0 := make([]float64, len(run.replicas))
	for i, r := range run.replicas {
		r.rss1, r.heap1 = readMem(r.g.proc.pid()), r.heap(ctx)
		delivered0[i] = r.metric(ctx, "custgraph_subscription_events_delivered_total", nil)
	}

	rng := rand.New(rand.NewPCG(uint64(tag), 17))
	cpu0, t1 := run.cpu(), time.Now()
	for i := range run.changes {
		c := &run.changes[i]
		if err := putChange(ctx, sim, c); err != nil {
			c.err = err.Error()
			run.errs = append(run.errs, err.Error())
			continue
		}
		// Until every subscriber has it: the pass that saw it has ended,
		// so the next change is another pass's.
		limit := time.Now().Add(3*lc.interval + 5*time.Second)
		for counts[i].Load() < int64(len(subs)) && time.Now().Before(limit) && ctx.Err() == nil {
			time.Sleep(2 * time.Millisecond)
		}
		if n := counts[i].Load(); n < int64(len(subs)) {
			run.errs = append(run.errs, fmt.Sprintf("change %d (%s): %d of %d subscribers had it after %s", i+1, c.id, n, len(subs),
				(3*lc.interval+5*time.Second)))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(time.Duration(rng.Int64N(int64(lc.interval))))
	}
	// Two passes more, for late copies (a duplicate would come with a
	// later pass).
	time.Sleep(2*lc.interval + time.Second)
	run.roundsTook = time.Since(t1)
	run.cpuRounds = run.cpu() - cpu0
	for i, r := range run.replicas {
		text, err := r.metrics(ctx)
		if err != nil {
			run.errs = append(run.errs, r.g.name+": "+err.Error())
			continue
		}
		d, _ := promSum(text, "custgraph_subscription_events_delivered_total", nil)
		r.delivered = d - delivered0[i]
		r.dropped, _ = promSum(text, "custgraph_subscription_events_dropped_total", nil)
		r.slow, _ = promSum(text, "custgraph_subscription_slow_closed_total", nil)
		for _, src := range dirSources {
			if v, ok := promSum(text, "custgraph_directory_syncing", map[string]string{"source": strings.ToUpper(src)}); ok && v == 1 {
				r.syncing = append(r.syncing, src)
			}
		}
	}
	if run.idle {
		// The same time with the subscribers open and no change: the
		// sync passes cost CPU whether or not anything changed.
		fmt.Printf("live: %s: idle baseline of CPU, %s …\n", run.label, run.roundsTook.Round(time.Second))
		cpu1 := run.cpu()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(run.roundsTook):
		}
		run.cpuIdle = run.cpu() - cpu1
	}

	events := make([][]liveEvent, len(subs))
	byReplica := make([][][]liveEvent, len(run.replicas))
	for i, s := range subs {
		s.mu.Lock()
		events[i] = slices.Clone(s.events)
		if s.ended != "" {
			run.ended = append(run.ended, s.ended)
		}
		run.bad += s.bad
		s.mu.Unlock()
		byReplica[s.replica] = append(byReplica[s.replica], events[i])
	}
	run.stats = analyze(run.changes, events)
	if len(run.replicas) > 1 {
		for _, evs := range byReplica {
			run.byReplica = append(run.byReplica, analyze(run.changes, evs))
		}
	}
	st := run.stats
	fmt.Printf("live: %s: %d of %d (change, subscriber) pairs, %d missing, %d duplicates; at → receipt p50 %s p99 %s max %s\n",
		run.label, st.got, st.pairs, st.missing, st.duplicates, secsMS(st.p50), secsMS(st.p99), secsMS(st.max))
	return nil
}

// runLive is the live changes part: one replica, then two on Redis.
func (b *bench) runLive(ctx context.Context) (*liveResults, error) {
	t0 := time.Now()
	lc := b.cfg.live
	res := &liveResults{}
	limit, err := raiseFileLimit(uint64(lc.subscribers) + 1024)
	if err != nil {
		return nil, err
	}
	res.fileLimit = limit

	fmt.Printf("live: %d subscribers, %d changes, sync every %s …\n", lc.subscribers, lc.changes, lc.interval)
	sim, err := b.startLiveSim("sim-live")
	if err != nil {
		return nil, err
	}
	defer sim.proc.stop(5 * time.Second)
	picks, err := pickRecords(ctx, sim)
	if err != nil {
		return nil, err
	}

	// One replica.
	one, err := b.startLiveGateway("custgraph-live", sim, nil)
	if err != nil {
		return nil, err
	}
	if r := one.g.waitReady(ctx, 100*time.Millisecond, 5*time.Minute); r.err != nil {
		return nil, r.err
	}
	res.one = &liveRun{label: "one replica", replicas: []*liveReplica{one}, idle: true}
	if err := b.measureLive(ctx, res.one, sim, picks, 1); err != nil {
		return nil, err
	}
	one.g.proc.stop(15 * time.Second)

	// Two replicas on Redis, on the same simulator (other records).
	res.redis = &liveRun{label: "two replicas on Redis"}
	n0 := len(b.commands)
	url, rp, err := b.startRedis()
	for _, c := range b.commands[n0:] {
		b.lnote("%s", c)
	}
	b.commands = b.commands[:n0]
	if err != nil {
		res.redis.reason = err.Error()
	} else {
		defer rp.stop(5 * time.Second)
		for _, name := range []string{"custgraph-live-a", "custgraph-live-b"} {
			r, err := b.startLiveGateway(name, sim, map[string]string{"CUSTGRAPH_REDIS_URL": url})
			if err != nil {
				return nil, err
			}
			defer r.g.proc.stop(15 * time.Second)
			// The second joins once the first has the copy in Redis.
			if rr := r.g.waitReady(ctx, 100*time.Millisecond, 5*time.Minute); rr.err != nil {
				return nil, rr.err
			}
			res.redis.replicas = append(res.redis.replicas, r)
		}
		rest := map[string][]string{}
		k := (lc.changes + len(dirSources) - 1) / len(dirSources)
		for src, ids := range picks {
			rest[src] = ids[min(k, len(ids)):]
		}
		if err := b.measureLive(ctx, res.redis, sim, rest, 2); err != nil {
			return nil, err
		}
	}
	res.took = time.Since(t0)
	return res, nil
}

// spliceLive puts the live changes section into doc: in place of its
// earlier version, else after the directory's section.
func spliceLive(doc, section string) string {
	return spliceSection(doc, liveHead, section, dirHead)
}

const liveHead = "## Live changes (issue 17)"

// writeLiveOnly puts the section into the existing report.
func (b *bench) writeLiveOnly(res *liveResults) error {
	out := b.path(b.cfg.out)
	old, err := os.ReadFile(out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(out, []byte(spliceLive(string(old), b.liveSection(res))), 0o644)
}
