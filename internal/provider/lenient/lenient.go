// Package lenient holds JSON types that accept what the vendors actually
// send rather than what their documents say: numbers as strings and strings
// as numbers (U8 mobile), "" mixed with null (CRM), booleans as "1" or
// "true", and fields that are a string in one record and an array in the
// next (CRM attachments).
package lenient

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String accepts a JSON string, number or boolean and keeps its text. null
// and "" both decode to "". Numbers keep their exact digits (a mobile
// number 13811388661 stays "13811388661", never 1.3811388661e+10).
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	if t, ok := text(b); ok {
		*s = String(t)
		return nil
	}
	return s.unmarshalSlow(b)
}

// unmarshalSlow is the general String decoder: it handles every input,
// escapes and errors included, and defines what text must agree with.
func (s *String) unmarshalSlow(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9') || string(b) == "true" || string(b) == "false":
		*s = String(b)
	default:
		return fmt.Errorf("lenient.String: cannot read %.20s", b)
	}
	return nil
}

// Ptr returns nil for "" (the vendor left it out or sent null) and a
// pointer to the trimmed text otherwise.
func (s String) Ptr() *string {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return nil
	}
	return &v
}

// Texts hands out the *string of one record's fields from one
// allocation instead of one each. Make it with the capacity of the fields
// read; when it is full, Ptr allocates as String.Ptr does.
type Texts []string

// Ptr is s.Ptr(), the text kept in t.
func (t *Texts) Ptr(s String) *string {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return nil
	}
	if len(*t) == cap(*t) {
		return s.Ptr() // not &v: v would then always be moved to the heap
	}
	*t = append(*t, v)
	return &(*t)[len(*t)-1]
}

// Float accepts a JSON number, a numeric string ("31.579004"), "" or null.
type Float struct {
	Value float64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	if t, ok := text(b); ok {
		t = trimSpace(t)
		if len(t) == 0 {
			*f = Float{}
			return nil
		}
		if v, err := strconv.ParseFloat(string(t), 64); err == nil {
			*f = Float{Value: v, Valid: true}
			return nil
		}
	}
	return f.unmarshalSlow(b)
}

// unmarshalSlow decodes any input and words the errors.
func (f *Float) unmarshalSlow(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = Float{}
	if strings.TrimSpace(string(s)) == "" {
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	if err != nil {
		return fmt.Errorf("lenient.Float: %q is not a number", string(s))
	}
	*f = Float{Value: v, Valid: true}
	return nil
}

// Ptr returns nil when the value was absent.
func (f Float) Ptr() *float64 {
	if !f.Valid {
		return nil
	}
	v := f.Value
	return &v
}

// Int accepts a JSON integer, a numeric string, "" or null.
type Int struct {
	Value int64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	if t, ok := text(b); ok {
		t = trimSpace(t)
		if len(t) == 0 {
			*n = Int{}
			return nil
		}
		if v, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			*n = Int{Value: v, Valid: true}
			return nil
		}
	}
	return n.unmarshalSlow(b)
}

// unmarshalSlow decodes any input, "12.0" included, and words the errors.
func (n *Int) unmarshalSlow(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*n = Int{}
	t := strings.TrimSpace(string(s))
	if t == "" {
		return nil
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		// Some vendors write integers as "12.0".
		f, ferr := strconv.ParseFloat(t, 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("lenient.Int: %q is not an integer", t)
		}
		v = int64(f)
	}
	*n = Int{Value: v, Valid: true}
	return nil
}

// Ptr returns nil when the value was absent.
func (n Int) Ptr() *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Value)
	return &v
}

// Bool accepts true/false, "1"/"0", "true"/"false", "是"/"否", 1/0, "" and
// null.
type Bool struct {
	Value bool
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	if t, ok := text(b); ok {
		// Only spellings that lower-casing leaves alone, so that the
		// answer is the one unmarshalSlow would give.
		switch string(trimSpace(t)) {
		case "":
			*v = Bool{}
			return nil
		case "true", "1", "是", "y", "yes":
			*v = Bool{Value: true, Valid: true}
			return nil
		case "false", "0", "否", "n", "no":
			*v = Bool{Value: false, Valid: true}
			return nil
		}
	}
	return v.unmarshalSlow(b)
}

// unmarshalSlow decodes any input, whatever its case, and words the
// errors.
func (v *Bool) unmarshalSlow(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "":
		*v = Bool{}
	case "true", "1", "是", "y", "yes":
		*v = Bool{Value: true, Valid: true}
	case "false", "0", "否", "n", "no":
		*v = Bool{Value: false, Valid: true}
	default:
		return fmt.Errorf("lenient.Bool: cannot read %q", string(s))
	}
	return nil
}

// Ptr returns nil when the value was absent.
func (v Bool) Ptr() *bool {
	if !v.Valid {
		return nil
	}
	b := v.Value
	return &b
}

// Strings accepts an array of strings (or numbers), a single string (the
// CRM sends attachments as "暂无附件"), "" or null. A lone string becomes a
// one-element slice; "" and null become nil.
type Strings []string

// UnmarshalJSON implements json.Unmarshaler.
func (ss *Strings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "[]" { // most lists are empty: no need for a decoder
		*ss = []string{}
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var items []String
		if err := json.Unmarshal(b, &items); err != nil {
			// Arrays of objects: keep each element's raw text.
			var raw []json.RawMessage
			if err2 := json.Unmarshal(b, &raw); err2 != nil {
				return err
			}
			out := make([]string, len(raw))
			for i, r := range raw {
				out[i] = string(r)
			}
			*ss = out
			return nil
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			out = append(out, string(it))
		}
		*ss = out
		return nil
	}
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*ss = nil
		return nil
	}
	*ss = Strings{string(s)}
	return nil
}

// text returns, without allocating, the text String would decode b to,
// for the shapes vendors send nearly always: null, a number, a boolean,
// and a string without escapes. ok is false for anything else (escapes,
// control characters, invalid UTF-8, errors), which unmarshalSlow then
// decodes: encoding/json would rewrite such strings, so their bytes are
// not their text.
func text(b []byte) (t []byte, ok bool) {
	b = trimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil, true
	case b[0] == '"':
		if len(b) < 2 || b[len(b)-1] != '"' {
			return nil, false
		}
		in := b[1 : len(b)-1]
		if ok, ascii := ordinary(in); !ok || (!ascii && !utf8.Valid(in)) {
			return nil, false
		}
		return in, true
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9') || string(b) == "true" || string(b) == "false":
		return b, true
	}
	return nil, false
}

// trimSpace is bytes.TrimSpace without its work for the usual value,
// which starts and ends with a printable ASCII byte (a quote, a digit, a
// letter): neither can be (part of) a space.
func trimSpace(b []byte) []byte {
	if len(b) > 0 && ' ' < b[0] && b[0] < utf8.RuneSelf && ' ' < b[len(b)-1] && b[len(b)-1] < utf8.RuneSelf {
		return b
	}
	return bytes.TrimSpace(b)
}

// ordinary reports whether in holds no quote, backslash or control
// character (< 0x20), and whether it is all ASCII (then it is valid
// UTF-8 too). It reads eight bytes at a time: every record's every field
// goes through it.
func ordinary(in []byte) (ok, ascii bool) {
	var seen uint64
	i := 0
	for ; len(in)-i >= 8; i += 8 {
		w := binary.LittleEndian.Uint64(in[i:])
		if special(w) != 0 {
			return false, false
		}
		seen |= w
	}
	for ; i < len(in); i++ {
		c := in[i]
		if c == '"' || c == '\\' || c < 0x20 {
			return false, false
		}
		seen |= uint64(c)
	}
	return true, seen&highBits == 0
}

// Members counts the members of the top-level object of data (which must
// be valid JSON) that encoding/json would decode into a struct field named
// key (an ASCII name). A caller that decodes a field in one pass instead
// of through json.RawMessage uses it to learn whether the field was there,
// and whether it came twice (encoding/json then merges the second value
// into the first, where a RawMessage keeps only the last). sure is false
// when a member name has escapes or non-ASCII letters, which would need
// encoding/json's Unicode case folding to compare.
func Members(data []byte, key string) (n int, sure bool) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return 0, true
	}
	depth, name := 0, false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			depth++
			name = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			name = depth == 1
		case '"':
			end := stringEnd(data, i+1)
			if end < 0 {
				return n, false
			}
			if name {
				s := data[i+1 : end]
				for _, c := range s {
					if c == '\\' || c >= utf8.RuneSelf {
						return n, false
					}
				}
				if asciiEqualFold(s, key) {
					n++
				}
				name = false
			}
			i = end
		}
	}
	return n, true
}

// stringEnd returns the index of the quote that closes the string whose
// text starts at data[i], or -1.
func stringEnd(data []byte, i int) int {
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		escapes := 0
		for k := j - 1; k >= i && data[k] == '\\'; k-- {
			escapes++
		}
		if escapes%2 == 0 {
			return j
		}
		i = j + 1
	}
}

// asciiEqualFold is strings.EqualFold for ASCII, where it agrees with
// encoding/json's matching of member names to fields.
func asciiEqualFold(s []byte, key string) bool {
	if len(s) != len(key) {
		return false
	}
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for i, c := range s {
		if lower(c) != lower(key[i]) {
			return false
		}
	}
	return true
}
