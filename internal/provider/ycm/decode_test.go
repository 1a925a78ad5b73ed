package ycm

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"custgraph/internal/customer"
)

func ptr(s string) *string { return &s }

// TestSampleResponse decodes the vendor's documented list answer
// (testdata/customers.json, verbatim from the seed page) field by field.
func TestSampleResponse(t *testing.T) {
	body, err := os.ReadFile("testdata/customers.json")
	if err != nil {
		t.Fatal(err)
	}
	env, err := decodeEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(200, env, nil); err != nil {
		t.Fatalf("check: %v", err)
	}
	if string(env.RequestID) != "bff89f41bb695e5abb84c45972d24716" {
		t.Errorf("requestId %q", env.RequestID)
	}
	p, err := decodePage(env.Data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total.Value != 364 || p.PageSize.Value != 3 || p.PageNumber.Value != 1 || len(p.List) != 3 {
		t.Fatalf("page: total %d size %d number %d, %d records; want 364, 3, 1, 3", p.Total.Value, p.PageSize.Value, p.PageNumber.Value, len(p.List))
	}
	got, err := toCustomers(p.List)
	if err != nil {
		t.Fatal(err)
	}
	want := []*customer.Customer{
		{
			Source: customer.YCM, SourceID: "50086120", Name: "Example company", ContactName: ptr("Leo Ball"),
			Email:  ptr("leo@example.com"),
			Phones: []customer.Phone{{Kind: customer.PhoneWork, Number: "136160XXXXX"}},
			Address: &customer.PostalAddress{City: ptr("Xiamen"), Region: ptr("Fujian"), Country: ptr("China"),
				PostalCode: ptr("361000")},
			YCM: &customer.YCMCustomer{CustomerID: "50086120", FirstName: ptr("Leo"), LastName: ptr("Ball"),
				Company: ptr("Example company"), Email: ptr("leo@example.com"), BusinessNumber: ptr("136160XXXXX"),
				ZipCode: ptr("361000"), City: ptr("Xiamen"), State: ptr("Fujian"), Country: ptr("China")},
		},
		{
			Source: customer.YCM, SourceID: "50086121", Name: "Example company", ContactName: ptr("Naomi Nicholas"),
			Email:  ptr("naomi@example.com"),
			Phones: []customer.Phone{{Kind: customer.PhoneMobile, Number: "139111XXXXX"}},
			YCM: &customer.YCMCustomer{CustomerID: "50086121", FirstName: ptr("Naomi"), LastName: ptr("Nicholas"),
				Company: ptr("Example company"), Email: ptr("naomi@example.com"), MobileNumber: ptr("139111XXXXX")},
		},
		{
			Source: customer.YCM, SourceID: "50086122", Name: "Example company", ContactName: ptr("Ashley Gardner"),
			Email:  ptr("ashley@example.com"),
			Phones: []customer.Phone{{Kind: customer.PhoneFax, Number: "001-111-1111"}},
			YCM: &customer.YCMCustomer{CustomerID: "50086122", FirstName: ptr("Ashley"), LastName: ptr("Gardner"),
				Company: ptr("Example company"), Email: ptr("ashley@example.com"), FaxNumber: ptr("001-111-1111")},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
}

func TestDecodeCustomerQuirks(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    func(*customer.Customer) bool
		wantErr bool
	}{
		{"customerId as a string", `{"customerId":"50086120","company":"A"}`,
			func(c *customer.Customer) bool { return c.SourceID == "50086120" }, false},
		{"customerId in exponent form", `{"customerId":5.008612e7,"company":"A"}`,
			func(c *customer.Customer) bool { return c.SourceID == "50086120" }, false},
		{"no customerId", `{"company":"A"}`, nil, true},
		{"customerId null", `{"customerId":null}`, nil, true},
		{"customerId not a number", `{"customerId":"abc"}`, nil, true},
		{"phone as a JSON number", `{"customerId":1,"mobileNumber":13912345678}`,
			func(c *customer.Customer) bool {
				return *c.YCM.MobileNumber == "13912345678" && c.Phones[0].Number == "13912345678"
			}, false},
		{"empty and null fields are absent", `{"customerId":1,"company":"","email":null,"street":"  ","city":null}`,
			func(c *customer.Customer) bool {
				return c.YCM.Company == nil && c.Email == nil && c.Address == nil && len(c.Phones) == 0 && c.Name == ""
			}, false},
		{"values are trimmed", `{"customerId":1,"company":" 厦门星纬 "}`,
			func(c *customer.Customer) bool { return c.Name == "厦门星纬" }, false},
		{"Chinese person without company: family name first", `{"customerId":1,"firstName":"国平","lastName":"赵"}`,
			func(c *customer.Customer) bool { return c.Name == "赵国平" && *c.ContactName == "赵国平" }, false},
		{"company wins over the person", `{"customerId":1,"firstName":"国平","lastName":"赵","company":"星纬"}`,
			func(c *customer.Customer) bool { return c.Name == "星纬" && *c.ContactName == "赵国平" }, false},
		{"only a given name", `{"customerId":1,"firstName":"Leo"}`,
			func(c *customer.Customer) bool { return c.Name == "Leo" && *c.ContactName == "Leo" }, false},
		{"only an email", `{"customerId":1,"email":"a@b.cn"}`,
			func(c *customer.Customer) bool { return c.Name == "a@b.cn" && c.ContactName == nil }, false},
		{"every phone, typed, in order", `{"customerId":1,"faxNumber":"4","homeNumber":"3","businessNumber":"2","mobileNumber":"1"}`,
			func(c *customer.Customer) bool {
				return cmp.Equal(c.Phones, []customer.Phone{{Kind: customer.PhoneMobile, Number: "1"}, {Kind: customer.PhoneWork, Number: "2"},
					{Kind: customer.PhoneHome, Number: "3"}, {Kind: customer.PhoneFax, Number: "4"}})
			}, false},
		{"address from parts, never formatted", `{"customerId":1,"street":"思明区1号","state":"福建省","zipCode":"361000"}`,
			func(c *customer.Customer) bool {
				a := c.Address
				return a != nil && *a.Street == "思明区1号" && *a.Region == "福建省" && *a.PostalCode == "361000" && a.Formatted == nil && a.City == nil
			}, false},
		{"unknown fields are ignored", `{"customerId":1,"tags":[1,2],"extra":{"a":1}}`,
			func(c *customer.Customer) bool { return c.SourceID == "1" }, false},
		{"an object where a string belongs", `{"customerId":1,"company":{"name":"A"}}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCustomer([]byte(tt.give))
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !tt.want(got) {
				t.Errorf("got %+v (YCM %+v), which fails the check", got, got.YCM)
			}
		})
	}
	if c, err := decodeCustomer([]byte("null")); c != nil || err != nil {
		t.Errorf("data null: got %v, %v; want no customer and no error", c, err)
	}
}

func TestDecodePageQuirks(t *testing.T) {
	tests := []struct {
		give      string
		wantTotal int64
		wantLen   int
		wantErr   bool
	}{
		{`{"pageSize":"50","pageNumber":"2","total":"364","list":[{"customerId":1}]}`, 364, 1, false},
		{`{"total":0,"list":null}`, 0, 0, false},
		{`{"total":5}`, 5, 0, false},
		{`{"list":[]}`, 0, 0, true},
		{`null`, 0, 0, true},
		{`[]`, 0, 0, true},
		{`{"total":-1,"list":[]}`, 0, 0, true},
	}
	for _, tt := range tests {
		p, err := decodePage([]byte(tt.give))
		if (err != nil) != tt.wantErr || (err == nil && (p.Total.Value != tt.wantTotal || len(p.List) != tt.wantLen)) {
			t.Errorf("decodePage(%s) = %+v, %v; want total %d, %d records, error %v", tt.give, p, err, tt.wantTotal, tt.wantLen, tt.wantErr)
		}
	}
}

func TestDecodeTokenQuirks(t *testing.T) {
	tests := []struct {
		name        string
		give        string
		wantAccess  string
		wantRefresh string
		wantTTL     int64
		wantErr     bool
	}{
		{"bare OAuth", `{"access_token":"a","refresh_token":"r","token_type":"bearer","expires_in":1800,"jti":"j"}`, "a", "r", 1800, false},
		{"expires_in as a string", `{"access_token":"a","expires_in":"1799"}`, "a", "", 1799, false},
		{"wrapped in the envelope", `{"data":{"access_token":"a","refresh_token":"r","expires_in":60},"status":"Success"}`, "a", "r", 60, false},
		{"no access_token", `{"refresh_token":"r"}`, "", "", 0, true},
		{"a Failed envelope", `{"status":"Failed","errorCode":20001}`, "", "", 0, true},
		{"not JSON", `<html>`, "", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeToken([]byte(tt.give))
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (got.AccessToken != tt.wantAccess || got.RefreshToken != tt.wantRefresh || got.ExpiresIn.Value != tt.wantTTL) {
				t.Errorf("got %+v, want access %q refresh %q ttl %d", got, tt.wantAccess, tt.wantRefresh, tt.wantTTL)
			}
		})
	}
}

// TestCheck maps every answer shape to its domain error.
func TestCheck(t *testing.T) {
	const html = "<html><body>502 Bad Gateway</body></html>"
	tests := []struct {
		name       string
		status     int
		body       string
		wantReason customer.Reason // "" with wantCode "" means success
		wantCode   string
		notFound   bool
	}{
		{"success", 200, `{"data":{},"status":"Success"}`, "", "", false},
		{"success in lower case", 200, `{"data":{},"status":"success"}`, "", "", false},
		{"internal error in a 200", 200, `{"status":"Failed","errorCode":10001,"message":"System busy"}`, customer.ReasonUnavailable, "10001", false},
		{"other code in a 200", 200, `{"status":"Failed","errorCode":10003}`, customer.ReasonRejected, "10003", false},
		{"sibling product's errno", 200, `{"status":"Failed","errno":"5408409","errmsg":"USER_NAME_ALREADY_EXISTS"}`, customer.ReasonRejected, "5408409", false},
		{"not found", 404, `{"status":"Failed","errorCode":30001}`, "", "", true},
		{"not found code in a 200", 200, `{"status":"Failed","errorCode":30001}`, "", "", true},
		{"bare 404 page", 404, "404 page not found", customer.ReasonRejected, "", false},
		{"Spring's default 404", 404, `{"timestamp":"2024-01-01T00:00:00.000+0000","status":404,"error":"Not Found","path":"/x"}`, customer.ReasonRejected, "", false},
		{"bad token", 401, `{"status":"Failed","errorCode":20003}`, customer.ReasonAuth, "20003", false},
		{"401 without a body", 401, ``, customer.ReasonAuth, "", false},
		{"forbidden", 403, `{"status":"Failed","errorCode":10002}`, customer.ReasonAuth, "10002", false},
		{"bad client in a 200", 200, `{"status":"Failed","errorCode":"20001"}`, customer.ReasonAuth, "20001", false},
		{"throttled", 429, `{"status":"Failed","errorCode":10429}`, customer.ReasonRateLimited, "10429", false},
		{"throttled, no body", 429, ``, customer.ReasonRateLimited, "", false},
		{"gateway page", 502, html, customer.ReasonUnavailable, "", false},
		{"500 with the envelope", 500, `{"status":"Failed","errorCode":10001}`, customer.ReasonUnavailable, "10001", false},
		{"bad request", 400, `{"status":"Failed","errorCode":10003}`, customer.ReasonRejected, "10003", false},
		{"not JSON", 200, html, customer.ReasonBadResponse, "", false},
		{"no status", 200, `{"data":{}}`, customer.ReasonBadResponse, "", false},
		{"odd status", 200, `{"status":"Pending"}`, customer.ReasonBadResponse, "", false},
		{"a code that is no code", 400, `{"status":"Failed","errorCode":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"}`, customer.ReasonRejected, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, decErr := decodeEnvelope([]byte(tt.body))
			err := check(tt.status, env, decErr)
			switch {
			case tt.notFound:
				if !customer.IsNotFound(err) {
					t.Errorf("got %v, want not found", err)
				}
			case tt.wantReason == "":
				if err != nil {
					t.Errorf("got %v, want success", err)
				}
			default:
				var e *customer.Error
				if !errors.As(err, &e) || e.Reason != tt.wantReason || e.UpstreamCode != tt.wantCode || e.Source != customer.YCM {
					t.Errorf("got %#v, want %s with code %q", err, tt.wantReason, tt.wantCode)
				}
			}
		})
	}
}

func TestTokenRefused(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{401, ``, true},
		{200, `{"status":"Failed","errorCode":20003}`, true},
		{400, `{"status":"Failed","errorCode":99,"message":"Access Token expired"}`, true},
		{200, `{"status":"Failed","errno":"1","errmsg":"TOKEN_INVALID"}`, true},
		{200, `{"status":"Failed","errorCode":10001,"message":"System busy"}`, false},
		{403, `{"status":"Failed","errorCode":10002}`, false},
		{200, `{"status":"Success","data":{"remark":"token"}}`, false},
	}
	for _, tt := range tests {
		env, _ := decodeEnvelope([]byte(tt.body))
		if got := tokenRefused(tt.status, &env); got != tt.want {
			t.Errorf("tokenRefused(%d, %s) = %v, want %v", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestPersonName(t *testing.T) {
	tests := []struct{ first, last, want string }{
		{"国平", "赵", "赵国平"},
		{"Leo", "Ball", "Leo Ball"},
		{"Leo", "", "Leo"},
		{"", "赵", "赵"},
		{"", "", ""},
		{"Mei", "欧阳", "欧阳Mei"},
	}
	for _, tt := range tests {
		if got := personName(tt.first, tt.last); got != tt.want {
			t.Errorf("personName(%q, %q) = %q, want %q", tt.first, tt.last, got, tt.want)
		}
	}
}

// FuzzDecode feeds arbitrary answers through every decoder and the
// mapping: nothing may panic, and every mapped record must be addressable.
func FuzzDecode(f *testing.F) {
	sample, err := os.ReadFile("testdata/customers.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte(`{"data":{"customerId":50086120,"firstName":"国平","lastName":"赵","mobileNumber":13912345678},"requestId":"x","status":"Success","time":1}`))
	f.Add([]byte(`{"status":"Failed","errorCode":30001,"message":"Customer does not exist","requestId":"a","time":1}`))
	f.Add([]byte(`{"access_token":"a.b.c","refresh_token":"r","token_type":"bearer","expires_in":1800,"jti":"j"}`))
	f.Add([]byte(`{"data":{"total":"2","list":[{"customerId":"1"},{"customerId":2.0}]},"status":"Success"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = decodeToken(body)
		env, err := decodeEnvelope(body)
		_ = check(200, env, err)
		if err != nil {
			return
		}
		var got []*customer.Customer
		if p, err := decodePage(env.Data); err == nil {
			got, _ = toCustomers(p.List)
		}
		if c, err := decodeCustomer(env.Data); err == nil && c != nil {
			got = append(got, c)
		}
		for _, c := range got {
			if c.Source != customer.YCM || c.SourceID == "" || strings.Trim(c.SourceID, "0123456789") != "" || c.YCM == nil || c.YCM.CustomerID != c.SourceID {
				t.Fatalf("mapped a record that cannot be addressed: %+v", c)
			}
		}
	})
}
