package httpx

import (
	"context"
	"errors"
	"io"
	"net"
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
	err := get()
	e := customer.AsError(err)
	if e.Code != customer.CodeUpstream || e.Reason != customer.ReasonRateLimited || e.Source != customer.CRM {
		t.Fatalf("third call: %#v, want a CRM RATE_LIMITED error", e)
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

// deadAddress returns a loopback address nothing listens on: a connection
// to it is refused.
func deadAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestPacedGivesBackTurnsOfCallsThatNeverReachedTheVendor: a call refused
// at connect does not spend the vendor's quota, so a vendor that is down
// does not make the next calls wait a window for turns they never used.
func TestPacedGivesBackTurnsOfCallsThatNeverReachedTheVendor(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	dead := "http://" + deadAddress(t)
	c := NewClient(ClientOptions{Source: customer.CRM, MaxWait: time.Millisecond,
		Limiter: quota.NewWindow(quota.Rate{N: 2, Per: time.Hour}, nil)})
	defer c.CloseIdleConnections()
	get := func(base string) error {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v2/customers", nil)
		_, _, err := Fetch(c, req, customer.CRM)
		return err
	}
	for i := range 5 {
		err := get(dead)
		if e := customer.AsError(err); e.Reason != customer.ReasonUnavailable {
			t.Fatalf("call %d to a dead vendor: %v, want UNAVAILABLE", i, err)
		}
	}
	// The quota of 2 an hour is whole: two calls go at once.
	for i := range 2 {
		if err := get(srv.URL); err != nil {
			t.Fatalf("call %d after the outage: %v", i, err)
		}
	}
	if err := get(srv.URL); !errors.Is(err, quota.ErrExceeded) {
		t.Fatalf("a third call: %v, want the quota spent", err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the vendor saw %d calls, want 2", n)
	}
}

// TestPacedRetriesOnceAfterTheVendorsRefusal: a call the vendor refuses
// for its quota (429) fills the window and is made once more on the next
// turn; the caller sees only the answer.
func TestPacedRetriesOnceAfterTheVendorsRefusal(t *testing.T) {
	var calls atomic.Int32
	var times [2]time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n <= 2 {
			times[n-1] = time.Now()
		}
		body, _ := io.ReadAll(r.Body)
		if n == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	rate := quota.Rate{N: 3, Per: 200 * time.Millisecond}
	c := NewClient(ClientOptions{Source: customer.CRM, MaxWait: time.Second, Limiter: quota.NewWindow(rate, nil)})
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v2/auth/login", strings.NewReader("login=1"))
	status, body, err := Fetch(c, req, customer.CRM)
	if err != nil || status != http.StatusOK || string(body) != "login=1" {
		t.Fatalf("got %d %q %v, want the second answer with the body sent again", status, body, err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the vendor saw %d calls, want 2", n)
	}
	if gap := times[1].Sub(times[0]); gap < rate.Per {
		t.Fatalf("the call was made again %v after the refusal, before the window of %v cleared", gap, rate.Per)
	}

	// Without time for a turn, the refusal is the answer.
	calls.Store(0)
	c = NewClient(ClientOptions{Source: customer.CRM, MaxWait: 10 * time.Millisecond, Limiter: quota.NewWindow(rate, nil)})
	defer c.CloseIdleConnections()
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v2/customers", nil)
	if status, _, err := Fetch(c, req, customer.CRM); err != nil || status != http.StatusTooManyRequests {
		t.Fatalf("got %d %v, want the 429", status, err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the vendor saw %d calls, want 1", n)
	}
}

// TestPacedLearnsTheCallsLag: the slack between windows grows to cover
// how long calls take to be answered.
func TestPacedLearnsTheCallsLag(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
	}))
	defer srv.Close()
	w := quota.NewWindow(quota.Rate{N: 10, Per: 10 * time.Second}, nil)
	c := NewClient(ClientOptions{Source: customer.CRM, Limiter: w})
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if _, _, err := Fetch(c, req, customer.CRM); err != nil {
		t.Fatal(err)
	}
	if got := w.Lag().Slack(); got < 150*time.Millisecond {
		t.Fatalf("slack %v after a call answered in 150ms, want at least that", got)
	}
}
