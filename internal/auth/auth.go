// Package auth authenticates the clients of the gateway: static API keys
// (CUSTGRAPH_API_KEYS in the contract) and, optionally, JWTs signed with an
// HS256 secret or with the RS256/ES256 keys of a JWKS file. A request passes
// when it presents any one valid credential of a configured mechanism.
//
// The middleware must run inside the CORS middleware (internal/cors):
// browsers send their preflight OPTIONS without credentials, so it has to
// be answered before authentication, and a 401 needs the CORS headers for
// the client's code to read it.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"custgraph/internal/gqlhttp"
)

// Options configure an Authenticator. With no API key and no JWT it lets
// every request through (authentication off).
type Options struct {
	// APIKeys are the accepted static keys. Surrounding blanks are trimmed
	// and blank entries skipped, so "a, b," works; a list with entries but
	// no key at all is refused rather than silently turning auth off.
	APIKeys []string
	// JWT, when set, accepts bearer JWTs as well.
	JWT *JWTOptions
	// OnFailure, when set, is told why a request was refused, for logs and
	// metrics: the client only learns "missing" or "invalid". The error
	// wraps ErrMissingCredentials or ErrInvalidCredentials and never holds
	// the presented credential.
	OnFailure func(r *http.Request, err error)
}

// JWTOptions configure the verification of bearer JWTs. At least one of
// HS256Secret and JWKSFile is required; each pins its own algorithms.
type JWTOptions struct {
	// HS256Secret enables HS256 tokens; at least 32 bytes (RFC 7518 §3.2:
	// an HMAC key at least as long as the hash).
	HS256Secret []byte
	// JWKSFile is the path of a JWK Set (JSON) holding the public keys of
	// RS256 (RSA, 2048 bits or more) and ES256 (EC P-256) tokens, chosen by
	// the token's "kid". It is read once, by New.
	JWKSFile string
	// Issuer and Audience, when set, must match the token's iss and one of
	// its aud.
	Issuer, Audience string
	// Leeway tolerates clock skew on exp and nbf. Zero means none.
	Leeway time.Duration
}

var (
	// ErrMissingCredentials: the request carried no credential at all.
	ErrMissingCredentials = errors.New("missing credentials")
	// ErrInvalidCredentials: it carried one, and none was valid.
	ErrInvalidCredentials = errors.New("invalid credentials")
)

// SettingError is a problem with one option, named by its field
// ("APIKeys", "JWT.JWKSFile", ...) so that configuration can map it to its
// variable. It never holds a key's or a secret's value. New returns every
// problem at once, joined with errors.Join.
type SettingError struct {
	Setting string
	Problem string
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Problem }

// Authenticator checks the credentials of a request. It is safe for
// concurrent use and holds no mutable state.
type Authenticator struct {
	keys      [][sha256.Size]byte // SHA-256 of each API key: lengths never show in comparisons
	keyIDs    []string            // the matching principals, "apikey:<8 hex>"
	jwt       *jwtVerifier        // nil when JWTs are not accepted
	onFailure func(*http.Request, error)
	missing   string // the client's message when nothing was presented
}

// New validates the options and builds an Authenticator. Errors name the
// option at fault, never a key's or secret's value.
func New(o Options) (*Authenticator, error) {
	a := &Authenticator{onFailure: o.OnFailure}
	var errs []error
	blank := 0
	for i, k := range o.APIKeys {
		k = strings.TrimSpace(k)
		switch {
		case k == "":
			blank++
			continue
		case strings.IndexFunc(k, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			// It could never arrive intact in a header (and not at all in
			// a Bearer token): a sign of a badly split list.
			errs = append(errs, &SettingError{"APIKeys", fmt.Sprintf("entry %d holds blanks or control characters", i+1)})
			continue
		}
		a.keys = append(a.keys, sha256.Sum256([]byte(k)))
		a.keyIDs = append(a.keyIDs, KeyID(k))
	}
	if len(o.APIKeys) > 0 && blank == len(o.APIKeys) {
		// Fail closed: a list meant to hold keys must not switch auth off.
		errs = append(errs, &SettingError{"APIKeys", "only blank entries; leave it unset to turn API keys off"})
	}
	if o.JWT != nil {
		v, err := newJWTVerifier(*o.JWT)
		if err != nil {
			errs = append(errs, err)
		}
		a.jwt = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	switch {
	case len(a.keys) > 0 && a.jwt != nil:
		a.missing = "missing credentials: send an API key or a token as Authorization: Bearer, or the API key as X-API-Key"
	case a.jwt != nil:
		a.missing = "missing credentials: send a token as Authorization: Bearer <token>"
	default:
		a.missing = "missing credentials: send the API key as Authorization: Bearer <key> or X-API-Key: <key>"
	}
	return a, nil
}

// Enabled tells whether any mechanism is configured; when not, the
// middleware passes every request through.
func (a *Authenticator) Enabled() bool { return a != nil && (len(a.keys) > 0 || a.jwt != nil) }

// KeyID is the principal of an API key in logs: "apikey:" and the first 8
// hex digits of its SHA-256. It tells keys apart without revealing them
// (an operator finds a key's ID with `printf %s KEY | sha256sum`).
func KeyID(key string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return "apikey:" + hex.EncodeToString(sum[:4])
}

type principalKey struct{}

// Principal is who authenticated the request: "apikey:<8 hex>" for an API
// key, "jwt:<sub>" for a token (just "jwt" without a sub); "" when
// authentication is off or the context did not pass through Middleware.
func Principal(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}

// NewContext returns ctx carrying principal, for tests of code that reads
// Principal.
func NewContext(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

type expiryKey struct{}

// Expiry is when the credentials of ctx's request stop being valid (a
// JWT's exp); zero when they do not expire (an API key) or none were
// checked. A stream (a WebSocket, an SSE response) ends by then.
func Expiry(ctx context.Context) time.Time {
	t, _ := ctx.Value(expiryKey{}).(time.Time)
	return t
}

// withCredentials returns ctx with the principal, and its expiry when it
// has one.
func withCredentials(ctx context.Context, principal string, expires time.Time) context.Context {
	ctx = NewContext(ctx, principal)
	if !expires.IsZero() {
		ctx = context.WithValue(ctx, expiryKey{}, expires)
	}
	return ctx
}

// Middleware refuses a request without a valid credential with 401 and a
// GraphQL-shaped error, and otherwise serves it with its principal in the
// context. It passes everything through when authentication is off.
//
// A WebSocket upgrade without credentials passes too, with no principal: a
// browser cannot set headers on it, so its credentials come in the
// connection_init message, which the transport checks (see
// CheckHeaders) before it runs anything. One with credentials in headers
// is checked here like any request.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	if !a.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		principal, expires, err := a.authenticate(r)
		if errors.Is(err, ErrMissingCredentials) && r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			if a.onFailure != nil {
				a.onFailure(r, err)
			}
			a.refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withCredentials(r.Context(), principal, expires)))
	})
}

// CheckHeaders authenticates the credentials of h (a WebSocket's
// connection_init payload, read as headers) for the connection whose
// context is ctx, and returns ctx with the principal. A connection whose
// upgrade request carried valid credentials keeps its principal when h
// holds none. With authentication off it returns ctx as it is.
func (a *Authenticator) CheckHeaders(ctx context.Context, h http.Header) (context.Context, error) {
	if !a.Enabled() {
		return ctx, nil
	}
	principal, expires, err := a.authenticate(&http.Request{Header: h})
	if err != nil {
		if errors.Is(err, ErrMissingCredentials) && Principal(ctx) != "" {
			return ctx, nil
		}
		return ctx, err
	}
	return withCredentials(ctx, principal, expires), nil
}

// Authenticate checks the credentials of r: Authorization: Bearer (an API
// key or, when configured, a JWT) and X-API-Key. It returns the principal,
// or an error wrapping ErrMissingCredentials or ErrInvalidCredentials whose
// text is for logs (it never holds the credential). Exported for transports
// that authenticate outside Middleware.
func (a *Authenticator) Authenticate(r *http.Request) (string, error) {
	p, _, err := a.authenticate(r)
	return p, err
}

// authenticate is Authenticate, with when the credentials expire (a
// JWT's exp; zero for an API key).
func (a *Authenticator) authenticate(r *http.Request) (string, time.Time, error) {
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	xKey := strings.TrimSpace(r.Header.Get("X-API-Key"))
	if authz == "" && xKey == "" {
		return "", time.Time{}, ErrMissingCredentials
	}
	bearer, isBearer := bearerToken(authz)

	// API keys: both candidates are always compared against every key, so
	// that timing says nothing about which one matched, or how closely.
	if len(a.keys) > 0 {
		id := -1
		if isBearer {
			id = a.matchKey(bearer, id)
		}
		if xKey != "" {
			id = a.matchKey(xKey, id)
		}
		if id >= 0 {
			return a.keyIDs[id], time.Time{}, nil
		}
	}
	if a.jwt != nil && isBearer && looksLikeJWT(bearer) {
		sub, exp, err := a.jwt.verify(bearer)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("%w: token: %w", ErrInvalidCredentials, err)
		}
		return sub, exp, nil
	}
	switch {
	case authz != "" && !isBearer:
		return "", time.Time{}, fmt.Errorf("%w: Authorization is not a Bearer credential", ErrInvalidCredentials)
	case len(a.keys) == 0 && !isBearer:
		return "", time.Time{}, fmt.Errorf("%w: X-API-Key sent but no API key is configured", ErrInvalidCredentials)
	case len(a.keys) == 0:
		return "", time.Time{}, fmt.Errorf("%w: bearer credential is not a JWT", ErrInvalidCredentials)
	}
	return "", time.Time{}, fmt.Errorf("%w: API key not recognised", ErrInvalidCredentials)
}

// matchKey returns the index of the configured key equal to presented, or
// found when there is none. Constant time: every key is compared, and the
// result is selected without a branch.
func (a *Authenticator) matchKey(presented string, found int) int {
	sum := sha256.Sum256([]byte(presented))
	for i := range a.keys {
		found = subtle.ConstantTimeSelect(subtle.ConstantTimeCompare(sum[:], a.keys[i][:]), i, found)
	}
	return found
}

// bearerToken splits "Bearer <token>"; the scheme is case-insensitive
// (RFC 9110 §11.1).
func bearerToken(authz string) (string, bool) {
	scheme, token, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// looksLikeJWT: a compact JWS has three dot-separated parts. Anything else
// is not worth handing to the JWT parser.
func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 && len(s) <= maxTokenBytes }

// maxTokenBytes bounds the work a single request can ask of the parser;
// real tokens are a few hundred bytes to a few KiB.
const maxTokenBytes = 16 << 10

// refuse answers 401 in the GraphQL error shape of the contract, in the
// media type the client accepts (gqlhttp.WriteError, the one refusal
// writer). The message tells missing from invalid and nothing more: the
// reason goes to OnFailure, the credential nowhere.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error) {
	msg, challenge := a.missing, "Bearer"
	if !errors.Is(err, ErrMissingCredentials) {
		msg, challenge = "invalid credentials", `Bearer error="invalid_token"` // RFC 6750 §3.1
	}
	h := w.Header()
	h.Set("WWW-Authenticate", challenge)
	h.Set("Cache-Control", "no-store")
	gqlhttp.WriteError(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", msg)
}

// jwtPrincipal is the principal of a token: its sub, bounded and without
// control characters, since it is client-chosen text that ends up in logs.
func jwtPrincipal(sub string) string {
	if sub == "" {
		return "jwt"
	}
	const maxBytes = 128
	var b strings.Builder
	for i, r := range sub {
		if i >= maxBytes {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return "jwt:" + b.String()
}
