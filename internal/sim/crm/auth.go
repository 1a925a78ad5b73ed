package crm

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"custgraph/internal/sim/calls"
)

// The demo account as the login answer describes it.
const (
	demoUserID = 250
	demoOrgID  = 49
)

// maxEnded bounds how many ended tokens are remembered to answer 100401;
// older ones get 100000 like any unknown token.
const maxEnded = 256

// sessions holds the one account's live token and the tokens that later
// logins ended. The vendor keeps a single session per account: a new
// login ends the previous one.
type sessions struct {
	mu      sync.Mutex
	current string
	issued  time.Time
	ended   map[string]bool
	order   []string // ended tokens, oldest first
}

// start makes a new session and ends the previous one.
func (ss *sessions) start(now time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := hex.EncodeToString(b)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.current != "" {
		if ss.ended == nil {
			ss.ended = map[string]bool{}
		}
		ss.ended[ss.current] = true
		ss.order = append(ss.order, ss.current)
		if len(ss.order) > maxEnded {
			delete(ss.ended, ss.order[0])
			ss.order = ss.order[1:]
		}
	}
	ss.current, ss.issued = tok, now
	return tok
}

// check returns 0 when tok is the live session, else the vendor code.
func (ss *sessions) check(tok string, now time.Time, ttl time.Duration) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case tok != "" && tok == ss.current:
		// Unconfirmed: the token lifetime is not documented; with a TTL
		// an old token is treated like an unknown one.
		if ttl > 0 && now.Sub(ss.issued) >= ttl {
			return CodeNotLoggedIn
		}
		return 0
	case ss.ended[tok]:
		return CodeLoggedInElsewhere
	}
	return CodeNotLoggedIn
}

// loginData is the data of a successful login.
type loginData struct {
	UserToken      string `json:"user_token"`
	UserID         int    `json:"user_id"`
	UserName       string `json:"user_name"`
	Phone          string `json:"phone"`
	OrganizationID int    `json:"organization_id"`
	CorpID         string `json:"corp_id"`
}

// login serves POST /api/v2/auth/login. The parameters may come as JSON,
// as a form or in the query, as the public clients send them.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	p := loginParams(r)
	switch {
	case p["device"] != "open_api" || (p["version_code"] != "" && p["version_code"] != "9.9.9"):
		s.refuse(w, CodeBadRequest, "device 须为 open_api, version_code 须为 9.9.9")
	case p["login"] != DemoLogin || p["password"] != DemoPassword:
		s.refuse(w, CodeBadCredentials, "用户名或密码错误")
	case p["corp_id"] != "" && p["corp_id"] != DemoCorpID:
		// Unconfirmed: the answer to an unknown corp_id is our choice.
		s.refuse(w, CodeBadCredentials, "企业不存在或您不属于该企业")
	default:
		writeOK(w, loginData{
			UserToken: s.sessions.start(s.now()), UserID: demoUserID, UserName: "演示管理员",
			Phone: DemoLogin, OrganizationID: demoOrgID, CorpID: DemoCorpID,
		})
	}
}

// loginParams merges the query, a form body and a JSON body (JSON wins,
// then the form, then the query). JSON numbers keep their digits, so a
// login sent as a number still matches.
func loginParams(r *http.Request) map[string]string {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	p := map[string]string{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	if ct == "application/json" || bytes.HasPrefix(trimmed, []byte("{")) {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if dec.Decode(&m) == nil {
			for k, v := range m {
				switch v := v.(type) {
				case string:
					p[k] = v
				case json.Number:
					p[k] = v.String()
				}
			}
		}
		return p
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.ParseForm() == nil {
		for k, v := range r.PostForm {
			p[k] = v[0]
		}
	}
	return p
}

// authorize checks the Authorization header and the session; it answers
// the refusal itself and reports whether the call may go on.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		s.refuse(w, CodeBadRequest, "请求头 Authorization 缺失或格式错误")
		return false
	}
	switch code := s.sessions.check(tok, s.now(), s.ttl); code {
	case 0:
		return true
	case CodeLoggedInElsewhere:
		s.refuse(w, code, "你的帐号已在其他地方登录,本地已经下线")
	default:
		s.refuse(w, code, "用户未登录或登录已过期,请重新登录")
	}
	return false
}

func (s *Server) refuse(w http.ResponseWriter, code int, msg string) {
	s.rec.Reject(source, calls.RejectUnauthorized)
	writeFailure(w, failure{Code: code, Message: msg})
}

// parseAuthorization reads `Token token=<t>, device=open_api,
// version_code=9.9.9`, with or without spaces after the commas and with or
// without quotes around the values. device and version_code must be
// exactly those values, as the vendor's 接口必读 demands.
func parseAuthorization(h string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), "Token ")
	if !ok {
		return "", false
	}
	kv := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", false
		}
		kv[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	tok := kv["token"]
	return tok, tok != "" && kv["device"] == "open_api" && kv["version_code"] == "9.9.9"
}
