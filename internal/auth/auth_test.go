package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
)

const (
	key1 = "k1-0123456789abcdef0123456789abcdef"
	key2 = "k2-fedcba9876543210fedcba9876543210"
)

// request is one client request: headers to set, in order.
type request map[string]string

// serve runs one request through the middleware and returns the recorder
// and the principal the handler saw (or "-" when it was not reached).
func serve(t *testing.T, a *Authenticator, h request) (*httptest.ResponseRecorder, string) {
	t.Helper()
	principal := "-"
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		principal = Principal(r.Context())
		w.WriteHeader(http.StatusOK)
	})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	a.Middleware(next).ServeHTTP(rec, req)
	return rec, principal
}

func mustNew(t *testing.T, o Options) *Authenticator {
	t.Helper()
	a, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// gqlBody is the 401 body of the contract.
type gqlBody struct {
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// checkRefusal asserts a contract-shaped 401 that does not echo any of
// secrets, and returns its message.
func checkRefusal(t *testing.T, rec *httptest.ResponseRecorder, secrets ...string) string {
	t.Helper()
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401; body %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want Bearer…", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8 (no Accept)", got)
	}
	raw := rec.Body.String()
	var body gqlBody
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, raw)
	}
	if len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("body = %s, want one error with code UNAUTHENTICATED", raw)
	}
	for _, s := range secrets {
		for _, part := range credentialParts(s) {
			if strings.Contains(raw, part) || strings.Contains(rec.Header().Get("WWW-Authenticate"), part) {
				t.Errorf("the refusal echoes part of the credential (%q): %s", part, raw)
			}
		}
	}
	return body.Errors[0].Message
}

// credentialParts are the pieces of a credential that must never show:
// the whole, and each dot-separated segment of a JWT.
func credentialParts(s string) []string {
	parts := []string{s}
	if strings.Count(s, ".") == 2 {
		parts = append(parts, strings.Split(s, ".")...)
	}
	var out []string
	for _, p := range parts {
		if len(p) >= 8 { // shorter pieces may occur by chance
			out = append(out, p)
		}
	}
	return out
}

func TestAPIKeys(t *testing.T) {
	both := Options{APIKeys: []string{key1, " " + key2 + " ", ""}}
	cases := []struct {
		name      string
		opts      Options
		headers   request
		principal string // "" with want401
		want401   string // "missing" or "invalid"
	}{
		{name: "no keys configured: auth off", opts: Options{}, headers: request{}, principal: ""},
		{name: "auth off ignores a bogus key", opts: Options{}, headers: request{"Authorization": "Bearer nope"}, principal: ""},
		{name: "missing headers", opts: both, headers: request{}, want401: "missing"},
		{name: "blank headers count as missing", opts: both, headers: request{"Authorization": "  ", "X-API-Key": " "}, want401: "missing"},
		{name: "wrong key via Bearer", opts: both, headers: request{"Authorization": "Bearer wrong-key-123456"}, want401: "invalid"},
		{name: "wrong key via X-API-Key", opts: both, headers: request{"X-API-Key": "wrong-key-123456"}, want401: "invalid"},
		{name: "prefix of a key", opts: both, headers: request{"Authorization": "Bearer " + key1[:len(key1)-1]}, want401: "invalid"},
		{name: "key with a suffix", opts: both, headers: request{"Authorization": "Bearer " + key1 + "x"}, want401: "invalid"},
		{name: "right key via Bearer", opts: both, headers: request{"Authorization": "Bearer " + key1}, principal: KeyID(key1)},
		{name: "bearer scheme is case-insensitive", opts: both, headers: request{"Authorization": "bearer " + key1}, principal: KeyID(key1)},
		{name: "right key via X-API-Key", opts: both, headers: request{"X-API-Key": key1}, principal: KeyID(key1)},
		{name: "second key (configured with blanks around it)", opts: both, headers: request{"X-API-Key": key2}, principal: KeyID(key2)},
		{name: "presented key with blanks around it", opts: both, headers: request{"Authorization": "Bearer   " + key2 + "  "}, principal: KeyID(key2)},
		{name: "key with a blank inside", opts: both, headers: request{"Authorization": "Bearer " + key1[:5] + " " + key1[5:]}, want401: "invalid"},
		{name: "wrong Bearer but right X-API-Key", opts: both, headers: request{"Authorization": "Bearer wrong-key-123456", "X-API-Key": key2}, principal: KeyID(key2)},
		{name: "Basic scheme is refused", opts: both, headers: request{"Authorization": "Basic " + key1}, want401: "invalid"},
		{name: "Bearer without a token", opts: both, headers: request{"Authorization": "Bearer"}, want401: "invalid"},
		{name: "a key as JWT-shaped text", opts: both, headers: request{"Authorization": "Bearer aaaaaaaa.bbbbbbbb.cccccccc"}, want401: "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := mustNew(t, c.opts)
			rec, principal := serve(t, a, c.headers)
			if c.want401 == "" {
				if rec.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
				}
				if principal != c.principal {
					t.Errorf("principal = %q, want %q", principal, c.principal)
				}
				return
			}
			var presented []string
			for _, v := range c.headers {
				presented = append(presented, strings.Fields(v)...)
			}
			msg := checkRefusal(t, rec, presented...)
			if principal != "-" {
				t.Errorf("the handler ran on a refused request")
			}
			if !strings.HasPrefix(msg, c.want401+" credentials") {
				t.Errorf("message = %q, want it to start with %q", msg, c.want401+" credentials")
			}
			wantChallenge := "Bearer"
			if c.want401 == "invalid" {
				wantChallenge = `Bearer error="invalid_token"`
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, wantChallenge)
			}
		})
	}
}

func TestKeyIDsDifferAndHideTheKey(t *testing.T) {
	id1, id2 := KeyID(key1), KeyID(key2)
	if id1 == id2 || len(id1) != len("apikey:")+8 || !strings.HasPrefix(id1, "apikey:") {
		t.Fatalf("KeyID = %q, %q", id1, id2)
	}
	if strings.Contains(id1, key1[:8]) {
		t.Fatalf("KeyID %q shows the key", id1)
	}
	if KeyID(" "+key1+" ") != id1 {
		t.Fatalf("KeyID depends on surrounding blanks")
	}
}

func TestRefusalCarriesRequestID(t *testing.T) {
	a := mustNew(t, Options{APIKeys: []string{key1}})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	middleware.RequestID(a.Middleware(http.NotFoundHandler())).ServeHTTP(rec, req)
	checkRefusal(t, rec)
	var body gqlBody
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if id, _ := body.Errors[0].Extensions["requestId"].(string); id == "" {
		t.Errorf("no requestId in %s", rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
}

func TestOnFailureGetsTheReasonButNotTheCredential(t *testing.T) {
	var got []error
	a := mustNew(t, Options{APIKeys: []string{key1}, OnFailure: func(_ *http.Request, err error) { got = append(got, err) }})
	serve(t, a, request{})
	serve(t, a, request{"Authorization": "Bearer wrong-key-123456"})
	serve(t, a, request{"Authorization": "Bearer " + key1})
	if len(got) != 2 {
		t.Fatalf("OnFailure called %d times, want 2: %v", len(got), got)
	}
	if !errors.Is(got[0], ErrMissingCredentials) || !errors.Is(got[1], ErrInvalidCredentials) {
		t.Errorf("errors = %v, want missing then invalid", got)
	}
	if strings.Contains(got[1].Error(), "wrong-key") {
		t.Errorf("OnFailure's error echoes the credential: %v", got[1])
	}
}

func TestPrincipalOutsideMiddleware(t *testing.T) {
	if p := Principal(t.Context()); p != "" {
		t.Fatalf("Principal of a bare context = %q", p)
	}
	if p := Principal(NewContext(t.Context(), "apikey:01234567")); p != "apikey:01234567" {
		t.Fatalf("Principal = %q", p)
	}
}

func TestEnabled(t *testing.T) {
	if mustNew(t, Options{}).Enabled() {
		t.Error("no keys, no JWT: enabled")
	}
	if !mustNew(t, Options{APIKeys: []string{key1}}).Enabled() {
		t.Error("with a key: not enabled")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	secretKey := "abc def-very-secret-key"
	cases := []struct {
		name    string
		opts    Options
		setting string
	}{
		{"only blank keys", Options{APIKeys: []string{"", "  "}}, "APIKeys"},
		{"key with a blank inside", Options{APIKeys: []string{key1, secretKey}}, "APIKeys"},
		{"key with a control character", Options{APIKeys: []string{"abc\x00def-very-secret-key"}}, "APIKeys"},
		{"JWT with nothing to verify", Options{JWT: &JWTOptions{Issuer: "x"}}, "JWT"},
		{"short HS256 secret", Options{JWT: &JWTOptions{HS256Secret: []byte("too-short-secret-value")}}, "JWT.HS256Secret"},
		{"negative leeway", Options{JWT: &JWTOptions{HS256Secret: hsSecret, Leeway: -1}}, "JWT.Leeway"},
		{"missing JWKS file", Options{JWT: &JWTOptions{JWKSFile: "/nonexistent/jwks.json"}}, "JWT.JWKSFile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := New(c.opts)
			if err == nil {
				t.Fatalf("New accepted the options: %+v", a)
			}
			var se *SettingError
			if !errors.As(err, &se) || se.Setting != c.setting {
				t.Fatalf("err = %v, want a SettingError for %s", err, c.setting)
			}
			for _, secret := range []string{secretKey, "abc\x00def", "too-short-secret-value", string(hsSecret)} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		})
	}
}

// TestRefusalFollowsAccept: a 401 is written in the media type the client
// accepts, like every other refusal of the gateway (it used to be always
// application/json).
func TestRefusalFollowsAccept(t *testing.T) {
	a := mustNew(t, Options{APIKeys: []string{"k-1"}})
	h := a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("passed on") }))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("Accept", "application/graphql-response+json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("Content-Type"); rec.Code != http.StatusUnauthorized || got != "application/graphql-response+json; charset=utf-8" {
		t.Errorf("%d %q, want 401 in application/graphql-response+json", rec.Code, got)
	}
}
