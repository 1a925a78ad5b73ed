package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/redact"
)

// The codes on which the public SDK (app-ark/iKcrm-sdk) logs in again:
// 100401 means a newer login of the account ended our session; 100000
// and 100400 are the CRM's other auth failures.
var reloginCodes = []int64{100000, 100400, 100401}

// maxSessionAge bounds how long a token is used before a fresh login.
// Unconfirmed: the token lifetime is not documented. Expiry answered with
// a relogin code is handled anyway; this bounds the damage if the vendor
// expires tokens with a code we do not know, and matches the one public
// integration that logs in daily.
const maxSessionAge = 24 * time.Hour

// newSession logs in for the shared session cache. The cache runs one
// login at a time and hands its token to every caller that saw the same
// stale one, because each login ends the account's previous session.
func (c *Client) newSession(ctx context.Context) (string, time.Duration, error) {
	tok, err := c.login(ctx)
	return tok, maxSessionAge, err
}

// login posts the credentials as JSON (the password never goes into a
// URL) and returns the new user_token.
func (c *Client) login(ctx context.Context) (string, error) {
	params := map[string]string{"login": c.cfg.Login, "password": c.cfg.Password, "device": "open_api", "version_code": "9.9.9"}
	if c.cfg.CorpID != "" {
		params["corp_id"] = c.cfg.CorpID
	}
	body, _ := json.Marshal(params) // a map of strings always marshals
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v2/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", customer.UpstreamError(customer.CRM, customer.ReasonUnavailable, "", redact.Error(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	status, raw, err := httpx.Fetch(c.hc, req, customer.CRM)
	if err != nil {
		return "", err
	}
	var d loginData
	if err := decode(status, raw, customer.ReasonAuth, &d); err != nil {
		return "", err
	}
	if d.UserToken.Ptr() == nil {
		return "", customer.UpstreamError(customer.CRM, customer.ReasonBadResponse, "", errors.New("login answer without user_token"))
	}
	return *d.UserToken.Ptr(), nil
}

// authorization is the header every call but login carries.
func authorization(tok string) string {
	return "Token token=" + tok + ", device=open_api, version_code=9.9.9"
}

// needsLogin reports whether err is a refusal that a fresh login may cure.
func needsLogin(err error) bool {
	var e *customer.Error
	if !errors.As(err, &e) || e.Reason != customer.ReasonAuth {
		return false
	}
	code, perr := strconv.ParseInt(e.UpstreamCode, 10, 64)
	return perr == nil && slices.Contains(reloginCodes, code)
}

// errNoCredentials names a missing Config field without printing values.
func errNoCredentials(field string) error { return fmt.Errorf("crm: Config.%s is required", field) }
