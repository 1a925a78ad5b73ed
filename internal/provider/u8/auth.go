package u8

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
)

// Token lifetime handling. U8 tokens live 7200 s (token.expiresIn); public
// SDKs re-fetch at 110–115 min. We refresh refreshLead before the expiry U8
// announced, so that a token never dies between our check and U8's.
const (
	defaultTokenTTL = 7200 * time.Second
	refreshLead     = 10 * time.Minute
	maxTokenTTL     = 86400 // seconds; longer lifetimes are not believed
)

// U8 errcodes the client treats specially. Only "0", "20002" and "30021"
// come from U8 material; the others are what the simulator sends.
const (
	codeOK      = "0"
	codeNoMatch = "20002"
	// Unconfirmed: U8 publishes no code for a bad or expired token; any
	// errmsg mentioning token counts too (see isTokenError).
	codeBadToken = "30002"
	// Unconfirmed: the agent (用友开放平台客户端) or the enterprise's U8
	// server cannot be reached; transient, so UNAVAILABLE.
	codeAgentOffline = "30050"
)

// isAuthCode reports whether an errcode refuses our credentials or our
// app (AUTH). Unconfirmed except 30021 (此应用未上线).
func isAuthCode(code string) bool {
	switch code {
	case "30001", // unknown app or wrong secret
		"30003", // to_account has not authorised the app
		"30021": // 此应用未上线
		return true
	}
	return false
}

// isTokenError reports whether U8 refused the token itself, which a fresh
// token may cure.
func isTokenError(env *envelope) bool {
	return string(env.ErrCode) == codeBadToken || strings.Contains(strings.ToLower(string(env.ErrMsg)), "token")
}

// tokenState is the shared token. At most one fetch runs at a time; other
// callers wait for it and use its result.
type tokenState struct {
	mu        sync.Mutex
	id        string
	refreshAt time.Time
	inflight  *tokenFetch
}

// tokenFetch is one fetch in flight; done closes when id/err are set.
type tokenFetch struct {
	done chan struct{}
	id   string
	err  error
}

// token returns a valid token, fetching one when there is none or it is
// due for refresh.
func (c *Client) token(ctx context.Context) (string, error) {
	for {
		c.tok.mu.Lock()
		if c.tok.id != "" && c.now().Before(c.tok.refreshAt) {
			id := c.tok.id
			c.tok.mu.Unlock()
			return id, nil
		}
		if f := c.tok.inflight; f != nil {
			c.tok.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", httpx.TransportError(customer.U8, ctx.Err())
			}
			// The fetch ran on its starter's context; if only that one
			// gave up, try again on ours.
			if f.err != nil && ctx.Err() == nil &&
				(errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
				continue
			}
			return f.id, f.err
		}
		f := &tokenFetch{done: make(chan struct{})}
		c.tok.inflight = f
		c.tok.mu.Unlock()

		var ttl time.Duration
		f.id, ttl, f.err = c.fetchToken(ctx)

		c.tok.mu.Lock()
		c.tok.inflight = nil
		if f.err == nil {
			c.tok.id, c.tok.refreshAt = f.id, c.now().Add(refreshAfter(ttl))
		}
		c.tok.mu.Unlock()
		close(f.done)
		return f.id, f.err
	}
}

// dropToken forgets tok after U8 refused it, unless another caller has
// already replaced it.
func (c *Client) dropToken(tok string) {
	c.tok.mu.Lock()
	if c.tok.id == tok {
		c.tok.id = ""
	}
	c.tok.mu.Unlock()
}

// refreshAfter is how long a token with lifetime ttl is used.
func refreshAfter(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = defaultTokenTTL
	}
	if ttl <= 2*refreshLead {
		return ttl / 2
	}
	return ttl - refreshLead
}

// fetchToken calls GET /system/token. Any refusal is AUTH, except the
// agent-offline code, which says nothing about our credentials.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	q := url.Values{"from_account": {c.cfg.FromAccount}, "app_key": {c.cfg.AppKey}, "app_secret": {c.cfg.AppSecret}}
	var ans tokenAnswer
	if err := c.send(ctx, "/system/token", q, &ans); err != nil {
		return "", 0, err
	}
	if code := string(ans.ErrCode); code != codeOK {
		reason := customer.ReasonAuth
		if code == codeAgentOffline {
			reason = customer.ReasonUnavailable
		}
		return "", 0, customer.UpstreamError(customer.U8, reason, code, c.cause(&ans.envelope))
	}
	id := strings.TrimSpace(string(ans.Token.ID))
	if id == "" {
		return "", 0, badResponse(errors.New("token answer holds no token id"))
	}
	secs := min(max(ans.Token.ExpiresIn.Value, 0), maxTokenTTL) // no overflow from a silly expiresIn
	return id, time.Duration(secs) * time.Second, nil
}
