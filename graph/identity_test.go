package graph_test

import (
	"testing"
)

type linkJSON struct {
	Confidence float64
	MatchedOn  []string
	Customer   struct{ ID, Name string }
}

type linkedNode struct {
	ID, Name string
	Links    []linkJSON
	Matches  []struct{ ID string }
}

const linksPage = `query($first: Int, $min: Float) { customers(first: $first, orderBy: {field: NAME}) { nodes {
	id name links(minConfidence: $min) { confidence matchedOn customer { id name } } matches { id } } } }`

func (e *env) linksOf(t *testing.T, id string, min float64) []linkJSON {
	t.Helper()
	var p struct{ Customer struct{ Links []linkJSON } }
	e.ok(t, `query($id: ID!, $min: Float) { customer(id: $id) { links(minConfidence: $min) { confidence matchedOn customer { id name } } } }`,
		map[string]any{"id": id, "min": min}, &p)
	return p.Customer.Links
}

func find(links []linkJSON, id string) (linkJSON, bool) {
	for _, l := range links {
		if l.Customer.ID == id {
			return l, true
		}
	}
	return linkJSON{}, false
}

func TestLinksFromTheDirectory(t *testing.T) {
	e := newDirectoryEnv(t)
	e.sim.Reset()
	var p struct{ Customers struct{ Nodes []linkedNode } }
	e.ok(t, linksPage, map[string]any{"first": 100, "min": 0.0}, &p)
	if s := e.stats(); s.Total("") != 0 {
		t.Errorf("a page with links made vendor calls: %v", s.Keys())
	}
	linked := 0
	for _, n := range p.Customers.Nodes {
		above := map[string]bool{}
		for i, l := range n.Links {
			if l.Confidence < 0 || l.Confidence > 1 || len(l.MatchedOn) == 0 && l.Confidence >= 0.5 {
				t.Errorf("%s → %s: confidence %v on %v", n.ID, l.Customer.ID, l.Confidence, l.MatchedOn)
			}
			if i > 0 && l.Confidence > n.Links[i-1].Confidence {
				t.Errorf("%s: links not strongest first: %+v", n.ID, n.Links)
			}
			if l.Customer.ID[:3] == n.ID[:3] {
				t.Errorf("%s linked to a record of its own source, %s", n.ID, l.Customer.ID)
			}
			if l.Confidence >= 0.9 {
				above[l.Customer.ID] = true
			}
			// Symmetric: the other side sees the same link.
			back, ok := find(e.linksOf(t, l.Customer.ID, 0), n.ID)
			if !ok || back.Confidence != l.Confidence {
				t.Errorf("%s → %s at %v, back %+v (found %v)", n.ID, l.Customer.ID, l.Confidence, back, ok)
			}
		}
		// matches are the links at or above the threshold (0.9 by default).
		if len(n.Matches) != len(above) {
			t.Errorf("%s: matches %v, links above the threshold %v", n.ID, n.Matches, above)
		}
		for _, m := range n.Matches {
			if !above[m.ID] {
				t.Errorf("%s: match %s is no link above the threshold", n.ID, m.ID)
			}
		}
		linked += len(above)
	}
	if linked == 0 {
		t.Error("no record of the first page is linked: the simulators hold the same companies")
	}
}

func TestLinkDecisions(t *testing.T) {
	e := newDirectoryEnv(t)
	var p struct{ Customers struct{ Nodes []linkedNode } }
	e.ok(t, linksPage, map[string]any{"first": 100, "min": 0.9}, &p)
	var a, b string
	for _, n := range p.Customers.Nodes {
		if len(n.Links) > 0 && a == "" {
			a, b = n.ID, n.Links[0].Customer.ID
		}
	}
	if a == "" {
		t.Fatal("no linked pair on the first page")
	}

	// Rejected: gone from links and matches, both ways.
	var rej struct{ RejectLink bool }
	e.ok(t, `mutation($a: ID!, $b: ID!) { rejectLink(a: $a, b: $b) }`, map[string]any{"a": b, "b": a}, &rej)
	if !rej.RejectLink {
		t.Fatal("rejectLink answered false")
	}
	for _, x := range [][2]string{{a, b}, {b, a}} {
		if l, ok := find(e.linksOf(t, x[0], 0), x[1]); ok {
			t.Errorf("%s still links %s after rejectLink: %+v", x[0], x[1], l)
		}
	}

	// Confirmed: confidence 1, CONFIRMED first, both ways.
	var conf struct{ ConfirmLink linkJSON }
	e.ok(t, `mutation($a: ID!, $b: ID!) { confirmLink(a: $a, b: $b) { confidence matchedOn customer { id name } } }`, map[string]any{"a": a, "b": b}, &conf)
	if conf.ConfirmLink.Customer.ID != b || conf.ConfirmLink.Confidence != 1 || conf.ConfirmLink.MatchedOn[0] != "CONFIRMED" {
		t.Errorf("confirmLink answered %+v", conf.ConfirmLink)
	}
	for _, x := range [][2]string{{a, b}, {b, a}} {
		if l, ok := find(e.linksOf(t, x[0], 0.999), x[1]); !ok || l.Confidence != 1 || l.MatchedOn[0] != "CONFIRMED" {
			t.Errorf("%s → %s after confirmLink: %+v (found %v)", x[0], x[1], l, ok)
		}
	}

	// A pair the resolver never linked, confirmed, links; then rejected, not.
	var other string
	for _, n := range p.Customers.Nodes {
		if n.ID[:3] != a[:3] {
			if _, ok := find(e.linksOf(t, a, 0), n.ID); !ok {
				other = n.ID
				break
			}
		}
	}
	e.ok(t, `mutation($a: ID!, $b: ID!) { confirmLink(a: $a, b: $b) { confidence } }`, map[string]any{"a": other, "b": a}, &struct{}{})
	if l, ok := find(e.linksOf(t, a, 0.9), other); !ok || l.Confidence != 1 {
		t.Errorf("a confirmed unrelated pair: %+v (found %v)", l, ok)
	}
	var m struct {
		Customer struct{ Matches []struct{ ID string } }
	}
	e.ok(t, `query($id: ID!) { customer(id: $id) { matches { id } } }`, map[string]any{"id": a}, &m)
	found := false
	for _, x := range m.Customer.Matches {
		found = found || x.ID == other
	}
	if !found {
		t.Errorf("matches of %s lack the confirmed %s: %v", a, other, m.Customer.Matches)
	}
	e.ok(t, `mutation($a: ID!, $b: ID!) { rejectLink(a: $a, b: $b) }`, map[string]any{"a": a, "b": other}, &rej)
	if _, ok := find(e.linksOf(t, other, 0), a); ok {
		t.Error("a confirmed then rejected pair is still linked")
	}
}

func TestLinkBadInputAndOff(t *testing.T) {
	e := newDirectoryEnv(t)
	u8 := "u8:" + firstKey(t, e, "U8")
	crm := "crm:" + firstKey(t, e, "CRM")
	for name, v := range map[string]map[string]any{
		"itself":         {"a": u8, "b": u8},
		"same source":    {"a": "u8:" + firstKey(t, e, "U8"), "b": "u8:ZZZZ9999"},
		"malformed":      {"a": "u8", "b": crm},
		"unknown source": {"a": "erp:1", "b": crm},
		"unknown record": {"a": u8, "b": "crm:987654321"},
	} {
		for _, m := range []string{`mutation($a: ID!, $b: ID!) { confirmLink(a: $a, b: $b) { confidence } }`, `mutation($a: ID!, $b: ID!) { rejectLink(a: $a, b: $b) }`} {
			resp := e.do(t, m, v)
			if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
				t.Errorf("%s: %+v, want BAD_USER_INPUT", name, resp.Errors)
			}
		}
	}
	for _, min := range []float64{-0.1, 1.5} {
		resp := e.do(t, `query($id: ID!, $min: Float) { customer(id: $id) { links(minConfidence: $min) { confidence } } }`, map[string]any{"id": u8, "min": min})
		if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("minConfidence %v: %+v, want BAD_USER_INPUT", min, resp.Errors)
		}
	}

	off := newEnv(t)
	resp := off.do(t, `query($id: ID!) { customer(id: $id) { id links { confidence } } }`, map[string]any{"id": u8})
	if len(resp.Errors) != 2 {
		t.Fatalf("links with the directory off: %+v, want one error per other source", resp.Errors)
	}
	for _, e := range resp.Errors {
		if e.Extensions["code"] != "DIRECTORY_UNAVAILABLE" {
			t.Errorf("links with the directory off: %+v", e)
		}
	}
	resp = off.do(t, `mutation($a: ID!, $b: ID!) { rejectLink(a: $a, b: $b) }`, map[string]any{"a": u8, "b": crm})
	if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "DIRECTORY_UNAVAILABLE" {
		t.Errorf("rejectLink with the directory off: %+v", resp.Errors)
	}
}
