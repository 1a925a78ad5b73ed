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
// back to the client credentials when the refresh grant fails. At most one
// renewal runs at a time; concurrent callers wait for its result.
type auth struct {
	url                    string // token endpoint
	clientID, clientSecret string
	http                   *http.Client
	now                    func() time.Time

	mu      sync.Mutex
	access  string
	renewAt time.Time
	refresh string
	flight  *flight // the renewal in progress, if any
}

// flight is one renewal; done closes when token and err are set.
type flight struct {
	done  chan struct{}
	token string
	err   error
}

// token returns a usable access token, renewing it if needed.
func (a *auth) token(ctx context.Context) (string, error) {
	for {
		a.mu.Lock()
		if a.access != "" && a.now().Before(a.renewAt) {
			tok := a.access
			a.mu.Unlock()
			return tok, nil
		}
		f := a.flight
		if f == nil {
			f = &flight{done: make(chan struct{})}
			a.flight = f
			a.mu.Unlock()
			f.token, f.err = a.renew(ctx)
			a.mu.Lock()
			a.flight = nil
			a.mu.Unlock()
			close(f.done)
			return f.token, f.err
		}
		a.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", httpx.TransportError(customer.YCM, ctx.Err())
		}
		// A renewal cut short by its caller's context says nothing about
		// ours: try again.
		if f.err != nil && isContextErr(f.err) && ctx.Err() == nil {
			continue
		}
		return f.token, f.err
	}
}

// invalidate drops tok after YCM refused it, unless a newer token has
// already replaced it. The refresh token is kept for the renewal.
func (a *auth) invalidate(tok string) {
	a.mu.Lock()
	if a.access == tok {
		a.access = ""
	}
	a.mu.Unlock()
}

// renew gets a new access token: by the refresh grant when there is a
// refresh token, else (or when that fails) by the client credentials.
func (a *auth) renew(ctx context.Context) (string, error) {
	a.mu.Lock()
	refresh := a.refresh
	a.refresh = "" // spent either way: YCM rotates refresh tokens
	a.mu.Unlock()
	if refresh != "" {
		t, err := a.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
		if err == nil {
			return a.store(t), nil
		}
		if isContextErr(err) {
			return "", err
		}
	}
	t, err := a.grant(ctx, url.Values{"grant_type": {"client_credentials"}, "client_id": {a.clientID}, "client_secret": {a.clientSecret}})
	if err != nil {
		return "", err
	}
	return a.store(t), nil
}

// store keeps a new token pair and returns the access token.
func (a *auth) store(t *wireToken) string {
	ttl := defaultTokenTTL
	if t.ExpiresIn.Valid && t.ExpiresIn.Value > 0 {
		ttl = time.Duration(t.ExpiresIn.Value) * time.Second
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.access = strings.TrimSpace(t.AccessToken)
	a.renewAt = a.now().Add(ttl - min(ttl/10, maxRenewEarly))
	a.refresh = strings.TrimSpace(t.RefreshToken)
	return a.access
}

// grant posts one token request. Any refusal is an AUTH failure; the
// vendor's answer text is never kept, as it may quote a token.
func (a *auth) grant(ctx context.Context, form url.Values) (*wireToken, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, customer.AsError(httpx.Redact(err))
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

// isContextErr reports whether err came from a cancelled or expired
// context rather than from YCM.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
