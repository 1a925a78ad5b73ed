package crm

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"custgraph/internal/customer"
)

// TestDecodeOnce checks that lenient.Decode reads the samples and the
// simulator's shapes itself, without encoding/json.
func TestDecodeOnce(t *testing.T) {
	for _, tt := range []struct {
		body string
		out  any
	}{
		{string(readTestdata(t, "matching_name.json")), new(matchData)},
		{`{"code":0,"data":{"customers":[{"id":"1","labels":[{"name":"重点客户"}],"address":{"lat":0.0,"lng":"1.5"},"contacts":[{"id":1,"address":{"tel":""}}]}],"total_count":1,"per_page":15,"page":1}}`, new(listData)},
		{`{"code":0,"data":{"contacts":[{"id":1,"name":"王芳","address":{"lng":0.0,"lat":0.0,"off_distance":-1}}],"total_count":1}}`, new(contactsData)},
		{`{"code":0,"data":{"id":831,"attachments":"暂无附件","parent":{},"contacts":[{"id":1,"address":{"tel":""}}]}}`, new(wireCustomer)},
		{`{"code":0,"data":{"user_token":"t"}}`, new(loginData)},
	} {
		if !decodeOnce([]byte(tt.body), tt.out) {
			t.Errorf("decodeOnce refused %T from %.60s", tt.out, tt.body)
		}
	}
}

// FuzzDecodeFastPath checks that decode's one-pass path gives what the
// general path gives, for every endpoint's data type.
func FuzzDecodeFastPath(f *testing.F) {
	f.Add(readTestdata(f, "matching_name.json"))
	f.Add([]byte(`{"code":0,"data":{"customers":[{"id":"1"}],"total_count":1},"Data":{"total_count":2}}`))
	f.Add([]byte(`{"code":0,"data":null}`))
	f.Add([]byte(`{"code":"0","data":{"id":831,"labels":[]}}`))
	f.Add([]byte(`{"code":0,"d\u0061ta":{"id":1}}`))
	// What lenient.Decode reads itself, and what it leaves to encoding/json.
	f.Add([]byte(`{"code":0,"data":null,"data":{"customers":[{"id":"1","address":null,"contacts":[{"id":2,"address":{"lat":"1.5"}}]}],"total_count":"1"}}`))
	f.Add([]byte(`{"code":0,"data":{"id":1,"labels":["a",{"name":"b"}],"address":{"tel":1},"address":{"fax":2}}}`))
	f.Add([]byte(`{"code":0,"data":{"contacts":[{"id":1},null],"contacts":[]},"message":"x","message":null}`))
	f.Add([]byte(`{"code":0,"data":{"user_token":"t","User_token":"u"}}`))
	f.Add([]byte(`{"code":0,"data":{"customers":[{"id":"1","address":{"lat":"NaN"}}],"total_count":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 404} {
			for _, pair := range [][2]any{
				{new(listData), new(listData)}, {new(matchData), new(matchData)}, {new(wireCustomer), new(wireCustomer)},
				{new(contactsData), new(contactsData)}, {new(loginData), new(loginData)},
			} {
				err := decode(status, body, customer.ReasonRejected, pair[0])
				want := decodeGeneral(status, body, customer.ReasonRejected, pair[1])
				// NaN equal to NaN: lenient.Float reads "NaN".
				same := reflect.DeepEqual(pair[0], pair[1]) || cmp.Equal(pair[0], pair[1], cmpopts.EquateNaNs())
				if fmt.Sprint(err) != fmt.Sprint(want) || !same {
					t.Fatalf("%T: decode gave %+v, %v; the general path %+v, %v", pair[0], pair[0], err, pair[1], want)
				}
			}
		}
	})
}
