// Package u8 simulates the Yonyou U8 OpenAPI cloud gateway (api.yonyouup.com)
// for the customer reads custgraph makes: /system/token, /api/customer/get
// and /api/customer/batch_get, in U8's own wire format and with U8's failure
// modes (HTTP 200 business errors with a string errcode, a gateway 5xx page,
// and the agent-offline envelope).
//
// It knows nothing of the custgraph domain: its records come straight from
// fixture companies.
package u8

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fault"
	"custgraph/internal/sim/fixture"
)

// Source is this simulator's name in /_sim/stats keys ("u8 GET /system/token").
const Source = "u8"

// The demo credentials the simulator accepts (and custgraph's demo mode
// uses). Anything else gets U8's own auth error.
const (
	DemoFromAccount = "demo"
	DemoToAccount   = "demo"
	DemoAppKey      = "demo-app-key"
	DemoAppSecret   = "demo-app-secret"
)

// DefaultTokenTTL is the token lifetime U8 documents (token.expiresIn).
const DefaultTokenTTL = 7200 * time.Second

// Paging of batch_get.
const (
	// DefaultRowsPerPage is served when rows_per_page is left out (the
	// value public SDKs default to).
	DefaultRowsPerPage = 20
	// MaxRowsPerPage is the largest rows_per_page served.
	// Unconfirmed: U8 documents no maximum; larger pages are refused with
	// CodeBadParam so that clients learn to cap their page size.
	MaxRowsPerPage = 500
)

// U8 errcodes the simulator sends. Only CodeOK, CodeNoMatch and
// CodeAppOffline come from U8 material; the others are assumptions.
const (
	CodeOK = "0"
	// CodeNoMatch: the query matched no rows (get of an unknown code,
	// batch_get with an empty result). Confirmed upstream.
	CodeNoMatch = "20002"
	// CodeBadParam: a malformed or out-of-range parameter.
	// Unconfirmed: code and text chosen here.
	CodeBadParam = "20001"
	// CodeBadCredentials: unknown from_account/app_key or wrong app_secret.
	// Unconfirmed: code and text chosen here.
	CodeBadCredentials = "30001"
	// CodeBadToken: token missing, unknown or expired.
	// Unconfirmed: U8 publishes no code for it; the errmsg mentions token,
	// which is what public clients key off.
	CodeBadToken = "30002"
	// CodeBadToAccount: to_account is not an enterprise that authorised
	// the app. Unconfirmed: code and text chosen here.
	CodeBadToAccount = "30003"
	// CodeBadDataSource: ds_sequence names no configured data source.
	// Unconfirmed: code and text chosen here.
	CodeBadDataSource = "30004"
	// CodeAppOffline: 此应用未上线 (from the vendor's batch_get page). The
	// simulator never sends it; clients should know it.
	CodeAppOffline = "30021"
	// CodeAgentOffline: the enterprise's U8 server or its 用友开放平台客户端
	// agent cannot be reached from the cloud gateway.
	// Unconfirmed: U8 documents no code for it.
	CodeAgentOffline = "30050"
)

const (
	msgNoMatch      = "未检索到匹配的[客户]。"
	msgBadCreds     = "应用不存在或密钥错误"
	msgBadToken     = "token无效或已过期，请重新获取token"
	msgBadTo        = "提供方账号不存在或未授权此应用"
	msgBadDS        = "数据源不存在"
	msgAgentOffline = "连接企业U8服务器失败，请确认用友开放平台客户端已启动"
)

// Options configures a Server.
type Options struct {
	// Companies are the records this vendor holds (World.U8), coded
	// 00000001, 00000002, … in this order.
	Companies []*fixture.Company
	// Records, when not nil, are served instead of Companies (sim -data).
	Records *Records
	// Recorder counts calls and refusals; nil counts nothing.
	Recorder *calls.Recorder
	// Faults injects latency and failures; nil means none.
	Faults *fault.Injector
	// Now is the clock tokens expire by and ModifyDate is set from; nil
	// means time.Now.
	Now func() time.Time
	// TokenTTL is the lifetime of an issued token; zero means
	// DefaultTokenTTL. It is also what token.expiresIn reports.
	TokenTTL time.Duration
}

// Server is the simulated U8 OpenAPI. It implements http.Handler; mount it
// under a prefix with http.StripPrefix.
type Server struct {
	mux     *http.ServeMux
	rec     *calls.Recorder
	faults  *fault.Injector
	now     func() time.Time
	ttl     time.Duration
	records *store

	mu     sync.Mutex
	tokens map[string]issued

	statusFaults atomic.Uint64 // alternates the 5xx pages
}

// issued is what the gateway remembers of a token.
type issued struct {
	fromAccount, appKey string
	expires             time.Time
}

// New builds a Server holding o.Companies.
func New(o Options) *Server {
	s := &Server{
		mux:    http.NewServeMux(),
		rec:    o.Recorder,
		faults: o.Faults,
		now:    o.Now,
		ttl:    o.TokenTTL,
		tokens: map[string]issued{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTokenTTL
	}
	if o.Records != nil {
		// The store owns its slice: a second Server from the same Records
		// must not see this one's changes.
		s.records = newStore(slices.Clone(o.Records.list))
	} else {
		s.records = newStore(buildRecords(o.Companies))
	}
	s.handle("GET /system/token", s.token)
	s.handle("GET /api/customer/get", s.get)
	s.handle("GET /api/customer/batch_get", s.batchGet)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handle registers a vendor route: every call is counted, delayed and
// possibly failed before the route itself runs, as the cloud gateway sits
// in front of everything.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if fault.Admit(w, r, Source, r.Pattern, s.rec, s.faults, s.renderFault) {
			h(w, r)
		}
	})
}

// renderFault fails the way U8 does: the cloud gateway's own 5xx page or
// the agent-offline envelope (HTTP 200); fault.Admit drops connections.
func (s *Server) renderFault(w http.ResponseWriter, f fault.Kind) {
	switch f {
	case fault.Status:
		if s.statusFaults.Add(1)%2 == 1 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
				"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("Service Temporarily Unavailable"))
	case fault.Envelope:
		fail(w, CodeAgentOffline, msgAgentOffline)
	}
}

// token serves GET /system/token. to_account and ds_sequence, which some
// clients send, are ignored.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("from_account") != DemoFromAccount || q.Get("app_key") != DemoAppKey || q.Get("app_secret") != DemoAppSecret {
		s.rec.Reject(Source, calls.RejectUnauthorized)
		fail(w, CodeBadCredentials, msgBadCreds)
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	now := s.now()
	s.mu.Lock()
	for k, t := range s.tokens { // forget expired tokens so the map stays small
		if !now.Before(t.expires) {
			delete(s.tokens, k)
		}
	}
	// Unconfirmed: a new token leaves earlier ones valid until they expire.
	s.tokens[id] = issued{fromAccount: DemoFromAccount, appKey: DemoAppKey, expires: now.Add(s.ttl)}
	s.mu.Unlock()
	writeJSON(w, tokenAnswer{ErrCode: CodeOK, ErrMsg: "成功", Token: tokenBody{
		AppKey: DemoAppKey, ExpiresIn: int64(s.ttl / time.Second), ID: id,
	}})
}

// authorize checks the common parameters of an API call and answers the
// refusal itself when they fail.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	s.mu.Lock()
	t, ok := s.tokens[q.Get("token")]
	s.mu.Unlock()
	code, msg := "", ""
	switch {
	case !ok || !s.now().Before(t.expires):
		code, msg = CodeBadToken, msgBadToken
	case q.Get("from_account") != t.fromAccount || q.Get("app_key") != t.appKey:
		code, msg = CodeBadCredentials, msgBadCreds
	case q.Get("to_account") != DemoToAccount:
		code, msg = CodeBadToAccount, msgBadTo
	}
	if code != "" {
		s.rec.Reject(Source, calls.RejectUnauthorized)
		fail(w, code, msg)
		return false
	}
	// Unconfirmed: the demo enterprise has one data source, number 1; an
	// empty ds_sequence means the app's first.
	if ds := q.Get("ds_sequence"); ds != "" && ds != "1" {
		fail(w, CodeBadDataSource, msgBadDS)
		return false
	}
	return true
}

// get serves GET /api/customer/get?id=<code>.
func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		fail(w, CodeBadParam, "参数错误：id不能为空")
		return
	}
	rec, ok := s.records.get(id)
	if !ok {
		fail(w, CodeNoMatch, msgNoMatch)
		return
	}
	writeJSON(w, getAnswer{ErrCode: CodeOK, ErrMsg: "", Customer: rec.raw})
}

// batchGet serves GET /api/customer/batch_get: filtered, ordered by code,
// paged. An empty result is errcode 20002, not an empty list.
func (s *Server) batchGet(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		fail(w, CodeBadParam, "参数错误："+err.Error())
		return
	}
	rows, total := s.records.page(&q)
	// Unconfirmed: a page past the end is answered like an empty result.
	if len(rows) == 0 {
		fail(w, CodeNoMatch, msgNoMatch)
		return
	}
	writeJSON(w, batchAnswer{
		PageIndex:   itoa(q.page),
		RowsPerPage: itoa(q.size),
		RowCount:    itoa(total),
		PageCount:   itoa((total + q.size - 1) / q.size),
		ErrMsg:      "",
		ErrCode:     CodeOK,
		Customer:    rows,
	})
}

// The answers, with keys in the order U8's own samples show them.
type (
	errorAnswer struct {
		ErrCode string `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	tokenBody struct {
		AppKey    string `json:"appKey"`
		ExpiresIn int64  `json:"expiresIn"` // a JSON number, unlike every other value
		ID        string `json:"id"`
	}
	tokenAnswer struct {
		ErrCode string    `json:"errcode"`
		ErrMsg  string    `json:"errmsg"`
		Token   tokenBody `json:"token"`
	}
	getAnswer struct {
		ErrCode  string          `json:"errcode"`
		ErrMsg   string          `json:"errmsg"`
		Customer json.RawMessage `json:"customer"`
	}
	batchAnswer struct {
		PageIndex   string            `json:"page_index"`
		RowsPerPage string            `json:"rows_per_page"`
		RowCount    string            `json:"row_count"`
		PageCount   string            `json:"page_count"`
		ErrMsg      string            `json:"errmsg"`
		ErrCode     string            `json:"errcode"`
		Customer    []json.RawMessage `json:"customer"`
	}
)

// fail writes a U8 business error: HTTP 200, like every U8 answer.
func fail(w http.ResponseWriter, code, msg string) {
	writeJSON(w, errorAnswer{ErrCode: code, ErrMsg: msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own fixed types are written
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
}
