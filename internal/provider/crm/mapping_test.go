package crm

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"custgraph/internal/customer"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSeedSample maps the vendor's own matching_name sample, field by
// field.
func TestSeedSample(t *testing.T) {
	var d matchData
	if err := decode(200, readTestdata(t, "matching_name.json"), customer.ReasonRejected, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Customers) != 1 {
		t.Fatalf("%d customers, want 1", len(d.Customers))
	}
	got, err := toCustomer(d.Customers[0])
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2014, 11, 7, 10, 11, 0, 0, customer.Shanghai)
	updated := time.Date(2019, 2, 15, 17, 36, 0, 0, customer.Shanghai)
	addr := &customer.CRMAddress{
		Fax: ptr("475464896486"), Zip: ptr("2000000"), URL: ptr("http://baidu.com"),
		DetailAddress: ptr("打算范德萨斯蒂芬阿萨德"), RegionInfo: ptr("中国江西南昌市西湖区"),
		Latitude: ptr(31.579004), Longitude: ptr(91.100065),
		CountryID: ptr(4), ProvinceID: ptr(14), CityID: ptr(124), DistrictID: ptr(1122),
	}
	want := &customer.Customer{
		Source:      customer.CRM,
		SourceID:    "831",
		Name:        "经理1的客户",
		ContactName: ptr("经理1的联系人"),
		Phones:      []customer.Phone{{Kind: customer.PhoneFax, Number: "475464896486"}},
		Address: &customer.PostalAddress{
			Formatted: ptr("打算范德萨斯蒂芬阿萨德"), City: ptr("南昌市"), Region: ptr("江西"), Country: ptr("中国"),
			PostalCode: ptr("2000000"), Latitude: ptr(31.579004), Longitude: ptr(91.100065),
		},
		CreatedAt: &created,
		UpdatedAt: &updated,
		CRM: &customer.CRMCustomer{
			ID:                 "831",
			OwnerID:            ptr("254"),
			OwnerName:          ptr("周星驰"),
			Status:             &customer.CRMOption{ID: "3462", Label: ptr("待联系")},
			Category:           &customer.CRMOption{ID: "3468", Label: ptr("VIP客户")},
			ApproveStatus:      ptr("approved"),
			ApproveStatusLabel: ptr("已通过"),
			Labels:             []string{},
			Address:            addr,
			Contacts: []customer.CRMContact{{ID: "673", Name: "经理1的联系人", Address: &customer.CRMAddress{
				Tel: ptr("345235423"), Phone: ptr("13562545214"), Email: ptr("asdfa@163.com"), QQ: ptr("2354235423"),
				Fax: ptr("235423542354"), Wechat: ptr("235423542354"), Zip: ptr("45234523"),
				DetailAddress: ptr("阿斯多发生的风阿萨德f"), RegionInfo: ptr("中国北京北京市东城区"),
				CountryID: ptr(4), ProvinceID: ptr(1), CityID: ptr(1), DistrictID: ptr(1),
			}}},
			CreatedAt: &created,
			UpdatedAt: &updated,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapped sample (-want +got):\n%s", diff)
	}
	if got.CreatedAt.Location() != customer.Shanghai {
		t.Errorf("CreatedAt in %v, want Asia/Shanghai", got.CreatedAt.Location())
	}
}

func TestDecodingQuirks(t *testing.T) {
	tests := []struct {
		name  string
		give  string // one customer object
		check func(*customer.Customer) bool
	}{
		{"id as a string", `{"id":"831"}`, func(c *customer.Customer) bool { return c.SourceID == "831" }},
		{"user_id as a number", `{"id":1,"user_id":254}`, func(c *customer.Customer) bool { return *c.CRM.OwnerID == "254" }},
		{"lat/lng as strings", `{"id":1,"address":{"lat":"31.5","lng":"121.25"}}`, func(c *customer.Customer) bool {
			return *c.CRM.Address.Latitude == 31.5 && *c.Address.Longitude == 121.25
		}},
		{"lat/lng as floats 0.0 mean unknown", `{"id":1,"address":{"lat":0.0,"lng":0.0,"detail_address":"某路1号"}}`, func(c *customer.Customer) bool {
			return c.CRM.Address.Latitude == nil && c.Address.Latitude == nil && c.Address.Longitude == nil
		}},
		{"lat/lng empty or null", `{"id":1,"address":{"lat":"","lng":null}}`, func(c *customer.Customer) bool {
			return c.CRM.Address.Latitude == nil && c.CRM.Address.Longitude == nil && c.Address == nil
		}},
		{"empty status is no option", `{"id":1,"status":"","status_mapped":"","category":"3469","category_mapped":""}`, func(c *customer.Customer) bool {
			return c.CRM.Status == nil && c.CRM.Category.ID == "3469" && c.CRM.Category.Label == nil
		}},
		{"status as a number", `{"id":1,"status":3462,"status_mapped":"待联系"}`, func(c *customer.Customer) bool {
			return c.CRM.Status.ID == "3462" && *c.CRM.Status.Label == "待联系"
		}},
		{"null and empty numbers are no phones", `{"id":1,"address":{"tel":"","phone":null,"fax":null}}`, func(c *customer.Customer) bool {
			return len(c.Phones) == 0 && c.Phones != nil
		}},
		{"every number typed", `{"id":1,"address":{"tel":"021-1","phone":"138","fax":"021-2"}}`, func(c *customer.Customer) bool {
			return cmp.Equal(c.Phones, []customer.Phone{{Kind: customer.PhoneWork, Number: "021-1"}, {Kind: customer.PhoneMobile, Number: "138"}, {Kind: customer.PhoneFax, Number: "021-2"}})
		}},
		{"labels as strings", `{"id":1,"labels":["重点客户",""]}`, func(c *customer.Customer) bool { return cmp.Equal(c.CRM.Labels, []string{"重点客户"}) }},
		{"labels as objects", `{"id":1,"labels":[{"id":5,"name":"重点客户"},{"id":6,"value":"老客户"},{"id":7}]}`, func(c *customer.Customer) bool {
			return cmp.Equal(c.CRM.Labels, []string{"重点客户", "老客户"})
		}},
		{"labels as one string", `{"id":1,"labels":"重点客户"}`, func(c *customer.Customer) bool { return cmp.Equal(c.CRM.Labels, []string{"重点客户"}) }},
		{"labels null", `{"id":1,"labels":null}`, func(c *customer.Customer) bool { return c.CRM.Labels != nil && len(c.CRM.Labels) == 0 }},
		{"attachments as a string", `{"id":1,"attachments":"暂无附件"}`, func(c *customer.Customer) bool { return c.SourceID == "1" }},
		{"attachments as an array", `{"id":1,"attachments":[{"id":1}]}`, func(c *customer.Customer) bool { return c.SourceID == "1" }},
		{"Rails leaks in the address", `{"id":1,"address":{"mode":"compat","time_format":"ruby","use_to_json":true,"zip":"200000"}}`, func(c *customer.Customer) bool {
			return *c.Address.PostalCode == "200000"
		}},
		{"times without zone are Beijing time", `{"id":1,"created_at":"2019-02-15 17:36","updated_at":"2019-02-15 17:36:09"}`, func(c *customer.Customer) bool {
			return c.CreatedAt.Equal(time.Date(2019, 2, 15, 9, 36, 0, 0, time.UTC)) && c.UpdatedAt.Second() == 9
		}},
		{"ISO times keep their offset", `{"id":1,"created_at":"2019-02-15T09:36:00Z"}`, func(c *customer.Customer) bool {
			return c.CreatedAt.Hour() == 17 && c.CreatedAt.Location() == customer.Shanghai
		}},
		{"unreadable times are nil", `{"id":1,"created_at":"昨天","updated_at":""}`, func(c *customer.Customer) bool {
			return c.CreatedAt == nil && c.UpdatedAt == nil && c.CRM.CreatedAt == nil
		}},
		{"wx_external_userid null", `{"id":1,"wx_external_userid":null}`, func(c *customer.Customer) bool { return c.CRM.WxExternalUserID == nil }},
		{"wx_external_userid set", `{"id":1,"wx_external_userid":"wmABC"}`, func(c *customer.Customer) bool { return *c.CRM.WxExternalUserID == "wmABC" }},
		{"note is the remark", `{"id":1,"note":" 月结30天 "}`, func(c *customer.Customer) bool { return *c.Remark == "月结30天" }},
		{"partial contact address", `{"id":1,"contacts":[{"id":673,"name":"王芳","address":{"id":1,"tel":"","tel_hidden_result":"","phone":"139","phone_hidden_result":"139"}}]}`,
			func(c *customer.Customer) bool {
				a := c.CRM.Contacts[0].Address
				return *c.ContactName == "王芳" && c.CRM.Contacts[0].ID == "673" && *a.Phone == "139" && a.Tel == nil && a.Email == nil
			}},
		{"ids as strings in the address", `{"id":1,"address":{"country_id":"4","province_id":"14"}}`, func(c *customer.Customer) bool {
			return *c.CRM.Address.CountryID == 4 && *c.CRM.Address.ProvinceID == 14
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w wireCustomer
			if err := json.Unmarshal([]byte(tt.give), &w); err != nil {
				t.Fatalf("decode %s: %v", tt.give, err)
			}
			c, err := toCustomer(w)
			if err != nil {
				t.Fatalf("map %s: %v", tt.give, err)
			}
			if !tt.check(c) {
				t.Errorf("%s mapped to %+v with CRM %+v", tt.give, c, c.CRM)
			}
		})
	}
}

func TestParseRegion(t *testing.T) {
	tests := []struct {
		give                  string
		country, region, city string
	}{
		{"中国江西南昌市西湖区", "中国", "江西", "南昌市"},
		{"中国上海上海市徐汇区", "中国", "上海", "上海市"},
		{"中国广东广州市天河区", "中国", "广东", "广州市"},
		{"中国广东省深圳市南山区", "中国", "广东", "深圳市"},
		{"中国吉林延边朝鲜族自治州延吉市", "中国", "吉林", "延边朝鲜族自治州"},
		{"中国内蒙古阿拉善盟阿拉善左旗", "中国", "内蒙古", "阿拉善盟"},
		{"中国黑龙江大兴安岭地区漠河市", "中国", "黑龙江", "大兴安岭地区"},
		{"中国北京", "中国", "北京", ""},
		{"中国某地", "中国", "", ""},
		{"美国加州", "", "", ""},
		{"", "", "", ""},
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, tt := range tests {
		c, r, ci := parseRegion(tt.give)
		if str(c) != tt.country || str(r) != tt.region || str(ci) != tt.city {
			t.Errorf("parseRegion(%q) = %q %q %q, want %q %q %q", tt.give, str(c), str(r), str(ci), tt.country, tt.region, tt.city)
		}
	}
}

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		refusal  customer.Reason
		want     customer.Reason // "" for success, "NOT_FOUND" for not found
		wantCode string
	}{
		{"ok", 200, `{"code":0,"data":{"customers":[]}}`, customer.ReasonRejected, "", ""},
		{"code as a string", 200, `{"code":"0","data":{"customers":[]}}`, customer.ReasonRejected, "", ""},
		{"logged in elsewhere (seed)", 200, string(readTestdata(t, "logged_in_elsewhere.json")), customer.ReasonRejected, customer.ReasonAuth, "100401"},
		{"not logged in", 200, `{"code":100000,"data":null,"message":"x"}`, customer.ReasonRejected, customer.ReasonAuth, "100000"},
		{"bad auth header", 401, `{"code":100400,"data":null,"message":"x"}`, customer.ReasonRejected, customer.ReasonAuth, "100400"},
		{"not found", 200, `{"code":100100,"message":"您没有权限查看该对象或该对象不存在。","error":"active_record/record_not_found","data":null}`, customer.ReasonRejected, "NOT_FOUND", "100100"},
		{"not found with 404", 404, `{"code":100100,"data":null}`, customer.ReasonRejected, "NOT_FOUND", "100100"},
		{"throttled", 429, `{"code":100429,"data":null,"message":"请求过于频繁"}`, customer.ReasonRejected, customer.ReasonRateLimited, "100429"},
		{"throttled with another code", 429, `{"code":1,"data":null}`, customer.ReasonRejected, customer.ReasonRateLimited, "1"},
		{"throttled without envelope", 429, `Too Many Requests`, customer.ReasonRejected, customer.ReasonRateLimited, ""},
		{"server error envelope", 500, `{"code":500,"message":"服务器内部错误","data":null}`, customer.ReasonRejected, customer.ReasonUnavailable, "500"},
		{"nginx 502", 502, "<html><head><title>502 Bad Gateway</title></head></html>", customer.ReasonRejected, customer.ReasonUnavailable, ""},
		{"nginx 503", 503, "<html>503</html>", customer.ReasonRejected, customer.ReasonUnavailable, ""},
		{"other code", 200, `{"code":123456,"data":null,"message":"参数错误"}`, customer.ReasonRejected, customer.ReasonRejected, "123456"},
		{"login refused", 200, `{"code":100002,"data":null,"message":"用户名或密码错误"}`, customer.ReasonAuth, customer.ReasonAuth, "100002"},
		{"garbage", 200, `<!doctype html>`, customer.ReasonRejected, customer.ReasonBadResponse, ""},
		{"empty body", 200, ``, customer.ReasonRejected, customer.ReasonBadResponse, ""},
		{"no code", 200, `{"data":{}}`, customer.ReasonRejected, customer.ReasonBadResponse, ""},
		{"code 0 without data", 200, `{"code":0,"data":null}`, customer.ReasonRejected, customer.ReasonBadResponse, ""},
		{"code 0 with a wrong shape", 200, `{"code":0,"data":{"customers":"none"}}`, customer.ReasonRejected, customer.ReasonBadResponse, ""},
		{"code 0 with a 5xx", 503, `{"code":0,"data":{}}`, customer.ReasonRejected, customer.ReasonUnavailable, ""},
		{"html 401", 401, `Unauthorized`, customer.ReasonRejected, customer.ReasonAuth, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d matchData
			err := decode(tt.status, []byte(tt.body), tt.refusal, &d)
			switch tt.want {
			case "":
				if err != nil {
					t.Fatalf("decode: %v, want success", err)
				}
			case "NOT_FOUND":
				if !customer.IsNotFound(err) || customer.AsError(err).UpstreamCode != tt.wantCode {
					t.Fatalf("decode: %#v, want not found with code %s", err, tt.wantCode)
				}
			default:
				wantReason(t, err, tt.want, tt.wantCode)
			}
		})
	}
}
