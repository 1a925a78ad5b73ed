package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// bench is one run of the harness: its processes, what it noted down for
// the report and the results.
type bench struct {
	cfg       config
	args      []string
	root, tmp string
	bin       string
	procs     []*proc
	commands  []string
	// meshQueries are Mesh's queries by scenario, when Mesh runs.
	meshQueries map[string]string
	// redisReason says why the Redis row is missing ("" when it runs).
	redisReason string
	redis       *proc
	// tailcallReason says why both Tailcall rows are missing ("" when
	// Tailcall runs); unavailable, why any gateway did not start, by
	// name (the Tailcall configurations).
	tailcallReason  string
	tailcallVersion string
	unavailable     map[string]string
	started         time.Time
	goals           goalsFile
	// dirCommands are the directory part's commands, for its section.
	dirCommands []string
	// liveCommands are the live changes part's commands, for its section.
	liveCommands []string
}

func run(ctx context.Context, cfg config, args []string) (err error) {
	b := &bench{cfg: cfg, args: args, started: time.Now(), unavailable: map[string]string{}}
	if b.root, err = repoRoot(); err != nil {
		return err
	}
	// Before anything is measured: a mistake in the goals would otherwise
	// show only when the report is written, minutes later.
	if b.goals, err = loadGoals(b.path(cfg.goals), scenarios(cfg.latency)); err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "custgraph-bench-"); err != nil {
		return err
	}
	defer func() {
		b.stopAll()
		if cfg.keep || err != nil {
			fmt.Println("logs and binary kept in", b.tmp)
			return
		}
		os.RemoveAll(b.tmp)
	}()

	fmt.Println("building custgraph …")
	b.bin = filepath.Join(b.tmp, "custgraph")
	build := exec.CommandContext(ctx, "go", "build", "-o", b.bin, ".")
	build.Dir, build.Stdout, build.Stderr = b.root, os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	b.note("go build -o $TMP/custgraph .")
	b.dnote("go build -o $TMP/custgraph .")
	b.lnote("go build -o $TMP/custgraph .")

	if cfg.dir.mode == "only" {
		dres, err := b.runDirectory(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("done in %s; writing the directory's section of %s\n", time.Since(b.started).Round(time.Second), cfg.out)
		return b.writeDirectoryOnly(dres)
	}

	if cfg.live.mode == "only" {
		lres, err := b.runLive(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("done in %s; writing the live changes section of %s\n", time.Since(b.started).Round(time.Second), cfg.out)
		return b.writeLiveOnly(lres)
	}

	gws, meshReason, err := b.startGateways(ctx)
	if err != nil {
		return err
	}
	res, err := b.measureAll(ctx, gws, meshReason)
	if err != nil {
		return err
	}
	mem := b.memory(gws)
	var dres *dirResults
	if cfg.dir.mode != "off" {
		for _, g := range gws { // the directory's measurements have the cores to themselves
			if g.proc != nil {
				g.proc.stop(5 * time.Second)
			}
		}
		if dres, err = b.runDirectory(ctx); err != nil {
			return err
		}
	}
	var lres *liveResults
	if cfg.live.mode != "off" {
		for _, g := range gws { // stopped already when the directory ran
			if g.proc != nil {
				g.proc.stop(5 * time.Second)
			}
		}
		if lres, err = b.runLive(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("done in %s; writing %s and %s\n", time.Since(b.started).Round(time.Second), cfg.out, cfg.chart)
	return b.writeReport(res, mem, meshReason, dres, lres)
}

// plan is the scenarios that -only keeps.
func (b *bench) plan() []scenario {
	all := scenarios(b.cfg.latency)
	if b.cfg.only == "" {
		return all
	}
	keep := strings.Split(b.cfg.only, ",")
	return slices.DeleteFunc(all, func(sc scenario) bool { return !slices.Contains(keep, sc.id) })
}

// memory reads the peak RSS of every gateway process (and, for a script,
// of its children) before anything is stopped.
func (b *bench) memory(gws map[string]*gateway) map[string][]procMemory {
	mem := map[string][]procMemory{}
	for name, g := range gws {
		if g.proc == nil {
			continue
		}
		tree, err := treeMemory(g.proc.pid())
		if err != nil {
			fmt.Printf("peak RSS of %s: %v\n", name, err)
			continue
		}
		if !g.tree {
			tree = tree[:1]
		}
		mem[name] = tree
	}
	if b.redis != nil { // the replicas' shared state, for context
		if kb, err := peakKB(b.redis.pid()); err == nil {
			mem["redis"] = []procMemory{{pid: b.redis.pid(), name: "redis-server", peakKB: kb}}
		}
	}
	if g := gws[custgraph]; g != nil { // for context: one simulator
		if kb, err := peakKB(g.sim.proc.pid()); err == nil {
			mem["simulator"] = []procMemory{{pid: g.sim.proc.pid(), name: "custgraph sim", peakKB: kb}}
		}
	}
	return mem
}

// start starts a child process and keeps it for stopAll.
func (b *bench) start(name, dir string, env map[string]string, addr *regexp.Regexp, argv ...string) (*proc, error) {
	p, err := startProc(name, dir, b.tmp, envList(env), addr, argv...)
	if err != nil {
		return nil, err
	}
	b.procs = append(b.procs, p)
	return p, nil
}

func (b *bench) stopAll() {
	for i := len(b.procs) - 1; i >= 0; i-- {
		b.procs[i].stop(5 * time.Second)
	}
	b.procs = nil
}

// note records a command for the report.
func (b *bench) note(format string, args ...any) {
	b.commands = append(b.commands, fmt.Sprintf(format, args...))
}

// shown is argv as the report shows it: the temporary directory as $TMP,
// paths in the repository relative to its root.
func (b *bench) shown(argv []string) string {
	s := strings.ReplaceAll(strings.Join(argv, " "), b.tmp, "$TMP")
	return strings.ReplaceAll(s, b.root+string(filepath.Separator), "")
}

// envList is the harness's environment without inherited CUSTGRAPH_*
// variables, plus env.
func envList(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, over := env[k]; !over && !strings.HasPrefix(k, "CUSTGRAPH_") {
			out = append(out, kv)
		}
	}
	for _, k := range sortedKeys(env) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// envLine is env as a shell prefix, sorted, continued on new lines every
// 100 characters or so.
func envLine(env map[string]string) string {
	var out, line strings.Builder
	for _, k := range sortedKeys(env) {
		v := env[k]
		if k == "CUSTGRAPH_REDIS_URL" { // the report shows no password
			v = redisPassword.ReplaceAllString(v, "${1}$$PASSWORD@")
		}
		if line.Len() > 0 && line.Len()+len(k)+len(v) > 100 {
			out.WriteString(line.String() + " \\\n")
			line.Reset()
			line.WriteString("  ")
		}
		if line.Len() > 0 && line.String() != "  " {
			line.WriteString(" ")
		}
		line.WriteString(k + "=" + v)
	}
	out.WriteString(line.String() + " \\\n ")
	return out.String()
}

var redisPassword = regexp.MustCompile(`^(redis://:)[^@]*@`)

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// repoRoot is the nearest directory up from here with custgraph's go.mod:
// the gateway's, not bench's own (module custgraph/bench), since the
// gateway is built, its simulators run and the report written from there.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module custgraph\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the custgraph repository")
		}
		dir = parent
	}
}
