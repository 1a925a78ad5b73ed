package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/quota"
)

// marks is a Limiter that notes whether each Take came under a background
// context, and what the Observer heard of quota waits.
type marks struct {
	quota.Limiter
	mu         sync.Mutex
	background []bool
	waits      int
}

func (m *marks) Take(ctx context.Context, maxWait time.Duration) (*quota.Turn, error) {
	m.mu.Lock()
	m.background = append(m.background, quota.IsBackground(ctx))
	m.mu.Unlock()
	return m.Limiter.Take(ctx, maxWait)
}

func (m *marks) StartCall(ctx context.Context, _ customer.Source, _, _ string) (context.Context, func(string)) {
	return ctx, func(string) {}
}

func (m *marks) QuotaWait(customer.Source, time.Duration, bool) {
	m.mu.Lock()
	m.waits++
	m.mu.Unlock()
}

// TestPacedKeepsTheBackgroundMark: a background call's turn, and the turn
// of the same call made again after the vendor refused it for its quota,
// are taken under the background mark; the sync's waits stay out of the
// quota-wait metric, live ones do not.
func TestPacedKeepsTheBackgroundMark(t *testing.T) {
	v := &refusing{refuse: 1}
	srv := httptest.NewServer(v)
	defer srv.Close()
	m := &marks{Limiter: quota.NewWindow(quota.Rate{N: 3, Per: 100 * time.Millisecond}, nil)}
	c := NewClient(ClientOptions{Source: customer.CRM, MaxWait: time.Second, Limiter: m, Observer: m})
	defer c.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(quota.Background(context.Background()), http.MethodPost,
		srv.URL+"/api/v2/customers", strings.NewReader("page=1"))
	status, body, err := Fetch(c, req, customer.CRM)
	if err != nil || status != http.StatusOK || string(body) != "page=1" {
		t.Fatalf("got %d %q %v, want the answer after one refusal", status, body, err)
	}
	m.mu.Lock()
	got, waits := m.background, m.waits
	m.mu.Unlock()
	if len(got) != 2 || !got[0] || !got[1] {
		t.Fatalf("turns taken in the background: %v, want [true true] (the call and its replay)", got)
	}
	if waits != 0 {
		t.Fatalf("%d background quota waits reported, want none", waits)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v2/customers", nil)
	if _, _, err := Fetch(c, req, customer.CRM); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.background[2] || m.waits != 1 {
		t.Fatalf("a live call: background %v, %d waits reported; want a live turn reported once", m.background[2], m.waits)
	}
}

// TestPacedBackgroundWaitsBeyondMaxWait: a background call whose turn is
// further than MaxWait is not refused as RATE_LIMITED: it waits for the
// turn live calls can spare and is made.
func TestPacedBackgroundWaitsBeyondMaxWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := NewClient(ClientOptions{Source: customer.CRM, MaxWait: time.Millisecond,
		Limiter: quota.NewWindow(quota.Rate{N: 2, Per: 100 * time.Millisecond}, nil)})
	defer c.CloseIdleConnections()
	bg := quota.Background(context.Background())
	for i := range 3 { // 2/100ms leaves the sync one a span: two of these wait
		req, _ := http.NewRequestWithContext(bg, http.MethodGet, srv.URL+"/api/v2/customers", nil)
		if _, _, err := Fetch(c, req, customer.CRM); err != nil {
			t.Fatalf("background call %d: %v, want it made after its wait", i, err)
		}
	}
}
