package customer

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// zc is 卓创纺织 as the company registers itself.
var zc = CompanyName{Full: "杭州卓创纺织有限公司", Region: "杭州", Province: "浙江", Core: "卓创", Industry: "纺织", Legal: LegalLLC}

func TestParseCompanyName(t *testing.T) {
	with := func(f func(*CompanyName)) CompanyName {
		n := zc
		f(&n)
		return n
	}
	tests := []struct {
		give string
		want CompanyName
	}{
		{"杭州卓创纺织有限公司", zc},
		// width and spaces, U+3000 among them
		{"杭州 卓创　纺织 有限公司", zc},
		{"ＡＢＣ科技", CompanyName{Full: "abc科技", Core: "abc", Industry: "科技"}},
		// 有限公司 ≡ 有限责任公司
		{"杭州卓创纺织有限责任公司", with(func(n *CompanyName) { n.Full = "杭州卓创纺织有限责任公司" })},
		// 股份有限公司 ≡ 股份公司, and another form than 有限公司
		{"杭州卓创纺织股份有限公司", with(func(n *CompanyName) { n.Full = "杭州卓创纺织股份有限公司"; n.Legal = LegalJointStock })},
		{"杭州卓创纺织股份公司", with(func(n *CompanyName) { n.Full = "杭州卓创纺织股份公司"; n.Legal = LegalJointStock })},
		// the region: with 市, with the province, in parentheses, none
		{"杭州市卓创纺织有限公司", with(func(n *CompanyName) { n.Full = "杭州市卓创纺织有限公司" })},
		{"浙江省杭州市卓创纺织有限公司", with(func(n *CompanyName) { n.Full = "浙江省杭州市卓创纺织有限公司" })},
		{"浙江杭州卓创纺织有限公司", with(func(n *CompanyName) { n.Full = "浙江杭州卓创纺织有限公司" })},
		{"卓创纺织（杭州）有限公司", with(func(n *CompanyName) { n.Full = "卓创纺织(杭州)有限公司" })},
		{"卓创（杭州市）纺织有限公司", with(func(n *CompanyName) { n.Full = "卓创(杭州市)纺织有限公司" })},
		{"卓创纺织有限公司", CompanyName{Full: "卓创纺织有限公司", Core: "卓创", Industry: "纺织", Legal: LegalLLC}},
		{"浙江卓创纺织有限公司", CompanyName{Full: "浙江卓创纺织有限公司", Region: "浙江", Province: "浙江", Core: "卓创", Industry: "纺织", Legal: LegalLLC}},
		{"上海市卓创纺织有限公司", with(func(n *CompanyName) {
			n.Full = "上海市卓创纺织有限公司"
			n.Region, n.Province = "上海", "上海"
		})},
		{"杭州市西湖区卓创纺织有限公司", with(func(n *CompanyName) { n.Full = "杭州市西湖区卓创纺织有限公司"; n.District = "西湖" })},
		{"上海市浦东新区卓创纺织有限公司", with(func(n *CompanyName) {
			n.Full = "上海市浦东新区卓创纺织有限公司"
			n.Region, n.Province, n.District = "上海", "上海", "浦东"
		})},
		{"浙江省义乌市卓创纺织有限公司", with(func(n *CompanyName) {
			n.Full = "浙江省义乌市卓创纺织有限公司"
			n.Region, n.District = "浙江", "义乌"
		})},
		{"广西壮族自治区卓创纺织有限公司", with(func(n *CompanyName) {
			n.Full = "广西壮族自治区卓创纺织有限公司"
			n.Region, n.Province = "广西", "广西"
		})},
		{"吉林市卓创纺织有限公司", with(func(n *CompanyName) {
			n.Full = "吉林市卓创纺织有限公司"
			n.Region, n.Province = "吉林", "吉林"
		})},
		{"马鞍山卓创纺织有限公司", with(func(n *CompanyName) {
			n.Full = "马鞍山卓创纺织有限公司"
			n.Region, n.Province = "马鞍山", "安徽"
		})},
		// the legal form dropped, the trade name alone
		{"卓创纺织", CompanyName{Full: "卓创纺织", Core: "卓创", Industry: "纺织"}},
		{"卓创", CompanyName{Full: "卓创", Core: "卓创"}},
		// traditional characters
		{"杭州卓創紡織有限公司", zc},
		{"廣東卓創電子科技有限公司", CompanyName{Full: "广东卓创电子科技有限公司", Region: "广东", Province: "广东", Core: "卓创", Industry: "电子科技", Legal: LegalLLC}},
		{"臺灣興華國際貿易股份有限公司", CompanyName{Full: "台湾兴华国际贸易股份有限公司", Region: "台湾", Province: "台湾", Core: "兴华", Industry: "国际贸易", Legal: LegalJointStock}},
		// punctuation inside the name
		{"卓创·纺织", CompanyName{Full: "卓创纺织", Core: "卓创", Industry: "纺织"}},
		// branches, with the region after the legal form or alone
		{"杭州卓创纺织有限公司滨江分公司", with(func(n *CompanyName) { n.Full = "杭州卓创纺织有限公司滨江分公司"; n.Branch = "滨江" })},
		{"卓创纺织有限公司杭州分公司", CompanyName{Full: "卓创纺织有限公司杭州分公司", Core: "卓创", Industry: "纺织", Legal: LegalLLC, Branch: "杭州"}},
		{"卓创纺织有限公司杭州市分公司", CompanyName{Full: "卓创纺织有限公司杭州市分公司", Core: "卓创", Industry: "纺织", Legal: LegalLLC, Branch: "杭州"}},
		{"卓创纺织杭州办事处", CompanyName{Full: "卓创纺织杭州办事处", Core: "卓创", Industry: "纺织", Branch: "杭州"}},
		{"卓创纺织有限公司分公司", CompanyName{Full: "卓创纺织有限公司分公司", Core: "卓创", Industry: "纺织", Legal: LegalLLC, Branch: "分公司"}},
		{"卓创纺织有限公司（杭州分公司）", CompanyName{Full: "卓创纺织有限公司(杭州分公司)", Core: "卓创", Industry: "纺织", Legal: LegalLLC, Branch: "杭州"}},
		// 集团 is flagged, out of Key
		{"浙江卓创集团有限公司", CompanyName{Full: "浙江卓创集团有限公司", Region: "浙江", Province: "浙江", Core: "卓创", Legal: LegalLLC, Group: true}},
		{"卓创纺织集团股份有限公司", CompanyName{Full: "卓创纺织集团股份有限公司", Core: "卓创", Industry: "纺织", Legal: LegalJointStock, Group: true}},
		{"卓创（集团）有限公司", CompanyName{Full: "卓创(集团)有限公司", Core: "卓创", Legal: LegalLLC, Group: true}},
		// other legal forms
		{"卓创投资合伙企业（有限合伙）", CompanyName{Full: "卓创投资合伙企业(有限合伙)", Core: "卓创", Industry: "投资", Legal: LegalPartnership}},
		{"杭州卓创纺织厂", with(func(n *CompanyName) { n.Full = "杭州卓创纺织厂"; n.Legal = LegalFactory })},
		{"卓创设计工作室", CompanyName{Full: "卓创设计工作室", Core: "卓创", Industry: "设计", Legal: LegalStudio}},
		{"卓创五金商行", CompanyName{Full: "卓创五金商行", Core: "卓创", Industry: "五金", Legal: LegalFirm}},
		{"卓创服装经营部", CompanyName{Full: "卓创服装经营部", Core: "卓创", Industry: "服装", Legal: LegalSalesDept}},
		{"卓创食品个人独资企业", CompanyName{Full: "卓创食品个人独资企业", Core: "卓创", Industry: "食品", Legal: LegalSoleProprietorship}},
		{"卓创纺织公司", CompanyName{Full: "卓创纺织公司", Core: "卓创", Industry: "纺织", Legal: LegalCompany}},
		// place-like trade names stay whole
		{"中山卓创电器有限公司", CompanyName{Full: "中山卓创电器有限公司", Core: "中山卓创", Industry: "电器", Legal: LegalLLC}},
		{"中山市卓创电器有限公司", CompanyName{Full: "中山市卓创电器有限公司", Region: "中山", Province: "广东", Core: "卓创", Industry: "电器", Legal: LegalLLC}},
		{"广东中山卓创电器有限公司", CompanyName{Full: "广东中山卓创电器有限公司", Region: "中山", Province: "广东", Core: "卓创", Industry: "电器", Legal: LegalLLC}},
		{"阿里巴巴（中国）网络技术有限公司", CompanyName{Full: "阿里巴巴(中国)网络技术有限公司", Core: "阿里巴巴", Industry: "网络技术", Legal: LegalLLC}},
		{"华夏纺织有限公司", CompanyName{Full: "华夏纺织有限公司", Core: "华夏", Industry: "纺织", Legal: LegalLLC}},
		{"长城汽车股份有限公司", CompanyName{Full: "长城汽车股份有限公司", Core: "长城", Industry: "汽车", Legal: LegalJointStock}},
		{"东方电气", CompanyName{Full: "东方电气", Core: "东方", Industry: "电气"}},
		{"大理石材有限公司", CompanyName{Full: "大理石材有限公司", Core: "大理", Industry: "石材", Legal: LegalLLC}},
		{"杭州银行股份有限公司", CompanyName{Full: "杭州银行股份有限公司", Core: "杭州", Industry: "银行", Legal: LegalJointStock}},
		{"杭州卓创市政工程有限公司", with(func(n *CompanyName) { n.Full = "杭州卓创市政工程有限公司"; n.Industry = "市政工程" })},
		{"杭州卓创超市", CompanyName{Full: "杭州卓创超市", Region: "杭州", Province: "浙江", Core: "卓创", Industry: "超市"}},
		{"杭州市场营销有限公司", CompanyName{Full: "杭州市场营销有限公司", Region: "杭州", Province: "浙江", Core: "市场", Industry: "营销", Legal: LegalLLC}},
		// people
		{"王伟", CompanyName{Full: "王伟", Core: "王伟", Person: true}},
		{"欧阳娜娜", CompanyName{Full: "欧阳娜娜", Core: "欧阳娜娜", Person: true}},
		{"王 伟", CompanyName{Full: "王伟", Core: "王伟", Person: true}},
		{"张家口", CompanyName{Full: "张家口", Core: "张家口"}},
		// Latin letters
		{"Zhuochuang Textile Co., Ltd.", CompanyName{Full: "zhuochuang textile co ltd", Core: "zhuochuang", Industry: "textile", Legal: LegalLLC}},
		{"ZHUOCHUANG TEXTILE LIMITED", CompanyName{Full: "zhuochuang textile limited", Core: "zhuochuang", Industry: "textile", Legal: LegalLLC}},
		{"Zhuo Chuang Technology Inc.", CompanyName{Full: "zhuo chuang technology inc", Core: "zhuochuang", Industry: "technology", Legal: LegalCorporation}},
		{"Acme Corp", CompanyName{Full: "acme corp", Core: "acme", Legal: LegalCorporation}},
		{"Ｚｈｕｏｃｈｕａｎｇ Group Co.", CompanyName{Full: "zhuochuang group co", Core: "zhuochuang", Legal: LegalCompany, Group: true}},
		{"", CompanyName{}},
	}
	for _, tt := range tests {
		if got := ParseCompanyName(tt.give); got != tt.want {
			t.Errorf("ParseCompanyName(%q) = %+v, want %+v", tt.give, got, tt.want)
		}
	}
}

// TestCompanyNameSame holds the variants of one company to one Key, with
// no region conflict between them.
func TestCompanyNameSame(t *testing.T) {
	variants := []string{
		"杭州卓创纺织有限公司", "杭州卓创纺织有限责任公司", "杭州卓创纺织股份有限公司", "卓创纺织（杭州）有限公司",
		"卓创纺织(杭州)有限公司", "浙江省杭州市卓创纺织有限公司", "杭州市 卓创纺织 有限公司", "卓创纺织", "卓创纺织有限公司",
		"杭州卓創紡織有限公司", "浙江卓创纺织", "杭州市西湖区卓创纺织有限公司",
	}
	base := ParseCompanyName(variants[0])
	for _, v := range variants[1:] {
		n := ParseCompanyName(v)
		if n.Key() != base.Key() {
			t.Errorf("ParseCompanyName(%q).Key() = %q, want %q", v, n.Key(), base.Key())
		}
		if n.RegionConflict(base) || base.RegionConflict(n) {
			t.Errorf("ParseCompanyName(%q).RegionConflict(%q) = true, want false", v, variants[0])
		}
		if n.IndustryConflict(base) {
			t.Errorf("ParseCompanyName(%q).IndustryConflict(%q) = true, want false", v, variants[0])
		}
	}
}

// TestCompanyNameApart holds the hard negatives apart: each pair differs
// in Key or in what the resolver weighs against a match.
func TestCompanyNameApart(t *testing.T) {
	tests := []struct {
		a, b string
		// what tells them apart
		key, region, industry, legal, branch bool
	}{
		{a: "杭州卓创纺织有限公司", b: "杭州卓创科技有限公司", key: true, industry: true},
		{a: "卓创纺织", b: "卓创科技", key: true, industry: true},
		{a: "杭州卓创纺织有限公司", b: "宁波卓创纺织有限公司", region: true},
		{a: "卓创纺织（杭州）有限公司", b: "卓创纺织（上海）有限公司", region: true},
		{a: "浙江卓创纺织有限公司", b: "江苏卓创纺织有限公司", region: true},
		{a: "浙江卓创纺织有限公司", b: "上海卓创纺织有限公司", region: true},
		{a: "杭州卓创纺织有限公司", b: "杭州卓创纺织股份有限公司", legal: true},
		{a: "卓创纺织有限公司", b: "卓创纺织有限公司杭州分公司", branch: true},
		{a: "卓创纺织有限公司杭州分公司", b: "卓创纺织有限公司宁波分公司", branch: true},
		{a: "卓创纺织", b: "卓闯纺织", key: true},
	}
	for _, tt := range tests {
		a, b := ParseCompanyName(tt.a), ParseCompanyName(tt.b)
		if got := a.Key() != b.Key(); got != tt.key {
			t.Errorf("keys of %q and %q differ: %v (%q, %q), want %v", tt.a, tt.b, got, a.Key(), b.Key(), tt.key)
		}
		if got := a.RegionConflict(b); got != tt.region || b.RegionConflict(a) != got {
			t.Errorf("RegionConflict(%q, %q) = %v, want %v both ways", tt.a, tt.b, got, tt.region)
		}
		if got := a.IndustryConflict(b); got != tt.industry || b.IndustryConflict(a) != got {
			t.Errorf("IndustryConflict(%q, %q) = %v, want %v both ways", tt.a, tt.b, got, tt.industry)
		}
		if got := a.LegalConflict(b); got != tt.legal || b.LegalConflict(a) != got {
			t.Errorf("LegalConflict(%q, %q) = %v, want %v both ways", tt.a, tt.b, got, tt.legal)
		}
		if got := a.Branch != b.Branch; got != tt.branch {
			t.Errorf("branches of %q and %q differ: %v (%q, %q), want %v", tt.a, tt.b, got, a.Branch, b.Branch, tt.branch)
		}
	}
}

func TestIndustryConflict(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"纺织", "科技", true},
		{"电子科技", "科技", false},
		{"纺织科技", "纺织", false},
		{"纺织", "", false},
		{"", "", false},
		{"电子科技", "生物科技", true},
	}
	for _, tt := range tests {
		a, b := CompanyName{Industry: tt.a}, CompanyName{Industry: tt.b}
		if got := a.IndustryConflict(b); got != tt.want {
			t.Errorf("IndustryConflict(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLegalFormString(t *testing.T) {
	for l := LegalNone; l <= LegalFactory; l++ {
		if s := l.String(); s == "" || strings.HasPrefix(s, "LegalForm(") {
			t.Errorf("LegalForm(%d).String() = %q, want a name", l, s)
		}
	}
	if got, want := LegalForm(200).String(), "LegalForm(200)"; got != want {
		t.Errorf("LegalForm(200).String() = %q, want %q", got, want)
	}
}

// TestTraditionalTable holds the table to GB 2312, the simplified
// character set: every simplified character in it, no traditional one.
// A simplified character taken for a traditional one would be folded.
func TestTraditionalTable(t *testing.T) {
	gb := simplifiedchinese.HZGB2312.NewEncoder()
	for trad, simp := range tradToSimp {
		if _, err := gb.String(string(trad)); err == nil {
			t.Errorf("traditional %q is in GB 2312: a simplified character would be folded", trad)
		}
		if _, err := gb.String(string(simp)); err != nil {
			t.Errorf("simplified %q (of %q) is not in GB 2312", simp, trad)
		}
		if _, ok := tradToSimp[simp]; ok {
			t.Errorf("simplified %q (of %q) is folded again", simp, trad)
		}
	}
	rs := []rune(traditional)
	if len(rs)%2 != 0 {
		t.Fatalf("the traditional table holds %d characters, want pairs", len(rs))
	}
	for i := 0; i < len(rs); i += 2 {
		if got := tradToSimp[rs[i]]; got != rs[i+1] {
			t.Errorf("%q folds to %q and to %q", rs[i], got, rs[i+1])
		}
	}
}

// TestPlaceTable checks the region table: some 340 names, each city of
// one province only.
func TestPlaceTable(t *testing.T) {
	n, seen := 0, map[string]string{}
	for prov, cs := range cities {
		if _, ok := placeTable[prov]; !ok {
			t.Errorf("cities of %q: no such province", prov)
		}
		for _, c := range cs {
			if p, ok := seen[c]; ok {
				t.Errorf("city %q in %q and %q", c, p, prov)
			}
			seen[c] = prov
			n++
		}
	}
	if n < 330 {
		t.Errorf("%d cities, want the 330 or so prefecture-level divisions", n)
	}
	for _, c := range ambiguousCities {
		if !placeTable[c].city {
			t.Errorf("ambiguous city %q is no city of the table", c)
		}
	}
	for k := range placeTable {
		if r := utf8.RuneCountInString(k); r > maxPlaceRunes {
			t.Errorf("place %q is longer than maxPlaceRunes", k)
		}
	}
	for _, w := range industries {
		if r := utf8.RuneCountInString(w); r > maxIndustryRunes {
			t.Errorf("industry %q is longer than maxIndustryRunes", w)
		}
	}
}

// usccWith completes 17 characters with their check character.
func usccWith(first17 string) string {
	sum := 0
	for i := range 17 {
		sum += strings.IndexByte(usccChars, first17[i]) * usccWeights[i]
	}
	return first17 + string(usccChars[(31-sum%31)%31])
}

func TestValidUSCC(t *testing.T) {
	// Constructed with the algorithm: the 31 values of the 17th
	// character give each of the 31 check characters once, 0 and Y (the
	// edges of (31 - sum mod 31) mod 31) among them.
	checks := map[byte]bool{}
	for i := range len(usccChars) {
		c := usccWith("9133010MA27U0XX1" + usccChars[i:i+1])
		if !ValidUSCC(c) {
			t.Errorf("ValidUSCC(%q) = false, want true", c)
		}
		checks[c[17]] = true
	}
	if len(checks) != len(usccChars) {
		t.Errorf("constructed codes end in %d check characters, want %d", len(checks), len(usccChars))
	}
	tests := []struct {
		give string
		want bool
	}{
		// published codes (the standard's example and business licences)
		{"91350100M000100Y43", true},
		{"91440300708461136T", true},
		{"91110108551385082Q", true},
		{"911100001000079554", true},
		{"91350100M000100Y44", false}, // check character mistyped
		{"91350100M000100Y4", false},  // 17 characters
		{"91350100M000100Y433", false},
		{"19350100M000100Y43", false}, // two neighbours swapped
		{"91350100m000100y43", false}, // lower case: NormalizeUSCC folds it
		{"91350100O000100Y43", false}, // O is no code character
		{"913501001000I00Y43", false}, // nor I
		{"91350100M000100Y4Z", false}, // nor Z
		{"91350100M000100Y4S", false}, // nor S
		{"91350100M000100Y4V", false}, // nor V
		{"9135０100M000100Y43", false}, // full-width digit
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidUSCC(tt.give); got != tt.want {
			t.Errorf("ValidUSCC(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

// TestValidUSCCCheck changes each character of a valid code to every other
// code character: the check character catches all of them.
func TestValidUSCCCheck(t *testing.T) {
	code := "91350100M000100Y43"
	for i := range 18 {
		for j := range len(usccChars) {
			c := usccChars[j]
			if c == code[i] {
				continue
			}
			bad := code[:i] + string(c) + code[i+1:]
			if ValidUSCC(bad) {
				t.Errorf("ValidUSCC(%q) = true, want false", bad)
			}
		}
	}
	for _, give := range []string{"９１３５０１００Ｍ０００１００Ｙ４３", "91350100m000100y43", " 913501-00M000-100Y43 ", "9135 0100 M000 100Y 43"} {
		got, ok := NormalizeUSCC(give)
		if got != code || !ok {
			t.Errorf("NormalizeUSCC(%q) = %q, %v, want %q, true", give, got, ok, code)
		}
	}
	if got, ok := NormalizeUSCC("not a code"); ok {
		t.Errorf("NormalizeUSCC(%q) = %q, true, want false", "not a code", got)
	}
}

// benchNames are company names of every shape, for the benchmark.
var benchNames = func() []string {
	var out []string
	for _, f := range []string{"杭州%s纺织有限公司", "%s纺织（杭州）有限责任公司", "浙江省杭州市%s电子科技股份有限公司", "%s贸易", "%s纺织有限公司杭州分公司", "廣東%s電子有限公司", "%s"} {
		for _, core := range []string{"卓创", "华信", "宏达", "王伟"} {
			out = append(out, fmt.Sprintf(f, core))
		}
	}
	return append(out, "Zhuochuang Textile Co., Ltd.")
}()

func BenchmarkParseCompanyName(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ParseCompanyName(benchNames[i%len(benchNames)])
	}
}
