package ycm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"custgraph/internal/sim/calls"
)

// tokenStore holds the tokens issued and not yet expired. Tokens look like
// YCM's (Spring OAuth2 JWTs) but the store, not the signature, decides
// whether one is valid.
type tokenStore struct {
	accessTTL, refreshTTL time.Duration
	key                   []byte // HMAC key of the JWT signatures

	mu      sync.Mutex
	access  map[string]time.Time // token → expiry
	refresh map[string]time.Time
}

func newTokenStore(accessTTL, refreshTTL time.Duration) tokenStore {
	return tokenStore{
		accessTTL:  accessTTL,
		refreshTTL: refreshTTL,
		key:        []byte(rand.Text()),
		access:     map[string]time.Time{},
		refresh:    map[string]time.Time{},
	}
}

// tokenAnswer is the bare OAuth JSON of the token endpoint (no envelope).
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	JTI          string `json:"jti"`
}

// token serves POST /dm/open_api/oauth/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, http.StatusBadRequest, CodeInvalidParameter, "Malformed form body")
		return
	}
	now := s.now()
	switch grant := r.PostForm.Get("grant_type"); grant {
	case "client_credentials":
		id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		if !equal(id, DemoClientID) || !equal(secret, DemoClientSecret) {
			// Unconfirmed: HTTP 401 with the Failed envelope.
			s.rec.Reject(source, calls.RejectUnauthorized)
			s.fail(w, http.StatusUnauthorized, CodeBadClient, "Bad client credentials")
			return
		}
		s.writeJSON(w, http.StatusOK, s.tokens.issue(grant, id, now))
	case "refresh_token":
		// The refresh token rotates: the one presented stops working.
		if !s.tokens.redeem(r.PostForm.Get("refresh_token"), now) {
			// Unconfirmed: HTTP 400 (OAuth's invalid_grant) with the
			// Failed envelope.
			s.rec.Reject(source, calls.RejectUnauthorized)
			s.fail(w, http.StatusBadRequest, CodeBadRefreshToken, "Invalid or expired refresh token")
			return
		}
		s.writeJSON(w, http.StatusOK, s.tokens.issue(grant, DemoClientID, now))
	default:
		s.fail(w, http.StatusBadRequest, CodeUnsupportedGrant, "Unsupported grant type")
	}
}

// issue mints an access and a refresh token. Tokens issued earlier stay
// valid until they expire, as stateless JWTs do.
func (t *tokenStore) issue(grant, clientID string, now time.Time) tokenAnswer {
	jti := rand.Text()
	exp := now.Add(t.accessTTL)
	a := tokenAnswer{
		AccessToken: t.jwt(map[string]any{
			"customJwtPayloadInfo": map[string]any{"grantType": grant},
			"scope":                []string{"all"},
			"exp":                  exp.Unix(),
			"authorities":          []string{"ROLE_CLIENT"},
			"jti":                  jti,
			"client_id":            clientID,
		}),
		TokenType: "bearer",
		ExpiresIn: max(1, int64(t.accessTTL/time.Second)),
		Scope:     "all",
		JTI:       jti,
	}
	a.RefreshToken = t.jwt(map[string]any{
		"scope":     []string{"all"},
		"ati":       jti,
		"exp":       now.Add(t.refreshTTL).Unix(),
		"jti":       rand.Text(),
		"client_id": clientID,
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	prune(t.access, now)
	prune(t.refresh, now)
	t.access[a.AccessToken] = exp
	t.refresh[a.RefreshToken] = now.Add(t.refreshTTL)
	return a
}

// redeem consumes a refresh token and reports whether it was valid.
func (t *tokenStore) redeem(tok string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.refresh[tok]
	delete(t.refresh, tok)
	return ok && now.Before(exp)
}

// validAccess reports whether tok is a live access token.
func (t *tokenStore) validAccess(tok string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.access[tok]
	return ok && now.Before(exp)
}

func (t *tokenStore) jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, err := json.Marshal(claims)
	if err != nil { // plain maps of strings and numbers always encode
		panic(err)
	}
	msg := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, t.key)
	mac.Write([]byte(msg))
	return msg + "." + enc.EncodeToString(mac.Sum(nil))
}

func prune(m map[string]time.Time, now time.Time) {
	for k, exp := range m {
		if !now.Before(exp) {
			delete(m, k)
		}
	}
}

// bearerToken returns the token of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// equal compares credentials in constant time.
func equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
