package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// refusing is a vendor that refuses its first `refuse` calls for its quota
// (429), then answers with the body it was sent; it notes when each call
// came.
type refusing struct {
	refuse int32
	calls  atomic.Int32
	mu     sync.Mutex
	times  []time.Time
}

func (v *refusing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := v.calls.Add(1)
	v.mu.Lock()
	v.times = append(v.times, time.Now())
	v.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if n <= v.refuse {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	_, _ = w.Write(body)
}

// TestPacedRetriesAfterTheVendorsRefusal: a call the vendor refuses for its
// quota (429) fills the window and is made again on the next turn, after
// the window has cleared, however many times the vendor refuses it within
// maxRefusals; the caller sees only the answer.
func TestPacedRetriesAfterTheVendorsRefusal(t *testing.T) {
	rate := quota.Rate{N: 3, Per: 200 * time.Millisecond}
	for _, refuse := range []int32{1, 2} {
		v := &refusing{refuse: refuse}
		srv := httptest.NewServer(v)
		c := NewClient(ClientOptions{Source: customer.CRM, MaxWait: time.Second, Limiter: quota.NewWindow(rate, nil)})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v2/auth/login", strings.NewReader("login=1"))
		status, body, err := Fetch(c, req, customer.CRM)
		c.CloseIdleConnections()
		srv.Close()
		if err != nil || status != http.StatusOK || string(body) != "login=1" {
			t.Fatalf("refused %d times: got %d %q %v, want the answer with the body sent again", refuse, status, body, err)
		}
		if n := v.calls.Load(); n != refuse+1 {
			t.Fatalf("refused %d times: the vendor saw %d calls, want %d", refuse, n, refuse+1)
		}
		for i := 1; i < len(v.times); i++ {
			if gap := v.times[i].Sub(v.times[i-1]); gap < rate.Per {
				t.Fatalf("call %d came %v after a refusal, before the window of %v cleared", i+1, gap, rate.Per)
			}
		}
	}
}

// TestPacedRefusalsBeyondTimeOrCount: when the vendor's window cannot
// clear within the request's time, the answer is the gateway's own
// RATE_LIMITED, saying when to come back; a vendor that refuses a call
// more than maxRefusals times is answered with its refusal.
func TestPacedRefusalsBeyondTimeOrCount(t *testing.T) {
	rate := quota.Rate{N: 3, Per: 200 * time.Millisecond}
	v := &refusing{refuse: 1}
	srv := httptest.NewServer(v)
	defer srv.Close()
	c := NewClient(ClientOptions{Source: customer.CRM, MaxWait: 10 * time.Millisecond, Limiter: quota.NewWindow(rate, nil)})
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v2/customers", nil)
	_, _, err := Fetch(c, req, customer.CRM)
	if e := customer.AsError(err); e.Reason != customer.ReasonRateLimited || !strings.Contains(e.Detail, "outbound quota") || e.UpstreamCode != "" {
		t.Fatalf("got %v, want the gateway's own RATE_LIMITED", err)
	}
	if n := v.calls.Load(); n != 1 {
		t.Fatalf("the vendor saw %d calls, want 1", n)
	}

	v = &refusing{refuse: 100}
	srv2 := httptest.NewServer(v)
	defer srv2.Close()
	c = NewClient(ClientOptions{Source: customer.CRM, MaxWait: time.Second, Limiter: quota.NewWindow(quota.Rate{N: 3, Per: 50 * time.Millisecond}, nil)})
	defer c.CloseIdleConnections()
	req, _ = http.NewRequest(http.MethodGet, srv2.URL+"/api/v2/customers", nil)
	if status, _, err := Fetch(c, req, customer.CRM); err != nil || status != http.StatusTooManyRequests {
		t.Fatalf("got %d %v, want the vendor's 429", status, err)
	}
	if n := v.calls.Load(); n != maxRefusals+1 {
		t.Fatalf("the vendor saw %d calls, want %d", n, maxRefusals+1)
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
