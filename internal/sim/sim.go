// Package sim serves the three vendor simulators on one listener, under
// the prefixes /u8, /ycm and /crm, with the shared control endpoints under
// /_sim: stats, reset, fault knobs, records and identities. Demo mode runs it in-process; the
// `custgraph sim` command serves it alone.
package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
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
	// Variants and Negatives set how the sources write names, phones and
	// emails, and how many hard negatives there are (nil: the fixture's
	// defaults, see fixture.Options).
	Variants  *fixture.Variants
	Negatives *fixture.Negatives
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
	// Now is the clock for token expiry and the change markers of
	// /_sim/records (nil: time.Now).
	Now func() time.Time
	// DataDir, when set, holds u8.json, ycm.json and crm.json: JSON arrays
	// of records in each vendor's wire format, served instead of the
	// generated ones. A missing file keeps that source's generated data.
	// Use Open with it: New cannot report a bad file.
	DataDir string
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
	records  map[string]recordStore
}

// recordStore is what /_sim/records and /_sim/identities need of a
// simulator.
type recordStore interface {
	PutRecord(id string, body []byte) (json.RawMessage, bool, error)
	DeleteRecord(id string) bool
	Identities() map[string]fixture.Label
}

// New builds the simulators and their data. It panics if o.DataDir holds a
// bad file; callers that set DataDir should use Open.
func New(o Options) *Sim {
	s, err := Open(o)
	if err != nil {
		panic(err)
	}
	return s
}

// data are the records read from Options.DataDir; nil fields keep that
// source's generated data.
type data struct {
	u8  *u8.Records
	ycm *ycm.Records
	crm *crm.Records
}

// load reads dir/u8.json, ycm.json and crm.json, those that exist. Errors
// name the file and, through the parsers, the record.
func load(dir string) (data, error) {
	var d data
	if dir == "" {
		return d, nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return d, fmt.Errorf("data directory %s: not a readable directory", dir)
	}
	for _, f := range []struct {
		name  string
		parse func([]byte) error
	}{
		{"u8.json", func(b []byte) (err error) { d.u8, err = u8.ParseRecords(b); return err }},
		{"ycm.json", func(b []byte) (err error) { d.ycm, err = ycm.ParseRecords(b); return err }},
		{"crm.json", func(b []byte) (err error) { d.crm, err = crm.ParseRecords(b); return err }},
	} {
		path := filepath.Join(dir, f.name)
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return d, err
		}
		if err := f.parse(b); err != nil {
			return d, fmt.Errorf("%s: %w", path, err)
		}
	}
	return d, nil
}

// Open builds the simulators and their data, reading o.DataDir if set.
func Open(o Options) (*Sim, error) {
	d, err := load(o.DataDir)
	if err != nil {
		return nil, err
	}
	world := fixture.Generate(fixture.Options{Seed: o.Seed, Customers: o.Customers, Variants: o.Variants, Negatives: o.Negatives})
	s := &Sim{mux: http.NewServeMux(), recorder: calls.NewRecorder(), faults: map[string]*fault.Injector{},
		records: map[string]recordStore{}}
	for i, name := range Names {
		// Each vendor gets its own fault sequence, so that one vendor's
		// traffic does not change which calls of another fail.
		s.faults[name] = fault.New(o.Latency, o.FailRate, o.Seed+uint64(i)+1)
	}
	crmLimit := o.CRMRate.N
	if o.CRMRate.Off {
		crmLimit = -1
	}
	// The three build their records at once: at -customers 100000 that
	// is seconds saved at every start.
	var (
		wg   sync.WaitGroup
		u8s  *u8.Server
		ycms *ycm.Server
		crms *crm.Server
	)
	wg.Go(func() {
		u8s = u8.New(u8.Options{Companies: world.U8, Records: d.u8, Recorder: s.recorder, Faults: s.faults["u8"],
			Now: o.Now, TokenTTL: o.U8TokenTTL})
	})
	wg.Go(func() {
		ycms = ycm.New(ycm.Options{Companies: world.YCM, Records: d.ycm, Recorder: s.recorder, Faults: s.faults["ycm"],
			Now: o.Now, TokenTTL: o.YCMTokenTTL})
	})
	wg.Go(func() {
		crms = crm.New(crm.Options{Companies: world.CRM, Records: d.crm, Recorder: s.recorder, Faults: s.faults["crm"],
			Now: o.Now, RateLimit: crmLimit, RatePer: o.CRMRate.Per})
	})
	wg.Wait()
	s.mount("u8", u8s)
	s.mount("ycm", ycms)
	s.mount("crm", crms)
	s.mux.HandleFunc("GET /_sim/stats", s.serveStats)
	s.mux.HandleFunc("POST /_sim/reset", s.serveReset)
	s.mux.HandleFunc("GET /_sim/faults", s.serveFaults)
	s.mux.HandleFunc("POST /_sim/faults", s.serveFaults)
	s.mux.HandleFunc("PUT /_sim/records/{source}/{id}", s.servePut)
	s.mux.HandleFunc("DELETE /_sim/records/{source}/{id}", s.serveDelete)
	s.mux.HandleFunc("GET /_sim/identities", s.serveIdentities)
	return s, nil
}

func (s *Sim) mount(name string, h interface {
	http.Handler
	recordStore
}) {
	s.records[name] = h
	s.mux.Handle("/"+name+"/", http.StripPrefix("/"+name, h))
}

// maxRecordBody bounds a PUT body: one customer is a few kilobytes.
const maxRecordBody = 1 << 20

// store finds the {source} of a /_sim/records path; it answers 400
// itself for an unknown one.
func (s *Sim) store(w http.ResponseWriter, r *http.Request) (recordStore, bool) {
	st, ok := s.records[r.PathValue("source")]
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown source %q (want u8, ycm or crm)", r.PathValue("source")))
	}
	return st, ok
}

// servePut creates or replaces one record: 201 when created, 200 when
// replaced, with the record as the vendor now serves it.
func (s *Sim) servePut(w http.ResponseWriter, r *http.Request) {
	st, ok := s.store(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRecordBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	stored, created, err := st.PutRecord(r.PathValue("id"), body)
	if err != nil {
		writeError(w, http.StatusBadRequest, r.PathValue("source")+" record: "+err.Error())
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(stored, '\n'))
}

// serveDelete removes one record: 204, or 404 when there is none.
func (s *Sim) serveDelete(w http.ResponseWriter, r *http.Request) {
	st, ok := s.store(w, r)
	if !ok {
		return
	}
	if !st.DeleteRecord(r.PathValue("id")) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no %s record %q", r.PathValue("source"), r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Identities maps "<source>:<id>" of every generated record still held to
// its company, "c<serial>": records with the same value are the same
// company. Records loaded from files or written through /_sim/records
// are not in it: nothing says which company they are.
func (s *Sim) Identities() map[string]string {
	out := map[string]string{}
	for key, l := range s.IdentityDetail() {
		out[key] = l.ID
	}
	return out
}

// IdentityLabel is the truth about one generated record, for evaluating
// an identity resolver.
type IdentityLabel struct {
	// ID is the record's company, "c<serial>", as in Identities.
	ID string `json:"id"`
	// Variant is how the record's name differs from the company's
	// registered name: a fixture.Variant* kind ("exact" when it does not;
	// combined kinds joined by "+", as "legal+width").
	Variant string `json:"variant"`
	// Negative is the hard-negative kind (a fixture.Negative* kind) when
	// the company was made to look like company Of ("c<serial>"); "" for
	// the others.
	Negative string `json:"negative"`
	Of       string `json:"of"`
}

// IdentityDetail is Identities with how each record varies: the answer
// of GET /_sim/identities?detail=1.
func (s *Sim) IdentityDetail() map[string]IdentityLabel {
	out := map[string]IdentityLabel{}
	for _, name := range Names {
		for id, l := range s.records[name].Identities() {
			il := IdentityLabel{ID: "c" + strconv.Itoa(l.Serial), Variant: l.Variant, Negative: l.Negative}
			if l.Of != 0 {
				il.Of = "c" + strconv.Itoa(l.Of)
			}
			out[name+":"+id] = il
		}
	}
	return out
}

// serveIdentities answers Identities, or IdentityDetail with detail=1
// (or true).
func (s *Sim) serveIdentities(w http.ResponseWriter, r *http.Request) {
	if d, _ := strconv.ParseBool(r.FormValue("detail")); d {
		writeJSON(w, http.StatusOK, s.IdentityDetail())
		return
	}
	writeJSON(w, http.StatusOK, s.Identities())
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
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
