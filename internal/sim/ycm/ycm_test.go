package ycm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
	"custgraph/internal/testclock"
)

type fixtureT struct {
	srv    *httptest.Server
	rec    *calls.Recorder
	faults *fault.Injector
	clock  *testclock.Clock // a settable Now for token expiry
	sim    *Server
}

func start(t *testing.T, customers int) *fixtureT {
	t.Helper()
	f := &fixtureT{rec: calls.NewRecorder(), faults: fault.New(0, 0, 1),
		clock: testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, fixture.Shanghai))}
	f.sim = New(Options{
		Companies: fixture.Generate(fixture.Options{Seed: 42, Customers: customers}).YCM,
		Recorder:  f.rec, Faults: f.faults, Now: f.clock.Now,
	})
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request and returns status and body. A nil header map sends
// the default User-Agent.
func (f *fixtureT) do(t *testing.T, method, path, token string, form url.Values, header http.Header) (int, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "OpenAPI")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func credentials(id, secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
}

func (f *fixtureT) login(t *testing.T) tokenAnswer {
	t.Helper()
	status, body := f.do(t, "POST", "/dm/open_api/oauth/token", "", credentials(DemoClientID, DemoClientSecret), nil)
	if status != http.StatusOK {
		t.Fatalf("login: HTTP %d %s, want 200", status, body)
	}
	var a tokenAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// failed decodes a Failed envelope and checks status and code.
func wantFailed(t *testing.T, status int, body []byte, wantStatus, wantCode int) {
	t.Helper()
	var e struct {
		Status    string `json:"status"`
		ErrorCode int    `json:"errorCode"`
		RequestID string `json:"requestId"`
		Time      int64  `json:"time"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if status != wantStatus || e.Status != "Failed" || e.ErrorCode != wantCode || len(e.RequestID) != 32 || e.Time == 0 {
		t.Errorf("got HTTP %d %s, want HTTP %d status Failed errorCode %d", status, body, wantStatus, wantCode)
	}
}

var jwtShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

func TestTokenEndpoint(t *testing.T) {
	f := start(t, 20)
	a := f.login(t)
	if !jwtShape.MatchString(a.AccessToken) || a.RefreshToken == "" || a.TokenType != "bearer" || a.ExpiresIn != 1800 || a.JTI == "" {
		t.Errorf("got token answer %+v, want a JWT, a refresh token, bearer, 1800 s and a jti", a)
	}

	tests := []struct {
		name       string
		form       url.Values
		header     http.Header
		wantStatus int
		wantCode   int
	}{
		{"bad secret", credentials(DemoClientID, "nope"), nil, 401, CodeBadClient},
		{"bad id", credentials("someone", DemoClientSecret), nil, 401, CodeBadClient},
		{"no credentials", url.Values{"grant_type": {"client_credentials"}}, nil, 401, CodeBadClient},
		{"no user agent", credentials(DemoClientID, DemoClientSecret), http.Header{"User-Agent": {""}}, 403, CodeUserAgentRequired},
		{"unknown grant", url.Values{"grant_type": {"password"}}, nil, 400, CodeUnsupportedGrant},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, nil, 400, CodeBadRefreshToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(t, "POST", "/dm/open_api/oauth/token", "", tt.form, tt.header)
			wantFailed(t, status, body, tt.wantStatus, tt.wantCode)
		})
	}
	if got := f.rec.Snapshot().Rejected["ycm unauthorized"]; got != 5 {
		t.Errorf("got %d unauthorized rejections, want 5", got)
	}
}

func TestRefreshRotates(t *testing.T) {
	f := start(t, 20)
	first := f.login(t)
	refresh := func(tok string) (int, []byte) {
		return f.do(t, "POST", "/dm/open_api/oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}, nil)
	}
	status, body := refresh(first.RefreshToken)
	if status != http.StatusOK {
		t.Fatalf("refresh: HTTP %d %s, want 200", status, body)
	}
	var second tokenAnswer
	if err := json.Unmarshal(body, &second); err != nil {
		t.Fatal(err)
	}
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh returned the old tokens, want new ones")
	}
	status, body = refresh(first.RefreshToken)
	wantFailed(t, status, body, 400, CodeBadRefreshToken)

	// The rotated refresh token works until RefreshTTL passes unused.
	f.clock.Advance(DefaultRefreshTTL)
	status, body = refresh(second.RefreshToken)
	wantFailed(t, status, body, 400, CodeBadRefreshToken)
}

func TestBearerToken(t *testing.T) {
	f := start(t, 20)
	a := f.login(t)
	if status, body := f.do(t, "GET", "/dm/open_api/v1/customers", a.AccessToken, nil, nil); status != 200 {
		t.Fatalf("with a fresh token: HTTP %d %s, want 200", status, body)
	}
	for _, tt := range []struct{ name, token string }{{"missing", ""}, {"unknown", "eyJ.x.y"}} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(t, "GET", "/dm/open_api/v1/customers", tt.token, nil, nil)
			wantFailed(t, status, body, 401, CodeBadAccessToken)
		})
	}
	f.clock.Advance(DefaultTokenTTL)
	status, body := f.do(t, "GET", "/dm/open_api/v1/customers/50086120", a.AccessToken, nil, nil)
	wantFailed(t, status, body, 401, CodeBadAccessToken)
	if got := f.rec.Snapshot().Rejected["ycm unauthorized"]; got != 3 {
		t.Errorf("got %d unauthorized rejections, want 3", got)
	}
}

type listAnswer struct {
	Data struct {
		PageSize   int      `json:"pageSize"`
		PageNumber int      `json:"pageNumber"`
		Total      int      `json:"total"`
		List       []record `json:"list"`
	} `json:"data"`
	RequestID string `json:"requestId"`
	Status    string `json:"status"`
	Time      int64  `json:"time"`
}

func (f *fixtureT) list(t *testing.T, token, query string) listAnswer {
	t.Helper()
	status, body := f.do(t, "GET", "/dm/open_api/v1/customers?"+query, token, nil, nil)
	if status != 200 {
		t.Fatalf("list %s: HTTP %d %s, want 200", query, status, body)
	}
	var a listAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if a.Status != "Success" || len(a.RequestID) != 32 || a.Time != f.clock.Now().Unix() {
		t.Errorf("got envelope %s/%q/%d, want Success, a 32-hex requestId and the time", a.Status, a.RequestID, a.Time)
	}
	return a
}

func TestListPaging(t *testing.T) {
	f := start(t, 120)
	tok := f.login(t).AccessToken

	def := f.list(t, tok, "")
	if def.Data.PageSize != 10 || def.Data.PageNumber != 1 || len(def.Data.List) != 10 || def.Data.Total != 120 {
		t.Errorf("default page: got size %d number %d, %d records of %d, want 10, 1, 10 of 120",
			def.Data.PageSize, def.Data.PageNumber, len(def.Data.List), def.Data.Total)
	}
	if def.Data.List[0].CustomerID != FirstCustomerID {
		t.Errorf("first customerId %d, want %d", def.Data.List[0].CustomerID, FirstCustomerID)
	}

	var ids []int64
	for page := 1; ; page++ {
		a := f.list(t, tok, "pageSize=50&sort=customerId&pageNumber="+strconv.Itoa(page))
		if len(a.Data.List) == 0 {
			break
		}
		for _, r := range a.Data.List {
			ids = append(ids, r.CustomerID)
		}
	}
	if len(ids) != 120 {
		t.Fatalf("walked %d records, want 120", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ids not ascending at %d: %d after %d", i, ids[i], ids[i-1])
		}
	}

	if a := f.list(t, tok, "pageSize=3&sort=-customerId"); a.Data.List[0].CustomerID != ids[119] || a.Data.List[2].CustomerID != ids[117] {
		t.Errorf("sort=-customerId starts %d, want %d", a.Data.List[0].CustomerID, ids[119])
	}
	byCompany := f.list(t, tok, "pageSize=50&sort=company&pageNumber=2").Data.List
	for i := 1; i < len(byCompany); i++ {
		if byCompany[i].Company < byCompany[i-1].Company {
			t.Fatalf("sort=company: %q after %q", byCompany[i].Company, byCompany[i-1].Company)
		}
	}
	// YCM has no filters: unknown parameters change nothing.
	if a, b := f.list(t, tok, "pageSize=5&name=zzz&keyword=zzz"), f.list(t, tok, "pageSize=5"); a.Data.List[4].CustomerID != b.Data.List[4].CustomerID {
		t.Error("an unknown parameter changed the answer")
	}
	for _, q := range []string{"pageSize=50&pageNumber=9", "pageSize=50&pageNumber=9223372036854775807"} {
		if a := f.list(t, tok, q); len(a.Data.List) != 0 || a.Data.Total != 120 {
			t.Errorf("past the end (%s): %d records of %d, want 0 of 120", q, len(a.Data.List), a.Data.Total)
		}
	}

	for _, q := range []string{"pageSize=51", "pageSize=0", "pageSize=x", "pageNumber=0", "sort=nosuchfield"} {
		t.Run(q, func(t *testing.T) {
			status, body := f.do(t, "GET", "/dm/open_api/v1/customers?"+q, tok, nil, nil)
			wantFailed(t, status, body, 400, CodeInvalidParameter)
		})
	}
}

func TestGetCustomer(t *testing.T) {
	f := start(t, 50)
	tok := f.login(t).AccessToken
	want := *f.sim.records.list[7]
	want.truth = fixture.Label{} // not on the wire

	status, body := f.do(t, "GET", "/dm/open_api/v1/customers/"+strconv.FormatInt(want.CustomerID, 10), tok, nil, nil)
	var got struct {
		Data   record `json:"data"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &got); err != nil || status != 200 {
		t.Fatalf("get: HTTP %d %s (%v), want 200", status, body, err)
	}
	if got.Data != want || got.Status != "Success" {
		t.Errorf("got %+v, want %+v", got.Data, want)
	}

	status, body = f.do(t, "GET", "/dm/open_api/v1/customers/1", tok, nil, nil)
	wantFailed(t, status, body, 404, CodeCustomerNotFound)
	status, body = f.do(t, "GET", "/dm/open_api/v1/customers/abc", tok, nil, nil)
	wantFailed(t, status, body, 400, CodeInvalidParameter)
}

func TestRecordsLookLikeYCM(t *testing.T) {
	companies := fixture.Generate(fixture.Options{Seed: 5, Customers: 400}).YCM
	records := buildRecords(companies)
	individuals, countries := 0, map[string]int{}
	for i, r := range records {
		c := companies[i]
		if r.FirstName != c.Contacts[0].Given || r.LastName != c.Contacts[0].Family {
			t.Fatalf("record %d: name %s/%s, want the first contact's given/family name", i, r.FirstName, r.LastName)
		}
		if IsIndividual(c) {
			individuals++
			if r.Company != "" || r.BusinessNumber != "" {
				t.Errorf("individual %d has company %q", i, r.Company)
			}
		} else if r.Company != c.Name {
			t.Errorf("record %d: company %q, want %q", i, r.Company, c.Name)
		}
		countries[r.Country]++
	}
	if individuals < 5 || individuals > 40 {
		t.Errorf("%d individuals of 400, want about 5 %%", individuals)
	}
	if countries["中国"] == 0 || countries["China"] == 0 || countries[""] == 0 {
		t.Errorf("countries %v, want 中国, China and some left out", countries)
	}
	// Empty fields are left out, not written as "".
	b, _ := json.Marshal(records)
	if bytes.Contains(b, []byte(`""`)) {
		t.Error(`records hold "" values, want empty fields left out`)
	}
}

func TestFaults(t *testing.T) {
	f := start(t, 20)
	tok := f.login(t).AccessToken
	f.faults.Set(0, 1)
	seen := map[string]int{}
	const n = 30
	for range n {
		req, _ := http.NewRequest("GET", f.srv.URL+"/dm/open_api/v1/customers", nil)
		req.Header.Set("User-Agent", "OpenAPI")
		req.Header.Set("Authorization", "Bearer "+tok)
		// A fresh connection each time, so that the transport never
		// retries a dropped request on its own.
		req.Close = true
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			seen["drop"]++
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 500 && bytes.Contains(body, []byte("<html>")):
			seen["status"]++
		case resp.StatusCode == 200 && bytes.Contains(body, []byte(`"errorCode":10001`)) && bytes.Contains(body, []byte(`"status":"Failed"`)):
			seen["envelope"]++
		default:
			t.Errorf("unexpected answer under fail-rate 1: HTTP %d %s", resp.StatusCode, body)
		}
	}
	if seen["drop"] == 0 || seen["status"] == 0 || seen["envelope"] == 0 {
		t.Errorf("fault shapes seen %v, want each of drop, status and envelope", seen)
	}
	if got := f.rec.Snapshot().Rejected["ycm injected_fault"]; got != n {
		t.Errorf("got %d injected_fault rejections, want %d", got, n)
	}
}

func TestLatencyRespectsContext(t *testing.T) {
	f := start(t, 5)
	f.faults.Set(time.Hour, 0)
	req, _ := http.NewRequest("POST", f.srv.URL+"/dm/open_api/oauth/token", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.srv.Client().Do(req.WithContext(ctx))
	if err == nil || !errors.Is(err, ctx.Err()) {
		t.Errorf("got %v, want the request to end with its context", err)
	}
}

func TestDeterministic(t *testing.T) {
	answers := func() []string {
		f := start(t, 80)
		tok := f.login(t).AccessToken
		var out []string
		for _, p := range []string{"/dm/open_api/v1/customers?pageSize=50&pageNumber=2", "/dm/open_api/v1/customers/50086120", "/dm/open_api/v1/customers?sort=-company"} {
			_, body := f.do(t, "GET", p, tok, nil, nil)
			out = append(out, string(body))
		}
		return out
	}
	a, b := answers(), answers()
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("answer %d differs between two servers of the same seed:\n%s\n%s", i, a[i], b[i])
		}
	}
}

func TestStatsKeys(t *testing.T) {
	f := start(t, 5)
	tok := f.login(t).AccessToken
	f.do(t, "GET", "/dm/open_api/v1/customers", tok, nil, nil)
	f.do(t, "GET", "/dm/open_api/v1/customers/50086120", tok, nil, nil)
	f.do(t, "GET", "/dm/open_api/v1/customers/7", tok, nil, nil)
	got := f.rec.Snapshot().Calls
	want := map[string]int{
		"ycm POST /dm/open_api/oauth/token":      1,
		"ycm GET /dm/open_api/v1/customers":      1,
		"ycm GET /dm/open_api/v1/customers/{id}": 2,
	}
	if len(got) != len(want) {
		t.Errorf("got keys %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("got %s = %d, want %d", k, got[k], n)
		}
	}
}
