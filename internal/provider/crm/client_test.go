package crm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/sim/calls"
	crmsim "custgraph/internal/sim/crm"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
	"custgraph/internal/testclock"
)

// newClock is a settable time source shared by a test's simulator and client.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC))
}

// env is a client talking to the real simulator over HTTP.
type env struct {
	c     *Client
	url   string
	rec   *calls.Recorder
	world *fixture.World
}

// setup serves n companies (quota off unless so sets one) and builds a
// client with the demo credentials, adjusted by mod.
func setup(t *testing.T, n int, so crmsim.Options, mod func(*Config)) *env {
	t.Helper()
	w := fixture.Generate(fixture.Options{Seed: 11, Customers: n})
	so.Companies = w.CRM
	if so.Recorder == nil {
		so.Recorder = calls.NewRecorder()
	}
	if so.RateLimit == 0 {
		so.RateLimit = crmsim.RateLimitOff
	}
	srv := httptest.NewServer(crmsim.New(so))
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL, Login: crmsim.DemoLogin, Password: crmsim.DemoPassword, HTTPClient: srv.Client()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{c: c, url: srv.URL, rec: so.Recorder, world: w}
}

func (e *env) calls(route string) int { return e.rec.Snapshot().Calls["crm "+route] }

func (e *env) logins() int { return e.calls("POST /api/v2/auth/login") }

// ids lists every customer's id in list order.
func (e *env) ids(t *testing.T) []string {
	t.Helper()
	p, err := e.c.List(context.Background(), customer.ListQuery{PageSize: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range p.Customers {
		ids = append(ids, c.SourceID)
	}
	return ids
}

// wantReason fails unless err is an upstream CRM error of reason.
func wantReason(t *testing.T, err error, reason customer.Reason, code string) {
	t.Helper()
	var e *customer.Error
	if !errors.As(err, &e) || e.Code != customer.CodeUpstream || e.Source != customer.CRM || e.Reason != reason || e.UpstreamCode != code {
		t.Fatalf("got error %#v, want a CRM %s error with upstream code %q", err, reason, code)
	}
}

func ptr[T any](v T) *T { return &v }

func TestNewValidatesConfig(t *testing.T) {
	good := Config{BaseURL: "https://dingtalk.e.ikcrm.com", Login: "13800000000", Password: "pw-SECRET"}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "BaseURL"},
		{"relative base URL", func(c *Config) { c.BaseURL = "dingtalk.e.ikcrm.com" }, "BaseURL"},
		{"base URL with query", func(c *Config) { c.BaseURL = "https://x.example/?password=pw-SECRET" }, "BaseURL"},
		{"no login", func(c *Config) { c.Login = "" }, "Login"},
		{"no password", func(c *Config) { c.Password = "" }, "Password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mod(&cfg)
			_, err := New(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New: %v, want an error naming %s", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "pw-SECRET"):
				t.Fatalf("New: %v prints the password", err)
			}
		})
	}
}

func TestConfigMasksThePassword(t *testing.T) {
	cfg := Config{BaseURL: "https://x.example/crm", Login: "13800000000", Password: "pw-SECRET"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(verb, cfg); strings.Contains(got, "pw-SECRET") || !strings.Contains(got, "13800000000") {
			t.Errorf("Sprintf(%q, cfg) = %s, want the login and no password", verb, got)
		}
	}
}

func TestGet(t *testing.T) {
	e := setup(t, 12, crmsim.Options{}, nil)
	ctx := context.Background()
	for i, id := range e.ids(t) {
		co := e.world.CRM[i]
		got, err := e.c.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		if got.Source != customer.CRM || got.SourceID != id || got.CRM == nil || got.CRM.ID != id || got.Name != co.Name {
			t.Errorf("Get(%s) = %s %s %q, want CRM %s %q", id, got.Source, got.SourceID, got.Name, id, co.Name)
		}
		if want := co.Created.Truncate(time.Minute); got.CreatedAt == nil || !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != customer.Shanghai {
			t.Errorf("Get(%s).CreatedAt = %v, want %v in Asia/Shanghai", id, got.CreatedAt, want)
		}
		if want := co.Modified.Truncate(time.Minute); got.UpdatedAt == nil || !got.UpdatedAt.Equal(want) {
			t.Errorf("Get(%s).UpdatedAt = %v, want %v", id, got.UpdatedAt, want)
		}
		if got.Email == nil || *got.Email != co.Email {
			t.Errorf("Get(%s).Email = %v, want %s", id, got.Email, co.Email)
		}
		if !slices.Contains(got.Phones, customer.Phone{Kind: customer.PhoneWork, Number: co.Tel}) ||
			(co.Fax != "") != slices.Contains(got.Phones, customer.Phone{Kind: customer.PhoneFax, Number: co.Fax}) {
			t.Errorf("Get(%s).Phones = %v, want WORK %s and FAX %q", id, got.Phones, co.Tel, co.Fax)
		}
		a := got.Address
		if a == nil || *a.Formatted != co.Address || *a.PostalCode != co.Postcode || *a.Country != "中国" || *a.City != co.City ||
			!strings.HasPrefix(co.Province, *a.Region) {
			t.Errorf("Get(%s).Address = %+v, want %s %s %s %s", id, a, co.Address, co.Postcode, co.Province, co.City)
		}
		if (co.Remark == "") != (got.Remark == nil) || (got.Remark != nil && *got.Remark != co.Remark) {
			t.Errorf("Get(%s).Remark = %v, want %q", id, got.Remark, co.Remark)
		}
		if got.ContactName == nil || *got.ContactName != co.Contacts[0].Name || len(got.CRM.Contacts) != len(co.Contacts) {
			t.Errorf("Get(%s): contact %v and %d contacts, want %s and %d", id, got.ContactName, len(got.CRM.Contacts), co.Contacts[0].Name, len(co.Contacts))
		}
		// The detail embeds contacts with partial addresses.
		if ca := got.CRM.Contacts[0].Address; ca == nil || ca.Phone == nil || *ca.Phone != co.Contacts[0].Mobile || ca.Email != nil {
			t.Errorf("Get(%s) first contact address %+v, want the mobile and no email", id, ca)
		}
		if got.CRM.OwnerID == nil || got.CRM.OwnerName == nil || got.CRM.ApproveStatus == nil || got.CRM.Labels == nil {
			t.Errorf("Get(%s).CRM = %+v, want owner, approve status and labels", id, got.CRM)
		}
	}
}

func TestGetNotFoundAndBadID(t *testing.T) {
	e := setup(t, 5, crmsim.Options{}, nil)
	ctx := context.Background()
	if _, err := e.c.Get(ctx, "1"); !customer.IsNotFound(err) {
		t.Errorf("Get(1): %v, want not found", err)
	}
	if _, err := e.c.Contacts(ctx, "1"); !customer.IsNotFound(err) {
		t.Errorf("Contacts(1): %v, want not found", err)
	}
	before := e.rec.Snapshot().Total("crm ")
	for _, id := range []string{"", "abc", "-1", "8 31", "831/contacts", strings.Repeat("9", 19)} {
		_, err := e.c.Get(ctx, id)
		var ce *customer.Error
		if !errors.As(err, &ce) || ce.Code != customer.CodeBadInput {
			t.Errorf("Get(%q): %v, want BAD_USER_INPUT", id, err)
		}
		if _, err := e.c.Contacts(ctx, id); !errors.As(err, &ce) || ce.Code != customer.CodeBadInput {
			t.Errorf("Contacts(%q): %v, want BAD_USER_INPUT", id, err)
		}
	}
	if after := e.rec.Snapshot().Total("crm "); after != before {
		t.Errorf("bad ids made %d calls, want none", after-before)
	}
}

func TestListWalksEveryRecordOnce(t *testing.T) {
	e := setup(t, 45, crmsim.Options{}, nil)
	seen := map[string]bool{}
	var names []string
	q := customer.ListQuery{Page: 1, PageSize: 7}
	for {
		p, err := e.c.List(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != q.Page || p.PageSize != 7 || p.Total != 45 {
			t.Fatalf("page %d: Page %d, PageSize %d, Total %d; want %d, 7, 45", q.Page, p.Page, p.PageSize, p.Total, q.Page)
		}
		for _, c := range p.Customers {
			if seen[c.SourceID] {
				t.Errorf("id %s on two pages", c.SourceID)
			}
			seen[c.SourceID] = true
			names = append(names, c.Name)
		}
		if !p.HasMore() {
			break
		}
		q.Page++
	}
	var want []string
	for _, c := range e.world.CRM {
		want = append(want, c.Name)
	}
	if !slices.Equal(names, want) || q.Page != 7 {
		t.Errorf("walked %d pages giving %d records, want 7 pages with all 45 in order", q.Page, len(names))
	}
}

func TestListPageSize(t *testing.T) {
	e := setup(t, 120, crmsim.Options{}, nil)
	tests := []struct {
		give             customer.ListQuery
		wantPage, wantSz int
		wantLen          int
	}{
		{customer.ListQuery{}, 1, DefaultPageSize, DefaultPageSize},
		{customer.ListQuery{Page: -2, PageSize: 1000}, 1, MaxPageSize, MaxPageSize},
		{customer.ListQuery{Page: 2, PageSize: 100}, 2, 100, 20},
		{customer.ListQuery{Page: 5, PageSize: 100}, 5, 100, 0},
	}
	for _, tt := range tests {
		p, err := e.c.List(context.Background(), tt.give)
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != tt.wantPage || p.PageSize != tt.wantSz || len(p.Customers) != tt.wantLen || p.Total != 120 {
			t.Errorf("List(%+v) = page %d size %d with %d of %d, want %d %d with %d of 120",
				tt.give, p.Page, p.PageSize, len(p.Customers), p.Total, tt.wantPage, tt.wantSz, tt.wantLen)
		}
	}
}

func TestListFilter(t *testing.T) {
	e := setup(t, 60, crmsim.Options{}, nil)
	since := time.Date(2030, 1, 1, 0, 0, 0, 0, customer.Shanghai)
	tests := []struct {
		name   string
		filter customer.Filter
		match  func(*fixture.Company) bool
	}{
		{"keyword", customer.Filter{Name: e.world.CRM[4].Brand}, func(c *fixture.Company) bool { return strings.Contains(c.Name, e.world.CRM[4].Brand) }},
		{"keyword with spaces", customer.Filter{Name: " 有限 "}, func(c *fixture.Company) bool { return strings.Contains(c.Name, "有限") }},
		{"not pushed down", customer.Filter{UpdatedSince: &since, CodeFrom: "9"}, func(*fixture.Company) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for _, c := range e.world.CRM {
				if tt.match(c) {
					want++
				}
			}
			p, err := e.c.List(context.Background(), customer.ListQuery{PageSize: MaxPageSize, Filter: tt.filter})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != want || len(p.Customers) != want {
				t.Errorf("Total %d with %d records, want %d", p.Total, len(p.Customers), want)
			}
		})
	}
}

func TestFindByName(t *testing.T) {
	e := setup(t, 30, crmsim.Options{}, nil)
	ctx := context.Background()
	co := e.world.CRM[9]
	got, err := e.c.FindByName(ctx, co.Name)
	if err != nil || len(got) != 1 || got[0].Name != co.Name || got[0].CRM.Address == nil || got[0].CRM.Address.RegionInfo == nil {
		t.Fatalf("FindByName(%q) = %v, %v; want the one record with its address", co.Name, got, err)
	}
	for _, name := range []string{co.Name[:len(co.Name)-3], "没有这家公司", ""} {
		got, err := e.c.FindByName(ctx, name)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("FindByName(%q) = %v, %v; want an empty slice", name, got, err)
		}
	}
	if n := e.calls("GET /api/v2/duplicates/matching_name"); n != 3 {
		t.Errorf("%d matching_name calls, want 3 (none for the empty name)", n)
	}
}

func TestContactsWalksPages(t *testing.T) {
	e := setup(t, 30, crmsim.Options{}, nil)
	e.c.contactsPerPage = 1
	ids := e.ids(t)
	i := slices.IndexFunc(e.world.CRM, func(c *fixture.Company) bool { return len(c.Contacts) >= 2 })
	co := e.world.CRM[i]
	got, err := e.c.Contacts(context.Background(), ids[i])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(co.Contacts) {
		t.Fatalf("%d contacts, want %d", len(got), len(co.Contacts))
	}
	for j, ct := range got {
		p := co.Contacts[j]
		a := ct.Address
		if ct.Name != p.Name || ct.ID == "" || a == nil || *a.Phone != p.Mobile || *a.Email != p.Email || a.Latitude != nil || a.Longitude != nil || *a.DetailAddress != co.Address {
			t.Errorf("contact %d = %+v with address %+v, want %s %s %s and no lat/lng (0.0 means unknown)", j, ct, a, p.Name, p.Mobile, p.Email)
		}
	}
	if n := e.calls("GET /api/v2/customers/{id}/contacts"); n != len(co.Contacts) {
		t.Errorf("%d contacts calls, want one per page (%d)", n, len(co.Contacts))
	}
}

func TestRateLimitedIsNotRetried(t *testing.T) {
	clk := newClock()
	e := setup(t, 5, crmsim.Options{Now: clk.Now, RateLimit: 3, RatePer: 300 * time.Millisecond}, func(c *Config) { c.Now = clk.Now })
	ctx := context.Background()
	for i := 0; i < 2; i++ { // login + 2 lists fill the quota
		if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.c.List(ctx, customer.ListQuery{})
	wantReason(t, err, customer.ReasonRateLimited, "100429")
	if !customer.IsTransient(err) {
		t.Errorf("%v is not transient", err)
	}
	if n, r := e.calls("GET /api/v2/customers"), e.rec.Snapshot().Rejected["crm rate_limited"]; n != 3 || r != 1 {
		t.Errorf("%d list calls and %d throttled, want 3 and 1 (no retry)", n, r)
	}
	clk.Advance(300 * time.Millisecond)
	if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestSimulatorFaults(t *testing.T) {
	faults := fault.New(0, 0, 3)
	e := setup(t, 5, crmsim.Options{Faults: faults}, nil)
	ctx := context.Background()
	ids := e.ids(t) // logs in while the CRM is healthy
	faults.Set(0, 1)
	codes := map[string]int{}
	for i := 0; i < 30; i++ {
		_, err := e.c.Get(ctx, ids[0])
		var ce *customer.Error
		if !errors.As(err, &ce) || ce.Reason != customer.ReasonUnavailable || !ce.Transient() {
			t.Fatalf("Get under faults: %#v, want UNAVAILABLE", err)
		}
		codes[ce.UpstreamCode]++
	}
	if codes["500"] == 0 || codes[""] == 0 || len(codes) != 2 {
		t.Errorf("upstream codes %v, want both the envelope's 500 and none (5xx pages, drops)", codes)
	}
	if e.logins() != 1 {
		t.Errorf("%d logins, want 1: faults must not trigger a relogin", e.logins())
	}
}

func TestTransportFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		ctx     func() (context.Context, context.CancelFunc)
		want    customer.Reason
	}{
		{"dropped", func(w http.ResponseWriter, r *http.Request) { fault.Hangup(w) },
			func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, customer.ReasonUnavailable},
		{"too slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			}, customer.ReasonTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stub(t, tt.handler)
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := c.Get(ctx, "831")
			wantReason(t, err, tt.want, "")
		})
	}
	c, _ := New(Config{BaseURL: "http://127.0.0.1:1", Login: "x", Password: "y"})
	_, err := c.Get(context.Background(), "831")
	wantReason(t, err, customer.ReasonUnavailable, "")
}

// stub serves a login that always succeeds and h for everything else.
func stub(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/auth/login", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"code":0,"data":{"user_token":"stub-token"}}`))
	})
	mux.Handle("/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Login: "x", Password: "y", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestThrottledReadsStatusAndCode: the CRM's quota refusal is told by HTTP
// 429 or by its throttle code in an envelope of any status, and reading
// the code leaves the body whole for the client.
func TestThrottledReadsStatusAndCode(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"429 without an envelope", http.StatusTooManyRequests, "<html>busy</html>", true},
		{"throttle code on 200", http.StatusOK, `{"code":100429,"message":"请求过于频繁"}`, true},
		{"throttle code as a string", http.StatusBadRequest, `{"code":"100429"}`, true},
		{"another code", http.StatusOK, `{"code":100401,"message":"session"}`, false},
		{"data", http.StatusOK, `{"code":0,"data":{"customers":[]}}`, false},
		{"a long answer is data", http.StatusOK, `{"code":100429,"pad":"` + strings.Repeat("x", 5000) + `"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: -1}
			if got := Throttled(resp); got != tt.want {
				t.Errorf("Throttled = %v, want %v", got, tt.want)
			}
			if rest, _ := io.ReadAll(resp.Body); string(rest) != tt.body {
				t.Errorf("body after Throttled: %q", rest)
			}
		})
	}
}
