package u8

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
	"custgraph/internal/testclock"
)

type env struct {
	srv   *httptest.Server
	rec   *calls.Recorder
	clock *testclock.Clock // a settable Now for token expiry
	world *fixture.World
}

func newEnv(t *testing.T, customers int, faults *fault.Injector) *env {
	t.Helper()
	e := &env{
		rec:   calls.NewRecorder(),
		clock: testclock.New(time.Date(2025, 6, 1, 9, 0, 0, 0, fixture.Shanghai)),
		world: fixture.Generate(fixture.Options{Seed: 42, Customers: customers}),
	}
	e.srv = httptest.NewServer(New(Options{Companies: e.world.U8, Recorder: e.rec, Faults: faults, Now: e.clock.Now}))
	t.Cleanup(e.srv.Close)
	return e
}

// raw GETs path with the query and returns status and body.
func (e *env) raw(t *testing.T, path string, q url.Values) (int, []byte) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path + "?" + q.Encode())
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, b
}

// get GETs path and decodes the JSON answer, numbers kept as json.Number.
func (e *env) get(t *testing.T, path string, q url.Values) map[string]any {
	t.Helper()
	status, b := e.raw(t, path, q)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200 (U8 answers business errors with 200)", path, status)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, b)
	}
	return m
}

func credentials() url.Values {
	return url.Values{"from_account": {DemoFromAccount}, "app_key": {DemoAppKey}, "app_secret": {DemoAppSecret}}
}

// api returns the common parameters of an API call with a fresh token.
func (e *env) api(t *testing.T, extra url.Values) url.Values {
	t.Helper()
	m := e.get(t, "/system/token", credentials())
	tok, _ := m["token"].(map[string]any)
	q := url.Values{"from_account": {DemoFromAccount}, "to_account": {DemoToAccount}, "app_key": {DemoAppKey},
		"token": {tok["id"].(string)}, "ds_sequence": {"1"}}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func wantCode(t *testing.T, m map[string]any, code string) {
	t.Helper()
	if m["errcode"] != code {
		t.Fatalf("errcode %v (%v), want %s", m["errcode"], m["errmsg"], code)
	}
}

func TestToken(t *testing.T) {
	e := newEnv(t, 5, nil)
	m := e.get(t, "/system/token", credentials())
	wantCode(t, m, CodeOK)
	tok := m["token"].(map[string]any)
	if tok["expiresIn"] != json.Number("7200") {
		t.Errorf("expiresIn %#v, want the JSON number 7200", tok["expiresIn"])
	}
	if id, _ := tok["id"].(string); len(id) != 32 {
		t.Errorf("token id %q, want 32 hex digits", id)
	}
	if tok["appKey"] != DemoAppKey {
		t.Errorf("appKey %v, want %s", tok["appKey"], DemoAppKey)
	}

	for _, key := range []string{"from_account", "app_key", "app_secret"} {
		q := credentials()
		q.Set(key, "wrong")
		wantCode(t, e.get(t, "/system/token", q), CodeBadCredentials)
	}
	if got := e.rec.Snapshot().Rejected["u8 unauthorized"]; got != 3 {
		t.Errorf("unauthorized rejections %d, want 3", got)
	}
}

func TestAPIAuth(t *testing.T) {
	e := newEnv(t, 5, nil)
	tests := []struct {
		name   string
		change func(q url.Values)
		want   string
	}{
		{"good", func(url.Values) {}, CodeOK},
		{"no token", func(q url.Values) { q.Del("token") }, CodeBadToken},
		{"unknown token", func(q url.Values) { q.Set("token", strings.Repeat("0", 32)) }, CodeBadToken},
		{"wrong app_key", func(q url.Values) { q.Set("app_key", "other") }, CodeBadCredentials},
		{"wrong from_account", func(q url.Values) { q.Set("from_account", "other") }, CodeBadCredentials},
		{"wrong to_account", func(q url.Values) { q.Set("to_account", "other") }, CodeBadToAccount},
		{"wrong ds_sequence", func(q url.Values) { q.Set("ds_sequence", "7") }, CodeBadDataSource},
		{"no ds_sequence", func(q url.Values) { q.Del("ds_sequence") }, CodeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := e.api(t, url.Values{"id": {"00000001"}})
			tt.change(q)
			m := e.get(t, "/api/customer/get", q)
			wantCode(t, m, tt.want)
			if tt.want == CodeBadToken && !strings.Contains(m["errmsg"].(string), "token") {
				t.Errorf("errmsg %q does not mention token", m["errmsg"])
			}
		})
	}
	if got := e.rec.Snapshot().Rejected["u8 unauthorized"]; got != 5 {
		t.Errorf("unauthorized rejections %d, want 5", got)
	}
}

func TestTokenExpires(t *testing.T) {
	e := newEnv(t, 5, nil)
	q := e.api(t, url.Values{"id": {"00000001"}})
	e.clock.Advance(DefaultTokenTTL - time.Second)
	wantCode(t, e.get(t, "/api/customer/get", q), CodeOK)
	e.clock.Advance(time.Second)
	wantCode(t, e.get(t, "/api/customer/get", q), CodeBadToken)
}

func TestTokenTTLKnob(t *testing.T) {
	w := fixture.Generate(fixture.Options{Seed: 1, Customers: 3})
	srv := httptest.NewServer(New(Options{Companies: w.U8, TokenTTL: 90 * time.Second}))
	defer srv.Close()
	e := &env{srv: srv}
	tok := e.get(t, "/system/token", credentials())["token"].(map[string]any)
	if tok["expiresIn"] != json.Number("90") {
		t.Errorf("expiresIn %v, want 90", tok["expiresIn"])
	}
}

func TestGet(t *testing.T) {
	e := newEnv(t, 20, nil)
	m := e.get(t, "/api/customer/get", e.api(t, url.Values{"id": {"00000003"}}))
	wantCode(t, m, CodeOK)
	c := m["customer"].(map[string]any)
	if c["code"] != "00000003" || c["name"] != e.world.U8[2].Name {
		t.Errorf("got %v %v, want 00000003 %s", c["code"], c["name"], e.world.U8[2].Name)
	}

	for _, id := range []string{"3", "00000021", "99999999"} {
		m := e.get(t, "/api/customer/get", e.api(t, url.Values{"id": {id}}))
		wantCode(t, m, CodeNoMatch)
		if m["errmsg"] != "未检索到匹配的[客户]。" {
			t.Errorf("errmsg %q", m["errmsg"])
		}
	}
	wantCode(t, e.get(t, "/api/customer/get", e.api(t, nil)), CodeBadParam)
}

// batch walks every page of a filtered batch_get and returns the rows.
func (e *env) batch(t *testing.T, filter url.Values, size int) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for page := 1; ; page++ {
		q := e.api(t, filter)
		q.Set("page_index", itoa(page))
		q.Set("rows_per_page", itoa(size))
		m := e.get(t, "/api/customer/batch_get", q)
		if m["errcode"] == CodeNoMatch {
			return rows
		}
		wantCode(t, m, CodeOK)
		for _, key := range []string{"page_index", "rows_per_page", "row_count", "page_count"} {
			if _, ok := m[key].(string); !ok {
				t.Fatalf("%s is %#v, want a string", key, m[key])
			}
		}
		if m["page_index"] != itoa(page) || m["rows_per_page"] != itoa(size) {
			t.Fatalf("page %v size %v, want %d %d", m["page_index"], m["rows_per_page"], page, size)
		}
		for _, r := range m["customer"].([]any) {
			rows = append(rows, r.(map[string]any))
		}
		if m["page_index"] == m["page_count"] {
			if m["row_count"] != itoa(len(rows)) {
				t.Fatalf("row_count %v, but %d rows served", m["row_count"], len(rows))
			}
			return rows
		}
	}
}

func TestBatchGetPaging(t *testing.T) {
	e := newEnv(t, 95, nil)
	rows := e.batch(t, nil, 20)
	if len(rows) != 95 {
		t.Fatalf("walked %d rows, want 95", len(rows))
	}
	for i, r := range rows {
		if want := fmt.Sprintf("%08d", i+1); r["code"] != want {
			t.Fatalf("row %d has code %v, want %s (ordered by code)", i, r["code"], want)
		}
	}
	wantCode(t, e.get(t, "/api/customer/batch_get", e.api(t, url.Values{"page_index": {"6"}, "rows_per_page": {"20"}})), CodeNoMatch)

	for _, bad := range []url.Values{
		{"rows_per_page": {itoa(MaxRowsPerPage + 1)}},
		{"rows_per_page": {"0"}},
		{"page_index": {"x"}},
		{"ModifyDate_begin": {"2024/01/01"}},
		{"timestamp_end": {"-4"}},
	} {
		wantCode(t, e.get(t, "/api/customer/batch_get", e.api(t, bad)), CodeBadParam)
	}
	m := e.get(t, "/api/customer/batch_get", e.api(t, url.Values{"rows_per_page": {itoa(MaxRowsPerPage)}}))
	wantCode(t, m, CodeOK)
	if m["row_count"] != "95" || m["page_count"] != "1" {
		t.Errorf("row_count %v page_count %v, want 95 1", m["row_count"], m["page_count"])
	}
}

func stamp(r map[string]any) int64 {
	n, _ := strconv.ParseInt(r["timestamp"].(string), 10, 64)
	return n
}

func TestBatchGetFilters(t *testing.T) {
	e := newEnv(t, 120, nil)
	all := e.batch(t, nil, 50)
	name := e.world.U8[7].Brand
	midMod := e.world.U8[10].Modified
	tests := []struct {
		name   string
		filter url.Values
		keep   func(c *fixture.Company, r map[string]any) bool
	}{
		{"code range", url.Values{"code_begin": {"00000010"}, "code_end": {"00000019"}},
			func(_ *fixture.Company, r map[string]any) bool {
				return r["code"].(string) >= "00000010" && r["code"].(string) <= "00000019"
			}},
		{"one code", url.Values{"code_begin": {"00000042"}, "code_end": {"00000042"}},
			func(_ *fixture.Company, r map[string]any) bool { return r["code"] == "00000042" }},
		{"name keyword", url.Values{"name": {name}},
			func(c *fixture.Company, _ map[string]any) bool { return strings.Contains(c.Name, name) }},
		{"ModifyDate_begin date", url.Values{"ModifyDate_begin": {midMod.Format("2006-01-02")}},
			func(c *fixture.Company, _ map[string]any) bool {
				return c.Modified.Format("2006-01-02") >= midMod.Format("2006-01-02")
			}},
		{"ModifyDate datetime range", url.Values{"ModifyDate_begin": {midMod.Format(dateTimeLayout)}, "ModifyDate_end": {"2026-12-31"}},
			func(c *fixture.Company, _ map[string]any) bool { return !c.Modified.Before(midMod) }},
		{"ModifyDate_end date", url.Values{"ModifyDate_end": {midMod.Format("2006-01-02")}},
			func(c *fixture.Company, _ map[string]any) bool {
				return c.Modified.Format("2006-01-02") <= midMod.Format("2006-01-02")
			}},
		{"seed_date", url.Values{"seed_date_begin": {"2016-01-01"}, "seed_date_end": {"2018-12-31"}},
			func(_ *fixture.Company, r map[string]any) bool {
				s, ok := r["seed_date"].(string)
				return ok && s >= "2016-01-01" && s <= "2018-12-31"
			}},
		{"timestamp", url.Values{"timestamp_begin": {all[30]["timestamp"].(string)}},
			func(_ *fixture.Company, r map[string]any) bool { return stamp(r) >= stamp(all[30]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for i, r := range all {
				if tt.keep(e.world.U8[i], r) {
					want = append(want, r["code"].(string))
				}
			}
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("test data select %d of %d rows; pick a filter that separates", len(want), len(all))
			}
			var got []string
			for _, r := range e.batch(t, tt.filter, 7) {
				got = append(got, r["code"].(string))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	wantCode(t, e.get(t, "/api/customer/batch_get", e.api(t, url.Values{"name": {"不存在的客户名"}})), CodeNoMatch)
}

// TestRecordShape checks the quirks frontends and clients rely on: empty
// fields left out, some mobiles as JSON numbers, self-defined fields in use.
func TestRecordShape(t *testing.T) {
	e := newEnv(t, 300, nil)
	rows := e.batch(t, nil, MaxRowsPerPage)
	var numbers, strs, selfDefined int
	keysSeen := map[string]int{}
	for _, r := range rows {
		for k, v := range r {
			keysSeen[k]++
			if v == nil || v == "" {
				t.Fatalf("record %v has empty %s: empty fields must be left out", r["code"], k)
			}
			if strings.HasPrefix(k, "self_define") {
				selfDefined++
			}
		}
		switch r["mobile"].(type) {
		case json.Number:
			numbers++
		case string:
			strs++
		}
		for _, k := range []string{"ModifyDate", "timestamp"} {
			if _, ok := r[k].(string); !ok {
				t.Fatalf("record %v: %s is %#v, want a string", r["code"], k, r[k])
			}
		}
		if _, err := time.Parse(dateTimeLayout, r["ModifyDate"].(string)); err != nil {
			t.Fatalf("ModifyDate: %v", err)
		}
	}
	if numbers < 30 || strs < 60 {
		t.Errorf("%d numeric and %d string mobiles; want about a third numeric", numbers, strs)
	}
	if selfDefined < 300 {
		t.Errorf("only %d self_define values in 300 records", selfDefined)
	}
	for _, k := range []string{"abbrname", "domain_code", "industry", "address", "bank_open", "contact", "phone", "fax",
		"devliver_site", "seed_date", "end_date", "memo", "bserviceattribute", "spec_operator_name", "self_define1", "self_define16"} {
		if n := keysSeen[k]; n == 0 || n == len(rows) {
			t.Errorf("%s is in %d of %d records; want it in some, not all", k, n, len(rows))
		}
	}
	if n := keysSeen["self_define4"]; n != 0 {
		t.Errorf("self_define4 is in %d records; the demo enterprise does not use it", n)
	}
	if br := rows[0]["bank_open"]; br != nil && !strings.HasSuffix(br.(string), "行") && !strings.HasSuffix(br.(string), "部") {
		t.Errorf("bank_open %q is no branch name", br)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := newEnv(t, 60, nil), newEnv(t, 60, nil)
	for _, path := range []string{"/api/customer/batch_get", "/api/customer/get"} {
		extra := url.Values{"id": {"00000017"}, "rows_per_page": {"60"}}
		_, ba := a.raw(t, path, a.api(t, extra))
		_, bb := b.raw(t, path, b.api(t, extra))
		if !bytes.Equal(ba, bb) {
			t.Errorf("%s: the same seed gave different answers:\n%s\n%s", path, ba, bb)
		}
		if !bytes.Contains(ba, []byte(`"errcode":"0"`)) {
			t.Errorf("%s: %s", path, ba)
		}
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, 5, nil)
	q := e.api(t, url.Values{"id": {"00000001"}})
	e.get(t, "/api/customer/get", q)
	e.get(t, "/api/customer/batch_get", q)
	e.get(t, "/api/customer/batch_get", q)
	got := e.rec.Snapshot().Calls
	want := map[string]int{
		"u8 GET /system/token":           1,
		"u8 GET /api/customer/get":       1,
		"u8 GET /api/customer/batch_get": 2,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("calls[%q] = %d, want %d", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("calls %v, want only %v", got, want)
	}
}

func TestFaults(t *testing.T) {
	faults := fault.New(0, 0, 3)
	e := newEnv(t, 5, faults)
	q := e.api(t, url.Values{"id": {"00000001"}})
	faults.Set(0, 1)
	seen := map[string]int{}
	const calls = 30
	// No keep-alive: Go retries a GET whose reused connection was dropped,
	// which would count twice.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < calls; i++ {
		resp, err := client.Get(e.srv.URL + "/api/customer/get?" + q.Encode())
		if err != nil {
			seen["drop"]++
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusBadGateway && strings.Contains(string(b), "<html>"):
			seen["502"]++
		case resp.StatusCode == http.StatusServiceUnavailable:
			seen["503"]++
		case resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"errcode":"`+CodeAgentOffline+`"`):
			seen["envelope"]++
		default:
			t.Fatalf("unexpected answer %d %s", resp.StatusCode, b)
		}
	}
	for _, k := range []string{"502", "503", "envelope", "drop"} {
		if seen[k] == 0 {
			t.Errorf("no %s fault in %d calls at fail rate 1 (%v)", k, calls, seen)
		}
	}
	if got := e.rec.Snapshot().Rejected["u8 injected_fault"]; got != calls {
		t.Errorf("injected_fault rejections %d, want %d", got, calls)
	}
	if got := e.rec.Snapshot().Calls["u8 GET /api/customer/get"]; got != calls {
		t.Errorf("calls %d, want %d: faulted calls count too", got, calls)
	}
}

func TestLatencyGivesWayToCancel(t *testing.T) {
	e := newEnv(t, 5, fault.New(time.Hour, 0, 1))
	client := &http.Client{Timeout: 50 * time.Millisecond}
	start := time.Now()
	if _, err := client.Get(e.srv.URL + "/system/token?" + credentials().Encode()); err == nil {
		t.Fatal("a call delayed by an hour answered within 50 ms")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestSelfDefineLabels(t *testing.T) {
	l := SelfDefineLabels()
	l[1] = "changed"
	if SelfDefineLabels()[1] != "信用等级" {
		t.Error("SelfDefineLabels returns shared state")
	}
}
