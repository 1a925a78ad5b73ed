package u8

import (
	"errors"
	"strings"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/provider/lenient"
)

const dateLayout = "2006-01-02"

// toCustomer maps a wire customer to the domain. A record without a code
// cannot be addressed, so it makes the answer unusable.
func toCustomer(w *wireCustomer) (*customer.Customer, error) {
	code := strings.TrimSpace(string(w.Code))
	if code == "" {
		return nil, badResponse(errors.New("customer without code"))
	}
	u := &customer.U8Customer{
		Code:               code,
		AbbrName:           w.AbbrName.Ptr(),
		SortCode:           w.SortCode.Ptr(),
		DomainCode:         w.DomainCode.Ptr(),
		Industry:           w.Industry.Ptr(),
		Address:            w.Address.Ptr(),
		BankOpen:           w.BankOpen.Ptr(),
		BankAccNumber:      w.BankAccNumber.Ptr(),
		Contact:            w.Contact.Ptr(),
		Phone:              w.Phone.Ptr(),
		Fax:                w.Fax.Ptr(),
		Mobile:             w.Mobile.Ptr(),
		DeliverSite:        w.DeliverSite.Ptr(),
		ModifiedAt:         localTime(w.ModifyDate),
		SeedDate:           localDate(w.SeedDate),
		EndDate:            localDate(w.EndDate),
		Memo:               w.Memo.Ptr(),
		CurrencyName:       w.CurrencyName.Ptr(),
		Domestic:           w.Domestic.Ptr(),
		Overseas:           w.Overseas.Ptr(),
		ServiceAttribute:   w.ServiceAttribute.Ptr(),
		ManagementTypeCode: w.MngTypeCode.Ptr(),
		ManagementTypeName: w.MngTypeName.Ptr(),
		SpecOperatorName:   w.SpecOperatorName.Ptr(),
		Timestamp:          w.Timestamp.Ptr(),
	}
	for i, v := range w.selfDefines() {
		if p := v.Ptr(); p != nil {
			u.SelfDefine[i] = *p
		}
	}
	c := &customer.Customer{
		Source:      customer.U8,
		SourceID:    code,
		Name:        strings.TrimSpace(string(w.Name)),
		ShortName:   u.AbbrName,
		ContactName: u.Contact,
		Phones:      phones(u),
		Address:     address(u.Address),
		Remark:      u.Memo,
		UpdatedAt:   u.ModifiedAt,
		// CreatedAt stays nil: seed_date (发展日期) is a business date,
		// not when the record was made, and U8 sends nothing else.
		U8: u,
	}
	return c, nil
}

// phones types every number U8 holds: phone is the company's line, mobile
// the contact's mobile, fax the fax.
func phones(u *customer.U8Customer) []customer.Phone {
	out := []customer.Phone{}
	for _, p := range []struct {
		kind   customer.PhoneKind
		number *string
	}{{customer.PhoneWork, u.Phone}, {customer.PhoneMobile, u.Mobile}, {customer.PhoneFax, u.Fax}} {
		if p.number != nil {
			out = append(out, customer.Phone{Kind: p.kind, Number: *p.number})
		}
	}
	return out
}

// address wraps U8's one-line address; U8 has no structured parts.
func address(line *string) *customer.PostalAddress {
	if line == nil {
		return nil
	}
	return &customer.PostalAddress{Formatted: line}
}

// localTime reads a U8 date or date-time as Asia/Shanghai local time. A
// value in no known shape is treated as absent rather than failing the
// whole answer: one odd date must not hide a page of customers.
func localTime(s lenient.String) *time.Time {
	v := s.Ptr()
	if v == nil {
		return nil
	}
	// Unconfirmed: U8 documents ModifyDate only as "date"; installations
	// may send a date, a date-time, or SQL Server's date-time with
	// milliseconds (Go reads fractional seconds after ":05" unasked).
	for _, layout := range [...]string{
		"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04",
		dateLayout, "2006/01/02 15:04:05", "2006/01/02",
	} {
		if t, err := time.ParseInLocation(layout, *v, customer.Shanghai); err == nil {
			return &t
		}
	}
	if t, err := time.Parse(time.RFC3339, *v); err == nil {
		t = t.In(customer.Shanghai)
		return &t
	}
	return nil
}

// localDate reads a calendar date (seed_date, end_date) as midnight
// Asia/Shanghai; a date-time keeps only its date.
func localDate(s lenient.String) *time.Time {
	t := localTime(s)
	if t == nil {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, customer.Shanghai)
	return &d
}
