package main

// custgraph as production starts it (CUSTGRAPH_DEMO=off, so introspection
// off), through the real server: what a federation router, a BFF and a
// client of a failing vendor see.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// post sends body to the gateway at addr with headers and decodes the
// GraphQL answer.
func post(t *testing.T, addr, body string, header map[string]string) (int, gqlResponse) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s: undecodable answer: %v", body, err)
	}
	return resp.StatusCode, r
}

func codes(r gqlResponse) []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, fmt.Sprint(e.Extensions["code"]))
	}
	return out
}

// TestFederationWithIntrospectionOff: a production gateway serves the
// router's contract (_service, _entities) behind client authentication
// while public introspection stays refused; CUSTGRAPH_FEDERATION_SDL=off
// refuses the SDL with a code of its own; a representation the subgraph
// cannot resolve and a persisted query whose hash does not match are
// client mistakes with codes, not internal errors.
func TestFederationWithIntrospectionOff(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 21, Customers: 10, CRMRate: quota.Rate{Off: true}})
	env := map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_API_KEYS": "router-KEY"}
	addr, _ := start(t, gatewayEnv(s, env), "serve")
	key := map[string]string{"Authorization": "Bearer router-KEY"}

	if status, _ := post(t, addr, `{"query":"{ _service { sdl } }"}`, nil); status != http.StatusUnauthorized {
		t.Errorf("_service without credentials: %d, want 401", status)
	}
	status, r := post(t, addr, `{"query":"{ _service { sdl } }"}`, key)
	var svc struct {
		Service struct{ SDL string } `json:"_service"`
	}
	_ = json.Unmarshal(r.Data, &svc)
	if status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(svc.Service.SDL, `@key(fields: "id")`) {
		t.Fatalf("_service with introspection off: %d %+v %.200s", status, r.Errors, svc.Service.SDL)
	}
	_, r = post(t, addr, `{"query":"{ _entities(representations: [{__typename: \"Customer\", id: \"u8:00000001\"}]) { ... on Customer { id name } } }"}`, key)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"id":"u8:00000001"`) {
		t.Errorf("_entities: %+v %s", r.Errors, r.Data)
	}
	for _, tc := range []struct{ name, body, code string }{
		{"__schema", `{"query":"{ __schema { queryType { name } } }"}`, "INTROSPECTION_DISABLED"},
		{"__type in a fragment", `{"query":"query { ...F } fragment F on Query { __type(name: \"Customer\") { name } }"}`, "INTROSPECTION_DISABLED"},
		{"an unknown entity type", `{"query":"{ _entities(representations: [{__typename: \"Order\", id: \"1\"}]) { __typename } }"}`, "BAD_USER_INPUT"},
		{"a reference without its key", `{"query":"query($r: [_Any!]!) { _entities(representations: $r) { __typename } }","variables":{"r":[{"__typename":"Customer"}]}}`, "BAD_USER_INPUT"},
		{"a persisted query whose hash does not match", `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`, "BAD_REQUEST"},
		{"a persisted query of an unknown version", `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":9,"sha256Hash":"00"}}}`, "BAD_REQUEST"},
	} {
		_, r := post(t, addr, tc.body, key)
		if got := codes(r); len(got) != 1 || got[0] != tc.code || r.Data != nil {
			t.Errorf("%s: codes %v, data %s; want one %s request error", tc.name, got, r.Data, tc.code)
		}
	}

	env["CUSTGRAPH_FEDERATION_SDL"] = "off"
	addr, _ = start(t, gatewayEnv(s, env), "serve")
	_, r = post(t, addr, `{"query":"{ _service { sdl } }"}`, key)
	if got := codes(r); len(got) != 1 || got[0] != "FEDERATION_SDL_DISABLED" {
		t.Errorf("_service with CUSTGRAPH_FEDERATION_SDL=off: %+v", r.Errors)
	}
}

// TestDefaultsServeABFF: a BFF sends all its users' traffic from one
// address; with the defaults, 1,500 requests within a minute are all
// served.
func TestDefaultsServeABFF(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 22, Customers: 10, CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off"}), "serve")
	const requests = 1500
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < requests; i += 8 {
				status, _ := post(t, addr, `{"query":"{ sources { source } }"}`, nil)
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if statuses[http.StatusOK] != requests {
		t.Errorf("statuses %v, want %d × 200", statuses, requests)
	}
}

// TestClientRateKeys: a configured client rate limits each principal on
// its own; requests without one are limited only with
// CUSTGRAPH_CLIENT_RATE_BY=address, each client address (from the trusted
// proxy's header) on its own.
func TestClientRateKeys(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 23, Customers: 10, CRMRate: quota.Rate{Off: true}})
	q := `{"query":"{ sources { source } }"}`
	served := func(addr string, n int, header map[string]string) int {
		ok := 0
		for range n {
			if status, _ := post(t, addr, q, header); status == http.StatusOK {
				ok++
			} else if status != http.StatusTooManyRequests {
				t.Fatalf("status %d", status)
			}
		}
		return ok
	}

	addr, _ := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_CLIENT_RATE_LIMIT": "3/1m",
		"CUSTGRAPH_API_KEYS": "key-a,key-b"}), "serve")
	if a, b := served(addr, 5, map[string]string{"X-API-Key": "key-a"}), served(addr, 5, map[string]string{"X-API-Key": "key-b"}); a != 3 || b != 3 {
		t.Errorf("by principal: key A %d and key B %d of 5 served, want 3 each", a, b)
	}

	addr, _ = start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_CLIENT_RATE_LIMIT": "3/1m"}), "serve")
	if n := served(addr, 10, nil); n != 10 {
		t.Errorf("anonymous requests with CUSTGRAPH_CLIENT_RATE_BY=principal: %d of 10 served, want all", n)
	}

	addr, _ = start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_CLIENT_RATE_LIMIT": "3/1m",
		"CUSTGRAPH_CLIENT_RATE_BY": "address", "CUSTGRAPH_CLIENT_ADDRESS_HEADER": "X-Forwarded-For"}), "serve")
	// The proxy appends the address it saw; what a client wrote before
	// it is not trusted.
	one := served(addr, 5, map[string]string{"X-Forwarded-For": "10.9.9.9, 203.0.113.7"})
	spoofed := served(addr, 5, map[string]string{"X-Forwarded-For": "10.1.1.1, 203.0.113.7"})
	other := served(addr, 5, map[string]string{"X-Forwarded-For": "198.51.100.2"})
	if one != 3 || spoofed != 0 || other != 3 {
		t.Errorf("by address: %d, %d (same client, another forged entry), %d (another client) of 5 served; want 3, 0, 3", one, spoofed, other)
	}
}

// errorsWithout reports the errors of r other than a well-formed
// DOWNSTREAM_SERVICE_ERROR of reason.
func errorsWithout(r gqlResponse, reasons ...string) []gqlError {
	var out []gqlError
	for _, e := range r.Errors {
		if wellFormed(e) != nil || !slices.Contains(reasons, fmt.Sprint(e.Extensions["reason"])) {
			out = append(out, e)
		}
	}
	return out
}

// TestOutageSpendsNoQuota: with every vendor down, calls that never reach
// the vendor spend no quota turn, so no answer waits a CRM window for a
// turn it cannot use: every answer is UNAVAILABLE, no call of the outage
// waited for its turn, and once the circuits are open no question tries
// a vendor at all. The times are logged: what is asserted is what the
// gateway did (its quota waits and calls, from /metrics), which decides
// them whatever else the machine is doing.
func TestOutageSpendsNoQuota(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 24, Customers: 30}) // the CRM's quota on, as in real life
	addr, _ := start(t, gatewayEnv(s, nil), "serve")       // and the gateway's: 10/10s
	const q = `{ customers(first: 3) { nodes { id } } }`
	if r := ask(t, addr, q, nil); len(r.Errors) > 0 {
		t.Fatalf("before the outage: %+v", r.Errors)
	}
	s.kill()
	var took []time.Duration
	for range 8 {
		t0 := time.Now()
		r := ask(t, addr, q, nil)
		took = append(took, time.Since(t0).Round(time.Millisecond))
		if bad := errorsWithout(r, "UNAVAILABLE"); len(bad) > 0 || len(r.Errors) != 3 {
			t.Errorf("during the outage: %+v, want three UNAVAILABLE", r.Errors)
		}
	}
	t.Logf("eight questions to dead vendors answered in %v", took)
	// Every turn the dead calls booked was given back, so none waited.
	m := metrics(t, addr)
	fast, all := metric(m, `custgraph_quota_wait_seconds_bucket{vendor="CRM",le="0.1"}`), metric(m, `custgraph_quota_wait_seconds_count{vendor="CRM"}`)
	if fast != all || all == 0 {
		t.Errorf("%v of %v CRM quota waits took over 100ms during an outage", all-fast, all)
	}
	// By now every circuit is open: a question tries no vendor.
	before := sumMetric(m, "custgraph_upstream_calls_total", `vendor=`)
	if r := ask(t, addr, q, nil); len(errorsWithout(r, "UNAVAILABLE")) > 0 {
		t.Errorf("with the circuits open: %+v", r.Errors)
	}
	if n := sumMetric(metrics(t, addr), "custgraph_upstream_calls_total", `vendor=`) - before; n != 0 {
		t.Errorf("with every circuit open a question made %v vendor calls, want none", n)
	}
}

// TestHungVendorCostsOneTimeout: a vendor that accepts calls and never
// answers costs a request one per-call timeout and the retry budget: one
// retry, cut off by the budget, not a timeout per retry; the answer is
// TIMEOUT for each source, never an internal error.
func TestHungVendorCostsOneTimeout(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 25, Customers: 30, CRMRate: quota.Rate{Off: true}})
	const timeout, budget = time.Second, time.Second
	env := map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_RETRY_BUDGET": budget.String()}
	for _, src := range []string{"U8", "YCM", "CRM"} {
		env["CUSTGRAPH_"+src+"_TIMEOUT"] = timeout.String()
	}
	addr, _ := start(t, gatewayEnv(s, env), "serve")
	const q = `{ customers(first: 3) { nodes { id } } }`
	if r := ask(t, addr, q, nil); len(r.Errors) > 0 { // sessions in place
		t.Fatalf("before the hang: %+v", r.Errors)
	}
	for _, name := range sim.Names {
		s.Faults(name).Set(time.Hour, 0)
	}
	s.Reset()
	t0 := time.Now()
	r := ask(t, addr, q, nil)
	took := time.Since(t0)
	if bad := errorsWithout(r, "TIMEOUT"); len(bad) > 0 || len(r.Errors) != 3 {
		t.Errorf("with hung vendors: %+v, want three TIMEOUT", r.Errors)
	}
	st := s.Stats()
	t.Logf("hung vendors (per-call timeout %v, retry budget %v): answered in %v; U8 saw %d calls, CRM %d",
		timeout, budget, took.Round(time.Millisecond), st.Total("u8 "), st.Total("crm "))
	for _, src := range []string{"u8 ", "crm "} {
		if n := st.Total(src); n != 2 {
			t.Errorf("%s saw %d calls, want 2: the call and one retry within the budget", src, n)
		}
	}
}

// TestVendorRefusalNeverReachesAClient: when the vendor refuses a call for
// its quota even so (here: a CRM that allows 2 calls a second while the
// gateway believes in 3), the gateway waits for the vendor's window to
// clear and makes the call again: the client sees its answer, not the
// refusal.
func TestVendorRefusalNeverReachesAClient(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 26, Customers: 30, CRMRate: quota.Rate{N: 2, Per: time.Second}})
	addr, _ := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "3/1s", "CUSTGRAPH_CRM_CACHE_TTL": "0"}), "serve")
	keys := ids(t, addr, "CRM", 5)
	for _, id := range keys {
		if r := ask(t, addr, `query($id: ID!) { customer(id: $id) { id name } }`, map[string]any{"id": id}); len(r.Errors) > 0 {
			t.Errorf("%s: %+v", id, r.Errors)
		}
	}
	refused := s.Stats().Rejected["crm rate_limited"]
	t.Logf("the CRM refused %d of the gateway's calls; every answer came with data", refused)
	if refused == 0 {
		t.Error("the CRM refused nothing: the test did not exercise a refusal")
	}
}
