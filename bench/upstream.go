package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"custgraph/internal/sim"
	u8sim "custgraph/internal/sim/u8"
)

// simulator is one `custgraph sim` process and its control endpoints.
type simulator struct {
	proc *proc
	url  string // http://127.0.0.1:PORT
}

var simAddr = regexp.MustCompile(`U8:\s+http://([0-9.]+:[0-9]+)/u8`)

// startSim serves the three simulators on a free loopback port, with the
// CRM quota off (the benchmark measures the gateways, not the vendor's
// quota) and tokens that outlive any run (Mesh is handed tokens once and
// cannot renew them).
func (b *bench) startSim(name string) (*simulator, error) {
	argv := []string{b.bin, "sim", "-addr", "127.0.0.1:0", "-crm-rate-limit", "0",
		"-u8-token-ttl", "24h", "-ycm-token-ttl", "24h"}
	p, err := b.start(name, b.root, nil, simAddr, argv...)
	if err != nil {
		return nil, err
	}
	addr, err := p.waitAddr(10 * time.Second)
	if err != nil {
		return nil, err
	}
	b.note("%s   # %s, on %s", b.shown(argv), name, addr)
	return &simulator{proc: p, url: "http://" + addr}, nil
}

// reset zeroes the simulator's call counters.
func (s *simulator) reset(ctx context.Context) error {
	_, err := simPost(ctx, s.url+"/_sim/reset", nil)
	return err
}

// counts are the vendor calls, and the calls the vendor refused
// (unauthorized, rate limited, injected faults), since the last reset.
func (s *simulator) counts(ctx context.Context) (calls, refused int, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/_sim/stats", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Calls    map[string]int `json:"calls"`
		Rejected map[string]int `json:"rejected"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, 0, fmt.Errorf("/_sim/stats: %w", err)
	}
	for _, c := range st.Calls {
		calls += c
	}
	for _, c := range st.Rejected {
		refused += c
	}
	return calls, refused, nil
}

// setLatency delays every vendor answer of each source by d.
func (s *simulator) setLatency(ctx context.Context, d time.Duration) error {
	for _, src := range []string{"u8", "ycm", "crm"} {
		form := url.Values{"source": {src}, "latency": {d.String()}}
		if _, err := simPost(ctx, s.url+"/_sim/faults", form); err != nil {
			return err
		}
	}
	return nil
}

func simPost(ctx context.Context, u string, form url.Values) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: HTTP %d", u, resp.StatusCode)
	}
	return resp, nil
}

// u8Params are the common parameters of every U8 call, with the demo
// credentials.
func u8Params() url.Values {
	return url.Values{"from_account": {u8sim.DemoFromAccount}, "to_account": {u8sim.DemoToAccount},
		"app_key": {u8sim.DemoAppKey}}
}

// u8Token fetches a U8 token once, for the bare upstream's requests.
func (s *simulator) u8Token(ctx context.Context) (string, error) {
	q := u8Params()
	q.Set("app_secret", u8sim.DemoAppSecret)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/u8/system/token?"+q.Encode(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Errcode string `json:"errcode"`
		Token   struct {
			ID string `json:"id"`
		} `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Errcode != "0" {
		return "", fmt.Errorf("U8 token: errcode %q, %v", body.Errcode, err)
	}
	return body.Token.ID, nil
}

// bareListRequest is the floor: the U8 list page of 20 rows, straight from
// the simulator with a token fetched beforehand.
func bareListRequest(simURL, token string) request {
	q := u8Params()
	q.Set("token", token)
	q.Set("page_index", "1")
	q.Set("rows_per_page", "20")
	return request{method: http.MethodGet, url: simURL + "/u8/api/customer/batch_get?" + q.Encode(),
		header: http.Header{}, good: func(status int, body []byte) bool {
			return status == http.StatusOK && strings.Contains(string(body), `"errcode":"0"`)
		}}
}

// gatewayEnv points custgraph at sim with the demo credentials, with no
// CRM quota, no client rate limit and a cost limit no benchmark query
// reaches; extra adds or overrides variables.
func gatewayEnv(simURL string, extra map[string]string) map[string]string {
	env := sim.GatewaySettings(simURL)
	for k, v := range map[string]string{
		"CUSTGRAPH_ADDR":              "127.0.0.1:0",
		"CUSTGRAPH_CRM_RATE_LIMIT":    "off",
		"CUSTGRAPH_CLIENT_RATE_LIMIT": "off",
		"CUSTGRAPH_MAX_COST":          "100000",
	} {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

var custgraphAddr = regexp.MustCompile(`http://([0-9.]+:[0-9]+)/`)

// startCustgraph serves custgraph over sim; it returns the /graphql URL.
//
// Each gateway keeps its directory in a data directory of its own under
// $TMP: the default, ./data at the repository root, takes one process
// only, and would outlive the run.
func (b *bench) startCustgraph(name string, sim *simulator, extra map[string]string) (*proc, string, error) {
	env := gatewayEnv(sim.url, extra)
	if _, set := env["CUSTGRAPH_DATA_DIR"]; !set {
		env["CUSTGRAPH_DATA_DIR"] = filepath.Join(b.tmp, "data-"+name)
	}
	p, err := b.start(name, b.root, env, custgraphAddr, b.bin, "serve")
	if err != nil {
		return nil, "", err
	}
	addr, err := p.waitAddr(15 * time.Second)
	if err != nil {
		return nil, "", err
	}
	b.note("%s %s   # %s, on %s", strings.ReplaceAll(envLine(env), b.tmp, "$TMP"), b.shown([]string{b.bin, "serve"}), name, addr)
	return p, "http://" + addr + "/graphql", nil
}
