package lenient

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// scanSeeds are valid and invalid JSON around the scanner's limits: eight
// byte words, escapes, numbers, literals, nesting.
var scanSeeds = []string{
	`"abcdefgh"`, `"abcdefg"`, `"abcdefghi"`, `"abcdefg\"ijklmnop"`, `"上海华东电子有限公司"`, `"a\u00e9b"`,
	`"\u12"`, `"\uZZZZ"`, `"\q"`, "\"\x1f\"", "\"\x7f\x80\xff\"", `"abcdefgh\\"`, `"abcdefgh\"`, `"ab`,
	`0`, `-0`, `01`, `1.`, `.1`, `1e`, `1e+`, `1E-7`, `-`, `- 1`, `12345678901234567890`, `1.5e300`,
	`true`, `tru`, `truee`, `null`, `nul`, `false`, `[]`, `[ ]`, `[1,]`, `[,1]`, `{}`, `{"a":1,}`,
	`{"a" : [ 1 , { "b" : null } ] }`, `{"a"}`, `{1:2}`, ` `, ``, `"a" "b"`, `[[[[[[[[]]]]]]]]`, `[[[]]`,
}

// checkScan fails when the scanner and encoding/json disagree on whether
// b is valid, or when str or ascii are wrong about a string.
func checkScan(t *testing.T, b []byte) {
	t.Helper()
	s := scanner{data: b}
	end := s.value(s.space(0))
	valid := end >= 0 && s.space(end) == len(b)
	if s.depth > maxDepth {
		return // refused for its depth, which encoding/json allows
	}
	if valid != json.Valid(b) {
		t.Fatalf("scanner says valid = %v for %q, encoding/json %v", valid, b, !valid)
	}
	if i := s.space(0); valid && b[i] == '"' {
		end, escaped := s.str(i)
		in := b[i+1 : end-1]
		if escaped != bytes.ContainsRune(in, '\\') {
			t.Fatalf("str(%q): escaped = %v", b, escaped)
		}
		if want := !strings.ContainsFunc(string(in), func(r rune) bool { return r >= 0x80 }); ascii(in) != want {
			t.Fatalf("ascii(%q) = %v", in, !want)
		}
	}
}

func TestScan(t *testing.T) {
	for _, in := range scanSeeds {
		checkScan(t, []byte(in))
	}
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	s := scanner{data: []byte(deep)}
	if s.value(0) >= 0 {
		t.Errorf("nesting deeper than %d accepted", maxDepth)
	}
}

func FuzzScan(f *testing.F) {
	for _, in := range scanSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(checkScan)
}

// TestSpecial checks the eight-byte test against the byte-at-a-time one,
// with each byte value at each position among ordinary bytes.
func TestSpecial(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			m := special(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			isSpecial := c == '"' || c == '\\' || c < 0x20
			if want := uint64(0x80) << (8 * pos); isSpecial && m&-m != want || !isSpecial && m != 0 {
				t.Errorf("special with %#x at %d = %#x", c, pos, m)
			}
		}
	}
}
