// Package httpx holds what custgraph's HTTP edges share: the tuned
// outbound client, the one point where outgoing-request errors are
// redacted (by internal/redact), and the mapping of transport failures to
// the domain's upstream reasons.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/quota"
	"custgraph/internal/readbody"
	"custgraph/internal/redact"
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
	// Throttled tells the vendor's refusal of a call for its quota from
	// its answer (nil: HTTP 429, Throttled); such a call is made once
	// more after the vendor's window (see paced).
	Throttled func(*http.Response) bool
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
		if o.Throttled == nil {
			o.Throttled = Throttled
		}
		tr = &paced{next: tr, src: o.Source, limiter: o.Limiter, maxWait: o.MaxWait, throttled: o.Throttled, obs: o.Observer}
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
// vendor never has to refuse one, and spends only what the vendor counts.
//
//   - A call that never reached the vendor (no connection: refused, a
//     failed dial or name lookup, a dial timeout; nothing written) gives
//     its turn back, so that a vendor that is down does not use up the
//     quota and make the next calls wait for turns they will not use.
//   - A call whose turn does not come while its caller can still use the
//     answer (beyond MaxWait, past the deadline less the time a call
//     takes, or its circuit opened meanwhile: quota.AbandonOn) fails at
//     once as RATE_LIMITED, or UNAVAILABLE for the circuit.
//   - When the vendor refuses a call for its quota even so (its clock, a
//     call that reached it late), the quota is filled until the vendor's
//     window has cleared and the call is made again, if its turn comes
//     within the request's deadline (MaxWait bounds only a call's first
//     wait; at most maxRefusals times); when no turn comes in time, the
//     answer is the gateway's own RATE_LIMITED.
//   - A call under quota.Background (the directory's sync) takes only turns
//     live calls can spare: the limiter reads the mark from the request's
//     context, which every layer here keeps (a clone, WithContext of a
//     derived context), and lets it wait beyond MaxWait, as long as its
//     context allows; its calls made again after a refusal are background
//     too.
type paced struct {
	next      http.RoundTripper
	src       customer.Source
	limiter   quota.Limiter
	maxWait   time.Duration
	throttled func(*http.Response) bool
	obs       Observer // may be nil
}

func (p *paced) RoundTrip(req *http.Request) (*http.Response, error) {
	turn, err := p.take(req, p.maxWait)
	if err != nil {
		return nil, err
	}
	resp, err := p.send(req, turn)
	for refusals := 1; err == nil && p.throttled(resp); refusals++ {
		turn.Refused(retryAfter(resp))
		again, ok := replay(req)
		if !ok || refusals > maxRefusals {
			return resp, nil // the vendor's refusal is the answer
		}
		// The call already waited its turn: the next may come as late as
		// the request can still use the answer, beyond MaxWait.
		wait := p.maxWait
		if dl, ok := req.Context().Deadline(); ok {
			wait = time.Until(dl)
		}
		next, terr := p.take(again, wait)
		drain(resp)
		if terr != nil {
			// The vendor's window will not clear in the request's time:
			// the gateway's own RATE_LIMITED, which says when to come
			// back.
			return nil, terr
		}
		req, turn = again, next
		resp, err = p.send(req, turn)
	}
	return resp, err
}

// maxRefusals is how many times one call is made again after the vendor
// refused it for its quota. Once is the rule (the quota is filled, so the
// next turn comes after the vendor's window); more happen only while calls
// reach the vendor later than any recent call did (a starved process), and
// each refusal widens the slack, so a few suffice: a vendor that refuses
// more is counting differently from its stated quota, and its refusal is
// the answer.
const maxRefusals = 3

// take waits for a turn for req, at most maxWait; its errors are the client's own, with
// the request's body closed as a RoundTripper must.
func (p *paced) take(req *http.Request, maxWait time.Duration) (*quota.Turn, error) {
	start := time.Now()
	turn, err := p.limiter.Take(req.Context(), maxWait)
	// The wait metric is what live requests pay for the quota; the sync's
	// waits (up to a span, by design) would drown it.
	if p.obs != nil && !quota.IsBackground(req.Context()) {
		p.obs.QuotaWait(p.src, time.Since(start), errors.Is(err, quota.ErrExceeded))
	}
	if err == nil {
		return turn, nil
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	var ex *quota.ExceededError
	switch {
	case errors.As(err, &ex):
		// Refused here, not by the vendor: say when to come back.
		return nil, customer.Refused(p.src, customer.ReasonRateLimited,
			fmt.Sprintf("outbound quota %s spent, next call possible in %s", ex.Rate, ex.Wait.Round(100*time.Millisecond)), err)
	case errors.Is(err, quota.ErrAbandoned):
		return nil, customer.Refused(p.src, customer.ReasonUnavailable, "the circuit opened while the call waited for a quota turn", err)
	}
	return nil, err
}

// send makes the call on its turn, and gives the turn back when the call
// never reached the vendor.
func (p *paced) send(req *http.Request, turn *quota.Turn) (*http.Response, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }}
	resp, err := p.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		if !wrote.Load() {
			turn.Unused()
		}
		return nil, err
	}
	turn.Answered()
	return resp, nil
}

// Throttled reports a vendor's refusal of a call for its quota by HTTP
// status: 429 Too Many Requests. A vendor that says it otherwise (a code
// in its envelope) gives NewClient a Throttled of its own.
func Throttled(resp *http.Response) bool { return resp.StatusCode == http.StatusTooManyRequests }

// retryAfter reads a refusal's Retry-After in seconds (0 when absent or
// in another form: the quota's own window then decides).
func retryAfter(resp *http.Response) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, time.Hour)
}

// replay returns req to be sent again, when its body can be.
func replay(req *http.Request) (*http.Request, bool) {
	again := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return again, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	again.Body = body
	return again, true
}

// drain reads a little of a discarded answer and closes it, so that its
// connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// PeekBody returns the first n bytes of resp's body (all of it when
// shorter) and leaves the body whole for its reader.
func PeekBody(resp *http.Response, n int64) []byte {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, n))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return head
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
	body, err := readbody.Read(io.LimitReader(resp.Body, MaxBody+1), resp.ContentLength, MaxBody+1)
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
	return customer.UpstreamError(src, reason, "", redact.Error(err))
}
