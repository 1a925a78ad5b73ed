package u8

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"custgraph/internal/sim/fixture"
	"custgraph/internal/sim/wire"
)

// store holds the customers, ordered by code. Readers and the writers of
// /_sim/records share it under mu; records themselves are immutable.
type store struct {
	mu     sync.RWMutex
	list   []*record // ordered by code
	byCode map[string]*record
	// lastStamp is the largest timestamp ever given out, so that every
	// change gets a greater one, as U8's rowversion grows with each write
	// (deleting the newest record must not let its stamp be reused).
	lastStamp int64
}

func newStore(list []*record) *store {
	s := &store{list: list, byCode: make(map[string]*record, len(list))}
	for _, r := range list {
		s.byCode[r.code] = r
		s.lastStamp = max(s.lastStamp, r.stamp)
	}
	return s
}

func (s *store) get(code string) (*record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byCode[code]
	return r, ok
}

// page returns the page of q's matches and how many there are.
func (s *store) page(q *query) (rows []json.RawMessage, total int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	from := (q.page - 1) * q.size
	if q.unfiltered() { // no need to look at every record
		total = len(s.list)
		for _, r := range s.list[min(from, total):min(from+q.size, total)] {
			rows = append(rows, r.raw)
		}
		return rows, total
	}
	for _, r := range s.list {
		if !q.matches(r) {
			continue
		}
		if total >= from && len(rows) < q.size {
			rows = append(rows, r.raw)
		}
		total++
	}
	return rows, total
}

// put stores r in place of the record with its code, if any.
func (s *store) put(r *record) (created bool) {
	i, found := slices.BinarySearchFunc(s.list, r.code, func(e *record, code string) int { return strings.Compare(e.code, code) })
	if found {
		s.list[i] = r
	} else {
		s.list = slices.Insert(s.list, i, r)
	}
	s.byCode[r.code] = r
	s.lastStamp = max(s.lastStamp, r.stamp)
	return !found
}

func (s *store) delete(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byCode[code]; !ok {
		return false
	}
	i, _ := slices.BinarySearchFunc(s.list, code, func(e *record, code string) int { return strings.Compare(e.code, code) })
	s.list = slices.Delete(s.list, i, i+1)
	delete(s.byCode, code)
	return true
}

// Records are U8 customers read from their wire format (batch_get
// `customer` items), ready to be served in place of generated ones.
type Records struct{ list []*record }

// Len is how many records there are.
func (r *Records) Len() int { return len(r.list) }

// ParseRecords reads a JSON array of batch_get customer items. Each needs a
// code (a string, unique); ModifyDate, seed_date and timestamp, when
// there, must be what U8 sends (yyyy-MM-dd HH:mm:ss or yyyy-MM-dd; a
// decimal string). Records without timestamp get one greater than every
// stamp in the file, in file order. Errors name the record.
func ParseRecords(data []byte) (*Records, error) {
	items, err := wire.Array(data)
	if err != nil {
		return nil, err
	}
	out := &Records{list: make([]*record, 0, len(items))}
	seen := make(map[string]bool, len(items))
	var unstamped []*record
	var top int64
	for i, m := range items {
		code, ok := m["code"].(string)
		if !ok || code == "" {
			return nil, fmt.Errorf("record %d: code must be a non-empty string", i)
		}
		if seen[code] {
			return nil, fmt.Errorf("record %d (code %q): the code is already used by an earlier record", i, code)
		}
		seen[code] = true
		r, hasStamp, err := fromWire(m)
		if err != nil {
			return nil, fmt.Errorf("record %d (code %q): %w", i, code, err)
		}
		if hasStamp {
			top = max(top, r.stamp)
		} else {
			unstamped = append(unstamped, r)
		}
		out.list = append(out.list, r)
	}
	for _, r := range unstamped {
		top++
		r.stamp = top
		m, _ := wire.Object(r.raw)
		m["timestamp"] = strconv.FormatInt(top, 10)
		if r.raw, err = wire.Marshal(m); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out.list, func(a, b *record) int { return strings.Compare(a.code, b.code) })
	return out, nil
}

// fromWire checks a customer item and reads the keys batch_get filters on.
func fromWire(m map[string]any) (r *record, hasStamp bool, err error) {
	r = &record{}
	r.code, _ = m["code"].(string)
	var ok bool
	if r.name, ok = wire.String(m, "name"); !ok {
		return nil, false, errors.New("name must be a string")
	}
	mod, ok := wire.String(m, "ModifyDate")
	if !ok {
		return nil, false, errors.New("ModifyDate must be a string")
	}
	if mod != "" {
		// Go accepts fractional seconds after the layout's seconds, so
		// "2024-10-23 18:04:23.000" from a database export reads too.
		if r.modified, err = time.ParseInLocation(dateTimeLayout, mod, fixture.Shanghai); err != nil {
			if r.modified, err = time.ParseInLocation(dateLayout, mod, fixture.Shanghai); err != nil {
				return nil, false, fmt.Errorf("ModifyDate %q: want yyyy-MM-dd HH:mm:ss or yyyy-MM-dd", mod)
			}
		}
	}
	if r.seedDate, ok = wire.String(m, "seed_date"); !ok {
		return nil, false, errors.New("seed_date must be a string")
	}
	if r.seedDate != "" {
		t, err := time.Parse(dateLayout, r.seedDate[:min(len(r.seedDate), len(dateLayout))])
		if err != nil {
			return nil, false, fmt.Errorf("seed_date %q: want yyyy-MM-dd", r.seedDate)
		}
		r.seedDate = t.Format(dateLayout)
	}
	switch v := m["timestamp"].(type) {
	case nil:
	case string, json.Number: // U8 sends a string; a number in a hand-written file is meant the same
		s := fmt.Sprint(v)
		if r.stamp, err = strconv.ParseInt(s, 10, 64); err != nil || r.stamp < 0 {
			return nil, false, fmt.Errorf("timestamp %q: want a decimal number", s)
		}
		hasStamp = true
	default:
		return nil, false, errors.New("timestamp must be a decimal string")
	}
	if r.raw, err = wire.Marshal(m); err != nil {
		return nil, false, err
	}
	return r, hasStamp, nil
}

// PutRecord creates or replaces the customer with code id from body, a
// batch_get customer item, as a U8 user would edit it: the code is id
// whatever the body says, ModifyDate is now (Beijing time) and timestamp
// is greater than any before. It returns the stored item and whether it
// was created. An error means a bad body (the caller's fault).
func (s *Server) PutRecord(id string, body []byte) (stored json.RawMessage, created bool, err error) {
	if id == "" {
		return nil, false, errors.New("the code must not be empty")
	}
	m, err := wire.Object(body)
	if err != nil {
		return nil, false, err
	}
	m["code"] = id
	delete(m, "ModifyDate") // set below, under the lock, with the stamp
	delete(m, "timestamp")
	if _, _, err := fromWire(m); err != nil { // check before taking the lock
		return nil, false, err
	}
	st := s.records
	st.mu.Lock()
	defer st.mu.Unlock()
	stamp := st.lastStamp + 1
	m["ModifyDate"] = s.now().In(fixture.Shanghai).Format(dateTimeLayout)
	m["timestamp"] = strconv.FormatInt(stamp, 10)
	r, _, err := fromWire(m)
	if err != nil {
		return nil, false, err
	}
	return r.raw, st.put(r), nil
}

// DeleteRecord removes the customer with code id; false when there is none.
func (s *Server) DeleteRecord(id string) bool { return s.records.delete(id) }

// Identities maps the code of every generated customer still held to the
// truth about it (the Serial of its fixture company, its name variant,
// whether it is a hard negative), so that tests and frontends can tell
// which records across sources are the same company.
func (s *Server) Identities() map[string]fixture.Label {
	st := s.records
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := map[string]fixture.Label{}
	for _, r := range st.list {
		if r.truth.Serial != 0 {
			out[r.code] = r.truth
		}
	}
	return out
}
