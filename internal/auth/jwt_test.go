package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var hsSecret = []byte("0123456789abcdef0123456789abcdef-hs256")

const (
	issuer   = "https://id.example.com/"
	audience = "custgraph"
)

// Keys are generated once per test binary: RSA generation is slow under
// -race.
var testKeys = sync.OnceValue(func() (k struct {
	rsa, rsaOther *rsa.PrivateKey
	ec, ecOther   *ecdsa.PrivateKey
}) {
	var err error
	for _, p := range []**rsa.PrivateKey{&k.rsa, &k.rsaOther} {
		if *p, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	}
	for _, p := range []**ecdsa.PrivateKey{&k.ec, &k.ecOther} {
		if *p, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	}
	return k
})

// claims are valid for the HS256 authenticator below unless changed.
func claims(mod func(c jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"sub": "alice", "iss": issuer, "aud": []string{"other", audience},
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwk renders a key as a JWK. Private keys are rendered with their
// private members, to test that they are refused.
func jwk(kid string, key any, extra map[string]string) map[string]string {
	m := map[string]string{}
	switch k := key.(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64(k.N.Bytes()), b64(big.NewInt(int64(k.E)).Bytes())
	case *rsa.PrivateKey:
		m = jwk(kid, &k.PublicKey, nil)
		m["d"] = b64(k.D.Bytes())
	case *ecdsa.PublicKey:
		pt, err := k.Bytes() // 0x04 || X || Y
		if err != nil {
			panic(err)
		}
		n := (len(pt) - 1) / 2
		m["kty"], m["crv"], m["x"], m["y"] = "EC", k.Curve.Params().Name, b64(pt[1:1+n]), b64(pt[1+n:])
	case *ecdsa.PrivateKey:
		m = jwk(kid, &k.PublicKey, nil)
		d, err := k.Bytes()
		if err != nil {
			panic(err)
		}
		m["d"] = b64(d)
	default:
		panic("unsupported key type")
	}
	if kid != "" {
		m["kid"] = kid
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func writeJWKS(t *testing.T, keys ...map[string]string) string {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, raw)
}

func writeFile(t *testing.T, raw []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// standardJWKS holds the test's RSA and EC keys, plus an encryption key
// and a P-384 key that must be skipped.
func standardJWKS(t *testing.T) string {
	k := testKeys()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return writeJWKS(t,
		jwk("rsa1", &k.rsa.PublicKey, map[string]string{"use": "sig", "alg": "RS256"}),
		jwk("ec1", &k.ec.PublicKey, map[string]string{"use": "sig"}),
		jwk("enc1", &k.rsaOther.PublicKey, map[string]string{"use": "enc", "alg": "RSA-OAEP"}),
		jwk("p384", &p384.PublicKey, nil),
	)
}

type jwtCase struct {
	name      string
	token     string
	principal string // "" means 401
}

func runJWTCases(t *testing.T, a *Authenticator, cases []jwtCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, principal := serve(t, a, request{"Authorization": "Bearer " + c.token})
			if c.principal == "" {
				msg := checkRefusal(t, rec, c.token)
				if msg != "invalid credentials" {
					t.Errorf("message = %q", msg)
				}
				return
			}
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			if principal != c.principal {
				t.Errorf("principal = %q, want %q", principal, c.principal)
			}
		})
	}
}

func TestJWTHS256(t *testing.T) {
	a := mustNew(t, Options{JWT: &JWTOptions{HS256Secret: hsSecret, Issuer: issuer, Audience: audience}})
	hs := jwt.SigningMethodHS256
	valid := sign(t, hs, hsSecret, "", claims(nil))
	segs := strings.Split(valid, ".")
	forged := sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["sub"] = "root" }))
	tampered := segs[0] + "." + strings.Split(forged, ".")[1] + "." + segs[2]
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims(nil))
	otherSecret := []byte("another-secret-another-secret-another")

	runJWTCases(t, a, []jwtCase{
		{"valid", valid, "jwt:alice"},
		{"single audience string", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["aud"] = audience })), "jwt:alice"},
		{"no sub", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { delete(c, "sub") })), "jwt"},
		{"control characters in sub are neutralised", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["sub"] = "bob\n{\"level\":\"admin\"}" })), `jwt:bob?{"level":"admin"}`},
		{"expired", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), ""},
		{"not valid yet", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Minute).Unix() })), ""},
		{"no exp", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { delete(c, "exp") })), ""},
		{"wrong signature", sign(t, hs, otherSecret, "", claims(nil)), ""},
		{"tampered payload", tampered, ""},
		{"signature stripped", segs[0] + "." + segs[1] + ".", ""},
		{"alg none", none, ""},
		{"HS384 with the right secret", sign(t, jwt.SigningMethodHS384, hsSecret, "", claims(nil)), ""},
		{"wrong audience", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" })), ""},
		{"no audience", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { delete(c, "aud") })), ""},
		{"wrong issuer", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com/" })), ""},
		{"no issuer", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { delete(c, "iss") })), ""},
		{"RS256 when only HS256 is configured", sign(t, jwt.SigningMethodRS256, testKeys().rsa, "rsa1", claims(nil)), ""},
		{"garbage in JWT shape", "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", ""},
	})
}

func TestJWTLeeway(t *testing.T) {
	a := mustNew(t, Options{JWT: &JWTOptions{HS256Secret: hsSecret, Leeway: 30 * time.Second}})
	hs := jwt.SigningMethodHS256
	runJWTCases(t, a, []jwtCase{
		{"expired 10s ago, within leeway", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-10 * time.Second).Unix() })), "jwt:alice"},
		{"valid from in 10s, within leeway", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(10 * time.Second).Unix() })), "jwt:alice"},
		{"expired 2m ago, beyond leeway", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() })), ""},
		// Without Issuer and Audience configured, neither is checked.
		{"any issuer and audience", sign(t, hs, hsSecret, "", claims(func(c jwt.MapClaims) { c["iss"], c["aud"] = "x", "y" })), "jwt:alice"},
	})
}

func TestJWTFromJWKS(t *testing.T) {
	k := testKeys()
	a := mustNew(t, Options{JWT: &JWTOptions{JWKSFile: standardJWKS(t), Audience: audience}})
	rs, es := jwt.SigningMethodRS256, jwt.SigningMethodES256

	// The classic confusion: HS256 "signed" with the public key as the
	// HMAC secret, hoping for a verifier that passes the key through.
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	runJWTCases(t, a, []jwtCase{
		{"RS256 by kid", sign(t, rs, k.rsa, "rsa1", claims(nil)), "jwt:alice"},
		{"ES256 by kid", sign(t, es, k.ec, "ec1", claims(nil)), "jwt:alice"},
		{"RS256 without kid", sign(t, rs, k.rsa, "", claims(nil)), "jwt:alice"},
		{"ES256 without kid", sign(t, es, k.ec, "", claims(nil)), "jwt:alice"},
		{"unknown kid", sign(t, rs, k.rsa, "rsa-unknown", claims(nil)), ""},
		{"kid of a skipped encryption key", sign(t, rs, k.rsaOther, "enc1", claims(nil)), ""},
		{"RS256 by another key under a known kid", sign(t, rs, k.rsaOther, "rsa1", claims(nil)), ""},
		{"RS256 by another key without kid", sign(t, rs, k.rsaOther, "", claims(nil)), ""},
		{"ES256 by another key", sign(t, es, k.ecOther, "ec1", claims(nil)), ""},
		{"ES256 under the RSA key's kid", sign(t, es, k.ec, "rsa1", claims(nil)), ""},
		{"RS256 under the EC key's kid", sign(t, rs, k.rsa, "ec1", claims(nil)), ""},
		{"HS256 with the public key PEM as secret (alg confusion)", sign(t, jwt.SigningMethodHS256, pemKey, "rsa1", claims(nil)), ""},
		{"HS256 with the public key DER as secret (alg confusion)", sign(t, jwt.SigningMethodHS256, der, "", claims(nil)), ""},
		{"HS256 when only a JWKS is configured", sign(t, jwt.SigningMethodHS256, hsSecret, "", claims(nil)), ""},
		{"PS256 with the right key", sign(t, jwt.SigningMethodPS256, k.rsa, "rsa1", claims(nil)), ""},
		{"RS512 with the right key", sign(t, jwt.SigningMethodRS512, k.rsa, "rsa1", claims(nil)), ""},
		{"alg none with a kid", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa1", claims(nil)), ""},
		{"expired RS256", sign(t, rs, k.rsa, "rsa1", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), ""},
		{"wrong audience ES256", sign(t, es, k.ec, "ec1", claims(func(c jwt.MapClaims) { c["aud"] = "nope" })), ""},
	})
}

// With every mechanism configured, any one valid credential passes.
func TestKeysAndJWTTogether(t *testing.T) {
	k := testKeys()
	a := mustNew(t, Options{APIKeys: []string{key1}, JWT: &JWTOptions{HS256Secret: hsSecret, JWKSFile: standardJWKS(t)}})
	runJWTCases(t, a, []jwtCase{
		{"API key as Bearer", key1, KeyID(key1)},
		{"HS256 token", sign(t, jwt.SigningMethodHS256, hsSecret, "", claims(nil)), "jwt:alice"},
		{"RS256 token", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", claims(nil)), "jwt:alice"},
		{"ES256 token", sign(t, jwt.SigningMethodES256, k.ec, "ec1", claims(nil)), "jwt:alice"},
		{"HS256 with the public key as secret", sign(t, jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey), "rsa1", claims(nil)), ""},
		{"wrong key", "not-a-key-and-not-a-token", ""},
	})
	rec, principal := serve(t, a, request{"X-API-Key": key1})
	if rec.Code != http.StatusOK || principal != KeyID(key1) {
		t.Errorf("X-API-Key: status %d, principal %q", rec.Code, principal)
	}
	rec, _ = serve(t, a, request{})
	if msg := checkRefusal(t, rec); !strings.HasPrefix(msg, "missing credentials") {
		t.Errorf("message = %q", msg)
	}
}

func TestJWTFailureReasonsForLogs(t *testing.T) {
	var got error
	a := mustNew(t, Options{JWT: &JWTOptions{HS256Secret: hsSecret}, OnFailure: func(_ *http.Request, err error) { got = err }})
	tok := sign(t, jwt.SigningMethodHS256, hsSecret, "", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }))
	serve(t, a, request{"Authorization": "Bearer " + tok})
	if !errors.Is(got, ErrInvalidCredentials) || !errors.Is(got, jwt.ErrTokenExpired) {
		t.Fatalf("OnFailure got %v, want invalid credentials wrapping token expired", got)
	}
	for _, part := range credentialParts(tok) {
		if strings.Contains(got.Error(), part) {
			t.Errorf("the reason echoes the token: %v", got)
		}
	}
}

func TestJWKSFileValidation(t *testing.T) {
	k := testKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privRSA := jwk("priv", k.rsa, nil)
	privEC := jwk("priv", k.ec, nil)
	cases := []struct {
		name    string
		path    string
		problem string // part of the error; "" when the file is fine
	}{
		{"not JSON", writeFile(t, []byte("not json")), "not a JWK Set"},
		{"JSON without keys", writeFile(t, []byte(`{"kty":"RSA"}`)), "not a JWK Set"},
		{"a key that is not an object", writeFile(t, []byte(`{"keys":[42]}`)), "key 1: not a JWK object"},
		{"empty set", writeFile(t, []byte(`{"keys":[]}`)), "no RS256"},
		{"only unusable keys", writeJWKS(t, jwk("p384", &p384.PublicKey, nil), jwk("enc", &k.rsa.PublicKey, map[string]string{"use": "enc"})), "no RS256"},
		{"RSA key with another alg", writeJWKS(t, jwk("ps", &k.rsa.PublicKey, map[string]string{"alg": "PS256"})), "no RS256"},
		{"private RSA key", writeJWKS(t, privRSA), `key 1 (kid "priv"): holds private`},
		{"private EC key", writeJWKS(t, jwk("ok", &k.ec.PublicKey, nil), privEC), `key 2 (kid "priv"): holds private`},
		{"symmetric key", writeJWKS(t, map[string]string{"kty": "oct", "kid": "hs", "k": b64(hsSecret)}), "holds private or symmetric"},
		{"short RSA key", writeJWKS(t, jwk("small", &small.PublicKey, nil)), "shorter than 2048 bits"},
		{"duplicate kid", writeJWKS(t, jwk("same", &k.rsa.PublicKey, nil), jwk("same", &k.rsaOther.PublicKey, nil)), "used twice"},
		{"broken EC point", writeJWKS(t, map[string]string{"kty": "EC", "crv": "P-256", "kid": "bad", "x": b64([]byte{1, 2, 3}), "y": b64([]byte{4, 5, 6})}), `(kid "bad"): invalid key`},
		{"public keys only, some skipped", standardJWKS(t), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(Options{JWT: &JWTOptions{JWKSFile: c.path}})
			if c.problem == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var se *SettingError
			if !errors.As(err, &se) || se.Setting != "JWT.JWKSFile" || !strings.Contains(err.Error(), c.problem) {
				t.Fatalf("err = %v, want a JWT.JWKSFile error with %q", err, c.problem)
			}
			for _, secret := range []string{privRSA["d"], privEC["d"], b64(hsSecret)} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows key material: %v", err)
				}
			}
		})
	}
}
