package crm

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"custgraph/internal/sim/fixture"
	"custgraph/internal/sim/wire"
)

// store holds the customers in id order, with the indexes the endpoints
// need. Readers and the writers of /_sim/records share it under mu.
type store struct {
	mu     sync.RWMutex
	list   []*record // id order
	byID   map[int]*record
	byName map[string][]*record // id order within a name
	// sorted caches the list by each sort field, ascending with ties by
	// id, so that a page of a 100 000-record list costs no sort; desc
	// walks it backwards. Any change drops them all.
	sorted map[string][]*record
}

func newStore(list []*record) *store {
	s := &store{list: list, byID: make(map[int]*record, len(list)),
		byName: make(map[string][]*record, len(list)), sorted: map[string][]*record{}}
	for _, r := range list {
		s.byID[r.id] = r
		s.byName[r.name] = append(s.byName[r.name], r)
	}
	return s
}

func (s *store) get(id int) (*record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byID[id]
	return r, ok
}

// named returns the customers called exactly name, in id order.
func (s *store) named(name string) []*record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.byName[name])
}

// page returns page (of per) of the customers whose name contains kw, in
// field order (desc: reversed), and how many match.
func (s *store) page(kw, field string, desc bool, page, per int) ([]*record, int) {
	cut := func(list []*record) ([]*record, int) {
		at := func(i int) *record {
			if desc {
				return list[len(list)-1-i]
			}
			return list[i]
		}
		from := len(list)
		if page-1 < len(list)/per+1 { // no overflow for absurd pages
			from = (page - 1) * per
		}
		var out []*record
		if kw == "" {
			for i := from; i < min(from+per, len(list)); i++ {
				out = append(out, at(i))
			}
			return out, len(list)
		}
		total := 0
		for i := range list {
			if r := at(i); strings.Contains(r.name, kw) {
				if total >= from && len(out) < per {
					out = append(out, r)
				}
				total++
			}
		}
		return out, total
	}
	s.mu.RLock()
	list, ok := s.sorted[field]
	if field == "id" {
		list, ok = s.list, true
	}
	if ok {
		defer s.mu.RUnlock()
		return cut(list)
	}
	s.mu.RUnlock()
	// Not sorted this way since the last change: sort under the write
	// lock, so that the cache is filled once.
	s.mu.Lock()
	defer s.mu.Unlock()
	if list, ok = s.sorted[field]; !ok {
		key := sortKeys[field]
		list = slices.Clone(s.list)
		slices.SortStableFunc(list, func(a, b *record) int { return cmp.Compare(key(a), key(b)) }) // stable: ties keep id order
		s.sorted[field] = list
	}
	return cut(list)
}

func byID(e *record, id int) int { return cmp.Compare(e.id, id) }

// put stores r in place of the record with its id, if any; mu must be
// held for writing.
func (s *store) put(r *record) {
	i, found := slices.BinarySearchFunc(s.list, r.id, byID)
	if found {
		s.unname(s.list[i])
		s.list[i] = r
	} else {
		s.list = slices.Insert(s.list, i, r)
	}
	s.byID[r.id] = r
	named := s.byName[r.name]
	j, _ := slices.BinarySearchFunc(named, r.id, byID)
	s.byName[r.name] = slices.Insert(named, j, r)
	clear(s.sorted)
}

func (s *store) unname(old *record) {
	named := slices.DeleteFunc(slices.Clone(s.byName[old.name]), func(e *record) bool { return e == old })
	if len(named) == 0 {
		delete(s.byName, old.name)
	} else {
		s.byName[old.name] = named
	}
}

func (s *store) delete(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byID[id]
	if !ok {
		return false
	}
	i, _ := slices.BinarySearchFunc(s.list, id, byID)
	s.list = slices.Delete(s.list, i, i+1)
	delete(s.byID, id)
	s.unname(old)
	clear(s.sorted)
	return true
}

// Keys that only one endpoint's customer shape has: the list adds
// listOnly to the matching_name item; the detail adds detailOnly and has
// neither the list's extras nor (in the vendor's samples) the other way
// round. A record written in any of these shapes is served in each.
var (
	listOnly   = []string{"user_third_userid", "last_revist_log_content", "last_called_at"}
	detailOnly = []string{"note", "source", "source_mapped", "industry", "industry_mapped", "parent", "staff_size",
		"is_own", "attachments", "company_name", "qixinbao_id", "creator", "before_user", "not_revisit_at_time_str",
		"history_contarct_money", "total_have_receive_pay", "total_not_receive_pay", "is_editable", "flow_into_at",
		"expect_flow_at", "will_flow_time", "revisit_remind_at"}
)

func without(m map[string]any, keys ...[]string) map[string]any {
	out := maps.Clone(m)
	for _, ks := range keys {
		for _, k := range ks {
			delete(out, k)
		}
	}
	return out
}

// listView is the customer as the list writes it.
func (rec *record) listView() any {
	if rec.wire == nil {
		return rec.listItem()
	}
	m := without(rec.wire, detailOnly)
	for _, k := range listOnly {
		if _, ok := m[k]; !ok {
			m[k] = nil // the list always has them
		}
	}
	return m
}

// itemView is the customer as matching_name writes it.
func (rec *record) itemView() any {
	if rec.wire == nil {
		return rec.item()
	}
	return without(rec.wire, detailOnly, listOnly)
}

// detailView is the customer as customers/{id} writes it: contacts carry
// only the phone part of their address.
func (rec *record) detailView() any {
	if rec.wire == nil {
		return rec.detail()
	}
	m := without(rec.wire, listOnly)
	if _, ok := m["note"]; !ok {
		m["note"] = "" // the gateway reads the note from here
	}
	contacts := []any{}
	for _, c := range rec.wireContacts() {
		a, _ := c["address"].(map[string]any)
		contacts = append(contacts, map[string]any{
			"id": c["id"], "name": c["name"], "wx_external_userid": c["wx_external_userid"], "wx_contact_type": c["wx_contact_type"],
			"address": map[string]any{"id": a["id"], "tel": orEmpty(a["tel"]), "tel_hidden_result": orEmpty(a["tel_hidden_result"]),
				"phone": a["phone"], "phone_hidden_result": orEmpty(a["phone_hidden_result"])},
		})
	}
	m["contacts"] = contacts
	return m
}

// contactViews are the customer's contacts as customers/{id}/contacts
// writes them: the full address, lat/lng as numbers.
func (rec *record) contactViews() []any {
	if rec.wire == nil {
		out := make([]any, 0, len(rec.contacts))
		for _, cr := range rec.contacts {
			out = append(out, rec.contact(cr))
		}
		return out
	}
	hidden, _ := rec.wire["need_hidden_dispose"].(bool)
	out := []any{}
	for _, c := range rec.wireContacts() {
		// Defaults for what a list item's contact lacks; what it has wins.
		m := map[string]any{"name_pinyin": nil, "user_id": rec.wire["user_id"], "user_name": rec.wire["user_name"],
			"department": "", "category": "", "category_mapped": "", "gender": "", "gender_i18n": "",
			"birth_date": nil, "job": "", "is_own": true, "have_image": false, "need_hidden_dispose": hidden, "is_user_self": false}
		maps.Copy(m, c)
		m["customer_id"], m["customer_name"] = rec.id, rec.name
		a, _ := c["address"].(map[string]any)
		detail, _ := a["detail_address"].(string)
		region, _ := a["region_info"].(string)
		m["address"] = map[string]any{"id": a["id"], "tel": orEmpty(a["tel"]), "tel_hidden_result": orEmpty(a["tel_hidden_result"]),
			"phone": a["phone"], "phone_hidden_result": orEmpty(a["phone_hidden_result"]), "qq": a["qq"], "email": a["email"],
			"lng": number(a["lng"]), "lat": number(a["lat"]), "detail_address": detail, "off_distance": -1, "url": a["url"],
			"gaode_staticmap": "", "full_address": region + detail}
		out = append(out, m)
	}
	return out
}

func (rec *record) wireContacts() []map[string]any {
	list, _ := rec.wire["contacts"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, c := range list {
		out = append(out, c.(map[string]any)) // checkWire made sure
	}
	return out
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// number turns the list's string lat/lng into the contacts endpoint's
// float (0.0 when unknown).
func number(v any) float {
	var f float64
	switch x := v.(type) {
	case string:
		f, _ = strconv.ParseFloat(x, 64)
	case json.Number:
		f, _ = x.Float64()
	}
	return float(f)
}

// checkWire checks a customer list item enough that every endpoint can
// be served from it, and reads the keys the store indexes.
func checkWire(m map[string]any) (name, created, updated string, err error) {
	var ok bool
	if name, ok = m["name"].(string); !ok || name == "" {
		return "", "", "", errors.New("name must be a non-empty string")
	}
	for _, f := range []struct {
		key string
		to  *string
	}{{"created_at", &created}, {"updated_at", &updated}} {
		v, ok := wire.String(m, f.key)
		if !ok {
			return "", "", "", fmt.Errorf("%s must be a string", f.key)
		}
		if v != "" {
			if _, err := time.Parse(entityTime, v); err != nil {
				return "", "", "", fmt.Errorf("%s %q: want YYYY-MM-DD HH:mm (Beijing time)", f.key, v)
			}
		}
		*f.to = v
	}
	if a, ok := m["address"]; ok && a != nil {
		if _, ok := a.(map[string]any); !ok {
			return "", "", "", errors.New("address must be an object or null")
		}
	}
	if cs, ok := m["contacts"]; ok && cs != nil {
		list, ok := cs.([]any)
		if !ok {
			return "", "", "", errors.New("contacts must be an array")
		}
		for i, c := range list {
			cm, ok := c.(map[string]any)
			if !ok {
				return "", "", "", fmt.Errorf("contacts[%d] must be an object", i)
			}
			if a, ok := cm["address"]; ok && a != nil {
				if _, ok := a.(map[string]any); !ok {
					return "", "", "", fmt.Errorf("contacts[%d].address must be an object or null", i)
				}
			}
		}
	}
	return name, created, updated, nil
}

// Records are CRM customers read from their wire format (list items with
// their address and contacts), ready to be served in place of generated
// ones.
type Records struct{ list []*record }

// Len is how many records there are.
func (r *Records) Len() int { return len(r.list) }

// ParseRecords reads a JSON array of customer list items. Each needs a
// positive, unique integer id and a name; created_at/updated_at, when
// there, are "YYYY-MM-DD HH:mm"; address is an object, contacts an array
// of objects. Errors name the record.
func ParseRecords(data []byte) (*Records, error) {
	items, err := wire.Array(data)
	if err != nil {
		return nil, err
	}
	out := &Records{list: make([]*record, 0, len(items))}
	seen := make(map[int]bool, len(items))
	for i, m := range items {
		n, _ := m["id"].(json.Number)
		id, err := strconv.Atoi(string(n))
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("record %d: id must be a positive integer", i)
		}
		if seen[id] {
			return nil, fmt.Errorf("record %d (id %d): the id is already used by an earlier record", i, id)
		}
		seen[id] = true
		name, created, updated, err := checkWire(m)
		if err != nil {
			return nil, fmt.Errorf("record %d (id %d): %w", i, id, err)
		}
		m["id"] = id
		out.list = append(out.list, &record{id: id, name: name, createdAt: created, updatedAt: updated, wire: m})
	}
	slices.SortFunc(out.list, func(a, b *record) int { return cmp.Compare(a.id, b.id) })
	return out, nil
}

// PutRecord creates or replaces the customer with id from body, a list
// item; the id is id whatever the body says. As the CRM does on a save,
// updated_at becomes now and created_at stays (now for a new customer),
// both "YYYY-MM-DD HH:mm" Beijing time. It returns the stored customer as
// the list writes it and whether it was created. An error means a bad id
// or body (the caller's fault).
func (s *Server) PutRecord(id string, body []byte) (stored json.RawMessage, created bool, err error) {
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		return nil, false, fmt.Errorf("id %q: want a positive integer", id)
	}
	m, err := wire.Object(body)
	if err != nil {
		return nil, false, err
	}
	delete(m, "created_at") // set below: the CRM's, not the writer's
	delete(m, "updated_at")
	name, _, _, err := checkWire(m)
	if err != nil {
		return nil, false, err
	}
	st := s.records
	st.mu.Lock()
	now := s.now().In(fixture.Shanghai).Format(entityTime)
	createdAt := now
	old, exists := st.byID[n]
	if exists && old.createdAt != "" {
		createdAt = old.createdAt
	}
	m["id"], m["created_at"], m["updated_at"] = n, createdAt, now
	rec := &record{id: n, name: name, createdAt: createdAt, updatedAt: now, wire: m}
	st.put(rec)
	st.mu.Unlock()
	stored, err = wire.Marshal(rec.listView())
	return stored, !exists, err
}

// DeleteRecord removes the customer with id; false when there is none.
func (s *Server) DeleteRecord(id string) bool {
	n, err := strconv.Atoi(id)
	return err == nil && s.records.delete(n)
}

// Identities maps the id of every generated customer still held to the
// truth about it (its fixture company and how it varies).
func (s *Server) Identities() map[string]fixture.Label {
	s.records.mu.RLock()
	defer s.records.mu.RUnlock()
	out := map[string]fixture.Label{}
	for _, r := range s.records.list {
		if r.co != nil {
			out[strconv.Itoa(r.id)] = r.co.Label()
		}
	}
	return out
}
