package customer

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// The normalizers the directory compares and orders by. They are pure:
// the same input gives the same output on every replica.

// NormalizeText folds s for searching: NFKC (full-width letters, digits
// and punctuation become half-width), Unicode lower case, and every
// white-space character removed (U+3000 included). The searched text and
// the query are both folded with it.
func NormalizeText(s string) string {
	if out, ok := normalizeCommon(s); ok {
		return out
	}
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !unicode.IsSpace(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// normalizeCommon folds the text of nearly every record, ASCII and the
// CJK Unified Ideographs (which NFKC leaves as they are), three times
// faster than norm.NFKC; ok is false when s holds anything else.
func normalizeCommon(s string) (string, bool) {
	same := true
	for _, r := range s {
		switch {
		case r >= utf8.RuneSelf:
			if r < 0x4E00 || r > 0x9FFF {
				return "", false
			}
		case 'A' <= r && r <= 'Z', r == ' ', '\t' <= r && r <= '\r':
			same = false
		}
	}
	if same {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c == ' ', '\t' <= c && c <= '\r':
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

// PhoneDigits returns the digits of a phone number as typed (full-width
// digits folded), extension included: what a digits search looks in.
func PhoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case '０' <= r && r <= '９':
			b.WriteByte(byte('0' + r - '０'))
		}
	}
	return b.String()
}

// extension splits a number from its extension, written 转 801, 分机 801,
// 分机号 801, ext 801, ext. 801, extension 801, x801 or #801 (after NFKC
// and lower case).
var extension = regexp.MustCompile(`^(.*?)\s*(?:分机号?|转|extension|ext\.?|x|#)\s*:?\s*([0-9]+)\s*$`)

// mainPunct is what may separate the digits of a number.
const mainPunct = " -.()/"

// Local numbers are 7 or 8 digits; typed alone they have no area code.
const minLocal, maxLocal = 7, 8

// NormalizePhone normalizes a phone number typed any common way for
// comparison: mobiles and landlines, with +86, 0086 or 86 before them or
// not, spaces, dashes, an area code in parentheses, full-width digits, and
// an extension after 转, 分机, ext, x or #. Number is E.164 (region CN
// when no country code is written); a local landline written without
// its area code keeps its digits alone ("88886666"), since no area code
// can be guessed for it. What is no phone number (no digits, letters, too
// short or long) is a BadInput error.
func NormalizePhone(s string) (Phone164, error) {
	t := s
	if !isASCII(t) {
		t = norm.NFKC.String(t)
	}
	t = strings.TrimSpace(t)
	var out Phone164
	main := t
	if strings.Trim(t, "0123456789+"+mainPunct) != "" { // the regular expression costs 3µs
		if m := extension.FindStringSubmatch(strings.ToLower(t)); m != nil {
			main, out.Ext = m[1], m[2]
		}
	}
	plus := false
	var digits strings.Builder
	for _, r := range strings.TrimSpace(main) {
		switch {
		case '0' <= r && r <= '9':
			digits.WriteRune(r)
		case r == '+' && digits.Len() == 0 && !plus:
			// First of the number, also inside "(+86)".
			plus = true
		case strings.ContainsRune(mainPunct, r):
		case unicode.IsLetter(r):
			return Phone164{}, BadInputf("%q is not a phone number: it holds letters", s)
		default:
			return Phone164{}, BadInputf("%q is not a phone number: it holds %q", s, r)
		}
	}
	d := digits.String()
	switch {
	case d == "":
		return Phone164{}, BadInputf("%q is not a phone number: it holds no digits", s)
	case !plus && d[0] != '0' && len(d) >= minLocal && len(d) <= maxLocal:
		out.Number = d
		return out, nil
	case len(d) < minLocal:
		return Phone164{}, BadInputf("%q is too short to be a phone number", s)
	case len(d) > 17: // 00 + country code + the longest national numbers
		return Phone164{}, BadInputf("%q is too long to be a phone number", s)
	}
	if n, ok := chinaFast(d, plus); ok {
		out.Number = n
		return out, nil
	}
	if plus {
		d = "+" + d
	}
	num, err := phonenumbers.Parse(d, "CN")
	if err != nil {
		return Phone164{}, BadInputf("%q is not a phone number", s)
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_LONG:
		return Phone164{}, BadInputf("%q is too long to be a phone number", s)
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return Phone164{}, BadInputf("%q is too short to be a phone number", s)
	default:
		return Phone164{}, BadInputf("%q is not a phone number", s)
	}
	out.Number = phonenumbers.Format(num, phonenumbers.E164)
	return out, nil
}

// chinaFast answers the common Chinese numbers without phonenumbers,
// whose Parse costs some 35µs (regular expressions): the directory
// normalizes every phone of 300,000 records. It takes the digits of a
// number (plus: written with a leading +) and answers only a mobile (1
// and 10 digits more) or a landline with its area code (0 or +86 / 0086,
// then 2 to 3 digits of area code and 7 to 8 of subscriber number, 10 to
// 11 digits in all), with or without +86, 0086 or 86 before it; anything
// else is phonenumbers' to judge. The test holds it to phonenumbers'
// answers.
func chinaFast(d string, plus bool) (string, bool) {
	switch {
	case plus:
		if !strings.HasPrefix(d, "86") {
			return "", false
		}
		d = d[2:]
	case strings.HasPrefix(d, "0086"):
		d = d[4:]
	case strings.HasPrefix(d, "00"):
		return "", false
	case strings.HasPrefix(d, "86") && len(d) == 13 && d[2] == '1':
		d = d[2:]
	case d[0] != '0' && d[0] != '1':
		return "", false
	}
	trunk := strings.HasPrefix(d, "0")
	if trunk {
		d = d[1:]
	}
	switch {
	case len(d) == 11 && d[0] == '1' && d[1] >= '3' && !strings.HasPrefix(d, "179") && !trunk:
		// a mobile (179xx is a carrier prefix phonenumbers strips)
	case len(d) == 10 && (d[0] == '2' || strings.HasPrefix(d, "10")) && d[2] >= '2':
		// Beijing (10) or 2x: two digits of area code, eight of number
	case (len(d) == 10 || len(d) == 11) && d[0] >= '3' && d[3] >= '2':
		// three digits of area code, seven or eight of number
	default:
		return "", false
	}
	return "+86" + d, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// collators hands each caller of NameSortKey its own collator: a
// collate.Collator keeps state between calls and is not safe for
// concurrent use, and making one costs far more than a key.
var collators = sync.Pool{New: func() any {
	return &collator{c: collate.New(language.Chinese)}
}}

type collator struct {
	c   *collate.Collator
	buf collate.Buffer
}

// readings fixes the order of the polyphonic characters of place and
// trade words. CLDR's pinyin collation gives each character one reading,
// its most common: 长 zhǎng, 重 zhòng, 厦 shà, 行 xíng, 都 dōu, 藏 cáng.
// Company names mostly read them otherwise (长沙 cháng, 重庆 chóng, 厦门
// xià, 银行 háng, 成都 dū, 西藏 zàng), so for the key alone the word is
// written with a character of that reading. Longer words come first:
// strings.Replacer tries them in order at each position.
var readings = strings.NewReplacer(
	"董事长", "董事掌", "成长", "成掌", "增长", "增掌", "生长", "生掌", "厂长", "厂掌", "校长", "校掌",
	"长", "常",
	"重庆", "崇庆",
	"厦门", "夏门",
	"银行", "银航", "商行", "商航", "车行", "车航", "琴行", "琴航", "洋行", "洋航", "分行", "分航",
	"支行", "支航", "总行", "总航", "行业", "航业", "同行", "同航", "电器行", "电器航", "五金行", "五金航",
	"成都", "成督", "首都", "首督", "都市", "督市", "京都", "京督",
	"西藏", "西葬", "藏族", "葬族",
)

// polyphones are the characters readings rewrites words of.
const polyphones = "长重厦行都藏"

// NameSortKey returns the collation key of name for Chinese: comparing keys
// with bytes.Compare orders names in pinyin order (阿里 < 北京 < 长沙 <
// 重庆 < 大连 < 中山), Latin letters and digits as a dictionary does
// (digits first, then letters, case and width after the letter). Safe
// for concurrent use; about a microsecond a name.
func NameSortKey(name string) []byte {
	if strings.ContainsAny(name, polyphones) {
		name = readings.Replace(name)
	}
	c := collators.Get().(*collator)
	k := c.c.KeyFromString(&c.buf, name)
	out := make([]byte, len(k))
	copy(out, k)
	c.buf.Reset()
	collators.Put(c)
	return out
}
