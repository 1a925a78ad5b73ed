package graph_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"custgraph/internal/customer"
)

// newDirectoryEnv is newEnv with the directory on and every source's copy
// READY. Its sync comes back only after an hour, so that the calls a test
// counts are the requests' own (tests of changes set a shorter interval).
func newDirectoryEnv(t *testing.T, extra ...map[string]string) *env {
	t.Helper()
	settings := map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_SYNC_INTERVAL": "1h", "CUSTGRAPH_SYNC_YCM_PACE": "0"}
	e := newEnv(t, append([]map[string]string{settings}, extra...)...)
	e.waitReady(t)
	return e
}

// waitReady waits until every source's copy is READY.
func (e *env) waitReady(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		ready := true
		for _, src := range customer.AllSources {
			if st := e.svc.DirectoryStatus(src); st == nil || st.State != customer.DirectoryReady {
				ready = false
			}
		}
		if ready {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the directory did not become READY: %+v", e.svc.Statuses(nil))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type listPage struct {
	Customers struct {
		TotalCount *int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Nodes []struct {
			ID, Name string
		}
	}
}

func TestDirectoryServesSourcesAndOrderWithoutCalls(t *testing.T) {
	e := newDirectoryEnv(t)
	var st struct {
		Sources []struct {
			Source    string
			Directory struct {
				State   string
				Records int
			}
		}
	}
	e.ok(t, `{ sources { source directory { state records lastSyncedAt lagSeconds } } }`, nil, &st)
	for _, s := range st.Sources {
		if s.Directory.State != "READY" || s.Directory.Records != perSource {
			t.Errorf("%s: directory %+v, want READY with %d records", s.Source, s.Directory, perSource)
		}
	}

	e.sim.Reset()
	seen := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		var p listPage
		vars := map[string]any{}
		q := `query($after: String) { customers(first: 25, after: $after, orderBy: {field: NAME}) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }`
		if after != "" {
			vars["after"] = after
		}
		e.ok(t, q, vars, &p)
		if p.Customers.TotalCount == nil || *p.Customers.TotalCount != 3*perSource {
			t.Fatalf("totalCount %v, want %d", p.Customers.TotalCount, 3*perSource)
		}
		for _, n := range p.Customers.Nodes {
			if seen[n.ID] {
				t.Fatalf("%s served twice", n.ID)
			}
			seen[n.ID] = true
		}
		if !p.Customers.PageInfo.HasNextPage {
			break
		}
		after = *p.Customers.PageInfo.EndCursor
	}
	if len(seen) != 3*perSource {
		t.Errorf("walked %d records, want %d", len(seen), 3*perSource)
	}
	if s := e.stats(); s.Total("") != 0 {
		t.Errorf("ordered walk made vendor calls: %v", s.Calls)
	}
}

// names lists the names of a query's customers.
func (e *env) listNames(t *testing.T, query string, vars map[string]any) (names []string, total *int) {
	t.Helper()
	var p listPage
	e.ok(t, query, vars, &p)
	for _, n := range p.Customers.Nodes {
		names = append(names, n.Name)
	}
	return names, p.Customers.TotalCount
}

// walkNames walks every record in NAME order, pages of first, and
// returns their names.
func (e *env) walkNames(t *testing.T, first int) []string {
	t.Helper()
	var names []string
	vars := map[string]any{"first": first}
	for {
		var p listPage
		e.ok(t, `query($first: Int, $after: String) { customers(first: $first, after: $after, orderBy: {field: NAME}) { pageInfo { hasNextPage endCursor } nodes { name } } }`, vars, &p)
		for _, n := range p.Customers.Nodes {
			names = append(names, n.Name)
		}
		if !p.Customers.PageInfo.HasNextPage {
			return names
		}
		vars["after"] = *p.Customers.PageInfo.EndCursor
	}
}

// someName is a name the simulated sources hold, to search parts of.
func (e *env) someName(t *testing.T) string {
	t.Helper()
	var p listPage
	e.ok(t, `{ customers(first: 1, sources: [CRM], orderBy: {field: NAME}) { nodes { id name } } }`, nil, &p)
	if len(p.Customers.Nodes) == 0 {
		t.Fatal("no CRM record")
	}
	return p.Customers.Nodes[0].Name
}

func TestDirectorySearch(t *testing.T) {
	e := newDirectoryEnv(t)
	name := []rune(e.someName(t))
	// Every record, to count what each search must find.
	all := e.walkNames(t, 100)
	fullWidth := func(s string) string {
		var out []rune
		for _, r := range s {
			if r >= '!' && r <= '~' {
				r += 0xFEE0
			}
			out = append(out, r)
		}
		return string(out)
	}
	e.sim.Reset()
	tests := []struct {
		name, give, in string
	}{
		{"one character", string(name[0]), string(name[0])},
		{"two characters", string(name[:2]), string(name[:2])},
		{"three or more", string(name[1:5]), string(name[1:5])},
		{"spaces inside", string(name[:2]) + " " + string(name[2:4]), string(name[:4])},
		{"full-width", fullWidth(string(name[:3])), string(name[:3])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for _, n := range all {
				if strings.Contains(n, tt.in) {
					want++
				}
			}
			got, total := e.listNames(t, `query($s: String) { customers(first: 100, filter: {search: $s}, orderBy: {field: NAME}) { totalCount nodes { name } } }`, map[string]any{"s": tt.give})
			if total == nil || *total < want {
				t.Fatalf("search %q: totalCount %v, want at least the %d names holding %q", tt.give, total, want, tt.in)
			}
			if len(got) == 0 {
				t.Fatalf("search %q found nothing", tt.give)
			}
		})
	}
	if s := e.stats(); s.Total("") != 0 {
		t.Errorf("searches made vendor calls: %v", s.Keys())
	}
}

func TestDirectoryPinyinOrderAcrossPages(t *testing.T) {
	e := newDirectoryEnv(t)
	names := e.walkNames(t, 7)
	if len(names) != 3*perSource {
		t.Fatalf("walked %d names, want %d", len(names), 3*perSource)
	}
	for i := 1; i < len(names); i++ {
		if bytes.Compare(customer.NameSortKey(names[i-1]), customer.NameSortKey(names[i])) > 0 {
			t.Fatalf("%q before %q: not pinyin order", names[i-1], names[i])
		}
	}
	// Descending is the same walk reversed.
	desc, _ := e.listNames(t, `{ customers(first: 5, orderBy: {field: NAME, direction: DESC}) { nodes { name } } }`, nil)
	for i, n := range desc {
		if want := names[len(names)-1-i]; n != want {
			t.Errorf("DESC[%d] = %q, want %q", i, n, want)
		}
	}
}

func TestDirectoryPhoneLookup(t *testing.T) {
	e := newDirectoryEnv(t)
	// A mobile some record holds.
	var withPhone struct {
		Customers struct {
			Nodes []struct {
				ID     string
				Phones []struct{ Kind, Number string }
			}
		}
	}
	e.ok(t, `{ customers(first: 100, sources: [U8], orderBy: {field: NAME}) { nodes { id phones { kind number } } } }`, nil, &withPhone)
	var id, mobile string
	for _, n := range withPhone.Customers.Nodes {
		for _, p := range n.Phones {
			if p.Kind == "MOBILE" && len(p.Number) == 11 {
				id, mobile = n.ID, p.Number
			}
		}
	}
	if mobile == "" {
		t.Fatal("no U8 record with an 11-digit mobile")
	}
	e.sim.Reset()
	for _, give := range []string{
		mobile,
		"+86 " + mobile[:3] + "-" + mobile[3:7] + "-" + mobile[7:],
		"0086" + mobile,
		"86" + mobile,
		"(+86) " + mobile[:3] + " " + mobile[3:7] + " " + mobile[7:],
	} {
		var got struct {
			CustomersByPhone []struct{ ID string }
		}
		e.ok(t, `query($n: String!) { customersByPhone(number: $n) { id } }`, map[string]any{"n": give}, &got)
		found := false
		for _, c := range got.CustomersByPhone {
			found = found || c.ID == id
		}
		if !found {
			t.Errorf("customersByPhone(%q) = %v, want it to hold %s", give, got.CustomersByPhone, id)
		}
	}
	if s := e.stats(); s.Total("") != 0 {
		t.Errorf("phone lookups made vendor calls: %v", s.Keys())
	}
}

func TestDirectoryMatchesCostNoCall(t *testing.T) {
	e := newDirectoryEnv(t)
	e.sim.Reset()
	var p struct {
		Customers struct {
			Nodes []struct {
				ID      string
				Matches []struct{ ID string }
			}
		}
	}
	e.ok(t, `{ customers(first: 100, orderBy: {field: NAME}) { nodes { id name matches { id name } } } }`, nil, &p)
	links := 0
	for _, n := range p.Customers.Nodes {
		links += len(n.Matches)
	}
	if links == 0 {
		t.Error("no record matched another: the simulators hold shared names")
	}
	if s := e.stats(); s.Total("") != 0 {
		t.Errorf("a page with matches made vendor calls: %v", s.Keys())
	}
	// By key too, except the CRM note, read live only when selected.
	e.sim.Reset()
	e.ok(t, `{ customersByIds(ids: ["u8:`+firstKey(t, e, "U8")+`", "ycm:`+firstKey(t, e, "YCM")+`"]) { id name phones { number } } }`, nil, &struct{}{})
	if s := e.stats(); s.Total("") != 0 {
		t.Errorf("by-key reads of synced records made vendor calls: %v", s.Keys())
	}
	e.sim.Reset()
	crm := "crm:" + firstKey(t, e, "CRM")
	var note struct{ Customer struct{ Remark *string } }
	e.ok(t, `query($id: ID!) { customer(id: $id) { remark } }`, map[string]any{"id": crm}, &note)
	if got := e.stats().Total("crm GET /api/v2/customers/{id}"); got != 1 {
		t.Errorf("the CRM note of a synced record cost %d detail calls, want 1", got)
	}
}

// firstKey is the source key of the first record of src in name order.
func firstKey(t *testing.T, e *env, src string) string {
	t.Helper()
	var p listPage
	e.ok(t, `query($s: [Source!]) { customers(first: 1, sources: $s, orderBy: {field: NAME}) { nodes { id } } }`, map[string]any{"s": []string{src}}, &p)
	_, key, _ := strings.Cut(p.Customers.Nodes[0].ID, ":")
	return key
}

func TestDirectoryBadInputAndOff(t *testing.T) {
	e := newDirectoryEnv(t)
	tests := []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"empty search", `{ customers(filter: {search: ""}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"blank search", `{ customers(filter: {search: "  　"}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"first too large", `{ customers(first: 101, filter: {search: "公司"}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"first zero", `{ customers(first: 0, orderBy: {field: NAME}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"bad cursor", `{ customers(after: "nope", orderBy: {field: NAME}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"unparsable phone", `{ customersByPhone(number: "not a phone") { id } }`, nil, "BAD_USER_INPUT"},
		{"empty phone", `{ customersByPhone(number: "") { id } }`, nil, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, tt.query, tt.vars)
			if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != tt.code {
				t.Fatalf("errors %+v, want code %s", resp.Errors, tt.code)
			}
		})
	}
	// A cursor of one order is refused by another.
	var p listPage
	e.ok(t, `{ customers(first: 2, orderBy: {field: NAME}) { pageInfo { endCursor } nodes { id } } }`, nil, &p)
	resp := e.do(t, `query($a: String) { customers(first: 2, after: $a, orderBy: {field: UPDATED_AT}) { totalCount } }`, map[string]any{"a": *p.Customers.PageInfo.EndCursor})
	if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("a NAME cursor under UPDATED_AT: %+v, want BAD_USER_INPUT", resp.Errors)
	}

	off := newEnv(t) // the directory off
	for _, q := range []string{
		`{ customers(filter: {search: "公司"}) { totalCount nodes { id } } }`,
		`{ customers(orderBy: {field: NAME}) { totalCount nodes { id } } }`,
		`{ customersByPhone(number: "13811388661") { id } }`,
	} {
		resp := off.do(t, q, nil)
		if len(resp.Errors) != 3 {
			t.Fatalf("%s with the directory off: %d errors, want one per source: %+v", q, len(resp.Errors), resp.Errors)
		}
		for _, e := range resp.Errors {
			if e.Extensions["code"] != "DIRECTORY_UNAVAILABLE" || e.Extensions["directoryState"] != "OFF" || e.Extensions["serviceName"] == nil {
				t.Errorf("%s: %+v, want DIRECTORY_UNAVAILABLE, state OFF, per source", q, e)
			}
		}
	}
	var st struct {
		Sources []struct{ Directory *struct{ State string } }
	}
	off.ok(t, `{ sources { directory { state } } }`, nil, &st)
	for _, s := range st.Sources {
		if s.Directory != nil {
			t.Errorf("directory %+v with the directory off, want null", s.Directory)
		}
	}
}
