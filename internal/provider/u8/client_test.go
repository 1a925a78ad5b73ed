package u8

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/sim/fixture"
)

func TestNewValidates(t *testing.T) {
	good := demoConfig("https://api.yonyouup.com")
	good.AppKey, good.AppSecret = "opa-KEY-1234", "SECRET-5678"
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" = valid
	}{
		{"good", func(*Config) {}, ""},
		{"no ds_sequence", func(c *Config) { c.DSSequence = "" }, ""},
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "BaseURL"},
		{"relative base URL", func(c *Config) { c.BaseURL = "api.yonyouup.com" }, "BaseURL"},
		{"base URL with query", func(c *Config) { c.BaseURL = "https://x/?app_secret=SECRET-5678" }, "BaseURL"},
		{"no from_account", func(c *Config) { c.FromAccount = "" }, "FromAccount"},
		{"no to_account", func(c *Config) { c.ToAccount = " " }, "ToAccount"},
		{"no app key", func(c *Config) { c.AppKey = "" }, "AppKey"},
		{"no app secret", func(c *Config) { c.AppSecret = "" }, "AppSecret"},
		{"bad ds_sequence", func(c *Config) { c.DSSequence = "first" }, "DSSequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			c, err := New(cfg)
			if tt.want == "" {
				if err != nil || c == nil {
					t.Fatalf("got %v, want a client", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %s", err, tt.want)
			}
			for _, secret := range []string{"opa-KEY-1234", "SECRET-5678"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows a secret", err)
				}
			}
		})
	}
}

func TestConfigStringMasksSecrets(t *testing.T) {
	cfg := demoConfig("https://api.yonyouup.com")
	cfg.AppKey, cfg.AppSecret = "opa-KEY-1234", "SECRET-5678"
	for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(s, "opa-KEY-1234") || strings.Contains(s, "SECRET-5678") || !strings.Contains(s, "api.yonyouup.com") {
			t.Errorf("printed config %q", s)
		}
	}
}

func TestGet(t *testing.T) {
	e := newSim(t, simOptions{})
	c := e.client(t, nil, nil)
	ctx := context.Background()
	for i, company := range e.world.U8[:15] {
		code := fmt.Sprintf("%08d", i+1)
		got, err := c.Get(ctx, code)
		if err != nil {
			t.Fatalf("Get(%s): %v", code, err)
		}
		if got.Source != customer.U8 || got.SourceID != code || got.U8.Code != code || got.ID() != "u8:"+code {
			t.Errorf("Get(%s) = %s %s %s, want U8 %s", code, got.Source, got.SourceID, got.ID(), code)
		}
		if got.Name != company.Name {
			t.Errorf("Get(%s).Name = %q, want %q", code, got.Name, company.Name)
		}
		if got.UpdatedAt == nil || !got.UpdatedAt.Equal(company.Modified) {
			t.Errorf("Get(%s).UpdatedAt = %v, want %v", code, got.UpdatedAt, company.Modified)
		}
		if got.CreatedAt != nil {
			t.Errorf("Get(%s).CreatedAt = %v, want nil (U8 does not say)", code, got.CreatedAt)
		}
		if got.Address != nil && *got.Address.Formatted != company.Address {
			t.Errorf("Get(%s) address %q, want %q", code, *got.Address.Formatted, company.Address)
		}
	}
}

func TestGetNotFound(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	c := e.client(t, nil, nil)
	for _, code := range []string{"99999999", "1", "00000011"} {
		_, err := c.Get(context.Background(), code)
		if !customer.IsNotFound(err) {
			t.Errorf("Get(%s): got %v, want not found", code, err)
		}
	}
	if _, err := c.Get(context.Background(), ""); customer.AsError(err).Code != customer.CodeBadInput {
		t.Errorf("Get(\"\"): got %v, want BAD_USER_INPUT", err)
	}
}

// walk lists every page of q and returns the customers.
func walk(t *testing.T, c *Client, q customer.ListQuery) []*customer.Customer {
	t.Helper()
	var all []*customer.Customer
	for q.Page = 1; ; q.Page++ {
		p, err := c.List(context.Background(), q)
		if err != nil {
			t.Fatalf("List page %d: %v", q.Page, err)
		}
		if p.Page != q.Page {
			t.Fatalf("served page %d, asked %d", p.Page, q.Page)
		}
		all = append(all, p.Customers...)
		if !p.HasMore() {
			if p.Total != len(all) {
				t.Fatalf("Total %d, walked %d", p.Total, len(all))
			}
			return all
		}
		if q.Page > 1000 {
			t.Fatal("paging does not end")
		}
	}
}

func TestListWalksEveryRecordOnce(t *testing.T) {
	e := newSim(t, simOptions{customers: 130})
	c := e.client(t, nil, nil)
	for _, size := range []int{0, 1, 37, 130, 10_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			all := walk(t, c, customer.ListQuery{PageSize: size})
			if len(all) != len(e.world.U8) {
				t.Fatalf("walked %d customers, want %d", len(all), len(e.world.U8))
			}
			for i, cust := range all {
				if want := fmt.Sprintf("%08d", i+1); cust.SourceID != want {
					t.Fatalf("customer %d is %s, want %s: each once, in code order", i, cust.SourceID, want)
				}
			}
		})
	}
	p, err := c.List(context.Background(), customer.ListQuery{Page: 1, PageSize: 10_000})
	if err != nil || p.PageSize != MaxPageSize {
		t.Errorf("page size 10000 served %v (%v), want capped at %d", p, err, MaxPageSize)
	}
	if p, err := c.List(context.Background(), customer.ListQuery{Page: 99, PageSize: 50}); err != nil || len(p.Customers) != 0 || p.HasMore() {
		t.Errorf("a page past the end gave %+v, %v; want an empty last page", p, err)
	}
}

func TestListFilters(t *testing.T) {
	e := newSim(t, simOptions{customers: 150})
	c := e.client(t, nil, nil)
	all := walk(t, c, customer.ListQuery{PageSize: MaxPageSize})
	since := e.world.U8[20].Modified.Add(time.Minute)
	tests := []struct {
		name   string
		filter customer.Filter
	}{
		{"name keyword", customer.Filter{Name: e.world.U8[3].Brand}},
		{"city in name", customer.Filter{Name: "上海"}},
		{"code range", customer.Filter{CodeFrom: "00000040", CodeTo: "00000075"}},
		{"code from", customer.Filter{CodeFrom: "00000140"}},
		{"updated since", customer.Filter{UpdatedSince: &since}},
		{"all together", customer.Filter{Name: "有限", CodeTo: "00000100", UpdatedSince: &since}},
		{"nothing matches", customer.Filter{Name: "没有这个名字"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, cust := range all {
				if tt.filter.Matches(cust) {
					want = append(want, cust.SourceID)
				}
			}
			pushed := walk(t, c, customer.ListQuery{PageSize: 9, Filter: tt.filter})
			var got []string
			for _, cust := range pushed {
				if tt.filter.Matches(cust) { // what the service does afterwards
					got = append(got, cust.SourceID)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %v, want %v", got, want)
			}
			if len(want) < len(all) && len(pushed) == len(all) {
				t.Errorf("the filter was not pushed down: U8 sent all %d records", len(all))
			}
		})
	}
}

func TestFindByName(t *testing.T) {
	named := func(serial int, name string) *fixture.Company {
		return &fixture.Company{Serial: serial, Name: name, Modified: time.Date(2024, 1, 2, 3, 4, 5, 0, fixture.Shanghai)}
	}
	var companies []*fixture.Company
	for _, n := range []string{"华信电子", "华信电子有限公司", "深圳华信电子有限公司", "华信电子"} {
		companies = append(companies, named(len(companies)+1, n))
	}
	// More namesakes than one page holds, so that FindByName must page.
	for i := 0; i < MaxPageSize+20; i++ {
		companies = append(companies, named(len(companies)+1, "同名贸易有限公司"))
	}
	companies = append(companies, named(len(companies)+1, "同名贸易有限公司分公司"))
	e := newSim(t, simOptions{companies: companies})
	c := e.client(t, nil, nil)
	tests := []struct {
		name  string
		codes int
	}{
		{"华信电子", 2},
		{"华信电子有限公司", 1},
		{"同名贸易有限公司", MaxPageSize + 20},
		{"华信", 0},
		{"不存在", 0},
		{"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.FindByName(context.Background(), tt.name)
			if err != nil {
				t.Fatalf("FindByName: %v", err)
			}
			if got == nil || len(got) != tt.codes {
				t.Fatalf("got %d customers (%v), want %d", len(got), got, tt.codes)
			}
			for _, cust := range got {
				if cust.Name != tt.name {
					t.Errorf("got %q, want only exact matches of %q", cust.Name, tt.name)
				}
			}
		})
	}
	if n := e.calls("/api/customer/batch_get"); n != 6 {
		t.Errorf("%d batch_get calls, want 6 (two pages for the namesakes, one per other non-empty name)", n)
	}
}

func TestSimFaultsMapToUnavailable(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	c := e.client(t, nil, nil)
	if _, err := c.Get(context.Background(), "00000001"); err != nil { // token in hand
		t.Fatal(err)
	}
	e.faults.Set(0, 1)
	const calls = 24
	for i := 0; i < calls; i++ {
		_, err := c.Get(context.Background(), "00000001")
		e := customer.AsError(err)
		if e.Reason != customer.ReasonUnavailable || !customer.IsTransient(err) {
			t.Fatalf("call %d: got %v (%s %s), want a transient UNAVAILABLE", i, err, e.Reason, e.UpstreamCode)
		}
	}
	if got := e.rejected("injected_fault"); got < calls {
		t.Errorf("%d injected faults counted, want at least %d", got, calls)
	}
	if got := e.calls("/system/token"); got != 1 {
		t.Errorf("%d token calls: faults must not cost the token", got)
	}
}
