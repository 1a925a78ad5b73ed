package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	crmsim "custgraph/internal/sim/crm"
	u8sim "custgraph/internal/sim/u8"
	ycmsim "custgraph/internal/sim/ycm"
)

// raw fetches a record straight from a simulator, as the vendor sends it.
func (e *env) raw(t *testing.T, source, key string) map[string]any {
	t.Helper()
	get := func(req *http.Request) map[string]any {
		t.Helper()
		req.Header.Set("User-Agent", "custgraph-test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s: %v: %s", req.URL.Path, err, b)
		}
		return m
	}
	switch source {
	case "u8":
		q := url.Values{"from_account": {u8sim.DemoFromAccount}, "app_key": {u8sim.DemoAppKey}, "app_secret": {u8sim.DemoAppSecret}}
		req, _ := http.NewRequest("GET", e.simURL+"/u8/system/token?"+q.Encode(), nil)
		tok := get(req)["token"].(map[string]any)["id"].(string)
		q = url.Values{"from_account": {u8sim.DemoFromAccount}, "to_account": {u8sim.DemoToAccount},
			"app_key": {u8sim.DemoAppKey}, "token": {tok}, "id": {key}}
		req, _ = http.NewRequest("GET", e.simURL+"/u8/api/customer/get?"+q.Encode(), nil)
		return get(req)["customer"].(map[string]any)
	case "ycm":
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {ycmsim.DemoClientID}, "client_secret": {ycmsim.DemoClientSecret}}
		req, _ := http.NewRequest("POST", e.simURL+"/ycm/dm/open_api/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		tok := get(req)["access_token"].(string)
		req, _ = http.NewRequest("GET", e.simURL+"/ycm/dm/open_api/v1/customers/"+key, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return get(req)["data"].(map[string]any)
	default:
		form := url.Values{"login": {crmsim.DemoLogin}, "password": {crmsim.DemoPassword}, "device": {"open_api"}}
		req, _ := http.NewRequest("POST", e.simURL+"/crm/api/v2/auth/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		tok := get(req)["data"].(map[string]any)["user_token"].(string)
		req, _ = http.NewRequest("GET", e.simURL+"/crm/api/v2/customers/"+key, nil)
		req.Header.Set("Authorization", "Token token="+tok+", device=open_api, version_code=9.9.9")
		return get(req)["data"].(map[string]any)
	}
}

// text renders a raw vendor value as the gateway should serve it: a
// string, with numbers kept digit for digit; absent, null and "" are nil.
func text(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func TestFieldsMatchTheSimulator(t *testing.T) {
	e := newEnv(t)
	const query = `query($ids: [ID!]!) { customersByIds(ids: $ids) {
	  id source sourceId name shortName contactName email remark updatedAt phones { kind number }
	  address { formatted street city region country postalCode latitude longitude }
	  u8 { code abbrName sortCode domainCode industry address bankOpen bankAccNumber contact phone fax mobile
	       deliverSite modifiedAt seedDate endDate memo currencyName domestic overseas serviceAttribute
	       managementTypeCode managementTypeName specOperatorName timestamp
	       selfDefined { index label value } s1: selfDefine(index: 1) s9: selfDefine(index: 9) s16: selfDefine(index: 16) }
	  ycm { customerId firstName lastName company email businessNumber mobileNumber homeNumber faxNumber zipCode street city state country remark }
	  crm { id ownerId ownerName status { id label } category { id label } approveStatus approveStatusLabel labels wxExternalUserId createdAt updatedAt
	        address { tel phone email qq fax wechat wangwang zip url detailAddress regionInfo latitude longitude countryId provinceId cityId districtId }
	        contacts { id name } }
	} }`
	// Pick records that exercise the quirks: the first few of each source.
	var ids []string
	for i := 1; i <= 6; i++ {
		ids = append(ids, fmt.Sprintf("u8:%08d", i))
	}
	var page struct {
		Customers struct{ Nodes []struct{ ID string } } `json:"customers"`
	}
	e.ok(t, `{ customers(sources: [YCM, CRM], first: 8) { nodes { id } } }`, nil, &page)
	for _, n := range page.Customers.Nodes {
		ids = append(ids, n.ID)
	}
	var got struct {
		CustomersByIds []map[string]any `json:"customersByIds"`
	}
	e.ok(t, query, map[string]any{"ids": ids}, &got)
	if len(got.CustomersByIds) != len(ids) {
		t.Fatalf("got %d records, want %d", len(got.CustomersByIds), len(ids))
	}
	sawNumberMobile := false
	for i, c := range got.CustomersByIds {
		if c == nil {
			t.Fatalf("%s: null", ids[i])
		}
		src, key, _ := strings.Cut(ids[i], ":")
		raw := e.raw(t, src, key)
		check := func(field string, gotV, wantV any) {
			t.Helper()
			if fmt.Sprint(gotV) != fmt.Sprint(wantV) {
				t.Errorf("%s %s: got %v, want %v", ids[i], field, gotV, wantV)
			}
		}
		check("id", c["id"], ids[i])
		check("sourceId", c["sourceId"], key)
		switch src {
		case "u8":
			u := c["u8"].(map[string]any)
			if _, isNum := raw["mobile"].(json.Number); isNum {
				sawNumberMobile = true
			}
			for gqlField, rawKey := range map[string]string{"code": "code", "abbrName": "abbrname", "sortCode": "sort_code",
				"domainCode": "domain_code", "industry": "industry", "address": "address", "bankOpen": "bank_open",
				"bankAccNumber": "bank_acc_number", "contact": "contact", "phone": "phone", "fax": "fax", "mobile": "mobile",
				"deliverSite": "devliver_site", "memo": "memo", "currencyName": "ccusexch_name",
				"managementTypeCode": "ccusmngtypecode", "managementTypeName": "ccusmngtypename",
				"specOperatorName": "spec_operator_name", "timestamp": "timestamp", "seedDate": "seed_date", "endDate": "end_date"} {
				check("u8."+gqlField, text(u[gqlField]), text(raw[rawKey]))
			}
			check("name", c["name"], raw["name"])
			check("shortName", text(c["shortName"]), text(raw["abbrname"]))
			check("contactName", text(c["contactName"]), text(raw["contact"]))
			check("remark", text(c["remark"]), text(raw["memo"]))
			check("s1", text(u["s1"]), text(raw["self_define1"]))
			check("s9", text(u["s9"]), text(raw["self_define9"]))
			check("s16", text(u["s16"]), text(raw["self_define16"]))
			var want []string
			for n := 1; n <= 16; n++ {
				if v := text(raw[fmt.Sprintf("self_define%d", n)]); v != nil {
					want = append(want, fmt.Sprintf("%d=%v", n, v))
				}
			}
			var have []string
			for _, f := range u["selfDefined"].([]any) {
				fm := f.(map[string]any)
				have = append(have, fmt.Sprintf("%v=%v", fm["index"], fm["value"]))
				if fmt.Sprint(fm["index"]) == "1" && fm["label"] != "信用等级" {
					t.Errorf("%s: self-defined 1 label %v, want 信用等级", ids[i], fm["label"])
				}
			}
			check("selfDefined", strings.Join(have, ","), strings.Join(want, ","))
			if raw["ModifyDate"] != nil && u["modifiedAt"] == nil {
				t.Errorf("%s: ModifyDate %v not served", ids[i], raw["ModifyDate"])
			}
		case "ycm":
			y := c["ycm"].(map[string]any)
			for _, f := range []string{"firstName", "lastName", "company", "email", "businessNumber", "mobileNumber",
				"homeNumber", "faxNumber", "zipCode", "street", "city", "state", "country", "remark"} {
				check("ycm."+f, text(y[f]), text(raw[f]))
			}
			check("ycm.customerId", y["customerId"], text(raw["customerId"]))
			if company := text(raw["company"]); company != nil {
				check("name", c["name"], company)
			}
		case "crm":
			r := c["crm"].(map[string]any)
			check("name", c["name"], raw["name"])
			check("crm.ownerId", text(r["ownerId"]), text(raw["user_id"]))
			check("crm.ownerName", text(r["ownerName"]), text(raw["user_name"]))
			check("crm.status.id", text(dig(r, "status", "id")), text(raw["status"]))
			check("crm.status.label", text(dig(r, "status", "label")), text(raw["status_mapped"]))
			check("crm.category.label", text(dig(r, "category", "label")), text(raw["category_mapped"]))
			check("crm.approveStatus", text(r["approveStatus"]), text(raw["approve_status"]))
			for gqlField, rawKey := range map[string]string{"tel": "tel", "phone": "phone", "email": "email", "qq": "qq",
				"fax": "fax", "wechat": "wechat", "zip": "zip", "url": "url", "detailAddress": "detail_address",
				"regionInfo": "region_info"} {
				check("crm.address."+gqlField, text(dig(r, "address", gqlField)), text(dig(raw, "address", rawKey)))
			}
			if lat := text(dig(raw, "address", "lat")); lat != nil {
				check("crm.address.latitude", fmt.Sprint(dig(r, "address", "latitude")), lat)
			}
			rawContacts, _ := raw["contacts"].([]any)
			gotContacts, _ := r["contacts"].([]any)
			check("crm.contacts", len(gotContacts), len(rawContacts))
		}
	}
	if !sawNumberMobile {
		t.Log("no U8 record among these with a numeric mobile; numeric decoding is covered in the provider tests")
	}
}
