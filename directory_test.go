package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/redistest"
	"custgraph/internal/sim"
)

// directoryState is each source's directory state as /readyz shows it
// (open, so that it needs no credentials; the same as sources shows).
func directoryState(t *testing.T, addr string) map[string]string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Sources []struct {
			Source    string
			Directory *struct{ State string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range d.Sources {
		if s.Directory != nil {
			out[s.Source] = s.Directory.State
		}
	}
	return out
}

// waitDirectoryReady waits (up to limit) until every source's copy at addr
// is READY.
func waitDirectoryReady(t *testing.T, addr string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st := directoryState(t, addr)
		if st["U8"] == "READY" && st["YCM"] == "READY" && st["CRM"] == "READY" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the directory at %s is not READY after %s: %v", addr, limit, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listCalls counts the simulators' list calls of every source.
func listCalls(s *simServer) int {
	st := s.Stats()
	return st.Calls["u8 GET /api/customer/batch_get"] + st.Calls["ycm GET /dm/open_api/v1/customers"] + st.Calls["crm GET /api/v2/customers"]
}

// searchIDs answers a search across sources, in name order, as IDs.
func searchIDs(t *testing.T, addr, search string) []string {
	t.Helper()
	resp := ask(t, addr, `query($s: String) { customers(first: 100, filter: {search: $s}, orderBy: {field: NAME}) { totalCount nodes { id } } }`, map[string]any{"s": search})
	if len(resp.Errors) > 0 {
		t.Fatalf("search %q: %+v", search, resp.Errors)
	}
	var d struct {
		Customers struct{ Nodes []struct{ ID string } }
	}
	if err := json.Unmarshal(resp.Data, &d); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range d.Customers.Nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

// TestDirectorySyncKeepsTheCRMQuota: the first sync of a CRM with the
// real quota (10 calls per 10 s) reads every record without a refusal,
// and a live request during it is answered promptly: the sync takes only
// the turns live calls leave.
func TestDirectorySyncKeepsTheCRMQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("spends the CRM's real quota for about 15 s")
	}
	rate := quota.Rate{N: 10, Per: 10 * time.Second}
	s := startSim(t, sim.Options{Seed: 21, Customers: 1400, CRMRate: rate})
	syncStart := time.Now()
	addr, _ := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_DATA_DIR": t.TempDir(),
		"CUSTGRAPH_CRM_RATE_LIMIT": rate.String(), "CUSTGRAPH_SYNC_INTERVAL": "1h", "CUSTGRAPH_SYNC_YCM_PACE": "0"}), "serve")

	// A live CRM request while the sync spends the quota.
	waitFor(t, "the CRM sync to spend its turns", func() bool { return s.Stats().Calls["crm GET /api/v2/customers"] >= 9 })
	if st := directoryState(t, addr); st["CRM"] != "SYNCING" {
		t.Fatalf("CRM directory %s after 9 of its 15 pages, want SYNCING", st["CRM"])
	}
	began := time.Now()
	resp := ask(t, addr, `{ customersByName(name: "x", sources: [CRM]) { id } }`, nil)
	took := time.Since(began)
	if len(resp.Errors) > 0 {
		t.Fatalf("live request during the sync: %+v", resp.Errors)
	}
	// The window is 10 s: a request queued behind the sync's turns would
	// wait most of one. With one turn kept free it waits at most about
	// one call (bounded loosely for a busy machine).
	if took > 5*time.Second {
		t.Errorf("a live request during the sync took %s, want well under the CRM's 10 s window", took)
	}

	t.Logf("a live CRM request during the sync took %s", took.Round(time.Millisecond))
	waitDirectoryReady(t, addr, 60*time.Second)
	t.Logf("the first sync of 1,400 CRM records took %s and %d list calls", time.Since(syncStart).Round(100*time.Millisecond), s.Stats().Calls["crm GET /api/v2/customers"])
	if rej := s.Stats().Rejected; rej["crm rate_limited"] != 0 {
		t.Errorf("the CRM refused %d calls for its quota, want none", rej["crm rate_limited"])
	}
	var d struct {
		Customers struct{ TotalCount int }
	}
	resp = ask(t, addr, `{ customers(sources: [CRM], orderBy: {field: NAME}, first: 1) { totalCount } }`, nil)
	if err := json.Unmarshal(resp.Data, &d); err != nil || d.Customers.TotalCount != 1400 {
		t.Errorf("CRM copy holds %d records (%v), want 1400", d.Customers.TotalCount, err)
	}
}

// TestDirectoryRestartIsReadyFromItsFile: a gateway restarted on the same
// data directory is READY at once, with no list call.
func TestDirectoryRestartIsReadyFromItsFile(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 22, Customers: 300, CRMRate: quota.Rate{Off: true}})
	env := gatewayEnv(s, map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_DATA_DIR": t.TempDir(),
		"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_SYNC_INTERVAL": "1h", "CUSTGRAPH_SYNC_YCM_PACE": "0"})
	stop := startRun(t, env)
	waitDirectoryReady(t, stop.addr, 30*time.Second)
	first := searchIDs(t, stop.addr, "公司")
	stop.stop()

	s.Reset()
	again := startRun(t, env)
	waitDirectoryReady(t, again.addr, 5*time.Second)
	if n := listCalls(s); n != 0 {
		t.Errorf("the restart made %d list calls, want none: %v", n, s.Stats().Calls)
	}
	if got := searchIDs(t, again.addr, "公司"); strings.Join(got, ",") != strings.Join(first, ",") {
		t.Errorf("after the restart the search answers %d records, before %d", len(got), len(first))
	}
}

// TestReplicasShareTheDirectory runs two real processes on one Redis: one
// syncs, both answer identically, and killing the syncer (SIGKILL: no
// goodbye, its lease must run out) hands the sync to the other.
func TestReplicasShareTheDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "custgraph")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := redistest.Start(t, redistest.Options{})
	s := startSim(t, sim.Options{Seed: 23, Customers: 200, CRMRate: quota.Rate{Off: true}})
	env := gatewayEnv(s, map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_REDIS_URL": srv.URL(), "CUSTGRAPH_REDIS_TIMEOUT": "2s",
		"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_SYNC_INTERVAL": "300ms", "CUSTGRAPH_SYNC_LEASE": "1s", "CUSTGRAPH_SYNC_YCM_PACE": "0"})
	a, b := startBinary(t, bin, env), startBinary(t, bin, env)
	for _, p := range []*process{a, b} {
		waitDirectoryReady(t, p.addr, 30*time.Second)
	}
	syncers := func(ps ...*process) (n int, who *process) {
		for _, p := range ps {
			if metric(metrics(t, p.addr), `custgraph_directory_syncing{source="CRM"}`) == 1 {
				n, who = n+1, p
			}
		}
		return n, who
	}
	n, syncer := syncers(a, b)
	if n != 1 {
		t.Fatalf("%d replicas sync the CRM, want 1", n)
	}
	other := a
	if syncer == a {
		other = b
	}
	for _, q := range []string{"公司", "科技", "138"} {
		if x, y := searchIDs(t, a.addr, q), searchIDs(t, b.addr, q); strings.Join(x, ",") != strings.Join(y, ",") {
			t.Errorf("search %q: the replicas answer %d and %d records", q, len(x), len(y))
		}
	}

	// A person's decision on one replica holds on the other at once (the
	// mutation returns once it is in Redis and followed), and is logged
	// with who made it.
	x, y := linkedPair(t, a.addr)
	if resp := ask(t, a.addr, `mutation($a: ID!, $b: ID!) { rejectLink(a: $a, b: $b) }`, map[string]any{"a": x, "b": y}); len(resp.Errors) > 0 {
		t.Fatalf("rejectLink: %+v", resp.Errors)
	}
	waitFor(t, "the rejection on the other replica", func() bool { return !linksTo(t, b.addr, x, y) })
	if linksTo(t, a.addr, x, y) {
		t.Error("a rejected link is still answered by the replica that took the decision")
	}
	if resp := ask(t, b.addr, `mutation($a: ID!, $b: ID!) { confirmLink(a: $a, b: $b) { confidence } }`, map[string]any{"a": y, "b": x}); len(resp.Errors) > 0 {
		t.Fatalf("confirmLink: %+v", resp.Errors)
	}
	waitFor(t, "the confirmation on the other replica", func() bool { return linksTo(t, a.addr, x, y) })
	if logs := a.logs.String(); !strings.Contains(logs, `"principal":"anonymous"`) || !strings.Contains(logs, "rejected") {
		t.Errorf("the decision is not logged with its principal: %s", logs)
	}

	// A change synced by one replica reaches the subscribers of both,
	// each exactly once: every replica applies every change from the
	// shared stream, and tells its own subscribers.
	subs := []*wsClient{connectWS(t, a.addr, nil), connectWS(t, b.addr, nil)}
	for _, c := range subs {
		c.subscribe("u8", changesQuery, map[string]any{"sources": []string{"U8"}})
	}
	for _, p := range []*process{a, b} {
		waitFor(t, "the subscription on "+p.addr, func() bool {
			return metric(metrics(t, p.addr), `custgraph_subscriptions_open{transport="ws"}`) == 1
		})
	}
	simRecord(t, s, http.MethodPut, "u8", "00000011", `{"code":"00000011","name":"两个副本各一次有限公司"}`)
	for _, c := range subs {
		if got := changeOf(t, c.next(eventWait)); got.ID != "u8:00000011" || got.Customer.Name != "两个副本各一次有限公司" {
			t.Errorf("the change on the subscriber: %+v", got)
		}
	}
	// A later change comes next: the first was not delivered twice.
	simRecord(t, s, http.MethodPut, "u8", "00000012", `{"code":"00000012","name":"其后的变更有限公司"}`)
	for _, c := range subs {
		if got := changeOf(t, c.next(eventWait)); got.ID != "u8:00000012" {
			t.Errorf("the event after the change: %+v, want u8:00000012 (a change delivered twice?)", got)
		}
	}

	before := listCalls(s)
	if err := syncer.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = syncer.cmd.Wait()
	waitFor(t, "the other replica to take the sync over", func() bool {
		n, _ := syncers(other)
		return n == 1
	})
	waitFor(t, "a pass by the new syncer", func() bool { return listCalls(s) > before })
}

// linkedPair finds two records the resolver links, from the first page.
func linkedPair(t *testing.T, addr string) (string, string) {
	t.Helper()
	resp := ask(t, addr, `{ customers(first: 100, orderBy: {field: NAME}) { nodes { id links { customer { id } } } } }`, nil)
	var d struct {
		Customers struct {
			Nodes []struct {
				ID    string
				Links []struct{ Customer struct{ ID string } }
			}
		}
	}
	if err := json.Unmarshal(resp.Data, &d); err != nil {
		t.Fatal(err)
	}
	for _, n := range d.Customers.Nodes {
		if len(n.Links) > 0 {
			return n.ID, n.Links[0].Customer.ID
		}
	}
	t.Fatalf("no linked pair on the first page: %+v", resp.Errors)
	return "", ""
}

// linksTo reports whether x's links (at the threshold) hold y.
func linksTo(t *testing.T, addr, x, y string) bool {
	t.Helper()
	resp := ask(t, addr, `query($id: ID!) { customer(id: $id) { links { customer { id } } } }`, map[string]any{"id": x})
	var d struct {
		Customer struct {
			Links []struct{ Customer struct{ ID string } }
		}
	}
	if err := json.Unmarshal(resp.Data, &d); err != nil {
		t.Fatal(err)
	}
	for _, l := range d.Customer.Links {
		if l.Customer.ID == y {
			return true
		}
	}
	return false
}

// process is a custgraph binary running `serve`.
type process struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
}

func startBinary(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "CUSTGRAPH_ADDR=127.0.0.1:0")
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &syncBuffer{}}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	m := reported.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("no start line: %q %v", line, err)
	}
	p.addr = m[1]
	go func() { _, _ = r.WriteTo(new(bytes.Buffer)) }()
	return p
}

// waitFor waits for cond, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// simRecord changes one record at the simulators as the vendor's own
// users would: PUT (body in the vendor's wire format) or DELETE.
func simRecord(t *testing.T, s *simServer, method, source, id, body string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url()+"/_sim/records/"+source+"/"+id, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s /_sim/records/%s/%s: %d", method, source, id, resp.StatusCode)
	}
}

// TestDirectoryFollowsChangesAtTheVendors: a record created, renamed or
// deleted at a vendor is found (or no longer found) by search within the
// sync interval.
func TestDirectoryFollowsChangesAtTheVendors(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 24, Customers: 120, CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_DATA_DIR": t.TempDir(),
		"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_SYNC_INTERVAL": "200ms", "CUSTGRAPH_SYNC_FULL_INTERVAL": "1s",
		"CUSTGRAPH_SYNC_YCM_PACE": "0"}), "serve")
	waitDirectoryReady(t, addr, 30*time.Second)

	found := func(search string) []string { return searchIDs(t, addr, search) }
	simRecord(t, s, http.MethodPut, "crm", "990001", `{"name":"甲乙丙丁新客户"}`)
	simRecord(t, s, http.MethodPut, "u8", "00000003", `{"code":"00000003","name":"戊己庚辛改名客户"}`)
	simRecord(t, s, http.MethodPut, "ycm", "990002", `{"company":"壬癸子丑新客户","mobileNumber":"13911112222"}`)
	waitFor(t, "the CRM record created to be found", func() bool { return strings.Join(found("甲乙丙丁"), ",") == "crm:990001" })
	waitFor(t, "the U8 record renamed to be found", func() bool { return strings.Join(found("戊己庚辛"), ",") == "u8:00000003" })
	waitFor(t, "the YCM record created to be found", func() bool { return strings.Join(found("壬癸子丑"), ",") == "ycm:990002" })
	var byPhone struct {
		CustomersByPhone []struct{ ID string }
	}
	resp := ask(t, addr, `{ customersByPhone(number: "+86 139-1111-2222") { id } }`, nil)
	if err := json.Unmarshal(resp.Data, &byPhone); err != nil || len(byPhone.CustomersByPhone) != 1 || byPhone.CustomersByPhone[0].ID != "ycm:990002" {
		t.Errorf("customersByPhone of the new YCM record: %s %+v", resp.Data, resp.Errors)
	}

	for _, del := range [][2]string{{"crm", "990001"}, {"ycm", "990002"}, {"u8", "00000003"}} {
		simRecord(t, s, http.MethodDelete, del[0], del[1], "")
	}
	for _, q := range []string{"甲乙丙丁", "壬癸子丑", "戊己庚辛"} {
		waitFor(t, "the deleted record "+q+" to disappear", func() bool { return len(found(q)) == 0 })
	}
}
