package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// TestMetricsAndTraces: /metrics has GraphQL and per-vendor series, and
// with OTEL_EXPORTER_OTLP_ENDPOINT set the inbound request, the resolvers
// that call out and each vendor call reach an OTLP receiver, without the
// vendor credentials.
func TestMetricsAndTraces(t *testing.T) {
	var mu sync.Mutex
	var spans bytes.Buffer
	otlp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			spans.Write(b)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer otlp.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")

	s := startSim(t, sim.Options{Seed: 12, Customers: 20, CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off",
		"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.URL}), "serve")
	if r := ask(t, addr, `query Lookup { customer(id: "crm:1") { id } customers(first: 3) { edges { node { id } } } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	m := metrics(t, addr)
	for _, want := range []string{
		`custgraph_graphql_operations_total{operation="Lookup",outcome="ok"} 1`,
		`custgraph_upstream_calls_total{endpoint="/crm/api/v2/customers/{id}",outcome="ok",vendor="CRM"} 1`,
		`custgraph_upstream_call_duration_seconds_count{endpoint="/u8/api/customer/batch_get",vendor="U8"}`,
		`custgraph_cache_misses_total{vendor="CRM"} 1`,
		`custgraph_upstream_circuit{state="CLOSED",vendor="YCM"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := spans.String()
		mu.Unlock()
		if strings.Contains(got, "POST /graphql") && strings.Contains(got, "resolve Query.customer") &&
			strings.Contains(got, "CRM GET /crm/api/v2/customers/{id}") {
			for _, secret := range []string{"demo-app-secret", "demo-secret", "demo-password", "token="} {
				if strings.Contains(got, secret) {
					t.Errorf("a span holds %q", secret)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans not exported within 5 s; got %d bytes", len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Identical queries in flight at the same moment, through the real
// server, share one execution: one vendor call, identical answers, and
// /metrics counts the shared ones. The vendor holds its answer until
// /metrics shows the four later requests waiting for the first one's, so
// that they are in flight together however late the machine runs them.
func TestIdenticalQueriesInFlightShareOneAnswer(t *testing.T) {
	s := startSim(t, sim.Options{CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, gatewayEnv(s, nil), "serve")
	const query = `{ customers(sources: [U8], first: 3) { nodes { id name } } }`
	ask(t, addr, `{ customer(id: "u8:00000009") { id } }`, nil) // the U8 token
	s.Reset()
	release := make(chan struct{})
	hold := func(r *http.Request) {
		if r.URL.Path == "/u8/api/customer/batch_get" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}
	s.hold.Store(&hold)
	answers := make([]gqlResponse, 5)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() { answers[i] = ask(t, addr, query, nil) })
	}
	for deadline := time.Now().Add(10 * time.Second); metric(metrics(t, addr), "custgraph_graphql_waiting_requests") != 4; {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("four identical requests are not waiting for the first one's answer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, a := range answers {
		if len(a.Errors) > 0 || string(a.Data) != string(answers[0].Data) {
			t.Fatalf("answer %d: %s %v", i, a.Data, a.Errors)
		}
	}
	if calls := s.Stats().Calls["u8 GET /api/customer/batch_get"]; calls != 1 {
		t.Errorf("vendor calls %d, want 1", calls)
	}
	m := metrics(t, addr)
	if n := metric(m, "custgraph_graphql_shared_answers_total"); n != 4 {
		t.Errorf("custgraph_graphql_shared_answers_total %v, want 4", n)
	}
	if n := metric(m, "custgraph_graphql_waiting_requests"); n != 0 {
		t.Errorf("custgraph_graphql_waiting_requests %v after the answers, want 0", n)
	}
}
