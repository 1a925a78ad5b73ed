package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The goals file that `make bench` reads is valid.
func TestShippedGoals(t *testing.T) {
	gf, err := loadGoals("goals.json", scenarios(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if gf.Title != "Targets (issues 8 and 18)" || len(gf.Goals) != 12 {
		t.Errorf("title %q, %d goals", gf.Title, len(gf.Goals))
	}
}

// The goals as data judge as goals.go did when it held them: the
// expected rows were printed by the code they replaced, on the same
// numbers. Where a ratio lacks a scenario, the row now names the
// scenarios missing where it said "scenario not run". Issue 18's goals,
// against Tailcall, have a test of their own (TestJudgeAgainstTailcall).
func TestJudgeKeepsTheReport(t *testing.T) {
	lat := 50 * time.Millisecond
	gf, err := loadGoals("goals.json", scenarios(lat))
	if err != nil {
		t.Fatal(err)
	}
	gf.Goals = slices.DeleteFunc(gf.Goals, func(g goalSpec) bool { return strings.HasPrefix(g.Target, "issue 18") })
	all := []string{"a", "b", "c", "d", "a50", "b50", "c50"}
	var got strings.Builder
	for _, tc := range []struct {
		name   string
		mesh   bool
		reason string
		ids    []string
	}{
		{"full", true, "", all},
		{"nomesh", false, "npm ci failed:\nsomething", all},
		{"meshoff", false, "left out with -mesh off", all},
		{"only-a", true, "", []string{"a"}},
		{"only-c-b50", true, "", []string{"c", "b50"}},
		{"none", true, "", nil},
	} {
		res, mem := fixtureResults(tc.mesh, tc.ids...)
		j := judging{res: res, mem: mem, latency: lat, unavailable: map[string]string{}}
		for _, sc := range scenarios(lat) {
			if slices.Contains(tc.ids, sc.id) {
				j.plan = append(j.plan, sc)
			}
		}
		if tc.reason != "" {
			j.unavailable[mesh] = "Mesh not available: " + tc.reason
		}
		for _, g := range judge(gf.Goals, j) {
			fmt.Fprintf(&got, "%s\t%q\t%q\t%q\n", tc.name, g.target, g.numbers, g.status)
		}
	}
	want, err := os.ReadFile(filepath.Join("testdata", "judged.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	gotLines, wantLines := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		g, w := line(gotLines, i), line(wantLines, i)
		if g != w {
			t.Errorf("row %d:\n got %s\nwant %s", i+1, g, w)
		}
	}
}

// Issue 18's goals judge custgraph against Tailcall: CPU per query, RPS,
// p99 and peak RSS, each met or not by its own bound.
func TestJudgeAgainstTailcall(t *testing.T) {
	lat := 50 * time.Millisecond
	gf, err := loadGoals("goals.json", scenarios(lat))
	if err != nil {
		t.Fatal(err)
	}
	gf.Goals = slices.DeleteFunc(gf.Goals, func(g goalSpec) bool { return !strings.HasPrefix(g.Target, "issue 18") })
	res := results{}
	put := func(sc, gw string, rps, p99, cpu float64) {
		if res[sc] == nil {
			res[sc] = map[string]*cell{}
		}
		res[sc][gw] = &cell{runs: []runResult{{}}, sum: summary{RPS: rps, P99ms: p99, CPUms: cpu}}
	}
	put("a", custgraphNoCache, 4000, 9, 0.21)
	put("a", tailcallDedupe, 7000, 6, 0.1)
	put("c", custgraphNoCache, 3000, 11, 0.4)
	put("c", tailcallDedupe, 2900, 10, 0.3)
	put("a", custgraph, 9800, 5.6, 0.1)
	put("a", tailcall, 9700, 5.7, 0.1)
	put("c", custgraph, 7000, 7.5, 0.1)
	put("c", tailcall, 7100, 7.4, 0.1)
	mem := map[string][]procMemory{custgraph: {{pid: 1, name: "custgraph", peakKB: 60000}}, tailcall: {{pid: 3, name: "tailcall", peakKB: 50000}}}
	j := judging{res: res, mem: mem, latency: lat, unavailable: map[string]string{}}
	for _, sc := range scenarios(lat) {
		if sc.id == "a" || sc.id == "c" {
			j.plan = append(j.plan, sc)
		}
	}
	var got []string
	for _, g := range judge(gf.Goals, j) {
		got = append(got, g.numbers+" → "+g.status)
	}
	want := []string{
		"(a) 0.210 vs 0.100 ms = 2.10×; (c) 0.400 vs 0.300 ms = 1.33× → **not met**",
		"4,000 vs 7,000 rps = 0.57× → met",
		"3,000 vs 2,900 rps = 1.03× → met",
		"(a) 9,800 vs 9,700 rps = 1.01×; (c) 7,000 vs 7,100 rps = 0.99× → **not met**",
		"(a) 5.60 vs 5.70 ms = 0.98×; (c) 7.50 vs 7.40 ms = 1.01× → **not met**",
		"58.6 MiB vs 48.8 MiB (tailcall, pid 3) = 1.20× → met",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("judged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

// fixtureResults are one run's numbers for the scenarios ids, with Mesh
// or without; custgraph on Redis makes a few calls too many alone.
func fixtureResults(withMesh bool, ids ...string) (results, map[string][]procMemory) {
	res := results{}
	put := func(sc, gw string, rps, p50, p99, alone, aloneP50 float64) {
		if res[sc] == nil {
			res[sc] = map[string]*cell{}
		}
		res[sc][gw] = &cell{runs: []runResult{{}}, sum: summary{RPS: rps, P50ms: p50, P99ms: p99}, alone: probeResult{calls: alone, p50ms: aloneP50}}
	}
	for _, id := range ids {
		switch id {
		case "a":
			put("a", custgraph, 8593, 1.2, 5.37, 1, 1.2)
			put("a", custgraphNoCache, 4620, 2, 9, 1, 1.3)
			put("a", custgraphRedis, 5000, 2, 8, 1.02, 1.4)
			put("a", bare, 6407, 0.3, 2, 1, 0.34)
			if withMesh {
				put("a", mesh, 770, 20, 45.9, 1, 20)
			}
		case "b":
			put("b", custgraph, 5000, 2, 6.62, 3, 2)
			put("b", custgraphRedis, 4000, 2, 7, 3.1, 2)
			if withMesh {
				put("b", mesh, 300, 50, 94.5, 3, 50)
			}
		case "c":
			put("c", custgraph, 8240, 2, 5.5, 1, 2)
			if withMesh {
				put("c", mesh, 125, 100, 284.7, 21, 100)
			}
		case "d":
			put("d", custgraph, 13667, 1, 5.24, 0, 1)
			if withMesh {
				put("d", mesh, 1076, 10, 41.3, 1, 10)
			}
		case "b50":
			put("b50", custgraph, 300, 53.2, 58.1, 3, 52.6)
		}
	}
	mem := map[string][]procMemory{custgraph: {{pid: 1, name: "custgraph", peakKB: 44339}}}
	if withMesh {
		mem[mesh] = []procMemory{{pid: 2, name: "sh", peakKB: 1500}, {pid: 26746, name: "node", peakKB: 684544}}
	}
	return res, mem
}

// A goals file that is missing or malformed stops the run before
// anything is measured, saying what is wrong.
func TestLoadGoalsErrors(t *testing.T) {
	ratio := `{"target": "t", "kind": "ratio", "metric": "rps", "gateway": "custgraph", "against": "GraphQL Mesh", "scenarios": ["a"], "at_least": 10, "show": "times"}`
	file := func(goal string) string { return `{"title": "T", "goals": [` + goal + `]}` }
	with := func(from, to string) string { return file(strings.Replace(ratio, from, to, 1)) }
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", "{\n  \"title\": \"T\",\n  \"goals\": [,]\n}", "line 3, column 13: invalid character ','"},
		{"a number as text", `{"title": 8, "goals": []}`, "line 1, column 11: json: cannot unmarshal number"},
		{"a comment", "// targets\n" + file(ratio), "line 1, column 1: invalid character '/'"},
		{"unknown field", with(`"show"`, `"colour": "red", "show"`), `unknown field "colour"`},
		{"two objects", file(ratio) + file(ratio), "more after the top-level object"},
		{"no title", `{"goals": [` + ratio + `]}`, "no title"},
		{"no goals", `{"title": "T", "goals": []}`, "no goals"},
		{"no target", with(`"target": "t"`, `"target": " "`), "goal 1: no target"},
		{"no kind", with(`"kind": "ratio", `, ""), `goal 1 ("t"): no kind`},
		{"unknown kind", with(`"ratio"`, `"ratios"`), `kind: "ratios" is none of`},
		{"unknown metric", with(`"rps"`, `"qps"`), `metric: "qps" is none of`},
		{"unknown gateway", with(`"GraphQL Mesh"`, `"Mesh"`), `against: no gateway "Mesh"`},
		{"same gateways", with(`"GraphQL Mesh"`, `"custgraph"`), "gateway and against are the same"},
		{"unknown scenario", with(`["a"]`, `["e"]`), `no scenario "e" (a, b, c, d, a50, b50, c50)`},
		{"scenario without the gateway", file(strings.NewReplacer(`"GraphQL Mesh"`, `"bare upstream"`, `["a"]`, `["c"]`).Replace(ratio)),
			"scenarios: scenario c does not run bare upstream"},
		{"both thresholds", with(`"at_least": 10`, `"at_least": 10, "at_most": 1`), "exactly one of at_least and at_most"},
		{"no threshold", with(`"at_least": 10, `, ""), "exactly one of at_least and at_most"},
		{"negative threshold", with(`"at_least": 10`, `"at_least": -1`), "must not be negative, not -1"},
		{"unknown show", with(`"times"`, `"x"`), `show: "x" is none of`},
		{"field of another kind", with(`"show"`, `"slack": 1, "show"`), "a ratio goal takes no slack"},
		{"rss with scenarios", with(`"rps"`, `"peak_rss"`), "takes no scenarios"},
		{"unknown placeholder", with(`"target": "t"`, `"target": "within {limit}"`), "unknown placeholder {limit}"},
		{"calls without slack", file(`{"target": "t", "kind": "calls_at_minimum", "gateways": ["custgraph"]}`), "needs gateways and slack"},
		{"latency of a scenario without", file(`{"target": "t", "kind": "p50_within_latency", "gateway": "custgraph", "scenario": "b", "at_most": 1.5}`), "scenario b adds no latency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "goals.json")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadGoals(path, scenarios(50*time.Millisecond))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v; want one naming %s and saying %q", err, path, tc.want)
			}
		})
	}
	_, err := loadGoals(filepath.Join(t.TempDir(), "none.json"), scenarios(50*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "no such file") || !strings.Contains(err.Error(), "-goals") {
		t.Errorf("missing file: %v", err)
	}
}
