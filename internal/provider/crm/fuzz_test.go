package crm

import (
	"errors"
	"testing"

	"custgraph/internal/customer"
)

// FuzzDecode feeds arbitrary answers to the decoders and mappers of every
// endpoint: they must never panic, every failure must be a *customer.Error,
// and every record that maps must carry its id.
func FuzzDecode(f *testing.F) {
	f.Add(readTestdata(f, "matching_name.json"))
	f.Add(readTestdata(f, "logged_in_elsewhere.json"))
	f.Add([]byte(`{"code":0,"data":{"customers":[{"id":"1","labels":[{"name":"重点客户"}],"address":{"lat":0.0,"lng":"1.5"}}],"total_count":1,"per_page":15,"page":1}}`))
	f.Add([]byte(`{"code":0,"data":{"contacts":[{"id":1,"name":"王芳","address":{"lng":0.0,"lat":0.0,"off_distance":-1}}],"total_count":1}}`))
	f.Add([]byte(`{"code":0,"data":{"id":831,"attachments":"暂无附件","parent":{},"contacts":[{"id":1,"address":{"tel":""}}]}}`))
	f.Add([]byte(`{"code":100100,"message":"您没有权限查看该对象或该对象不存在。","error":"active_record/record_not_found","data":null}`))
	f.Add([]byte(`<html>502</html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(err error) bool {
			var e *customer.Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *customer.Error", err, err)
			}
			return err == nil
		}
		mapAll := func(ws []wireCustomer) {
			for _, w := range ws {
				if c, err := mapOne(w); check(err) && c.SourceID == "" {
					t.Fatal("a record mapped without an id")
				}
			}
		}
		for _, status := range []int{200, 429, 500} {
			var m matchData
			if check(decode(status, body, customer.ReasonRejected, &m)) {
				mapAll(m.Customers)
			}
			var l listData
			if check(decode(status, body, customer.ReasonRejected, &l)) {
				mapAll(l.Customers)
			}
			var d wireCustomer
			if check(decode(status, body, customer.ReasonRejected, &d)) {
				mapAll([]wireCustomer{d})
			}
			var c contactsData
			if check(decode(status, body, customer.ReasonRejected, &c)) {
				_ = toContacts(c.Contacts)
			}
			var ld loginData
			check(decode(status, body, customer.ReasonAuth, &ld))
		}
	})
}
