package fault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"custgraph/internal/sim/calls"
)

func TestNilRecorderAndInjectorAreInert(t *testing.T) {
	var r *calls.Recorder
	var f *Injector
	r.Call("u8", "GET /x")
	r.Reject("u8", calls.RejectFault)
	if err := f.Delay(context.Background()); err != nil || f.Next() != None {
		t.Error("nil Faults delayed or failed a call")
	}
}

func TestFailRateOneGivesEveryShape(t *testing.T) {
	f := New(0, 1, 7)
	seen := map[Kind]int{}
	for i := 0; i < 300; i++ {
		seen[f.Next()]++
	}
	for _, want := range []Kind{Status, Envelope, Drop} {
		if seen[want] < 50 {
			t.Errorf("shape %d seen %d times in 300, want about 100", want, seen[want])
		}
	}
	if seen[None] != 0 {
		t.Errorf("%d calls passed at fail rate 1", seen[None])
	}
}

func TestAdmitCountsAndRendersFaults(t *testing.T) {
	rec := calls.NewRecorder()
	f := New(0, 0, 1)
	render := func(w http.ResponseWriter, _ Kind) { w.WriteHeader(http.StatusBadGateway) }
	w := httptest.NewRecorder()
	if !Admit(w, httptest.NewRequest("GET", "/x", nil), "crm", "GET /x", rec, f, render) {
		t.Fatal("a call was refused with no faults")
	}
	f.Set(0, 1)
	admitted := 0
	for i := 0; i < 30; i++ {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if Admit(w, r, "crm", "GET /x", rec, f, render) {
				admitted++
			}
		}))
		if resp, err := http.Get(srv.URL); err == nil {
			resp.Body.Close()
		}
		srv.Close()
	}
	st := rec.Snapshot()
	if admitted != 0 || st.Rejected["crm "+calls.RejectFault] != st.Calls["crm GET /x"]-1 || st.Total("crm ") < 31 {
		t.Errorf("admitted %d; stats %+v", admitted, st)
	}
}
