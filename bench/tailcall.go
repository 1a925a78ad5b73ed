package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	crmsim "custgraph/internal/sim/crm"
	ycmsim "custgraph/internal/sim/ycm"
)

// The Tailcall peer (issue 18): Tailcall's prebuilt binary, pinned in
// bench/tailcall/package.json and package-lock.json and installed there
// with `npm ci`, serving a config that the harness writes at run time
// (tailcallConfig) over a simulator of its own, with the vendor tokens
// fetched beforehand and baked in: Tailcall cannot run U8's token call,
// YCM's OAuth or the CRM's login itself.
const (
	tailcallDir = "bench/tailcall"
	tailcallBin = "node_modules/@tailcallhq/core-linux-x64-gnu/bin/tailcall"
)

// Tailcall's caches, as custgraph's defaults (CUSTGRAPH_*_CACHE_TTL): U8
// and YCM 1 min, the CRM 5 min.
const (
	tailcallCacheU8  = time.Minute
	tailcallCacheYCM = time.Minute
	tailcallCacheCRM = 5 * time.Minute
)

// tailcallTokens are the vendor credentials baked into the config.
type tailcallTokens struct{ u8, ycm, crm string }

// tailcallOptions is one Tailcall configuration.
type tailcallOptions struct {
	simURL string // http://127.0.0.1:PORT, the simulators' root
	port   int
	tokens tailcallTokens
	// cache puts @cache on every field that calls a vendor; every such
	// field has dedupe: true either way.
	cache bool
}

// tailcallQueries are the queries asked of Tailcall, by scenario. (a) and
// (c) are custgraph's own (the config takes its `sources` arguments and
// ignores them, and builds custgraph's ids), so that their answers can be
// compared with custgraph's row for row; (c)'s matches are the CRM's exact
// name lookup, as Mesh's. Tailcall cannot merge one list across sources,
// so (b) asks each source for 7 rows side by side, as Mesh does, and it
// cannot cut the "u8:" off an id, so (d) asks by U8 code.
var tailcallQueries = map[string]string{
	"a": queryA,
	"b": `{ customers(sources: [U8], first: 7) { nodes { id name } } ycmCustomers(size: 7) { list { id company lastName firstName } } crmCustomers(perPage: 7) { id name } }`,
	"c": queryC,
	"d": `{ u8Customer(code: "00000001") { id name } }`,
}

// tailcallConfig is the config, in Tailcall's GraphQL form (1.0.0's
// directives: @server, @upstream, @http with url, query, headers,
// select and dedupe, @expr, @modify, @cache).
func tailcallConfig(o tailcallOptions) string {
	cache := func(d time.Duration) string {
		if !o.cache {
			return ""
		}
		return fmt.Sprintf(" @cache(maxAge: %d)", d.Milliseconds())
	}
	kv := func(k, v string) string { return fmt.Sprintf("{key: %s, value: %s}", gqlLiteral(k), gqlLiteral(v)) }
	u8 := []string{kv("from_account", "demo"), kv("to_account", "demo"), kv("app_key", "demo-app-key"), kv("token", o.tokens.u8)}
	u8Query := func(more ...string) string {
		return "[" + strings.Join(append(append([]string{}, u8...), more...), ", ") + "]"
	}
	crmAuth := "[" + kv("Authorization", "Token token="+o.tokens.crm+", device=open_api, version_code=9.9.9") + "]"
	ycmAuth := "[" + kv("Authorization", "Bearer "+o.tokens.ycm) + "]"
	url := func(path string) string { return gqlLiteral(strings.TrimRight(o.simURL, "/") + path) }

	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	p("# Written by custgraph's bench (bench/tailcall.go) for one run; the tokens expire with it.")
	p(`schema @server(hostname: "127.0.0.1", port: %d) @upstream(poolMaxIdlePerHost: 256) {`, o.port)
	p("  query: Query")
	p("}")
	p("")
	p("enum Source { U8 YCM CRM }")
	p("")
	p("type Query {")
	p("  customers(sources: [Source], first: Int): U8Page @http(url: %s, query: %s, dedupe: true)%s",
		url("/u8/api/customer/batch_get"), u8Query(kv("page_index", "1"), kv("rows_per_page", "{{.args.first}}")), cache(tailcallCacheU8))
	p("  u8Customer(code: String!): U8Customer @http(url: %s, query: %s, select: %s, dedupe: true)%s",
		url("/u8/api/customer/get"), u8Query(kv("id", "{{.args.code}}")), gqlLiteral("{{.customer}}"), cache(tailcallCacheU8))
	p("  ycmCustomers(size: Int): YcmPage @http(url: %s, query: [%s, %s], headers: %s, select: %s, dedupe: true)%s",
		url("/ycm/dm/open_api/v1/customers"), kv("pageSize", "{{.args.size}}"), kv("pageNumber", "1"), ycmAuth,
		gqlLiteral("{{.data}}"), cache(tailcallCacheYCM))
	p("  crmCustomers(perPage: Int): [CrmCustomer] @http(url: %s, query: [%s, %s], headers: %s, select: %s, dedupe: true)%s",
		url("/crm/api/v2/customers"), kv("page", "1"), kv("per_page", "{{.args.perPage}}"), crmAuth,
		gqlLiteral("{{.data.customers}}"), cache(tailcallCacheCRM))
	p("}")
	p("")
	p("type U8Page {")
	p(`  customer: [U8Customer] @modify(name: "nodes")`)
	p("}")
	p("")
	p("type U8Customer {")
	p(`  id: String @expr(body: "u8:{{.value.code}}")`)
	p("  code: String")
	p("  name: String")
	p("  matches(sources: [Source]): [CrmCustomer] @http(url: %s, query: [%s], headers: %s, select: %s, dedupe: true)%s",
		url("/crm/api/v2/duplicates/matching_name"), kv("name", "{{.value.name}}"), crmAuth,
		gqlLiteral("{{.data.customers}}"), cache(tailcallCacheCRM))
	p("}")
	p("")
	p("type YcmPage {")
	p("  list: [YcmCustomer]")
	p("}")
	p("")
	p("type YcmCustomer {")
	p(`  id: String @expr(body: "ycm:{{.value.customerId}}")`)
	p("  customerId: Int")
	p("  company: String")
	p("  lastName: String")
	p("  firstName: String")
	p("}")
	p("")
	p("type CrmCustomer {")
	p(`  id: String @expr(body: "crm:{{.value.id}}")`)
	p("  name: String")
	p("}")
	return w.String()
}

// gqlLiteral is s as a GraphQL string literal.
func gqlLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// tailcallBinary installs the pinned package when node_modules is
// missing and checks that its binary runs here (later versions need a
// newer glibc than Debian 12's). Its error says why Tailcall is left out.
func (b *bench) tailcallBinary(ctx context.Context) (string, error) {
	dir := filepath.Join(b.root, tailcallDir)
	if err := b.npmInstall(ctx, dir, tailcallDir); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, tailcallBin)
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s/%s is missing after npm ci (not linux x64 glibc?)", tailcallDir, tailcallBin)
	}
	vctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(vctx, bin, "--version").CombinedOutput()
	if err != nil {
		out := strings.ReplaceAll(string(out), b.root+string(filepath.Separator), "")
		return "", fmt.Errorf("%s/%s --version does not run here: %v\n%s", tailcallDir, tailcallBin, err, lastLines(out, 5))
	}
	b.tailcallVersion = strings.TrimSpace(string(out))
	return bin, nil
}

// startTailcall serves one Tailcall configuration over a simulator of its
// own. Its error says why this configuration is not available.
func (b *bench) startTailcall(ctx context.Context, bin, name, procName string, cache bool) (*gateway, error) {
	sim, err := b.startSim("sim-for-" + procName)
	if err != nil {
		return nil, err
	}
	var tok tailcallTokens
	if tok.u8, err = sim.u8Token(ctx); err != nil {
		return nil, err
	}
	if tok.ycm, err = sim.ycmToken(ctx); err != nil {
		return nil, err
	}
	if tok.crm, err = sim.crmToken(ctx); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(b.tmp, procName+".graphql")
	cfg := tailcallConfig(tailcallOptions{simURL: sim.url, port: port, tokens: tok, cache: cache})
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	// TAILCALL_TRACKER=false: no usage reports; the only outbound calls
	// go to the simulator.
	env := map[string]string{"TAILCALL_TRACKER": "false"}
	argv := []string{bin, "start", cfgPath}
	p, err := b.start(procName, b.root, env, nil, argv...)
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/graphql", port)
	if err := waitGraphQL(ctx, p, url, 30*time.Second); err != nil {
		return nil, err
	}
	b.note("TAILCALL_TRACKER=false %s   # %s, on 127.0.0.1:%d; $TMP/%s.graphql written by the bench (bench/tailcall.go), tokens from %s",
		b.shown(argv), name, port, procName, "sim-for-"+procName)
	return &gateway{name: name, sim: sim, proc: p, request: func(sc scenario) (request, string) {
		q, ok := tailcallQueries[sc.meshKey]
		if !ok {
			return request{}, "Tailcall cannot express this scenario"
		}
		return graphQLRequest(url, q), ""
	}, check: checkTailcallRows}, nil
}

// startTailcalls starts both configurations of issue 18's table, or says
// why they are left out.
func (b *bench) startTailcalls(ctx context.Context, gws map[string]*gateway) error {
	reason := "left out with -tailcall off"
	if b.cfg.tailcallMode == "auto" {
		fmt.Println("starting Tailcall …")
		bin, err := b.tailcallBinary(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			reason = err.Error()
		} else {
			reason = ""
			for _, t := range []struct {
				name, proc string
				cache      bool
			}{{tailcall, "tailcall", true}, {tailcallDedupe, "tailcall-dedupe", false}} {
				g, err := b.startTailcall(ctx, bin, t.name, t.proc, t.cache)
				switch {
				case err == nil:
					gws[t.name] = g
				case ctx.Err() != nil:
					return ctx.Err()
				default:
					b.unavailable[t.name] = "Tailcall not available: " + err.Error()
					fmt.Printf("%s not available: %v\n", t.name, err)
				}
			}
		}
	}
	if reason != "" {
		fmt.Println("Tailcall not available:", reason)
		b.tailcallReason = reason
		for _, n := range []string{tailcall, tailcallDedupe} {
			b.unavailable[n] = "Tailcall not available: " + reason
		}
	}
	return nil
}

// tailcallAnswer is the shape of (a) and (c) in both custgraph's and
// Tailcall's answers.
type tailcallAnswer struct {
	Data struct {
		Customers struct {
			Nodes []struct {
				ID      string `json:"id"`
				Name    string `json:"name"`
				Matches []struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"matches"`
			} `json:"nodes"`
		} `json:"customers"`
		U8Customer *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"u8Customer"`
		YCM *struct {
			List []json.RawMessage `json:"list"`
		} `json:"ycmCustomers"`
		CRM []json.RawMessage `json:"crmCustomers"`
	} `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

// checkTailcallRows compares Tailcall's answer to a scenario with
// custgraph's (ref, nil when custgraph does not run it): (a) the same 20
// U8 rows, ids and names, in the same order; (c) the same, and each CRM
// match an exact-name match that custgraph finds too (custgraph also
// finds names typed otherwise); (b) 7 rows per source; (d) the record.
func checkTailcallRows(sc scenario, body, ref []byte) error {
	var got, want tailcallAnswer
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if len(got.Errors) > 0 {
		return fmt.Errorf("errors: %s", got.Errors[0])
	}
	if ref != nil {
		if err := json.Unmarshal(ref, &want); err != nil {
			return fmt.Errorf("custgraph's answer is not JSON: %v", err)
		}
	}
	rows, wantRows := got.Data.Customers.Nodes, want.Data.Customers.Nodes
	switch sc.meshKey {
	case "a", "c":
		if len(rows) != 20 {
			return fmt.Errorf("%d U8 rows, not 20", len(rows))
		}
		if ref == nil {
			return nil
		}
		if len(wantRows) != len(rows) {
			return fmt.Errorf("%d U8 rows, custgraph %d", len(rows), len(wantRows))
		}
		for i, r := range rows {
			w := wantRows[i]
			if r.ID != w.ID || r.Name != w.Name {
				return fmt.Errorf("row %d is %s %q, custgraph's %s %q", i, r.ID, r.Name, w.ID, w.Name)
			}
			for _, m := range r.Matches {
				if m.Name != r.Name {
					return fmt.Errorf("row %d (%s): match %s %q is not the exact name", i, r.ID, m.ID, m.Name)
				}
				found := false
				for _, wm := range w.Matches {
					found = found || wm.ID == m.ID
				}
				if !found {
					return fmt.Errorf("row %d (%s): match %s %q, which custgraph does not find", i, r.ID, m.ID, m.Name)
				}
			}
		}
	case "b":
		if y := got.Data.YCM; len(rows) != 7 || y == nil || len(y.List) != 7 || len(got.Data.CRM) != 7 {
			return errors.New("not 7 rows of each source")
		}
	case "d":
		if c := got.Data.U8Customer; c == nil || c.ID != "u8:00000001" || c.Name == "" {
			return errors.New("no record u8:00000001")
		}
	}
	return nil
}

// fetchOnce sends req once and returns the answer's body.
func fetchOnce(ctx context.Context, c *http.Client, req request) ([]byte, error) {
	r, err := http.NewRequestWithContext(ctx, req.method, req.url, bytes.NewReader(req.body))
	if err != nil {
		return nil, err
	}
	r.Header = req.header
	resp, err := c.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if !req.good(resp.StatusCode, buf.Bytes()) {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, cell1(buf.String(), 300))
	}
	return buf.Bytes(), nil
}

// ycmToken fetches a YCM access token (client credentials) once.
func (s *simulator) ycmToken(ctx context.Context) (string, error) {
	form := strings.NewReader("grant_type=client_credentials&client_id=" + ycmsim.DemoClientID + "&client_secret=" + ycmsim.DemoClientSecret)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/ycm/dm/open_api/oauth/token", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "custgraph-bench")
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := postJSON(req, &body); err != nil || body.AccessToken == "" {
		return "", fmt.Errorf("YCM token: %v", err)
	}
	return body.AccessToken, nil
}

// crmToken logs in to the CRM once. A login ends the account's previous
// session: the simulator must be this gateway's alone.
func (s *simulator) crmToken(ctx context.Context) (string, error) {
	login, _ := json.Marshal(map[string]string{"login": crmsim.DemoLogin, "password": crmsim.DemoPassword,
		"device": "open_api", "version_code": "9.9.9"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/crm/api/v2/auth/login", bytes.NewReader(login))
	req.Header.Set("Content-Type", "application/json")
	var body struct {
		Code int `json:"code"`
		Data struct {
			UserToken string `json:"user_token"`
		} `json:"data"`
	}
	if err := postJSON(req, &body); err != nil || body.Code != 0 || body.Data.UserToken == "" {
		return "", fmt.Errorf("CRM login: code %d, %v", body.Code, err)
	}
	return body.Data.UserToken, nil
}

func postJSON(req *http.Request, v any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("HTTP " + strconv.Itoa(resp.StatusCode))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
