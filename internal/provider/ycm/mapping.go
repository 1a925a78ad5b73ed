package ycm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"custgraph/internal/customer"
	"custgraph/internal/provider/lenient"
)

// decodeCustomer reads the data of a single-customer answer. JSON null
// (or no data) means there is no such customer and returns nil.
func decodeCustomer(raw json.RawMessage) (*customer.Customer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var w wireCustomer
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("decode customer: %w", err)
	}
	return toCustomer(&w)
}

// toCustomers maps a list page's records.
func toCustomers(list []wireCustomer) ([]*customer.Customer, error) {
	out := make([]*customer.Customer, 0, len(list))
	for i := range list {
		c, err := toCustomer(&list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// toCustomer maps a YCM record to the domain. A record without a usable
// customerId cannot be addressed again, so it is refused.
func toCustomer(w *wireCustomer) (*customer.Customer, error) {
	if !w.CustomerID.Valid || w.CustomerID.Value <= 0 {
		return nil, errors.New("customer without a customerId")
	}
	ext := toExtension(w)
	c := &customer.Customer{
		Source:   customer.YCM,
		SourceID: ext.CustomerID,
		Email:    ext.Email,
		Phones:   toPhones(ext),
		Address:  toAddress(ext),
		Remark:   ext.Remark,
		YCM:      ext,
	}
	person := personName(deref(ext.FirstName), deref(ext.LastName))
	if person != "" {
		c.ContactName = &person
	}
	switch {
	case ext.Company != nil:
		c.Name = *ext.Company
	case person != "":
		c.Name = person
	case ext.Email != nil: // a record with neither company nor name
		c.Name = *ext.Email
	}
	return c, nil
}

// toExtension copies every YCM field; customerId becomes its decimal text.
func toExtension(w *wireCustomer) *customer.YCMCustomer {
	t := make(lenient.Texts, 0, 14) // the 14 text fields below
	return &customer.YCMCustomer{
		CustomerID:     strconv.FormatInt(w.CustomerID.Value, 10),
		FirstName:      t.Ptr(w.FirstName),
		LastName:       t.Ptr(w.LastName),
		Company:        t.Ptr(w.Company),
		Email:          t.Ptr(w.Email),
		BusinessNumber: t.Ptr(w.BusinessNumber),
		MobileNumber:   t.Ptr(w.MobileNumber),
		HomeNumber:     t.Ptr(w.HomeNumber),
		FaxNumber:      t.Ptr(w.FaxNumber),
		ZipCode:        t.Ptr(w.ZipCode),
		Street:         t.Ptr(w.Street),
		City:           t.Ptr(w.City),
		State:          t.Ptr(w.State),
		Country:        t.Ptr(w.Country),
		Remark:         t.Ptr(w.Remark),
	}
}

// toPhones types every number the record holds.
func toPhones(y *customer.YCMCustomer) []customer.Phone {
	phones := make([]customer.Phone, 0, 4)
	for _, p := range []struct {
		kind   customer.PhoneKind
		number *string
	}{
		{customer.PhoneMobile, y.MobileNumber},
		{customer.PhoneWork, y.BusinessNumber},
		{customer.PhoneHome, y.HomeNumber},
		{customer.PhoneFax, y.FaxNumber},
	} {
		if p.number != nil {
			phones = append(phones, customer.Phone{Kind: p.kind, Number: *p.number})
		}
	}
	return phones
}

// toAddress builds the address from YCM's parts, nil when it has none.
// YCM has no one-line address, so Formatted stays nil.
func toAddress(y *customer.YCMCustomer) *customer.PostalAddress {
	if y.Street == nil && y.City == nil && y.State == nil && y.Country == nil && y.ZipCode == nil {
		return nil
	}
	return &customer.PostalAddress{Street: y.Street, City: y.City, Region: y.State, Country: y.Country, PostalCode: y.ZipCode}
}

// personName joins given and family name the way the name is written:
// Chinese names family first without a space (赵 + 国平 = 赵国平), others
// given first with a space (Leo Ball).
func personName(first, last string) string {
	if first == "" || last == "" {
		return last + first
	}
	han := func(r rune) bool { return unicode.Is(unicode.Han, r) }
	if strings.IndexFunc(first, han) >= 0 || strings.IndexFunc(last, han) >= 0 {
		return last + first
	}
	return first + " " + last
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
