package lenient

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The test answer is shaped like the vendors' wire types: an embedded
// envelope, lenient fields, a list of records, a record by pointer, a
// nested object and a few plain fields.
type (
	testEnvelope struct {
		Code    Int    `json:"code"`
		Message String `json:"message"`
	}
	testRow struct {
		ID     String  `json:"id"`
		Name   String  `json:"name"`
		Score  Float   `json:"score"`
		Active Bool    `json:"active"`
		Tags   Strings `json:"tags"`
		Count  Int     `json:"count"`
	}
	testAnswer struct {
		testEnvelope
		Total Int       `json:"total"`
		Rows  []testRow `json:"rows"`
		Owner *testRow  `json:"owner"`
		Meta  struct {
			Page Int `json:"page"`
		} `json:"meta"`
		Note    string `json:"note,omitempty"`
		N       int    `json:"n"`
		Ignored String `json:"-"`
		//lint:ignore U1000 an unexported field, which Decode must leave alone as encoding/json does
		hidden String
		// Message shadows the envelope's.
		Message String `json:"message"`
		Plain   String // named by its Go name
	}
)

// decodeSeeds are inputs on both sides of what Decode is sure of.
var decodeSeeds = []string{
	`{"code":"0","message":"ok","total":2,"rows":[{"id":"1","name":"上海","score":"31.5","active":"1","tags":["VIP"],"count":"12"},{"id":2,"tags":"暂无附件","count":12.0}],"owner":{"id":"9"},"meta":{"page":1},"note":"n","n":3,"Plain":"p"}`,
	`{"message":"a\"b\u00e9\\\/\b\f\n\r\t","rows":[{"name":"\ud83d\ude00"}]}`,
	`{"message":"ＰＲＰＯ２０１９","note":"é"}`,
	`{"Code":1}`, `{"MESSAGE":"x"}`, `{"plain":"x"}`, `{"c\u006fde":1}`, `{"名字":1}`, `{"x\n":1}`,
	`{"code":1,"code":"2","message":null,"message":"m"}`,
	`{"rows":[{}],"rows":[{}]}`, `{"rows":null,"rows":[{"id":1}]}`, `{"rows":[{"id":1}],"rows":null}`,
	`{"rows":[]}`, `{"rows":null}`, `{"rows":[null,{"id":1},null]}`, `{"rows":[1]}`, `{"rows":{}}`, `{"rows":"x"}`,
	`{"owner":null}`, `{"owner":{"id":1},"owner":{"name":"x"}}`, `{"owner":null,"owner":{"id":1}}`, `{"owner":[]}`,
	`{"meta":{"page":1},"meta":{"Page":2}}`, `{"meta":{"page":1},"meta":{"x":2}}`, `{"meta":null}`, `{"meta":1}`,
	`{"count":"12","total":"7","n":-0}`, `{"total":"abc"}`, `{"total":{}}`, `{"n":"1"}`, `{"n":1.5}`, `{"note":1}`,
	`{"x":{"a":[1,{"b":null}],"c":"d","e":[[],{}],"f":-1.5e+3},"y":[true,false,null]}`,
	`{"Ignored":"x","-":1,"hidden":"y","testEnvelope":{}}`,
	`{"rows":[{"tags":["a"],"tags":["b"]}]}`, `{"rows":[{"tags":null,"tags":["b"]}]}`, `{"rows":[{"tags":[{"a":1},2]}]}`,
	`{"rows":[{"id":1,"name":"a","count":1},{"name":"b","id":2},{"id":3,"x":1,"name":"c"},{"id":4,"name":"d","Name":"e"}]}`,
	`{"rows":[{"id":1,"name":"a"},{"id":2,"name":"b","id":"3"},null,{}]}`,
	`{"rows":[{"id":1,"name":"a"},{"id":2,"names":"b","name":"c"},{"id":3,"nam":"d"},{"id":4,"name\"":"e"},{"id":5,"Name":"f"}]}`,
	`{"rows":[{"score":"NaN"}]}`, `{"rows":[{"score":1e400}]}`, `{"rows":[{"active":"TRUE"}]}`,
	` { "code" : 0 , "rows" : [ { "id" : 1 } , { } ] } `, "{\"code\":0}\n", `null`, ` null `,
	`{"code":1,}`, `{"code":01}`, `{"code":1.}`, `{"code":.5}`, `{"code":-}`, `{"code":1e}`, `{"code":tru}`,
	`{"code":nul}`, "{\"message\":\"\x01\"}", `{"message":"\x"}`, `{"message":"\u12"}`, `{"message":"ab`,
	"{\"message\":\"\xff\"}", `{"code" 1}`, `{code:1}`, `{"code":1 "n":2}`, `{"rows":[{},]}`, `{"rows":[{}`,
	`{} x`, `{}{}`, `{},`, `[]`, `""`, `1`, ``, ` `, `{`, `}`, `{"x":[1,2}`, `{"x":{"a":1]}`,
}

// same reports whether a and b hold the same values, NaN equal to NaN
// (lenient.Float reads "NaN").
func same(a, b *testAnswer) bool {
	return reflect.DeepEqual(a, b) ||
		cmp.Equal(a, b, cmpopts.EquateNaNs(), cmp.AllowUnexported(testAnswer{}))
}

// checkDecode fails when Decode gives body, decoded into a value that
// holds earlier, something other than json.Unmarshal gives, or refuses
// and changes the value anyway. It returns whether Decode took body.
func checkDecode(t *testing.T, body, earlier []byte) bool {
	t.Helper()
	var got, want, before testAnswer
	for _, v := range []*testAnswer{&got, &want, &before} {
		_ = json.Unmarshal(earlier, v)
	}
	ok := Decode(body, &got)
	err := json.Unmarshal(body, &want)
	switch {
	case ok && err != nil:
		t.Fatalf("Decode(%q) took what json.Unmarshal refuses: %v", body, err)
	case ok && !same(&got, &want):
		t.Fatalf("Decode(%q):\n got %+v\nwant %+v", body, got, want)
	case !ok && !same(&got, &before):
		t.Fatalf("Decode(%q) refused but changed the value:\n got %+v\nwas %+v", body, got, before)
	}
	return ok
}

func TestDecode(t *testing.T) {
	tests := []struct {
		give    string
		earlier string // what the value holds before
		ok      bool
	}{
		{give: decodeSeeds[0], ok: true},
		{give: `{"message":"a\"b\u00e9\\\/\b\f\n\r\t","rows":[{"name":"\ud83d\ude00"}]}`, ok: true},
		{give: `{"message":"ＰＲＰＯ２０１９"}`, ok: true},
		{give: `{"code":1,"code":"2","message":null,"message":"m"}`, ok: true},
		{give: `{"rows":null,"rows":[{"id":1}]}`, ok: true},
		{give: `{"rows":[]}`, ok: true},
		{give: `{"rows":[null,{"id":1},null]}`, ok: true},
		{give: `{"owner":null,"owner":{"id":1}}`, ok: true},
		{give: `{"meta":{"page":1},"meta":{"x":2}}`, ok: true},
		{give: `{"x":{"a":[1,{"b":null}],"c":"d","e":[[],{}],"f":-1.5e+3},"y":[true,false,null]}`, ok: true},
		{give: `{"Ignored":"x","-":1,"hidden":"y","testEnvelope":{}}`, ok: true},
		{give: `{"rows":[{"tags":null,"tags":["b"]}]}`, ok: true},
		{give: ` { "code" : 0 , "rows" : [ { "id" : 1 } , { } ] } `, ok: true},
		{give: `{"rows":[{"id":1,"name":"a","count":1},{"name":"b","id":2},{"id":3,"x":1,"name":"c"}]}`, ok: true},
		{give: `{"rows":[{"id":1,"name":"a"},{"id":2,"name":"b","id":"3"},null,{}]}`, ok: true},
		{give: `{"rows":[{"id":1,"name":"a"},{"id":2,"names":"b","name":"c"},{"id":3,"nam":"d"},{"id":4,"na":"e","name":"f"}]}`, ok: true},
		{give: `{"rows":[{"id":1,"name":"a"},{"id":2,"name\"":"e"}]}`},
		{give: `{"rows":[{"id":1,"name":"a"},{"id":2,"Name":"f"}]}`},
		{give: `null`, earlier: `{"code":1}`, ok: true},
		{give: `{"code":2}`, earlier: `{"code":1,"message":"m","owner":null}`, ok: true},

		// encoding/json would match these names in another case, or
		// after unescaping.
		{give: `{"Code":1}`}, {give: `{"plain":"x"}`}, {give: `{"c\u006fde":1}`}, {give: `{"名字":1}`},
		// It would merge into what is there.
		{give: `{"rows":[{}],"rows":[{}]}`}, {give: `{"owner":{"id":1},"owner":{"name":"x"}}`},
		{give: `{"rows":[{"id":2}]}`, earlier: `{"rows":[{"name":"x"}]}`},
		{give: `{"owner":{"id":2}}`, earlier: `{"owner":{"name":"x"}}`},
		{give: `{"rows":[{"tags":["a"],"tags":["b"]}]}`},
		// Errors.
		{give: `{"total":"abc"}`}, {give: `{"rows":[1]}`}, {give: `{"rows":{}}`}, {give: `{"meta":1}`},
		{give: `{"n":"1"}`}, {give: `{"code":1,}`}, {give: `{"code":01}`}, {give: "{\"message\":\"\x01\"}"},
		{give: `{"message":"\u12"}`}, {give: `{"code":tru}`}, {give: `{} x`}, {give: `{}{}`}, {give: `[]`},
		{give: ``}, {give: `{"x":[1,2}`},
	}
	for _, tt := range tests {
		if ok := checkDecode(t, []byte(tt.give), []byte(tt.earlier)); ok != tt.ok {
			t.Errorf("Decode(%s) into %s: ok = %v, want %v", tt.give, tt.earlier, ok, tt.ok)
		}
	}
}

func TestDecodeSeeds(t *testing.T) {
	for _, in := range decodeSeeds {
		checkDecode(t, []byte(in), nil)
		checkDecode(t, []byte(in), []byte(decodeSeeds[0]))
	}
}

func FuzzDecode(f *testing.F) {
	for _, in := range decodeSeeds {
		f.Add([]byte(in), []byte(nil))
	}
	f.Add([]byte(`{"code":2}`), []byte(decodeSeeds[0]))
	f.Add([]byte(`{"rows":[{"id":2}]}`), []byte(`{"rows":[]}`))
	f.Fuzz(func(t *testing.T, body, earlier []byte) {
		checkDecode(t, body, earlier)
	})
}

// TestDecodeFieldNames checks Decode's table against encoding/json's
// rules for names: promotion, shadowing, conflicts.
func TestDecodeFieldNames(t *testing.T) {
	// A conflicts (two untagged at one depth: dropped), B is shadowed
	// (the shallower wins), C is claimed by a tagged and an untagged
	// field (the tagged wins). Untagged, so that vet does not object.
	type inner struct {
		A String
		B String
	}
	type other struct {
		A String
		C String
	}
	type tagged struct {
		C String `json:"C"`
	}
	type shadow struct {
		inner
		other
		B String
	}
	type deeper struct {
		shadow
		tagged
	}
	for _, in := range []string{`{"A":"1","B":"2","C":"3"}`, `{"a":"1"}`, `{"c":"3"}`} {
		var got, want deeper
		ok := Decode([]byte(in), &got)
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%s) = %+v; json.Unmarshal %+v", in, got, want)
		}
		if !ok && in == `{"A":"1","B":"2","C":"3"}` {
			t.Errorf("Decode(%s) refused", in)
		}
	}
}

func TestDecodeUnsupported(t *testing.T) {
	type inner struct{ A String }
	for _, v := range []any{
		&struct {
			N int `json:"n,string"`
		}{},
		&struct{ M map[string]int }{},
		&struct{ *inner }{},
		&struct{ I any }{},
		&struct{ P *String }{},
		&struct {
			S String `json:"s,inline"`
		}{},
		&struct{ R json.RawMessage }{}, // a slice: decoded only when nil
		new(String),
		new([]testRow),
		struct{}{},
		(*testAnswer)(nil),
	} {
		in := `{"n":"1","M":{},"A":"x","I":1,"P":"p","s":"x"}`
		if _, isRaw := v.(*struct{ R json.RawMessage }); isRaw {
			v.(*struct{ R json.RawMessage }).R = json.RawMessage("0")
			in = `{"R":1}`
		}
		if Decode([]byte(in), v) {
			t.Errorf("Decode into %T took %s", v, in)
		}
	}
}

// TestDecodeConcurrent decodes into a type not seen before from several
// goroutines at once, so that -race watches the table being built and the
// lists' scratch slices being shared.
func TestDecodeConcurrent(t *testing.T) {
	type row struct {
		ID String `json:"id"`
	}
	type page struct {
		Rows []row `json:"rows"`
	}
	in := []byte(`{"rows":[{"id":"1"},{"id":"2"},{"id":"3"}]}`)
	var want page
	if err := json.Unmarshal(in, &want); err != nil {
		t.Fatal(err)
	}
	done := make(chan page)
	for range 8 {
		go func() {
			var got page
			for range 50 {
				got = page{}
				if !Decode(in, &got) {
					break
				}
			}
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
}
