package u8

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"custgraph/internal/customer"
	u8sim "custgraph/internal/sim/u8"
)

func TestTokenIsReused(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	c := e.client(t, e.simClock.Now, nil)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := c.Get(ctx, "00000002"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.List(ctx, customer.ListQuery{PageSize: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.calls("/system/token"); got != 1 {
		t.Errorf("%d token calls for 10 API calls, want 1", got)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	c := e.client(t, e.simClock.Now, nil) // client and server share one clock
	get := func() {
		t.Helper()
		if _, err := c.Get(context.Background(), "00000001"); err != nil {
			t.Fatal(err)
		}
	}
	get()
	e.simClock.Advance(u8sim.DefaultTokenTTL - refreshLead - time.Second)
	get()
	if got := e.calls("/system/token"); got != 1 {
		t.Fatalf("%d token calls before the refresh point, want 1", got)
	}
	e.simClock.Advance(2 * time.Second)
	get()
	if got := e.calls("/system/token"); got != 2 {
		t.Errorf("%d token calls after the refresh point, want 2", got)
	}
	if got := e.rejected("unauthorized"); got != 0 {
		t.Errorf("%d calls refused: the token must be renewed before U8 refuses it", got)
	}
}

func TestTokenRefusedIsFetchedOnceAgain(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	clientClock := newClock()
	c := e.client(t, clientClock.Now, nil)
	if _, err := c.Get(context.Background(), "00000001"); err != nil {
		t.Fatal(err)
	}
	e.simClock.Advance(3 * time.Hour) // the server forgets the token; the client does not know
	got, err := c.Get(context.Background(), "00000001")
	if err != nil || got.SourceID != "00000001" {
		t.Fatalf("got %v, %v; want the customer after one re-fetch", got, err)
	}
	if n := e.calls("/system/token"); n != 2 {
		t.Errorf("%d token calls, want 2", n)
	}
	if n := e.rejected("unauthorized"); n != 1 {
		t.Errorf("%d refusals, want 1", n)
	}
}

func TestTokenRefusedTwiceIsAuth(t *testing.T) {
	// Every token is stale by the time it is used: the server's clock
	// jumps three hours whenever it is read.
	clk := newClock()
	clk.SetStep(3 * time.Hour)
	e := newSim(t, simOptions{customers: 10, now: clk.Now})
	c := e.client(t, nil, nil)
	_, err := c.Get(context.Background(), "00000001")
	wantUpstream(t, err, customer.ReasonAuth, u8sim.CodeBadToken)
	if n := e.calls("/system/token"); n != 2 {
		t.Errorf("%d token calls, want 2 (one retry, no more)", n)
	}
	if n := e.calls("/api/customer/get"); n != 2 {
		t.Errorf("%d get calls, want 2", n)
	}
}

func TestBadCredentials(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	tests := []struct {
		name   string
		change func(*Config)
		code   string
		tokens int
	}{
		// A refused token fetch is not remembered: each call tries again.
		{"wrong secret", func(c *Config) { c.AppSecret = "wrong" }, u8sim.CodeBadCredentials, 2},
		{"wrong app key", func(c *Config) { c.AppKey = "wrong" }, u8sim.CodeBadCredentials, 2},
		{"wrong to_account", func(c *Config) { c.ToAccount = "wrong" }, u8sim.CodeBadToAccount, 1},
		{"wrong data source", func(c *Config) { c.DSSequence = "9" }, u8sim.CodeBadDataSource, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.rec.Reset()
			c := e.client(t, nil, tt.change)
			_, err := c.Get(context.Background(), "00000001")
			reason := customer.ReasonAuth
			if tt.code == u8sim.CodeBadDataSource {
				reason = customer.ReasonRejected
			}
			wantUpstream(t, err, reason, tt.code)
			_, err = c.List(context.Background(), customer.ListQuery{})
			wantUpstream(t, err, reason, tt.code)
			if n := e.calls("/system/token"); n != tt.tokens {
				t.Errorf("%d token calls, want %d", n, tt.tokens)
			}
		})
	}
}

func TestConcurrentCallersShareOneTokenFetch(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	e.faults.Set(30*time.Millisecond, 0) // a slow gateway, so callers pile up
	c := e.client(t, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < cap(errs); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Get(context.Background(), "00000003")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.calls("/system/token"); n != 1 {
		t.Errorf("%d token calls from 16 concurrent callers, want 1", n)
	}
}

func TestWaiterOutlivesImpatientFetcher(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	e.faults.Set(150*time.Millisecond, 0)
	c := e.client(t, nil, nil)

	impatient, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
	defer cancel()
	first := make(chan error, 1)
	go func() {
		_, err := c.token.Get(impatient)
		first <- err
	}()
	// Wait until the impatient caller's fetch is in flight, then queue up.
	for deadline := time.Now().Add(time.Second); ; {
		// The simulator counts a call before its latency: a count means
		// the fetch is in flight.
		if busy := e.calls("/system/token") > 0; busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no token fetch started")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := c.Get(context.Background(), "00000001"); err != nil {
		t.Fatalf("the patient caller failed with %v; it should fetch its own token", err)
	}
	err := <-first
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("impatient caller got %v, want its deadline", err)
	}
	wantUpstream(t, err, customer.ReasonTimeout, "")
}

// TestWaiterHonoursOwnContext: a caller waiting for another's token fetch
// gives up at its own deadline. The fetch cannot end before the test ends
// it (the simulator answers in an hour), so the waiter's answer proves it
// did not wait for the fetch, however busy the machine.
func TestWaiterHonoursOwnContext(t *testing.T) {
	e := newSim(t, simOptions{customers: 10})
	e.faults.Set(time.Hour, 0)
	c := e.client(t, nil, nil)
	fetchCtx, endFetch := context.WithCancel(context.Background())
	fetched := make(chan struct{})
	go func() {
		defer close(fetched)
		_, _ = c.token.Get(fetchCtx)
	}()
	for {
		// The simulator counts a call before its latency: a count means
		// the fetch is in flight.
		if busy := e.calls("/system/token") > 0; busy {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, "00000001")
	wantUpstream(t, err, customer.ReasonTimeout, "")
	select {
	case <-fetched:
		t.Error("the waiter answered only after someone else's fetch ended")
	default:
	}
	// End the background fetch before the leak check.
	endFetch()
	<-fetched
}

func TestRefreshAfter(t *testing.T) {
	tests := []struct {
		give, want time.Duration
	}{
		{7200 * time.Second, 7200*time.Second - refreshLead},
		{0, defaultTokenTTL - refreshLead},
		{-time.Second, defaultTokenTTL - refreshLead},
		{10 * time.Minute, 5 * time.Minute},
	}
	for _, tt := range tests {
		if got := refreshAfter(tt.give); got != tt.want {
			t.Errorf("refreshAfter(%v) = %v, want %v", tt.give, got, tt.want)
		}
	}
}
