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
	t := make(lenient.Texts, 0, 17) // the 17 text fields below
	u := &customer.U8Customer{
		Code:               code,
		AbbrName:           t.Ptr(w.AbbrName),
		SortCode:           t.Ptr(w.SortCode),
		DomainCode:         t.Ptr(w.DomainCode),
		Industry:           t.Ptr(w.Industry),
		Address:            t.Ptr(w.Address),
		BankOpen:           t.Ptr(w.BankOpen),
		BankAccNumber:      t.Ptr(w.BankAccNumber),
		Contact:            t.Ptr(w.Contact),
		Phone:              t.Ptr(w.Phone),
		Fax:                t.Ptr(w.Fax),
		Mobile:             t.Ptr(w.Mobile),
		DeliverSite:        t.Ptr(w.DeliverSite),
		ModifiedAt:         localTime(w.ModifyDate),
		SeedDate:           localDate(w.SeedDate),
		EndDate:            localDate(w.EndDate),
		Memo:               t.Ptr(w.Memo),
		CurrencyName:       t.Ptr(w.CurrencyName),
		Domestic:           w.Domestic.Ptr(),
		Overseas:           w.Overseas.Ptr(),
		ServiceAttribute:   w.ServiceAttribute.Ptr(),
		ManagementTypeCode: t.Ptr(w.MngTypeCode),
		ManagementTypeName: t.Ptr(w.MngTypeName),
		SpecOperatorName:   t.Ptr(w.SpecOperatorName),
		Timestamp:          t.Ptr(w.Timestamp),
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
	// The date and date-time shapes U8 sends on nearly every record, read
	// without time.Parse. Each is the first of the layouts below it
	// matches, so the answer is the one the loop would give.
	if t, _, ok := lenient.ParseLocal(*v, customer.Shanghai); ok {
		return &t
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
