package u8

import (
	"bytes"
	"encoding/json"

	"custgraph/internal/provider/lenient"
)

// The wire format of U8 answers. Every value is read leniently: U8 sends
// strings as numbers (mobile), numbers as strings (counts, timestamp),
// leaves empty fields out, and its booleans are documented as strings.

// envelope is what every U8 answer carries. errcode "0" is success.
type envelope struct {
	ErrCode lenient.String `json:"errcode"`
	ErrMsg  lenient.String `json:"errmsg"`
}

// envelopeHolder is an answer type; do() reads its envelope.
type envelopeHolder interface{ env() *envelope }

func (e *envelope) env() *envelope { return e }

// tokenAnswer is GET /system/token. expiresIn is a JSON number.
type tokenAnswer struct {
	envelope
	Token struct {
		AppKey    lenient.String `json:"appKey"`
		ExpiresIn lenient.Int    `json:"expiresIn"`
		ID        lenient.String `json:"id"`
	} `json:"token"`
}

// getAnswer is GET /api/customer/get: {"customer": {…}}.
type getAnswer struct {
	envelope
	Customer wireCustomers `json:"customer"`
}

// batchAnswer is GET /api/customer/batch_get. The counts are strings.
type batchAnswer struct {
	envelope
	PageIndex   lenient.Int   `json:"page_index"`
	RowsPerPage lenient.Int   `json:"rows_per_page"`
	RowCount    lenient.Int   `json:"row_count"`
	PageCount   lenient.Int   `json:"page_count"`
	Customer    wireCustomers `json:"customer"`
}

// wireCustomers accepts a list of customers, a single customer object or
// null. customer/get sends an object and batch_get a list; U8's answers are
// converted from XML on the enterprise side, where a one-row list and an
// object look alike, so each is read either way.
type wireCustomers []wireCustomer

// UnmarshalJSON implements json.Unmarshaler.
func (w *wireCustomers) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*w = nil
		return nil
	case b[0] == '{':
		var one wireCustomer
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*w = wireCustomers{one}
		return nil
	}
	var list []wireCustomer
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*w = list
	return nil
}

// wireCustomer is one U8 customer (customer/get and batch_get alike). Keys
// are U8's own, including devliver_site (sic) and ModifyDate.
type wireCustomer struct {
	Code             lenient.String `json:"code"`
	Name             lenient.String `json:"name"`
	AbbrName         lenient.String `json:"abbrname"`
	SortCode         lenient.String `json:"sort_code"`
	DomainCode       lenient.String `json:"domain_code"`
	Industry         lenient.String `json:"industry"`
	Address          lenient.String `json:"address"`
	BankOpen         lenient.String `json:"bank_open"`
	BankAccNumber    lenient.String `json:"bank_acc_number"`
	Contact          lenient.String `json:"contact"`
	Phone            lenient.String `json:"phone"`
	Fax              lenient.String `json:"fax"`
	Mobile           lenient.String `json:"mobile"`
	DeliverSite      lenient.String `json:"devliver_site"`
	ModifyDate       lenient.String `json:"ModifyDate"`
	SeedDate         lenient.String `json:"seed_date"`
	EndDate          lenient.String `json:"end_date"`
	Memo             lenient.String `json:"memo"`
	CurrencyName     lenient.String `json:"ccusexch_name"`
	Domestic         lenient.Bool   `json:"bcusdomestic"`
	Overseas         lenient.Bool   `json:"bcusoverseas"`
	ServiceAttribute lenient.Bool   `json:"bserviceattribute"`
	MngTypeCode      lenient.String `json:"ccusmngtypecode"`
	MngTypeName      lenient.String `json:"ccusmngtypename"`
	SpecOperatorName lenient.String `json:"spec_operator_name"`
	Timestamp        lenient.String `json:"timestamp"`
	SelfDefine1      lenient.String `json:"self_define1"`
	SelfDefine2      lenient.String `json:"self_define2"`
	SelfDefine3      lenient.String `json:"self_define3"`
	SelfDefine4      lenient.String `json:"self_define4"`
	SelfDefine5      lenient.String `json:"self_define5"`
	SelfDefine6      lenient.String `json:"self_define6"`
	SelfDefine7      lenient.String `json:"self_define7"`
	SelfDefine8      lenient.String `json:"self_define8"`
	SelfDefine9      lenient.String `json:"self_define9"`
	SelfDefine10     lenient.String `json:"self_define10"`
	SelfDefine11     lenient.String `json:"self_define11"`
	SelfDefine12     lenient.String `json:"self_define12"`
	SelfDefine13     lenient.String `json:"self_define13"`
	SelfDefine14     lenient.String `json:"self_define14"`
	SelfDefine15     lenient.String `json:"self_define15"`
	SelfDefine16     lenient.String `json:"self_define16"`
}

// selfDefines lists self_define1..16 in index order.
func (w *wireCustomer) selfDefines() [16]lenient.String {
	return [16]lenient.String{
		w.SelfDefine1, w.SelfDefine2, w.SelfDefine3, w.SelfDefine4,
		w.SelfDefine5, w.SelfDefine6, w.SelfDefine7, w.SelfDefine8,
		w.SelfDefine9, w.SelfDefine10, w.SelfDefine11, w.SelfDefine12,
		w.SelfDefine13, w.SelfDefine14, w.SelfDefine15, w.SelfDefine16,
	}
}
