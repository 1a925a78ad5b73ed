package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// TestAuthAndExposure: with API keys set, /graphql needs one (Bearer or
// X-API-Key) and refuses others with a GraphQL-shaped 401; probes stay
// open; /metrics follows CUSTGRAPH_METRICS; outside demo mode the IDE and
// introspection are off unless turned on; CORS answers preflights for
// listed origins only; a client beyond its rate gets 429.
func TestAuthAndExposure(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 13, Customers: 10, CRMRate: quota.Rate{Off: true}})
	addr, logs := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off",
		"CUSTGRAPH_API_KEYS": "key-one-S3CRET, key-two-S3CRET", "CUSTGRAPH_METRICS": "auth",
		"CUSTGRAPH_CORS_ORIGINS": "https://app.example.com", "CUSTGRAPH_CLIENT_RATE_LIMIT": "8/1m"}), "serve")
	do := func(method, path string, header map[string]string, body string) *http.Response {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	q := `{"query":"{ sources { source } }"}`
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no credentials", nil, http.StatusUnauthorized},
		{"wrong key", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"bearer key", map[string]string{"Authorization": "Bearer key-one-S3CRET"}, http.StatusOK},
		{"x-api-key", map[string]string{"X-API-Key": "key-two-S3CRET"}, http.StatusOK},
	} {
		resp := do(http.MethodPost, "/graphql", tc.header, q)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if tc.want == http.StatusUnauthorized {
			var body struct {
				Errors []struct{ Extensions map[string]any }
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
				t.Errorf("%s: body %+v %v", tc.name, body, err)
			}
		}
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 401, "/": 404} {
		if got := do(http.MethodGet, path, nil, "").StatusCode; got != want {
			t.Errorf("GET %s without credentials: %d, want %d", path, got, want)
		}
	}
	if got := do(http.MethodGet, "/metrics", map[string]string{"X-API-Key": "key-one-S3CRET"}, "").StatusCode; got != 200 {
		t.Errorf("GET /metrics with a key: %d", got)
	}
	intro := do(http.MethodPost, "/graphql", map[string]string{"X-API-Key": "key-one-S3CRET"}, `{"query":"{ __schema { types { name } } }"}`)
	var ib bytes.Buffer
	_, _ = ib.ReadFrom(intro.Body)
	if !strings.Contains(ib.String(), `"code":"INTROSPECTION_DISABLED"`) {
		t.Errorf("introspection outside demo mode: %s", ib.String())
	}
	pre := do(http.MethodOptions, "/graphql", map[string]string{"Origin": "https://app.example.com",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key"}, "")
	if pre.StatusCode >= 300 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	if got := do(http.MethodOptions, "/graphql", map[string]string{"Origin": "https://evil.example.com",
		"Access-Control-Request-Method": "POST"}, "").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("an unlisted origin was allowed: %q", got)
	}
	limited := 0
	for i := 0; i < 10; i++ {
		if do(http.MethodPost, "/graphql", map[string]string{"X-API-Key": "key-two-S3CRET"}, q).StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("no 429 beyond 8 requests per minute")
	}
	if strings.Contains(logs.String(), "S3CRET") {
		t.Error("the log shows an API key")
	}
	if !strings.Contains(logs.String(), `"principal":"apikey:`) {
		t.Error("the access log does not name the principal")
	}
}

// TestLimitsThroughTheServer: the limits are wired into `serve`: a
// multi-megabyte body and a too-deep query are refused without any vendor
// call.
func TestLimitsThroughTheServer(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 14, Customers: 10, CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off"}), "serve")
	// The YCM name index is built in the background at start: let it
	// finish (one page here) before counting.
	for deadline := time.Now().Add(10 * time.Second); s.Stats().Calls["ycm GET /dm/open_api/v1/customers"] == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the YCM index was not built")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	s.Reset()
	big := `{"query":"{ sources { source } }","variables":{"pad":"` + strings.Repeat("x", 3<<20) + `"}}`
	resp, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("3 MiB body: %d", resp.StatusCode)
	}
	deep := "{ customer(id: \"u8:00000001\") { " + strings.Repeat("matches { ", 14) + "id" + strings.Repeat(" }", 14) + " } }"
	r := ask(t, addr, deep, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "QUERY_TOO_DEEP" {
		t.Errorf("deep query: %+v", r.Errors)
	}
	if n := s.Stats().Total(""); n != 0 {
		t.Errorf("refused requests cost %d vendor calls", n)
	}
}
