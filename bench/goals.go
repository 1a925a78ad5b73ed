package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// goalsFile is the targets the report judges (bench/goals.json, or the
// file -goals names). They are data so that another issue's targets are a
// change of that file, not of the harness: the code below only evaluates
// them. The file is JSON (so it has no comments; this is its
// documentation, and bench/README.md has an example):
//
//	{"title": "Targets (issue 8)", "goals": [GOAL, …]}
//
// title heads the report's table ("## " + title). Each GOAL has a target,
// the text of the table's first column, and a kind, which says what else
// it takes. Gateways are named as the report names them (custgraph,
// "custgraph, cache, sharing and directory off", "custgraph on Redis", "GraphQL
// Mesh", "Tailcall", "Tailcall, dedupe only", "bare upstream"), scenarios
// by id (a, b, c, d, a50, b50, c50).
//
//   - "ratio": gateway's metric over against's, met when every ratio is
//     ≥ at_least (or ≤ at_most; exactly one of them). metric is "rps",
//     "p99" or "cpu" (CPU ms per query, the medians of rounds), measured
//     on each of scenarios (each must run both gateways), or "peak_rss"
//     (the largest process of each; no scenarios). show is
//     how the ratio is printed: "times" (11.2×), "fraction" (0.13) or
//     "percent" (72 %); the thresholds are ratios whatever show is.
//   - "calls_at_minimum": each of gateways, in every scenario run (or only
//     in scenarios, when given), asked one query at a time after the
//     rounds, makes at most the scenario's fewest possible vendor calls
//     per query (bench/scenarios.go) plus slack (token renewals and cache
//     entries expiring during the probe).
//   - "p50_within_latency": gateway's p50 under load in scenario (one with
//     added vendor latency) is at most at_most × that latency: its vendor
//     calls were made in parallel, not one after another.
//
// In target, {latency} is replaced by the -latency flag's value, and in a
// p50_within_latency goal {limit} by its p50 bound in ms.
//
// A missing or malformed file, an unknown field, kind, gateway or
// scenario, or a field the kind does not take is an error before
// anything is measured, so that a mistake in the file does not cost a
// six-minute run.
type goalsFile struct {
	Title string     `json:"title"`
	Goals []goalSpec `json:"goals"`
}

// goalSpec is one target of goalsFile; which fields are set depends on
// Kind (see goalsFile).
type goalSpec struct {
	Target    string   `json:"target"`
	Kind      string   `json:"kind"`
	Metric    string   `json:"metric,omitempty"`
	Gateway   string   `json:"gateway,omitempty"`
	Against   string   `json:"against,omitempty"`
	Gateways  []string `json:"gateways,omitempty"`
	Scenario  string   `json:"scenario,omitempty"`
	Scenarios []string `json:"scenarios,omitempty"`
	AtLeast   *float64 `json:"at_least,omitempty"`
	AtMost    *float64 `json:"at_most,omitempty"`
	Slack     *float64 `json:"slack,omitempty"`
	Show      string   `json:"show,omitempty"`
}

// Kinds of goal, metrics of a ratio and the ways a ratio is shown.
const (
	kindRatio    = "ratio"
	kindCalls    = "calls_at_minimum"
	kindFanOut   = "p50_within_latency"
	metricRPS    = "rps"
	metricP99    = "p99"
	metricCPU    = "cpu"
	metricRSS    = "peak_rss"
	showTimes    = "times"
	showFraction = "fraction"
	showPercent  = "percent"
)

// loadGoals reads and checks the goals file against the harness's
// scenarios and gateways.
func loadGoals(path string, all []scenario) (goalsFile, error) {
	var gf goalsFile
	data, err := os.ReadFile(path)
	if err != nil {
		return gf, fmt.Errorf("goals: %w (the targets the report judges; -goals names another file)", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&gf); err != nil {
		return gf, fmt.Errorf("goals %s: %w", path, jsonError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return gf, fmt.Errorf("goals %s: more after the top-level object", path)
	}
	if err := gf.check(all); err != nil {
		return gf, fmt.Errorf("goals %s: %w", path, err)
	}
	return gf, nil
}

// jsonError adds the line and column to a syntax or type error, which
// encoding/json reports as a byte offset.
func jsonError(data []byte, err error) error {
	var off int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return err
	}
	// Offset counts the bytes read, up to and including the one at
	// fault (for a type error, the value's last).
	before := data[:min(max(int(off)-1, 0), len(data))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

func (gf goalsFile) check(all []scenario) error {
	if strings.TrimSpace(gf.Title) == "" {
		return errors.New("no title")
	}
	if len(gf.Goals) == 0 {
		return errors.New("no goals")
	}
	for i, s := range gf.Goals {
		if err := s.check(all); err != nil {
			if strings.TrimSpace(s.Target) != "" {
				return fmt.Errorf("goal %d (%q): %w", i+1, s.Target, err)
			}
			return fmt.Errorf("goal %d: %w", i+1, err)
		}
	}
	return nil
}

func (s goalSpec) check(all []scenario) error {
	if strings.TrimSpace(s.Target) == "" {
		return errors.New("no target")
	}
	byID := map[string]scenario{}
	var ids []string
	for _, sc := range all {
		byID[sc.id] = sc
		ids = append(ids, sc.id)
	}
	gateway := func(field, name string) error {
		if !slices.Contains(gatewayOrder, name) {
			return fmt.Errorf("%s: no gateway %q (%s)", field, name, quoteAll(gatewayOrder))
		}
		return nil
	}
	scenarioRuns := func(id string, gws ...string) error {
		sc, ok := byID[id]
		if !ok {
			return fmt.Errorf("no scenario %q (%s)", id, strings.Join(ids, ", "))
		}
		for _, gw := range gws {
			if !slices.Contains(sc.gateways, gw) {
				return fmt.Errorf("scenario %s does not run %s", id, gw)
			}
		}
		return nil
	}
	// The fields each kind takes; any other that is set is an error.
	set := map[string]bool{"metric": s.Metric != "", "gateway": s.Gateway != "", "against": s.Against != "",
		"gateways": s.Gateways != nil, "scenario": s.Scenario != "", "scenarios": s.Scenarios != nil,
		"at_least": s.AtLeast != nil, "at_most": s.AtMost != nil, "slack": s.Slack != nil, "show": s.Show != ""}
	var takes []string
	allowed := []string{"{latency}"}
	switch s.Kind {
	case kindRatio:
		takes = []string{"metric", "gateway", "against", "scenarios", "at_least", "at_most", "show"}
		for _, f := range []string{"metric", "gateway", "against", "show"} {
			if !set[f] {
				return fmt.Errorf("a ratio needs %s", f)
			}
		}
		if err := gateway("gateway", s.Gateway); err != nil {
			return err
		}
		if err := gateway("against", s.Against); err != nil {
			return err
		}
		if s.Gateway == s.Against {
			return errors.New("gateway and against are the same")
		}
		switch s.Metric {
		case metricRPS, metricP99, metricCPU:
			if len(s.Scenarios) == 0 {
				return fmt.Errorf("a ratio of %s needs scenarios", s.Metric)
			}
			for _, id := range s.Scenarios {
				if err := scenarioRuns(id, s.Gateway, s.Against); err != nil {
					return fmt.Errorf("scenarios: %w", err)
				}
			}
		case metricRSS:
			if set["scenarios"] {
				return errors.New("peak_rss is of the whole run: it takes no scenarios")
			}
		default:
			return fmt.Errorf("metric: %q is none of rps, p99, cpu, peak_rss", s.Metric)
		}
		if set["at_least"] == set["at_most"] {
			return errors.New("a ratio needs exactly one of at_least and at_most")
		}
		if !slices.Contains([]string{showTimes, showFraction, showPercent}, s.Show) {
			return fmt.Errorf("show: %q is none of times, fraction, percent", s.Show)
		}
	case kindCalls:
		takes = []string{"gateways", "scenarios", "slack"}
		if len(s.Gateways) == 0 || s.Slack == nil {
			return errors.New("calls_at_minimum needs gateways and slack")
		}
		for _, gw := range s.Gateways {
			if err := gateway("gateways", gw); err != nil {
				return err
			}
		}
		for _, id := range s.Scenarios {
			if err := scenarioRuns(id); err != nil {
				return fmt.Errorf("scenarios: %w", err)
			}
		}
	case kindFanOut:
		takes = []string{"gateway", "scenario", "at_most"}
		allowed = append(allowed, "{limit}")
		if !set["gateway"] || !set["scenario"] || !set["at_most"] {
			return errors.New("p50_within_latency needs gateway, scenario and at_most")
		}
		if err := gateway("gateway", s.Gateway); err != nil {
			return err
		}
		if err := scenarioRuns(s.Scenario, s.Gateway); err != nil {
			return fmt.Errorf("scenario: %w", err)
		}
		if byID[s.Scenario].latency <= 0 {
			return fmt.Errorf("scenario %s adds no latency to be within", s.Scenario)
		}
	case "":
		return errors.New("no kind (ratio, calls_at_minimum, p50_within_latency)")
	default:
		return fmt.Errorf("kind: %q is none of ratio, calls_at_minimum, p50_within_latency", s.Kind)
	}
	for _, f := range sortedKeys(set) {
		if set[f] && !slices.Contains(takes, f) {
			return fmt.Errorf("a %s goal takes no %s", s.Kind, f)
		}
	}
	for _, v := range []*float64{s.AtLeast, s.AtMost, s.Slack} {
		if v != nil && *v < 0 {
			return fmt.Errorf("at_least, at_most and slack must not be negative, not %g", *v)
		}
	}
	for _, m := range placeholder.FindAllString(s.Target, -1) {
		if !slices.Contains(allowed, m) {
			return fmt.Errorf("target: unknown placeholder %s (a %s goal has %s)", m, s.Kind, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// goal is one target, judged on this run's numbers.
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

// judging is what the goals are judged on: one run's numbers.
type judging struct {
	res     results
	mem     map[string][]procMemory
	plan    []scenario // the scenarios run
	latency time.Duration
	// unavailable says why a gateway did not run, by name ("Mesh not
	// available: …"); a goal that needs it says so instead of numbers.
	unavailable map[string]string
}

// judge evaluates each goal of the file on the run's numbers.
func judge(specs []goalSpec, j judging) []goal {
	var goals []goal
	for _, s := range specs {
		var g goal
		switch s.Kind {
		case kindRatio:
			g = j.ratio(s)
		case kindCalls:
			g = j.calls(s)
		case kindFanOut:
			g = j.fanOut(s)
		}
		goals = append(goals, g)
	}
	return goals
}

func (j judging) sum(sc, gw string) (summary, bool) {
	c := j.res.get(sc, gw)
	if c == nil || len(c.runs) == 0 {
		return summary{}, false
	}
	return c.sum, true
}

// why is the first reason that one of gws did not run, or "".
func (j judging) why(gws ...string) string {
	for _, gw := range gws {
		if r := j.unavailable[gw]; r != "" {
			return r
		}
	}
	return ""
}

func (j judging) target(s string, limit string) string {
	return strings.NewReplacer("{latency}", j.latency.String(), "{limit}", limit).Replace(s)
}

// ratio judges gateway's metric over against's.
func (j judging) ratio(s goalSpec) goal {
	g := goal{target: j.target(s.Target, "")}
	meets := func(r float64) bool {
		if s.AtLeast != nil {
			return r >= *s.AtLeast
		}
		return r <= *s.AtMost
	}
	show := func(r float64) string {
		switch s.Show {
		case showTimes:
			return times(r)
		case showPercent:
			return fmt.Sprintf("%.0f %%", 100*r)
		}
		return fmt.Sprintf("%.2f", r)
	}
	if s.Metric == metricRSS {
		mine, theirs := j.mem[s.Gateway], j.mem[s.Against]
		if len(mine) == 0 || len(theirs) == 0 {
			g.status, g.numbers = notMeasured, cmp.Or(j.why(s.Gateway, s.Against), "peak RSS not read")
			return g
		}
		a, b := largestProc(mine), largestProc(theirs)
		r := float64(a.peakKB) / float64(b.peakKB)
		g.numbers = fmt.Sprintf("%s vs %s (%s, pid %d) = %s", mib(a.peakKB), mib(b.peakKB), b.name, b.pid, show(r))
		if len(theirs) > 1 {
			g.numbers += fmt.Sprintf("; %s's %d processes together %s", shortName(s.Against), len(theirs), mib(totalKB(theirs)))
		}
		g.status = verdict(meets(r))
		return g
	}
	var parts, notRun []string
	ok := true
	for _, id := range s.Scenarios {
		a, ok1 := j.sum(id, s.Gateway)
		b, ok2 := j.sum(id, s.Against)
		if !ok1 || !ok2 {
			notRun = append(notRun, id)
			continue
		}
		var part string
		var r float64
		switch s.Metric {
		case metricRPS:
			r = a.RPS / b.RPS
			part = fmt.Sprintf("%s vs %s rps = %s", rps(a.RPS), rps(b.RPS), show(r))
		case metricCPU:
			r = a.CPUms / b.CPUms
			part = fmt.Sprintf("%.3f vs %.3f ms = %s", a.CPUms, b.CPUms, show(r))
		default:
			r = a.P99ms / b.P99ms
			part = fmt.Sprintf("%s vs %s ms = %s", msec(a.P99ms), msec(b.P99ms), show(r))
		}
		if len(s.Scenarios) > 1 {
			part = "(" + id + ") " + part
		}
		parts = append(parts, part)
		ok = ok && meets(r)
	}
	return finish(g, parts, ok, len(notRun) == 0, cmp.Or(j.why(s.Gateway, s.Against), notRunText(notRun)))
}

// calls judges the vendor calls of one query at a time against the
// scenario's fewest possible.
func (j judging) calls(s goalSpec) goal {
	g := goal{target: j.target(s.Target, "")}
	var parts []string
	ok := true
	for _, sc := range j.plan {
		if len(s.Scenarios) > 0 && !slices.Contains(s.Scenarios, sc.id) {
			continue
		}
		for _, gw := range s.Gateways {
			c := j.res.get(sc.id, gw)
			if c == nil || len(c.runs) == 0 {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s%s %.2f (min %g)", sc.label, rowSuffix(gw), c.alone.calls, sc.min(gw)))
			ok = ok && c.alone.calls <= sc.min(gw)+*s.Slack
		}
	}
	return finish(g, parts, ok, len(parts) > 0, "no scenario run")
}

// fanOut judges a scenario with vendor latency: a gateway that makes its
// calls in parallel answers in about one latency.
func (j judging) fanOut(s goalSpec) goal {
	var sc scenario
	for _, x := range scenarios(j.latency) {
		if x.id == s.Scenario {
			sc = x
		}
	}
	limit := *s.AtMost * ms(sc.latency)
	g := goal{target: j.target(s.Target, msec(limit))}
	st, found := j.sum(sc.id, s.Gateway)
	if !found {
		g.status, g.numbers = notMeasured, cmp.Or(j.why(s.Gateway), "scenario "+sc.id+" not run")
		return g
	}
	g.numbers = fmt.Sprintf("p50 %s ms, p99 %s ms under load; p50 %s ms alone (%s calls one after another would take ≥ %s ms)",
		msec(st.P50ms), msec(st.P99ms), msec(j.res.get(sc.id, s.Gateway).alone.p50ms), countWord(sc.minCalls),
		msec(sc.minCalls*ms(sc.latency)))
	g.status = verdict(st.P50ms <= limit)
	return g
}

// notRunText names the scenarios a goal needed and did not get.
func notRunText(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = "(" + id + ")"
	}
	if len(ids) == 1 {
		return "scenario " + names[0] + " not run"
	}
	return "scenarios " + strings.Join(names, ", ") + " not run"
}

// rowSuffix names a gateway after a scenario's label, as the calls goal
// lists them: custgraph's own rows are the scenario's label alone.
func rowSuffix(gw string) string {
	switch gw {
	case custgraph:
		return ""
	case custgraphNoCache:
		return ", cache, sharing and directory off"
	case custgraphRedis:
		return ", on Redis"
	}
	return ", " + gw
}

// shortName is a gateway's name in a phrase ("Mesh's 2 processes").
func shortName(gw string) string {
	if gw == mesh {
		return "Mesh"
	}
	return gw
}

// countWord spells small counts out, as the report's sentences do.
func countWord(n float64) string {
	words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	if n == math.Trunc(n) && n >= 0 && int(n) < len(words) {
		return words[int(n)]
	}
	return fmt.Sprintf("%g", n)
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
