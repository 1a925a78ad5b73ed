package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/quota"
)

// TestPacedRefusesBeyondMaxWait: once the quota is spent and the next turn
// is further away than MaxWait, the call fails at once as RATE_LIMITED and
// never reaches the vendor.
func TestPacedRefusesBeyondMaxWait(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	c := NewClient(ClientOptions{Source: customer.CRM, MaxWait: 10 * time.Millisecond,
		Limiter: quota.NewWindow(quota.Rate{N: 2, Per: time.Minute}, nil)})
	defer c.CloseIdleConnections()
	get := func() error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/?token=SECRET", nil)
		_, _, err := Fetch(c, req, customer.CRM)
		return err
	}
	for i := 0; i < 2; i++ {
		if err := get(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	start := time.Now()
	err := get()
	e := customer.AsError(err)
	if e.Code != customer.CodeUpstream || e.Reason != customer.ReasonRateLimited || e.Source != customer.CRM {
		t.Fatalf("third call: %#v, want a CRM RATE_LIMITED error", e)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("refusal took %v, want at once", d)
	}
	if !strings.Contains(e.Message, "next call possible in") || strings.Contains(e.Error(), "SECRET") {
		t.Errorf("message %q", e.Message)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the vendor saw %d calls, want 2", n)
	}
}

// TestTimeoutExcludesQuotaWait: the per-call timeout starts when the call
// is made, not while it waits for its turn.
func TestTimeoutExcludesQuotaWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := NewClient(ClientOptions{Source: customer.U8, Timeout: 100 * time.Millisecond, MaxWait: time.Second,
		Limiter: quota.NewWindow(quota.Rate{N: 1, Per: 150 * time.Millisecond}, nil)})
	defer c.CloseIdleConnections()
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if _, _, err := Fetch(c, req, customer.U8); err != nil {
			t.Fatalf("call %d (after a wait longer than the timeout): %v", i, err)
		}
	}
}
