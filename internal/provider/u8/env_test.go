package u8

import (
	"errors"
	"fmt"
	"go.uber.org/goleak"
	"net/http/httptest"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
	u8sim "custgraph/internal/sim/u8"
	"custgraph/internal/testclock"
)

// TestMain fails the run if a goroutine outlives the tests (token fetches,
// fan-out of pages).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newClock is a settable Now.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2025, 6, 1, 9, 0, 0, 0, customer.Shanghai))
}

// simEnv is the real simulator over real HTTP, with its own clock so tests
// can make the server's view of time differ from the client's.
type simEnv struct {
	srv      *httptest.Server
	rec      *calls.Recorder
	faults   *fault.Injector
	world    *fixture.World
	simClock *testclock.Clock
}

type simOptions struct {
	customers int
	companies []*fixture.Company
	now       func() time.Time
}

func newSim(t *testing.T, o simOptions) *simEnv {
	t.Helper()
	if o.customers == 0 {
		o.customers = 120
	}
	e := &simEnv{
		rec:      calls.NewRecorder(),
		faults:   fault.New(0, 0, 11),
		world:    fixture.Generate(fixture.Options{Seed: 5, Customers: o.customers}),
		simClock: newClock(),
	}
	if o.companies == nil {
		o.companies = e.world.U8
	}
	if o.now == nil {
		o.now = e.simClock.Now
	}
	e.srv = httptest.NewServer(u8sim.New(u8sim.Options{
		Companies: o.companies, Recorder: e.rec, Faults: e.faults, Now: o.now,
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// demoConfig is a Config for the simulator's demo enterprise.
func demoConfig(baseURL string) Config {
	return Config{
		BaseURL: baseURL, FromAccount: u8sim.DemoFromAccount, ToAccount: u8sim.DemoToAccount,
		AppKey: u8sim.DemoAppKey, AppSecret: u8sim.DemoAppSecret, DSSequence: "1",
	}
}

// client returns a Client of the simulator; change may adjust its Config.
func (e *simEnv) client(t *testing.T, now func() time.Time, change func(*Config)) *Client {
	t.Helper()
	cfg := demoConfig(e.srv.URL)
	cfg.Now = now
	if change != nil {
		change(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func (e *simEnv) calls(route string) int { return e.rec.Snapshot().Calls["u8 GET "+route] }

func (e *simEnv) rejected(reason string) int { return e.rec.Snapshot().Rejected["u8 "+reason] }

// wantUpstream fails unless err is a U8 upstream error with this reason and
// upstream code.
func wantUpstream(t *testing.T, err error, reason customer.Reason, code string) {
	t.Helper()
	var e *customer.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want a *customer.Error", err, err)
	}
	if e.Code != customer.CodeUpstream || e.Source != customer.U8 || e.Reason != reason || e.UpstreamCode != code {
		t.Fatalf("got %s/%s/%s/%q (%v), want DOWNSTREAM_SERVICE_ERROR/U8/%s/%q",
			e.Code, e.Source, e.Reason, e.UpstreamCode, errText(err), reason, code)
	}
}

// errText is every text an error chain shows: the message, %+v, and each
// cause's own text.
func errText(err error) string {
	s := err.Error() + "\n" + fmt.Sprintf("%+v", err)
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		s += "\n" + e.Error()
	}
	return s
}
