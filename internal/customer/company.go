package customer

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
)

// Company names as people type them: the same company is 杭州卓创纺织有限公司
// in the ERP, 卓创纺织（杭州）有限责任公司 in the CRM and 卓创纺织 on the phone.
// Chinese names are built 行政区划 + 字号 + 行业 + 组织形式 (region, trade
// name, industry, legal form), with a branch after them; ParseCompanyName
// takes a name apart into those so that the resolver compares each with
// its like, and keeps apart what differs in earnest (another industry,
// another city, a branch).

// CompanyName is a company name taken apart. Every field is normalized
// (NormalizeText: NFKC, lower case, no white space; traditional
// characters folded to simplified; punctuation other than parentheses
// removed), so fields compare with ==.
type CompanyName struct {
	// Full is the whole name normalized: what an exact normalized
	// comparison compares. Names in Latin letters keep one space between
	// words.
	Full string
	// Region is the most specific prefecture-level city (or municipality)
	// written before the name or in parentheses after the trade name,
	// without 市: 杭州 for 浙江省杭州市…, 杭州卓创… and 卓创纺织（杭州）….
	// Where only a province is written it is the province (浙江); empty
	// where none is.
	Region string
	// Province is the province of Region (浙江 for 杭州, also when only
	// the city is written), or the province written; 上海 for 上海.
	Province string
	// District is a county-level division written after the city or the
	// province (西湖 in 杭州市西湖区…, 义乌 in 浙江省义乌市…), without its
	// 区/县/市/旗. Region stays the prefecture: no table of the 2,800
	// counties is kept, so a district alone is no region.
	District string
	// Core is the trade name (字号), what is left once region, industry,
	// legal form and branch are taken off: 卓创. A name that is nothing
	// but those keeps its place or industry word as Core (杭州银行: Core
	// 杭州) rather than an empty one.
	Core string
	// Industry is the industry words after the trade name (纺织, 电子科技),
	// empty where none is written.
	Industry string
	// Legal is the legal form written at the end, folded within its legal
	// pair (有限公司 ≡ 有限责任公司).
	Legal LegalForm
	// Group is set where 集团 is written (卓创集团有限公司, 卓创（集团）…). A
	// group holds companies of the same trade name but is another legal
	// person, so it is kept out of Key, like Legal, and left to the
	// resolver as weak evidence against.
	Group bool
	// Branch is the designation of a branch (分公司, 分店, 办事处, 营业部,
	// 分厂, 分行, 支行, 分部, 代表处): 杭州 for 卓创纺织有限公司杭州分公司, the
	// region normalized like Region; the marker itself (分公司) where no
	// designation is written. Empty for the company itself: a branch and
	// its parent share name, phone and often address, and are different
	// customers.
	Branch string
	// Person is set where the name is that of a person rather than a
	// company: two to four Chinese characters beginning with a common
	// surname and none of the other parts (王伟). It is a guess (a trade
	// name written alone, 金山, looks the same) for the resolver to weigh;
	// Core holds the name.
	Person bool
}

// LegalForm is the legal form (组织形式) at the end of a company name,
// folded within the pairs that name the same form in law. Forms that
// differ are different: 有限公司 and 股份有限公司 are two legal persons as
// often as one mistyped.
type LegalForm uint8

// The legal forms; LegalNone where none is written.
const (
	LegalNone               LegalForm = iota
	LegalLLC                          // 有限公司 ≡ 有限责任公司; Co., Ltd., Limited, LLC
	LegalJointStock                   // 股份有限公司 ≡ 股份公司
	LegalCompany                      // 公司 alone; Co., Company
	LegalCorporation                  // Inc., Corp., Corporation, PLC (Latin letters)
	LegalPartnership                  // 合伙企业, （普通合伙）, （有限合伙）
	LegalSoleProprietorship           // 个人独资企业
	LegalStudio                       // 工作室
	LegalFirm                         // 商行
	LegalSalesDept                    // 经营部, 门市部
	LegalFactory                      // 厂
)

var legalNames = [...]string{
	LegalNone:               "none",
	LegalLLC:                "LLC",
	LegalJointStock:         "joint-stock",
	LegalCompany:            "company",
	LegalCorporation:        "corporation",
	LegalPartnership:        "partnership",
	LegalSoleProprietorship: "sole proprietorship",
	LegalStudio:             "studio",
	LegalFirm:               "firm",
	LegalSalesDept:          "sales department",
	LegalFactory:            "factory",
}

func (l LegalForm) String() string {
	if int(l) < len(legalNames) {
		return legalNames[l]
	}
	return "LegalForm(" + strconv.Itoa(int(l)) + ")"
}

// Key is the comparison key of the company itself: "Core|Industry".
// Region, legal form, group and branch are left out, for the resolver to
// weigh apart: they are written or dropped at will, while the trade name
// and the industry are what people keep (卓创纺织 is 杭州卓创纺织有限公司,
// 卓创科技 is not).
func (n CompanyName) Key() string {
	return n.Core + "|" + n.Industry
}

// RegionConflict reports whether n and o are written in different
// places: different provinces, or different prefecture-level cities. A
// region written on one side only, or a province against a city of it,
// is no conflict: people drop the region at will.
func (n CompanyName) RegionConflict(o CompanyName) bool {
	return PlacesConflict(n.Region, n.Province, o.Region, o.Province)
}

// PlacesConflict reports whether two places, each a region and its
// province as CompanyName and Place give them, differ: different
// provinces, or different prefecture-level cities. A place unknown on
// one side, or a province against a city of it, is no conflict.
func PlacesConflict(regionA, provinceA, regionB, provinceB string) bool {
	if provinceA != "" && provinceB != "" && provinceA != provinceB {
		return true
	}
	return IsCity(regionA) && IsCity(regionB) && regionA != regionB
}

// IndustryConflict reports whether n and o are written with different
// industries: both written and neither within the other (纺织 vs 科技;
// not 科技 vs 电子科技, which people shorten).
func (n CompanyName) IndustryConflict(o CompanyName) bool {
	a, b := n.Industry, o.Industry
	return a != "" && b != "" && !strings.Contains(a, b) && !strings.Contains(b, a)
}

// LegalConflict reports whether n and o are written with different legal
// forms (有限公司 vs 股份有限公司); a form dropped on one side is none.
func (n CompanyName) LegalConflict(o CompanyName) bool {
	return n.Legal != LegalNone && o.Legal != LegalNone && n.Legal != o.Legal
}

// ParseCompanyName takes a company name apart as people write it: width,
// case and spaces (U+3000 too) folded, traditional characters folded to
// simplified, full-width parentheses like ASCII ones; the region before
// the name (with 省/市 or not, province and city) or in parentheses
// after the trade name; the legal form at the end; a branch after it; the
// industry words before the legal form; what is left is the trade name.
// Names in Latin letters lose punctuation and a legal suffix (Co., Ltd.,
// Inc., Limited, Corp.). A person's name (王伟) is flagged Person. Pure and
// safe for concurrent use; about 2µs a name (one allocation), 0.6 s for the
// 300,000 names of a directory on one CPU.
func ParseCompanyName(s string) CompanyName {
	t := foldCompanyText(NormalizeText(s))
	if !HasHan(t) && hasLatin(t) {
		return parseLatinName(s)
	}
	n := CompanyName{Full: t}
	if strings.ContainsAny(t, "()") {
		t = n.takeParens(t)
	}
	t = n.takeBranch(t)
	t = n.takeLegal(t)
	n.takeRegionCore(t)
	n.Person = isPersonName(n)
	return n
}

// foldCompanyText folds traditional characters to simplified and drops
// punctuation and symbols other than parentheses (卓创·纺织, 卓创-纺织).
// Most names hold neither, and are returned as they are.
func foldCompanyText(s string) string {
	clean := true
	for _, r := range s {
		if isTraditional(r) || dropInName(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case isTraditional(r):
			b.WriteRune(tradToSimp[r])
		case dropInName(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func dropInName(r rune) bool {
	if r == '(' || r == ')' {
		return false
	}
	if r < utf8.RuneSelf {
		return r < '0' || ('9' < r && r < 'a') || 'z' < r
	}
	if r >= 0x4E00 && r <= 0x9FFF { // nearly every character: a Han one
		return false
	}
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// HasHan reports whether s holds a Chinese character.
func HasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func hasLatin(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && r < 0x2E80 {
			return true
		}
	}
	return false
}

// takeParens takes from t what parentheses hold that is a part of the
// name (a region, 集团, a partnership's kind, a branch, 中国) and returns
// the rest; other text in parentheses stays in the name without them.
func (n *CompanyName) takeParens(t string) string {
	var b strings.Builder
	b.Grow(len(t))
	for {
		open := strings.IndexByte(t, '(')
		if open < 0 {
			break
		}
		end := strings.IndexByte(t[open:], ')')
		if end < 0 {
			break
		}
		b.WriteString(t[:open])
		in := t[open+1 : open+end]
		t = t[open+end+1:]
		if p, size, _ := matchPlace(in); size > 0 && size == len(in) {
			n.setPlace(p)
			continue
		}
		switch in {
		case "集团":
			n.Group = true
		case "普通合伙", "有限合伙", "特殊普通合伙":
			n.Legal = LegalPartnership
		case "中国", "china":
			// the country: no region, and written or not at will
		default:
			if d, m, ok := cutMarker(in); ok {
				// (杭州分公司): all before the marker designates it.
				n.Branch = designation(d, m)
				continue
			}
			b.WriteString(in)
		}
	}
	b.WriteString(t)
	out := b.String()
	if strings.ContainsAny(out, "()") { // unmatched
		out = strings.Map(func(r rune) rune {
			if r == '(' || r == ')' {
				return -1
			}
			return r
		}, out)
	}
	return out
}

// branchMarkers end the name of a branch.
var branchMarkers = []string{"分公司", "分店", "办事处", "营业部", "分厂", "分行", "支行", "分部", "代表处"}

// takeBranch takes a branch (卓创纺织有限公司杭州分公司) off the end of t.
func (n *CompanyName) takeBranch(t string) string {
	rest, branch, ok := cutBranch(t)
	if ok {
		n.Branch = branch
	}
	return rest
}

// cutBranch cuts a branch marker and its designation off the end of t:
// the designation is what follows the legal form where one is written
// (…有限公司杭州滨江分公司: 杭州滨江), else a region at the end
// (卓创纺织杭州分公司: 杭州).
func cutBranch(t string) (rest, branch string, ok bool) {
	t, m, ok := cutMarker(t)
	if !ok {
		return t, "", false
	}
	// 分公司 after 有限公司 is a branch of the company: what lies between
	// designates it.
	for _, l := range legalForms {
		if i := strings.LastIndex(t, l.word); i >= 0 && l.form != LegalNone {
			end := i + len(l.word)
			return t[:end], designation(t[end:], m), true
		}
	}
	if p, i := suffixPlace(t); i > 0 {
		return t[:i], p.name, true
	}
	return t, m, true
}

// cutMarker cuts a branch marker off the end of t.
func cutMarker(t string) (rest, marker string, ok bool) {
	for _, m := range branchMarkers {
		if rest, ok := strings.CutSuffix(t, m); ok {
			return rest, m, true
		}
	}
	return t, "", false
}

// designation is a branch's designation d normalized: a region by its
// name, none by the marker m.
func designation(d, m string) string {
	if d == "" {
		return m
	}
	if p, size, _ := matchPlace(d); size == len(d) {
		return p.name
	}
	return d
}

// legalForms are the legal forms at the end of a name, the longest
// first, so that 股份有限公司 is not read as 有限公司.
var legalForms = []struct {
	word  string
	form  LegalForm
	group bool
}{
	{"集团股份有限公司", LegalJointStock, true},
	{"集团有限责任公司", LegalLLC, true},
	{"个人独资企业", LegalSoleProprietorship, false},
	{"集团有限公司", LegalLLC, true},
	{"股份有限公司", LegalJointStock, false},
	{"有限责任公司", LegalLLC, false},
	{"集团公司", LegalCompany, true},
	{"股份公司", LegalJointStock, false},
	{"有限公司", LegalLLC, false},
	{"合伙企业", LegalPartnership, false},
	{"工作室", LegalStudio, false},
	{"经营部", LegalSalesDept, false},
	{"门市部", LegalSalesDept, false},
	{"公司", LegalCompany, false},
	{"商行", LegalFirm, false},
	{"集团", LegalNone, true},
	{"厂", LegalFactory, false},
}

// takeLegal takes the legal form off the end of t (and 集团 before it).
func (n *CompanyName) takeLegal(t string) string {
	for _, l := range legalForms {
		if strings.HasSuffix(t, l.word) && utf8.RuneCountInString(t) > utf8.RuneCountInString(l.word) {
			t = strings.TrimSuffix(t, l.word)
			if l.form != LegalNone {
				n.Legal = l.form
			}
			n.Group = n.Group || l.group
			break
		}
	}
	if strings.HasSuffix(t, "集团") && utf8.RuneCountInString(t) > 3 {
		t = strings.TrimSuffix(t, "集团")
		n.Group = true
	}
	return t
}

// takeRegionCore takes the region off the start of t and the industry
// off its end, and sets Core to what is left. A region is not taken
// where nothing but industry words would be left (杭州纺织: the place is
// the trade name), nor an industry word where the trade name would be
// shorter than two characters (the law asks two at least).
func (n *CompanyName) takeRegionCore(t string) {
	before := *n
	rest := n.takeRegion(t)
	if len(rest) < len(t) {
		if utf8.RuneCountInString(rest) < 2 {
			*n, rest = before, t
		} else if core, _ := splitIndustry(rest, 0); core == "" {
			*n, rest = before, t
		}
	}
	n.Core, n.Industry = splitIndustry(rest, 2)
}

// takeRegion takes the regions written before the name off t: a
// province, a city, or both, each with its suffix (省, 市, 自治区…) or
// not, then a county-level division (西湖区, 义乌市). An ambiguous city
// name (中山) is taken only with its suffix or after its province.
func (n *CompanyName) takeRegion(t string) string {
	p, pos, suffixed := matchPlace(t)
	if pos == 0 || (p.ambiguous && !suffixed) {
		return t
	}
	n.setPlace(p)
	// A city of the province after it (浙江省杭州市, 广东中山).
	if !p.city {
		if c, size, suf := matchPlace(t[pos:]); size > 0 && c.city && c.province == p.province {
			n.setPlace(c)
			pos += size
			suffixed = suf
		}
	}
	if d, size := matchSubdivision(t[pos:], suffixed); size > 0 {
		n.District = d
		pos += size
	}
	return t[pos:]
}

// matchSubdivision matches a county-level division at the start of t:
// one to four characters and 区/县/市/旗 after a region written with its
// suffix (杭州市西湖区), exactly two after one without (杭州西湖区), and
// never a word that ends like one (超市, 园区). Two characters of name
// must follow it.
func matchSubdivision(t string, suffixed bool) (string, int) {
	lo, hi := 2, 2
	if suffixed {
		lo, hi = 1, 4
	}
	i, runes := 0, 0
	for i < len(t) && runes <= hi {
		r, size := utf8.DecodeRuneInString(t[i:])
		if runes >= lo && strings.ContainsRune(subdivisionUnits, r) {
			word := t[:i+size]
			for _, w := range unitWords {
				if strings.HasPrefix(t[i:], w) {
					return "", 0
				}
			}
			for _, w := range notSubdivisions {
				if strings.HasSuffix(word, w) {
					return "", 0
				}
			}
			if utf8.RuneCountInString(t[i+size:]) < 2 {
				return "", 0
			}
			// 浦东新区, 滨海新区: the district is 浦东.
			return strings.TrimSuffix(t[:i], "新"), i + size
		}
		i += size
		runes++
	}
	return "", 0
}

// splitIndustry splits the industry words off the end of t, the longest
// word first and up to three (电子 + 科技), as long as minCore characters
// are left before them.
func splitIndustry(t string, minCore int) (core, industry string) {
	runes := utf8.RuneCountInString(t)
	cut := len(t)
	for range 3 {
		best := 0
		// ends[k] is the byte offset where the last k runes of t[:cut] start.
		var ends [maxIndustryRunes + 1]int
		ends[0] = cut
		k := 0
		for k < maxIndustryRunes && ends[k] > 0 {
			_, size := utf8.DecodeLastRuneInString(t[:ends[k]])
			ends[k+1] = ends[k] - size
			k++
		}
		for j := k; j >= 1; j-- {
			if runes-j >= minCore {
				if _, ok := industrySet[t[ends[j]:cut]]; ok {
					best = j
					break
				}
			}
		}
		if best == 0 {
			break
		}
		cut = ends[best]
		runes -= best
	}
	return t[:cut], t[cut:]
}

// place is a region of the tables: a province, or a prefecture-level city
// and its province (both for a municipality).
type place struct {
	name, province string
	city           bool
	// ambiguous names are as often a trade name (see ambiguousCities).
	ambiguous bool
	// suffixed keys carry their suffix (吉林市, 广西壮族自治区).
	suffixed bool
}

func (n *CompanyName) setPlace(p place) {
	switch {
	case p.city && !IsCity(n.Region):
		n.Region, n.Province = p.name, p.province
	case !p.city && n.Region == "":
		n.Region, n.Province = p.name, p.province
	}
}

// IsCity reports whether name is a prefecture-level city (a municipality
// such as 上海 included) as Region holds it, not a province.
func IsCity(name string) bool {
	return name != "" && placeTable[name].city
}

// matchPlace matches the longest region name at the start of t, and a
// suffix after it (省, 市…; not the 市 of 市场); size is 0 where none.
// suffixed tells whether a suffix was written.
func matchPlace(t string) (p place, size int, suffixed bool) {
	end, runes := 0, 0
	var ends [maxPlaceRunes + 1]int
	for end < len(t) && runes < maxPlaceRunes {
		_, s := utf8.DecodeRuneInString(t[end:])
		end += s
		runes++
		ends[runes] = end
	}
	for k := runes; k >= 2; k-- {
		q, ok := placeTable[t[:ends[k]]]
		if !ok {
			continue
		}
		size = ends[k]
		suffixed = q.suffixed
		for _, s := range regionSuffixes {
			if strings.HasPrefix(t[size:], s) && !strings.HasPrefix(t[size+len(s):], "场") {
				size += len(s)
				suffixed = true
				break
			}
		}
		return q, size, suffixed
	}
	return place{}, 0, false
}

// suffixPlace matches a region (with an optional 市) at the end of t, and
// returns where it starts; 0 where none (or where it is all of t).
func suffixPlace(t string) (place, int) {
	s := strings.TrimSuffix(t, "市")
	var best place
	at, i := 0, len(s)
	for k := 1; k <= maxPlaceRunes && i > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
		if p, ok := placeTable[s[i:]]; ok && k >= 2 && i > 0 {
			best, at = p, i // the longest: 马鞍山, not 鞍山
		}
	}
	return best, at
}

// commonSurnames are the hundred commonest Chinese surnames (some 85 % of
// people); compoundSurnames the commonest of two characters.
const commonSurnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"

var compoundSurnames = []string{"欧阳", "司马", "上官", "诸葛", "司徒", "慕容"}

// isPersonName tells a person's name from a company's: only the trade
// name written, two to four Chinese characters, a common surname first,
// and no place.
func isPersonName(n CompanyName) bool {
	if n.Legal != LegalNone || n.Industry != "" || n.Region != "" || n.Branch != "" || n.Group || n.District != "" {
		return false
	}
	c := n.Core
	runes := utf8.RuneCountInString(c)
	if runes < 2 || runes > 4 || !allHan(c) {
		return false
	}
	if _, ok := placeTable[c]; ok {
		return false
	}
	for _, s := range compoundSurnames {
		if strings.HasPrefix(c, s) && runes >= 3 {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(c)
	return strings.ContainsRune(commonSurnames, r)
}

func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// parseLatinName takes apart a name in Latin letters: lower case, words
// split at anything but letters and digits, a legal suffix (Co., Ltd.,
// Inc., Limited, Corp., LLC…) and Group taken off the end, then the
// industry words; the rest, without spaces as NormalizeText writes it, is
// the Core. Regions in pinyin are not recognised.
func parseLatinName(s string) CompanyName {
	words := strings.FieldsFunc(strings.ToLower(norm.NFKC.String(s)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	n := CompanyName{Full: strings.Join(words, " ")}
	for len(words) > 1 {
		w := words[len(words)-1]
		form, ok := latinLegal[w]
		if !ok {
			break
		}
		words = words[:len(words)-1]
		switch {
		case w == "group":
			n.Group = true
		case n.Legal == LegalNone:
			n.Legal = form
		case n.Legal == LegalCompany:
			// Co. Ltd., Company Limited: the more telling of the two
			n.Legal = form
		}
	}
	cut := len(words)
	for cut > 1 && cut > len(words)-3 && latinIndustrySet[words[cut-1]] {
		cut--
	}
	n.Core = strings.Join(words[:cut], "")
	n.Industry = strings.Join(words[cut:], "")
	return n
}

// latinLegal are the legal suffixes of names in Latin letters; "co" in
// "co ltd" is the Company before Limited.
var latinLegal = map[string]LegalForm{
	"ltd": LegalLLC, "limited": LegalLLC, "llc": LegalLLC, "gmbh": LegalLLC,
	"inc": LegalCorporation, "incorporated": LegalCorporation, "corp": LegalCorporation,
	"corporation": LegalCorporation, "plc": LegalCorporation,
	"co": LegalCompany, "company": LegalCompany,
	"group": LegalNone,
}

// The tables, indexed.
var (
	placeTable       = map[string]place{}
	industrySet      = map[string]struct{}{}
	latinIndustrySet = map[string]bool{}
	tradToSimp       = map[rune]rune{}
	// tradBits marks the traditional characters of the basic CJK block,
	// so that the common simplified name costs no map lookup.
	tradBits [(0x9FFF-0x4E00)/64 + 1]uint64
)

// maxPlaceRunes is the longest place key (新疆维吾尔自治区);
// maxIndustryRunes the longest industry word (房地产开发).
const maxPlaceRunes, maxIndustryRunes = 8, 5

func isTraditional(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF && tradBits[(r-0x4E00)/64]&(1<<((r-0x4E00)%64)) != 0
}

func init() {
	for _, p := range provinces {
		placeTable[p] = place{name: p, province: p}
	}
	for full, p := range provinceFull {
		placeTable[full] = place{name: p, province: p, suffixed: true}
	}
	for prov, cs := range cities {
		for _, c := range cs {
			placeTable[c] = place{name: c, province: prov, city: true}
		}
	}
	// 吉林 alone is the province; the city is 吉林市.
	placeTable["吉林市"] = place{name: "吉林", province: "吉林", city: true, suffixed: true}
	for _, c := range ambiguousCities {
		p := placeTable[c]
		p.ambiguous = true
		placeTable[c] = p
	}
	for _, w := range industries {
		industrySet[w] = struct{}{}
	}
	for _, w := range latinIndustries {
		latinIndustrySet[w] = true
	}
	rs := []rune(traditional)
	for i := 0; i+1 < len(rs); i += 2 {
		t, s := rs[i], rs[i+1]
		if t == s || t < 0x4E00 || t > 0x9FFF {
			continue
		}
		tradToSimp[t] = s
		tradBits[(t-0x4E00)/64] |= 1 << ((t - 0x4E00) % 64)
	}
	addOpenCC()
}

// addOpenCC completes the table with every character OpenCC's t2s
// dictionary folds to one other character (some 2,500 beyond the table; about 25 ms once
// at start), where the table above says nothing: a name written in
// Hong Kong or Taiwan (天輝機械設備) compares with its simplified form.
func addOpenCC() {
	cc, err := opencc.New("t2s")
	if err != nil {
		return // the hand table still folds the common characters
	}
	// Only a character outside GB 2312 (the simplified set) is folded,
	// and only to one inside it: 於 and 麽 are also simplified characters.
	gb := simplifiedchinese.HZGB2312.NewEncoder()
	inGB := func(r rune) bool {
		_, err := gb.String(string(r))
		return err == nil
	}
	for r := rune(0x4E00); r <= 0x9FFF; r++ {
		if _, ok := tradToSimp[r]; ok || inGB(r) {
			continue
		}
		out, err := cc.Convert(string(r))
		if err != nil {
			continue
		}
		s, size := utf8.DecodeRuneInString(out)
		if size != len(out) || s == r || s < 0x4E00 || s > 0x9FFF || !inGB(s) {
			continue
		}
		tradToSimp[r] = s
		tradBits[(r-0x4E00)/64] |= 1 << ((r - 0x4E00) % 64)
	}
}

// usccChars are the characters of a unified social credit code, in the
// order of their values (GB 32100-2015): digits and the capital letters
// but I, O, Z, S and V, which are mistaken for digits and letters.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights weigh the first 17 characters: 3^i mod 31.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidUSCC reports whether code is a unified social credit code
// (统一社会信用代码, GB 32100-2015) as registered: 18 characters of
// usccChars, upper case, the last the check character of the first 17
// (31 minus their weighted sum mod 31). Only the check character is
// verified, not the registration authority, type or region codes in it:
// the check catches a mistyped character and every swap of two
// neighbouring different ones, which is what records get wrong. See
// NormalizeUSCC for a code as typed.
func ValidUSCC(code string) bool {
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(usccChars, code[i])
		if v < 0 {
			return false
		}
		sum += v * usccWeights[i]
	}
	check := (31 - sum%31) % 31
	return code[17] == usccChars[check]
}

// NormalizeUSCC folds a unified social credit code as typed (full-width,
// lower case, spaces and dashes) and reports whether it is valid
// (ValidUSCC); a code is decisive evidence only when ok.
func NormalizeUSCC(s string) (code string, ok bool) {
	t := norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(t))
	for _, r := range t {
		switch {
		case unicode.IsSpace(r) || r == '-':
		case 'a' <= r && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	code = b.String()
	return code, ValidUSCC(code)
}

// Place finds the region a place name (an address's city or province,
// 杭州市, 浙江省, 浙江省杭州市) names, as CompanyName.Region and Province
// would hold it; both empty when the tables know none. The resolver
// compares it with the region a name is written in.
func Place(s string) (region, province string) {
	var n CompanyName
	n.takeRegion(foldCompanyText(NormalizeText(s)))
	return n.Region, n.Province
}
