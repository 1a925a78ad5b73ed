package main

// Two replicas of the gateway sharing a real redis-server, over the
// simulators with the CRM's quota on: they must act toward the vendors as
// one gateway, and go on serving when Redis goes away.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/redistest"
	"custgraph/internal/sim"
)

const redisPassword = "r3dis-S3CRET"

type replicaPair struct {
	sim        *simServer
	redis      *redistest.Server
	a, b       string // addresses
	logA, logB *syncBuffer
}

func startReplicas(t *testing.T, rate quota.Rate, extra map[string]string) *replicaPair {
	t.Helper()
	p := &replicaPair{redis: redistest.Start(t, redistest.Options{Password: redisPassword})}
	p.sim = startSim(t, sim.Options{Seed: 9, Customers: 150, CRMRate: rate})
	// Redis's timeout is longer than the default 250ms: on a machine busy
	// with other work, a reply that late is the scheduler's, not an
	// outage, and these tests count outages and cache writes.
	env := map[string]string{"CUSTGRAPH_REDIS_URL": p.redis.URL(), "CUSTGRAPH_CRM_RATE_LIMIT": rate.String(),
		"CUSTGRAPH_REPLICAS": "2", "CUSTGRAPH_REDIS_TIMEOUT": "2s"}
	for k, v := range extra {
		env[k] = v
	}
	p.a, p.logA = start(t, gatewayEnv(p.sim, env), "serve")
	p.b, p.logB = start(t, gatewayEnv(p.sim, env), "serve")
	t.Cleanup(func() {
		for _, l := range []*syncBuffer{p.logA, p.logB} {
			if strings.Contains(l.String(), redisPassword) {
				t.Errorf("a replica logged the Redis password")
			}
		}
	})
	return p
}

func (p *replicaPair) replica(i int) string {
	if i%2 == 0 {
		return p.a
	}
	return p.b
}

// TestReplicasShareQuotaSessionAndCache: two replicas under concurrent load
// for distinct CRM records keep one quota between them (clients get data
// or the gateways' own RATE_LIMITED, never the CRM's refusal) and one
// login; what one replica fetched the other serves without a vendor call.
// How many calls the CRM refused is logged, not asserted: a call booked in
// the window can reach the CRM late on a busy machine, and the gateway
// then makes it again once the window has cleared (see
// TestQuotaNeverMakesTheVendorRefuse).
func TestReplicasShareQuotaSessionAndCache(t *testing.T) {
	rate := quota.Rate{N: 10, Per: 2 * time.Second}
	p := startReplicas(t, rate, map[string]string{"CUSTGRAPH_QUOTA_MAX_WAIT": "3s"})
	keys := ids(t, p.a, "CRM", 80)

	var mu sync.Mutex
	data, limited := 0, 0
	var wg sync.WaitGroup
	const workers = 20
	load := keys[:40]
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(load); i += workers {
				r := ask(t, p.replica(i), `query($id: ID!) { customer(id: $id) { id name } }`, map[string]any{"id": load[i]})
				mu.Lock()
				if len(r.Errors) == 0 {
					data++
				}
				for _, e := range r.Errors {
					if ownRateLimit(e, "CRM") {
						limited++
					} else {
						t.Errorf("neither data nor the gateways' RATE_LIMITED: %+v", e)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st := p.sim.Stats()
	t.Logf("two replicas, CRM quota %s, %d concurrent clients: %d answers with data, %d RATE_LIMITED; CRM saw %d calls, %d logins, refused %d",
		rate, workers, data, limited, st.Total("crm "), st.Calls["crm POST /api/v2/auth/login"], st.Rejected["crm rate_limited"])
	if n := st.Calls["crm POST /api/v2/auth/login"]; n != 1 {
		t.Errorf("%d CRM logins for two replicas, want 1", n)
	}
	if data < rate.N || data+limited != len(load) {
		t.Errorf("%d with data + %d limited of %d", data, limited, len(load))
	}

	// Records fetched through one replica are served by the other.
	const route = "crm GET /api/v2/customers/{id}"
	fresh := keys[60:70]
	time.Sleep(rate.Per + quota.MaxSlack(rate.Per)) // a fresh quota window, whatever the slack
	for _, id := range fresh {
		if r := ask(t, p.a, `query($id: ID!) { customer(id: $id) { id name } }`, map[string]any{"id": id}); len(r.Errors) > 0 {
			t.Fatalf("%s through A: %+v", id, r.Errors)
		}
	}
	before := p.sim.Stats().Calls[route]
	for _, id := range fresh {
		if r := ask(t, p.b, `query($id: ID!) { customer(id: $id) { id name } }`, map[string]any{"id": id}); len(r.Errors) > 0 {
			t.Fatalf("%s through B: %+v", id, r.Errors)
		}
	}
	calls := p.sim.Stats().Calls[route] - before
	t.Logf("cache across replicas: %d records fetched through A, asked through B: %d vendor calls (hit rate %.0f%%)",
		len(fresh), calls, 100*float64(len(fresh)-calls)/float64(len(fresh)))
	if calls != 0 {
		t.Errorf("B made %d vendor calls for records A had fetched, want 0", calls)
	}
}

// TestPersistedQueryRegisteredOnOneRunsOnTheOther: automatic persisted
// queries live in Redis.
func TestPersistedQueryRegisteredOnOneRunsOnTheOther(t *testing.T) {
	p := startReplicas(t, quota.Rate{Off: true}, nil)
	query := `{ customer(id: "u8:00000001") { id name } }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	post := func(addr string, body map[string]any) gqlResponse {
		raw, _ := json.Marshal(body)
		resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out gqlResponse
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Unknown hash: the client is told to send the query.
	r := post(p.b, map[string]any{"extensions": ext})
	if len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash: %+v", r.Errors)
	}
	if r := post(p.a, map[string]any{"query": query, "extensions": ext}); len(r.Errors) > 0 {
		t.Fatalf("registering on A: %+v", r.Errors)
	}
	r = post(p.b, map[string]any{"extensions": ext})
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"id":"u8:00000001"`) {
		t.Fatalf("the hash on B: %s %+v", r.Data, r.Errors)
	}
}

// TestReplicasServeThroughARedisOutage: Redis killed mid-run, the replicas
// go on answering (never a 5xx), say so once in their logs and in /readyz,
// and share state again once Redis is back.
func TestReplicasServeThroughARedisOutage(t *testing.T) {
	p := startReplicas(t, quota.Rate{N: 10, Per: 2 * time.Second}, nil)
	keys := ids(t, p.a, "U8", 30)
	crm := ids(t, p.b, "CRM", 4)
	redisOf := func(addr string) (healthy bool) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep struct {
			Redis struct{ Configured, Healthy bool }
		}
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusOK || !rep.Redis.Configured {
			t.Fatalf("/readyz: %d %+v %v", resp.StatusCode, rep, err)
		}
		return rep.Redis.Healthy
	}
	if !redisOf(p.a) || !redisOf(p.b) {
		t.Fatal("Redis not healthy at start")
	}

	p.redis.Kill()
	answered, limited := 0, 0
	var took []time.Duration
	for i, id := range append(keys[:20], crm...) {
		t0 := time.Now()
		body, _ := json.Marshal(map[string]any{"query": `query($id: ID!) { customer(id: $id) { id name } }`, "variables": map[string]any{"id": id}})
		resp, err := http.Post("http://"+p.replica(i)+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var r gqlResponse
		_ = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		took = append(took, time.Since(t0))
		if resp.StatusCode >= 500 {
			t.Errorf("HTTP %d with Redis down", resp.StatusCode)
		}
		switch {
		case len(r.Errors) == 0 && strings.Contains(string(r.Data), id):
			answered++
		case strings.HasPrefix(id, "crm:") && len(r.Errors) == 1 && r.Errors[0].Extensions["reason"] == "RATE_LIMITED" &&
			r.Errors[0].Extensions["upstreamCode"] == nil:
			// Alone, a replica starts its share of the CRM quota a
			// window after losing Redis: refused by us, never by the CRM.
			limited++
		default:
			t.Errorf("%s with Redis down: %s %+v", id, r.Data, r.Errors)
		}
	}
	// A refusal by the CRM would have fallen to the default case above:
	// none reached a client. How many calls the CRM refused depends on
	// when goroutines ran (see TestQuotaNeverMakesTheVendorRefuse).
	t.Logf("during the Redis outage the CRM refused %d calls", p.sim.Stats().Rejected["crm rate_limited"])
	if redisOf(p.a) || redisOf(p.b) {
		t.Error("/readyz says Redis is healthy while it is down")
	}
	if m := metrics(t, p.a); !strings.Contains(m, "custgraph_redis_up 0") {
		t.Error("/metrics does not show Redis down")
	}
	// Each outage is logged once, not once per failed operation: with
	// Redis down now, every "unavailable" line but the last is paired
	// with a "back" line.
	for _, l := range []*syncBuffer{p.logA, p.logB} {
		down, back := strings.Count(l.String(), "redis unavailable"), strings.Count(l.String(), "redis back")
		if down != back+1 {
			t.Errorf("a replica logged Redis unavailable %d times and back %d times, want one more outage than returns", down, back)
		}
	}
	t.Logf("Redis down: %d of %d questions answered in full, %d CRM ones RATE_LIMITED by the gateway, 0 vendor refusals; slowest %v",
		answered, len(took), limited, maxDuration(took).Round(time.Millisecond))

	p.redis.Restart(t)
	deadline := time.Now().Add(5 * time.Second)
	for !(redisOf(p.a) && redisOf(p.b)) {
		if time.Now().After(deadline) {
			t.Fatal("the replicas did not go back to Redis within 5 s of its return")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if m := metrics(t, p.b); !strings.Contains(m, "custgraph_redis_up 1") {
		t.Error("/metrics does not show Redis back")
	}
	for _, l := range []*syncBuffer{p.logA, p.logB} {
		if !strings.Contains(l.String(), "redis back") {
			t.Error("a replica did not log Redis's return")
		}
	}
}

// metrics returns the gateway's /metrics text.
func metrics(t *testing.T, addr string) string {
	t.Helper()
	return metricsWith(t, http.DefaultClient, addr)
}

// metricsWith is metrics read with client.
func metricsWith(t *testing.T, client *http.Client, addr string) string {
	t.Helper()
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	return b.String()
}

// samples reads the samples of a Prometheus text page: each series (name
// and labels, as written) with its value.
func samples(page string) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.SplitSeq(page, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			v, _ := strconv.ParseFloat(line[i+1:], 64)
			out[line[:i]] = v
		}
	}
	return out
}

// metric is one sample of a /metrics page (-1 when absent).
func metric(page, series string) float64 {
	if v, ok := samples(page)[series]; ok {
		return v
	}
	return -1
}

// sumMetric adds up the samples of name whose labels include label.
func sumMetric(page, name, label string) float64 {
	sum := 0.0
	for series, v := range samples(page) {
		if labels, ok := strings.CutPrefix(series, name+"{"); ok && strings.Contains(labels, label) {
			sum += v
		}
	}
	return sum
}

func maxDuration(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
