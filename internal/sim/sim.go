// Package sim serves the three vendor simulators on one listener, under
// the prefixes /u8, /ycm and /crm, with the shared control endpoints under
// /_sim: stats, reset and fault knobs. Demo mode runs it in-process; the
// `custgraph sim` command serves it alone.
package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/crm"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
	"custgraph/internal/sim/u8"
	"custgraph/internal/sim/ycm"
)

// Options configures the simulators. The zero value serves the default data
// set with no latency, no faults, vendor token lifetimes and the CRM quota.
type Options struct {
	// Seed picks the data set (default 0); Customers is how many records
	// each source holds (default fixture.DefaultCustomers).
	Seed      uint64
	Customers int
	// Latency delays every vendor answer (not /_sim/*).
	Latency time.Duration
	// FailRate is the share of vendor calls that fail as the vendor fails.
	FailRate float64
	// CRMRate is the CRM's quota per company; the zero value is the
	// vendor's 10 calls per 10 s, Off disables it.
	CRMRate quota.Rate
	// U8TokenTTL and YCMTokenTTL shorten token lifetimes for tests (zero:
	// the vendors' 7200 s and 1800 s).
	U8TokenTTL, YCMTokenTTL time.Duration
	// Now is the clock for token expiry (nil: time.Now).
	Now func() time.Time
}

// Stats is the body of GET /_sim/stats.
type Stats = calls.Stats

// Names of the simulated sources, as the prefixes and /_sim/stats use them.
var Names = []string{"u8", "ycm", "crm"}

// Sim is the three simulators behind one handler.
type Sim struct {
	mux      *http.ServeMux
	recorder *calls.Recorder
	faults   map[string]*fault.Injector
}

// New builds the simulators and their data.
func New(o Options) *Sim {
	world := fixture.Generate(fixture.Options{Seed: o.Seed, Customers: o.Customers})
	s := &Sim{mux: http.NewServeMux(), recorder: calls.NewRecorder(), faults: map[string]*fault.Injector{}}
	for i, name := range Names {
		// Each vendor gets its own fault sequence, so that one vendor's
		// traffic does not change which calls of another fail.
		s.faults[name] = fault.New(o.Latency, o.FailRate, o.Seed+uint64(i)+1)
	}
	crmLimit := o.CRMRate.N
	if o.CRMRate.Off {
		crmLimit = -1
	}
	s.mount("u8", u8.New(u8.Options{Companies: world.U8, Recorder: s.recorder, Faults: s.faults["u8"],
		Now: o.Now, TokenTTL: o.U8TokenTTL}))
	s.mount("ycm", ycm.New(ycm.Options{Companies: world.YCM, Recorder: s.recorder, Faults: s.faults["ycm"],
		Now: o.Now, TokenTTL: o.YCMTokenTTL}))
	s.mount("crm", crm.New(crm.Options{Companies: world.CRM, Recorder: s.recorder, Faults: s.faults["crm"],
		Now: o.Now, RateLimit: crmLimit, RatePer: o.CRMRate.Per}))
	s.mux.HandleFunc("GET /_sim/stats", s.serveStats)
	s.mux.HandleFunc("POST /_sim/reset", s.serveReset)
	s.mux.HandleFunc("GET /_sim/faults", s.serveFaults)
	s.mux.HandleFunc("POST /_sim/faults", s.serveFaults)
	return s
}

func (s *Sim) mount(name string, h http.Handler) {
	s.mux.Handle("/"+name+"/", http.StripPrefix("/"+name, h))
}

// ServeHTTP implements http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Stats returns the call and rejection counters.
func (s *Sim) Stats() calls.Stats { return s.recorder.Snapshot() }

// Reset zeroes the counters.
func (s *Sim) Reset() { s.recorder.Reset() }

// Faults returns the fault knobs of one source ("u8", "ycm", "crm"), or
// nil for an unknown name.
func (s *Sim) Faults(name string) *fault.Injector { return s.faults[name] }

func (s *Sim) serveStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.recorder.Snapshot())
}

func (s *Sim) serveReset(w http.ResponseWriter, _ *http.Request) {
	s.recorder.Reset()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

type faultState struct {
	Latency  string  `json:"latency"`
	FailRate float64 `json:"failRate"`
	Down     bool    `json:"down"`
}

// serveFaults shows (GET) or changes (POST, form or query parameters
// source, latency, fail-rate, down) the fault knobs, so that a running
// simulator can be made slow, flaky or dead without a restart. Without
// source, a POST changes all three.
func (s *Sim) serveFaults(w http.ResponseWriter, r *http.Request) {
	names := Names
	if src := r.FormValue("source"); src != "" {
		if s.faults[src] == nil {
			http.Error(w, fmt.Sprintf("unknown source %q (want u8, ycm or crm)", src), http.StatusBadRequest)
			return
		}
		names = []string{src}
	}
	if r.Method == http.MethodPost {
		for _, name := range names {
			f := s.faults[name]
			latency, rate, down := f.Knobs()
			if v := r.FormValue("latency"); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					http.Error(w, "latency must be a duration such as 150ms", http.StatusBadRequest)
					return
				}
				latency = d
			}
			if v := r.FormValue("fail-rate"); v != "" {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil || x < 0 || x > 1 {
					http.Error(w, "fail-rate must be a number from 0 to 1", http.StatusBadRequest)
					return
				}
				rate = x
			}
			if v := r.FormValue("down"); v != "" {
				b, err := strconv.ParseBool(v)
				if err != nil {
					http.Error(w, "down must be true or false", http.StatusBadRequest)
					return
				}
				down = b
			}
			f.Set(latency, rate)
			f.SetDown(down)
		}
	}
	out := map[string]faultState{}
	for _, name := range names {
		latency, rate, down := s.faults[name].Knobs()
		out[name] = faultState{Latency: latency.String(), FailRate: rate, Down: down}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
