// Package ycm simulates the Yeastar Central Management (YCM) open API as
// far as custgraph uses it: the OAuth token endpoint (client credentials and
// rotating refresh tokens) and the read-only customer endpoints, with YCM's
// envelope, paging limits and failure shapes.
//
// Register it under a prefix with http.StripPrefix; routes are the vendor's
// own paths (/dm/open_api/...).
package ycm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
)

// Demo credentials the simulator accepts (and demo mode uses).
const (
	DemoClientID     = "demo-client"
	DemoClientSecret = "demo-secret"
)

// Defaults of the Options knobs.
const (
	// DefaultTokenTTL is how long an access token lives (YCM: 30 minutes).
	DefaultTokenTTL = 30 * time.Minute
	// DefaultRefreshTTL is how long a refresh token lives unused (YCM: 15 days).
	DefaultRefreshTTL = 15 * 24 * time.Hour
)

// Paging limits of the customer list.
const (
	DefaultPageSize = 10
	MaxPageSize     = 50
)

// FirstCustomerID is the customerId of the first record; later ids grow
// from it with occasional gaps, as deleted records leave them.
const FirstCustomerID = 50086120

// Routes as ServeMux patterns; with the "ycm " prefix they are the
// /_sim/stats call keys.
const (
	RouteToken     = "POST /dm/open_api/oauth/token"
	RouteCustomers = "GET /dm/open_api/v1/customers"
	RouteCustomer  = "GET /dm/open_api/v1/customers/{id}"
)

// source is this simulator's name in the Recorder's keys.
const source = "ycm"

// Error codes the simulator answers with.
//
// Unconfirmed: YCM documents only requestId, status ("Failed") and time on
// errors; the errorCode/message fields and these values are our choice.
const (
	CodeInternal          = 10001 // HTTP 200 envelope fault ("system busy")
	CodeUserAgentRequired = 10002 // HTTP 403, no User-Agent header
	CodeInvalidParameter  = 10003 // HTTP 400, bad paging/sort/id
	CodeUnsupportedGrant  = 10004 // HTTP 400, grant_type other than the two we know
	CodeBadClient         = 20001 // HTTP 401, wrong client_id / client_secret
	CodeBadRefreshToken   = 20002 // HTTP 400, unknown, used or expired refresh token
	CodeBadAccessToken    = 20003 // HTTP 401, missing, unknown or expired bearer token
	CodeCustomerNotFound  = 30001 // HTTP 404, no customer with that id
)

// Options configures a Server. Zero values take the documented defaults.
type Options struct {
	// Companies are the records this vendor holds (fixture World.YCM).
	Companies []*fixture.Company
	// Records, when not nil, are served instead of Companies (sim -data).
	Records *Records
	// Recorder counts calls and refusals; nil counts nothing.
	Recorder *calls.Recorder
	// Faults injects latency and failures; nil injects none.
	Faults *fault.Injector
	// Now is the clock tokens are checked against; nil means time.Now.
	Now func() time.Time
	// TokenTTL is the access token lifetime; zero means DefaultTokenTTL.
	TokenTTL time.Duration
	// RefreshTTL is the refresh token lifetime; zero means DefaultRefreshTTL.
	RefreshTTL time.Duration
}

// Server is the YCM simulator. It implements http.Handler.
type Server struct {
	mux     *http.ServeMux
	rec     *calls.Recorder
	faults  *fault.Injector
	now     func() time.Time
	records *store
	seq     atomic.Uint64 // request counter, for requestId and 5xx choice
	tokens  tokenStore
}

// New builds a Server over o.Companies.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	s := &Server{
		mux:    http.NewServeMux(),
		rec:    o.Recorder,
		faults: o.Faults,
		now:    o.Now,
		tokens: newTokenStore(o.TokenTTL, o.RefreshTTL),
	}
	if o.Records != nil {
		// The store owns its slice: a second Server from the same Records
		// must not see this one's changes.
		s.records = newStore(slices.Clone(o.Records.list))
	} else {
		s.records = newStore(buildRecords(o.Companies))
	}
	s.handle(RouteToken, false, s.token)
	s.handle(RouteCustomers, true, s.listCustomers)
	s.handle(RouteCustomer, true, s.getCustomer)
	return s
}

// renderFault fails the way YCM's stack does: a gateway 5xx page, or the
// Failed envelope for an internal error.
func (s *Server) renderFault(w http.ResponseWriter, f fault.Kind) {
	if f == fault.Status {
		s.gatewayError(w)
		return
	}
	// Unconfirmed: an internal failure as HTTP 200 with status Failed, as
	// Yeastar's S-Series answers its errors.
	s.fail(w, http.StatusOK, CodeInternal, "System busy, please try again later")
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handle registers h under pattern behind what every YCM route does:
// count the call, apply latency and injected faults, insist on a
// User-Agent and, where needed, on a valid bearer token.
func (s *Server) handle(pattern string, bearer bool, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !fault.Admit(w, r, source, r.Pattern, s.rec, s.faults, s.renderFault) {
			return
		}
		if r.Header.Get("User-Agent") == "" {
			// Unconfirmed: YCM requires a User-Agent; how it refuses a
			// request without one is not documented.
			s.rec.Reject(source, calls.RejectUnauthorized)
			s.fail(w, http.StatusForbidden, CodeUserAgentRequired, "User-Agent header is required")
			return
		}
		if bearer && !s.tokens.validAccess(bearerToken(r), s.now()) {
			// Unconfirmed: HTTP 401 with the Failed envelope.
			s.rec.Reject(source, calls.RejectUnauthorized)
			s.fail(w, http.StatusUnauthorized, CodeBadAccessToken, "Invalid or expired access token")
			return
		}
		h(w, r)
	})
}

// envelope is YCM's response wrapper. Field order gives the documented
// key order: data, requestId, status, time.
type envelope struct {
	Data      any    `json:"data,omitempty"`
	ErrorCode int    `json:"errorCode,omitempty"`
	Message   string `json:"message,omitempty"`
	RequestID string `json:"requestId"`
	Status    string `json:"status"`
	Time      int64  `json:"time"`
}

// ok writes a Success envelope around data.
func (s *Server) ok(w http.ResponseWriter, data any) {
	s.writeJSON(w, http.StatusOK, envelope{Data: data, RequestID: s.requestID(), Status: "Success", Time: s.now().Unix()})
}

// fail writes a Failed envelope.
func (s *Server) fail(w http.ResponseWriter, status, code int, msg string) {
	s.writeJSON(w, status, envelope{ErrorCode: code, Message: msg, RequestID: s.requestID(), Status: "Failed", Time: s.now().Unix()})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only our own plain structs are written
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// gatewayError answers like the load balancer in front of YCM when the
// application is down: a 5xx with an HTML page.
func (s *Server) gatewayError(w http.ResponseWriter) {
	codes := [...]int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusInternalServerError}
	code := codes[s.seq.Add(1)%uint64(len(codes))]
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(code)
	text := http.StatusText(code)
	_, _ = w.Write([]byte("<html>\r\n<head><title>" + strconv.Itoa(code) + " " + text + "</title></head>\r\n<body>\r\n<center><h1>" +
		strconv.Itoa(code) + " " + text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
}

// requestID returns a 32-hex request id. It is derived from a counter, not
// drawn at random, so that the same requests get byte-identical answers.
func (s *Server) requestID() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], s.seq.Add(1))
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:16])
}
