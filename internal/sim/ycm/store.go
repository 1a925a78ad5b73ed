package ycm

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"custgraph/internal/sim/fixture"
	"custgraph/internal/sim/wire"
)

// store holds the customers in customerId order. Readers and the writers
// of /_sim/records share it under mu; a record is never changed once
// stored (a change stores a new one).
type store struct {
	mu   sync.RWMutex
	list []*record // customerId order
	byID map[int64]*record
	// sorted caches the list in each order asked for (by sort spec), so
	// that a page of a 100 000-record list costs no sort; any change
	// drops them all.
	sorted map[string][]*record
}

func newStore(list []*record) *store {
	s := &store{list: list, byID: make(map[int64]*record, len(list)), sorted: map[string][]*record{}}
	for _, r := range list {
		s.byID[r.CustomerID] = r
	}
	return s
}

func (s *store) get(id int64) (*record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byID[id]
	return r, ok
}

// page cuts page number of size from the list in the order of spec: a
// field name, "-" in front for descending. Ties keep customerId order.
// ok is false for an unknown field.
//
// Unconfirmed: without sort, records come in customerId order; an unknown
// field is refused.
func (s *store) page(spec string, number, size int) (listPage, bool) {
	field, _ := strings.CutPrefix(spec, "-")
	if field != "" && field != "customerId" && sortFields[field] == nil {
		return listPage{}, false
	}
	cut := func(list []*record) listPage {
		p := listPage{PageSize: size, PageNumber: number, Total: len(list), List: []*record{}}
		if start := (number - 1) * size; number <= len(list) && start < len(list) { // number first: no overflow
			// A copy: the list may change once the lock is released.
			p.List = slices.Clone(list[start:min(start+size, len(list))])
		}
		return p
	}
	s.mu.RLock()
	list, ok := s.sorted[spec]
	if field == "" || spec == "customerId" {
		list, ok = s.list, true
	}
	if ok {
		defer s.mu.RUnlock()
		return cut(list), true
	}
	s.mu.RUnlock()
	// Not sorted this way since the last change: sort under the write
	// lock, so that the cache is filled once.
	s.mu.Lock()
	defer s.mu.Unlock()
	return cut(s.order(spec)), true
}

// order returns (and caches) the list sorted by spec; mu must be held
// for writing.
func (s *store) order(spec string) []*record {
	if l, ok := s.sorted[spec]; ok {
		return l
	}
	l := sortRecords(s.list, spec)
	s.sorted[spec] = l
	return l
}

func sortRecords(list []*record, spec string) []*record {
	field, desc := strings.CutPrefix(spec, "-")
	out := slices.Clone(list)
	if field == "customerId" {
		slices.Reverse(out) // only "-customerId" gets here
		return out
	}
	get := sortFields[field]
	// Stable over customerId order, so ties keep it either way.
	slices.SortStableFunc(out, func(a, b *record) int {
		c := cmp.Compare(get(a), get(b))
		if desc {
			return -c
		}
		return c
	})
	return out
}

// put stores r in place of the record with its id, if any; mu must be
// held for writing.
func (s *store) put(r *record) (created bool) {
	i, found := slices.BinarySearchFunc(s.list, r.CustomerID, func(e *record, id int64) int { return cmp.Compare(e.CustomerID, id) })
	if found {
		s.list[i] = r
	} else {
		s.list = slices.Insert(s.list, i, r)
	}
	s.byID[r.CustomerID] = r
	clear(s.sorted)
	return !found
}

func (s *store) delete(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		return false
	}
	i, _ := slices.BinarySearchFunc(s.list, id, func(e *record, id int64) int { return cmp.Compare(e.CustomerID, id) })
	s.list = slices.Delete(s.list, i, i+1)
	delete(s.byID, id)
	clear(s.sorted)
	return true
}

// Records are YCM customers read from their wire format (Customer_Info
// objects), ready to be served in place of generated ones.
type Records struct{ list []*record }

// Len is how many records there are.
func (r *Records) Len() int { return len(r.list) }

// ParseRecords reads a JSON array of Customer_Info objects. Each needs a
// positive, unique customerId (a number); every other field is one of the
// documented ones and a string. Errors name the record.
func ParseRecords(data []byte) (*Records, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("want a JSON array of records: %w", err)
	}
	out := &Records{list: make([]*record, 0, len(items))}
	seen := make(map[int64]bool, len(items))
	for i, raw := range items {
		r, err := decodeRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		if r.CustomerID <= 0 {
			return nil, fmt.Errorf("record %d: customerId must be a positive number", i)
		}
		if seen[r.CustomerID] {
			return nil, fmt.Errorf("record %d (customerId %d): the id is already used by an earlier record", i, r.CustomerID)
		}
		seen[r.CustomerID] = true
		out.list = append(out.list, r)
	}
	slices.SortFunc(out.list, func(a, b *record) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
	return out, nil
}

// decodeRecord reads one Customer_Info strictly: an unknown field is more
// likely a typo or another vendor's record than something YCM would send.
func decodeRecord(raw []byte) (*record, error) {
	if _, err := wire.Object(raw); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var r record
	if err := d.Decode(&r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s must be %s, not a JSON %s", te.Field, te.Type, te.Value)
		}
		return nil, err
	}
	return &r, nil
}

// PutRecord creates or replaces the customer with customerId id from
// body, a Customer_Info object; the id is id whatever the body says. YCM
// keeps no change marker, so none is set. It returns the stored record as
// YCM writes it and whether it was created. An error means a bad id or
// body (the caller's fault).
func (s *Server) PutRecord(id string, body []byte) (stored json.RawMessage, created bool, err error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil, false, fmt.Errorf("customerId %q: want a positive number", id)
	}
	r, err := decodeRecord(body)
	if err != nil {
		return nil, false, err
	}
	r.CustomerID = n
	if stored, err = json.Marshal(r); err != nil {
		return nil, false, err
	}
	s.records.mu.Lock()
	defer s.records.mu.Unlock()
	return stored, s.records.put(r), nil
}

// DeleteRecord removes the customer with customerId id; false when there
// is none (or id is no number).
func (s *Server) DeleteRecord(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && s.records.delete(n)
}

// Identities maps the customerId of every generated customer still held
// to the truth about it (its fixture company and how it varies).
func (s *Server) Identities() map[string]fixture.Label {
	s.records.mu.RLock()
	defer s.records.mu.RUnlock()
	out := map[string]fixture.Label{}
	for _, r := range s.records.list {
		if r.truth.Serial != 0 {
			out[strconv.FormatInt(r.CustomerID, 10)] = r.truth
		}
	}
	return out
}
