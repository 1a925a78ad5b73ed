package graph_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestBadUserInput(t *testing.T) {
	e := newEnv(t)
	e.sim.Reset()
	tests := []struct {
		name  string
		query string
	}{
		{"id without source", `{ customer(id: "00000001") { id } }`},
		{"unknown source", `{ customer(id: "sap:1") { id } }`},
		{"empty key", `{ customer(id: "u8:") { id } }`},
		{"non-numeric CRM id", `{ customer(id: "crm:abc") { id } }`},
		{"bad id among many", `{ customersByIds(ids: ["u8:00000001", "ycm:x"]) { id } }`},
		{"node with bad id", `{ node(id: "nope") { id } }`},
		{"selfDefine 0", `{ customer(id: "u8:00000001") { u8 { selfDefine(index: 0) } } }`},
		{"selfDefine 17", `{ customer(id: "u8:00000001") { u8 { selfDefine(index: 17) } } }`},
		{"first 0", `{ customers(first: 0) { totalCount } }`},
		{"first 101", `{ customers(first: 101) { totalCount } }`},
		{"bad cursor", `{ customers(after: "garbage") { totalCount } }`},
		{"bad DateTime", `{ customers(filter: {updatedSince: "yesterday"}) { totalCount } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, tt.query, nil)
			if len(resp.Errors) == 0 {
				t.Fatalf("no error; data %s", resp.Data)
			}
			if code := resp.Errors[0].Extensions["code"]; code != "BAD_USER_INPUT" {
				t.Errorf("code %v (%s), want BAD_USER_INPUT", code, resp.Errors[0].Message)
			}
		})
	}
	// Only the selfDefine cases may reach a vendor: they need the record.
	if n := e.stats().Total("crm ") + e.stats().Total("ycm "); n != 0 {
		t.Errorf("bad input cost %d YCM/CRM calls, want 0: %v", n, e.stats().Calls)
	}
}

func TestCursorFromOtherQueryIsRefused(t *testing.T) {
	e := newEnv(t)
	var page struct {
		Customers struct {
			PageInfo struct{ EndCursor string } `json:"pageInfo"`
		} `json:"customers"`
	}
	e.ok(t, `{ customers(sources: [U8], first: 5) { pageInfo { endCursor } } }`, nil, &page)
	resp := e.do(t, `query($a: String) { customers(sources: [CRM], first: 5, after: $a) { totalCount } }`,
		map[string]any{"a": page.Customers.PageInfo.EndCursor})
	if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Fatalf("got %+v, want BAD_USER_INPUT", resp.Errors)
	}
}

func TestMissingIDsAreNullNotErrors(t *testing.T) {
	e := newEnv(t)
	resp := e.do(t, `{ customersByIds(ids: ["u8:99999999", "u8:00000002", "ycm:1", "crm:1", "u8:00000002"]) { id }
	  customer(id: "crm:999999") { id } node(id: "ycm:2") { id } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors for missing ids: %+v", resp.Errors)
	}
	want := `{"customer":null,"customersByIds":[null,{"id":"u8:00000002"},null,null,{"id":"u8:00000002"}],"node":null}`
	if string(resp.Data) != want {
		t.Errorf("got %s, want %s", resp.Data, want)
	}
	if n := e.stats().Calls["u8 GET /api/customer/get"]; n != 2 {
		t.Errorf("u8 customer/get called %d times, want 2 (the repeated id is loaded once)", n)
	}
}

func TestUpstreamCallCounts(t *testing.T) {
	e := newEnv(t)
	e.warmIndex(t)

	t.Run("20-customer page with matches", func(t *testing.T) {
		e.sim.Reset()
		var got struct {
			Customers struct {
				Nodes []struct {
					Name    string
					Matches []struct{ ID, Name string }
				}
			}
		}
		e.ok(t, `{ customers(sources: [U8], first: 20) { nodes { name matches { id name } } } }`, nil, &got)
		names := map[string]bool{}
		matched := 0
		for _, n := range got.Customers.Nodes {
			names[n.Name] = true
			for _, m := range n.Matches {
				if m.Name != n.Name {
					t.Errorf("%s matched %s", n.Name, m.Name)
				}
				matched++
			}
		}
		st := e.stats()
		t.Logf("calls: %v (%d matches found)", st.Calls, matched)
		if len(got.Customers.Nodes) != 20 || matched == 0 {
			t.Fatalf("got %d nodes and %d matches, want 20 and some", len(got.Customers.Nodes), matched)
		}
		if n := st.Calls["u8 GET /api/customer/batch_get"]; n != 1 {
			t.Errorf("U8 list calls %d, want 1", n)
		}
		if n := st.Calls["crm GET /api/v2/duplicates/matching_name"]; n != len(names) {
			t.Errorf("CRM name lookups %d, want %d (one per distinct name)", n, len(names))
		}
		if n := st.Total("ycm "); n != 0 {
			t.Errorf("YCM calls %d, want 0 (names come from the index)", n)
		}
		if n := st.Total("u8 ") + st.Total("crm "); n != 1+len(names) {
			t.Errorf("U8+CRM calls %d, want %d: %v", n, 1+len(names), st.Calls)
		}
	})

	t.Run("same selection under two aliases costs nothing more", func(t *testing.T) {
		e.sim.Reset()
		e.ok(t, `{ a: customers(sources: [U8], first: 20) { nodes { name matches { id } } }
		           b: customers(sources: [U8], first: 20) { nodes { name matches { id } } } }`, nil, &struct{}{})
		once := e.stats()
		e.sim.Reset()
		e.ok(t, `{ a: customers(sources: [U8], first: 20) { nodes { name matches { id } } } }`, nil, &struct{}{})
		single := e.stats()
		lookups := func(s interface{ Total(string) int }) int { return s.Total("crm ") + s.Total("ycm ") }
		if lookups(once) != lookups(single) {
			t.Errorf("two aliases cost %d name lookups, one costs %d", lookups(once), lookups(single))
		}
	})

	t.Run("100 YCM records cost two list calls", func(t *testing.T) {
		e.sim.Reset()
		var got struct {
			Customers struct{ Nodes []struct{ ID string } }
		}
		e.ok(t, `{ customers(sources: [YCM], first: 100) { nodes { id } } }`, nil, &got)
		if len(got.Customers.Nodes) != perSource {
			t.Errorf("got %d records, want all %d", len(got.Customers.Nodes), perSource)
		}
		// perSource < 100: the second page of 50 is still asked for.
		if n := e.stats().Calls["ycm GET /dm/open_api/v1/customers"]; n != 2 {
			t.Errorf("YCM list calls %d, want 2", n)
		}
	})
}

func TestPagingVisitsEveryRecordOnce(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		sources string
		first   int
		filter  string
		want    int
	}{
		{"[U8, YCM, CRM]", 37, "", 3 * perSource},
		{"[CRM, U8]", 7, "", 2 * perSource},
		{"[YCM]", 50, "", perSource},
		{"[U8, YCM, CRM]", 20, `{name: "有限公司"}`, -1},
	} {
		t.Run(fmt.Sprintf("%s first %d %s", tc.sources, tc.first, tc.filter), func(t *testing.T) {
			seen := map[string]int{}
			after := ""
			total := -1
			for pages := 0; ; pages++ {
				if pages > 200 {
					t.Fatal("paging did not end")
				}
				filter := ""
				if tc.filter != "" {
					filter = ", filter: " + tc.filter
				}
				var got struct {
					Customers struct {
						TotalCount *int
						Edges      []struct {
							Cursor string
							Node   struct{ ID, Name string }
						}
						PageInfo struct {
							HasNextPage bool
							EndCursor   *string
						}
					}
				}
				e.ok(t, fmt.Sprintf(`query($a: String) { customers(sources: %s, first: %d, after: $a%s) {
				  totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`,
					tc.sources, tc.first, filter), map[string]any{"a": after}, &got)
				c := got.Customers
				if len(c.Edges) > tc.first {
					t.Fatalf("page of %d, first was %d", len(c.Edges), tc.first)
				}
				if c.TotalCount != nil {
					total = *c.TotalCount
				}
				for _, ed := range c.Edges {
					seen[ed.Node.ID]++
					if tc.filter != "" && !strings.Contains(ed.Node.Name, "有限公司") {
						t.Errorf("%s %q does not match the filter", ed.Node.ID, ed.Node.Name)
					}
				}
				if !c.PageInfo.HasNextPage {
					break
				}
				after = *c.PageInfo.EndCursor
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s seen %d times", id, n)
				}
			}
			if tc.want >= 0 {
				if len(seen) != tc.want {
					t.Errorf("visited %d records, want %d", len(seen), tc.want)
				}
				if total != tc.want {
					t.Errorf("totalCount %d, want %d", total, tc.want)
				}
			} else if len(seen) == 0 {
				t.Error("the filter matched nothing")
			}
		})
	}
}

func TestResumeFromAnyEdgeCursor(t *testing.T) {
	e := newEnv(t)
	type page struct {
		Customers struct {
			Edges []struct {
				Cursor string
				Node   struct{ ID string }
			}
		}
	}
	var all page
	e.ok(t, `{ customers(first: 30) { edges { cursor node { id } } } }`, nil, &all)
	// Resuming after edge k must give exactly what follows it in a walk.
	for _, k := range []int{0, 9, 10, 19, 25} {
		var next page
		e.ok(t, `query($a: String) { customers(first: 30, after: $a) { edges { node { id } } } }`,
			map[string]any{"a": all.Customers.Edges[k].Cursor}, &next)
		seenBefore := map[string]bool{}
		for _, ed := range all.Customers.Edges[:k+1] {
			seenBefore[ed.Node.ID] = true
		}
		for _, ed := range next.Customers.Edges {
			if seenBefore[ed.Node.ID] {
				t.Errorf("after edge %d: %s returned again", k, ed.Node.ID)
			}
		}
		for _, ed := range all.Customers.Edges[k+1:] {
			found := false
			for _, n := range next.Customers.Edges {
				found = found || n.Node.ID == ed.Node.ID
			}
			if !found && len(next.Customers.Edges) == 30 {
				continue // pushed to a later page by the equal shares
			}
			if !found {
				t.Errorf("after edge %d: %s skipped", k, ed.Node.ID)
			}
		}
	}
}

func TestOneSourceFailingGivesPartialResults(t *testing.T) {
	e := newEnv(t)
	e.sim.Faults("crm").Set(0, 1)
	resp := e.do(t, `{ customers(first: 30) { totalCount nodes { id source } } }`, nil)
	var got struct {
		Customers struct {
			TotalCount *int
			Nodes      []struct{ ID, Source string }
		}
	}
	if err := jsonUnmarshal(resp.Data, &got); err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int{}
	for _, n := range got.Customers.Nodes {
		bySource[n.Source]++
	}
	if bySource["U8"] != 10 || bySource["YCM"] != 10 || bySource["CRM"] != 0 {
		t.Errorf("got %v, want 10 U8, 10 YCM, 0 CRM", bySource)
	}
	if got.Customers.TotalCount != nil {
		t.Errorf("totalCount %d, want null while a source fails", *got.Customers.TotalCount)
	}
	if len(resp.Errors) != 1 {
		t.Fatalf("got %d errors, want 1: %+v", len(resp.Errors), resp.Errors)
	}
	ext := resp.Errors[0].Extensions
	if ext["code"] != "DOWNSTREAM_SERVICE_ERROR" || ext["serviceName"] != "CRM" {
		t.Errorf("extensions %v", ext)
	}
	switch ext["reason"] {
	case "UNAVAILABLE", "REJECTED", "BAD_RESPONSE", "TIMEOUT":
	default:
		t.Errorf("reason %v", ext["reason"])
	}
	if fmt.Sprint(resp.Errors[0].Path) != "[customers]" {
		t.Errorf("path %v, want [customers]", resp.Errors[0].Path)
	}
	if !strings.HasPrefix(resp.Errors[0].Message, "CRM: ") {
		t.Errorf("message %q", resp.Errors[0].Message)
	}

	// sources reports the failure, masked.
	var st struct {
		Sources []struct {
			Source    string
			Healthy   bool
			Circuit   string
			LastError *string
		}
	}
	e.ok(t, `{ sources { source healthy circuit lastError } }`, nil, &st)
	for _, s := range st.Sources {
		if (s.Source == "CRM") == s.Healthy {
			t.Errorf("%s healthy=%v", s.Source, s.Healthy)
		}
		if s.Source == "CRM" && (s.LastError == nil || strings.Contains(*s.LastError, "http")) {
			t.Errorf("CRM lastError %v", s.LastError)
		}
	}
}

func TestCustomersByNameAndFederationEntities(t *testing.T) {
	// The gateway's cache would answer the records the list brought: the
	// entities' cost is measured without it.
	e := newEnv(t, map[string]string{"CUSTGRAPH_U8_CACHE_TTL": "0"})
	e.warmIndex(t)
	// A name present in more than one source.
	var got struct {
		Customers struct {
			Nodes []struct {
				Name    string
				Matches []struct{ ID string }
			}
		}
	}
	e.ok(t, `{ customers(sources: [U8], first: 60) { nodes { name matches { id } } } }`, nil, &got)
	name := ""
	for _, n := range got.Customers.Nodes {
		if len(n.Matches) >= 2 {
			name = n.Name
			break
		}
	}
	if name == "" {
		t.Fatal("no U8 customer is in all three sources")
	}
	var byName struct {
		CustomersByName []struct{ ID, Name string }
	}
	e.ok(t, `query($n: String!) { customersByName(name: $n) { id name } }`, map[string]any{"n": name}, &byName)
	if len(byName.CustomersByName) < 3 {
		t.Errorf("customersByName(%s) = %v, want a record in each source", name, byName.CustomersByName)
	}

	e.sim.Reset()
	var ents struct {
		Entities []*struct{ ID, Name string } `json:"_entities"`
	}
	reps := []map[string]any{}
	for i := 1; i <= 10; i++ {
		reps = append(reps, map[string]any{"__typename": "Customer", "id": fmt.Sprintf("u8:%08d", i)})
	}
	reps = append(reps, map[string]any{"__typename": "Customer", "id": "crm:999999"})
	e.ok(t, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }`,
		map[string]any{"r": reps}, &ents)
	if len(ents.Entities) != 11 || ents.Entities[0] == nil || ents.Entities[0].ID != "u8:00000001" || ents.Entities[10] != nil {
		t.Errorf("entities %+v", ents.Entities)
	}
	if n := e.stats().Total("u8 GET /api/customer/get"); n != 10 {
		t.Errorf("U8 gets %d, want 10 (one per distinct entity)", n)
	}
	var svc struct {
		Service struct{ SDL string } `json:"_service"`
	}
	e.ok(t, `{ _service { sdl } }`, nil, &svc)
	if !strings.Contains(svc.Service.SDL, `@key(fields: "id")`) || !strings.Contains(svc.Service.SDL, "federation/v2") {
		t.Errorf("SDL lacks the Customer key or the federation v2 link")
	}
}
