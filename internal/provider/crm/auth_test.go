package crm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"custgraph/internal/customer"
	crmsim "custgraph/internal/sim/crm"
	"custgraph/internal/sim/fault"
)

func TestTokenIsReused(t *testing.T) {
	e := setup(t, 5, crmsim.Options{}, nil)
	for i := 0; i < 5; i++ {
		if _, err := e.c.List(context.Background(), customer.ListQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if e.logins() != 1 {
		t.Errorf("5 calls made %d logins, want 1", e.logins())
	}
}

func TestLoginIsSentAsTheCRMWantsIt(t *testing.T) {
	e := setup(t, 5, crmsim.Options{}, func(c *Config) { c.CorpID = crmsim.DemoCorpID })
	if _, err := e.c.List(context.Background(), customer.ListQuery{}); err != nil {
		t.Fatalf("login with the demo corp_id: %v", err)
	}
	e = setup(t, 5, crmsim.Options{}, func(c *Config) { c.CorpID = "wwjSomeOtherCorp" })
	_, err := e.c.List(context.Background(), customer.ListQuery{})
	wantReason(t, err, customer.ReasonAuth, "100002")
}

func TestReloginWhenLoggedInElsewhere(t *testing.T) {
	e := setup(t, 5, crmsim.Options{}, nil)
	ctx := context.Background()
	other, _ := New(Config{BaseURL: e.url, Login: crmsim.DemoLogin, Password: crmsim.DemoPassword})
	if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.List(ctx, customer.ListQuery{}); err != nil { // ends e.c's session
		t.Fatal(err)
	}
	if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
		t.Fatalf("call after another login: %v, want a transparent relogin", err)
	}
	if got, refused := e.logins(), e.rec.Snapshot().Rejected["crm unauthorized"]; got != 3 || refused != 1 {
		t.Errorf("%d logins and %d refusals, want 3 and 1", got, refused)
	}
}

func TestReloginWhenExpired(t *testing.T) {
	clk := newClock()
	e := setup(t, 5, crmsim.Options{Now: clk.Now, SessionTTL: time.Hour}, func(c *Config) { c.Now = clk.Now })
	ctx := context.Background()
	if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
		t.Fatalf("call with an expired token: %v, want a transparent relogin", err)
	}
	if e.logins() != 2 {
		t.Errorf("%d logins, want 2", e.logins())
	}
}

func TestSessionIsRenewedAfterMaxAge(t *testing.T) {
	clk := newClock()
	e := setup(t, 5, crmsim.Options{}, func(c *Config) { c.Now = clk.Now })
	ctx := context.Background()
	for _, step := range []time.Duration{0, maxSessionAge - time.Minute, 2 * time.Minute} {
		clk.Advance(step)
		if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, refused := e.logins(), e.rec.Snapshot().Rejected["crm unauthorized"]; got != 2 || refused != 0 {
		t.Errorf("%d logins and %d refusals, want 2 and 0 (renewed before the CRM refused)", got, refused)
	}
}

func TestConcurrentCallersLogInOnce(t *testing.T) {
	e := setup(t, 5, crmsim.Options{}, nil)
	ctx := context.Background()
	burst := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for i := 0; i < 32; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.c.List(ctx, customer.ListQuery{})
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
	}
	burst()
	if e.logins() != 1 {
		t.Fatalf("32 concurrent first calls made %d logins, want 1", e.logins())
	}
	other, _ := New(Config{BaseURL: e.url, Login: crmsim.DemoLogin, Password: crmsim.DemoPassword})
	if _, err := other.FindByName(ctx, "x"); err != nil { // ends e.c's session
		t.Fatal(err)
	}
	burst()
	if e.logins() != 3 {
		t.Errorf("32 concurrent calls on an ended session made %d logins, want exactly 1 more (3 in all)", e.logins()-2)
	}
}

func TestBadCredentials(t *testing.T) {
	e := setup(t, 5, crmsim.Options{}, func(c *Config) { c.Password = "wrong" })
	for i := 0; i < 2; i++ {
		_, err := e.c.Get(context.Background(), "831")
		wantReason(t, err, customer.ReasonAuth, "100002")
	}
	if e.logins() != 2 || e.calls("GET /api/v2/customers/{id}") != 0 {
		t.Errorf("%d logins and %d reads, want one login per call and no reads", e.logins(), e.calls("GET /api/v2/customers/{id}"))
	}
}

func TestReloginOnlyOnce(t *testing.T) {
	var logins, reads atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/auth/login", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"code":0,"data":{"user_token":"t%d"}}`, logins.Add(1))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reads.Add(1)
		_, _ = w.Write([]byte(`{"code":100401,"data":null,"message":"你的帐号已在其他地方登录,本地已经下线"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Login: "x", Password: "y"})
	_, err := c.Get(context.Background(), "831")
	wantReason(t, err, customer.ReasonAuth, "100401")
	if logins.Load() != 2 || reads.Load() != 2 {
		t.Errorf("%d logins and %d reads, want 2 and 2 (one relogin, one retry)", logins.Load(), reads.Load())
	}
}

func TestLoginWaitersOutliveAnAbandonedLeader(t *testing.T) {
	var logins atomic.Int32
	started := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/auth/login", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // else the server never sees the client leave
		if n := logins.Add(1); n == 1 {
			close(started)
			<-r.Context().Done() // the first login hangs until its caller leaves
			return
		}
		_, _ = w.Write([]byte(`{"code":0,"data":{"user_token":"t2"}}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"code":0,"data":{"customers":[]}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Login: "x", Password: "y"})

	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.FindByName(leaderCtx, "甲")
		leaderErr <- err
	}()
	<-started
	waiterErr := make(chan error, 1)
	go func() {
		_, err := c.FindByName(context.Background(), "乙")
		waiterErr <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the waiter join the login in flight
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v, want its cancellation", err)
	}
	if err := <-waiterErr; err != nil {
		t.Errorf("waiter: %v, want it to log in itself and succeed", err)
	}
	if logins.Load() != 2 {
		t.Errorf("%d logins, want 2", logins.Load())
	}
}

// TestNoSecretInErrors drives every failure with credentials and a live
// token configured, and looks for them in every error text.
func TestNoSecretInErrors(t *testing.T) {
	const secretPW = "pw-SECRET-4711"
	faults := fault.New(0, 0, 9)
	e := setup(t, 5, crmsim.Options{Faults: faults}, nil)
	ctx := context.Background()
	var errs []error
	collect := func(err error) {
		if err == nil {
			t.Fatal("a failure scenario succeeded")
		}
		errs = append(errs, err)
	}

	bad, _ := New(Config{BaseURL: e.url, Login: crmsim.DemoLogin, Password: secretPW, CorpID: "corp-SECRET"})
	_, err := bad.List(ctx, customer.ListQuery{Filter: customer.Filter{Name: "甲"}})
	collect(err)

	if _, err := e.c.List(ctx, customer.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	token := e.c.session.Current()
	_, err = e.c.Get(ctx, "1")
	collect(err)
	faults.Set(0, 1)
	for i := 0; i < 12; i++ {
		_, err = e.c.FindByName(ctx, "某公司")
		collect(err)
	}
	faults.Set(0, 0)
	dead, _ := New(Config{BaseURL: "http://127.0.0.1:1/", Login: "x", Password: secretPW})
	_, err = dead.Get(ctx, "831")
	collect(err)
	timeout, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	_, err = e.c.FindByName(timeout, "某公司")
	collect(err)

	for _, err := range errs {
		texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
		for u := err; u != nil; u = errors.Unwrap(u) {
			texts = append(texts, u.Error())
		}
		for _, text := range texts {
			for _, secret := range []string{secretPW, token, "corp-SECRET", "password", "token="} {
				if strings.Contains(text, secret) {
					t.Errorf("error text %q holds %q", text, secret)
				}
			}
		}
	}
}
