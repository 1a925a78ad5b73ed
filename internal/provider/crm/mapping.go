package crm

import (
	"errors"
	"strings"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/provider/lenient"
)

// toCustomer maps a list, matching_name or detail record. The common
// fields come from the customer's own address only: tel is the WORK
// phone, phone the MOBILE, fax the FAX; the contacts' numbers stay with
// the contacts (under CRM.Contacts), so that a customer's phones are its
// switchboard and not its staff's mobiles.
func toCustomer(w wireCustomer) (*customer.Customer, error) {
	id := strings.TrimSpace(string(w.ID))
	if id == "" {
		return nil, errors.New("customer without id")
	}
	ext := &customer.CRMCustomer{
		ID:                 id,
		OwnerID:            w.UserID.Ptr(),
		OwnerName:          w.UserName.Ptr(),
		Status:             toOption(w.Status, w.StatusMapped),
		Category:           toOption(w.Category, w.CategoryMapped),
		ApproveStatus:      w.ApproveStatus.Ptr(),
		ApproveStatusLabel: w.ApproveStatusI18n.Ptr(),
		Labels:             append([]string{}, w.Labels...),
		Address:            toCRMAddress(w.Address),
		Contacts:           toContacts(w.Contacts),
		WxExternalUserID:   w.WxExternalUserID.Ptr(),
		CreatedAt:          parseTime(w.CreatedAt),
		UpdatedAt:          parseTime(w.UpdatedAt),
	}
	c := &customer.Customer{
		Source:    customer.CRM,
		SourceID:  id,
		Name:      string(w.Name),
		Remark:    w.Note.Ptr(),
		CreatedAt: ext.CreatedAt,
		UpdatedAt: ext.UpdatedAt,
		Phones:    []customer.Phone{},
		CRM:       ext,
	}
	if len(ext.Contacts) > 0 && ext.Contacts[0].Name != "" {
		c.ContactName = &ext.Contacts[0].Name
	}
	if a := ext.Address; a != nil {
		c.Email = a.Email
		c.Phones = toPhones(a)
		c.Address = toPostal(a)
	}
	return c, nil
}

// toOption pairs an option id with its label; an empty id is no option.
func toOption(id, label lenient.String) *customer.CRMOption {
	p := id.Ptr()
	if p == nil {
		return nil
	}
	return &customer.CRMOption{ID: *p, Label: label.Ptr()}
}

// toCRMAddress keeps every field the CRM sent. lat/lng of exactly 0.0
// both are how the contacts endpoint says "unknown", so they become nil.
func toCRMAddress(w *wireAddress) *customer.CRMAddress {
	if w == nil {
		return nil
	}
	t := make(lenient.Texts, 0, 11) // the 11 text fields below
	a := &customer.CRMAddress{
		Tel: t.Ptr(w.Tel), Phone: t.Ptr(w.Phone), Email: t.Ptr(w.Email), QQ: t.Ptr(w.QQ), Fax: t.Ptr(w.Fax),
		Wechat: t.Ptr(w.Wechat), Wangwang: t.Ptr(w.Wangwang), Zip: t.Ptr(w.Zip), URL: t.Ptr(w.URL),
		DetailAddress: t.Ptr(w.DetailAddress), RegionInfo: t.Ptr(w.RegionInfo),
		Latitude: w.Lat.Ptr(), Longitude: w.Lng.Ptr(),
		CountryID: w.CountryID.Ptr(), ProvinceID: w.ProvinceID.Ptr(), CityID: w.CityID.Ptr(), DistrictID: w.DistrictID.Ptr(),
	}
	if w.Lat.Valid && w.Lng.Valid && w.Lat.Value == 0 && w.Lng.Value == 0 {
		a.Latitude, a.Longitude = nil, nil
	}
	return a
}

func toContacts(ws []wireContact) []customer.CRMContact {
	out := make([]customer.CRMContact, 0, len(ws))
	for _, w := range ws {
		out = append(out, customer.CRMContact{ID: strings.TrimSpace(string(w.ID)), Name: string(w.Name), Address: toCRMAddress(w.Address)})
	}
	return out
}

func toPhones(a *customer.CRMAddress) []customer.Phone {
	phones := []customer.Phone{}
	for _, p := range []struct {
		kind customer.PhoneKind
		num  *string
	}{{customer.PhoneWork, a.Tel}, {customer.PhoneMobile, a.Phone}, {customer.PhoneFax, a.Fax}} {
		if p.num != nil {
			phones = append(phones, customer.Phone{Kind: p.kind, Number: *p.num})
		}
	}
	return phones
}

// toPostal maps the customer's address; nil when it holds nothing.
func toPostal(a *customer.CRMAddress) *customer.PostalAddress {
	p := &customer.PostalAddress{Formatted: a.DetailAddress, PostalCode: a.Zip, Latitude: a.Latitude, Longitude: a.Longitude}
	if a.RegionInfo != nil {
		p.Country, p.Region, p.City = parseRegion(*a.RegionInfo)
	}
	if *p == (customer.PostalAddress{}) {
		return nil
	}
	return p
}

// provinces are the short names region_info starts with after 中国,
// longest first where one is a prefix of another's reading.
var provinces = []string{
	"黑龙江", "内蒙古", "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "江苏", "浙江",
	"安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川", "贵州",
	"云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
}

// provinceSuffixes may follow the short name when region_info spells the
// province out.
var provinceSuffixes = []string{"壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市"}

// citySuffixes end a prefecture-level name: 南昌市, 延边朝鲜族自治州,
// 阿拉善盟, 大兴安岭地区. The earliest one ends the city, so 广州市 is not
// cut at its 州.
var citySuffixes = []string{"市", "自治州", "盟", "地区"}

// parseRegion reads region_info, "中国" + province + city + district
// ("中国江西南昌市西湖区", "中国上海上海市徐汇区"). Only what reads
// reliably is returned: the country when the text starts with 中国, the
// province when it is one of the 34 known short names, and the city when
// a prefecture-level suffix (citySuffixes) ends it. Anything else
// stays nil rather than guessed.
func parseRegion(info string) (country, region, city *string) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(info), "中国")
	if !ok {
		return nil, nil, nil
	}
	cn := "中国"
	country = &cn
	for _, p := range provinces {
		if after, ok := strings.CutPrefix(rest, p); ok {
			region, rest = &p, after
			break
		}
	}
	if region == nil {
		return country, nil, nil
	}
	for _, s := range provinceSuffixes {
		if after, ok := strings.CutPrefix(rest, s); ok && after != "" {
			rest = after
			break
		}
	}
	end := -1
	for _, s := range citySuffixes {
		if i := strings.Index(rest, s); i > 0 && (end < 0 || i+len(s) < end) {
			end = i + len(s)
		}
	}
	if end > 0 {
		c := rest[:end]
		city = &c
	}
	return country, region, city
}

// timeLayouts are the entity time formats, the documented one first.
var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", time.RFC3339}

// parseTime reads an entity time ("2019-02-15 17:36", Beijing time, no
// zone). An unreadable time is nil rather than a failed record.
func parseTime(s lenient.String) *time.Time {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return nil
	}
	// The CRM's own shapes, read without time.Parse; a date alone is none
	// of timeLayouts.
	if t, layout, ok := lenient.ParseLocal(v, customer.Shanghai); ok && layout != lenient.LayoutDate {
		t = t.In(customer.Shanghai)
		return &t
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, v, customer.Shanghai); err == nil {
			t = t.In(customer.Shanghai)
			return &t
		}
	}
	return nil
}
