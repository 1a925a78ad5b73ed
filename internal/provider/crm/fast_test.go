package crm

import (
	"fmt"
	"reflect"
	"testing"

	"custgraph/internal/customer"
)

// FuzzDecodeFastPath checks that decode's one-pass path gives what the
// general path gives, for every endpoint's data type.
func FuzzDecodeFastPath(f *testing.F) {
	f.Add(readTestdata(f, "matching_name.json"))
	f.Add([]byte(`{"code":0,"data":{"customers":[{"id":"1"}],"total_count":1},"Data":{"total_count":2}}`))
	f.Add([]byte(`{"code":0,"data":null}`))
	f.Add([]byte(`{"code":"0","data":{"id":831,"labels":[]}}`))
	f.Add([]byte(`{"code":0,"d\u0061ta":{"id":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 404} {
			for _, pair := range [][2]any{
				{new(listData), new(listData)}, {new(matchData), new(matchData)}, {new(wireCustomer), new(wireCustomer)},
				{new(contactsData), new(contactsData)}, {new(loginData), new(loginData)},
			} {
				err := decode(status, body, customer.ReasonRejected, pair[0])
				want := decodeGeneral(status, body, customer.ReasonRejected, pair[1])
				if fmt.Sprint(err) != fmt.Sprint(want) || !reflect.DeepEqual(pair[0], pair[1]) {
					t.Fatalf("%T: decode gave %+v, %v; the general path %+v, %v", pair[0], pair[0], err, pair[1], want)
				}
			}
		}
	})
}
