package u8

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"custgraph/internal/customer"
)

const fakeToken = "0123456789abcdef0123456789abcdef"

// fakeU8 serves a valid token and answers every other path with api.
func fakeU8(t *testing.T, api http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /system/token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"errcode":"0","errmsg":"成功","token":{"appKey":"k","expiresIn":7200,"id":"` + fakeToken + `"}}`))
	})
	mux.HandleFunc("/", api)
	return fakeServer(t, mux)
}

func fakeServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func serveBody(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }
}

func fakeClient(t *testing.T, srv *httptest.Server) *Client {
	t.Helper()
	c, err := New(demoConfig(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// TestSeedSample decodes the vendor's own batch_get sample, verbatim.
func TestSeedSample(t *testing.T) {
	body, err := os.ReadFile("testdata/seed_batch_get.json")
	if err != nil {
		t.Fatal(err)
	}
	c := fakeClient(t, fakeU8(t, serveBody(body)))
	got, err := c.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := &customer.Page{Page: 1, PageSize: 2, Total: 109, Customers: []*customer.Customer{
		{
			Source: customer.U8, SourceID: "000", Name: "000", ShortName: ptr("000"), Phones: []customer.Phone{},
			U8: &customer.U8Customer{Code: "000", AbbrName: ptr("000"), SortCode: ptr("01")},
		},
		{
			Source: customer.U8, SourceID: "00000001", Name: "世纪天华集团公司", ShortName: ptr("世纪天华"),
			ContactName: ptr("刘婷"),
			Phones:      []customer.Phone{{Kind: customer.PhoneMobile, Number: "13811388661"}},
			U8: &customer.U8Customer{
				Code: "00000001", AbbrName: ptr("世纪天华"), DomainCode: ptr("01"), Industry: ptr("电子类"),
				Contact: ptr("刘婷"), SortCode: ptr("03"), Mobile: ptr("13811388661"),
			},
		},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed sample mapped wrong (-want +got):\n%s", diff)
	}
	if !got.HasMore() {
		t.Error("page 1 of 55 says no more pages")
	}
}

func TestSeedErrorSample(t *testing.T) {
	body, err := os.ReadFile("testdata/seed_error.json")
	if err != nil {
		t.Fatal(err)
	}
	c := fakeClient(t, fakeU8(t, serveBody(body)))
	_, err = c.Get(context.Background(), "00000001")
	wantUpstream(t, err, customer.ReasonAuth, "30021")
}

// TestFullRecord maps a record with every field, as customer/get sends it.
func TestFullRecord(t *testing.T) {
	body := []byte(`{"errcode":"0","errmsg":"","customer":{
		"code":"00000017","name":"上海华信电子科技有限公司","abbrname":"华信电子","sort_code":"02","domain_code":"01",
		"industry":"电子类","address":"上海市徐汇区漕溪北路88号","bank_open":"招商银行上海徐汇支行","bank_acc_number":"6225880212345678",
		"contact":"王秀英","phone":"021-64871234","fax":"021-64871235","mobile":13811388661,"devliver_site":"上海市徐汇区漕溪北路88号仓库",
		"ModifyDate":"2024-03-05 14:22:10","seed_date":"2019-07-01","end_date":"2025-01-31","memo":"月结30天","ccusexch_name":"人民币",
		"bcusdomestic":"1","bcusoverseas":"0","bserviceattribute":true,"ccusmngtypecode":"999","ccusmngtypename":"普通客户",
		"spec_operator_name":"张伟","timestamp":"1049205","self_define1":"AA","self_define9":50000,"self_define16":"KH20150123"}}`)
	c := fakeClient(t, fakeU8(t, serveBody(body)))
	got, err := c.Get(context.Background(), "00000017")
	if err != nil {
		t.Fatal(err)
	}
	modified := time.Date(2024, 3, 5, 14, 22, 10, 0, customer.Shanghai)
	u := &customer.U8Customer{
		Code: "00000017", AbbrName: ptr("华信电子"), SortCode: ptr("02"), DomainCode: ptr("01"), Industry: ptr("电子类"),
		Address: ptr("上海市徐汇区漕溪北路88号"), BankOpen: ptr("招商银行上海徐汇支行"), BankAccNumber: ptr("6225880212345678"),
		Contact: ptr("王秀英"), Phone: ptr("021-64871234"), Fax: ptr("021-64871235"), Mobile: ptr("13811388661"),
		DeliverSite: ptr("上海市徐汇区漕溪北路88号仓库"), ModifiedAt: &modified,
		SeedDate: ptr(time.Date(2019, 7, 1, 0, 0, 0, 0, customer.Shanghai)),
		EndDate:  ptr(time.Date(2025, 1, 31, 0, 0, 0, 0, customer.Shanghai)),
		Memo:     ptr("月结30天"), CurrencyName: ptr("人民币"),
		Domestic: ptr(true), Overseas: ptr(false), ServiceAttribute: ptr(true),
		ManagementTypeCode: ptr("999"), ManagementTypeName: ptr("普通客户"), SpecOperatorName: ptr("张伟"),
		Timestamp: ptr("1049205"),
	}
	u.SelfDefine[0], u.SelfDefine[8], u.SelfDefine[15] = "AA", "50000", "KH20150123"
	want := &customer.Customer{
		Source: customer.U8, SourceID: "00000017", Name: "上海华信电子科技有限公司", ShortName: ptr("华信电子"),
		ContactName: ptr("王秀英"),
		Phones: []customer.Phone{
			{Kind: customer.PhoneWork, Number: "021-64871234"},
			{Kind: customer.PhoneMobile, Number: "13811388661"},
			{Kind: customer.PhoneFax, Number: "021-64871235"},
		},
		Address:   &customer.PostalAddress{Formatted: ptr("上海市徐汇区漕溪北路88号")},
		Remark:    ptr("月结30天"),
		UpdatedAt: &modified,
		U8:        u,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fields := got.U8.SelfDefinedFields(map[int]string{9: "信用额度"})
	if len(fields) != 3 || fields[1].Index != 9 || fields[1].Value != "50000" || *fields[1].Label != "信用额度" {
		t.Errorf("self-defined fields %+v", fields)
	}
}

// TestDecodingQuirks reads each odd shape U8 (or its XML bridge) is known
// or suspected to send.
func TestDecodingQuirks(t *testing.T) {
	sh := func(y int, mo time.Month, d, h, mi, s, ns int) *time.Time {
		v := time.Date(y, mo, d, h, mi, s, ns, customer.Shanghai)
		return &v
	}
	tests := []struct {
		name  string
		give  string // the customer object
		check func(c *customer.Customer) any
		want  any
	}{
		{"mobile as number", `{"mobile":13811388661}`, func(c *customer.Customer) any { return *c.U8.Mobile }, "13811388661"},
		{"mobile as string", `{"mobile":" 13811388661 "}`, func(c *customer.Customer) any { return c.Phones }, []customer.Phone{{Kind: customer.PhoneMobile, Number: "13811388661"}}},
		{"empty and null fields", `{"abbrname":"","contact":null,"phone":"","address":null,"memo":""}`,
			func(c *customer.Customer) any {
				return []any{c.ShortName, c.ContactName, len(c.Phones), c.Address, c.Remark}
			}, []any{(*string)(nil), (*string)(nil), 0, (*customer.PostalAddress)(nil), (*string)(nil)}},
		{"booleans true", `{"bcusdomestic":true,"bcusoverseas":"1","bserviceattribute":"是"}`,
			func(c *customer.Customer) any {
				return []bool{*c.U8.Domestic, *c.U8.Overseas, *c.U8.ServiceAttribute}
			}, []bool{true, true, true}},
		{"booleans false", `{"bcusdomestic":false,"bcusoverseas":"0","bserviceattribute":"否"}`,
			func(c *customer.Customer) any {
				return []bool{*c.U8.Domestic, *c.U8.Overseas, *c.U8.ServiceAttribute}
			}, []bool{false, false, false}},
		{"boolean as \"true\"", `{"bcusdomestic":"true"}`, func(c *customer.Customer) any { return *c.U8.Domestic }, true},
		{"booleans absent", `{}`, func(c *customer.Customer) any { return c.U8.Domestic }, (*bool)(nil)},
		{"ModifyDate date", `{"ModifyDate":"2024-03-05"}`, func(c *customer.Customer) any { return c.UpdatedAt }, sh(2024, 3, 5, 0, 0, 0, 0)},
		{"ModifyDate datetime", `{"ModifyDate":"2024-03-05 14:22:10"}`, func(c *customer.Customer) any { return c.U8.ModifiedAt }, sh(2024, 3, 5, 14, 22, 10, 0)},
		{"ModifyDate milliseconds", `{"ModifyDate":"2024-03-05 14:22:10.250"}`, func(c *customer.Customer) any { return c.UpdatedAt }, sh(2024, 3, 5, 14, 22, 10, 250e6)},
		{"ModifyDate ISO", `{"ModifyDate":"2024-03-05T14:22:10"}`, func(c *customer.Customer) any { return c.UpdatedAt }, sh(2024, 3, 5, 14, 22, 10, 0)},
		{"ModifyDate with offset", `{"ModifyDate":"2024-03-05T06:22:10Z"}`, func(c *customer.Customer) any { return c.UpdatedAt.Format(time.RFC3339) }, "2024-03-05T14:22:10+08:00"},
		{"ModifyDate garbage", `{"ModifyDate":"上周"}`, func(c *customer.Customer) any { return c.UpdatedAt }, (*time.Time)(nil)},
		{"seed_date as datetime", `{"seed_date":"2019-07-01 08:30:00"}`, func(c *customer.Customer) any { return c.U8.SeedDate }, sh(2019, 7, 1, 0, 0, 0, 0)},
		{"timestamp as number", `{"timestamp":1049205}`, func(c *customer.Customer) any { return *c.U8.Timestamp }, "1049205"},
		{"self_define as number", `{"self_define9":50000,"self_define2":"现结"}`, func(c *customer.Customer) any { return c.U8.SelfDefine[:9] },
			[]string{"", "现结", "", "", "", "", "", "", "50000"}},
		{"code with spaces", `{"code":" 00000001 "}`, func(c *customer.Customer) any { return c.SourceID }, "00000001"},
		{"fullwidth code", `{"code":"ＫＨ００１"}`, func(c *customer.Customer) any { return c.SourceID }, "ＫＨ００１"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w wireCustomer
			if err := decode([]byte(tt.give), &w); err != nil {
				t.Fatal(err)
			}
			if w.Code == "" {
				w.Code = "00000001"
			}
			c, err := toCustomer(&w)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.check(c)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPageQuirks(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		wantCodes int
		wantTotal int
		wantMore  bool
	}{
		{"counts as numbers, one row as an object",
			`{"errcode":"0","page_index":1,"rows_per_page":20,"row_count":1,"page_count":1,"customer":{"code":"00000001","name":"甲"}}`, 1, 1, false},
		{"counts as strings", `{"errcode":"0","page_index":"1","rows_per_page":"2","row_count":"3","customer":[{"code":"1"},{"code":"2"}]}`, 2, 3, true},
		{"no row_count, full page", `{"errcode":"0","customer":[{"code":"1"},{"code":"2"}]}`, 2, 3, true},
		{"no row_count, short page", `{"errcode":"0","customer":[{"code":"1"}]}`, 1, 1, false},
		{"customer null", `{"errcode":"0","row_count":"0","customer":null}`, 0, 0, false},
		{"20002 is an empty page", `{"errcode":"20002","errmsg":"未检索到匹配的[客户]。"}`, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeClient(t, fakeU8(t, serveBody([]byte(tt.give))))
			p, err := c.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Customers) != tt.wantCodes || p.Total != tt.wantTotal || p.HasMore() != tt.wantMore {
				t.Errorf("got %d customers, total %d, more %v; want %d, %d, %v",
					len(p.Customers), p.Total, p.HasMore(), tt.wantCodes, tt.wantTotal, tt.wantMore)
			}
		})
	}
}

func TestGetAnswerAsList(t *testing.T) {
	c := fakeClient(t, fakeU8(t, serveBody([]byte(`{"errcode":"0","customer":[{"code":"00000009","name":"乙"}]}`))))
	got, err := c.Get(context.Background(), "00000009")
	if err != nil || got.SourceID != "00000009" || got.Name != "乙" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// FuzzDecode feeds arbitrary bodies to the decoders and the mapping: they
// may refuse, never panic, and whatever maps has a code.
func FuzzDecode(f *testing.F) {
	for _, file := range []string{"testdata/seed_batch_get.json", "testdata/seed_error.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"errcode":"0","errmsg":"成功","token":{"appKey":"k","expiresIn":7200,"id":"abc"}}`))
	f.Add([]byte(`{"errcode":"0","customer":{"code":"1","mobile":1.3e10,"bcusdomestic":"是","ModifyDate":"2024-03-05"}}`))
	f.Add([]byte(`{"errcode":0,"row_count":"x","customer":[null,{"self_define16":[]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var tok tokenAnswer
		_ = decode(body, &tok)
		for _, out := range []envelopeHolder{&getAnswer{}, &batchAnswer{}} {
			if decode(body, out) != nil {
				continue
			}
			var list wireCustomers
			switch a := out.(type) {
			case *getAnswer:
				list = a.Customer
			case *batchAnswer:
				list = a.Customer
			}
			for i := range list {
				if c, err := toCustomer(&list[i]); err == nil && (c.SourceID == "" || c.U8 == nil || c.Phones == nil) {
					t.Fatalf("mapped %+v without code, extension or phones", c)
				}
			}
		}
	})
}
