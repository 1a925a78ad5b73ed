package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim/fixture"
)

func TestControlEndpoints(t *testing.T) {
	s := New(Options{Customers: 10, CRMRate: quota.Rate{Off: true}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	stats := func() Stats {
		t.Helper()
		resp, err := http.Get(ts.URL + "/_sim/stats")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st Stats
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	// A call to each vendor shows under the contract's key.
	resp, _ := http.Get(ts.URL + "/u8/system/token?from_account=x&app_key=y&app_secret=z")
	resp.Body.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/ycm/dm/open_api/v1/customers/50086120", nil)
	req.Header.Set("User-Agent", "t")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	resp, _ = http.Get(ts.URL + "/crm/api/v2/duplicates/matching_name?name=x")
	resp.Body.Close()
	st := stats()
	for _, key := range []string{"u8 GET /system/token", "ycm GET /dm/open_api/v1/customers/{id}", "crm GET /api/v2/duplicates/matching_name"} {
		if st.Calls[key] != 1 {
			t.Errorf("calls[%q] = %d, want 1 (all: %v)", key, st.Calls[key], st.Calls)
		}
	}
	if st.Rejected["ycm unauthorized"] != 1 || st.Rejected["crm unauthorized"] != 1 {
		t.Errorf("rejected %v, want the tokenless YCM and CRM calls", st.Rejected)
	}
	// Reset zeroes them.
	resp, _ = http.Post(ts.URL+"/_sim/reset", "", nil)
	resp.Body.Close()
	if st := stats(); len(st.Calls) != 0 || len(st.Rejected) != 0 {
		t.Errorf("after reset: %+v", st)
	}
	// Fault knobs change at run time.
	resp, err := http.PostForm(ts.URL+"/_sim/faults", url.Values{"source": {"crm"}, "latency": {"5ms"}, "fail-rate": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if lat, rate, _ := s.Faults("crm").Knobs(); lat != 5*time.Millisecond || rate != 1 {
		t.Errorf("crm knobs %v %v", lat, rate)
	}
	if _, rate, _ := s.Faults("u8").Knobs(); rate != 0 {
		t.Errorf("u8 fail rate %v changed with source=crm", rate)
	}
	for _, bad := range []url.Values{{"source": {"sap"}}, {"fail-rate": {"2"}}, {"latency": {"soon"}}, {"down": {"maybe"}}} {
		resp, _ := http.PostForm(ts.URL+"/_sim/faults", bad)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%v: status %d, want 400", bad, resp.StatusCode)
		}
	}
	resp, _ = http.PostForm(ts.URL+"/_sim/faults", url.Values{"down": {"true"}})
	resp.Body.Close()
	if _, err := http.Get(ts.URL + "/u8/system/token"); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Errorf("a down simulator answered: %v", err)
	}
}

// TestIdentityDetail: the detail labels agree with the identities and with
// the records the vendors serve.
func TestIdentityDetail(t *testing.T) {
	s := New(Options{Seed: 31, Customers: 1200, CRMRate: quota.Rate{Off: true}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	var ids map[string]string
	var detail map[string]IdentityLabel
	for q, out := range map[string]any{"": &ids, "?detail=1": &detail} {
		resp, err := http.Get(ts.URL + "/_sim/identities" + q)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(ids) != 3600 || len(detail) != len(ids) {
		t.Fatalf("%d identities, %d labels, want 3600 each", len(ids), len(detail))
	}
	variants, negatives := map[string]int{}, map[string]int{}
	for key, l := range detail {
		if ids[key] != l.ID {
			t.Errorf("%s: detail says %s, identities %s", key, l.ID, ids[key])
		}
		if (l.Negative == "") != (l.Of == "") || l.Of == l.ID {
			t.Errorf("%s: %+v", key, l)
		}
		kind, _, _ := strings.Cut(l.Variant, "+")
		variants[kind]++
		negatives[l.Negative]++
	}
	for _, k := range fixture.VariantKinds {
		if variants[k] == 0 {
			t.Errorf("no %s variant among %v", k, variants)
		}
	}
	for _, k := range fixture.NegativeKinds {
		if negatives[k] == 0 {
			t.Errorf("no %s negative among %v", k, negatives)
		}
	}
	// Person records are YCM's only.
	for key, l := range detail {
		if l.Variant == fixture.VariantPerson && !strings.HasPrefix(key, "ycm:") {
			t.Errorf("%s: a person record outside YCM", key)
		}
	}
}
