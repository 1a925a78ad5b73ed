package lenient

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// fastSeeds are inputs on both sides of the fast paths' limits.
var fastSeeds = []string{
	`"abc"`, `""`, `null`, `13811388661`, `-1.5e3`, `true`, `false`, `"TRUE"`, `"Yes"`, `" 1 "`,
	`"是"`, `"否"`, `"a\"b"`, `"a\\b"`, `"\u00e9"`, "\"tab\there\"", "\"\xff\"", `"12.0"`, `"12.5"`,
	`"31.579004"`, `"NaN"`, `"1e400"`, `99999999999999999999`, `"x`, `"`, ` "pad" `, `[]`, `[ ]`,
	`["a",1]`, `[{"name":"x"}]`, `{"x":1}`, `nul`, `tru`, "\u00a0\"nbsp\"",
}

// checkFast fails when a fast path and the general decoder it stands in
// for disagree on in.
func checkFast(t *testing.T, in string) {
	t.Helper()
	b := []byte(in)
	// each runs one decoder into a fresh value and shows what it left and
	// said.
	each := func(decode func() error, v any) string {
		err := decode()
		return fmt.Sprintf("%#v / %v", reflect.ValueOf(v).Elem().Interface(), err)
	}
	var s1, s2 String
	var f1, f2 Float
	var n1, n2 Int
	var v1, v2 Bool
	for _, p := range []struct{ name, fast, slow string }{
		{"String", each(func() error { return s1.UnmarshalJSON(b) }, &s1), each(func() error { return s2.unmarshalSlow(b) }, &s2)},
		{"Float", each(func() error { return f1.UnmarshalJSON(b) }, &f1), each(func() error { return f2.unmarshalSlow(b) }, &f2)},
		{"Int", each(func() error { return n1.UnmarshalJSON(b) }, &n1), each(func() error { return n2.unmarshalSlow(b) }, &n2)},
		{"Bool", each(func() error { return v1.UnmarshalJSON(b) }, &v1), each(func() error { return v2.unmarshalSlow(b) }, &v2)},
	} {
		if p.fast != p.slow {
			t.Errorf("%s(%q): fast path %s, general decoder %s", p.name, in, p.fast, p.slow)
		}
	}
}

func TestFastPathsAgree(t *testing.T) {
	for _, in := range fastSeeds {
		checkFast(t, in)
	}
}

func FuzzFastPathsAgree(f *testing.F) {
	for _, in := range fastSeeds {
		f.Add(in)
	}
	f.Fuzz(checkFast)
}

func TestStringsEmptyList(t *testing.T) {
	for _, in := range []string{`[]`, ` [] `} {
		var got Strings
		if err := got.UnmarshalJSON([]byte(in)); err != nil || got == nil || len(got) != 0 {
			t.Errorf("%q: got %#v, %v; want an empty, non-nil list", in, got, err)
		}
	}
}

func TestMembers(t *testing.T) {
	tests := []struct {
		give string
		n    int
		sure bool
	}{
		{`{"code":0,"data":{"data":1}}`, 1, true},
		{`{"code":0}`, 0, true},
		{`{"Data":1,"DATA":2}`, 2, true},
		{`{"a":"data","b":["data"],"c":{"data":1}}`, 0, true},
		{`{"a":"x\"data","data":1}`, 1, true},
		{`{"a":"x\\","data":1}`, 1, true},
		{`{"d\u0061ta":1}`, 0, false},
		{`{"ＤATA":1}`, 0, false},
		{`["data",{"data":1}]`, 0, true},
		{`null`, 0, true},
		{` { "data" : null , "data" : 1 } `, 2, true},
	}
	for _, tt := range tests {
		if n, sure := Members([]byte(tt.give), "data"); n != tt.n || sure != tt.sure {
			t.Errorf("Members(%s) = %d, %v; want %d, %v", tt.give, n, sure, tt.n, tt.sure)
		}
	}
}

// TestMembersMatchesDecoding checks Members against encoding/json itself:
// a map field gains one key per member decoded into it.
func TestMembersMatchesDecoding(t *testing.T) {
	for _, in := range []string{
		`{"data":{"a":1}}`, `{"DaTa":{"a":1},"data":{"b":2}}`, `{"x":{"data":{"a":1}}}`, `{}`,
		`{"datum":{"a":1},"dat":{"b":2}}`, `{"data":{"a":1},"x":"data","DATA":{"b":2},"Data":{"c":3}}`,
	} {
		var v struct {
			Data map[string]int `json:"data"`
		}
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		n, sure := Members([]byte(in), "data")
		if !sure || n != len(v.Data) {
			t.Errorf("Members(%s) = %d, %v; encoding/json decoded %d values", in, n, sure, len(v.Data))
		}
	}
}

// localSeeds are times in and around the shapes ParseLocal reads.
var localSeeds = []string{
	"2025-05-01", "2025-05-01 10:00", "2025-05-01 10:00:59", "2024-02-29", "2023-02-29", "2000-02-29",
	"1900-02-29", "2025-04-31", "2025-12-31 23:59:59", "2025-13-01", "2025-00-10", "2025-01-00",
	"2025-01-01 24:00", "2025-01-01 23:60", "2025-01-01 10:00:60", "2025-01-01T10:00:00", "2025/01/01",
	"0000-01-01", "+025-01-01", "2025-1-01", "2025-01-01 10:00:00.123", "2025-01-01 1:00:00", " 2025-01-01",
	"2025-01-01 10:00:0x", "２０２５-01-01", "9999-12-31 23:59:59",
}

func checkLocal(t *testing.T, s string) {
	t.Helper()
	loc := time.FixedZone("Asia/Shanghai", 8*60*60)
	got, layout, ok := ParseLocal(s, loc)
	for _, l := range []string{LayoutDate, LayoutDateMinutes, LayoutDateTime} {
		want, err := time.ParseInLocation(l, s, loc)
		switch {
		case ok && l == layout && (err != nil || !got.Equal(want) || got.Location() != want.Location() || got != want):
			t.Errorf("ParseLocal(%q) = %v as %s; time.ParseInLocation: %v, %v", s, got, layout, want, err)
		}
	}
}

func TestParseLocal(t *testing.T) {
	for _, s := range localSeeds {
		checkLocal(t, s)
	}
	// Refusing is always safe (the caller parses as before); these are the
	// shapes that must not need it.
	for _, s := range []string{"2025-05-01", "2024-02-29", "2025-05-01 10:00", "2025-12-31 23:59:59", "0000-01-01"} {
		if _, _, ok := ParseLocal(s, time.UTC); !ok {
			t.Errorf("ParseLocal(%q) refused", s)
		}
	}
}

func FuzzParseLocal(f *testing.F) {
	for _, s := range localSeeds {
		f.Add(s)
	}
	f.Fuzz(checkLocal)
}
