package u8

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"custgraph/internal/customer"
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

// newToken fetches a token for the shared session cache, to be used
// until shortly before it expires.
func (c *Client) newToken(ctx context.Context) (string, time.Duration, error) {
	id, ttl, err := c.fetchToken(ctx)
	return id, refreshAfter(ttl), err
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
