// Command bench is `make bench`: it measures custgraph against GraphQL Mesh
// (bench/mesh, when it is there), Tailcall (bench/tailcall, when its binary
// runs) and the bare upstream, on the built-in
// simulators, in one run, and writes docs/benchmarks.md and
// docs/benchmarks.png.
//
//	cd bench && go run . [-duration 4s] [-warmup 1s] [-rounds 3] [-concurrency 16] …
//
// It is a module of its own (custgraph/bench), so that its chart library
// and that library's fonts, PDF and LaTeX packages stay out of the
// gateway's go.mod; go.mod's replace points it at the gateway beside it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	load        loadConfig
	rounds      int
	latency     time.Duration
	meshMode    string
	meshInstall bool
	meshTimeout time.Duration
	// tailcallMode is auto or off (-tailcall).
	tailcallMode string
	only         string
	out, chart   string
	goals        string
	keep         bool
	dir          dirConfig
	live         liveConfig
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.DurationVar(&c.load.duration, "duration", 4*time.Second, "measured time of one run")
	fs.DurationVar(&c.load.warmup, "warmup", time.Second, "unmeasured load before each run")
	fs.IntVar(&c.load.concurrency, "concurrency", 16, "closed-loop workers (requests in flight)")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds per scenario; the gateways alternate within each, medians are reported")
	fs.DurationVar(&c.latency, "latency", 50*time.Millisecond, "vendor latency of scenarios a50, b50 and c50 (the issue's (e))")
	fs.StringVar(&c.meshMode, "mesh", "auto", "auto: include GraphQL Mesh when bench/mesh can serve; off: leave it out")
	fs.BoolVar(&c.meshInstall, "mesh-install", true, "run npm ci in bench/mesh and bench/tailcall when node_modules is missing")
	fs.DurationVar(&c.meshTimeout, "mesh-timeout", 2*time.Minute, "bound of each Mesh setup step and of its start")
	fs.StringVar(&c.tailcallMode, "tailcall", "auto", "auto: include Tailcall (bench/tailcall, dedupe + @cache and dedupe only) when its binary runs here; off: leave it out")
	fs.StringVar(&c.only, "only", "", "comma-separated scenario ids to run (a,b,c,d,a50,b50,c50); all when empty")
	fs.StringVar(&c.out, "out", "docs/benchmarks.md", "the report, relative to the repository root")
	fs.StringVar(&c.chart, "chart", "docs/benchmarks.png", "the chart, relative to the repository root")
	fs.StringVar(&c.goals, "goals", "bench/goals.json", "the targets the report judges, relative to the repository root")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (binary, process logs)")
	fs.StringVar(&c.dir.mode, "directory", "on", "the directory part (issue 15): on (with the rest), off (left out) or only (it alone; its section replaces the one in -out)")
	fs.IntVar(&c.dir.customers, "directory-customers", 100000, "records per source of the directory's search, order, phone, matches and restart measurements")
	sizes := fs.String("directory-sync-sizes", "1000,10000,100000", "records per source of the first syncs at the CRM's quota (run in the background)")
	fs.IntVar(&c.dir.redisSize, "directory-redis-customers", 10000, "records per source of the directory's replicas on Redis")
	fs.DurationVar(&c.dir.duration, "directory-duration", 3*time.Second, "measured time of each directory query kind (a quarter of it more to warm up)")
	fs.IntVar(&c.dir.workers, "directory-workers", 4, "closed-loop workers of the directory's query kinds")
	fs.IntVar(&c.dir.today, "directory-today-queries", 3, "queries of today's (live) 100-row page with matches, one after another")
	fs.StringVar(&c.live.mode, "live", "on", "the live changes part (issue 17): on (with the rest), off (left out) or only (it alone; its section replaces the one in -out)")
	fs.IntVar(&c.live.subscribers, "live-subscribers", 1000, "WebSocket subscribers of customerChanged, on one replica and then split over two on Redis")
	fs.IntVar(&c.live.changes, "live-changes", 20, "changes made at the simulator per run, one sync pass apart")
	fs.DurationVar(&c.live.interval, "live-sync-interval", time.Second, "the gateways' CUSTGRAPH_SYNC_INTERVAL in the live changes part")
	fs.IntVar(&c.live.customers, "live-customers", 1000, "records per source of the live changes part's simulator")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cd bench && go run . [flags]\n\n"+
			"Measures custgraph, GraphQL Mesh (bench/mesh, when it can serve), Tailcall (bench/tailcall, when\n"+
			"its binary runs) and the bare upstream on the\n"+
			"simulators, and writes docs/benchmarks.md and docs/benchmarks.png.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.load.concurrency < 1 || c.rounds < 1 || c.load.duration <= 0 || c.load.warmup < 0 {
		return c, errors.New("-concurrency, -rounds and -duration must be positive, -warmup not negative")
	}
	for _, id := range strings.Split(c.only, ",") {
		if id != "" && !slices.ContainsFunc(scenarios(c.latency), func(sc scenario) bool { return sc.id == id }) {
			return c, fmt.Errorf("-only: no scenario %q (a, b, c, d, a50, b50, c50)", id)
		}
	}
	if c.meshMode != "auto" && c.meshMode != "off" {
		return c, errors.New("-mesh must be auto or off")
	}
	if c.tailcallMode != "auto" && c.tailcallMode != "off" {
		return c, errors.New("-tailcall must be auto or off")
	}
	if c.dir.mode != "on" && c.dir.mode != "off" && c.dir.mode != "only" {
		return c, errors.New("-directory must be on, off or only")
	}
	if c.live.mode != "on" && c.live.mode != "off" && c.live.mode != "only" {
		return c, errors.New("-live must be on, off or only")
	}
	if c.live.mode == "only" && c.dir.mode == "only" {
		return c, errors.New("-live only and -directory only exclude each other")
	}
	if c.live.subscribers < 1 || c.live.changes < 1 || c.live.interval <= 0 || c.live.customers < 1 {
		return c, errors.New("-live-subscribers, -live-changes, -live-sync-interval and -live-customers must be positive")
	}
	// Each change renames a record of its own: a third of them per source.
	if per := (c.live.changes + 2) / 3; 2*per > c.live.customers {
		return c, fmt.Errorf("-live-customers: %d records per source are too few for 2 runs of %d changes", c.live.customers, c.live.changes)
	}
	var err error
	if c.dir.syncSizes, err = parseSizes(*sizes); err != nil {
		return c, err
	}
	if c.dir.customers < 1 || c.dir.redisSize < 1 || c.dir.workers < 1 || c.dir.duration <= 0 || c.dir.today < 1 {
		return c, errors.New("-directory-customers, -directory-redis-customers, -directory-workers, -directory-duration and -directory-today-queries must be positive")
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
