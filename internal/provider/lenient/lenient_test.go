package lenient

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		give string
		want String
	}{
		{`"abc"`, "abc"},
		{`13811388661`, "13811388661"},
		{`494.0000`, "494.0000"},
		{`null`, ""},
		{`""`, ""},
		{`true`, "true"},
		{`"ＰＲＰＯ２０１９"`, "ＰＲＰＯ２０１９"},
	}
	for _, tt := range tests {
		var got String
		if err := json.Unmarshal([]byte(tt.give), &got); err != nil {
			t.Errorf("%s: %v", tt.give, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.give, got, tt.want)
		}
	}
	var s String
	if err := json.Unmarshal([]byte(`{"a":1}`), &s); err == nil {
		t.Error("an object decoded as a string")
	}
	if String("  ").Ptr() != nil || *String(" x ").Ptr() != "x" {
		t.Error("Ptr does not trim or drop blanks")
	}
}

func TestFloatIntBool(t *testing.T) {
	var v struct {
		Lat  Float `json:"lat"`
		Lng  Float `json:"lng"`
		None Float `json:"none"`
		Zero Float `json:"zero"`
		ID   Int   `json:"id"`
		IDs  Int   `json:"ids"`
		B1   Bool  `json:"b1"`
		B2   Bool  `json:"b2"`
		B3   Bool  `json:"b3"`
		B4   Bool  `json:"b4"`
	}
	in := `{"lat":"31.579004","lng":91.100065,"none":null,"zero":"","id":"4","ids":14,"b1":true,"b2":"1","b3":"否","b4":""}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if *v.Lat.Ptr() != 31.579004 || *v.Lng.Ptr() != 91.100065 || v.None.Ptr() != nil || v.Zero.Ptr() != nil {
		t.Errorf("floats: got %+v %+v %+v %+v", v.Lat, v.Lng, v.None, v.Zero)
	}
	if *v.ID.Ptr() != 4 || *v.IDs.Ptr() != 14 {
		t.Errorf("ints: got %+v %+v", v.ID, v.IDs)
	}
	if !*v.B1.Ptr() || !*v.B2.Ptr() || *v.B3.Ptr() || v.B4.Ptr() != nil {
		t.Errorf("bools: got %+v %+v %+v %+v", v.B1, v.B2, v.B3, v.B4)
	}
	var bad Float
	if err := json.Unmarshal([]byte(`"north"`), &bad); err == nil {
		t.Error(`"north" decoded as a float`)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		give string
		want Strings
	}{
		{`["a","b"]`, Strings{"a", "b"}},
		{`"暂无附件"`, Strings{"暂无附件"}},
		{`""`, nil},
		{`null`, nil},
		{`[]`, Strings{}},
		{`[1,2]`, Strings{"1", "2"}},
	}
	for _, tt := range tests {
		var got Strings
		if err := json.Unmarshal([]byte(tt.give), &got); err != nil {
			t.Errorf("%s: %v", tt.give, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.give, got, tt.want)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{`"a"`, `1`, `null`, `""`, `1e5`, `{"x":1}`, `[1]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var s String
		var fl Float
		var n Int
		var b Bool
		var ss Strings
		_ = json.Unmarshal([]byte(in), &s)
		_ = json.Unmarshal([]byte(in), &fl)
		_ = json.Unmarshal([]byte(in), &n)
		_ = json.Unmarshal([]byte(in), &b)
		_ = json.Unmarshal([]byte(in), &ss)
	})
}
