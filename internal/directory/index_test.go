package directory

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
)

// opt sets a field of a test customer.
type opt func(*customer.Customer)

func phones(ns ...string) opt {
	return func(c *customer.Customer) {
		for _, n := range ns {
			c.Phones = append(c.Phones, customer.Phone{Kind: customer.PhoneWork, Number: n})
		}
	}
}
func email(e string) opt   { return func(c *customer.Customer) { c.Email = &e } }
func short(s string) opt   { return func(c *customer.Customer) { c.ShortName = &s } }
func contact(s string) opt { return func(c *customer.Customer) { c.ContactName = &s } }
func updated(day int) opt {
	return func(c *customer.Customer) {
		t := time.Date(2026, 1, 1, 0, 0, 0, 0, customer.Shanghai).AddDate(0, 0, day)
		c.UpdatedAt = &t
	}
}
func crmContact(name, mail, tel string) opt {
	return func(c *customer.Customer) {
		if c.CRM == nil {
			c.CRM = &customer.CRMCustomer{ID: c.SourceID}
		}
		ct := customer.CRMContact{Name: name, Address: &customer.CRMAddress{}}
		if mail != "" {
			ct.Address.Email = &mail
		}
		if tel != "" {
			ct.Address.Phone = &tel
		}
		c.CRM.Contacts = append(c.CRM.Contacts, ct)
	}
}

func entry(src customer.Source, id, name string, opts ...opt) *Entry {
	c := &customer.Customer{Source: src, SourceID: id, Name: name}
	for _, o := range opts {
		o(c)
	}
	return &Entry{C: c, Marker: "m1"}
}

// ids lists entries as "source:id".
func ids(es []*Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, string(e.C.Source)+":"+e.C.SourceID)
	}
	return out
}

func cids(cs []*customer.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, string(c.Source)+":"+c.SourceID)
	}
	return out
}

var all = customer.AllSources

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// sample is a small directory over the three sources.
func sample() []*Entry {
	return []*Entry{
		entry(customer.U8, "001", "杭州天华科技有限公司", short("天华科技"), phones("0571-88886666 转 801", "13811388661"), updated(5), email("Info@TianHua.com")),
		entry(customer.U8, "002", "北京华信电子有限公司", contact("王秀英"), phones("010-62345678"), updated(1)),
		entry(customer.YCM, "y1", "上海科达贸易有限公司", phones("+86 139 0000 1111"), updated(9)),
		entry(customer.YCM, "y2", "ＡＢＣ国际贸易公司", updated(3)),
		entry(customer.CRM, "c1", "深圳天华电子科技股份有限公司", crmContact("李明", "liming@szth.cn", "186 1234 5678"), updated(7)),
		entry(customer.CRM, "c2", "长沙重工机械有限公司", phones("0731-84445555"), updated(2)),
		entry(customer.CRM, "c3", "重庆长江科技有限公司", updated(8)),
	}
}

// rebuilt returns an index holding es in its base (and nothing in its
// delta), and one holding them in its delta: each test runs on both.
func variants(es []*Entry) map[string]*Index {
	inDelta := NewIndex()
	inDelta.Apply(es, nil)
	inBase := NewIndex()
	inBase.Apply(es, nil)
	s := inBase.cur.Load()
	inBase.cur.Store(&snap{b: s.rebuild()})
	// and a mix: half in the base, half in the delta
	mixed := NewIndex()
	mixed.Apply(es[:len(es)/2], nil)
	s = mixed.cur.Load()
	mixed.cur.Store(&snap{b: s.rebuild()})
	mixed.Apply(es[len(es)/2:], nil)
	return map[string]*Index{"delta": inDelta, "base": inBase, "mixed": mixed}
}

func TestQuerySearch(t *testing.T) {
	tests := []struct {
		search  string
		sources []customer.Source
		want    []string // in NAME order
	}{
		{search: "科"}, // one character: want is computed below
		{search: "天华", want: []string{"U8:001", "CRM:c1"}},   // two characters
		{search: "科技有限", want: []string{"CRM:c3", "U8:001"}}, // 3+: 深圳天华电子科技股份有限 has no 科技有限
		{search: "电子科技", want: []string{"CRM:c1"}},
		{search: "天 华", want: []string{"U8:001", "CRM:c1"}},                                          // spaces
		{search: "ａｂｃ", want: []string{"YCM:y2"}},                                                    // full-width query
		{search: "ABC国际", want: []string{"YCM:y2"}},                                                  // upper case, record full-width
		{search: "TIANHUA", want: []string{"U8:001"}},                                                // email, case
		{search: "liming@", want: []string{"CRM:c1"}},                                                // a CRM contact's email
		{search: "李明", want: []string{"CRM:c1"}},                                                     // a CRM contact's name
		{search: "王秀英", want: []string{"U8:002"}},                                                    // contact name
		{search: "88886666", want: []string{"U8:001"}},                                               // digits
		{search: "8888-6666", want: []string{"U8:001"}},                                              // digits with punctuation
		{search: "(0571)8888", want: []string{"U8:001"}},                                             // digits with parentheses
		{search: "1234", want: []string{"CRM:c1"}},                                                   // a CRM contact's phone
		{search: "+86139", want: []string{"YCM:y1"}},                                                 // +86 typed
		{search: "801", want: []string{"U8:001"}},                                                    // the extension's digits
		{search: "科技", sources: []customer.Source{customer.CRM}, want: []string{"CRM:c3", "CRM:c1"}}, // sources
		{search: "不存在", want: []string{}},
		{search: "司华", want: []string{}}, // spans two fields: no match
		{search: "", sources: []customer.Source{customer.YCM}, want: []string{"YCM:y2", "YCM:y1"}},
	}
	for name, x := range variants(sample()) {
		for _, tt := range tests {
			src := tt.sources
			if src == nil {
				src = all
			}
			want := tt.want
			if tt.search == "科" { // every record holding 科
				want = nil
				for _, e := range sample() {
					if slices.Contains(src, e.C.Source) && strings.Contains(newRec(e).hay, "科") {
						want = append(want, ids([]*Entry{e})...)
					}
				}
				want = sortByName(t, x, want)
			}
			got := x.Query(Query{Sources: src, Filter: customer.Filter{Search: tt.search}, First: 20})
			if g := ids(got.Entries); !slices.Equal(g, want) || got.Total != len(want) || got.More {
				t.Errorf("%s: search %q: got %v (total %d, more %v), want %v (total %d)", name, tt.search, g, got.Total, got.More, want, len(want))
			}
		}
	}
}

// sortByName orders "source:id" strings as the index's NAME order.
func sortByName(t *testing.T, x *Index, keys []string) []string {
	t.Helper()
	out := slices.Clone(keys)
	key := func(s string) []byte {
		src, id, _ := strings.Cut(s, ":")
		e, ok := x.Get(Key{customer.Source(src), id})
		if !ok {
			t.Fatalf("no record %s", s)
		}
		return newRec(e).name
	}
	slices.SortFunc(out, func(a, b string) int { return bytes.Compare(key(a), key(b)) })
	return out
}

// walk reads every page of q, First at a time, and returns the entries.
func walk(x *Index, q Query, between func(page int)) ([]*Entry, []int) {
	var out []*Entry
	var totals []int
	q.After = nil
	for page := 0; ; page++ {
		r := x.Query(q)
		out = append(out, r.Entries...)
		totals = append(totals, r.Total)
		if len(r.Entries) != len(r.Keys) {
			panic("entries and keys differ")
		}
		if !r.More {
			return out, totals
		}
		q.After = r.Keys[len(r.Keys)-1]
		if between != nil {
			between(page)
		}
	}
}

func TestQueryPinyinOrderAcrossPages(t *testing.T) {
	es := []*Entry{
		entry(customer.CRM, "6", "中山"),
		entry(customer.U8, "1", "大连"),
		entry(customer.YCM, "2", "重庆"),
		entry(customer.U8, "3", "阿里"),
		entry(customer.CRM, "4", "长沙"),
		entry(customer.YCM, "5", "北京"),
		entry(customer.U8, "7", "北京市"), // a name that another's is a prefix of
		entry(customer.CRM, "8", "北京"), // a tie: broken by source (U8, YCM, CRM), then ID
		entry(customer.CRM, "9", "Apple"),
		entry(customer.U8, "10", "123"),
		entry(customer.CRM, "10", "北京"),
	}
	want := []string{"U8:10", "CRM:9", "U8:3", "YCM:5", "CRM:10", "CRM:8", "U8:7", "CRM:4", "YCM:2", "U8:1", "CRM:6"}
	for name, x := range variants(es) {
		for _, first := range []int{1, 2, 3, 20} {
			got, totals := walk(x, Query{Sources: all, First: first}, nil)
			if g := ids(got); !slices.Equal(g, want) {
				t.Errorf("%s, pages of %d: got %v, want %v", name, first, g, want)
			}
			for _, n := range totals {
				if n != len(want) {
					t.Errorf("%s, pages of %d: total %d, want %d", name, first, n, len(want))
				}
			}
			got, _ = walk(x, Query{Sources: all, First: first, Order: customer.Order{Field: customer.OrderName, Desc: true}}, nil)
			if g, w := ids(got), reversed(want); !slices.Equal(g, w) {
				t.Errorf("%s, pages of %d, descending: got %v, want %v", name, first, g, w)
			}
		}
	}
}

func TestQueryUpdatedAt(t *testing.T) {
	es := sample()
	es = append(es, entry(customer.U8, "003", "无时间有限公司")) // no UpdatedAt: the oldest
	want := []string{"YCM:y1", "CRM:c3", "CRM:c1", "U8:001", "YCM:y2", "CRM:c2", "U8:002", "U8:003"}
	for name, x := range variants(es) {
		for _, first := range []int{1, 3, 50} {
			got, _ := walk(x, Query{Sources: all, First: first, Order: customer.Order{Field: customer.OrderUpdatedAt, Desc: true}}, nil)
			if g := ids(got); !slices.Equal(g, want) {
				t.Errorf("%s, pages of %d, UPDATED_AT desc: got %v, want %v", name, first, g, want)
			}
			got, _ = walk(x, Query{Sources: all, First: first, Order: customer.Order{Field: customer.OrderUpdatedAt}}, nil)
			if g, w := ids(got), reversed(want); !slices.Equal(g, w) {
				t.Errorf("%s, pages of %d, UPDATED_AT asc: got %v, want %v", name, first, g, w)
			}
			got, _ = walk(x, Query{Sources: all, First: first, Filter: customer.Filter{Search: "科技"}, Order: customer.Order{Field: customer.OrderUpdatedAt, Desc: true}}, nil)
			if g, w := ids(got), []string{"CRM:c3", "CRM:c1", "U8:001"}; !slices.Equal(g, w) {
				t.Errorf("%s, pages of %d, search 科技 by UPDATED_AT desc: got %v, want %v", name, first, g, w)
			}
		}
	}
}

func TestQueryFilters(t *testing.T) {
	since := time.Date(2026, 1, 6, 0, 0, 0, 0, customer.Shanghai)
	tests := []struct {
		name    string
		sources []customer.Source
		filter  customer.Filter
		want    []string
	}{
		{"sources", []customer.Source{customer.U8, customer.YCM}, customer.Filter{}, []string{"YCM:y2", "U8:002", "U8:001", "YCM:y1"}},
		{"name", all, customer.Filter{Name: "有限公司"}, []string{"U8:002", "CRM:c2", "CRM:c3", "U8:001", "YCM:y1", "CRM:c1"}},
		{"name and search", all, customer.Filter{Name: "有限公司", Search: "科"}, []string{"CRM:c3", "U8:001", "YCM:y1", "CRM:c1"}},
		{"code", all, customer.Filter{CodeFrom: "002"}, []string{"YCM:y2", "U8:002", "CRM:c2", "CRM:c3", "YCM:y1", "CRM:c1"}},
		{"updated since", all, customer.Filter{UpdatedSince: &since}, []string{"CRM:c3", "U8:001", "YCM:y1", "CRM:c1"}}, // day 5 is since
	}
	for name, x := range variants(sample()) {
		for _, tt := range tests {
			got := x.Query(Query{Sources: tt.sources, Filter: tt.filter, First: 2})
			all, _ := walk(x, Query{Sources: tt.sources, Filter: tt.filter, First: 2}, nil)
			if g := ids(all); !slices.Equal(g, tt.want) || got.Total != len(tt.want) {
				t.Errorf("%s, %s: got %v (total %d), want %v (total %d)", name, tt.name, g, got.Total, tt.want, len(tt.want))
			}
		}
	}
}

func TestApplyReplaceDelete(t *testing.T) {
	for name, x := range variants(sample()) {
		if n := x.Len(customer.CRM); n != 3 {
			t.Errorf("%s: Len(CRM) = %d, want 3", name, n)
		}
		// Rename c2 (长沙 → 安徽: first of the Chinese names), delete y1,
		// add c4 (武汉: last).
		x.Apply([]*Entry{
			entry(customer.CRM, "c2", "安徽重工机械有限公司", updated(2)),
			entry(customer.CRM, "c4", "武汉科技有限公司"),
		}, []Key{{customer.YCM, "y1"}, {customer.U8, "nope"}})
		if e, ok := x.Get(Key{customer.CRM, "c2"}); !ok || e.C.Name != "安徽重工机械有限公司" {
			t.Errorf("%s: Get(c2) after replace = %v, %v; want the new name", name, e, ok)
		}
		if _, ok := x.Get(Key{customer.YCM, "y1"}); ok {
			t.Errorf("%s: Get(y1) after delete found it", name)
		}
		got, _ := walk(x, Query{Sources: all, First: 3}, nil)
		want := []string{"YCM:y2", "CRM:c2", "U8:002", "CRM:c3", "U8:001", "CRM:c1", "CRM:c4"}
		if g := ids(got); !slices.Equal(g, want) {
			t.Errorf("%s: after replace and delete: got %v, want %v", name, g, want)
		}
		if r := x.Query(Query{Sources: all, Filter: customer.Filter{Search: "长沙"}, First: 5}); r.Total != 0 {
			t.Errorf("%s: search for the old name: total %d, want 0", name, r.Total)
		}
		if n, m := x.Len(customer.CRM), x.Len(customer.YCM); n != 4 || m != 1 {
			t.Errorf("%s: Len(CRM), Len(YCM) = %d, %d; want 4, 1", name, n, m)
		}
		var each []*Entry
		x.Each(customer.CRM, func(e *Entry) bool { each = append(each, e); return true })
		if g, w := ids(each), []string{"CRM:c2", "CRM:c3", "CRM:c1", "CRM:c4"}; !slices.Equal(g, w) {
			t.Errorf("%s: Each(CRM) = %v, want %v", name, g, w)
		}
		each = nil
		x.Each(customer.CRM, func(e *Entry) bool { each = append(each, e); return len(each) < 2 })
		if len(each) != 2 {
			t.Errorf("%s: Each stopped after %d entries, want 2", name, len(each))
		}
		// Upserted and deleted in one call: deleted.
		x.Apply([]*Entry{entry(customer.U8, "009", "新公司")}, []Key{{customer.U8, "009"}})
		if _, ok := x.Get(Key{customer.U8, "009"}); ok {
			t.Errorf("%s: a key upserted and deleted in one Apply is held", name)
		}
	}
}

func TestNamed(t *testing.T) {
	es := append(sample(),
		entry(customer.CRM, "c9", "深圳天华电子科技股份有限公司"), // the same name as c1
		entry(customer.CRM, "c10", "深圳天华电子科技股份有限公司 "),
		entry(customer.U8, "009", "深圳天华电子科技股份有限公司"),
	)
	for name, x := range variants(es) {
		tests := []struct {
			src  customer.Source
			name string
			want []string
		}{
			{customer.CRM, "深圳天华电子科技股份有限公司", []string{"CRM:c1", "CRM:c9"}},
			{customer.U8, "深圳天华电子科技股份有限公司", []string{"U8:009"}},
			{customer.YCM, "深圳天华电子科技股份有限公司", []string{}},
			{customer.CRM, "深圳天华", []string{}},
			{customer.YCM, "ＡＢＣ国际贸易公司", []string{"YCM:y2"}},
			{customer.YCM, "ABC国际贸易公司", []string{}}, // exact: no normalization
		}
		for _, tt := range tests {
			if got := cids(x.Named(tt.src, tt.name)); !slices.Equal(got, tt.want) {
				t.Errorf("%s: Named(%s, %q) = %v, want %v", name, tt.src, tt.name, got, tt.want)
			}
		}
		x.Apply(nil, []Key{{customer.CRM, "c1"}})
		if got := cids(x.Named(customer.CRM, "深圳天华电子科技股份有限公司")); !slices.Equal(got, []string{"CRM:c9"}) {
			t.Errorf("%s: Named after deleting c1 = %v, want [CRM:c9]", name, got)
		}
	}
}

func TestByPhone(t *testing.T) {
	es := []*Entry{
		entry(customer.U8, "1", "杭州甲公司", phones("0571-88886666 转 801")),
		entry(customer.U8, "2", "杭州乙公司", phones("(0571)88886666")),
		entry(customer.YCM, "3", "杭州丙公司", phones("+86 571 8888 6666 ext 802")),
		entry(customer.CRM, "4", "北京丁公司", phones("13811388661"), crmContact("王", "", "0571-88886666#801")),
		entry(customer.CRM, "5", "上海戊公司", phones("8888-6666")),
		entry(customer.CRM, "6", "阿里", phones("无", "0086 138 1138 8661")),
	}
	tests := []struct {
		number  string
		sources []customer.Source
		want    []string
	}{
		{"+86 138-1138-8661", all, []string{"CRM:6", "CRM:4"}},
		{"0086 13811388661", all, []string{"CRM:6", "CRM:4"}},
		{"8613811388661", all, []string{"CRM:6", "CRM:4"}},
		{"13811388661", []customer.Source{customer.U8}, []string{}},
		{"(0571)88886666", all, []string{"CRM:4", "YCM:3", "U8:1", "U8:2"}},
		{"0571-8888 6666", []customer.Source{customer.U8, customer.YCM}, []string{"YCM:3", "U8:1", "U8:2"}},
		{"0571-8888 6666 转 801", all, []string{"CRM:4", "U8:1", "U8:2"}}, // 802 left out; no extension kept
		{"0571-88886666 分机 802", all, []string{"YCM:3", "U8:2"}},
		{"0571-88886666x803", all, []string{"U8:2"}},
		{"88886666", all, []string{"CRM:5"}}, // no area code: only what was typed without one
		{"０５７１８８８８６６６６", all, []string{"CRM:4", "YCM:3", "U8:1", "U8:2"}},
		{"13900000000", all, []string{}},
	}
	for name, x := range variants(es) {
		for _, tt := range tests {
			p, err := customer.NormalizePhone(tt.number)
			if err != nil {
				t.Fatalf("NormalizePhone(%q): %v", tt.number, err)
			}
			if got := cids(x.ByPhone(p, tt.sources)); !slices.Equal(got, tt.want) {
				t.Errorf("%s: ByPhone(%q) = %v, want %v", name, tt.number, got, tt.want)
			}
		}
	}
}

// TestWalkStableUnderChanges walks every order page by page while records
// are inserted, replaced and deleted between pages (and the base is
// rebuilt): no record is seen twice, and every record unchanged through
// the walk is seen.
func TestWalkStableUnderChanges(t *testing.T) {
	defer func(a, b int) { minDelta, maxDelta = a, b }(minDelta, maxDelta)
	minDelta, maxDelta = 16, 64
	orders := []customer.Order{{}, {Desc: true}, {Field: customer.OrderUpdatedAt}, {Field: customer.OrderUpdatedAt, Desc: true}}
	for _, ord := range orders {
		for _, search := range []string{"", "科", "科技有限"} {
			r := rand.New(rand.NewPCG(7, 8))
			x := NewIndex()
			x.Apply(genEntries(r, 0, 600), nil)
			next := 600
			changed := map[string]bool{}
			between := func(int) {
				var ups []*Entry
				var dels []Key
				for range 5 {
					ups = append(ups, genEntries(r, next, 1)...)
					next++
					id := fmt.Sprint(r.IntN(next))
					src := all[r.IntN(3)]
					changed[string(src)+":"+id] = true
					if r.IntN(2) == 0 {
						dels = append(dels, Key{src, id})
					} else {
						ups = append(ups, genEntry(r, src, id))
					}
				}
				x.Apply(ups, dels)
			}
			before := map[string]bool{}
			x.Each(customer.U8, func(e *Entry) bool { before[ids([]*Entry{e})[0]] = true; return true })
			x.Each(customer.YCM, func(e *Entry) bool { before[ids([]*Entry{e})[0]] = true; return true })
			x.Each(customer.CRM, func(e *Entry) bool { before[ids([]*Entry{e})[0]] = true; return true })
			q := Query{Sources: all, First: 7, Order: ord, Filter: customer.Filter{Search: search}}
			got, _ := walk(x, q, between)
			seen := map[string]bool{}
			for _, k := range ids(got) {
				if seen[k] && !changed[k] { // a changed record may move past the cursor
					t.Errorf("order %+v, search %q: %s seen twice", ord, search, k)
				}
				seen[k] = true
			}
			want := 0
			for k := range before {
				src, id, _ := strings.Cut(k, ":")
				e, _ := x.Get(Key{customer.Source(src), id})
				if changed[k] || e == nil || search != "" && !strings.Contains(newRec(e).hay, searchText(search)) {
					continue
				}
				want++
				if !seen[k] {
					t.Errorf("order %+v, search %q: unchanged %s skipped", ord, search, k)
				}
			}
			if want < 50 {
				t.Errorf("order %+v, search %q: only %d unchanged records to check", ord, search, want)
			}
		}
	}
}

// genEntry makes a record of src with random parts, so that searches,
// ties and orders have something to bite on.
func genEntry(r *rand.Rand, src customer.Source, id string) *Entry {
	cities := []string{"杭州", "北京", "长沙", "重庆", "上海", "深圳"}
	brands := []string{"天华", "华信", "科达", "长江", "中山", "东方"}
	trades := []string{"科技", "电子科技", "贸易", "机械", "网络科技"}
	name := cities[r.IntN(len(cities))] + brands[r.IntN(len(brands))] + trades[r.IntN(len(trades))] + "有限公司"
	if r.IntN(10) == 0 {
		name = brands[r.IntN(len(brands))] // short names, ties
	}
	opts := []opt{phones(fmt.Sprintf("0571-8%07d", r.IntN(1000)))}
	if r.IntN(4) > 0 {
		opts = append(opts, updated(r.IntN(60)))
	}
	return entry(src, id, name, opts...)
}

func genEntries(r *rand.Rand, from, n int) []*Entry {
	var out []*Entry
	for i := from; i < from+n; i++ {
		out = append(out, genEntry(r, all[i%3], fmt.Sprint(i)))
	}
	return out
}

// TestQueryAgainstModel compares every answer with a brute-force model
// through random upserts, deletes and rebuilds.
func TestQueryAgainstModel(t *testing.T) {
	defer func(a, b int) { minDelta, maxDelta = a, b }(minDelta, maxDelta)
	minDelta, maxDelta = 8, 40
	r := rand.New(rand.NewPCG(9, 10))
	x := NewIndex()
	model := map[Key]*Entry{}
	searches := []string{"", "科", "天华", "科技有限", "华信电子", "0571", "80", "有限公司", "zz"}
	orders := []customer.Order{{}, {Desc: true}, {Field: customer.OrderUpdatedAt}, {Field: customer.OrderUpdatedAt, Desc: true}}
	srcSets := [][]customer.Source{all, {customer.U8}, {customer.YCM, customer.CRM}}
	for round := 0; round < 60; round++ {
		var ups []*Entry
		var dels []Key
		for range r.IntN(30) {
			id := fmt.Sprint(r.IntN(300))
			src := all[r.IntN(3)]
			if r.IntN(4) == 0 {
				dels = append(dels, Key{src, id})
				delete(model, Key{src, id})
			} else {
				e := genEntry(r, src, id)
				ups = append(ups, e)
			}
		}
		for _, e := range ups {
			k := Key{e.C.Source, e.C.SourceID}
			if !slices.Contains(dels, k) {
				model[k] = e
			}
		}
		x.Apply(ups, dels)
		if round%7 == 3 {
			// A pass's end folds the delta in; answers must not change.
			x.Compact(1)
			if s := x.cur.Load(); len(s.dKey) != 0 || s.dead.count() != 0 {
				t.Fatalf("round %d: after Compact, delta %d and %d dead", round, len(s.dKey), s.dead.count())
			}
		}
		for _, src := range all {
			n := 0
			for k := range model {
				if k.Source == src {
					n++
				}
			}
			if got := x.Len(src); got != n {
				t.Fatalf("round %d: Len(%s) = %d, want %d", round, src, got, n)
			}
		}
		for range 10 {
			q := Query{
				Sources: srcSets[r.IntN(len(srcSets))],
				Filter:  customer.Filter{Search: searches[r.IntN(len(searches))]},
				Order:   orders[r.IntN(len(orders))],
				First:   1 + r.IntN(15),
			}
			var want []*rec
			for _, e := range model {
				rc := newRec(e)
				if slices.Contains(q.Sources, e.C.Source) && strings.Contains(rc.hay, searchText(q.Filter.Search)) {
					want = append(want, rc)
				}
			}
			key := func(r *rec) []byte { return r.name }
			if q.Order.Field == customer.OrderUpdatedAt {
				key = func(r *rec) []byte { return r.upd }
			}
			slices.SortFunc(want, func(a, b *rec) int {
				if q.Order.Desc {
					return bytes.Compare(key(b), key(a))
				}
				return bytes.Compare(key(a), key(b))
			})
			// Start somewhere in the middle, by a key of the model.
			if len(want) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(want))
				q.After = key(want[i])
				want = want[i+1:]
			}
			got := x.Query(q)
			var wantIDs []string
			for _, w := range want[:min(len(want), q.First)] {
				wantIDs = append(wantIDs, ids([]*Entry{w.e})[0])
			}
			if g := ids(got.Entries); !slices.Equal(g, wantIDs) && !(len(g) == 0 && len(wantIDs) == 0) {
				t.Fatalf("round %d, %+v: got %v, want %v", round, q, g, wantIDs)
			}
			if got.More != (len(want) > q.First) {
				t.Fatalf("round %d, %+v: more %v, want %v", round, q, got.More, len(want) > q.First)
			}
			for i, k := range got.Keys {
				if !bytes.Equal(k, key(newRec(got.Entries[i]))) {
					t.Fatalf("round %d: key %d is not the entry's", round, i)
				}
			}
		}
	}
}

// TestQueryTotalAgainstModel checks Total on its own (the model test
// above pages from the middle).
func TestQueryTotal(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	es := genEntries(r, 0, 500)
	for name, x := range variants(es) {
		for _, search := range []string{"", "科", "天华", "科技有限", "0571"} {
			for _, srcs := range [][]customer.Source{all, {customer.CRM}} {
				want := 0
				for _, e := range es {
					if slices.Contains(srcs, e.C.Source) && strings.Contains(newRec(e).hay, searchText(search)) {
						want++
					}
				}
				if got := x.Query(Query{Sources: srcs, Filter: customer.Filter{Search: search}, First: 5}).Total; got != want {
					t.Errorf("%s: search %q in %v: total %d, want %d", name, search, srcs, got, want)
				}
			}
		}
	}
}

// TestConcurrentReadersAndWriter runs queries, lookups and walks while a
// writer applies changes and rebuilds; run it with -race.
func TestConcurrentReadersAndWriter(t *testing.T) {
	defer func(a, b int) { minDelta, maxDelta = a, b }(minDelta, maxDelta)
	minDelta, maxDelta = 32, 64
	r := rand.New(rand.NewPCG(13, 14))
	x := NewIndex()
	x.Apply(genEntries(r, 0, 900), nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res := x.Query(Query{Sources: all, Filter: customer.Filter{Search: []string{"", "科", "天华", "科技有限"}[i%4]}, First: 10})
				if len(res.Entries) > 10 || res.Total < len(res.Entries) {
					t.Errorf("a page of %d entries, total %d", len(res.Entries), res.Total)
				}
				x.Get(Key{customer.U8, "3"})
				x.Named(customer.CRM, "天华")
				p, _ := customer.NormalizePhone("0571-80000001")
				x.ByPhone(p, all)
				n := 0
				x.Each(customer.YCM, func(*Entry) bool { n++; return true })
				if n == 0 {
					t.Errorf("Each(YCM) saw nothing")
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		ups := genEntries(r, 900+i*5, 5)
		ups = append(ups, genEntry(r, customer.U8, fmt.Sprint(r.IntN(900))))
		x.Apply(ups, []Key{{all[r.IntN(3)], fmt.Sprint(r.IntN(900))}})
	}
	close(stop)
	wg.Wait()
}

// TestContains holds the windowed contains to strings.Contains.
func TestContains(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	alphabet := []string{"a", "b", "科", "技", "\n", "1"}
	gen := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 20000 {
		h, q := gen(r.IntN(120)), gen(1+r.IntN(12))
		if got, want := contains(h, q), strings.Contains(h, q); got != want {
			t.Fatalf("contains(%q, %q) = %v, want %v", h, q, got, want)
		}
	}
}
