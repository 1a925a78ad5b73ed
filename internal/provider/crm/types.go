package crm

import (
	"encoding/json"
	"fmt"

	"custgraph/internal/provider/lenient"
)

// envelope wraps every api/v2 answer: {"code":0,"data":{…}} on success,
// {"code":N,"message":"…","error":"…","data":null} on failure.
type envelope struct {
	Code    lenient.Int     `json:"code"`
	Message lenient.String  `json:"message"`
	Error   lenient.String  `json:"error"`
	Data    json.RawMessage `json:"data"`
}

// loginData is the data of auth/login.
type loginData struct {
	UserToken lenient.String `json:"user_token"`
}

// wireAddress is the CRM's address object. Its shape varies by endpoint:
// full with lat/lng as strings in list and matching_name, five fields in
// the detail's contacts, lat/lng as floats (0.0 when unknown) in the
// contacts endpoint. Absent fields decode to their zero value.
type wireAddress struct {
	CountryID     lenient.Int    `json:"country_id"`
	ProvinceID    lenient.Int    `json:"province_id"`
	CityID        lenient.Int    `json:"city_id"`
	DistrictID    lenient.Int    `json:"district_id"`
	Tel           lenient.String `json:"tel"`
	Phone         lenient.String `json:"phone"`
	Email         lenient.String `json:"email"`
	QQ            lenient.String `json:"qq"`
	Fax           lenient.String `json:"fax"`
	Wechat        lenient.String `json:"wechat"`
	Wangwang      lenient.String `json:"wangwang"`
	Zip           lenient.String `json:"zip"`
	URL           lenient.String `json:"url"`
	DetailAddress lenient.String `json:"detail_address"`
	RegionInfo    lenient.String `json:"region_info"`
	Lat           lenient.Float  `json:"lat"`
	Lng           lenient.Float  `json:"lng"`
}

// wireContact is a contact, embedded in a customer or from the contacts
// endpoint.
type wireContact struct {
	ID      lenient.String `json:"id"`
	Name    lenient.String `json:"name"`
	Address *wireAddress   `json:"address"`
}

// wireCustomer is a customer of the list, matching_name or detail; the
// detail adds note, the others leave it out.
type wireCustomer struct {
	ID                lenient.String `json:"id"`
	UserID            lenient.String `json:"user_id"`
	UserName          lenient.String `json:"user_name"`
	Name              lenient.String `json:"name"`
	Status            lenient.String `json:"status"`
	StatusMapped      lenient.String `json:"status_mapped"`
	Category          lenient.String `json:"category"`
	CategoryMapped    lenient.String `json:"category_mapped"`
	ApproveStatus     lenient.String `json:"approve_status"`
	ApproveStatusI18n lenient.String `json:"approve_status_i18n"`
	Note              lenient.String `json:"note"`
	Labels            labels         `json:"labels"`
	WxExternalUserID  lenient.String `json:"wx_external_userid"`
	CreatedAt         lenient.String `json:"created_at"`
	UpdatedAt         lenient.String `json:"updated_at"`
	Address           *wireAddress   `json:"address"`
	Contacts          []wireContact  `json:"contacts"`
}

// listData is the data of customers (the list).
type listData struct {
	Customers  []wireCustomer `json:"customers"`
	TotalCount lenient.Int    `json:"total_count"`
	PerPage    lenient.Int    `json:"per_page"`
	Page       lenient.Int    `json:"page"`
}

// matchData is the data of duplicates/matching_name.
type matchData struct {
	Customers []wireCustomer `json:"customers"`
}

// contactsData is the data of customers/{id}/contacts.
type contactsData struct {
	Contacts   []wireContact `json:"contacts"`
	TotalCount lenient.Int   `json:"total_count"`
}

// labels reads the labels array. The samples only show [], so it takes
// what a label plausibly is: a string (or number), or an object naming the
// label in name, value or text. null, "" and nameless objects are skipped.
type labels []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *labels) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		var one lenient.Strings // a lone string, "" or null
		if err := one.UnmarshalJSON(b); err != nil {
			return fmt.Errorf("crm labels: cannot read %.40s", b)
		}
		*l = labels(one)
		return nil
	}
	out := make(labels, 0, len(items))
	for _, it := range items {
		var s lenient.String
		if s.UnmarshalJSON(it) == nil {
			if p := s.Ptr(); p != nil {
				out = append(out, *p)
			}
			continue
		}
		var obj struct {
			Name  lenient.String `json:"name"`
			Value lenient.String `json:"value"`
			Text  lenient.String `json:"text"`
		}
		if err := json.Unmarshal(it, &obj); err != nil {
			return fmt.Errorf("crm labels: cannot read %.40s", it)
		}
		for _, v := range []lenient.String{obj.Name, obj.Value, obj.Text} {
			if p := v.Ptr(); p != nil {
				out = append(out, *p)
				break
			}
		}
	}
	*l = out
	return nil
}
