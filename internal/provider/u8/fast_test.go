package u8

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// FuzzDecodeBatch checks that decode's one-pass path for batch_get gives
// what json.Unmarshal gives, into a fresh answer and into one that holds
// an earlier answer (as after a token retry).
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"errcode":"0","row_count":"2","customer":[{"code":"1","mobile":13811388661},{"code":"2"}]}`), []byte(`{"errcode":"30002","errmsg":"token"}`))
	f.Add([]byte(`{"errcode":"0","customer":{"code":"1"}}`), []byte(`{}`))
	f.Add([]byte(`{"errcode":"0","customer":[{"code":"1","name":"a"}],"Customer":[{"code":"2"}]}`), []byte(`{"customer":[{"code":"9","memo":"m"}]}`))
	f.Add([]byte(`{"errcode":"0","customer":null}`), []byte(`null`))
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
