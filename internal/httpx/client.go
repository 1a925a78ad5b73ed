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
	"custgraph/internal/quota"
)

// UserAgent is sent on every outbound call (YCM refuses calls without one).
const UserAgent = "custgraph/1 (+OpenAPI)"

// MaxBody bounds how much of an upstream answer is read: no customer list
// page comes near it, and a runaway answer must not exhaust memory.
const MaxBody = 32 << 20

// ClientOptions tunes an outbound client.
type ClientOptions struct {
	// Timeout bounds one call (dial, headers and body) when the caller's
	// context has no earlier deadline. Default 10 s.
	Timeout time.Duration
	// MaxConns bounds connections to the vendor (idle and in use); size
	// it to the concurrency the vendor may see. Default 16.
	MaxConns int
	// Source names the vendor in the errors of the client's own making.
	Source customer.Source
	// Limiter, when set, paces every call (logins and token requests
	// included: vendors count them) to the vendor's quota.
	Limiter quota.Limiter
	// Observer, when set, learns of every call and quota wait (metrics,
	// traces).
	Observer Observer
	// MaxWait is the longest a call waits for its turn in the quota;
	// a call whose turn is further away, or beyond its context's
	// deadline, fails at once with RATE_LIMITED. Default 10 s.
	MaxWait time.Duration
}

// NewClient returns an http.Client for one vendor: connections are reused
// up to MaxConns, dialing, TLS and response headers have their own bounds
// so that a dead host fails fast, and calls keep to the vendor's quota.
func NewClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 10 * time.Second
	}
	var tr http.RoundTripper = &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: min(3*time.Second, o.Timeout), KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          o.MaxConns,
		MaxIdleConnsPerHost:   o.MaxConns,
		MaxConnsPerHost:       o.MaxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(5*time.Second, o.Timeout),
		ResponseHeaderTimeout: o.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	// The timeout bounds the call itself, not its wait for a turn in
	// the quota (which MaxWait and the caller's deadline bound), so it
	// is applied inside the pacing rather than as http.Client.Timeout.
	tr = &bounded{next: tr, timeout: o.Timeout}
	if o.Observer != nil {
		tr = &observed{next: tr, src: o.Source, obs: o.Observer}
	}
	if o.Limiter != nil {
		tr = &paced{next: tr, src: o.Source, limiter: o.Limiter, maxWait: o.MaxWait, obs: o.Observer}
	}
	return &http.Client{Transport: tr}
}

// bounded gives each call at most timeout, body included.
type bounded struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (b *bounded) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), b.timeout)
	resp, err := b.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases a call's timeout once its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// paced takes a turn in the vendor's quota before every call, so that the
// vendor never has to refuse one.
type paced struct {
	next    http.RoundTripper
	src     customer.Source
	limiter quota.Limiter
	maxWait time.Duration
	obs     Observer // may be nil
}

func (p *paced) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	err := p.limiter.Take(req.Context(), p.maxWait)
	if p.obs != nil {
		p.obs.QuotaWait(p.src, time.Since(start), errors.Is(err, quota.ErrExceeded))
	}
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper always closes the body
		}
		var ex *quota.ExceededError
		if errors.As(err, &ex) {
			e := customer.UpstreamError(p.src, customer.ReasonRateLimited, "", err)
			// Refused here, not by the vendor: say when to come back.
			e.Message = fmt.Sprintf("%s: outbound quota %s spent, next call possible in %s", p.src, ex.Rate, ex.Wait.Round(100*time.Millisecond))
			return nil, e
		}
		return nil, err
	}
	return p.next.RoundTrip(req)
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
	var own *customer.Error
	if errors.As(err, &own) { // made by our own transport (the quota), already client-safe
		return own
	}
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
