package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testTailcallConfig(cache bool) string {
	return tailcallConfig(tailcallOptions{simURL: "http://127.0.0.1:19090/", port: 18000, cache: cache,
		tokens: tailcallTokens{u8: "u8tok", ycm: "ycm.tok", crm: `crm"tok`}})
}

func TestTailcallConfig(t *testing.T) {
	for _, cache := range []bool{false, true} {
		cfg := testTailcallConfig(cache)
		for _, want := range []string{
			`@server(hostname: "127.0.0.1", port: 18000)`,
			`url: "http://127.0.0.1:19090/u8/api/customer/batch_get"`,
			`{key: "token", value: "u8tok"}`,
			`{key: "rows_per_page", value: "{{.args.first}}"}`,
			`{key: "Authorization", value: "Bearer ycm.tok"}`,
			`{key: "Authorization", value: "Token token=crm\"tok, device=open_api, version_code=9.9.9"}`,
			`url: "http://127.0.0.1:19090/crm/api/v2/duplicates/matching_name", query: [{key: "name", value: "{{.value.name}}"}]`,
			`customers(sources: [Source], first: Int): U8Page`,
			`matches(sources: [Source]): [CrmCustomer]`,
			`customer: [U8Customer] @modify(name: "nodes")`,
			`id: String @expr(body: "u8:{{.value.code}}")`,
			`id: String @expr(body: "crm:{{.value.id}}")`,
		} {
			if !strings.Contains(cfg, want) {
				t.Errorf("cache %v: no %s in\n%s", cache, want, cfg)
			}
		}
		https, dedupes := strings.Count(cfg, "@http("), strings.Count(cfg, "dedupe: true")
		if https != 5 || dedupes != https {
			t.Errorf("cache %v: %d @http, %d with dedupe: true; want 5 each", cache, https, dedupes)
		}
		caches := strings.Count(cfg, "@cache(")
		switch {
		case !cache && caches != 0:
			t.Errorf("dedupe only: %d @cache", caches)
		case cache && caches != https:
			t.Errorf("with cache: %d @cache for %d @http", caches, https)
		case cache && (strings.Count(cfg, "@cache(maxAge: 60000)") != 3 || strings.Count(cfg, "@cache(maxAge: 300000)") != 2):
			t.Errorf("with cache: not U8 and YCM 1 min, CRM 5 min:\n%s", cfg)
		}
		if strings.Count(cfg, "{") != strings.Count(cfg, "}") || strings.Count(cfg, "(") != strings.Count(cfg, ")") {
			t.Errorf("cache %v: unbalanced braces or parentheses:\n%s", cache, cfg)
		}
	}
}

// TestTailcallConfigChecks runs `tailcall check` on both configurations
// when bench/tailcall is installed and its binary runs here; it is
// skipped otherwise (make test needs neither).
func TestTailcallConfigChecks(t *testing.T) {
	bin := filepath.Join("tailcall", tailcallBin)
	if _, err := os.Stat(bin); err != nil {
		t.Skip("bench/tailcall is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, bin, "--version").Run(); err != nil {
		t.Skipf("the Tailcall binary does not run here: %v", err)
	}
	for _, cache := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "tc.graphql")
		if err := os.WriteFile(path, []byte(testTailcallConfig(cache)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(ctx, bin, "check", path).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ok") || strings.Contains(strings.ToLower(string(out)), "error") {
			t.Errorf("cache %v: tailcall check: %v\n%s", cache, err, out)
		}
	}
}

func TestGQLLiteral(t *testing.T) {
	if got, want := gqlLiteral("a\"b\\c\nd"), `"a\"b\\c\nd"`; got != want {
		t.Errorf("gqlLiteral = %s, want %s", got, want)
	}
}

func TestCheckTailcallRows(t *testing.T) {
	a, c := scenario{meshKey: "a"}, scenario{meshKey: "c"}
	rows := func(extra func(i int) string) string {
		var nodes []string
		for i := range 20 {
			n := `{"id":"u8:` + string(rune('A'+i)) + `","name":"N` + string(rune('A'+i)) + `"`
			if extra != nil {
				n += extra(i)
			}
			nodes = append(nodes, n+"}")
		}
		return `{"data":{"customers":{"nodes":[` + strings.Join(nodes, ",") + `]}}}`
	}
	none := func(int) string { return `,"matches":[]` }
	exact := func(i int) string {
		if i == 3 {
			return `,"matches":[{"id":"crm:9","name":"ND"}]`
		}
		return `,"matches":[]`
	}
	fuzzy := func(i int) string {
		if i == 3 {
			return `,"matches":[{"id":"crm:9","name":"ND"},{"id":"crm:7","name":"N D"}]`
		}
		return `,"matches":[{"id":"crm:1","name":"typed otherwise"}]`
	}
	for _, tc := range []struct {
		name      string
		sc        scenario
		body, ref string
		wantErr   string
	}{
		{"a same", a, rows(nil), rows(nil), ""},
		{"a alone", a, rows(nil), "", ""},
		{"a other name", a, strings.Replace(rows(nil), `"NC"`, `"NX"`, 1), rows(nil), "row 2"},
		{"a too few", a, `{"data":{"customers":{"nodes":[]}}}`, rows(nil), "0 U8 rows"},
		{"a errors", a, `{"data":null,"errors":[{"message":"x"}]}`, rows(nil), "errors"},
		{"c no exact matches", c, rows(none), rows(fuzzy), ""},
		{"c exact match custgraph finds", c, rows(exact), rows(fuzzy), ""},
		{"c exact match custgraph misses", c, rows(exact), rows(none), "custgraph does not find"},
		{"c match not exact", c, strings.Replace(rows(exact), `"name":"ND"}]`, `"name":"N D"}]`, 1), rows(fuzzy), "not the exact name"},
		{"b", scenario{meshKey: "b"}, `{"data":{"customers":{"nodes":[{},{},{},{},{},{},{}]},"ycmCustomers":{"list":[{},{},{},{},{},{},{}]},"crmCustomers":[{},{},{},{},{},{},{}]}}`, "", ""},
		{"b short", scenario{meshKey: "b"}, `{"data":{"customers":{"nodes":[{}]},"ycmCustomers":{"list":[]},"crmCustomers":[]}}`, "", "7 rows"},
		{"d", scenario{meshKey: "d"}, `{"data":{"u8Customer":{"id":"u8:00000001","name":"X"}}}`, `{"data":{"customer":{"id":"u8:00000001","name":"X"}}}`, ""},
		{"d missing", scenario{meshKey: "d"}, `{"data":{"u8Customer":null}}`, "", "u8:00000001"},
	} {
		var ref []byte
		if tc.ref != "" {
			ref = []byte(tc.ref)
		}
		err := checkTailcallRows(tc.sc, []byte(tc.body), ref)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestTailcallFlag(t *testing.T) {
	if c, err := parseFlags(nil); err != nil || c.tailcallMode != "auto" {
		t.Errorf("default: %q, %v", c.tailcallMode, err)
	}
	if c, err := parseFlags([]string{"-tailcall", "off"}); err != nil || c.tailcallMode != "off" {
		t.Errorf("-tailcall off: %q, %v", c.tailcallMode, err)
	}
	if _, err := parseFlags([]string{"-tailcall", "on"}); err == nil {
		t.Error("-tailcall on: no error")
	}
}

func TestTailcallQueries(t *testing.T) {
	for _, sc := range scenarios(50 * time.Millisecond) {
		if !strings.Contains(strings.Join(sc.gateways, ","), tailcall) {
			continue
		}
		if _, ok := tailcallQueries[sc.meshKey]; !ok {
			t.Errorf("scenario %s runs Tailcall without a query", sc.id)
		}
	}
	if tailcallQueries["a"] != queryA || tailcallQueries["c"] != queryC {
		t.Error("(a) and (c) are not custgraph's own queries: their rows could not be compared")
	}
}
