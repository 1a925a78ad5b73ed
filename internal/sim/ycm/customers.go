package ycm

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"custgraph/internal/sim/fixture"
)

// record is one YCM customer (Customer_Info) as the API writes it: every
// value a string except customerId, and fields without a value left out.
type record struct {
	CustomerID     int64  `json:"customerId"`
	FirstName      string `json:"firstName,omitempty"`
	LastName       string `json:"lastName,omitempty"`
	Company        string `json:"company,omitempty"`
	Email          string `json:"email,omitempty"`
	BusinessNumber string `json:"businessNumber,omitempty"`
	MobileNumber   string `json:"mobileNumber,omitempty"`
	HomeNumber     string `json:"homeNumber,omitempty"`
	FaxNumber      string `json:"faxNumber,omitempty"`
	ZipCode        string `json:"zipCode,omitempty"`
	Street         string `json:"street,omitempty"`
	City           string `json:"city,omitempty"`
	State          string `json:"state,omitempty"`
	Country        string `json:"country,omitempty"`
	Remark         string `json:"remark,omitempty"`
	// truth is the fixture company the record was generated from and how
	// it varies; Serial 0 for one loaded from a file or written through
	// /_sim/records.
	truth fixture.Label
}

// IsIndividual reports whether the simulator records c as a private person
// (no company field), so that its name in YCM is the contact's family and
// given name rather than c.Name: the fixture's person variant
// (fixture.VariantPerson). Tests that match companies across sources by
// name should skip these.
func IsIndividual(c *fixture.Company) bool { return c.Variant == fixture.VariantPerson }

// buildRecords turns companies into YCM customers with ids from
// FirstCustomerID upwards.
func buildRecords(companies []*fixture.Company) []*record {
	out := make([]*record, 0, len(companies))
	id := int64(FirstCustomerID)
	for i, c := range companies {
		r := c.NewRand(source)
		_ = r.IntN(100) // once the draw of individuals; kept so that the draws after it stay
		individual := IsIndividual(c)
		if i > 0 {
			id++
			if r.IntN(10) == 0 { // a deleted record leaves a gap
				id += 1 + int64(r.IntN(4))
			}
		}
		out = append(out, newRecord(id, c, individual, r))
	}
	return out
}

func newRecord(id int64, c *fixture.Company, individual bool, r *rand.Rand) *record {
	p := c.Contacts[0]
	rec := &record{CustomerID: id, FirstName: p.Given, LastName: p.Family, Remark: c.Remark, truth: c.Label()}
	chance := func(percent int) bool { return r.IntN(100) < percent }
	if chance(90) {
		rec.Email = p.Email
		if !individual && chance(25) {
			rec.Email = c.Email
		}
	}
	if !individual {
		rec.Company = c.Name
		if chance(90) {
			rec.BusinessNumber = c.Tel
		}
		if c.Fax != "" && chance(70) {
			rec.FaxNumber = c.Fax
		}
	}
	if individual || chance(70) {
		rec.MobileNumber = p.Mobile
	}
	homePercent := 3 // home numbers are rare, except for private persons
	if individual {
		homePercent = 30
	}
	if chance(homePercent) {
		rec.HomeNumber = c.AreaCode + "-" + strconv.Itoa(2+r.IntN(7)) + fmt.Sprintf("%06d", r.IntN(1_000_000))
	}
	if chance(80) {
		rec.Street = c.District + c.Street
		if chance(90) {
			rec.ZipCode = c.Postcode
		}
	}
	if chance(95) {
		rec.City, rec.State = c.City, c.Province
	}
	// Records are typed in by hand: most say 中国, some China, a few
	// nothing.
	switch n := r.IntN(20); {
	case n == 0:
	case n <= 2:
		rec.Country = "China"
	default:
		rec.Country = "中国"
	}
	return rec
}

// sortFields reads each sortable field of a record; customerId sorts as a
// number and is handled apart.
var sortFields = map[string]func(*record) string{
	"firstName": func(r *record) string { return r.FirstName }, "lastName": func(r *record) string { return r.LastName },
	"company": func(r *record) string { return r.Company }, "email": func(r *record) string { return r.Email },
	"businessNumber": func(r *record) string { return r.BusinessNumber }, "mobileNumber": func(r *record) string { return r.MobileNumber },
	"homeNumber": func(r *record) string { return r.HomeNumber }, "faxNumber": func(r *record) string { return r.FaxNumber },
	"zipCode": func(r *record) string { return r.ZipCode }, "street": func(r *record) string { return r.Street },
	"city": func(r *record) string { return r.City }, "state": func(r *record) string { return r.State },
	"country": func(r *record) string { return r.Country }, "remark": func(r *record) string { return r.Remark },
}

// listPage is the data of a customer list answer.
type listPage struct {
	PageSize   int       `json:"pageSize"`
	PageNumber int       `json:"pageNumber"`
	Total      int       `json:"total"`
	List       []*record `json:"list"`
}

// listCustomers serves GET /dm/open_api/v1/customers. YCM has no filter
// or search parameters; unknown parameters are ignored.
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, ok := intParam(q.Get("pageSize"), DefaultPageSize)
	// Unconfirmed: a pageSize above the documented maximum of 50 is
	// refused rather than clamped.
	if !ok || size < 1 || size > MaxPageSize {
		s.fail(w, http.StatusBadRequest, CodeInvalidParameter, fmt.Sprintf("pageSize must be 1 to %d", MaxPageSize))
		return
	}
	number, ok := intParam(q.Get("pageNumber"), 1)
	if !ok || number < 1 {
		s.fail(w, http.StatusBadRequest, CodeInvalidParameter, "pageNumber must be 1 or more")
		return
	}
	page, ok := s.records.page(q.Get("sort"), number, size)
	if !ok {
		s.fail(w, http.StatusBadRequest, CodeInvalidParameter, "sort must name a customer field")
		return
	}
	s.ok(w, page)
}

// getCustomer serves GET /dm/open_api/v1/customers/{id}.
func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, http.StatusBadRequest, CodeInvalidParameter, "customerId must be a number")
		return
	}
	rec, ok := s.records.get(id)
	if !ok {
		// Unconfirmed: an unknown id is HTTP 404 with the Failed envelope.
		s.fail(w, http.StatusNotFound, CodeCustomerNotFound, "Customer does not exist")
		return
	}
	s.ok(w, rec)
}

// intParam parses an optional integer query parameter.
func intParam(v string, def int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}
