package crm

import (
	"fmt"
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
	Customers  []any `json:"customers"`
	TotalCount int   `json:"total_count"`
	PerPage    int   `json:"per_page"`
	Page       int   `json:"page"`
}

// sortKeys are the list's sort fields, each read from a record.
//
// Unconfirmed: the vendor's list takes sort (a field from
// /api/v2/customers/filter_sort_group, e.g. created_at) and order
// (asc|desc); which fields it accepts is not public. These four are what
// a sync and a UI need.
var sortKeys = map[string]func(*record) string{
	"id":         nil, // the store's own order
	"name":       func(r *record) string { return r.name },
	"created_at": func(r *record) string { return r.createdAt },
	"updated_at": func(r *record) string { return r.updatedAt },
}

// list serves GET /api/v2/customers: query is a keyword the name must
// contain; sort (id, name, created_at, updated_at) and order (asc, desc)
// order the list, ties by id so that paging is stable. The other filters
// of the real API are ignored.
//
// Unconfirmed: without sort the list is in id order, ascending unless
// order=desc; with sort and no order it is descending (newest first), as
// the vendor's own UI lists. Ties follow the order too (desc: higher id
// first), so desc is exactly asc reversed. An unknown sort or order is
// refused with CodeBadParam.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, per := paging(q)
	field := q.Get("sort")
	if _, ok := sortKeys[field]; !ok && field != "" {
		writeFailure(w, failure{Code: CodeBadParam, Message: fmt.Sprintf("参数错误: 不支持的排序字段 sort=%s (可用: id, name, created_at, updated_at)", field)})
		return
	}
	desc := field != ""
	switch q.Get("order") {
	case "":
	case "asc":
		desc = false
	case "desc":
		desc = true
	default:
		writeFailure(w, failure{Code: CodeBadParam, Message: "参数错误: order 只能是 asc 或 desc"})
		return
	}
	if field == "" {
		field = "id"
	}
	hits, total := s.records.page(strings.TrimSpace(q.Get("query")), field, desc, page, per)
	d := listData{Customers: make([]any, 0, len(hits)), TotalCount: total, PerPage: per, Page: page}
	for _, rec := range hits {
		d.Customers = append(d.Customers, rec.listView())
	}
	writeOK(w, d)
}

// record finds the {id} of the path; it answers not-found itself.
func (s *Server) record(w http.ResponseWriter, r *http.Request) (*record, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	rec, ok := s.records.get(id)
	if err != nil || !ok {
		writeFailure(w, notFound)
		return nil, false
	}
	return rec, true
}

// detail serves GET /api/v2/customers/{id}.
func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	if rec, ok := s.record(w, r); ok {
		writeOK(w, rec.detailView())
	}
}

type contactsData struct {
	Contacts   []any `json:"contacts"`
	TotalCount int   `json:"total_count"`
	PerPage    int   `json:"per_page"`
	Page       int   `json:"page"`
}

// contacts serves GET /api/v2/customers/{id}/contacts.
func (s *Server) contacts(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	page, per := paging(r.URL.Query())
	all := rec.contactViews()
	lo, hi := bounds(len(all), page, per)
	writeOK(w, contactsData{Contacts: all[lo:hi], TotalCount: len(all), PerPage: per, Page: page})
}

type matchData struct {
	Customers []any `json:"customers"`
}

// matchingName serves GET /api/v2/duplicates/matching_name: customers
// whose name equals name exactly.
//
// Unconfirmed: a missing or empty name matches nothing (code 0, no
// customers) rather than being refused.
func (s *Server) matchingName(w http.ResponseWriter, r *http.Request) {
	hits := s.records.named(r.URL.Query().Get("name"))
	d := matchData{Customers: make([]any, 0, len(hits))}
	for _, rec := range hits {
		d.Customers = append(d.Customers, rec.itemView())
	}
	writeOK(w, d)
}
