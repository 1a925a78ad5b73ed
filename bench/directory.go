package main

// The directory part of the bench (issue 15): search, order and phone
// lookups at 100,000 records per source against the live name filter, a
// 100-row page with matches, the first full sync at the CRM's real quota,
// and restarts to READY (a file store, a replica joining on Redis).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// dirConfig is the directory part's command line.
type dirConfig struct {
	mode      string // on, off or only
	customers int    // records per source of part 1 (and of the restarts)
	syncSizes []int  // records per source of the first syncs at the CRM quota
	redisSize int    // records per source of the Redis replicas
	duration  time.Duration
	workers   int
	today     int // queries of today's matches page
}

// parseSizes reads "1000,10000,100000".
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-directory-sync-sizes: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// sources as the simulators' /_sim/stats and the gateway's `sources` name
// them, and each one's list route.
var dirSources = []string{"u8", "ycm", "crm"}

var listRoute = map[string]string{
	"u8":  "GET /api/customer/batch_get",
	"ycm": "GET /dm/open_api/v1/customers",
	"crm": "GET /api/v2/customers",
}

// srcCalls are one source's vendor calls: list pages, all, refused.
type srcCalls struct{ list, all, refused int }

type simCalls map[string]srcCalls

func (c simCalls) total() (n int) {
	for _, s := range c {
		n += s.all
	}
	return n
}

func (c simCalls) lists() (n int) {
	for _, s := range c {
		n += s.list
	}
	return n
}

// byRoute reads /_sim/stats by source.
func (s *simulator) byRoute(ctx context.Context) (simCalls, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/_sim/stats", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st struct {
		Calls    map[string]int `json:"calls"`
		Rejected map[string]int `json:"rejected"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("/_sim/stats: %w", err)
	}
	out := simCalls{}
	for k, n := range st.Calls {
		src, route, _ := strings.Cut(k, " ")
		c := out[src]
		c.all += n
		if route == listRoute[src] {
			c.list += n
		}
		out[src] = c
	}
	for k, n := range st.Rejected {
		src, _, _ := strings.Cut(k, " ")
		c := out[src]
		c.refused += n
		out[src] = c
	}
	return out, nil
}

// dnote records a command for the directory section.
func (b *bench) dnote(format string, args ...any) {
	b.dirCommands = append(b.dirCommands, fmt.Sprintf(format, args...))
}

// startDirSim serves the simulators with n records per source and the CRM
// quota crmRate ("off" or "10/10s").
func (b *bench) startDirSim(name string, n int, crmRate string) (*simulator, error) {
	argv := []string{b.bin, "sim", "-addr", "127.0.0.1:0", "-customers", strconv.Itoa(n), "-crm-rate-limit", crmRate}
	p, err := b.start(name, b.root, nil, simAddr, argv...)
	if err != nil {
		return nil, err
	}
	addr, err := p.waitAddr(2 * time.Minute)
	if err != nil {
		return nil, err
	}
	b.dnote("%s   # %s, on %s", b.shown(argv), name, addr)
	return &simulator{proc: p, url: "http://" + addr}, nil
}

// dirGateway is one custgraph of the directory part.
type dirGateway struct {
	name    string
	sim     *simulator
	env     map[string]string
	proc    *proc
	url     string // /graphql
	started time.Time
}

// startDirGateway serves custgraph over sim with extra on top of the
// bench's gateway environment.
func (b *bench) startDirGateway(name string, sim *simulator, extra map[string]string) (*dirGateway, error) {
	g := &dirGateway{name: name, sim: sim, env: gatewayEnv(sim.url, extra)}
	return g, b.restartDirGateway(g, name)
}

// restartDirGateway starts g's process (again) under name.
func (b *bench) restartDirGateway(g *dirGateway, name string) error {
	g.started = time.Now()
	p, err := b.start(name, b.root, g.env, custgraphAddr, b.bin, "serve")
	if err != nil {
		return err
	}
	addr, err := p.waitAddr(3 * time.Minute)
	if err != nil {
		return err
	}
	g.proc, g.url = p, "http://"+addr+"/graphql"
	env := map[string]string{}
	for k, v := range g.env { // the report shows only what differs from the bench's usual gateway
		if k == "CUSTGRAPH_REDIS_URL" || k == "CUSTGRAPH_DATA_DIR" || k == "CUSTGRAPH_CRM_RATE_LIMIT" || strings.Contains(k, "DIRECTORY") ||
			strings.Contains(k, "SYNC") || strings.Contains(k, "CACHE") || strings.Contains(k, "SHARE") {
			env[k] = v
		}
	}
	b.dnote("%s %s   # %s, on %s (and the simulator's URLs and demo credentials, as above)",
		strings.ReplaceAll(envLine(env), b.tmp, "$TMP"), b.shown([]string{b.bin, "serve"}), name, addr)
	return nil
}

// dirEnv is the directory on, kept in dir, with a sync interval longer
// than the run so that no pass disturbs the measurements.
func dirEnv(dir string, extra map[string]string) map[string]string {
	env := map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_SYNC_INTERVAL": "1h",
		"CUSTGRAPH_DIRECTORY_MAX_AGE": "3h"}
	if dir != "" {
		env["CUSTGRAPH_DATA_DIR"] = dir
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// noCache makes every live query reach the vendors, as a search for a
// name nobody asked for a moment ago does.
var noCache = map[string]string{"CUSTGRAPH_U8_CACHE_TTL": "0", "CUSTGRAPH_YCM_CACHE_TTL": "0",
	"CUSTGRAPH_CRM_CACHE_TTL": "0", "CUSTGRAPH_SHARE_INFLIGHT": "off"}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// gqlAnswer is a GraphQL answer.
type gqlAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// gql posts one query and decodes data into out; GraphQL errors are an
// error.
func gql(ctx context.Context, c *http.Client, url, query string, out any) error {
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var a gqlAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if len(a.Errors) > 0 {
		return fmt.Errorf("GraphQL: %s", a.Errors[0].Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(a.Data, out)
}

// dirState is one source's directory as `sources` shows it.
type dirState struct {
	State   string
	Records int
}

func (g *dirGateway) states(ctx context.Context) (map[string]dirState, error) {
	var d struct {
		Sources []struct {
			Source    string
			Directory *dirState
		}
	}
	if err := gql(ctx, http.DefaultClient, g.url, `{ sources { source directory { state records } } }`, &d); err != nil {
		return nil, err
	}
	out := map[string]dirState{}
	for _, s := range d.Sources {
		if s.Directory != nil {
			out[strings.ToLower(s.Source)] = *s.Directory
		}
	}
	return out, nil
}

// readyResult is how a gateway's directory got READY.
type readyResult struct {
	took    map[string]time.Duration // by source, from the process's start
	calls   simCalls                 // by source, read as each source got READY
	records map[string]int
	rss     memKB // once every source is READY
	all     time.Duration
	err     error
}

// memKB is a process's resident set now and at its peak.
type memKB struct{ rss, peak int64 }

func readMem(pid int) memKB {
	st, err := readStatus(pid)
	if err != nil {
		return memKB{}
	}
	kb := func(k string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSuffix(st[k], " kB"), 10, 64)
		return n
	}
	return memKB{rss: kb("VmRSS"), peak: kb("VmHWM")}
}

// waitReady polls `sources` every poll until every source is READY,
// noting when each got there and the vendor calls it had cost by then.
func (g *dirGateway) waitReady(ctx context.Context, poll, timeout time.Duration) readyResult {
	r := readyResult{took: map[string]time.Duration{}, calls: simCalls{}, records: map[string]int{}}
	deadline := g.started.Add(timeout)
	for ctx.Err() == nil {
		st, err := g.states(ctx)
		if err == nil {
			for _, src := range dirSources {
				if _, done := r.took[src]; done || st[src].State != "READY" {
					continue
				}
				r.took[src] = time.Since(g.started)
				r.records[src] = st[src].Records
				if c, err := g.sim.byRoute(ctx); err == nil {
					r.calls[src] = c[src]
				}
			}
			if len(r.took) == len(dirSources) {
				r.all = time.Since(g.started)
				r.rss = readMem(g.proc.pid())
				return r
			}
		}
		if g.proc.exited() {
			r.err = fmt.Errorf("%s exited:\n%s", g.name, tail(g.proc.log, 10))
			return r
		}
		if time.Now().After(deadline) {
			r.err = fmt.Errorf("%s: not READY within %s (%v)", g.name, timeout, st)
			return r
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
	r.err = ctx.Err()
	return r
}

// loadStat is one query kind under a small closed loop.
type loadStat struct {
	label, example string
	terms          int
	n, failed      int
	p50, p99       float64 // ms
	rps            float64
	hits           string // e.g. how many phone numbers found a record
}

// closedLoop sends reqs round robin from workers workers for d (after
// warmup unmeasured) and summarizes the latencies.
func closedLoop(ctx context.Context, c *http.Client, reqs []request, workers int, warmup, d time.Duration) loadStat {
	run := func(d time.Duration) ([]time.Duration, int, int, time.Duration) {
		var (
			mu         sync.Mutex
			wg         sync.WaitGroup
			lat        []time.Duration
			ok, failed int
		)
		start := time.Now()
		deadline := start.Add(d)
		for w := range workers {
			wg.Go(func() {
				var buf bytes.Buffer
				var mine []time.Duration
				myOK, myFailed := 0, 0
				for i := w; ctx.Err() == nil && time.Now().Before(deadline); i += workers {
					t0 := time.Now()
					good, answered := send(ctx, c, reqs[i%len(reqs)], &buf)
					if answered {
						mine = append(mine, time.Since(t0))
					}
					if good {
						myOK++
					} else {
						myFailed++
						time.Sleep(10 * time.Millisecond)
					}
				}
				mu.Lock()
				lat, ok, failed = append(lat, mine...), ok+myOK, failed+myFailed
				mu.Unlock()
			})
		}
		wg.Wait()
		return lat, ok, failed, time.Since(start)
	}
	if warmup > 0 {
		run(warmup)
	}
	lat, ok, failed, el := run(d)
	r := newRunResult(lat, ok, failed, el)
	return loadStat{terms: len(reqs), n: r.Completed, failed: failed, p50: ms(r.P50), p99: ms(r.P99), rps: r.RPS()}
}

// dirResults are the directory part's figures.
type dirResults struct {
	customers int
	// workers and latency are the run's -directory-workers and -latency.
	workers int
	latency time.Duration
	// part 1
	first readyResult
	loads []loadStat
	live  *loadStat
	// liveSlow is live with the vendors answering after -latency.
	liveSlow *loadStat
	// alone, liveAlone and liveSlowAlone are the same with one client at
	// a time: the latency targets are judged on them.
	alone                    []loadStat
	liveAlone, liveSlowAlone *loadStat
	rssReady                 memKB
	rssOff                   memKB
	rssOffErr                string
	// part 2
	dirPage, todayPage pageStat
	// part 3
	syncs []syncRun
	// part 4
	restart        readyResult
	restartRSS     memKB
	redisFirst     readyResult
	redisJoin      readyResult
	redisReason    string
	redisSize      int
	errs           []string
	took           time.Duration
	redisJoinCalls simCalls
}

// pageStat is a few sequential queries of a 100-row page with matches.
type pageStat struct {
	queries, failed int
	calls           simCalls
	refused         int
	lat             []time.Duration
	note            string
	size            int
}

type syncRun struct {
	size int
	r    readyResult
}

// dirBackground is what runs while the rest of the bench does: the first
// syncs at the CRM's quota, and today's matches page on it.
type dirBackground struct {
	wg    sync.WaitGroup
	syncs []syncRun
	today pageStat
}

// startDirBackground starts the first syncs at each size and today's
// matches page, each in its own simulator and gateway; collect with
// wait.
func (b *bench) startDirBackground(ctx context.Context) (*dirBackground, error) {
	bg := &dirBackground{syncs: make([]syncRun, len(b.cfg.dir.syncSizes))}
	fmt.Println("directory: starting the first syncs at the CRM's quota (10/10s), in the background …")
	for i, n := range b.cfg.dir.syncSizes {
		sim, err := b.startDirSim(fmt.Sprintf("sim-sync-%d", n), n, "10/10s")
		if err != nil {
			return nil, err
		}
		g, err := b.startDirGateway(fmt.Sprintf("custgraph-sync-%d", n), sim, dirEnv(filepath.Join(b.tmp, fmt.Sprintf("data-sync-%d", n)),
			map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "10/10s"}))
		if err != nil {
			return nil, err
		}
		bg.syncs[i].size = n
		timeout := 10*time.Minute + time.Duration(n/100)*1500*time.Millisecond
		bg.wg.Go(func() {
			r := g.waitReady(ctx, time.Second, timeout)
			bg.syncs[i].r = r
			fmt.Printf("directory: first sync of %d per source: READY in %s (%v)\n", n, r.all.Round(time.Second), r.err)
			g.proc.stop(10 * time.Second) // its work is done: free the cores
			sim.proc.stop(5 * time.Second)
		})
	}
	// Today's page with matches: no directory, the CRM at its quota.
	const todaySize = 1000
	sim, err := b.startDirSim("sim-matches-today", todaySize, "10/10s")
	if err != nil {
		return nil, err
	}
	g, err := b.startDirGateway("custgraph-matches-today", sim, merge(noCache,
		map[string]string{"CUSTGRAPH_DIRECTORY": "off", "CUSTGRAPH_CRM_RATE_LIMIT": "10/10s"}))
	if err != nil {
		return nil, err
	}
	bg.wg.Go(func() {
		bg.today = b.pageWithMatches(ctx, g, todayQuery, b.cfg.dir.today, 5*time.Minute)
		bg.today.size = todaySize
		fmt.Printf("directory: today's 100-row page with matches: %d queries, %.1f calls/query\n",
			bg.today.queries, perQuery(bg.today.calls.total(), bg.today.queries))
		g.proc.stop(10 * time.Second)
		sim.proc.stop(5 * time.Second)
	})
	return bg, nil
}

const (
	todayQuery = `{ customers(first: 100) { nodes { id name matches { id } } } }`
	dirQuery   = `{ customers(first: 100, orderBy: {field: NAME}) { nodes { id name matches { id } } } }`
)

// pageWithMatches asks query n times one after another, each bounded by
// limit, and counts the vendor calls.
func (b *bench) pageWithMatches(ctx context.Context, g *dirGateway, query string, n int, limit time.Duration) pageStat {
	ps := pageStat{}
	if err := g.sim.reset(ctx); err != nil {
		ps.note = err.Error()
		return ps
	}
	for range n {
		qctx, cancel := context.WithTimeout(ctx, limit)
		t0 := time.Now()
		rows, errs, err := pageRows(qctx, g.url, query)
		cancel()
		ps.queries++
		ps.lat = append(ps.lat, time.Since(t0))
		switch {
		case err != nil:
			ps.failed++
			ps.note = err.Error()
		case errs != "" || rows != 100:
			ps.failed++
			ps.note = fmt.Sprintf("%d rows, with the error %q", rows, errs)
		}
		if ctx.Err() != nil {
			break
		}
	}
	ps.calls, _ = g.sim.byRoute(ctx)
	for _, c := range ps.calls {
		ps.refused += c.refused
	}
	return ps
}

// pageRows asks query and counts its rows; errs is the first GraphQL
// error of an answer that has them (a partial answer).
func pageRows(ctx context.Context, url, query string) (rows int, errs string, err error) {
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var a struct {
		Data *struct {
			Customers *struct{ Nodes []json.RawMessage }
		}
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return 0, "", fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if a.Data != nil && a.Data.Customers != nil {
		rows = len(a.Data.Customers.Nodes)
	}
	if len(a.Errors) > 0 {
		errs = fmt.Sprintf("%s (%d errors)", a.Errors[0].Message, len(a.Errors))
	}
	return rows, errs, nil
}

func perQuery(calls, queries int) float64 {
	if queries == 0 {
		return 0
	}
	return float64(calls) / float64(queries)
}

// runDirectory is the directory part: part 1 (search, order, phones,
// memory) on a quiet machine, then the first syncs at the CRM's quota
// (part 3, minutes long) in the background while part 2 (the directory's
// matches page) and part 4 (restarts) run; part 3 is collected at the end.
// Part 1 comes first so that its latencies are not the background's.
func (b *bench) runDirectory(ctx context.Context) (*dirResults, error) {
	t0 := time.Now()
	dc := b.cfg.dir
	res := &dirResults{customers: dc.customers, redisSize: dc.redisSize, workers: dc.workers, latency: b.cfg.latency}
	fail := func(step string, err error) { res.errs = append(res.errs, step+": "+err.Error()) }

	fmt.Printf("directory: %d records per source, CRM quota off …\n", dc.customers)
	sim, err := b.startDirSim("sim-directory", dc.customers, "off")
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(b.tmp, "data-directory")
	g, err := b.startDirGateway("custgraph-directory", sim, dirEnv(dataDir, merge(noCache, map[string]string{"CUSTGRAPH_SYNC_YCM_PACE": "0"})))
	if err != nil {
		return nil, err
	}
	res.first = g.waitReady(ctx, 200*time.Millisecond, 30*time.Minute)
	if res.first.err != nil {
		return nil, res.first.err
	}
	fmt.Printf("directory: READY in %s\n", res.first.all.Round(100*time.Millisecond))

	if err := b.measureDirectory(ctx, g, res); err != nil {
		return nil, err
	}
	res.rssReady = readMem(g.proc.pid())

	bg, err := b.startDirBackground(ctx)
	if err != nil {
		return nil, err
	}

	fmt.Println("directory: the 100-row page with matches …")
	res.dirPage = b.pageWithMatches(ctx, g, dirQuery, 20, time.Minute)
	res.dirPage.size = dc.customers

	// 4a: restart on the same file.
	fmt.Println("directory: restart on the file store …")
	g.proc.stop(30 * time.Second)
	if err := sim.reset(ctx); err != nil {
		return nil, err
	}
	if err := b.restartDirGateway(g, "custgraph-directory-restarted"); err != nil {
		return nil, err
	}
	res.restart = g.waitReady(ctx, 100*time.Millisecond, 30*time.Minute)
	if res.restart.err != nil {
		fail("restart", res.restart.err)
	}
	res.restartRSS = readMem(g.proc.pid())
	g.proc.stop(30 * time.Second)

	// The same gateway without the directory, after one query.
	off, err := b.startDirGateway("custgraph-directory-off", sim, merge(noCache, map[string]string{"CUSTGRAPH_DIRECTORY": "off"}))
	if err != nil {
		return nil, err
	}
	if err := gql(ctx, http.DefaultClient, off.url, `{ customers(first: 20) { nodes { id name } } }`, nil); err != nil {
		res.rssOffErr = err.Error()
	}
	res.rssOff = readMem(off.proc.pid())
	off.proc.stop(10 * time.Second)
	sim.proc.stop(5 * time.Second)

	// 4b: a replica joins on Redis.
	b.redisJoin(ctx, res)

	fmt.Println("directory: waiting for the first syncs in the background …")
	bg.wg.Wait()
	res.syncs, res.todayPage = bg.syncs, bg.today
	res.took = time.Since(t0)
	return res, ctx.Err()
}

// redisJoin syncs a first replica on Redis, then starts a second and
// counts what its start costs the vendors.
func (b *bench) redisJoin(ctx context.Context, res *dirResults) {
	fmt.Println("directory: replicas on Redis …")
	n0 := len(b.commands)
	url, p, err := b.startRedis()
	for _, c := range b.commands[n0:] {
		b.dnote("%s", c)
	}
	b.commands = b.commands[:n0]
	if err != nil {
		res.redisReason = err.Error()
		return
	}
	defer p.stop(5 * time.Second)
	sim, err := b.startDirSim("sim-redis-replicas", res.redisSize, "off")
	if err != nil {
		res.redisReason = err.Error()
		return
	}
	defer sim.proc.stop(5 * time.Second)
	// No pass after the first replica's first sync (an hour away): the
	// simulator's counts while the second starts are then the second's
	// alone (a YCM pass of the first, every 30 s by default, once counted
	// as the joiner's).
	env := dirEnv("", merge(noCache, map[string]string{"CUSTGRAPH_REDIS_URL": url, "CUSTGRAPH_SYNC_YCM_PACE": "0", "CUSTGRAPH_SYNC_INTERVAL": "1h"}))
	first, err := b.startDirGateway("custgraph-replica-1", sim, merge(env, map[string]string{"CUSTGRAPH_DATA_DIR": filepath.Join(b.tmp, "data-replica-1")}))
	if err != nil {
		res.redisReason = err.Error()
		return
	}
	defer first.proc.stop(10 * time.Second)
	if res.redisFirst = first.waitReady(ctx, 200*time.Millisecond, 20*time.Minute); res.redisFirst.err != nil {
		res.redisReason = res.redisFirst.err.Error()
		return
	}
	if err := sim.reset(ctx); err != nil {
		res.redisReason = err.Error()
		return
	}
	second, err := b.startDirGateway("custgraph-replica-2", sim, merge(env, map[string]string{"CUSTGRAPH_DATA_DIR": filepath.Join(b.tmp, "data-replica-2")}))
	if err != nil {
		res.redisReason = err.Error()
		return
	}
	defer second.proc.stop(10 * time.Second)
	if res.redisJoin = second.waitReady(ctx, 100*time.Millisecond, 10*time.Minute); res.redisJoin.err != nil {
		res.redisReason = res.redisJoin.err.Error()
		return
	}
	// A moment later: whatever the joiner's start cost in all.
	time.Sleep(2 * time.Second)
	res.redisJoinCalls, _ = sim.byRoute(ctx)
}

// sample is records the measurements take their terms from.
type sample struct {
	names  []string
	phones []string
}

// takeSample reads n random records by key from the directory (no vendor
// call: every source is READY).
func (g *dirGateway) takeSample(ctx context.Context, n int) (sample, error) {
	var s sample
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.sim.url+"/_sim/identities", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	var ids map[string]string
	err = json.NewDecoder(resp.Body).Decode(&ids)
	resp.Body.Close()
	if err != nil {
		return s, fmt.Errorf("/_sim/identities: %w", err)
	}
	keys := sortedKeys(ids)
	rng := rand.New(rand.NewPCG(15, 15))
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	keys = keys[:min(n, len(keys))]
	q, _ := json.Marshal(keys)
	var d struct {
		CustomersByIds []*struct {
			Name   string
			Phones []struct{ Number string }
		}
	}
	if err := gql(ctx, http.DefaultClient, g.url, `{ customersByIds(ids: `+string(q)+`) { name phones { number } } }`, &d); err != nil {
		return s, err
	}
	for _, c := range d.CustomersByIds {
		if c == nil {
			continue
		}
		s.names = append(s.names, c.Name)
		for _, p := range c.Phones {
			s.phones = append(s.phones, p.Number)
		}
	}
	if len(s.names) == 0 || len(s.phones) == 0 {
		return s, errors.New("the sample holds no names or no phones")
	}
	return s, nil
}

// brandAt is the n runes of a generated company name after its city (two
// runes, and 市 when there is one): 1 is a brand's first character, 2 the
// brand, 3 and 4 the brand and the start of the industry.
func brandAt(name string, n int) string {
	r := []rune(name)
	i := 2
	if len(r) > 2 && r[2] == '市' {
		i = 3
	}
	if len(r) < i+n || !unicode.Is(unicode.Han, r[i]) {
		return ""
	}
	return string(r[i : i+n])
}

// typed writes a number found in the data the ways people type it.
func typed(number string, i int) string {
	// An extension (0571 8888 6666 转 801, as the simulators write some
	// numbers since issue 16) is not part of the number looked up.
	for _, mark := range []string{"转", "ext", "EXT", "x", "X", "#"} {
		if k := strings.Index(number, mark); k > 0 {
			number = strings.TrimSpace(number[:k])
		}
	}
	var d strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' {
			d.WriteRune(r)
		}
	}
	s := d.String()
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0086"), "86")
	switch {
	case len(s) == 11 && s[0] == '1': // a mobile
		return []string{s, "+86 " + s[:3] + " " + s[3:7] + " " + s[7:], "0086-" + s[:3] + "-" + s[3:7] + "-" + s[7:],
			s[:3] + " " + s[3:7] + " " + s[7:]}[i%4]
	case len(s) > 8 && s[0] == '0': // a landline with its area code
		area := 4
		if s[1] == '1' || s[1] == '2' {
			area = 3
		}
		return []string{"(" + s[:area] + ")" + s[area:], s[:area] + "-" + s[area:], "+86 " + s[1:area] + " " + s[area:],
			s[:area] + " " + s[area:area+4] + " " + s[area+4:]}[i%4]
	}
	return number
}

var gqlString = regexp.MustCompile(`["\\]`)

func quote(s string) string { return `"` + gqlString.ReplaceAllString(s, `\$0`) + `"` }

const dirSelection = `{ nodes { id name } pageInfo { hasNextPage endCursor } }`

// measureDirectory measures each query kind under the closed loop.
func (b *bench) measureDirectory(ctx context.Context, g *dirGateway, res *dirResults) error {
	dc := b.cfg.dir
	s, err := g.takeSample(ctx, 400)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	terms := func(n int) []string {
		var out []string
		seen := map[string]bool{}
		for _, name := range s.names {
			t := brandAt(name, n)
			if t != "" && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
		return out[:min(len(out), 50)]
	}
	var t34 []string
	for i, t := range append(terms(3), terms(4)...) {
		if i%2 == 0 || len(t34) < 50 {
			t34 = append(t34, t)
		}
	}
	search := func(ts []string) []request {
		var out []request
		for _, t := range ts {
			out = append(out, graphQLRequest(g.url, `{ customers(filter: {search: `+quote(t)+`}, first: 20) `+dirSelection+` }`))
		}
		return out
	}
	// Cursors a page apart, 2,000 records deep.
	var cursors []string
	after := ""
	for range 20 {
		var d struct {
			Customers struct {
				PageInfo struct{ EndCursor string }
			}
		}
		arg := ""
		if after != "" {
			arg = ", after: " + quote(after)
		}
		if err := gql(ctx, http.DefaultClient, g.url, `{ customers(first: 100, orderBy: {field: NAME}`+arg+`) { pageInfo { endCursor } } }`, &d); err != nil {
			return fmt.Errorf("cursors: %w", err)
		}
		if after = d.Customers.PageInfo.EndCursor; after == "" {
			break
		}
		cursors = append(cursors, after)
	}
	var ordered []request
	for _, c := range cursors {
		ordered = append(ordered, graphQLRequest(g.url, `{ customers(first: 20, orderBy: {field: NAME}, after: `+quote(c)+`) `+dirSelection+` }`))
	}
	var phones []request
	var typedAs []string
	found := 0
	for i, p := range s.phones[:min(len(s.phones), 100)] {
		t := typed(p, i)
		typedAs = append(typedAs, t)
		q := `{ customersByPhone(number: ` + quote(t) + `) { id name } }`
		phones = append(phones, graphQLRequest(g.url, q))
		var d struct{ CustomersByPhone []json.RawMessage }
		if err := gql(ctx, http.DefaultClient, g.url, q, &d); err == nil && len(d.CustomersByPhone) > 0 {
			found++
		}
	}
	t1, t2 := terms(1), terms(2)
	kinds := []struct {
		label   string
		reqs    []request
		example string
		hits    string
	}{
		{"search, 1 character (a brand's first)", search(t1), strings.Join(t1[:min(3, len(t1))], ", "), ""},
		{"search, 2 characters (a brand)", search(t2), strings.Join(t2[:min(3, len(t2))], ", "), ""},
		{"search, 3–4 characters (brand and industry)", search(t34), strings.Join(t34[:min(3, len(t34))], ", "), ""},
		{"orderBy NAME, first page", []request{graphQLRequest(g.url, `{ customers(first: 20, orderBy: {field: NAME}) `+dirSelection+` }`)}, "", ""},
		{"orderBy NAME, a page after a cursor", ordered, fmt.Sprintf("%d cursors, 100 to %d records deep", len(cursors), 100*len(cursors)), ""},
		{"customersByPhone", phones, strings.Join(typedAs[:min(4, len(typedAs))], "; "), fmt.Sprintf("%d of %d numbers found a record", found, len(phones))},
	}
	client := newClient(dc.workers)
	for _, k := range kinds {
		if len(k.reqs) == 0 {
			return fmt.Errorf("%s: no terms in the sample", k.label)
		}
		// One client at a time: a query's own latency. This machine's two
		// cores also run the load generator, so under dc.workers the
		// tail is mostly requests queued behind each other.
		one := closedLoop(ctx, client, k.reqs, 1, dc.duration/4, dc.duration)
		one.label, one.example, one.hits = k.label, k.example, k.hits
		res.alone = append(res.alone, one)
		st := closedLoop(ctx, client, k.reqs, dc.workers, dc.duration/4, dc.duration)
		st.label, st.example, st.hits = k.label, k.example, k.hits
		res.loads = append(res.loads, st)
		fmt.Printf("directory: %-45s alone p50 %6.2f p99 %6.2f ms; %d workers p50 %6.2f p99 %6.2f ms %6.0f rps; %d failed\n",
			k.label, one.p50, one.p99, dc.workers, st.p50, st.p99, st.rps, st.failed+one.failed)
	}
	// Today's live name filter, the same 2-character names.
	var live []request
	for _, t := range t2 {
		live = append(live, graphQLRequest(g.url, `{ customers(filter: {name: `+quote(t)+`}, first: 20) `+dirSelection+` }`))
	}
	if err := g.sim.reset(ctx); err != nil {
		return err
	}
	one := closedLoop(ctx, client, live, 1, 0, dc.duration)
	one.label = "live filter {name}, 2 characters (today)"
	res.liveAlone = &one
	st := closedLoop(ctx, client, live, dc.workers, 0, dc.duration)
	st.label, st.example = "live filter {name}, 2 characters (today)", strings.Join(t2[:min(3, len(t2))], ", ")
	calls, _ := g.sim.byRoute(ctx)
	st.hits = fmt.Sprintf("%.1f vendor calls per query", perQuery(calls.total(), st.n))
	res.live = &st
	fmt.Printf("directory: %-45s p50 %7.2f ms  p99 %7.2f ms  %7.1f rps  %d failed\n", st.label, st.p50, st.p99, st.rps, st.failed)

	// The same with the vendor latency the main scenarios add (-latency):
	// the simulators answer at once, real vendors over the internet do
	// not, and the live path pays it on every call while the directory
	// makes none.
	if b.cfg.latency > 0 {
		if err := g.sim.setLatency(ctx, b.cfg.latency); err != nil {
			return err
		}
		defer func() { _ = g.sim.setLatency(context.WithoutCancel(ctx), 0) }()
		if err := g.sim.reset(ctx); err != nil {
			return err
		}
		one := closedLoop(ctx, client, live, 1, 0, dc.duration)
		one.label = fmt.Sprintf("live filter {name}, 2 characters (today), vendors at %s", b.cfg.latency)
		res.liveSlowAlone = &one
		st := closedLoop(ctx, client, live, dc.workers, 0, dc.duration)
		st.label, st.example = fmt.Sprintf("live filter {name}, 2 characters (today), vendors at %s", b.cfg.latency), strings.Join(t2[:min(3, len(t2))], ", ")
		calls, _ := g.sim.byRoute(ctx)
		st.hits = fmt.Sprintf("%.1f vendor calls per query", perQuery(calls.total(), st.n))
		res.liveSlow = &st
		fmt.Printf("directory: %-45s p50 %7.2f ms  p99 %7.2f ms  %7.1f rps  %d failed\n", st.label, st.p50, st.p99, st.rps, st.failed)
	}
	return nil
}

const dirHead = "## The directory (issue 15)"

// spliceSection puts section, headed by head, into doc: in place of its
// earlier version, else after the section headed by after (when given and
// there), else before "## Machine", else at the end.
func spliceSection(doc, head, section string, after ...string) string {
	// sectionEnd is where the section starting at i ends: at the next
	// heading of its level, or the end.
	sectionEnd := func(i int, head string) int {
		if j := strings.Index(doc[i+len(head):], "\n## "); j >= 0 {
			return i + len(head) + j + 1
		}
		return len(doc)
	}
	if i := strings.Index(doc, head); i >= 0 {
		return doc[:i] + section + doc[sectionEnd(i, head):]
	}
	for _, a := range after {
		if i := strings.Index(doc, a); i >= 0 {
			end := sectionEnd(i, a)
			prefix := doc[:end]
			if !strings.HasSuffix(prefix, "\n\n") {
				prefix = strings.TrimRight(prefix, "\n") + "\n\n"
			}
			return prefix + section + doc[end:]
		}
	}
	if i := strings.Index(doc, "## Machine"); i >= 0 {
		return doc[:i] + section + doc[i:]
	}
	if doc != "" && !strings.HasSuffix(doc, "\n\n") {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	return doc + section
}

// writeDirectoryOnly puts the section into the existing report.
func (b *bench) writeDirectoryOnly(res *dirResults) error {
	out := b.path(b.cfg.out)
	old, err := os.ReadFile(out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(out, []byte(spliceSection(string(old), dirHead, b.directorySection(res))), 0o644)
}

// dirGoal is one target of the directory part, judged.
type dirGoal struct{ target, numbers, status string }

func (r *dirResults) goals() []dirGoal {
	var out []dirGoal
	worst, worstKind := 0.0, ""
	for _, l := range r.alone {
		if l.p99 > worst {
			worst, worstKind = l.p99, l.label
		}
	}
	loaded := 0.0
	for _, l := range r.loads {
		loaded = max(loaded, l.p99)
	}
	out = append(out, dirGoal{"directory p99 < 10 ms (every kind above, one client at a time)",
		fmt.Sprintf("worst p99 %s ms (%s); under %d workers on this 2-core machine, worst %s ms", msec(worst), worstKind, r.workers, msec(loaded)),
		verdict(len(r.alone) > 0 && worst < 10)})
	if r.liveAlone != nil && len(r.alone) > 1 && r.alone[1].p99 > 0 {
		d := r.alone[1].p99
		ratio := r.liveAlone.p99 / d
		numbers := fmt.Sprintf("simulators answering at once: %s ms vs %s ms live: %s", msec(d), msec(r.liveAlone.p99), times(ratio))
		ok := ratio >= 100
		if s := r.liveSlowAlone; s != nil {
			slow := s.p99 / d
			numbers += fmt.Sprintf("; vendors at %s: %s ms vs %s ms live: %s", r.latency, msec(d), msec(s.p99), times(slow))
			ok = slow >= 100
		}
		out = append(out, dirGoal{"≥ 100× faster than the live name filter (p99 of 2-character searches, one client at a time; judged with the vendor latency of the main scenarios)",
			numbers, verdict(ok)})
	}
	dp := r.dirPage
	out = append(out, dirGoal{"0 vendor calls for a 100-row page with `matches` (directory)",
		fmt.Sprintf("%d calls over %d queries", dp.calls.total(), dp.queries), verdict(dp.queries > 0 && dp.failed == 0 && dp.calls.total() == 0)})
	if r.restart.err == nil && len(r.restart.took) > 0 {
		ok := true
		for _, src := range dirSources {
			ok = ok && r.restart.calls[src].list <= 1
		}
		out = append(out, dirGoal{"restart on the file store: no full re-read (≤ 1 list call per source)",
			fmt.Sprintf("%d list calls (%s), READY in %s", r.restart.calls.lists(), callsBySource(r.restart.calls, true), secs(r.restart.all)), verdict(ok)})
	} else {
		out = append(out, dirGoal{"restart on the file store: no full re-read", "–", notMeasured})
	}
	if r.redisReason == "" {
		out = append(out, dirGoal{"a replica joining on Redis: 0 vendor calls",
			fmt.Sprintf("%d calls, READY in %s", r.redisJoinCalls.total(), secs(r.redisJoin.all)), verdict(r.redisJoinCalls.total() == 0)})
	} else {
		out = append(out, dirGoal{"a replica joining on Redis: 0 vendor calls", cell1(r.redisReason, 200), notMeasured})
	}
	return out
}

func callsBySource(c simCalls, list bool) string {
	var parts []string
	for _, src := range dirSources {
		n := c[src].all
		if list {
			n = c[src].list
		}
		parts = append(parts, fmt.Sprintf("%s %d", src, n))
	}
	return strings.Join(parts, ", ")
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	if d < 2*time.Minute {
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
	return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
}

func mibs(kb int64) string {
	if kb <= 0 {
		return "–"
	}
	return mib(kb)
}

func latencies(lat []time.Duration) string {
	var out []string
	for _, l := range lat {
		out = append(out, secsMS(l))
	}
	return strings.Join(out, ", ")
}

func secsMS(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", ms(d))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func (r *dirResults) thousands() string { return thousands(r.customers) }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// directorySection is the report's section on the directory.
func (b *bench) directorySection(r *dirResults) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	dc := b.cfg.dir
	n3 := 3 * r.customers
	p("%s", dirHead)
	p("")
	p("The directory (the synced copy of every source, README \"The directory\") measured by the same run,")
	p("taken %s; the directory part took %s (the first syncs at the CRM's quota run in the background,", time.Now().UTC().Format("2006-01-02 15:04 UTC"), roundDuration(r.took))
	p("after the latencies of the first table were measured). `cd bench && go run . -directory only` runs this part alone and")
	p("replaces this section; the commands are at its end.")
	p("")
	p("### Targets (issue 15)")
	p("")
	p("| target | this run | status |")
	p("|---|---|---|")
	for _, g := range r.goals() {
		p("| %s | %s | %s |", g.target, cell1(g.numbers, 300), g.status)
	}
	if len(r.errs) > 0 {
		p("")
		for _, e := range r.errs {
			p("- error: %s", cell1(e, 300))
		}
	}
	p("")
	p("### Search, order and phones at %s records per source", r.thousands())
	p("")
	p("A simulator with `-customers %d -crm-rate-limit off` and custgraph over it with the directory on", r.customers)
	p("(`CUSTGRAPH_DATA_DIR` a fresh directory, `CUSTGRAPH_SYNC_YCM_PACE=0`, `CUSTGRAPH_SYNC_INTERVAL=1h` so")
	p("that no pass runs during the measurement, caches and in-flight sharing off so that every live query")
	p("reaches the vendors). Every source was READY %s after the gateway started:", secs(r.first.all))
	p("")
	p("| source | records | READY after | list calls | all vendor calls |")
	p("|---|--:|--:|--:|--:|")
	for _, src := range dirSources {
		c := r.first.calls[src]
		p("| %s | %s | %s | %d | %d |", src, thousands(r.first.records[src]), secs(r.first.took[src]), c.list, c.all)
	}
	p("")
	p("Each kind: a closed loop (one Go client, keep-alive) for %s after %s unmeasured,", dc.duration, dc.duration/4)
	p("cycling through the terms, all `first: 20` with `{ nodes { id name } pageInfo { hasNextPage endCursor } }`")
	p("(phones: `{ id name }`). The terms come from 400 records read at random by key: 1 character is the")
	p("first of a brand (华, 信, …), 2 the brand (华信), 3–4 the brand and the start of the industry (华信电子);")
	p("the phone numbers are the records' own, typed as people type them. The live path is today's")
	p("`customers(filter: {name: X}, first: 20)` on the same gateway, with the same 2-character names:")
	p("U8 and the CRM search by keyword, custgraph scans YCM's pages.")
	p("")
	p("Each kind is measured twice: one client at a time (*alone*: a query's own latency, which the")
	p("targets judge), then %d workers (*loaded*: throughput; on two cores shared with the load generator", r.workers)
	p("the tail is then mostly requests queued behind each other).")
	p("")
	p("| query | terms | e.g. | alone p50 ms | alone p99 ms | loaded p50 ms | loaded p99 ms | loaded RPS | failed | |")
	p("|---|--:|---|--:|--:|--:|--:|--:|--:|---|")
	all, alone := r.loads, r.alone
	if r.live != nil {
		all = append(slices.Clone(all), *r.live)
		alone = append(slices.Clone(alone), orZero(r.liveAlone))
	}
	if r.liveSlow != nil {
		all = append(all, *r.liveSlow)
		alone = append(alone, orZero(r.liveSlowAlone))
	}
	for i, l := range all {
		a := loadStat{}
		if i < len(alone) {
			a = alone[i]
		}
		p("| %s | %d | %s | %s | %s | %s | %s | %s | %d | %s |", l.label, l.terms, cell1(l.example, 80), msec(a.p50), msec(a.p99),
			msec(l.p50), msec(l.p99), rps(l.rps), l.failed+a.failed, l.hits)
	}
	p("")
	p("Memory of that gateway (`/proc/<pid>/status`):")
	p("")
	p("| | RSS (`VmRSS`) | peak (`VmHWM`) |")
	p("|---|--:|--:|")
	p("| directory READY, %s records, after the queries above | %s | %s |", thousands(n3), mibs(r.rssReady.rss), mibs(r.rssReady.peak))
	p("| the same, restarted from its file, READY | %s | %s |", mibs(r.restartRSS.rss), mibs(r.restartRSS.peak))
	p("| the same configuration with `CUSTGRAPH_DIRECTORY=off`, after one query | %s | %s |", mibs(r.rssOff.rss), mibs(r.rssOff.peak))
	if r.rssReady.rss > 0 && r.rssOff.rss > 0 {
		per := float64(r.rssReady.rss-r.rssOff.rss) / (float64(n3) / 100000)
		p("")
		p("**Memory per 100,000 records: %s** ((RSS READY after the first sync and the queries − RSS off) ÷ %g).", mib(int64(per)), float64(n3)/100000)
		if r.restartRSS.rss > 0 {
			p("From the restarted gateway (the copy loaded from its file): %s.",
				mib(int64(float64(r.restartRSS.rss-r.rssOff.rss)/(float64(n3)/100000))))
		}
	}
	if r.rssOffErr != "" {
		p("")
		p("The query on the gateway without the directory failed: %s", cell1(r.rssOffErr, 200))
	}
	p("")
	p("### A 100-row page with `matches`")
	p("")
	p("- directory: `%s` on the gateway above (%s records per source, every source READY), %d queries", dirQuery, r.thousands(), r.dirPage.queries)
	p("  one after another.")
	p("- today: `%s` on custgraph with `CUSTGRAPH_DIRECTORY=off`, caches off (each page", todayQuery)
	p("  a cold one), over a simulator with `-customers %d -crm-rate-limit 10/10s` and the gateway's CRM quota at", r.todayPage.size)
	p("  its default 10/10s, %d queries one after another, each bounded by 5 minutes.", dc.today)
	p("")
	p("*failed*: an answer with errors or fewer than 100 rows.")
	p("")
	p("| path | queries | failed | vendor calls/query | of which CRM | refused | latency p50 | each |")
	p("|---|--:|--:|--:|--:|--:|--:|---|")
	var notes []string
	for _, row := range []struct {
		name string
		ps   pageStat
	}{{"directory", r.dirPage}, {"today (live)", r.todayPage}} {
		ps := row.ps
		lat := slices.Clone(ps.lat)
		slices.Sort(lat)
		p50 := "–"
		if len(lat) > 0 {
			p50 = secsMS(percentile(lat, 50))
		}
		each := latencies(ps.lat)
		if len(ps.lat) > 5 {
			each = "p99 " + secsMS(percentile(lat, 99))
		}
		p("| %s | %d | %d | %.1f | %.1f | %d | %s | %s |", row.name, ps.queries, ps.failed, perQuery(ps.calls.total(), ps.queries),
			perQuery(ps.calls["crm"].all, ps.queries), ps.refused, p50, each)
		if ps.note != "" && ps.failed > 0 {
			notes = append(notes, fmt.Sprintf("- %s: %s", row.name, cell1(ps.note, 200)))
		}
	}
	if len(notes) > 0 {
		p("")
		p("%s", strings.Join(notes, "\n"))
	}
	p("")
	p("### The first full sync at the CRM's quota")
	p("")
	p("One simulator (`-crm-rate-limit 10/10s`) and one custgraph (directory on, `CUSTGRAPH_CRM_RATE_LIMIT`")
	p("10/10s, YCM pace at its default 100 ms) per size, started once the first table was measured, and")
	p("running while the rest of this part ran. Time is from the gateway's start to the source's READY (`sources` polled every")
	p("second); calls are the simulator's by then; memory when every source was READY.")
	p("")
	p("| records per source | source | READY after | list calls | all vendor calls | refused | RSS | peak RSS |")
	p("|--:|---|--:|--:|--:|--:|--:|--:|")
	for _, s := range r.syncs {
		if s.r.err != nil && len(s.r.took) == 0 {
			p("| %s | – | %s | | | | | |", thousands(s.size), cell1(s.r.err.Error(), 200))
			continue
		}
		for i, src := range dirSources {
			took := "–"
			if d, ok := s.r.took[src]; ok {
				took = secs(d)
			}
			c := s.r.calls[src]
			rss, peak := "", ""
			if i == 0 {
				rss, peak = mibs(s.r.rss.rss), mibs(s.r.rss.peak)
			}
			p("| %s | %s | %s | %d | %d | %d | %s | %s |", thousands(s.size), src, took, c.list, c.all, c.refused, rss, peak)
		}
	}
	p("")
	p("### Restart to READY")
	p("")
	p("- One replica with a file store: the gateway of the first table stopped (SIGTERM) and started")
	p("  again on the same `CUSTGRAPH_DATA_DIR`: READY %s after its start; vendor calls by then: %s", secs(r.restart.all), callsBySource(r.restart.calls, false))
	p("  (list calls: %s).", callsBySource(r.restart.calls, true))
	if r.redisReason != "" {
		p("- On Redis: not measured (%s).", cell1(r.redisReason, 200))
	} else {
		p("- On Redis (a private `redis-server`, as the main bench starts it; %s records per source): the", thousands(r.redisSize))
		p("  first replica synced in %s (%d vendor calls); the second replica, started then, was READY", secs(r.redisFirst.all), r.redisFirst.calls.total())
		p("  %s after its start, with %d vendor calls (%s).", secs(r.redisJoin.all), r.redisJoinCalls.total(), callsBySource(r.redisJoinCalls, false))
	}
	p("")
	p("```sh")
	p("# from the repository root, $TMP a fresh temporary directory:")
	for _, c := range b.dirCommands {
		p("%s", c)
	}
	p("```")
	p("")
	return w.String()
}

// orZero is *l, or a zero loadStat for nil.
func orZero(l *loadStat) loadStat {
	if l == nil {
		return loadStat{}
	}
	return *l
}
