package graph_test

import (
	"context"
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
