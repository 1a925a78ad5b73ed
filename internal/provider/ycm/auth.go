package ycm

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/provider/session"
	"custgraph/internal/redact"
)

// defaultTokenTTL is assumed when the token answer has no expires_in
// (YCM: 30 minutes).
const defaultTokenTTL = 30 * time.Minute

// maxRenewEarly bounds how long before expiry a token is renewed, so that
// a call never starts with a token about to lapse in flight.
const maxRenewEarly = time.Minute

// auth keeps the OAuth tokens of one client: it fetches a token with the
// client credentials once, reuses it, renews it with the refresh grant
// shortly before it expires (storing the rotated refresh token), and falls
// back to the client credentials when the refresh grant fails. The access
// token is shared through a session.Cache, so at most one renewal runs at a
// time and concurrent callers wait for its result.
type auth struct {
	url                    string // token endpoint
	clientID, clientSecret string
	http                   *http.Client
	tokens                 *session.Cache

	mu      sync.Mutex
	refresh string // the latest refresh token; YCM rotates them
}

func newAuth(tokenURL, clientID, clientSecret string, hc *http.Client, now func() time.Time) *auth {
	a := &auth{url: tokenURL, clientID: clientID, clientSecret: clientSecret, http: hc}
	a.tokens = session.New(customer.YCM, a.renew, now)
	return a
}

// renew gets a new access token: by the refresh grant when there is a
// refresh token, else (or when that fails) by the client credentials.
func (a *auth) renew(ctx context.Context) (string, time.Duration, error) {
	a.mu.Lock()
	refresh := a.refresh
	a.refresh = "" // spent either way: YCM rotates refresh tokens
	a.mu.Unlock()
	if refresh != "" {
		t, err := a.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
		if err == nil {
			return a.store(t)
		}
		if session.IsContextErr(err) {
			return "", 0, err
		}
	}
	t, err := a.grant(ctx, url.Values{"grant_type": {"client_credentials"}, "client_id": {a.clientID}, "client_secret": {a.clientSecret}})
	if err != nil {
		return "", 0, err
	}
	return a.store(t)
}

// store keeps the rotated refresh token and returns the access token with
// how long to use it: until shortly before it expires.
func (a *auth) store(t *wireToken) (string, time.Duration, error) {
	ttl := defaultTokenTTL
	if t.ExpiresIn.Valid && t.ExpiresIn.Value > 0 {
		ttl = time.Duration(t.ExpiresIn.Value) * time.Second
	}
	a.mu.Lock()
	a.refresh = strings.TrimSpace(t.RefreshToken)
	a.mu.Unlock()
	return strings.TrimSpace(t.AccessToken), ttl - min(ttl/10, maxRenewEarly), nil
}

// grant posts one token request. Any refusal is an AUTH failure; the
// vendor's answer text is never kept, as it may quote a token.
func (a *auth) grant(ctx context.Context, form url.Values) (*wireToken, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, customer.AsError(redact.Error(err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, body, err := httpx.Fetch(a.http, req, customer.YCM)
	if err != nil {
		return nil, err
	}
	if status == http.StatusOK {
		if t, err := decodeToken(body); err == nil {
			return t, nil
		}
	}
	env, decErr := decodeEnvelope(body)
	err = check(status, env, decErr)
	if err == nil { // a Success envelope, but no token in it
		return nil, customer.UpstreamError(customer.YCM, customer.ReasonBadResponse, "", errors.New("token answer without access_token"))
	}
	// The token endpoint refusing a request means it refused what we
	// authenticate with.
	if e := customer.AsError(err); e.Code == customer.CodeNotFound || e.Reason == customer.ReasonRejected {
		return nil, customer.UpstreamError(customer.YCM, customer.ReasonAuth, e.UpstreamCode, e.Err)
	}
	return nil, err
}
