// Package httpx holds what custgraph's HTTP edges share: the tuned
// outbound client, the one redaction point for outgoing-request errors, and
// the mapping of transport failures to the domain's upstream reasons.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"custgraph/internal/customer"
)

// UserAgent is sent on every outbound call (YCM refuses calls without one).
const UserAgent = "custgraph/1 (+OpenAPI)"

// MaxBody bounds how much of an upstream answer is read: no customer list
// page comes near it, and a runaway answer must not exhaust memory.
const MaxBody = 32 << 20

// ClientOptions tunes an outbound client.
type ClientOptions struct {
	// Timeout bounds one whole call when the caller's context has no
	// earlier deadline. Default 10 s.
	Timeout time.Duration
	// MaxConns bounds connections to the vendor (idle and in use).
	// Default 16.
	MaxConns int
}

// NewClient returns an http.Client for one vendor: connections are reused
// up to MaxConns, and dialing, TLS and response headers have their own
// bounds so a dead host fails fast.
func NewClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          o.MaxConns,
		MaxIdleConnsPerHost:   o.MaxConns,
		MaxConnsPerHost:       o.MaxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout}
}

// Fetch sends req and reads the answer (at most MaxBody bytes). A
// transport failure comes back as an upstream *customer.Error of src:
// TIMEOUT when a deadline passed, UNAVAILABLE otherwise; its cause is
// redacted and still matches context.Canceled / DeadlineExceeded.
func Fetch(c *http.Client, req *http.Request, src customer.Source) (int, []byte, error) {
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, TransportError(src, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return resp.StatusCode, nil, TransportError(src, err)
	}
	if len(body) > MaxBody {
		return resp.StatusCode, nil, customer.UpstreamError(src, customer.ReasonBadResponse, "",
			fmt.Errorf("answer larger than %d bytes", MaxBody))
	}
	return resp.StatusCode, body, nil
}

// TransportError maps a failed round trip to an upstream error of src with
// a redacted cause.
func TransportError(src customer.Source, err error) *customer.Error {
	reason := customer.ReasonUnavailable
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		reason = customer.ReasonTimeout
	}
	return customer.UpstreamError(src, reason, "", Redact(err))
}

// Redact returns err with every URL in it stripped of its query string and
// user info, so that tokens and keys U8 puts in the query (and passwords in
// a URL) never reach a log or a client. It keeps errors.Is working on the
// inner error.
func Redact(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &redacted{msg: ue.Op + " " + RedactURL(ue.URL) + ": " + RedactText(ue.Err.Error()), err: ue.Err}
	}
	return &redacted{msg: RedactText(err.Error()), err: errors.Unwrap(err)}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// RedactURL drops the query string, fragment and user info of a URL.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		return raw
	}
	u.User = nil
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// RedactText cuts the query string off every URL-like word of s.
func RedactText(s string) string {
	words := strings.Fields(s)
	changed := false
	for i, w := range words {
		if strings.Contains(w, "://") || strings.Contains(w, "?") {
			trimmed := strings.Trim(w, `"'`)
			words[i] = RedactURL(trimmed)
			changed = true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(words, " ")
}
