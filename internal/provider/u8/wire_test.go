package u8

// Wire tests: every request the client sends is checked against U8's own
// documents (the customer/batch_get page of the seeds and the facts of
// docs/upstreams.md §1), not against our simulator, which was written with
// the client and could share its mistakes. The server mounts U8 under
// providertest.BasePath and fails the test on any URL it does not serve.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/provider/providertest"
)

// The wire tests' credentials. from_account, to_account and app_key are
// those of the batch_get document's request example.
const (
	wireFrom   = "openapi_dev"
	wireTo     = "openapi_ent"
	wireAppKey = "opa6fdd4bea98b95ad7"
	wireSecret = "wire-app-secret"
	wireDS     = "1"
	// Token ids in U8's 32-hex form (the first is the public sample's).
	wireToken  = "07d8caa9aa15417b852c7af2ba867ecd"
	wireToken2 = "843d03f66e6544e19707ccec11030296"
)

// newWireClient returns a client of the wire server w with the wire
// credentials, changed by change when it is not nil.
func newWireClient(t *testing.T, w *providertest.Wire, change func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: w.URL, FromAccount: wireFrom, ToAccount: wireTo, AppKey: wireAppKey,
		AppSecret: wireSecret, DSSequence: wireDS, HTTPClient: w.Client}
	if change != nil {
		change(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tokenBody is U8's token answer for id, in the shape of the public sample
// (docs/upstreams.md §1.2): errcode a string, expiresIn a number.
func tokenBody(id string) string {
	return `{"errcode":"0","errmsg":"成功","token":{"appKey":"` + wireAppKey + `","expiresIn":7200,"id":"` + id + `"}}`
}

// handleToken serves GET /system/token, answering the i-th request with
// ids[i], and checks that each request is the documented one: the
// developer account, app key and secret in the query, and nothing else
// (no to_account, no token).
func handleToken(t *testing.T, w *providertest.Wire, ids ...string) {
	t.Helper()
	var n atomic.Int32
	w.Handle("/system/token", func(rw http.ResponseWriter, r *http.Request) {
		providertest.CheckRequest(t, r, providertest.Want{
			Method: http.MethodGet,
			Query:  url.Values{"from_account": {wireFrom}, "app_key": {wireAppKey}, "app_secret": {wireSecret}},
			Header: http.Header{"User-Agent": {httpx.UserAgent}, "Accept": {"application/json"}, "Authorization": nil},
		})
		i := int(n.Add(1)) - 1
		if i >= len(ids) {
			t.Errorf("token request %d: got one more than the %d this test serves", i+1, len(ids))
			providertest.Reply(rw, http.StatusOK, `{"errcode":"30001","errmsg":"test serves no more tokens"}`)
			return
		}
		providertest.Reply(rw, http.StatusOK, tokenBody(ids[i]))
	})
}

// apiWant is the request U8 documents for a read route: a GET whose query
// holds the common parameters (from_account, to_account, app_key, token,
// ds_sequence) and the route's own params. Credentials go in the query
// only: no Authorization header, and never the app secret.
func apiWant(token string, params url.Values) providertest.Want {
	q := url.Values{"from_account": {wireFrom}, "to_account": {wireTo}, "app_key": {wireAppKey},
		"token": {token}, "ds_sequence": {wireDS}}
	for k, v := range params {
		q[k] = v
	}
	return providertest.Want{
		Method: http.MethodGet,
		Query:  q,
		Header: http.Header{"User-Agent": {httpx.UserAgent}, "Accept": {"application/json"}, "Authorization": nil},
	}
}

// readSeed returns a testdata file (copies of the seed document's samples).
func readSeed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wireGetBody is a customer/get answer: {"errcode":"0","customer":{…}}
// with the batch_get fields of the document (mobile a JSON number as in
// its sample, dates yyyy-MM-dd, empty fields left out).
const wireGetBody = `{"errcode":"0","errmsg":"","customer":{
	"code":"0000000017","name":"世纪天华集团公司","abbrname":"世纪天华","sort_code":"03","domain_code":"01",
	"industry":"电子类","address":"北京市海淀区北四环西路","contact":"刘婷","phone":"010-62588888",
	"fax":"010-62588889","mobile":13811388661,"devliver_site":"北京市海淀区中关村","ModifyDate":"2019-12-31",
	"seed_date":"2015-03-01","memo":"重点客户","ccusexch_name":"人民币","self_define3":"华北"}}`

// wireGetCustomer is what wireGetBody maps to.
func wireGetCustomer() *customer.Customer {
	modified := time.Date(2019, 12, 31, 0, 0, 0, 0, customer.Shanghai)
	u := &customer.U8Customer{
		Code: "0000000017", AbbrName: ptr("世纪天华"), SortCode: ptr("03"), DomainCode: ptr("01"),
		Industry: ptr("电子类"), Address: ptr("北京市海淀区北四环西路"), Contact: ptr("刘婷"),
		Phone: ptr("010-62588888"), Fax: ptr("010-62588889"), Mobile: ptr("13811388661"),
		DeliverSite: ptr("北京市海淀区中关村"), ModifiedAt: &modified,
		SeedDate: ptr(time.Date(2015, 3, 1, 0, 0, 0, 0, customer.Shanghai)),
		Memo:     ptr("重点客户"), CurrencyName: ptr("人民币"),
	}
	u.SelfDefine[2] = "华北"
	return &customer.Customer{
		Source: customer.U8, SourceID: "0000000017", Name: "世纪天华集团公司",
		ShortName: ptr("世纪天华"), ContactName: ptr("刘婷"),
		Phones: []customer.Phone{
			{Kind: customer.PhoneWork, Number: "010-62588888"},
			{Kind: customer.PhoneMobile, Number: "13811388661"},
			{Kind: customer.PhoneFax, Number: "010-62588889"},
		},
		Address:   &customer.PostalAddress{Formatted: ptr("北京市海淀区北四环西路")},
		Remark:    ptr("重点客户"),
		UpdatedAt: &modified,
		U8:        u,
	}
}

// seedPage is what the batch_get document's sample answer
// (testdata/seed_batch_get.json) maps to: page 1 of 2 rows of 109.
func seedPage() *customer.Page {
	return &customer.Page{Page: 1, PageSize: 2, Total: 109, Customers: []*customer.Customer{
		{
			Source: customer.U8, SourceID: "000", Name: "000", ShortName: ptr("000"), Phones: []customer.Phone{},
			U8: &customer.U8Customer{Code: "000", AbbrName: ptr("000"), SortCode: ptr("01")},
		},
		{
			Source: customer.U8, SourceID: "00000001", Name: "世纪天华集团公司", ShortName: ptr("世纪天华"),
			ContactName: ptr("刘婷"), Phones: []customer.Phone{{Kind: customer.PhoneMobile, Number: "13811388661"}},
			U8: &customer.U8Customer{Code: "00000001", AbbrName: ptr("世纪天华"), SortCode: ptr("03"),
				DomainCode: ptr("01"), Industry: ptr("电子类"), Contact: ptr("刘婷"), Mobile: ptr("13811388661")},
		},
	}}
}

// wantLog fails the test unless the server received exactly these
// requests, in this order.
func wantLog(t *testing.T, w *providertest.Wire, want ...string) {
	t.Helper()
	if got := w.Log(); !slices.Equal(got, want) {
		t.Errorf("requests: got %q, want %q", got, want)
	}
}

func TestWireTokenIsFetchedOnceAndSentInTheQuery(t *testing.T) {
	w := providertest.NewWire(t)
	handleToken(t, w, wireToken)
	w.Handle("/api/customer/get", func(rw http.ResponseWriter, r *http.Request) {
		providertest.CheckRequest(t, r, apiWant(wireToken, url.Values{"id": {"0000000017"}}))
		providertest.Reply(rw, http.StatusOK, wireGetBody)
	})
	c := newWireClient(t, w, nil)
	for range 2 {
		if _, err := c.Get(context.Background(), "0000000017"); err != nil {
			t.Fatal(err)
		}
	}
	wantLog(t, w, "GET /system/token", "GET /api/customer/get", "GET /api/customer/get")
}

func TestWireDataSourceIsLeftToU8WhenUnset(t *testing.T) {
	w := providertest.NewWire(t)
	handleToken(t, w, wireToken)
	w.Handle("/api/customer/get", func(rw http.ResponseWriter, r *http.Request) {
		// ds_sequence is optional: without it U8 takes the app's first
		// data source (数据源序号, 默认取应用的第一个数据源).
		want := apiWant(wireToken, url.Values{"id": {"0000000017"}})
		delete(want.Query, "ds_sequence")
		providertest.CheckRequest(t, r, want)
		providertest.Reply(rw, http.StatusOK, wireGetBody)
	})
	c := newWireClient(t, w, func(cfg *Config) { cfg.DSSequence = "" })
	if _, err := c.Get(context.Background(), "0000000017"); err != nil {
		t.Fatal(err)
	}
}

func TestWireGet(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		want    *customer.Customer
		wantErr func(t *testing.T, err error)
	}{
		{name: "customer", answer: wireGetBody, want: wireGetCustomer()},
		{
			// errcode 20002 is U8's "no rows matched" (docs/upstreams.md §1.6).
			name:   "no such code",
			answer: `{"errcode":"20002","errmsg":"未检索到匹配的[客户]。"}`,
			wantErr: func(t *testing.T, err error) {
				t.Helper()
				if !customer.IsNotFound(err) {
					t.Errorf("got %v, want an error matching customer.ErrNotFound", err)
				}
			},
		},
		{
			// The document's error sample.
			name:   "app not online",
			answer: readSeed(t, "seed_error.json"),
			wantErr: func(t *testing.T, err error) {
				t.Helper()
				wantUpstream(t, err, customer.ReasonAuth, "30021")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := providertest.NewWire(t)
			handleToken(t, w, wireToken)
			w.Handle("/api/customer/get", func(rw http.ResponseWriter, r *http.Request) {
				// The id is the customer code; its leading zeros matter.
				providertest.CheckRequest(t, r, apiWant(wireToken, url.Values{"id": {"0000000017"}}))
				providertest.Reply(rw, http.StatusOK, tt.answer)
			})
			got, err := newWireClient(t, w, nil).Get(context.Background(), "0000000017")
			if tt.wantErr != nil {
				tt.wantErr(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("customer (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWireList(t *testing.T) {
	// 2019-12-30 16:30 UTC is 2019-12-31 00:30 in Beijing, U8's time zone.
	since := time.Date(2019, 12, 30, 16, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		give customer.ListQuery
		want url.Values // batch_get's own parameters
	}{
		{"defaults", customer.ListQuery{},
			url.Values{"page_index": {"1"}, "rows_per_page": {"20"}}},
		{"page and size", customer.ListQuery{Page: 3, PageSize: 2},
			url.Values{"page_index": {"3"}, "rows_per_page": {"2"}}},
		{"size capped", customer.ListQuery{PageSize: 5000},
			url.Values{"page_index": {"1"}, "rows_per_page": {"500"}}},
		{"name keyword", customer.ListQuery{Filter: customer.Filter{Name: "天华"}},
			url.Values{"page_index": {"1"}, "rows_per_page": {"20"}, "name": {"天华"}}},
		{"code range", customer.ListQuery{Filter: customer.Filter{CodeFrom: "00000001", CodeTo: "00000099"}},
			url.Values{"page_index": {"1"}, "rows_per_page": {"20"}, "code_begin": {"00000001"}, "code_end": {"00000099"}}},
		{"modified since, as a Beijing date", customer.ListQuery{Filter: customer.Filter{UpdatedSince: &since}},
			url.Values{"page_index": {"1"}, "rows_per_page": {"20"}, "ModifyDate_begin": {"2019-12-31"}}},
		// The directory's incremental sync: U8's timestamp (a decimal
		// rowversion) as U8 wrote it, beside any filter.
		{"changed since a timestamp", customer.ListQuery{TimestampFrom: "1048593"},
			url.Values{"page_index": {"1"}, "rows_per_page": {"20"}, "timestamp_begin": {"1048593"}}},
		{"every filter", customer.ListQuery{Page: 2, PageSize: 50, TimestampFrom: "1234567", Filter: customer.Filter{
			Name: "天华", CodeFrom: "0001", CodeTo: "0999", UpdatedSince: &since}},
			url.Values{"page_index": {"2"}, "rows_per_page": {"50"}, "name": {"天华"},
				"code_begin": {"0001"}, "code_end": {"0999"}, "ModifyDate_begin": {"2019-12-31"}, "timestamp_begin": {"1234567"}}},
		// Search is the directory's own; NewestFirst is the CRM's.
		{"others' questions are not sent", customer.ListQuery{NewestFirst: true, Filter: customer.Filter{Search: "138"}},
			url.Values{"page_index": {"1"}, "rows_per_page": {"20"}}},
	}
	answer := readSeed(t, "seed_batch_get.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := providertest.NewWire(t)
			handleToken(t, w, wireToken)
			w.Handle("/api/customer/batch_get", func(rw http.ResponseWriter, r *http.Request) {
				providertest.CheckRequest(t, r, apiWant(wireToken, tt.want))
				providertest.Reply(rw, http.StatusOK, answer)
			})
			got, err := newWireClient(t, w, nil).List(context.Background(), tt.give)
			if err != nil {
				t.Fatal(err)
			}
			// The page is the one U8 says it served (page_index,
			// rows_per_page, row_count of the answer).
			if diff := cmp.Diff(got, seedPage()); diff != "" {
				t.Errorf("page (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWireListWithoutRows(t *testing.T) {
	w := providertest.NewWire(t)
	handleToken(t, w, wireToken)
	w.Handle("/api/customer/batch_get", func(rw http.ResponseWriter, r *http.Request) {
		providertest.CheckRequest(t, r, apiWant(wireToken, url.Values{"page_index": {"4"}, "rows_per_page": {"10"}}))
		// U8 answers an empty result with errcode 20002, not an empty
		// list (docs/upstreams.md §1.6).
		providertest.Reply(rw, http.StatusOK, `{"errcode":"20002","errmsg":"未检索到匹配的[客户]。"}`)
	})
	got, err := newWireClient(t, w, nil).List(context.Background(), customer.ListQuery{Page: 4, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := &customer.Page{Customers: []*customer.Customer{}, Page: 4, PageSize: 10}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("page (-got +want):\n%s", diff)
	}
}

// wireBatchBody is a batch_get answer in the document's shape (every count a
// string) holding rows with the given codes and names.
func wireBatchBody(t *testing.T, page, perPage, total int, codes, names []string) string {
	t.Helper()
	rows := make([]map[string]string, len(codes))
	for i := range codes {
		rows[i] = map[string]string{"code": codes[i], "name": names[i]}
	}
	b, err := json.Marshal(map[string]any{
		"errcode": "0", "errmsg": "", "page_index": fmt.Sprint(page), "rows_per_page": fmt.Sprint(perPage),
		"row_count": fmt.Sprint(total), "page_count": fmt.Sprint((total + perPage - 1) / perPage), "customer": rows,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWireFindByName(t *testing.T) {
	const name = "世纪天华集团公司"
	// Page 1 holds 500 rows the keyword matched, one of them named
	// exactly name; page 2 holds one more exact match.
	var codes1, names1 []string
	for i := 1; i <= MaxPageSize; i++ {
		codes1 = append(codes1, fmt.Sprintf("%08d", i))
		names1 = append(names1, fmt.Sprintf("%s分部%03d", name, i))
	}
	names1[0] = name
	pages := map[string]string{
		"1": wireBatchBody(t, 1, MaxPageSize, MaxPageSize+1, codes1, names1),
		"2": wireBatchBody(t, 2, MaxPageSize, MaxPageSize+1, []string{"00000501"}, []string{name}),
	}

	tests := []struct {
		name      string
		give      string
		answers   map[string]string // page_index → answer
		wantCodes []string
		wantLog   []string
	}{
		{
			name: "every page is read", give: name, answers: pages,
			wantCodes: []string{"00000001", "00000501"},
			wantLog:   []string{"GET /system/token", "GET /api/customer/batch_get", "GET /api/customer/batch_get"},
		},
		{
			name: "no row matched", give: name,
			answers:   map[string]string{"1": `{"errcode":"20002","errmsg":"未检索到匹配的[客户]。"}`},
			wantCodes: []string{},
			wantLog:   []string{"GET /system/token", "GET /api/customer/batch_get"},
		},
		{name: "blank name costs no call", give: "  ", wantCodes: []string{}, wantLog: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := providertest.NewWire(t)
			handleToken(t, w, wireToken)
			var pageIndex atomic.Int32
			w.Handle("/api/customer/batch_get", func(rw http.ResponseWriter, r *http.Request) {
				// Pages are read in order, each as large as the client
				// asks for, with the name as the keyword.
				page := fmt.Sprint(pageIndex.Add(1))
				providertest.CheckRequest(t, r, apiWant(wireToken, url.Values{
					"page_index": {page}, "rows_per_page": {fmt.Sprint(MaxPageSize)}, "name": {tt.give}}))
				providertest.Reply(rw, http.StatusOK, tt.answers[page])
			})
			got, err := newWireClient(t, w, nil).FindByName(context.Background(), tt.give)
			if err != nil {
				t.Fatal(err)
			}
			codes := []string{}
			for _, c := range got {
				if c.Name != name {
					t.Errorf("found %s named %q, want only %q", c.SourceID, c.Name, name)
				}
				codes = append(codes, c.SourceID)
			}
			if !slices.Equal(codes, tt.wantCodes) {
				t.Errorf("codes: got %q, want %q", codes, tt.wantCodes)
			}
			wantLog(t, w, tt.wantLog...)
		})
	}
}

func TestWireTokenRenewedWhenRefused(t *testing.T) {
	refusals := []struct {
		name, answer, code string
	}{
		// Unconfirmed: U8 documents no code for a bad or expired token
		// (docs/upstreams.md §1.2); 30002 is the client's assumption.
		{"errcode 30002", `{"errcode":"30002","errmsg":"无效的访问令牌"}`, "30002"},
		// docs/upstreams.md §1.2: on any non-"0" errcode whose errmsg
		// mentions the token, fetch a new one and retry once.
		{"errmsg about the token", `{"errcode":"40404","errmsg":"token已过期"}`, "40404"},
	}
	for _, refusal := range refusals {
		for _, tt := range []struct {
			name   string
			retry  string // the answer to the retry with the new token
			wantOK bool
		}{
			{"retried with a new token", wireGetBody, true},
			{"refused again", refusal.answer, false},
		} {
			t.Run(refusal.name+"/"+tt.name, func(t *testing.T) {
				w := providertest.NewWire(t)
				handleToken(t, w, wireToken, wireToken2)
				var calls atomic.Int32
				w.Handle("/api/customer/get", func(rw http.ResponseWriter, r *http.Request) {
					tok, answer := wireToken, refusal.answer
					if calls.Add(1) > 1 {
						tok, answer = wireToken2, tt.retry
					}
					providertest.CheckRequest(t, r, apiWant(tok, url.Values{"id": {"0000000017"}}))
					providertest.Reply(rw, http.StatusOK, answer)
				})
				got, err := newWireClient(t, w, nil).Get(context.Background(), "0000000017")
				// One renewal and one retry, never more.
				wantLog(t, w, "GET /system/token", "GET /api/customer/get", "GET /system/token", "GET /api/customer/get")
				if !tt.wantOK {
					wantUpstream(t, err, customer.ReasonAuth, refusal.code)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.SourceID != "0000000017" {
					t.Errorf("customer: got %s, want 0000000017", got.SourceID)
				}
			})
		}
	}
}

func TestWireTokenRenewedBeforeItExpires(t *testing.T) {
	clk := newClock()
	w := providertest.NewWire(t)
	handleToken(t, w, wireToken, wireToken2)
	var want atomic.Value // the token the next call must carry
	want.Store(wireToken)
	w.Handle("/api/customer/get", func(rw http.ResponseWriter, r *http.Request) {
		providertest.CheckRequest(t, r, apiWant(want.Load().(string), url.Values{"id": {"0000000017"}}))
		providertest.Reply(rw, http.StatusOK, wireGetBody)
	})
	c := newWireClient(t, w, func(cfg *Config) { cfg.Now = clk.Now })
	get := func() {
		t.Helper()
		if _, err := c.Get(context.Background(), "0000000017"); err != nil {
			t.Fatal(err)
		}
	}
	get()
	// expiresIn is 7200 s; the client renews refreshLead before that.
	clk.Advance(7200*time.Second - refreshLead - time.Second)
	get()
	if got := w.Calls("/system/token"); got != 1 {
		t.Fatalf("token requests before the renewal point: got %d, want 1", got)
	}
	clk.Advance(2 * time.Second)
	want.Store(wireToken2)
	get()
	wantLog(t, w, "GET /system/token", "GET /api/customer/get", "GET /api/customer/get",
		"GET /system/token", "GET /api/customer/get")
}
