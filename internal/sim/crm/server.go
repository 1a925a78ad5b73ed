// Package crm simulates the 励销云 / ikcrm CRM open API (api/v2): login
// with single-session tokens, the customer list, detail, contacts and
// exact-name lookup, the vendor's JSON quirks, its per-enterprise quota of
// 10 calls per 10 s, and the ways its servers fail.
//
// Routes are registered without a prefix; the caller mounts the Server
// under /crm with http.StripPrefix.
package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
)

// source names this simulator in the call counters (internal/sim/calls).
const source = "crm"

// Demo credentials: the only account the simulator knows.
const (
	DemoLogin    = "13800000000"
	DemoPassword = "demo-password"
	// DemoCorpID is the only corp_id accepted besides an empty one.
	DemoCorpID = "wwjDemoCorpCustGraph"
)

// Quota defaults: the vendor's published limit, 10 calls per 10 s per
// enterprise.
const (
	DefaultRateLimit = 10
	DefaultRatePer   = 10 * time.Second
	// RateLimitOff, as Options.RateLimit, disables the quota.
	RateLimitOff = -1
)

// Paging of the list and contacts endpoints.
const (
	DefaultPerPage = 15
	// MaxPerPage is the largest per_page served; larger asks are clamped.
	// Unconfirmed: the vendor documents no maximum.
	MaxPerPage = 100
)

// The vendor codes the simulator answers with.
const (
	// CodeNotLoggedIn: the token is unknown or expired.
	// Unconfirmed: 100000 and 100400 are only known as re-login triggers;
	// which means what is our choice.
	CodeNotLoggedIn = 100000
	// CodeBadRequest: the Authorization header (or a login's device /
	// version_code) is missing or malformed.
	// Unconfirmed: see CodeNotLoggedIn.
	CodeBadRequest = 100400
	// CodeLoggedInElsewhere: a newer login of the account ended this
	// token's session (the seed's error sample).
	CodeLoggedInElsewhere = 100401
	// CodeBadCredentials: login refused (also for an unknown corp_id).
	// Unconfirmed: code and message are our choice.
	CodeBadCredentials = 100002
	// CodeNotFound: no such record, or no permission to see it.
	CodeNotFound = 100100
	// CodeRateLimited: the enterprise's quota is spent.
	// Unconfirmed: the throttled answer is not documented; we send HTTP
	// 429 with this code.
	CodeRateLimited = 100429
	// CodeBadParam: a list parameter the CRM does not know (sort, order).
	// Unconfirmed: the vendor's 错误码表 is not public; code and message
	// are our choice (not one of the re-login codes 100000/100400/100401).
	CodeBadParam = 100422
	// CodeServerError is the body of an injected FaultEnvelope (HTTP 500).
	CodeServerError = 500
)

// Options configures a Server.
type Options struct {
	// Companies are the records this CRM holds (World.CRM).
	Companies []*fixture.Company
	// Records, when not nil, are served instead of Companies (sim -data).
	Records *Records
	// Recorder counts calls and refusals; nil counts nothing.
	Recorder *calls.Recorder
	// Faults injects latency and failures; nil injects none.
	Faults *fault.Injector
	// Now is the clock for sessions, the quota and updated_at; nil means
	// time.Now.
	Now func() time.Time
	// RateLimit is how many calls the enterprise may make per RatePer.
	// Zero means DefaultRateLimit; a negative value (RateLimitOff)
	// disables the quota.
	RateLimit int
	// RatePer is the quota's sliding window; zero means DefaultRatePer.
	RatePer time.Duration
	// SessionTTL ends a token this long after its login; zero means it
	// lives until the next login of the account.
	SessionTTL time.Duration
}

// Server is the simulated CRM. It implements http.Handler.
type Server struct {
	rec    *calls.Recorder
	faults *fault.Injector
	now    func() time.Time
	ttl    time.Duration
	mux    *http.ServeMux

	records *store

	quota    *window // nil when disabled
	sessions sessions
	faultN   atomic.Uint64 // alternates 502 and 503
}

// New builds a Server over o.Companies. The data depend only on the
// companies and their order, so the same seed gives the same answers.
func New(o Options) *Server {
	s := &Server{rec: o.Recorder, faults: o.Faults, now: o.Now, ttl: o.SessionTTL, mux: http.NewServeMux()}
	if s.now == nil {
		s.now = time.Now
	}
	if o.RateLimit >= 0 {
		limit, per := o.RateLimit, o.RatePer
		if limit == 0 {
			limit = DefaultRateLimit
		}
		if per <= 0 {
			per = DefaultRatePer
		}
		s.quota = &window{limit: limit, per: per}
	}
	if o.Records != nil {
		s.records = newStore(slices.Clone(o.Records.list)) // its own slice: changes stay in this Server
	} else {
		s.records = newStore(buildRecords(o.Companies))
	}

	s.handle("POST /api/v2/auth/login", false, s.login)
	s.handle("GET /api/v2/customers", true, s.list)
	s.handle("GET /api/v2/customers/{id}", true, s.detail)
	s.handle("GET /api/v2/customers/{id}/contacts", true, s.contacts)
	s.handle("GET /api/v2/duplicates/matching_name", true, s.matchingName)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handle registers a vendor route. Every call is counted, then delayed,
// then possibly failed, then held to the quota, then (authed) checked for
// a live session.
//
// Unconfirmed: every api/v2 call counts against the quota, login
// included, and so do calls later refused for their token; calls failed
// by the vendor's gateway (injected faults) and throttled calls do not.
func (s *Server) handle(pattern string, authed bool, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !fault.Admit(w, r, source, pattern, s.rec, s.faults, s.fail) {
			return
		}
		if s.quota != nil {
			if ok, retry := s.quota.admit(s.now()); !ok {
				s.rec.Reject(source, calls.RejectRateLimited)
				// Unconfirmed: Retry-After is our addition; it helps
				// clients and costs nothing.
				w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
				writeJSON(w, http.StatusTooManyRequests, failure{Code: CodeRateLimited, Message: "请求过于频繁,请稍后再试"})
				return
			}
		}
		if authed && !s.authorize(w, r) {
			return
		}
		h(w, r)
	})
}

// fail renders an injected fault the way the vendor's stack fails: its
// nginx answers 502/503 pages, Rails answers 500 with an error envelope.
func (s *Server) fail(w http.ResponseWriter, f fault.Kind) {
	switch f {
	case fault.Envelope:
		writeJSON(w, http.StatusInternalServerError, failure{Code: CodeServerError, Message: "服务器内部错误"})
	default:
		status := http.StatusBadGateway
		if s.faultN.Add(1)%2 == 0 {
			status = http.StatusServiceUnavailable
		}
		text := fmt.Sprintf("%d %s", status, http.StatusText(status))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", text, text)
	}
}

// failure is the vendor's error envelope.
type failure struct {
	Code    int       `json:"code"`
	Data    *struct{} `json:"data"` // always null
	Message string    `json:"message"`
	Error   string    `json:"error,omitempty"`
}

// success is the vendor's answer envelope.
type success struct {
	Code int `json:"code"`
	Data any `json:"data"`
}

// Unconfirmed: whether the vendor's errors come with HTTP 200 is not
// documented; the simulator answers every envelope error (auth, not
// found, bad credentials) with 200, as the public SDKs only read "code".
func writeOK(w http.ResponseWriter, data any) { writeJSON(w, http.StatusOK, success{Data: data}) }

func writeFailure(w http.ResponseWriter, f failure) { writeJSON(w, http.StatusOK, f) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// window is a sliding-window quota over admitted calls.
type window struct {
	limit  int
	per    time.Duration
	mu     sync.Mutex
	stamps []time.Time
}

// admit reports whether a call at now fits in the quota and records it;
// when it does not, retry is how long until the oldest call leaves the
// window.
func (q *window) admit(now time.Time) (ok bool, retry time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	cut := now.Add(-q.per)
	i := 0
	for i < len(q.stamps) && !q.stamps[i].After(cut) {
		i++
	}
	q.stamps = append(q.stamps[:0], q.stamps[i:]...)
	if len(q.stamps) >= q.limit {
		return false, q.stamps[0].Sub(cut)
	}
	q.stamps = append(q.stamps, now)
	return true, 0
}
