package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Why these libraries: github.com/golang-jwt/jwt/v5 parses and verifies
// the token (signature before claims, exp/nbf with leeway, iss, aud) and
// refuses every algorithm outside the list we pin. The JWK Set is decoded
// by github.com/MicahParks/jwkset, which does the delicate part: base64url
// big integers, EC points on their curve, RSA parameters. We do not use
// its companion github.com/MicahParks/keyfunc: choosing the key by "kid"
// is a map lookup, and keeping it here lets us hand each algorithm only
// keys of its own type (an HS256 token is never checked against anything
// but the configured secret), skip the set's encryption keys, and keep
// the HTTP refresh machinery (and its goroutines) out of a file read once.

const maxJWKSBytes = 1 << 20 // a JWK Set is a few KiB; more is not a key file

var errUnknownKID = errors.New("no key in the JWK Set has the token's kid")

type jwtVerifier struct {
	parser *jwt.Parser
	secret []byte
	byKID  map[string]jwt.VerificationKey   // kid → *rsa.PublicKey or *ecdsa.PublicKey
	byAlg  map[string][]jwt.VerificationKey // RS256/ES256 → every key for it, for tokens without kid
	algOf  map[string]string                // kid → the one algorithm its key serves
	leeway time.Duration
}

func newJWTVerifier(o JWTOptions) (*jwtVerifier, error) {
	v := &jwtVerifier{leeway: o.Leeway}
	var errs []error
	var methods []string
	if o.Leeway < 0 {
		errs = append(errs, &SettingError{"JWT.Leeway", "must not be negative"})
	}
	if len(o.HS256Secret) > 0 {
		if len(o.HS256Secret) < 32 {
			errs = append(errs, &SettingError{"JWT.HS256Secret", "shorter than 32 bytes (RFC 7518 §3.2 wants at least the hash's 256 bits)"})
		}
		v.secret = bytes.Clone(o.HS256Secret)
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if o.JWKSFile != "" {
		if err := v.loadJWKS(o.JWKSFile); err != nil {
			errs = append(errs, err)
		}
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	if len(o.HS256Secret) == 0 && o.JWKSFile == "" {
		errs = append(errs, &SettingError{"JWT", "set HS256Secret or JWKSFile (or leave JWT unset)"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	opts := []jwt.ParserOption{
		// Pinned: "none", HS384, PS256, … and any algorithm of the other
		// mechanism's family are refused before a key is even looked up.
		jwt.WithValidMethods(methods),
		jwt.WithLeeway(o.Leeway),
		// A token without exp would be valid forever once leaked.
		jwt.WithExpirationRequired(),
	}
	if o.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		opts = append(opts, jwt.WithAudience(o.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// verify returns the principal of a valid token, and when it stops being
// accepted (its exp and the leeway allowed for the issuer's clock).
func (v *jwtVerifier) verify(token string) (string, time.Time, error) {
	var claims jwt.RegisteredClaims
	if _, err := v.parser.ParseWithClaims(token, &claims, v.key); err != nil {
		return "", time.Time{}, err
	}
	var exp time.Time
	if claims.ExpiresAt != nil { // required by the parser
		exp = claims.ExpiresAt.Add(v.leeway)
	}
	return jwtPrincipal(claims.Subject), exp, nil
}

// key gives the parser the verification key for the token's algorithm
// (already checked against the pinned list): the secret for HS256, the
// JWK Set's key of the right type for RS256 and ES256.
func (v *jwtVerifier) key(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if alg == jwt.SigningMethodHS256.Alg() {
		if v.secret == nil {
			return nil, jwt.ErrTokenUnverifiable
		}
		return v.secret, nil
	}
	if kid, ok := t.Header["kid"].(string); ok {
		k, found := v.byKID[kid]
		if !found {
			return nil, errUnknownKID
		}
		if v.algOf[kid] != alg {
			return nil, fmt.Errorf("the kid's key is not a %s key", alg)
		}
		return k, nil
	}
	// No kid: try every key of that algorithm (golang-jwt stops at the
	// first that verifies).
	keys := v.byAlg[alg]
	if len(keys) == 0 {
		return nil, fmt.Errorf("no %s key in the JWK Set", alg)
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

// loadJWKS reads the JWK Set file and keeps its RS256 and ES256 signature
// keys. Other keys (encryption keys, other curves or algorithms) are
// skipped, as identity providers publish them side by side; private or
// symmetric key material is an error, since this file should hold nothing
// secret. Errors name the setting and the key's index and kid, never key
// material.
func (v *jwtVerifier) loadJWKS(path string) error {
	const setting = "JWT.JWKSFile"
	f, err := os.Open(path)
	if err != nil {
		return &SettingError{setting, fmt.Sprintf("cannot read the file: %v", err)}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxJWKSBytes+1))
	if err != nil {
		return &SettingError{setting, fmt.Sprintf("cannot read the file: %v", err)}
	}
	if len(raw) > maxJWKSBytes {
		return &SettingError{setting, "larger than 1 MiB: not a JWK Set"}
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil || set.Keys == nil {
		return &SettingError{setting, `not a JWK Set: want JSON {"keys": [...]} (RFC 7517 §5)`}
	}
	v.byKID = map[string]jwt.VerificationKey{}
	v.byAlg = map[string][]jwt.VerificationKey{}
	v.algOf = map[string]string{}
	for i, rawKey := range set.Keys {
		where := fmt.Sprintf("key %d", i+1)
		var secret struct{ D, P, Q, DP, DQ, QI, K string }
		var m jwkset.JWKMarshal
		if json.Unmarshal(rawKey, &secret) != nil || json.Unmarshal(rawKey, &m) != nil {
			return &SettingError{setting, where + ": not a JWK object"}
		}
		if m.KID != "" {
			where += fmt.Sprintf(" (kid %q)", m.KID)
		}
		if secret.D != "" || secret.P != "" || secret.Q != "" || secret.DP != "" || secret.DQ != "" || secret.QI != "" || secret.K != "" {
			return &SettingError{setting, where + ": holds private or symmetric key material; the file must hold public keys only"}
		}
		alg := jwkAlg(m)
		if alg == "" {
			continue
		}
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			return &SettingError{setting, fmt.Sprintf("%s: invalid key: %v", where, err)}
		}
		var key jwt.VerificationKey
		switch k := jwk.Key().(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() < 2048 {
				return &SettingError{setting, where + ": RSA key shorter than 2048 bits"}
			}
			key = k
		case *ecdsa.PublicKey:
			if k.Curve != elliptic.P256() {
				continue
			}
			key = k
		default:
			continue
		}
		if m.KID != "" {
			if _, dup := v.byKID[m.KID]; dup {
				return &SettingError{setting, where + ": the kid is used twice"}
			}
			v.byKID[m.KID] = key
			v.algOf[m.KID] = alg
		}
		v.byAlg[alg] = append(v.byAlg[alg], key)
	}
	if len(v.byAlg) == 0 {
		return &SettingError{setting, "no RS256 (RSA) or ES256 (EC P-256) signature key in the JWK Set"}
	}
	return nil
}

// jwkAlg is the one algorithm a JWK may verify here, or "" to skip it: an
// RSA key serves RS256 and a P-256 key ES256, and a key whose "use" or
// "alg" says otherwise (an RSA-OAEP encryption key, say) is not ours.
func jwkAlg(m jwkset.JWKMarshal) string {
	if m.USE != "" && m.USE != jwkset.UseSig {
		return ""
	}
	var alg string
	switch {
	case m.KTY == jwkset.KtyRSA:
		alg = jwt.SigningMethodRS256.Alg()
	case m.KTY == jwkset.KtyEC && m.CRV == jwkset.CrvP256:
		alg = jwt.SigningMethodES256.Alg()
	default:
		return ""
	}
	if m.ALG != "" && string(m.ALG) != alg {
		return ""
	}
	return alg
}
