package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The GraphQL Mesh peer lives in bench/mesh (another engineer's work). The
// harness expects there:
//
//   - package.json and package-lock.json; `npm ci` is run when
//     node_modules is missing;
//   - tokens.mjs: run as `node bench/mesh/tokens.mjs` from the repository
//     root with meshEnv; it prints the vendor tokens as NAME=VALUE lines
//     (`export ` and quotes allowed) or as one JSON object of strings;
//   - compose.sh (optional): run from the root with meshEnv and the tokens;
//   - serve.sh: run from the root with meshEnv, the tokens and PORT; it
//     serves GraphQL at http://127.0.0.1:$PORT/graphql until SIGTERM (sent
//     to its process group);
//   - the benchmark queries, by scenario a to d: queries.json
//     ({"a": "{ … }", …}), else README.md: a table row whose first cell
//     names the scenario as "(a)", the query in backticks in the column
//     headed "Mesh" (or the second), or a fenced block whose info string or
//     nearest line above names the scenario; a scenario without a query is
//     reported as one Mesh cannot express.
const meshDir = "bench/mesh"

// meshEnv tells the Mesh scripts where the simulators are, under several
// names, with the demo credentials.
func meshEnv(simURL string) map[string]string {
	env := gatewayEnv(simURL, nil)
	delete(env, "CUSTGRAPH_ADDR")
	env["SIM_URL"] = simURL
	for _, s := range []string{"U8", "YCM", "CRM"} {
		env[s+"_BASE_URL"] = env["CUSTGRAPH_"+s+"_BASE_URL"]
	}
	return env
}

// startMesh installs, composes and serves the Mesh peer over sim. Its
// error says why Mesh is not available.
func (b *bench) startMesh(ctx context.Context, sim *simulator) (*gateway, error) {
	dir := filepath.Join(b.root, meshDir)
	if _, err := os.Stat(filepath.Join(dir, "serve.sh")); err != nil {
		return nil, fmt.Errorf("%s/serve.sh does not exist (yet)", meshDir)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, errors.New("node is not on PATH")
	}
	if err := b.npmInstall(ctx, dir, meshDir); err != nil {
		return nil, err
	}
	env := meshEnv(sim.url)
	var tokenNames []string
	if _, err := os.Stat(filepath.Join(dir, "tokens.mjs")); err == nil {
		out, err := b.runStep(ctx, "mesh-tokens", env, "node", meshDir+"/tokens.mjs")
		if err != nil {
			return nil, err
		}
		tokens, err := parseTokens(out)
		if err != nil {
			return nil, fmt.Errorf("%s/tokens.mjs: %w", meshDir, err)
		}
		for k, v := range tokens {
			env[k] = v
		}
		tokenNames = sortedKeys(tokens)
		fmt.Printf("  Mesh tokens: %s\n", strings.Join(tokenNames, ", "))
	}
	if _, err := os.Stat(filepath.Join(dir, "compose.sh")); err == nil {
		if _, err := b.runStep(ctx, "mesh-compose", env, script(dir, "compose.sh")...); err != nil {
			return nil, err
		}
	}
	queries, err := meshQueries(dir)
	if err != nil {
		return nil, err
	}
	b.meshQueries = queries
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env["PORT"] = strconv.Itoa(port)
	p, err := b.start("mesh-serve", b.root, env, nil, script(dir, "serve.sh")...)
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/graphql", port)
	if err := waitGraphQL(ctx, p, url, b.cfg.meshTimeout); err != nil {
		return nil, err
	}
	shownEnv := fmt.Sprintf("PORT=%d SIM_URL=%s", port, sim.url)
	for _, k := range tokenNames {
		if k != "SIM_URL" {
			shownEnv += " " + k + "=…"
		}
	}
	b.note("%s %s   # GraphQL Mesh, on 127.0.0.1:%d", shownEnv, b.shown(script(dir, "serve.sh")), port)
	return &gateway{name: mesh, sim: sim, proc: p, tree: true, request: func(sc scenario) (request, string) {
		q, ok := queries[sc.meshKey]
		if !ok {
			return request{}, "Mesh cannot express this scenario (no query " + sc.meshKey + " in " + meshDir + ")"
		}
		return graphQLRequest(url, q), ""
	}}, nil
}

// npmInstall runs npm ci in dir (shown as rel) when node_modules is
// missing: bench/mesh's and bench/tailcall's pinned packages.
func (b *bench) npmInstall(ctx context.Context, dir, rel string) error {
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err != nil {
		return fmt.Errorf("%s has neither node_modules nor package-lock.json", rel)
	}
	if !b.cfg.meshInstall {
		return fmt.Errorf("%s/node_modules is missing (run npm ci there, or drop -mesh-install=false)", rel)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("%s/node_modules is missing and npm is not on PATH", rel)
	}
	fmt.Println("  npm ci in " + rel + " …")
	step := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	step.Dir = dir
	if out, err := step.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %v\n%s", rel, err, lastLines(string(out), 10))
	}
	b.note("(cd %s && npm ci --no-audit --no-fund)", rel)
	return nil
}

// runStep runs one setup command from the root to its end and returns
// its standard output.
func (b *bench) runStep(ctx context.Context, name string, env map[string]string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.meshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = b.root, envList(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, lastLines(stderr.String()+stdout.String(), 10))
	}
	_ = os.WriteFile(filepath.Join(b.tmp, name+".log"), append(stderr.Bytes(), '\n'), 0o644)
	b.note("SIM_URL=%s %s", env["SIM_URL"], b.shown(argv))
	return stdout.String(), nil
}

// script runs a shell script directly when it is executable (its #!
// line chooses the shell), else with sh.
func script(dir, name string) []string {
	path := filepath.Join(dir, name)
	if fi, err := os.Stat(path); err == nil && fi.Mode()&0o111 != 0 {
		return []string{path}
	}
	return []string{"sh", path}
}

var envLineRE = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// parseTokens reads NAME=VALUE lines or one JSON object of strings.
func parseTokens(out string) (map[string]string, error) {
	tokens := map[string]string{}
	if s := strings.TrimSpace(out); strings.HasPrefix(s, "{") {
		if err := json.Unmarshal([]byte(s), &tokens); err != nil {
			return nil, fmt.Errorf("a JSON object of strings expected: %w", err)
		}
		return tokens, nil
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := envLineRE.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		v := m[2]
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		tokens[m[1]] = v
	}
	if len(tokens) == 0 {
		return nil, errors.New("printed no NAME=VALUE line")
	}
	return tokens, nil
}

// meshQueries reads queries.json, else README.md.
func meshQueries(dir string) (map[string]string, error) {
	if b, err := os.ReadFile(filepath.Join(dir, "queries.json")); err == nil {
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("%s/queries.json: %w", meshDir, err)
		}
		q := map[string]string{}
		for k, v := range raw {
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				q[strings.ToLower(k)] = s
			}
		}
		return q, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		return nil, fmt.Errorf("%s has neither queries.json nor README.md with the queries", meshDir)
	}
	return readmeQueries(string(b)), nil
}

var scenarioLabel = regexp.MustCompile(`\(([a-d])\)`)

// readmeQueries reads the queries from README.md's tables and fenced
// blocks; the first query per scenario wins.
func readmeQueries(md string) map[string]string {
	q := map[string]string{}
	add := func(label, text string) {
		m := scenarioLabel.FindStringSubmatch(label)
		text = strings.TrimSpace(text)
		if m == nil || !(strings.HasPrefix(text, "{") || strings.HasPrefix(text, "query")) {
			return
		}
		if _, seen := q[m[1]]; !seen {
			q[m[1]] = text
		}
	}
	lines := strings.Split(md, "\n")
	prev, meshCol := "", 1
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(line, "|") {
			cells := tableCells(line)
			if col := slices.IndexFunc(cells, func(c string) bool { return strings.EqualFold(c, "Mesh") }); col > 0 {
				meshCol = col
			}
			if len(cells) > meshCol {
				if code, ok := backticked(cells[meshCol]); ok {
					add(cells[0], code)
				}
			}
			continue
		}
		meshCol = 1
		fence := ""
		if strings.HasPrefix(line, "```") {
			fence = "```"
		} else if strings.HasPrefix(line, "~~~") {
			fence = "~~~"
		}
		if fence == "" {
			if line != "" {
				prev = line
			}
			continue
		}
		info := strings.TrimSpace(strings.TrimLeft(line, fence[:1]))
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), fence); i++ {
			body = append(body, lines[i])
		}
		lang := strings.ToLower(strings.Fields(info + " x")[0])
		if lang == "graphql" || lang == "gql" || lang == "x" {
			label := info
			if !scenarioLabel.MatchString(info) {
				label = prev
			}
			add(label, strings.Join(body, "\n"))
		}
		prev = ""
	}
	return q
}

// tableCells splits a markdown table row (no escaped pipes expected).
func tableCells(row string) []string {
	cells := strings.Split(strings.Trim(row, "|"), "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// backticked is the text of a cell that is one `code span`.
func backticked(cell string) (string, bool) {
	if len(cell) < 2 || cell[0] != '`' || cell[len(cell)-1] != '`' {
		return "", false
	}
	return strings.Trim(cell, "`"), true
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitGraphQL waits until url answers `{ __typename }` with HTTP 200.
func waitGraphQL(ctx context.Context, p *proc, url string, timeout time.Duration) error {
	probe := graphQLRequest(url, `{ __typename }`)
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(probe.body))
		req.Header = probe.header
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.exited() {
			return fmt.Errorf("%s exited before serving:\n%s", p.name, tail(p.log, 15))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s did not answer at %s within %s:\n%s", p.name, url, timeout, tail(p.log, 15))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
