package main

// Benchmarks of the whole gateway in process: the router as `custgraph
// serve` builds it (edge middleware, limits, loaders, gqlgen, the guarded
// vendor clients) over the simulators on a loopback listener. They show
// what one query costs the gateway in time and allocations; `make bench`
// measures the processes under load against GraphQL Mesh.
//
//	go test -run '^$' -bench Gateway -benchmem .

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"custgraph/internal/config"
	"custgraph/internal/gateway"
	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// benchQueries are the scenarios of `make bench` (bench/scenarios.go).
var benchQueries = []struct{ name, query string }{
	{"a_u8_20_rows", `{ customers(sources: [U8], first: 20) { nodes { id name } } }`},
	{"b_3_sources_21_rows", `{ customers(first: 21) { nodes { id name source } } }`},
	{"c_20_rows_crm_matches", `{ customers(sources: [U8], first: 20) { nodes { id name matches(sources: [CRM]) { id name } } } }`},
	{"d_by_id", `{ customer(id: "u8:00000001") { id name } }`},
}

// benchGateway builds the serve router over an in-process simulator, with
// extra configuration on top of the benchmark's.
func benchGateway(b *testing.B, extra map[string]string) http.Handler {
	b.Helper()
	s := sim.New(sim.Options{CRMRate: quota.Rate{Off: true}})
	ts := httptest.NewServer(s)
	b.Cleanup(ts.Close)
	env := gatewayEnv(&simServer{addr: strings.TrimPrefix(ts.URL, "http://")}, map[string]string{
		"CUSTGRAPH_CLIENT_RATE_LIMIT": "off", "CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_MAX_COST": "100000",
	})
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	gw, err := gateway.New(cfg, gateway.Deps{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	return gw.Handler()
}

// serveQuery answers one query through h and fails b on a bad answer.
func serveQuery(b *testing.B, h http.Handler, body []byte) {
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// BenchmarkGateway asks each scenario's query one at a time ("alone":
// every list page is a vendor call) and from GOMAXPROCS×4 goroutines
// ("parallel": concurrent identical queries share vendor calls, as under
// load), with the defaults and with every query doing its own work.
func BenchmarkGateway(b *testing.B) {
	for _, mode := range []struct {
		name  string
		extra map[string]string
	}{
		{"cache", nil},
		// Every query does its own work (issue 18): no record cache, no
		// answer shared, and no directory to answer (c)'s matches
		// instead of the CRM.
		{"nocache", map[string]string{"CUSTGRAPH_U8_CACHE_TTL": "0", "CUSTGRAPH_YCM_CACHE_TTL": "0", "CUSTGRAPH_CRM_CACHE_TTL": "0",
			"CUSTGRAPH_SHARE_INFLIGHT": "off", "CUSTGRAPH_DIRECTORY": "off"}},
	} {
		h := benchGateway(b, mode.extra)
		for _, q := range benchQueries {
			body, _ := json.Marshal(map[string]string{"query": q.query})
			serveQuery(b, h, body) // sessions, caches, the YCM index
			b.Run(mode.name+"/"+q.name+"/alone", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					serveQuery(b, h, body)
				}
			})
			b.Run(mode.name+"/"+q.name+"/parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serveQuery(b, h, body)
					}
				})
			})
		}
	}
}
