package graph_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
)

// TestMatchesPartialPerRow: a page's matches are resolved together (one
// batch resolver call), yet each row keeps its own result: with the CRM
// down, every row gets the sources that answered and the CRM's error at
// its own path; asked of the CRM alone, every row's matches fail at its
// own path, and the failure nulls what the schema says it must.
func TestMatchesPartialPerRow(t *testing.T) {
	e := newEnv(t, map[string]string{"CUSTGRAPH_RETRIES": "0"})
	e.warmIndex(t)
	e.sim.Faults("crm").SetDown(true)

	paths := func(resp gqlResponse) []string {
		var ps []string
		for _, er := range resp.Errors {
			if er.Extensions["code"] != "DOWNSTREAM_SERVICE_ERROR" {
				t.Errorf("error %q has code %v", er.Message, er.Extensions["code"])
			}
			ps = append(ps, fmt.Sprint(er.Path))
		}
		sort.Strings(ps)
		return ps
	}
	want := func(n int) []string {
		var ps []string
		for i := range n {
			ps = append(ps, fmt.Sprint([]any{"customers", "nodes", i, "matches"}))
		}
		sort.Strings(ps)
		return ps
	}

	t.Run("CRM and YCM", func(t *testing.T) {
		resp := e.do(t, `{ customers(sources: [U8], first: 40) { nodes { id matches(sources: [CRM, YCM]) { id source } } } }`, nil)
		var data struct {
			Customers struct {
				Nodes []struct {
					ID      string
					Matches []struct{ ID, Source string }
				}
			}
		}
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Customers.Nodes) != 40 {
			t.Fatalf("got %d rows, want 40: %s %+v", len(data.Customers.Nodes), resp.Data, resp.Errors)
		}
		ycm := 0
		for _, n := range data.Customers.Nodes {
			if n.Matches == nil {
				t.Errorf("%s: matches null, want the YCM's", n.ID)
			}
			for _, m := range n.Matches {
				if m.Source != "YCM" {
					t.Errorf("%s matched %s of %s while the CRM is down", n.ID, m.ID, m.Source)
				}
				ycm++
			}
		}
		if ycm == 0 {
			t.Errorf("no YCM match on the page: the test shows nothing")
		}
		if got := paths(resp); fmt.Sprint(got) != fmt.Sprint(want(40)) {
			t.Errorf("errors at %v, want one at each row's matches %v", got, want(40))
		}
	})

	t.Run("CRM alone", func(t *testing.T) {
		resp := e.do(t, `{ customers(sources: [U8], first: 5) { nodes { id matches(sources: [CRM]) { id } } } }`, nil)
		if got := paths(resp); fmt.Sprint(got) != fmt.Sprint(want(5)) {
			t.Errorf("errors at %v, want one at each row's matches %v", got, want(5))
		}
		// No source answered: every row's matches is empty beside its
		// error, and the page is still there.
		var data struct {
			Customers struct {
				Nodes []struct {
					ID      string
					Matches []struct{ ID string }
				}
			}
		}
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Customers.Nodes) != 5 {
			t.Fatalf("got %d rows, want 5: %s", len(data.Customers.Nodes), resp.Data)
		}
		for _, n := range data.Customers.Nodes {
			if n.Matches == nil || len(n.Matches) != 0 {
				t.Errorf("%s: matches %v, want []", n.ID, n.Matches)
			}
		}
	})
}

// TestMatchesBesideNullRows: customersByIds answers null for an ID that
// has no record, and gqlgen hands that null row to the matches batch
// resolver with its siblings. It panicked on it, failing every row's
// matches with an internal error.
func TestMatchesBesideNullRows(t *testing.T) {
	e := newEnv(t)
	e.warmIndex(t)
	for _, compiled := range []string{"on", "off"} {
		t.Run("compiled "+compiled, func(t *testing.T) {
			e := e
			if compiled == "off" {
				e = newEnv(t, map[string]string{"CUSTGRAPH_COMPILED": "off"})
				e.warmIndex(t)
			}
			var page struct {
				Customers struct{ Nodes []struct{ ID string } }
			}
			if err := json.Unmarshal(e.do(t, `{ customers(sources: [CRM], first: 1) { nodes { id } } }`, nil).Data, &page); err != nil || len(page.Customers.Nodes) != 1 {
				t.Fatalf("no CRM record: %v", err)
			}
			crm := page.Customers.Nodes[0].ID
			resp := e.do(t, `{ customersByIds(ids: ["u8:00000001", "u8:99999999", "`+crm+`"]) { id matches { id } } }`, nil)
			if len(resp.Errors) > 0 {
				t.Fatalf("errors: %+v", resp.Errors)
			}
			var data struct {
				CustomersByIds []*struct {
					ID      string
					Matches []struct{ ID string }
				}
			}
			if err := json.Unmarshal(resp.Data, &data); err != nil {
				t.Fatal(err)
			}
			rows := data.CustomersByIds
			if len(rows) != 3 || rows[0] == nil || rows[1] != nil || rows[2] == nil || rows[0].Matches == nil || rows[2].Matches == nil {
				t.Fatalf("want a row, null, a row, each row with its matches: %s", resp.Data)
			}
		})
	}
}
