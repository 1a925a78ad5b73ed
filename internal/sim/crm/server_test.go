package crm_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/crm"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
	"custgraph/internal/testclock"
)

// newClock is a settable time source for sessions and the quota.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC))
}

type env struct {
	url   string
	rec   *calls.Recorder
	world *fixture.World
}

// start serves a simulator over n companies with the quota off unless o
// sets one.
func start(t *testing.T, n int, o crm.Options) *env {
	t.Helper()
	w := fixture.Generate(fixture.Options{Seed: 42, Customers: n})
	if o.Recorder == nil {
		o.Recorder = calls.NewRecorder()
	}
	if o.RateLimit == 0 {
		o.RateLimit = crm.RateLimitOff
	}
	o.Companies = w.CRM
	srv := httptest.NewServer(crm.New(o))
	t.Cleanup(srv.Close)
	return &env{url: srv.URL, rec: o.Recorder, world: w}
}

// answer is a decoded vendor envelope.
type answer struct {
	Status  int
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Error   string          `json:"error"`
	Data    json.RawMessage `json:"data"`
	Raw     []byte
	Header  http.Header
}

func (e *env) send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Raw: raw, Header: resp.Header}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", req.Method, req.URL.Path, raw, err)
	}
	return a
}

func authHeader(tok string) string {
	return "Token token=" + tok + ", device=open_api, version_code=9.9.9"
}

func (e *env) get(t *testing.T, path, tok string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", authHeader(tok))
	}
	return e.send(t, req)
}

func (e *env) login(t *testing.T) string {
	t.Helper()
	body := `{"login":"` + crm.DemoLogin + `","password":"` + crm.DemoPassword + `","device":"open_api","version_code":"9.9.9"}`
	req, _ := http.NewRequest("POST", e.url+"/api/v2/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	a := e.send(t, req)
	var d struct {
		UserToken string `json:"user_token"`
	}
	if a.Code != 0 || json.Unmarshal(a.Data, &d) != nil || d.UserToken == "" {
		t.Fatalf("demo login answered %s", a.Raw)
	}
	return d.UserToken
}

func TestLogin(t *testing.T) {
	good := url.Values{"login": {crm.DemoLogin}, "password": {crm.DemoPassword}, "device": {"open_api"}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range good {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	tests := []struct {
		name     string
		ctype    string
		body     string
		query    string
		wantCode int
	}{
		{"json", "application/json", `{"login":"13800000000","password":"demo-password","device":"open_api"}`, "", 0},
		{"json login as number", "application/json", `{"login":13800000000,"password":"demo-password","device":"open_api","version_code":"9.9.9"}`, "", 0},
		{"form", "application/x-www-form-urlencoded", good.Encode(), "", 0},
		{"query", "", "", good.Encode(), 0},
		{"demo corp", "application/x-www-form-urlencoded", with("corp_id", crm.DemoCorpID).Encode(), "", 0},
		{"wrong password", "application/x-www-form-urlencoded", with("password", "nope").Encode(), "", crm.CodeBadCredentials},
		{"wrong login", "application/json", `{"login":"13900000000","password":"demo-password","device":"open_api"}`, "", crm.CodeBadCredentials},
		{"unknown corp", "application/x-www-form-urlencoded", with("corp_id", "wwjOther").Encode(), "", crm.CodeBadCredentials},
		{"wrong device", "application/x-www-form-urlencoded", with("device", "dingtalk").Encode(), "", crm.CodeBadRequest},
		{"wrong version_code", "application/x-www-form-urlencoded", with("version_code", "3.13.0").Encode(), "", crm.CodeBadRequest},
		{"nothing", "", "", "", crm.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, 5, crm.Options{})
			req, _ := http.NewRequest("POST", e.url+"/api/v2/auth/login?"+tt.query, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			a := e.send(t, req)
			if a.Code != tt.wantCode {
				t.Fatalf("code %d (%s), want %d", a.Code, a.Raw, tt.wantCode)
			}
			rejected := e.rec.Snapshot().Rejected["crm unauthorized"]
			if tt.wantCode == 0 {
				if !regexp.MustCompile(`"user_token":"[0-9a-f]{32}"`).Match(a.Raw) || rejected != 0 {
					t.Errorf("login answered %s with %d rejections, want a hex user_token and none", a.Raw, rejected)
				}
				return
			}
			if string(a.Data) != "null" || a.Message == "" || rejected != 1 {
				t.Errorf("refusal %s counted %d times, want data null, a message, and 1 rejection", a.Raw, rejected)
			}
		})
	}
}

func TestAuthorization(t *testing.T) {
	e := start(t, 5, crm.Options{})
	tok := e.login(t)
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"spaces", "Token token=" + tok + ", device=open_api, version_code=9.9.9", 0},
		{"no spaces", "Token token=" + tok + ",device=open_api,version_code=9.9.9", 0},
		{"quoted", `Token token="` + tok + `", device="open_api", version_code="9.9.9"`, 0},
		{"missing", "", crm.CodeBadRequest},
		{"bearer", "Bearer " + tok, crm.CodeBadRequest},
		{"no device", "Token token=" + tok + ", version_code=9.9.9", crm.CodeBadRequest},
		{"other version", "Token token=" + tok + ", device=open_api, version_code=3.13.0", crm.CodeBadRequest},
		{"unknown token", authHeader("0123456789abcdef0123456789abcdef"), crm.CodeNotLoggedIn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.rec.Snapshot().Rejected["crm unauthorized"]
			req, _ := http.NewRequest("GET", e.url+"/api/v2/customers", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			a := e.send(t, req)
			if a.Code != tt.want {
				t.Fatalf("code %d (%s), want %d", a.Code, a.Raw, tt.want)
			}
			wantRejected := before
			if tt.want != 0 {
				wantRejected++
			}
			if got := e.rec.Snapshot().Rejected["crm unauthorized"]; got != wantRejected {
				t.Errorf("unauthorized count %d, want %d", got, wantRejected)
			}
		})
	}
}

func TestNewLoginEndsPreviousSession(t *testing.T) {
	e := start(t, 5, crm.Options{})
	first := e.login(t)
	second := e.login(t)
	a := e.get(t, "/api/v2/customers", first)
	if a.Code != crm.CodeLoggedInElsewhere || a.Message != "你的帐号已在其他地方登录,本地已经下线" || string(a.Data) != "null" {
		t.Errorf("old token got %s, want code 100401 with the seed's message", a.Raw)
	}
	if a := e.get(t, "/api/v2/customers", second); a.Code != 0 {
		t.Errorf("new token got %s, want code 0", a.Raw)
	}
}

func TestSessionTTL(t *testing.T) {
	clk := newClock()
	e := start(t, 5, crm.Options{Now: clk.Now, SessionTTL: time.Hour})
	tok := e.login(t)
	clk.Advance(59 * time.Minute)
	if a := e.get(t, "/api/v2/customers", tok); a.Code != 0 {
		t.Fatalf("token before its TTL got %s, want code 0", a.Raw)
	}
	clk.Advance(time.Minute)
	if a := e.get(t, "/api/v2/customers", tok); a.Code != crm.CodeNotLoggedIn {
		t.Errorf("token after its TTL got %s, want code %d", a.Raw, crm.CodeNotLoggedIn)
	}
}

type listPage struct {
	Customers []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	} `json:"customers"`
	TotalCount int `json:"total_count"`
	PerPage    int `json:"per_page"`
	Page       int `json:"page"`
}

func (e *env) list(t *testing.T, tok string, q url.Values) listPage {
	t.Helper()
	a := e.get(t, "/api/v2/customers?"+q.Encode(), tok)
	var p listPage
	if a.Code != 0 || json.Unmarshal(a.Data, &p) != nil {
		t.Fatalf("list %s answered %s", q.Encode(), a.Raw)
	}
	return p
}

func TestListPaging(t *testing.T) {
	e := start(t, 40, crm.Options{})
	tok := e.login(t)

	var ids []int
	for page := 1; ; page++ {
		p := e.list(t, tok, url.Values{"page": {strconv.Itoa(page)}, "per_page": {"7"}})
		if p.TotalCount != 40 || p.PerPage != 7 || p.Page != page {
			t.Fatalf("page %d says total %d, per_page %d, page %d; want 40, 7, %d", page, p.TotalCount, p.PerPage, p.Page, page)
		}
		if len(p.Customers) == 0 {
			break
		}
		for _, c := range p.Customers {
			ids = append(ids, c.ID)
		}
	}
	ascending := len(ids) == 40 && ids[0] >= 831
	for i := 1; i < len(ids); i++ {
		ascending = ascending && ids[i] > ids[i-1]
	}
	if !ascending {
		t.Errorf("walking all pages gave ids %v, want 40 distinct ascending ids from 831", ids)
	}

	tests := []struct {
		give            url.Values
		wantPer, wantPg int
		wantLen         int
	}{
		{url.Values{}, crm.DefaultPerPage, 1, crm.DefaultPerPage},
		{url.Values{"per_page": {"1000"}}, crm.MaxPerPage, 1, 40},
		{url.Values{"per_page": {"0"}, "page": {"-3"}}, crm.DefaultPerPage, 1, crm.DefaultPerPage},
		{url.Values{"per_page": {"15"}, "page": {"3"}}, 15, 3, 10},
		{url.Values{"page": {"9"}}, crm.DefaultPerPage, 9, 0},
	}
	for _, tt := range tests {
		p := e.list(t, tok, tt.give)
		if p.PerPage != tt.wantPer || p.Page != tt.wantPg || len(p.Customers) != tt.wantLen {
			t.Errorf("list %q: per_page %d, page %d, %d customers; want %d, %d, %d",
				tt.give.Encode(), p.PerPage, p.Page, len(p.Customers), tt.wantPer, tt.wantPg, tt.wantLen)
		}
	}
	if a := e.get(t, "/api/v2/customers?page=9", tok); !bytes.Contains(a.Raw, []byte(`"customers":[]`)) {
		t.Errorf("a page past the end answered %s, want an empty customers array", a.Raw)
	}
}

func TestListQuery(t *testing.T) {
	e := start(t, 60, crm.Options{})
	tok := e.login(t)
	for _, kw := range []string{e.world.CRM[3].Brand, strings.TrimSuffix(e.world.CRM[0].City, "市"), "有限公司", "不存在的关键字"} {
		want := 0
		for _, c := range e.world.CRM {
			if strings.Contains(c.Name, kw) {
				want++
			}
		}
		p := e.list(t, tok, url.Values{"query": {kw}, "per_page": {"100"}})
		if p.TotalCount != want || len(p.Customers) != want {
			t.Errorf("query %q: total %d with %d customers, want %d", kw, p.TotalCount, len(p.Customers), want)
		}
		for _, c := range p.Customers {
			if !strings.Contains(c.Name, kw) {
				t.Errorf("query %q returned %q", kw, c.Name)
			}
		}
	}
}

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s is not an object: %v", raw, err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func field(t *testing.T, raw json.RawMessage, path ...any) json.RawMessage {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("at %v: %v", p, err)
			}
			raw = m[p]
		case int:
			var a []json.RawMessage
			if err := json.Unmarshal(raw, &a); err != nil || p >= len(a) {
				t.Fatalf("at [%d]: %v (len %d)", p, err, len(a))
			}
			raw = a[p]
		}
	}
	return raw
}

func TestMatchingNameIsShapedLikeTheSeed(t *testing.T) {
	seed, err := os.ReadFile("testdata/matching_name.json")
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, 40, crm.Options{})
	tok := e.login(t)
	var c *fixture.Company
	for _, co := range e.world.CRM {
		if len(co.Contacts) > 0 {
			c = co
			break
		}
	}
	a := e.get(t, "/api/v2/duplicates/matching_name?name="+url.QueryEscape(c.Name), tok)
	if a.Code != 0 {
		t.Fatalf("matching_name answered %s", a.Raw)
	}
	got := json.RawMessage(a.Raw)
	for _, path := range [][]any{
		{"data"},
		{"data", "customers", 0},
		{"data", "customers", 0, "address"},
		{"data", "customers", 0, "contacts", 0},
		{"data", "customers", 0, "contacts", 0, "address"},
	} {
		if g, w := keys(t, field(t, got, path...)), keys(t, field(t, seed, path...)); !slices.Equal(g, w) {
			t.Errorf("keys at %v:\n got %v\nwant %v", path, g, w)
		}
	}
	item := field(t, got, "data", "customers", 0)
	if name := string(field(t, item, "name")); name != `"`+c.Name+`"` {
		t.Errorf("name %s, want %q", name, c.Name)
	}
	for _, tt := range []struct {
		path []any
		re   string
	}{
		{[]any{"created_at"}, `^"\d{4}-\d\d-\d\d \d\d:\d\d"$`},
		{[]any{"updated_at"}, `^"\d{4}-\d\d-\d\d \d\d:\d\d"$`},
		{[]any{"status"}, `^"(\d+)?"$`},
		{[]any{"labels"}, `^\[.*\]$`},
		{[]any{"address", "created_at"}, `^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+08:00"$`},
		{[]any{"address", "lat"}, `^("\d+\.\d{6}"|null)$`},
		{[]any{"address", "mode"}, `^"compat"$`},
		{[]any{"address", "use_to_json"}, `^true$`},
		{[]any{"address", "region_info"}, `^"中国.+区"$`},
		{[]any{"contacts", 0, "address", "addressable_type"}, `^null$`},
	} {
		if v := field(t, item, tt.path...); !regexp.MustCompile(tt.re).Match(v) {
			t.Errorf("%v = %s, want it to match %s", tt.path, v, tt.re)
		}
	}

	for _, name := range []string{c.Name[:len(c.Name)-3], c.Name + " ", "不存在的公司", ""} {
		a := e.get(t, "/api/v2/duplicates/matching_name?name="+url.QueryEscape(name), tok)
		if a.Code != 0 || string(a.Data) != `{"customers":[]}` {
			t.Errorf("matching_name %q answered %s, want no customers", name, a.Raw)
		}
	}
}

func TestDetail(t *testing.T) {
	e := start(t, 20, crm.Options{})
	tok := e.login(t)
	p := e.list(t, tok, url.Values{"per_page": {"20"}})
	for i, c := range e.world.CRM {
		a := e.get(t, "/api/v2/customers/"+strconv.Itoa(p.Customers[i].ID), tok)
		if a.Code != 0 {
			t.Fatalf("detail answered %s", a.Raw)
		}
		var d struct {
			Name        string          `json:"name"`
			Note        string          `json:"note"`
			CreatedAt   string          `json:"created_at"`
			Attachments string          `json:"attachments"`
			Creator     json.RawMessage `json:"creator"`
			Contacts    []struct {
				Name    string          `json:"name"`
				Address json.RawMessage `json:"address"`
			} `json:"contacts"`
		}
		if err := json.Unmarshal(a.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Name != c.Name || d.Note != c.Remark || d.CreatedAt != c.Created.Format("2006-01-02 15:04") || d.Attachments != "暂无附件" {
			t.Errorf("detail %q %q %q %q, want %q %q %q 暂无附件", d.Name, d.Note, d.CreatedAt, d.Attachments,
				c.Name, c.Remark, c.Created.Format("2006-01-02 15:04"))
		}
		if got, want := keys(t, d.Creator), []string{"avatar_url", "created_at", "department_name", "email", "id", "job", "name", "organization_id", "phone", "role_id", "tel", "uid", "workflow_state"}; !slices.Equal(got, want) {
			t.Errorf("creator keys %v, want %v", got, want)
		}
		if len(d.Contacts) != len(c.Contacts) {
			t.Fatalf("%d contacts, want %d", len(d.Contacts), len(c.Contacts))
		}
		for j, ct := range d.Contacts {
			if got, want := keys(t, ct.Address), []string{"id", "phone", "phone_hidden_result", "tel", "tel_hidden_result"}; ct.Name != c.Contacts[j].Name || !slices.Equal(got, want) {
				t.Errorf("contact %q with address keys %v, want %q with %v", ct.Name, got, c.Contacts[j].Name, want)
			}
		}
	}
}

func TestContacts(t *testing.T) {
	e := start(t, 30, crm.Options{})
	tok := e.login(t)
	p := e.list(t, tok, url.Values{"per_page": {"30"}})
	i := slices.IndexFunc(e.world.CRM, func(c *fixture.Company) bool { return len(c.Contacts) >= 2 })
	c, id := e.world.CRM[i], strconv.Itoa(p.Customers[i].ID)

	a := e.get(t, "/api/v2/customers/"+id+"/contacts", tok)
	if !bytes.Contains(a.Raw, []byte(`"lng":0.0,"lat":0.0`)) || !bytes.Contains(a.Raw, []byte(`"off_distance":-1`)) {
		t.Errorf("contacts answered %s, want lat/lng as the floats 0.0 and off_distance -1", a.Raw)
	}
	var names []string
	for page := 1; page <= len(c.Contacts)+1; page++ {
		var d struct {
			Contacts []struct {
				Name       string `json:"name"`
				CustomerID int    `json:"customer_id"`
			} `json:"contacts"`
			TotalCount int `json:"total_count"`
		}
		a := e.get(t, "/api/v2/customers/"+id+"/contacts?per_page=1&page="+strconv.Itoa(page), tok)
		if err := json.Unmarshal(a.Data, &d); err != nil || d.TotalCount != len(c.Contacts) {
			t.Fatalf("contacts page %d answered %s, want total_count %d", page, a.Raw, len(c.Contacts))
		}
		for _, ct := range d.Contacts {
			names = append(names, ct.Name)
		}
	}
	var want []string
	for _, p := range c.Contacts {
		want = append(want, p.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("contacts page by page: %v, want %v", names, want)
	}
}

func TestNotFound(t *testing.T) {
	e := start(t, 5, crm.Options{})
	tok := e.login(t)
	for _, path := range []string{"/api/v2/customers/1", "/api/v2/customers/abc", "/api/v2/customers/99999999/contacts"} {
		a := e.get(t, path, tok)
		if a.Code != crm.CodeNotFound || a.Error != "active_record/record_not_found" || a.Message != "您没有权限查看该对象或该对象不存在。" || string(a.Data) != "null" {
			t.Errorf("%s answered %s, want code 100100 record_not_found", path, a.Raw)
		}
	}
}

func TestFaults(t *testing.T) {
	faults := fault.New(0, 1, 7)
	e := start(t, 5, crm.Options{Faults: faults})
	seen := map[string]int{}
	const n = 40
	for i := 0; i < n; i++ {
		resp, err := http.Get(e.url + "/api/v2/customers")
		if err != nil {
			seen["drop"]++
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case (resp.StatusCode == 502 || resp.StatusCode == 503) && bytes.Contains(raw, []byte("<center>nginx</center>")):
			seen["html"]++
		case resp.StatusCode == 500 && bytes.Equal(bytes.TrimSpace(raw), []byte(`{"code":500,"data":null,"message":"服务器内部错误"}`)):
			seen["envelope"]++
		default:
			t.Errorf("fault answered %d %s", resp.StatusCode, raw)
		}
	}
	if seen["drop"] == 0 || seen["html"] == 0 || seen["envelope"] == 0 {
		t.Errorf("fault shapes seen %v, want each of drop, html and envelope", seen)
	}
	// net/http retries an idempotent request once on a dropped
	// connection, so the server may see more calls than were made.
	st := e.rec.Snapshot()
	if got, calls := st.Rejected["crm injected_fault"], st.Calls["crm GET /api/v2/customers"]; got != calls || calls < n {
		t.Errorf("injected_fault count %d over %d calls, want one per call and at least %d", got, calls, n)
	}
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	e := start(t, 5, crm.Options{Now: clk.Now, RateLimit: 3, RatePer: 300 * time.Millisecond})
	tok := e.login(t) // the login counts
	for i := 0; i < 2; i++ {
		clk.Advance(10 * time.Millisecond)
		if a := e.get(t, "/api/v2/customers", tok); a.Code != 0 {
			t.Fatalf("call %d within the quota answered %s", i+2, a.Raw)
		}
	}
	a := e.get(t, "/api/v2/customers", tok)
	if a.Status != http.StatusTooManyRequests || a.Code != crm.CodeRateLimited || !strings.Contains(a.Message, "请求过于频繁") || a.Header.Get("Retry-After") != "1" {
		t.Errorf("call over the quota answered %d %s (Retry-After %q), want 429 with code %d", a.Status, a.Raw, a.Header.Get("Retry-After"), crm.CodeRateLimited)
	}
	if got := e.rec.Snapshot().Rejected["crm rate_limited"]; got != 1 {
		t.Errorf("rate_limited count %d, want 1", got)
	}
	clk.Advance(300 * time.Millisecond) // the login leaves the window
	if a := e.get(t, "/api/v2/customers", tok); a.Code != 0 {
		t.Errorf("call after the window slid answered %s", a.Raw)
	}
}

func TestRateLimitDefaultAndOff(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		wantCalls int // accepted of 15
	}{
		{"default", 0, crm.DefaultRateLimit},
		{"off", crm.RateLimitOff, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			w := fixture.Generate(fixture.Options{Seed: 1, Customers: 3})
			srv := httptest.NewServer(crm.New(crm.Options{Companies: w.CRM, Now: clk.Now, RateLimit: tt.limit}))
			defer srv.Close()
			ok := 0
			for i := 0; i < 15; i++ {
				resp, err := http.Get(srv.URL + "/api/v2/customers")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok++
				}
			}
			if ok != tt.wantCalls {
				t.Errorf("%d of 15 calls passed the quota, want %d", ok, tt.wantCalls)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	paths := []string{
		"/api/v2/customers?per_page=50",
		"/api/v2/customers/835",
		"/api/v2/customers/835/contacts",
	}
	var runs [2][][]byte
	for i := range runs {
		e := start(t, 50, crm.Options{})
		tok := e.login(t)
		for _, p := range append(paths, "/api/v2/duplicates/matching_name?name="+url.QueryEscape(e.world.CRM[7].Name)) {
			runs[i] = append(runs[i], e.get(t, p, tok).Raw)
		}
	}
	for i := range runs[0] {
		if !bytes.Equal(runs[0][i], runs[1][i]) {
			t.Errorf("call %d differs between two servers from the same seed:\n%s\n%s", i, runs[0][i], runs[1][i])
		}
	}
}

func TestStatsKeys(t *testing.T) {
	e := start(t, 5, crm.Options{})
	tok := e.login(t)
	e.get(t, "/api/v2/customers", tok)
	e.get(t, "/api/v2/customers/831", tok)
	e.get(t, "/api/v2/customers/831/contacts", tok)
	e.get(t, "/api/v2/duplicates/matching_name?name=x", tok)
	e.get(t, "/api/v2/customers/abc", "") // refused, still counted
	got := e.rec.Snapshot().Calls
	want := map[string]int{
		"crm POST /api/v2/auth/login":              1,
		"crm GET /api/v2/customers":                1,
		"crm GET /api/v2/customers/{id}":           2,
		"crm GET /api/v2/customers/{id}/contacts":  1,
		"crm GET /api/v2/duplicates/matching_name": 1,
	}
	if len(got) != len(want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("calls[%q] = %d, want %d", k, got[k], v)
		}
	}
}
