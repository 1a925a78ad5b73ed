package identity

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"custgraph/internal/customer"
)

func ptr(s string) *string { return &s }

// rec builds a record: phones and emails as its own fields.
func rec(src customer.Source, id, name string, phones []string, email string) *customer.Customer {
	c := &customer.Customer{Source: src, SourceID: id, Name: name}
	for _, p := range phones {
		c.Phones = append(c.Phones, customer.Phone{Kind: customer.PhoneWork, Number: p})
	}
	if email != "" {
		c.Email = ptr(email)
	}
	switch src {
	case customer.U8:
		c.U8 = &customer.U8Customer{Code: id}
	case customer.YCM:
		c.YCM = &customer.YCMCustomer{CustomerID: id, Company: ptr(name)}
	case customer.CRM:
		c.CRM = &customer.CRMCustomer{ID: id}
	}
	return c
}

func person(id, name, mobile string) *customer.Customer {
	c := rec(customer.YCM, id, name, []string{mobile}, "")
	c.YCM.Company = nil
	c.ContactName = ptr(name)
	return c
}

func find(links []Link, src customer.Source, id string) (Link, bool) {
	for _, l := range links {
		if l.ID.Source == src && l.ID.Key == id {
			return l, true
		}
	}
	return Link{}, false
}

func conf(x *Index, a, b *customer.Customer) (float64, []Signal) {
	l, ok := find(x.Links(a, nil, nil), b.Source, b.SourceID)
	if !ok {
		return 0, nil
	}
	return l.Confidence, l.Signals
}

func TestLinksAsPeopleTypeThem(t *testing.T) {
	u8 := rec(customer.U8, "0001", "杭州卓创纺织有限公司", []string{"0571-88886666"}, "info@zhuochuang.com.cn")
	u8.ContactName = ptr("王秀英")
	u8.U8.Mobile = ptr("13811388661")
	u8.ShortName = ptr("卓创纺织")
	crm := rec(customer.CRM, "11", "卓创纺织（杭州）有限责任公司", nil, "")
	crmPhone := rec(customer.CRM, "12", "卓创纺织（杭州）有限责任公司", []string{"(0571)8888 6666"}, "")
	typo := rec(customer.YCM, "21", "卓闯纺织", []string{"+86 571 8888 6666"}, "")
	caller := person("22", "王秀英", "+86 138-1138-8661")
	trade := rec(customer.CRM, "13", "卓创纺织", nil, "INFO@zhuochuang.com.cn")

	otherTrade := rec(customer.CRM, "31", "杭州卓创科技有限公司", nil, "")
	otherCity := rec(customer.CRM, "32", "苏州卓创纺织有限公司", []string{"0512-66667777"}, "")
	branch := rec(customer.CRM, "33", "杭州卓创纺织有限公司滨江分公司", []string{"0571-88886666"}, "")
	stranger := rec(customer.YCM, "41", "上海华信电子有限公司", []string{"0571-88886666"}, "")
	namesake := rec(customer.CRM, "34", "宁波金源贸易有限公司", nil, "")
	namesake.ContactName = ptr("王秀英")

	x := New()
	all := []*customer.Customer{u8, crm, crmPhone, typo, caller, trade, otherTrade, otherCity, branch, stranger, namesake}
	x.Reset(all)

	for _, tc := range []struct {
		b        *customer.Customer
		min, max float64
		sig      Signal
	}{
		{crm, 0.9, 1, NameNormalized},
		{crmPhone, 0.99, 1, NameNormalized},
		{typo, 0.9, 1, NameSimilar},
		{caller, 0.9, 1, Phone},
		{trade, 0.9, 1, Email},
		{otherTrade, 0, 0.1, ""},
		{otherCity, 0, 0.1, ""},
		{branch, 0, 0.1, ""},
		{stranger, 0, 0.1, ""},
		{namesake, 0, 0.1, ""},
	} {
		c, sigs := conf(x, u8, tc.b)
		if c < tc.min || c > tc.max {
			t.Errorf("%s ~ %s: confidence %.4f (%v), want %.2f to %.2f", u8.Name, tc.b.Name, c, sigs, tc.min, tc.max)
		}
		if tc.sig != "" && !slices.Contains(sigs, tc.sig) {
			t.Errorf("%s ~ %s: signals %v lack %s", u8.Name, tc.b.Name, sigs, tc.sig)
		}
		// Symmetric: the same confidence seen from the other side.
		back, _ := conf(x, tc.b, u8)
		if back != c {
			t.Errorf("%s ~ %s: %.6f one way, %.6f the other", u8.Name, tc.b.Name, c, back)
		}
	}
}

func TestCommonValuesAreWeak(t *testing.T) {
	x := New()
	var all []*customer.Customer
	// A 400 number shared by 60 unrelated companies, and a common name.
	for i := range 60 {
		src := customer.AllSources[i%3]
		c := rec(src, fmt.Sprint(1000+i), fmt.Sprintf("公司%c%c贸易有限公司", rune(0x4e00+i*7), rune(0x4e80+i*3)), []string{"400-820-8820"}, "")
		all = append(all, c)
	}
	x.Reset(all)
	if links := x.Links(all[0], nil, nil); len(links) > 0 && links[0].Confidence > 0.1 {
		t.Errorf("a 400 number shared by 60 records linked at %.3f: %v", links[0].Confidence, links[0].Signals)
	}
}

func TestDecisionsOverride(t *testing.T) {
	a := rec(customer.U8, "0001", "杭州卓创纺织有限公司", []string{"0571-88886666"}, "")
	b := rec(customer.CRM, "11", "卓创纺织（杭州）有限公司", []string{"0571-88886666"}, "")
	c := rec(customer.YCM, "21", "宁波金源贸易有限公司", nil, "")
	x := New()
	x.Reset([]*customer.Customer{a, b, c})
	ia, ib, ic := customer.GlobalID{Source: a.Source, Key: a.SourceID}, customer.GlobalID{Source: b.Source, Key: b.SourceID}, customer.GlobalID{Source: c.Source, Key: c.SourceID}

	// The verdicts as the directory hands them over, decision by decision.
	if _, ok := find(x.Links(a, nil, []Verdict{{ib, false}}), b.Source, b.SourceID); ok {
		t.Error("a rejected link is still answered")
	}
	l, ok := find(x.Links(c, nil, []Verdict{{ia, true}}), a.Source, a.SourceID)
	if !ok || l.Confidence != 1 || l.Signals[0] != Confirmed {
		t.Errorf("confirmed link: %+v %v", l, ok)
	}
	if l, ok := find(x.Links(a, nil, []Verdict{{ib, true}, {ic, true}}), b.Source, b.SourceID); !ok || l.Confidence != 1 || !slices.Equal(l.Signals[:2], []Signal{Confirmed, NameNormalized}) {
		t.Errorf("re-confirmed link: %+v %v", l, ok)
	}
	if _, ok := find(x.Links(a, nil, []Verdict{{ib, true}, {ic, false}}), c.Source, c.SourceID); ok {
		t.Error("a confirmed then rejected link is still answered")
	}
}

func TestApplyFollowsChanges(t *testing.T) {
	a := rec(customer.U8, "0001", "杭州卓创纺织有限公司", nil, "")
	b := rec(customer.CRM, "11", "宁波金源贸易有限公司", nil, "")
	x := New()
	x.Reset([]*customer.Customer{a, b})
	if c, _ := conf(x, a, b); c > 0.1 {
		t.Fatalf("unrelated: %.3f", c)
	}
	b2 := rec(customer.CRM, "11", "卓创纺织（杭州）有限公司", nil, "")
	x.Apply([]*customer.Customer{b2}, nil)
	if c, _ := conf(x, a, b2); c < 0.9 {
		t.Fatalf("after the rename: %.3f", c)
	}
	x.Apply(nil, []customer.GlobalID{{Source: customer.CRM, Key: "11"}})
	if _, ok := find(x.Links(a, nil, nil), customer.CRM, "11"); ok {
		t.Fatal("a deleted record is still linked")
	}
	if x.Len() != 1 {
		t.Fatalf("Len %d", x.Len())
	}
}

// uscc completes 17 characters with their check character (GB 32100-2015).
func uscc(t *testing.T, first17 string) string {
	t.Helper()
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	for _, c := range chars {
		if code := first17 + string(c); customer.ValidUSCC(code) {
			return code
		}
	}
	t.Fatalf("no check character for %s", first17)
	return ""
}

func TestCreditCodeDecides(t *testing.T) {
	code, other := uscc(t, "91330100MA2H0L0Q1"), uscc(t, "91330100MA2H0L0Q2")
	a := rec(customer.U8, "0001", "杭州卓创纺织有限公司", nil, "")
	a.U8.SelfDefine[2] = code
	// The call centre keeps the tax number in its note.
	b := rec(customer.YCM, "21", "卓创科技", nil, "")
	b.YCM.Remark = ptr("开票信息：税号 " + code[:6] + " " + code[6:] + "，月结")
	c := rec(customer.YCM, "22", "杭州卓创纺织有限公司", nil, "")
	c.YCM.Remark = ptr("税号" + other)
	x := New()
	x.Reset([]*customer.Customer{a, b, c})
	if got, sigs := conf(x, a, b); got < 0.99 || len(sigs) == 0 || sigs[0] != CreditCode {
		t.Errorf("the same credit code under different names: %.4f %v", got, sigs)
	}
	if got, _ := conf(x, a, c); got > 0.01 {
		t.Errorf("different credit codes under the same name: %.4f", got)
	}
}

// TestKeptLinksFollowChanges: links kept from an earlier question change
// when a record sharing a key comes, changes or goes, and when a shared
// number becomes common.
func TestKeptLinksFollowChanges(t *testing.T) {
	a := rec(customer.U8, "0001", "杭州卓创纺织有限公司", []string{"0571-88886666"}, "")
	x := New()
	x.Reset([]*customer.Customer{a})
	if links := x.Links(a, nil, nil); len(links) != 0 {
		t.Fatalf("alone: %+v", links)
	}
	b := rec(customer.CRM, "11", "卓创纺织（杭州）有限公司", []string{"0571 8888 6666"}, "")
	x.Apply([]*customer.Customer{b}, nil)
	before, _ := conf(x, a, b)
	if before < 0.99 {
		t.Fatalf("a new record sharing name and phone: %.4f", before)
	}
	// The number turns out to be a switchboard of many: the pair weakens.
	var many []*customer.Customer
	for i := range 12 {
		many = append(many, rec(customer.YCM, strconv.Itoa(100+i), fmt.Sprintf("宁波%c%c贸易有限公司", rune(0x4e00+i*11), rune(0x4e80+i*5)), []string{"0571-88886666"}, ""))
	}
	x.Apply(many, nil)
	if after, _ := conf(x, a, b); after >= before {
		t.Errorf("a number 14 records share still weighs as much: %.6f, was %.6f", after, before)
	}
	x.Apply(nil, []customer.GlobalID{{Source: customer.CRM, Key: "11"}})
	if _, ok := find(x.Links(a, nil, nil), customer.CRM, "11"); ok {
		t.Error("a deleted record is still linked from kept links")
	}
}

// TestLinksAreSymmetric: on generated data, every link is seen from both
// sides with the same confidence, however the pair was found.
func TestLinksAreSymmetric(t *testing.T) {
	cs := world(3000)
	for i, c := range cs {
		// Short names on some CRM and YCM records too, and a few bare
		// trade names: the alias and bare-name lookups must pair up.
		if i%7 == 0 && c.ShortName == nil {
			c.ShortName = ptr(customer.ParseCompanyName(c.Name).Core)
		}
	}
	x := New()
	x.Reset(cs)
	type pairConf = map[[2]customer.GlobalID]float64
	seen := pairConf{}
	links := 0
	for _, c := range cs {
		id := customer.GlobalID{Source: c.Source, Key: c.SourceID}
		for _, l := range x.Links(c, nil, nil) {
			seen[[2]customer.GlobalID{id, l.ID}] = l.Confidence
			links++
		}
	}
	for p, conf := range seen {
		back, ok := seen[[2]customer.GlobalID{p[1], p[0]}]
		if !ok || back != conf {
			t.Errorf("%v → %v at %.6f; back: %.6f (found %v)", p[0], p[1], conf, back, ok)
		}
	}
	if links < 1000 {
		t.Errorf("only %d links on 9,000 generated records", links)
	}
}
