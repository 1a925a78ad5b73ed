package crm_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"custgraph/internal/sim/crm"
	"custgraph/internal/sim/fixture"
	"custgraph/internal/testclock"
)

type listed struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// walk pages through the list with q and returns every customer.
func (e *env) walk(t *testing.T, tok string, q url.Values, per int) []listed {
	t.Helper()
	var out []listed
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(per))
		a := e.get(t, "/api/v2/customers?"+q.Encode(), tok)
		var d struct {
			Customers []listed `json:"customers"`
			Total     int      `json:"total_count"`
		}
		if a.Code != 0 || json.Unmarshal(a.Data, &d) != nil {
			t.Fatalf("list %s answered %s", q.Encode(), a.Raw)
		}
		if len(d.Customers) == 0 {
			return out
		}
		out = append(out, d.Customers...)
	}
}

// startServer is start, keeping the Server so that tests can change it.
func startServer(t *testing.T, n int, o crm.Options) (*env, *crm.Server) {
	t.Helper()
	w := fixture.Generate(fixture.Options{Seed: 42, Customers: n})
	o.Companies, o.RateLimit = w.CRM, crm.RateLimitOff
	s := crm.New(o)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &env{url: srv.URL, world: w}, s
}

func TestListSortOrder(t *testing.T) {
	clk := testclock.New(time.Date(2026, 11, 30, 9, 0, 0, 0, fixture.Shanghai))
	e, s := startServer(t, 60, crm.Options{Now: clk.Now})
	// Two records with the same updated_at, so that ties show.
	for _, id := range []string{"100000", "100001"} {
		if _, _, err := s.PutRecord(id, []byte(`{"name":"同一分钟公司"}`)); err != nil {
			t.Fatal(err)
		}
	}
	tok := e.login(t)
	key := map[string]func(l listed) string{
		"id": func(l listed) string { return "" }, "name": func(l listed) string { return l.Name },
		"created_at": func(l listed) string { return l.CreatedAt }, "updated_at": func(l listed) string { return l.UpdatedAt },
	}
	tests := []struct {
		sort, order string
		desc        bool
	}{
		{"", "", false}, {"", "desc", true}, {"id", "asc", false}, {"name", "", true}, {"name", "asc", false},
		{"created_at", "desc", true}, {"updated_at", "", true}, {"updated_at", "asc", false},
	}
	for _, tt := range tests {
		t.Run(tt.sort+" "+tt.order, func(t *testing.T) {
			q := url.Values{}
			if tt.sort != "" {
				q.Set("sort", tt.sort)
			}
			if tt.order != "" {
				q.Set("order", tt.order)
			}
			got := e.walk(t, tok, q, 7)
			if len(got) != 62 {
				t.Fatalf("walked %d customers, want 62", len(got))
			}
			k := key[tt.sort]
			if k == nil {
				k = key["id"]
			}
			for i := 1; i < len(got); i++ {
				a, b := got[i-1], got[i]
				c := strings.Compare(k(a), k(b))
				if c == 0 { // ties by id, in the list's direction
					c = a.ID - b.ID
				}
				if tt.desc {
					c = -c
				}
				if c >= 0 {
					t.Fatalf("position %d: %+v then %+v, not in %s %s order", i, a, b, tt.sort, tt.order)
				}
			}
		})
	}
	// A change is in the next page at once: newest first (a minute
	// later, as updated_at has minutes only).
	clk.Advance(time.Minute)
	if _, _, err := s.PutRecord(strconv.Itoa(e.walk(t, tok, url.Values{}, 100)[30].ID), []byte(`{"name":"刚改过"}`)); err != nil {
		t.Fatal(err)
	}
	a := e.get(t, "/api/v2/customers?sort=updated_at&order=desc&per_page=1", tok)
	if !strings.Contains(string(a.Raw), "刚改过") {
		t.Errorf("newest first after a change: %s", a.Raw)
	}
	for _, bad := range []string{"sort=phone", "sort=updated_at&order=up", "order=sideways"} {
		a := e.get(t, "/api/v2/customers?"+bad, tok)
		if a.Code != crm.CodeBadParam || a.Status != 200 || a.Message == "" {
			t.Errorf("%s: HTTP %d %s, want code %d", bad, a.Status, a.Raw, crm.CodeBadParam)
		}
	}
}

func TestPutRecordMarkersAndViews(t *testing.T) {
	clk := testclock.New(time.Date(2026, 11, 30, 9, 30, 45, 0, fixture.Shanghai))
	e, s := startServer(t, 10, crm.Options{Now: clk.Now})
	tok := e.login(t)
	first := e.walk(t, tok, url.Values{}, 100)[0]
	body := `{"id":1,"name":"替换后的公司","created_at":"2000-01-01 00:00","note":"备注","address":{"id":5,"tel":"021-1"},
		"contacts":[{"id":77,"name":"王五","job":"采购","address":{"id":78,"tel":"021-2","phone":"13800000001","lat":"31.5","lng":"121.25"}}]}`
	tests := []struct {
		id          string
		created     bool
		wantCreated string
	}{
		{strconv.Itoa(first.ID), false, first.CreatedAt}, // a replace keeps created_at
		{"999999", true, "2026-11-30 09:30"},             // a create gets now
	}
	for _, tt := range tests {
		raw, created, err := s.PutRecord(tt.id, []byte(body))
		if err != nil || created != tt.created {
			t.Fatalf("put %s: created %v, %v", tt.id, created, err)
		}
		var got listed
		_ = json.Unmarshal(raw, &got)
		if strconv.Itoa(got.ID) != tt.id || got.UpdatedAt != "2026-11-30 09:30" || got.CreatedAt != tt.wantCreated {
			t.Errorf("put %s stored %s; want its id, updated_at now and created_at %s", tt.id, raw, tt.wantCreated)
		}
		if strings.Contains(string(raw), `"note"`) {
			t.Errorf("the list shape has the detail's note: %s", raw)
		}
		// Every endpoint serves the change.
		if a := e.get(t, "/api/v2/customers/"+tt.id, tok); !strings.Contains(string(a.Raw), `"note":"备注"`) || strings.Contains(string(a.Raw), `"job"`) {
			t.Errorf("detail: %s", a.Raw)
		}
		a := e.get(t, "/api/v2/customers/"+tt.id+"/contacts", tok)
		if !strings.Contains(string(a.Raw), `"lat":31.5`) || !strings.Contains(string(a.Raw), `"job":"采购"`) ||
			!strings.Contains(string(a.Raw), `"customer_id":`+tt.id) {
			t.Errorf("contacts: %s", a.Raw)
		}
	}
	a := e.get(t, "/api/v2/duplicates/matching_name?name="+url.QueryEscape("替换后的公司"), tok)
	if n := strings.Count(string(a.Raw), `"name":"替换后的公司"`); n != 2 {
		t.Errorf("matching_name found %d, want both: %s", n, a.Raw)
	}
	if a := e.get(t, "/api/v2/duplicates/matching_name?name="+url.QueryEscape(first.Name), tok); strings.Contains(string(a.Raw), `"id"`) {
		t.Errorf("the old name is still found: %s", a.Raw)
	}
	if got := e.walk(t, tok, url.Values{}, 100); len(got) != 11 {
		t.Errorf("%d customers after one create, want 11", len(got))
	}
	if !s.DeleteRecord("999999") || s.DeleteRecord("999999") || s.DeleteRecord("x") {
		t.Error("delete: want true once, then false")
	}
	if a := e.get(t, "/api/v2/customers/999999", tok); a.Code != crm.CodeNotFound {
		t.Errorf("deleted customer: %s", a.Raw)
	}
	for _, bad := range []string{`[]`, `{"name":""}`, `{"name":"x","contacts":{}}`, `{"name":"x","contacts":[1]}`, `{"name":"x","address":"here"}`, `{`} {
		if _, _, err := s.PutRecord("5", []byte(bad)); err == nil {
			t.Errorf("put %s: no error", bad)
		}
	}
}

func TestParseRecords(t *testing.T) {
	good := `[{"id":900,"name":"乙公司","updated_at":"2024-01-02 10:00","contacts":[]},{"id":12,"name":"甲公司"}]`
	recs, err := crm.ParseRecords([]byte(good))
	if err != nil || recs.Len() != 2 {
		t.Fatalf("good file: %v", err)
	}
	srv := httptest.NewServer(crm.New(crm.Options{Records: recs, RateLimit: crm.RateLimitOff}))
	defer srv.Close()
	e := &env{url: srv.URL}
	got := e.walk(t, e.login(t), url.Values{}, 10)
	if len(got) != 2 || got[0].ID != 12 || got[1].UpdatedAt != "2024-01-02 10:00" {
		t.Errorf("served %+v", got)
	}
	tests := []struct{ data, want string }{
		{`{}`, "JSON array"},
		{`[{"name":"x"}]`, "record 0: id"},
		{`[{"id":1.5,"name":"x"}]`, "record 0: id"},
		{`[{"id":1,"name":"x"},{"id":1,"name":"y"}]`, "record 1 (id 1): the id is already used"},
		{`[{"id":1}]`, "record 0 (id 1): name"},
		{`[{"id":1,"name":"x","updated_at":"2024-01-02T10:00:00+08:00"}]`, `updated_at "2024-01-02T10:00:00+08:00"`},
	}
	for _, tt := range tests {
		if _, err := crm.ParseRecords([]byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.data, err, tt.want)
		}
	}
}
