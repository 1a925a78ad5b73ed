package ycm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"go.uber.org/goleak"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
	ycmsim "custgraph/internal/sim/ycm"
	"custgraph/internal/testclock"
)

// TestMain fails the run if a goroutine outlives the tests (token
// renewals, concurrent page fetches).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	routeToken     = "ycm " + ycmsim.RouteToken
	routeCustomers = "ycm " + ycmsim.RouteCustomers
	routeCustomer  = "ycm " + ycmsim.RouteCustomer
)

// newClock is a settable Now.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, customer.Shanghai))
}

// testbed is the client against the real simulator over HTTP. The
// simulator and the client have their own clocks, so tests can make the
// vendor expire a token the client still trusts.
type testbed struct {
	client             *Client
	rec                *calls.Recorder
	faults             *fault.Injector
	simClock, cliClock *testclock.Clock
	companies          []*fixture.Company
	mu                 sync.Mutex
	grants             []string     // grant_type of each token request
	queries            []url.Values // query of each list request
}

type setupOptions struct {
	customers  int
	secret     string
	refreshTTL time.Duration
}

func setup(t *testing.T, o setupOptions) *testbed {
	t.Helper()
	if o.customers == 0 {
		o.customers = 120
	}
	if o.secret == "" {
		o.secret = ycmsim.DemoClientSecret
	}
	tb := &testbed{
		rec: calls.NewRecorder(), faults: fault.New(0, 0, 7),
		simClock: newClock(), cliClock: newClock(),
		companies: fixture.Generate(fixture.Options{Seed: 11, Customers: o.customers}).YCM,
	}
	sim := ycmsim.New(ycmsim.Options{Companies: tb.companies, Recorder: tb.rec, Faults: tb.faults,
		Now: tb.simClock.Now, RefreshTTL: o.refreshTTL})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tb.mu.Lock()
		switch r.URL.Path {
		case "/ycm/dm/open_api/oauth/token":
			_ = r.ParseForm() // the simulator reads the parsed form
			tb.grants = append(tb.grants, r.PostForm.Get("grant_type"))
		case "/ycm/dm/open_api/v1/customers":
			tb.queries = append(tb.queries, r.URL.Query())
		}
		tb.mu.Unlock()
		http.StripPrefix("/ycm", sim).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + "/ycm/", ClientID: ycmsim.DemoClientID, ClientSecret: o.secret,
		HTTPClient: srv.Client(), Now: tb.cliClock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tb.client = c
	return tb
}

func (tb *testbed) calls(key string) int { return tb.rec.Snapshot().Calls[key] }

func (tb *testbed) grantLog() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return slices.Clone(tb.grants)
}

// wantUpstream checks that err is an upstream YCM error with reason.
func wantUpstream(t *testing.T, err error, reason customer.Reason, code string) {
	t.Helper()
	var e *customer.Error
	if !errors.As(err, &e) || e.Code != customer.CodeUpstream || e.Source != customer.YCM || e.Reason != reason || e.UpstreamCode != code {
		t.Fatalf("got %#v, want YCM %s upstream error with code %q", err, reason, code)
	}
}

func TestGet(t *testing.T) {
	tb := setup(t, setupOptions{})
	c := tb.companies[0]
	for _, key := range []string{"50086120", "0050086120"} {
		got, err := tb.client.Get(context.Background(), key)
		if err != nil {
			t.Fatalf("Get(%s): %v", key, err)
		}
		wantName := c.Name
		if ycmsim.IsIndividual(c) {
			wantName = c.Contacts[0].Name
		}
		if got.Source != customer.YCM || got.SourceID != "50086120" || got.YCM.CustomerID != "50086120" || got.Name != wantName ||
			got.ContactName == nil || *got.ContactName != c.Contacts[0].Name {
			t.Errorf("Get(%s) = %s %s %q contact %v, want YCM 50086120 %q contact %s",
				key, got.Source, got.SourceID, got.Name, got.ContactName, wantName, c.Contacts[0].Name)
		}
	}
	if n := tb.calls(routeToken); n != 1 {
		t.Errorf("got %d token calls for two Gets, want 1", n)
	}
}

func TestBadInput(t *testing.T) {
	tb := setup(t, setupOptions{})
	for _, key := range []string{"", "abc", "-1", "0", "+5", "1e5", " 5", "5 ", "99999999999999999999"} {
		_, err := tb.client.Get(context.Background(), key)
		if e := customer.AsError(err); e == nil || e.Code != customer.CodeBadInput {
			t.Errorf("Get(%q) = %v, want BAD_USER_INPUT", key, err)
		}
	}
	_, err := tb.client.List(context.Background(), customer.ListQuery{Page: maxPage + 1, PageSize: 100})
	if e := customer.AsError(err); e == nil || e.Code != customer.CodeBadInput {
		t.Errorf("List(page %d) = %v, want BAD_USER_INPUT", maxPage+1, err)
	}
	if n := tb.rec.Snapshot().Total("ycm "); n != 0 {
		t.Errorf("bad ids made %d calls, want 0", n)
	}
}

func TestGetNotFound(t *testing.T) {
	tb := setup(t, setupOptions{})
	_, err := tb.client.Get(context.Background(), "1")
	if !customer.IsNotFound(err) {
		t.Fatalf("Get(1) = %v, want not found", err)
	}
}

func TestListWalksEveryRecordOnce(t *testing.T) {
	tb := setup(t, setupOptions{customers: 130})
	for _, size := range []int{7, 50, 100, 120, 0} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			var ids []int
			for page := 1; ; page++ {
				p, err := tb.client.List(context.Background(), customer.ListQuery{Page: page, PageSize: size})
				if err != nil {
					t.Fatal(err)
				}
				wantSize := cmp.Or(size, MaxPageSize)
				if p.Page != page || p.PageSize != wantSize || p.Total != 130 {
					t.Fatalf("page %d: got page %d size %d total %d, want %d %d 130", page, p.Page, p.PageSize, p.Total, page, wantSize)
				}
				for _, c := range p.Customers {
					id, _ := strconv.Atoi(c.SourceID)
					ids = append(ids, id)
				}
				if !p.HasMore() {
					break
				}
			}
			if len(ids) != 130 || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 130 {
				t.Errorf("walk gave %d ids (sorted %v), want 130 distinct ascending", len(ids), slices.IsSorted(ids))
			}
		})
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, q := range tb.queries {
		if n, _ := strconv.Atoi(q.Get("pageSize")); n > MaxPageSize || q.Get("sort") != "customerId" {
			t.Errorf("asked YCM for %v, want pageSize ≤ %d sorted by customerId", q, MaxPageSize)
		}
	}
}

func TestListMapsLargePagesOntoYCMPages(t *testing.T) {
	tb := setup(t, setupOptions{customers: 260})
	want := mustGet(t, tb, 100).SourceID
	tb.mu.Lock()
	tb.queries = nil
	tb.mu.Unlock()
	p, err := tb.client.List(context.Background(), customer.ListQuery{Page: 2, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Customers) != 100 || p.Customers[0].SourceID != want {
		t.Errorf("page 2 of 100: %d records from %s, want 100 from %s", len(p.Customers), p.Customers[0].SourceID, want)
	}
	tb.mu.Lock()
	var pages []string
	for _, q := range tb.queries {
		pages = append(pages, q.Get("pageNumber"))
	}
	tb.mu.Unlock()
	slices.Sort(pages)
	if !slices.Equal(pages, []string{"3", "4"}) {
		t.Errorf("fetched YCM pages %v, want 3 and 4", pages)
	}
	// The last, partial page.
	p, err = tb.client.List(context.Background(), customer.ListQuery{Page: 3, PageSize: 120})
	if err != nil || len(p.Customers) != 20 || p.HasMore() {
		t.Errorf("page 3 of 120: %d records, more %v, err %v; want the last 20", len(p.Customers), p.HasMore(), err)
	}
}

// mustGet returns the record at index i of the customerId order.
func mustGet(t *testing.T, tb *testbed, i int) *customer.Customer {
	t.Helper()
	p, err := tb.client.List(context.Background(), customer.ListQuery{Page: i + 1, PageSize: 1})
	if err != nil || len(p.Customers) != 1 {
		t.Fatalf("record %d: %v", i, err)
	}
	return p.Customers[0]
}

func TestListPushesNoFilter(t *testing.T) {
	tb := setup(t, setupOptions{customers: 400})
	f := customer.Filter{Name: "zzz", UpdatedSince: &time.Time{}}
	p, err := tb.client.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 10, Filter: f})
	if err != nil || len(p.Customers) != 10 {
		t.Fatalf("got %v, %v; want an unfiltered page", p, err)
	}
	tb.mu.Lock()
	q := tb.queries[0]
	tb.mu.Unlock()
	if len(q) != 3 {
		t.Errorf("asked YCM with %v, want only pageSize, pageNumber and sort", q)
	}

	// The service filters by Name: a private person is found by the name
	// YCM holds, family name first.
	var person *fixture.Company
	idx := slices.IndexFunc(tb.companies, ycmsim.IsIndividual)
	if idx < 0 {
		t.Fatal("no private person among 400 records")
	}
	person = tb.companies[idx]
	c := mustGet(t, tb, idx)
	byName := customer.Filter{Name: person.Contacts[0].Family + person.Contacts[0].Given}
	if c.YCM.Company != nil || c.Name != person.Contacts[0].Name || !byName.Matches(c) {
		t.Errorf("private person mapped to %q (company %v), want %q matching the name filter", c.Name, c.YCM.Company, person.Contacts[0].Name)
	}
}

func TestAll(t *testing.T) {
	tb := setup(t, setupOptions{customers: 120})
	var n, batches int
	err := tb.client.All(context.Background(), func(cs []*customer.Customer) error {
		n += len(cs)
		batches++
		return nil
	})
	if err != nil || n != 120 || batches != 3 {
		t.Errorf("All: %d records in %d batches, err %v; want 120 in 3", n, batches, err)
	}
	stop := errors.New("enough")
	batches = 0
	err = tb.client.All(context.Background(), func([]*customer.Customer) error { batches++; return stop })
	if !errors.Is(err, stop) || batches != 1 {
		t.Errorf("All with a failing fn: %v after %d batches, want it to stop at once", err, batches)
	}
}

func TestTokenLifecycle(t *testing.T) {
	tb := setup(t, setupOptions{refreshTTL: time.Hour})
	get := func() {
		t.Helper()
		if _, err := tb.client.Get(context.Background(), "50086120"); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		get()
	}
	if g := tb.grantLog(); !slices.Equal(g, []string{"client_credentials"}) {
		t.Fatalf("5 calls made token requests %v, want one client_credentials", g)
	}

	// Shortly before expiry the client refreshes, and then uses the
	// rotated refresh token (the first one no longer works).
	for range 2 {
		tb.simClock.Advance(29*time.Minute + 30*time.Second)
		tb.cliClock.Advance(29*time.Minute + 30*time.Second)
		get()
	}
	if g := tb.grantLog(); !slices.Equal(g, []string{"client_credentials", "refresh_token", "refresh_token"}) {
		t.Fatalf("token requests %v, want client_credentials then two refreshes", g)
	}

	// The refresh token expired: the refresh grant fails and the client
	// falls back to its credentials.
	tb.simClock.Advance(2 * time.Hour)
	tb.cliClock.Advance(2 * time.Hour)
	get()
	if g := tb.grantLog(); !slices.Equal(g[3:], []string{"refresh_token", "client_credentials"}) {
		t.Fatalf("token requests %v, want a failed refresh then client_credentials", g)
	}
}

func TestReauthOn401(t *testing.T) {
	tb := setup(t, setupOptions{})
	if _, err := tb.client.Get(context.Background(), "50086120"); err != nil {
		t.Fatal(err)
	}
	// YCM expires the token while the client still trusts it.
	tb.simClock.Advance(time.Hour)
	if _, err := tb.client.Get(context.Background(), "50086120"); err != nil {
		t.Fatalf("Get after the vendor expired the token: %v", err)
	}
	if got, want := tb.calls(routeCustomer), 3; got != want {
		t.Errorf("got %d customer calls, want %d (one refused and retried)", got, want)
	}
	if g := tb.grantLog(); !slices.Equal(g, []string{"client_credentials", "refresh_token"}) {
		t.Errorf("token requests %v, want client_credentials then refresh_token", g)
	}
}

func TestAuthFailsAfterOneRetry(t *testing.T) {
	tb := setup(t, setupOptions{})
	tb.simClock.SetStep(time.Hour) // every token has expired by the time YCM checks it
	_, err := tb.client.Get(context.Background(), "50086120")
	wantUpstream(t, err, customer.ReasonAuth, codeBadAccessToken)
	if got := tb.calls(routeCustomer); got != 2 {
		t.Errorf("got %d customer calls, want 2 (one retry)", got)
	}
}

func TestBadCredentials(t *testing.T) {
	tb := setup(t, setupOptions{secret: "wrong-secret"})
	_, err := tb.client.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 10})
	wantUpstream(t, err, customer.ReasonAuth, codeBadClient)
	if got := tb.calls(routeCustomers); got != 0 {
		t.Errorf("got %d list calls without a token, want 0", got)
	}
}

func TestConcurrentCallersShareOneTokenRequest(t *testing.T) {
	tb := setup(t, setupOptions{})
	tb.faults.Set(20*time.Millisecond, 0) // keep the token request in flight
	run := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				_, err := tb.client.Get(context.Background(), "50086121")
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if g := tb.grantLog(); len(g) != 1 {
		t.Fatalf("16 concurrent callers made token requests %v, want 1", g)
	}
	tb.simClock.Advance(time.Hour)
	tb.cliClock.Advance(time.Hour)
	run()
	if g := tb.grantLog(); !slices.Equal(g, []string{"client_credentials", "refresh_token"}) {
		t.Fatalf("after expiry: token requests %v, want one refresh", g)
	}
}

func TestFaultMapping(t *testing.T) {
	tb := setup(t, setupOptions{})
	if _, err := tb.client.Get(context.Background(), "50086120"); err != nil {
		t.Fatal(err)
	}
	tb.faults.Set(0, 1)
	seen := map[string]int{}
	for range 30 {
		_, err := tb.client.Get(context.Background(), "50086120")
		var e *customer.Error
		if !errors.As(err, &e) || e.Reason != customer.ReasonUnavailable {
			t.Fatalf("under fail-rate 1: got %v, want UNAVAILABLE", err)
		}
		switch cause := errors.Unwrap(e).Error(); {
		case e.UpstreamCode == "10001":
			seen["envelope"]++
		case strings.HasPrefix(cause, "HTTP 5"):
			seen["status"]++
		default:
			seen["drop"]++
		}
	}
	if seen["envelope"] == 0 || seen["status"] == 0 || seen["drop"] == 0 {
		t.Errorf("fault shapes mapped %v, want each of envelope, status and drop", seen)
	}
}

func TestTimeout(t *testing.T) {
	tb := setup(t, setupOptions{})
	tb.faults.Set(time.Second, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := tb.client.Get(ctx, "50086120")
	wantUpstream(t, err, customer.ReasonTimeout, "")
}

func TestNoSecretInErrors(t *testing.T) {
	const secret, token, refresh = "s3cr3t-client-secret", "eyJ-access-token-value", "refresh-token-value"
	// A vendor that echoes what it gets, as Spring's OAuth errors do.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		switch {
		case r.PostForm.Get("grant_type") == "client_credentials" && r.PostForm.Get("client_secret") == secret:
			fmt.Fprintf(w, `{"access_token":%q,"refresh_token":%q,"token_type":"bearer","expires_in":1800}`, token, refresh)
		case r.PostForm.Get("grant_type") != "":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"status":"Failed","errorCode":20001,"message":"Bad client credentials: %s / %s"}`, r.PostForm.Get("client_secret"), r.PostForm.Get("refresh_token"))
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"status":"Failed","errorCode":"%s","message":"Invalid access token: %s","requestId":%q}`,
				r.Header.Get("Authorization"), r.Header.Get("Authorization"), r.URL.String())
		}
	}))
	defer echo.Close()
	// A vendor that hands out a token and then drops every call.
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":1800}`, token)
			return
		}
		fault.Hangup(w)
	}))
	defer drop.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	var errs []error
	for _, base := range []string{echo.URL, drop.URL, dead.URL} {
		for _, s := range []string{secret, "wrong-" + secret} {
			c, err := New(Config{BaseURL: base, ClientID: "id", ClientSecret: s, HTTPClient: echo.Client()})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Get(context.Background(), "42")
			errs = append(errs, err)
			_, err = c.List(context.Background(), customer.ListQuery{Page: 3, PageSize: 20})
			errs = append(errs, err)
		}
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("got no error, want one")
		}
		texts := []string{customer.AsError(err).UpstreamCode}
		for e := err; e != nil; e = errors.Unwrap(e) {
			texts = append(texts, e.Error(), fmt.Sprintf("%+v", e))
		}
		for _, text := range texts {
			for _, bad := range []string{secret, token, refresh, "pageNumber=", "?"} {
				if strings.Contains(text, bad) {
					t.Errorf("error text %q holds %q", text, bad)
				}
			}
		}
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		give Config
		want string
	}{
		{Config{ClientID: "a", ClientSecret: "topsecret"}, "BaseURL"},
		{Config{BaseURL: "ycm.yeastar.com", ClientID: "a", ClientSecret: "topsecret"}, "BaseURL"},
		{Config{BaseURL: "https://u:topsecret@x/?k=topsecret", ClientID: "a", ClientSecret: "topsecret"}, "BaseURL"},
		{Config{BaseURL: "https://ycm.yeastar.com", ClientSecret: "topsecret"}, "ClientID"},
		{Config{BaseURL: "https://ycm.yeastar.com", ClientID: "a"}, "ClientSecret"},
	}
	for _, tt := range tests {
		_, err := New(tt.give)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("New(%s…) = %v, want an error naming %s without the secret", tt.give.BaseURL, err, tt.want)
		}
	}
	if c, err := New(Config{BaseURL: "https://ycm.yeastar.com", ClientID: "a", ClientSecret: "b"}); err != nil || c.http == nil {
		t.Errorf("New with a full config: %v, want a client with the default HTTP client", err)
	}
}
