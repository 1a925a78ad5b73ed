package httpx

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"custgraph/internal/customer"
)

// Observer learns of every vendor call and every wait for a quota turn:
// metrics and traces hang off it, so that this package needs neither.
type Observer interface {
	// StartCall begins one HTTP call to the vendor; the returned context
	// carries it (a trace span) and end reports how it went.
	StartCall(ctx context.Context, src customer.Source, method, route string) (context.Context, func(outcome string))
	// QuotaWait reports a turn taken (or refused) and how long it took.
	QuotaWait(src customer.Source, waited time.Duration, refused bool)
}

// Call outcomes, as observers see them.
const (
	OutcomeOK        = "ok"
	OutcomeClient    = "http_4xx"
	OutcomeServer    = "http_5xx"
	OutcomeTimeout   = "timeout"
	OutcomeCancelled = "cancelled"
	OutcomeError     = "error" // no answer: refused connection, reset, …
)

// observed reports every call it makes to an Observer.
type observed struct {
	next http.RoundTripper
	src  customer.Source
	obs  Observer
}

func (o *observed) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, end := o.obs.StartCall(req.Context(), o.src, req.Method, Route(req.URL.Path))
	resp, err := o.next.RoundTrip(req.WithContext(ctx))
	end(Outcome(resp, err))
	return resp, err
}

// Outcome classifies a call's result.
func Outcome(resp *http.Response, err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return OutcomeCancelled
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return OutcomeTimeout
	case err != nil:
		return OutcomeError
	case resp.StatusCode >= 500:
		return OutcomeServer
	case resp.StatusCode >= 400:
		return OutcomeClient
	}
	return OutcomeOK
}

// Route is a path with its ids replaced by {id}, so that metrics and span
// names have one series per endpoint, not per record:
// /api/v2/customers/834/contacts → /api/v2/customers/{id}/contacts.
func Route(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}
