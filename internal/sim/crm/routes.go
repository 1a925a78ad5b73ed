package crm

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// notFound is the vendor's answer for a missing record (or one the user
// may not see).
var notFound = failure{Code: CodeNotFound, Message: "您没有权限查看该对象或该对象不存在。", Error: "active_record/record_not_found"}

// paging reads page and per_page.
//
// Unconfirmed: out-of-range values are clamped rather than refused
// (page < 1 → 1, per_page < 1 → 15, per_page > MaxPerPage → MaxPerPage).
func paging(q url.Values) (page, per int) {
	page, _ = strconv.Atoi(q.Get("page"))
	per, _ = strconv.Atoi(q.Get("per_page"))
	page = max(page, 1)
	if per < 1 {
		per = DefaultPerPage
	}
	return page, min(per, MaxPerPage)
}

// bounds returns the [lo, hi) bounds of page in n items.
func bounds(n, page, per int) (lo, hi int) {
	lo = min((page-1)*per, n)
	return lo, min(lo+per, n)
}

type listData struct {
	Customers  []listItem `json:"customers"`
	TotalCount int        `json:"total_count"`
	PerPage    int        `json:"per_page"`
	Page       int        `json:"page"`
}

// list serves GET /api/v2/customers: ordered by id, query is a keyword the
// name must contain. The other filters of the real API are ignored.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, per := paging(q)
	kw := strings.TrimSpace(q.Get("query"))
	var hits []*record
	for _, rec := range s.records {
		if strings.Contains(rec.co.Name, kw) {
			hits = append(hits, rec)
		}
	}
	lo, hi := bounds(len(hits), page, per)
	d := listData{Customers: make([]listItem, 0, hi-lo), TotalCount: len(hits), PerPage: per, Page: page}
	for _, rec := range hits[lo:hi] {
		d.Customers = append(d.Customers, rec.listItem())
	}
	writeOK(w, d)
}

// record finds the {id} of the path; it answers not-found itself.
func (s *Server) record(w http.ResponseWriter, r *http.Request) (*record, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	rec := s.byID[id]
	if err != nil || rec == nil {
		writeFailure(w, notFound)
		return nil, false
	}
	return rec, true
}

// detail serves GET /api/v2/customers/{id}.
func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	if rec, ok := s.record(w, r); ok {
		writeOK(w, rec.detail())
	}
}

type contactsData struct {
	Contacts   []contact `json:"contacts"`
	TotalCount int       `json:"total_count"`
	PerPage    int       `json:"per_page"`
	Page       int       `json:"page"`
}

// contacts serves GET /api/v2/customers/{id}/contacts.
func (s *Server) contacts(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	page, per := paging(r.URL.Query())
	lo, hi := bounds(len(rec.contacts), page, per)
	d := contactsData{Contacts: make([]contact, 0, hi-lo), TotalCount: len(rec.contacts), PerPage: per, Page: page}
	for _, cr := range rec.contacts[lo:hi] {
		d.Contacts = append(d.Contacts, rec.contact(cr))
	}
	writeOK(w, d)
}

type matchData struct {
	Customers []item `json:"customers"`
}

// matchingName serves GET /api/v2/duplicates/matching_name: customers
// whose name equals name exactly.
//
// Unconfirmed: a missing or empty name matches nothing (code 0, no
// customers) rather than being refused.
func (s *Server) matchingName(w http.ResponseWriter, r *http.Request) {
	hits := s.byName[r.URL.Query().Get("name")]
	d := matchData{Customers: make([]item, 0, len(hits))}
	for _, rec := range hits {
		d.Customers = append(d.Customers, rec.item())
	}
	writeOK(w, d)
}
