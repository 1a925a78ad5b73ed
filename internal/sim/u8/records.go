package u8

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"custgraph/internal/sim/fixture"
)

// record is one U8 customer: the keys batch_get filters on, and its JSON.
// A record is never changed once stored: a change stores a new one, so
// that answers may keep using a record after the lock is released.
type record struct {
	code, name string
	modified   time.Time // ModifyDate, Asia/Shanghai; zero when left out
	seedDate   string    // yyyy-MM-dd, "" when left out
	stamp      int64     // timestamp (a rowversion)
	raw        json.RawMessage
	// truth is the fixture company the record was generated from and how
	// it varies; Serial 0 for a record loaded from a file or written
	// through /_sim/records.
	truth fixture.Label
}

// Layouts of U8 dates. Unconfirmed: ModifyDate is sent as a date-time;
// U8 documents only its type ("date").
const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02 15:04:05"
)

// SelfDefineLabels returns the business names of the self_define fields
// the simulated enterprise fills (index 1 to 16 → name), for demo
// configuration; the others stay empty, as in most U8 installations.
func SelfDefineLabels() map[int]string {
	return map[int]string{
		1: "信用等级", 2: "结算方式", 3: "区域经理", 5: "客户来源",
		7: "发票类型", 9: "信用额度", 12: "统一社会信用代码", 16: "原系统编码",
	}
}

var (
	banks        = []string{"中国工商银行", "中国建设银行", "中国银行", "中国农业银行", "交通银行", "招商银行", "上海浦东发展银行", "兴业银行", "中信银行", "中国民生银行"}
	salesPeople  = []string{"张伟", "李娜", "王磊", "刘洋", "陈静", "杨帆", "赵敏", "周强"}
	creditGrades = []string{"AAA", "AA", "A", "A", "B"}
	settlements  = []string{"月结30天", "月结30天", "月结60天", "现结", "货到付款"}
	origins      = []string{"展会", "老客户介绍", "网络推广", "电话营销", "招投标"}
	invoiceKinds = []string{"增值税专用发票", "增值税普通发票"}
	creditLimits = []string{"50000", "100000", "200000", "500000"}
	sortCodes    = []string{"01", "02", "02", "03", "0201", "0301"}
	sites        = []string{"仓库", "东门收货处", "物流部", "二号仓"}
	regionCodes  = map[string]string{ // province → 地区码
		"上海市": "01", "江苏省": "01", "浙江省": "01", "安徽省": "01", "山东省": "01", "福建省": "01",
		"北京市": "02", "天津市": "02", "广东省": "03", "湖北省": "04", "湖南省": "04", "河南省": "04",
		"四川省": "05", "重庆市": "05", "陕西省": "06",
	}
)

// buildRecords turns companies into U8 customers coded by position
// (00000001, …). timestamp is a rowversion: it grows with ModifyDate.
func buildRecords(cs []*fixture.Company) []*record {
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cs[order[a]].Modified.Before(cs[order[b]].Modified) })
	stamps := make([]int64, len(cs))
	for rank, i := range order {
		stamps[i] = 1_048_576 + int64(rank)*17 + int64(cs[i].Serial%13)
	}
	out := make([]*record, len(cs))
	// Records depend only on their own company, so they are built on every
	// CPU: at -customers 100000 this is most of the simulators' start-up.
	var wg sync.WaitGroup
	chunk := (len(cs) + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	for lo := 0; lo < len(cs); lo += chunk {
		wg.Go(func() {
			for i := lo; i < min(lo+chunk, len(cs)); i++ {
				out[i] = newRecord(fmt.Sprintf("%08d", i+1), cs[i], stamps[i])
			}
		})
	}
	wg.Wait()
	return out
}

// newRecord builds one customer. Empty fields are left out of the JSON
// entirely, as U8 does, and which ones are empty varies per record.
func newRecord(code string, c *fixture.Company, stamp int64) *record {
	r := c.NewRand(Source)
	var m fields
	put := func(key, value string) {
		if value != "" {
			m = append(m, field{key, value, false})
		}
	}
	maybe := func(percent int, key, value string) {
		if r.IntN(100) < percent {
			put(key, value)
		}
	}
	put("code", code)
	put("name", c.Name)
	maybe(92, "abbrname", c.ShortName)
	put("sort_code", pick(r, sortCodes))
	maybe(85, "domain_code", regionCodes[c.Province])
	maybe(80, "industry", c.Industry)
	maybe(90, "address", c.Address)
	if r.IntN(100) < 70 {
		put("bank_open", bankBranch(r, c))
		put("bank_acc_number", digits(r, 16+r.IntN(4)))
	}
	if len(c.Contacts) > 0 && r.IntN(100) < 90 {
		p := c.Contacts[0]
		put("contact", p.Name)
		if r.IntN(100) < 80 {
			if r.IntN(3) == 0 && isDigits(p.Mobile) {
				m = append(m, field{"mobile", p.Mobile, true}) // U8 sends some mobiles as numbers
			} else {
				put("mobile", p.Mobile)
			}
		}
	}
	maybe(85, "phone", c.Tel)
	put("fax", c.Fax)
	maybe(35, "devliver_site", c.Address+pick(r, sites))
	put("ModifyDate", c.Modified.Format(dateTimeLayout))
	seed := ""
	if r.IntN(100) < 85 {
		seed = c.Created.Format(dateLayout)
		put("seed_date", seed)
	}
	maybe(6, "end_date", c.Modified.Format(dateLayout))
	put("memo", c.Remark)
	overseas := r.IntN(100) < 5
	currency := "人民币"
	if overseas {
		currency = "美元"
	}
	maybe(95, "ccusexch_name", currency)
	// Unconfirmed: booleans arrive as "1"/"0" (U8 documents them as strings).
	put("bcusdomestic", flag(!overseas))
	put("bcusoverseas", flag(overseas))
	maybe(60, "bserviceattribute", flag(r.IntN(4) == 0))
	if r.IntN(100) < 70 {
		put("ccusmngtypecode", "999")
		put("ccusmngtypename", "普通客户")
	}
	maybe(60, "spec_operator_name", pick(r, salesPeople))
	put("timestamp", strconv.FormatInt(stamp, 10))
	for _, f := range []struct {
		index, percent int
		value          string
	}{
		{1, 70, pick(r, creditGrades)},
		{2, 65, pick(r, settlements)},
		{3, 50, pick(r, salesPeople)},
		{5, 40, pick(r, origins)},
		{7, 30, pick(r, invoiceKinds)},
		{9, 50, pick(r, creditLimits)},
		{12, 35, creditCode(r)},
		{16, 10, fmt.Sprintf("KH%d%04d", c.Created.Year(), r.IntN(10000))},
	} {
		maybe(f.percent, fmt.Sprintf("self_define%d", f.index), f.value)
	}
	return &record{code: code, name: c.Name, modified: c.Modified, seedDate: seed, stamp: stamp, raw: m.encode(), truth: c.Label()}
}

// field is one value of a generated customer: a string, or (number) the
// digits of a JSON number.
type field struct {
	key, value string
	number     bool
}

type fields []field

// encode writes the fields as json.Marshal writes a map of them (keys in
// byte order, HTML-safe escapes), byte for byte, without its reflection
// and map costs: at -customers 100000 those were most of U8's start-up.
func (fs fields) encode() json.RawMessage {
	slices.SortFunc(fs, func(a, b field) int { return strings.Compare(a.key, b.key) })
	b := make([]byte, 0, 1024)
	b = append(b, '{')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.key)
		b = append(b, ':')
		if f.number {
			b = append(b, f.value...)
		} else {
			b = appendString(b, f.value)
		}
	}
	return append(b, '}')
}

// appendString quotes s as encoding/json does by default.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		case r == utf8.RuneError:
			b = append(b, `\ufffd`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	b[0] = byte('1' + r.IntN(9))
	return string(b)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// bankBranch names a branch the way Chinese banks do: 招商银行深圳南山支行,
// or a city branch's 营业部.
func bankBranch(r *rand.Rand, c *fixture.Company) string {
	bank, city := pick(r, banks), strings.TrimSuffix(c.City, "市")
	if r.IntN(5) == 0 {
		return bank + city + "分行营业部"
	}
	d := c.District
	for _, suffix := range []string{"新区", "街道", "镇", "区"} {
		if t, ok := strings.CutSuffix(d, suffix); ok && t != "" {
			d = t
			break
		}
	}
	return bank + city + d + "支行"
}

// creditCode makes an 18-character 统一社会信用代码 shape (no check digit
// arithmetic: nobody validates it here).
func creditCode(r *rand.Rand) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	b := []byte("91" + digits(r, 6))
	for len(b) < 18 {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return string(b)
}

// query is a parsed batch_get request.
type query struct {
	page, size         int
	codeFrom, codeTo   string
	name               string
	modFrom, modTo     time.Time // zero = open
	seedFrom, seedTo   string    // yyyy-MM-dd, "" = open
	stampFrom, stampTo int64     // -1 = open
}

// unfiltered reports whether q keeps every record, so that a page can be
// cut from the ordered list without looking at each record.
func (q *query) unfiltered() bool {
	return q.codeFrom == "" && q.codeTo == "" && q.name == "" && q.modFrom.IsZero() && q.modTo.IsZero() &&
		q.seedFrom == "" && q.seedTo == "" && q.stampFrom < 0 && q.stampTo < 0
}

func parseQuery(v url.Values) (query, error) {
	q := query{codeFrom: v.Get("code_begin"), codeTo: v.Get("code_end"), name: v.Get("name"), stampFrom: -1, stampTo: -1}
	var err error
	if q.page, err = intParam(v, "page_index", 1, 1<<30); err != nil {
		return q, err
	}
	if q.size, err = intParam(v, "rows_per_page", DefaultRowsPerPage, MaxRowsPerPage); err != nil {
		return q, err
	}
	if q.modFrom, err = timeParam(v, "ModifyDate_begin", false); err != nil {
		return q, err
	}
	if q.modTo, err = timeParam(v, "ModifyDate_end", true); err != nil {
		return q, err
	}
	for _, p := range []struct {
		key string
		to  *string
	}{{"seed_date_begin", &q.seedFrom}, {"seed_date_end", &q.seedTo}} {
		t, err := timeParam(v, p.key, false)
		if err != nil {
			return q, err
		}
		if !t.IsZero() {
			*p.to = t.Format(dateLayout)
		}
	}
	for _, p := range []struct {
		key string
		to  *int64
	}{{"timestamp_begin", &q.stampFrom}, {"timestamp_end", &q.stampTo}} {
		if s := v.Get(p.key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return q, fmt.Errorf("%s格式不正确", p.key)
			}
			*p.to = n
		}
	}
	return q, nil
}

func intParam(v url.Values, key string, def, max int) (int, error) {
	s := v.Get(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s必须是正整数", key)
	}
	if n > max {
		return 0, fmt.Errorf("%s不能大于%d", key, max)
	}
	return n, nil
}

// timeParam reads a date or date-time. A date-only upper bound takes in
// its whole day, so the result is then the start of the next day
// (exclusive); every other result is inclusive.
func timeParam(v url.Values, key string, upper bool) (time.Time, error) {
	s := v.Get(key)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation(dateTimeLayout, s, fixture.Shanghai); err == nil {
		if upper {
			t = t.Add(time.Second)
		}
		return t, nil
	}
	t, err := time.ParseInLocation(dateLayout, s, fixture.Shanghai)
	if err != nil {
		return time.Time{}, errors.New(key + "格式不正确，应为yyyy-MM-dd")
	}
	if upper {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

func (q *query) matches(r *record) bool {
	switch {
	case q.codeFrom != "" && r.code < q.codeFrom,
		q.codeTo != "" && r.code > q.codeTo,
		q.name != "" && !strings.Contains(r.name, q.name),
		// A record without ModifyDate is in no ModifyDate range.
		(!q.modFrom.IsZero() || !q.modTo.IsZero()) && r.modified.IsZero(),
		!q.modFrom.IsZero() && r.modified.Before(q.modFrom),
		!q.modTo.IsZero() && !r.modified.Before(q.modTo),
		(q.seedFrom != "" || q.seedTo != "") && r.seedDate == "",
		q.seedFrom != "" && r.seedDate < q.seedFrom,
		q.seedTo != "" && r.seedDate > q.seedTo,
		q.stampFrom >= 0 && r.stamp < q.stampFrom,
		q.stampTo >= 0 && r.stamp > q.stampTo:
		return false
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
