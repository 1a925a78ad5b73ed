package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"custgraph/internal/config"
	"custgraph/internal/customer"
	"custgraph/internal/gateway"
	"custgraph/internal/quota"
	"custgraph/internal/sim"
	"custgraph/internal/sim/calls"
)

// perSource is how many records each simulated source holds in these tests.
const perSource = 60

// env is the gateway as `custgraph serve` builds it (internal/gateway:
// guards, loaders, edge, the real schema) over the real simulators, in
// process.
type env struct {
	sim    *sim.Sim
	simURL string
	svc    *customer.Service
	gw     *gateway.Gateway
	gql    *client.Client
	http   http.Handler // the whole router: /graphql, /readyz, …
}

// newEnv builds the gateway over fresh simulators, configured as
// production is (CUSTGRAPH_DEMO=off) but for introspection (on), the CRM's
// quota (off) and the U8 self-defined labels, with settings overridden by
// extra (CUSTGRAPH_* name → value).
func newEnv(t *testing.T, extra ...map[string]string) *env {
	t.Helper()
	s := sim.New(sim.Options{Seed: 1, Customers: perSource, CRMRate: quota.Rate{Off: true}})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	settings := sim.GatewaySettings(ts.URL)
	for k, v := range map[string]string{
		"CUSTGRAPH_INTROSPECTION": "on", "CUSTGRAPH_CRM_RATE_LIMIT": "off",
		"CUSTGRAPH_U8_SELF_DEFINE_LABELS": "1=信用等级,2=结算方式",
		// Off unless a test turns it on: most tests here count the live
		// path's vendor calls, which the directory's sync would add to.
		"CUSTGRAPH_DIRECTORY": "off", "CUSTGRAPH_DATA_DIR": t.TempDir(),
	} {
		settings[k] = v
	}
	for _, m := range extra {
		for k, v := range m {
			settings[k] = v
		}
	}
	cfg, err := config.Load(func(k string) string { return settings[k] })
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, gateway.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	h := gw.Handler()
	e := &env{sim: s, simURL: ts.URL, svc: gw.Service(), gw: gw, gql: client.New(h, client.Path("/graphql")), http: h}
	// The gateway builds the YCM name index in the background as it
	// starts: let it finish, so that the calls a test counts are its own.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, errs := e.svc.FindByNames(ctx, customer.YCM, []string{"warm"}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	return e
}

// warmIndex builds the YCM name index and opens the sessions, so that later call counts show only
// what a request costs.
func (e *env) warmIndex(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, errs := e.svc.FindByNames(ctx, customer.YCM, []string{"warm"}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	// Log in to U8 and the CRM too: sessions are per process, not per
	// request, and must not show in a request's cost.
	for _, src := range []customer.Source{customer.U8, customer.CRM} {
		if _, errs := e.svc.FindByNames(ctx, src, []string{"warm"}); errs[0] != nil {
			t.Fatal(errs[0])
		}
	}
}

// gqlResponse is a raw GraphQL response.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// do runs a query and returns data and errors without failing on errors.
func (e *env) do(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	opts := []client.Option{}
	for k, v := range vars {
		opts = append(opts, client.Var(k, v))
	}
	raw, err := e.gql.RawPost(query, opts...)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	var resp gqlResponse
	resp.Data = mustJSON(t, raw.Data)
	b, _ := json.Marshal(raw.Errors)
	if err := json.Unmarshal(b, &resp.Errors); err != nil {
		t.Fatalf("errors: %v", err)
	}
	return resp
}

// ok runs a query that must succeed and decodes its data into out.
func (e *env) ok(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	resp := e.do(t, query, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("query failed: %+v", resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		t.Fatalf("decode %s: %v", resp.Data, err)
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stats returns the simulators' counters.
func (e *env) stats() calls.Stats { return e.sim.Stats() }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
