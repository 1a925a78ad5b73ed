// Package identity finds the same customer across sources: the records of
// U8, YCM and CRM that are one company although people typed them
// differently (杭州卓创纺织有限公司 in the ERP, 卓创纺织（杭州）有限责任公司 in the
// CRM, 卓闯纺织 or the buyer 王秀英 on her mobile in the call centre).
//
// It follows record-linkage practice (Fellegi–Sunter, as Splink and dedupe
// apply it): candidates come only from exact keys (a phone, an email, the
// trade name, its pinyin, a credit code), never from a scan of every pair;
// each candidate pair is scored from independent pieces of evidence in
// log-odds, each weighed by how rare the shared value is (a switchboard
// or a 400 number shared by many records is weak, a common contact name
// is none); evidence against (another city, another industry, a branch)
// counts against; the sum becomes a confidence through the logistic
// function. The score of a pair depends on both records alike, so links
// are symmetric.
package identity

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"

	"custgraph/internal/customer"
)

// features is what the resolver compares of one record, taken from it
// once.
type features struct {
	id  customer.GlobalID
	src uint8 // id.Source.Ordinal()
	// c is the record itself, as the directory holds it (no copy): a
	// link answers it without a lookup.
	c *customer.Customer
	// links are the resolver's links of the record, kept once resolved
	// until a change may alter them (Index.invalidate).
	links atomic.Pointer[[]Link]
	// raw is the name as written (trimmed): NAME_EXACT compares it.
	raw  string
	name customer.CompanyName
	// person: the record is a person (a call-centre contact) rather than
	// a company; its name is compared with the other's contact names, not
	// with its company name.
	person bool
	// aliases are other names of the record (U8's short name).
	aliases []customer.CompanyName
	// Each value below is held as its key in the index (keyOf), which is
	// all the resolver compares: integers in one place rather than
	// strings all over the heap (a candidate is scored in about a
	// microsecond).
	//
	// phones are E.164 numbers without their extension; mobile has bit i
	// set where phones[i] is a mobile.
	phones []key
	mobile uint64
	emails []key
	// domains are the emails' domains, free mail providers left out.
	domains []key
	// contacts are the normalized names of the record's people.
	contacts []key
	// region and province are where the record is, from its name, its
	// address or its landline's area code, for conflicts.
	region, province string
	// nameRegion: the region is written in the name itself.
	nameRegion bool
	// uscc is a valid unified social credit code the record holds.
	uscc string
}

// extract takes the features of c.
func extract(c *customer.Customer) *features {
	f := &features{id: customer.GlobalID{Source: c.Source, Key: c.SourceID}, src: uint8(c.Source.Ordinal()), c: c, raw: strings.TrimSpace(c.Name)}
	var areaRegion string // the city of the first landline of a known area code
	f.name = customer.ParseCompanyName(c.Name)
	f.person = f.name.Person
	if c.Source == customer.YCM && c.YCM != nil && c.YCM.Company == nil && c.ContactName != nil &&
		customer.NormalizeText(*c.ContactName) == customer.NormalizeText(c.Name) {
		// A YCM record with no company is named after its person, whatever
		// the name looks like.
		f.person = true
	}
	if c.ShortName != nil && *c.ShortName != "" {
		if a := customer.ParseCompanyName(*c.ShortName); a.Full != "" && a.Full != f.name.Full {
			f.aliases = append(f.aliases, a)
		}
	}
	if c.YCM != nil && c.YCM.Company != nil && f.person {
		f.aliases = append(f.aliases, customer.ParseCompanyName(*c.YCM.Company))
	}

	addPhone := func(s *string) {
		if s == nil || *s == "" {
			return
		}
		if p, err := customer.NormalizePhone(*s); err == nil && strings.HasPrefix(p.Number, "+") {
			k := keyOf('p', p.Number)
			if slices.Contains(f.phones, k) {
				return
			}
			if isMobile(p.Number) && len(f.phones) < 64 {
				f.mobile |= 1 << len(f.phones)
			}
			f.phones = append(f.phones, k)
			if areaRegion == "" {
				if city, ok := areaCity(p.Number); ok {
					areaRegion = city
				}
			}
		}
	}
	addEmail := func(s *string) {
		if s == nil {
			return
		}
		e := strings.ToLower(strings.TrimSpace(customer.NormalizeText(*s)))
		at := strings.LastIndexByte(e, '@')
		if at <= 0 || at == len(e)-1 {
			return
		}
		f.emails = appendNew(f.emails, keyOf('e', e))
		if d := e[at+1:]; !freeMail[d] {
			f.domains = appendNew(f.domains, keyOf('d', d))
		}
	}
	addContact := func(s *string) {
		if s == nil {
			return
		}
		if n := customer.NormalizeText(*s); utf8.RuneCountInString(n) >= 2 {
			f.contacts = appendNew(f.contacts, keyOf('n', n))
		}
	}
	for i := range c.Phones {
		addPhone(&c.Phones[i].Number)
	}
	addEmail(c.Email)
	addContact(c.ContactName)
	if f.person {
		addContact(&c.Name)
	}
	if x := c.U8; x != nil {
		addPhone(x.Phone)
		addPhone(x.Mobile)
		addContact(x.Contact)
		for _, v := range x.SelfDefine {
			if code, ok := customer.NormalizeUSCC(v); ok {
				f.uscc = code
			}
		}
	}
	if x := c.YCM; x != nil && x.Remark != nil && f.uscc == "" {
		f.uscc = findUSCC(*x.Remark)
	}
	if c.Remark != nil && f.uscc == "" {
		f.uscc = findUSCC(*c.Remark)
	}
	if x := c.CRM; x != nil {
		if a := x.Address; a != nil {
			addPhone(a.Tel)
			addPhone(a.Phone)
			addEmail(a.Email)
		}
		for i := range x.Contacts {
			ct := &x.Contacts[i]
			addContact(&ct.Name)
			if a := ct.Address; a != nil {
				addPhone(a.Tel)
				addPhone(a.Phone)
				addEmail(a.Email)
			}
		}
	}

	// Where the record is: the name says it best; else the address; else
	// the landline's area code.
	f.region, f.province = f.name.Region, f.name.Province
	f.nameRegion = f.region != ""
	if f.region == "" && c.Address != nil {
		for _, p := range []*string{c.Address.City, c.Address.Region} {
			if p != nil && f.region == "" {
				f.region, f.province = customer.Place(*p)
			}
		}
	}
	if f.region == "" && areaRegion != "" {
		f.region, f.province = customer.Place(areaRegion)
	}
	return f
}

// findUSCC finds a valid unified social credit code in free text (a note:
// "税号 913301 00MA2H0L0Q1X，月结"): the first 18 code characters in a
// row, spaces and dashes within them allowed, whose check character
// holds.
func findUSCC(text string) string {
	t := strings.ToUpper(customer.NormalizeText(text))
	var run []byte
	flush := func() string {
		for i := 0; i+18 <= len(run); i++ {
			if code := string(run[i : i+18]); customer.ValidUSCC(code) {
				return code
			}
		}
		run = run[:0]
		return ""
	}
	for i := 0; i < len(t); i++ {
		switch ch := t[i]; {
		case '0' <= ch && ch <= '9', 'A' <= ch && ch <= 'Z':
			run = append(run, ch)
		case ch == '-': // NormalizeText took the spaces out
		default:
			if code := flush(); code != "" {
				return code
			}
		}
	}
	return flush()
}

func appendNew(list []key, k key) []key {
	if slices.Contains(list, k) {
		return list
	}
	return append(list, k)
}

// key is a value as the index holds it: a 64-bit FNV-1a hash of its kind
// and its text ('p' and the E.164 number, 'e' and the email…). Two values
// of 300,000 records collide about once in 10^8 directories; a collision
// could only add a candidate, whose other evidence still decides.
type key uint64

func keyOf(kind byte, s string) key {
	h := uint64(14695981039346656037)
	h = (h ^ uint64(kind)) * 1099511628211
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return key(h)
}

// freeMail are mail providers whose domain says nothing of the company.
var freeMail = map[string]bool{
	"qq.com": true, "foxmail.com": true, "163.com": true, "126.com": true, "yeah.net": true,
	"sina.com": true, "sina.cn": true, "sohu.com": true, "aliyun.com": true, "139.com": true,
	"189.cn": true, "gmail.com": true, "hotmail.com": true, "outlook.com": true, "yahoo.com": true,
	"live.com": true, "icloud.com": true, "msn.com": true,
}

var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Heteronym = true
	return a
}()

// maxReadings bounds the pinyin keys of one trade name: polyphonic
// characters multiply them.
const maxReadings = 8

// pinyinKeys are the toneless pinyin spellings of the trade name s, one
// per combination of its characters' readings (at most maxReadings; the
// commonest reading first), so that a homophone typed for any reading is
// found; nil for "".
func pinyinKeys(s string) []string {
	if s == "" {
		return nil
	}
	keys := []string{""}
	for _, r := range s {
		var rs []string
		if r >= utf8.RuneSelf {
			rs = readingsOf(r)
		}
		if len(rs) == 0 {
			rs = []string{string(r)}
		}
		next := make([]string, 0, len(keys)*len(rs))
		for _, k := range keys {
			for _, py := range rs {
				if len(next) < maxReadings {
					next = append(next, k+py+" ")
				}
			}
		}
		keys = next
	}
	return keys
}

// readings caches each character's readings: go-pinyin writes them
// with regular expressions, some microseconds a call.
var readings sync.Map // rune → []string

func readingsOf(r rune) []string {
	if v, ok := readings.Load(r); ok {
		return v.([]string)
	}
	rs := pinyin.SinglePinyin(r, pinyinArgs)
	readings.Store(r, rs)
	return rs
}

// homophones reports whether a and b, different, are written with
// characters of a same reading at every position (卓创 and 卓闯; 辉琢 and
// 辉卓, 琢 being read zhuó as well as zuó).
func homophones(a, b string) bool {
	if a == b || utf8.RuneCountInString(a) != utf8.RuneCountInString(b) {
		return false
	}
	for _, rb := range b {
		ra, size := utf8.DecodeRuneInString(a)
		a = a[size:]
		if ra == rb {
			continue
		}
		if ra < utf8.RuneSelf || rb < utf8.RuneSelf {
			return false
		}
		pa, pb := readingsOf(ra), readingsOf(rb)
		shared := false
		for _, x := range pa {
			shared = shared || slices.Contains(pb, x)
		}
		if !shared {
			return false
		}
	}
	return true
}

// areaCodes are the area codes of the larger prefecture-level cities: a
// landline says where a record is when nothing else does.
var areaCodes = map[string]string{
	"10": "北京", "21": "上海", "22": "天津", "23": "重庆", "20": "广州", "755": "深圳", "571": "杭州",
	"512": "苏州", "25": "南京", "28": "成都", "27": "武汉", "592": "厦门", "29": "西安", "574": "宁波",
	"532": "青岛", "769": "东莞", "757": "佛山", "551": "合肥", "731": "长沙", "371": "郑州",
	"24": "沈阳", "411": "大连", "431": "长春", "451": "哈尔滨", "531": "济南", "311": "石家庄",
	"351": "太原", "471": "呼和浩特", "771": "南宁", "871": "昆明", "851": "贵阳", "591": "福州",
	"791": "南昌", "898": "海口", "931": "兰州", "951": "银川", "971": "西宁", "991": "乌鲁木齐",
	"510": "无锡", "519": "常州", "513": "南通", "579": "金华", "577": "温州", "573": "嘉兴",
	"575": "绍兴", "760": "中山", "756": "珠海", "752": "惠州", "754": "汕头", "595": "泉州",
	"535": "烟台", "516": "徐州", "553": "芜湖", "734": "衡阳",
}

// areaCity returns the city of a Chinese landline in E.164 (+8657188886666).
func areaCity(e164 string) (string, bool) {
	d, ok := strings.CutPrefix(e164, "+86")
	if !ok || isMobile(e164) {
		return "", false // not Chinese, or a mobile
	}
	for _, n := range []int{2, 3} {
		if len(d) > n {
			if c, ok := areaCodes[d[:n]]; ok {
				return c, true
			}
		}
	}
	return "", false
}
