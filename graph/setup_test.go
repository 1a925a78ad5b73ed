package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"custgraph/graph"
	"custgraph/internal/customer"
	"custgraph/internal/loader"
	crmclient "custgraph/internal/provider/crm"
	u8client "custgraph/internal/provider/u8"
	ycmclient "custgraph/internal/provider/ycm"
	"custgraph/internal/quota"
	"custgraph/internal/sim"
	crmsim "custgraph/internal/sim/crm"
	"custgraph/internal/sim/harness"
	u8sim "custgraph/internal/sim/u8"
	ycmsim "custgraph/internal/sim/ycm"
)

// perSource is how many records each simulated source holds in these tests.
const perSource = 60

// env is the real schema over the real simulators, in process.
type env struct {
	sim    *sim.Sim
	simURL string
	svc    *customer.Service
	gql    *client.Client
	http   http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := sim.New(sim.Options{Seed: 1, Customers: perSource, CRMRate: quota.Rate{Off: true}})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	u8, err := u8client.New(u8client.Config{BaseURL: ts.URL + "/u8", FromAccount: u8sim.DemoFromAccount,
		ToAccount: u8sim.DemoToAccount, AppKey: u8sim.DemoAppKey, AppSecret: u8sim.DemoAppSecret})
	if err != nil {
		t.Fatal(err)
	}
	ycm, err := ycmclient.New(ycmclient.Config{BaseURL: ts.URL + "/ycm", ClientID: ycmsim.DemoClientID,
		ClientSecret: ycmsim.DemoClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	crm, err := crmclient.New(crmclient.Config{BaseURL: ts.URL + "/crm", Login: crmsim.DemoLogin,
		Password: crmsim.DemoPassword})
	if err != nil {
		t.Fatal(err)
	}
	svc := customer.NewService(customer.Sources{U8: u8, YCM: ycm, CRM: crm}, customer.ServiceOptions{})
	h := loader.Middleware(svc, loader.Options{})(graph.NewHandler(
		&graph.Resolver{Service: svc, SelfDefineLabels: map[int]string{1: "信用等级", 2: "结算方式"}},
		graph.HandlerOptions{Introspection: true}))
	return &env{sim: s, simURL: ts.URL, svc: svc, gql: client.New(h), http: h}
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
func (e *env) stats() harness.Stats { return e.sim.Stats() }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
