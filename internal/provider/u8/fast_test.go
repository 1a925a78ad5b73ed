package u8

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"

	"custgraph/internal/provider/lenient"
)

// TestDecodeBatchOnePass checks that lenient.Decode reads U8's sample
// batch_get answer itself, without encoding/json.
func TestDecodeBatchOnePass(t *testing.T) {
	body, err := os.ReadFile("testdata/seed_batch_get.json")
	if err != nil {
		t.Fatal(err)
	}
	var d batchDirect
	if !lenient.Decode(body, &d) || len(d.Customer) == 0 {
		t.Fatalf("lenient.Decode refused the sample answer, or read no customers: %+v", d)
	}
}

// FuzzDecodeBatch checks that decode's one-pass path for batch_get gives
// what json.Unmarshal gives, into a fresh answer and into one that holds
// an earlier answer (as after a token retry).
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"errcode":"0","row_count":"2","customer":[{"code":"1","mobile":13811388661},{"code":"2"}]}`), []byte(`{"errcode":"30002","errmsg":"token"}`))
	f.Add([]byte(`{"errcode":"0","customer":{"code":"1"}}`), []byte(`{}`))
	f.Add([]byte(`{"errcode":"0","customer":[{"code":"1","name":"a"}],"Customer":[{"code":"2"}]}`), []byte(`{"customer":[{"code":"9","memo":"m"}]}`))
	f.Add([]byte(`{"errcode":"0","customer":null}`), []byte(`null`))
	// What lenient.Decode reads itself, and what it leaves to encoding/json.
	f.Add([]byte(`{"errcode":"0","customer":null,"customer":[{"code":"1"}],"page_index":"1","page_index":2}`), []byte(`{"errmsg":"x"}`))
	f.Add([]byte(`{"errcode":"0","customer":[{"code":"1","ccode":"2"}],"customer":null}`), []byte(`{}`))
	f.Add([]byte(`{"errcode":"0","customer":[{"code":"1","Code":"2"},null,{"code":"\u0033"}]}`), []byte(`{}`))
	f.Add([]byte(`{"errcode":"0","customer":[],"x":{"y":[1,"z",{}]}} `), []byte(`{"customer":[]}`))
	f.Fuzz(func(t *testing.T, body, earlier []byte) {
		var got, want batchAnswer
		_ = json.Unmarshal(earlier, &got)
		_ = json.Unmarshal(earlier, &want)
		err := decode(body, &got)
		wantErr := json.Unmarshal(body, &want)
		if (err == nil) != (wantErr == nil) || (err != nil && fmt.Sprint(err) != fmt.Sprint(fmt.Errorf("decode U8 answer: %w", wantErr))) ||
			!reflect.DeepEqual(got, want) {
			t.Fatalf("decode gave %+v, %v; json.Unmarshal %+v, %v", got, err, want, wantErr)
		}
	})
}
