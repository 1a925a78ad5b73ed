// Package ycm is custgraph's client of the Yeastar Central Management (YCM)
// open API: OAuth client credentials with rotating refresh tokens, and the
// customer list and detail endpoints, mapped to the customer domain.
package ycm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/provider/session"
	"custgraph/internal/redact"
)

// Paths appended to the base URL.
const (
	tokenPath     = "/dm/open_api/oauth/token"
	customersPath = "/dm/open_api/v1/customers"
)

// MaxPageSize is the most records YCM serves per list call.
const MaxPageSize = 50

// MaxListPageSize bounds ListQuery.PageSize: larger pages are served as up
// to this many records, fetched as concurrent YCM pages of MaxPageSize.
const MaxListPageSize = 500

// maxPage bounds ListQuery.Page so that record offsets cannot overflow,
// even where int has 32 bits.
const maxPage = 1 << 20

// Vendor error codes the client acts on.
//
// Unconfirmed: YCM publishes no code list; these are the ones our
// simulator uses. HTTP statuses are checked first, so other codes still
// map sensibly.
const (
	codeInternal       = "10001"
	codeBadClient      = "20001"
	codeBadRefresh     = "20002"
	codeBadAccessToken = "20003"
	codeNotFound       = "30001"
)

// Config configures a Client.
type Config struct {
	// BaseURL is e.g. https://ycm.yeastar.com; /dm/open_api/... is appended.
	BaseURL string
	// ClientID and ClientSecret are the OAuth client credentials of the
	// YCM API application.
	ClientID, ClientSecret string
	// HTTPClient makes the calls; nil means httpx.NewClient defaults.
	HTTPClient *http.Client
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
	// Shared, when set, keeps the access token with the other replicas (one
	// token for all); nil keeps it in this process.
	Shared session.Shared
}

// Client talks to one YCM account. It is safe for concurrent use and
// shares one token between all callers.
type Client struct {
	base string
	http *http.Client
	auth *auth
}

var _ customer.YCMSource = (*Client)(nil)

// New checks cfg and returns a Client. It makes no call yet.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("ycm: BaseURL is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "":
		// Not the value itself: it could carry user info.
		return nil, errors.New("ycm: BaseURL must be an absolute http(s) URL without a query")
	case cfg.ClientID == "":
		return nil, errors.New("ycm: ClientID is required")
	case cfg.ClientSecret == "":
		return nil, errors.New("ycm: ClientSecret is required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = httpx.NewClient(httpx.ClientOptions{})
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	a := newAuth(base+tokenPath, cfg.ClientID, cfg.ClientSecret, cfg.HTTPClient, cfg.Now)
	a.tokens.Share(cfg.Shared)
	return &Client{base: base, http: cfg.HTTPClient, auth: a}, nil
}

// Get returns the customer with the given customerId. key must be a
// decimal number.
func (c *Client) Get(ctx context.Context, key string) (*customer.Customer, error) {
	id, err := parseID(key)
	if err != nil {
		return nil, err
	}
	data, _, err := c.do(ctx, customersPath+"/"+id, nil, nil)
	if err != nil {
		return nil, err
	}
	cu, err := decodeCustomer(data)
	if err != nil {
		return nil, badResponse(err)
	}
	if cu == nil { // Success with data null: nothing there
		return nil, customer.NotFoundf("YCM: no customer %s", id)
	}
	return cu, nil
}

// List returns one page of customers in customerId order, so that paging
// is stable. YCM cannot filter or search, so q.Filter is not pushed down:
// the caller filters. A PageSize above MaxPageSize is served from several
// YCM pages fetched concurrently; PageSize 0 means MaxPageSize.
func (c *Client) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	page, size := max(q.Page, 1), q.PageSize
	if size <= 0 {
		size = MaxPageSize
	}
	size = min(size, MaxListPageSize)
	if page > maxPage {
		return nil, customer.BadInputf("page must be at most %d", maxPage)
	}
	if size <= MaxPageSize {
		list, total, err := c.page(ctx, page, size)
		if err != nil {
			return nil, err
		}
		return &customer.Page{Customers: list, Page: page, PageSize: size, Total: total}, nil
	}

	start := (page - 1) * size
	first, last := start/MaxPageSize+1, (start+size-1)/MaxPageSize+1
	lists, totals, errs := make([][]*customer.Customer, last-first+1), make([]int, last-first+1), make([]error, last-first+1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range lists {
		wg.Go(func() {
			lists[i], totals[i], errs[i] = c.page(ctx, first+i, MaxPageSize)
			if errs[i] != nil {
				cancel() // the page is lost anyway
			}
		})
	}
	wg.Wait()
	if err := firstCause(errs); err != nil {
		return nil, err
	}
	var all []*customer.Customer
	for _, l := range lists {
		all = append(all, l...)
	}
	offset := start - (first-1)*MaxPageSize
	all = all[min(offset, len(all)):min(offset+size, len(all))]
	return &customer.Page{Customers: all, Page: page, PageSize: size, Total: totals[0]}, nil
}

// All walks every customer in pages of MaxPageSize, in customerId order,
// calling fn with each page. It stops at the first error, fn's included.
// YCM has no search, so this is how a name index is built.
func (c *Client) All(ctx context.Context, fn func([]*customer.Customer) error) error {
	for n := 1; ; n++ {
		list, total, err := c.page(ctx, n, MaxPageSize)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			if err := fn(list); err != nil {
				return err
			}
		}
		if len(list) == 0 || n*MaxPageSize >= total {
			return nil
		}
	}
}

// page fetches one YCM list page (size at most MaxPageSize).
func (c *Client) page(ctx context.Context, number, size int) ([]*customer.Customer, int, error) {
	q := url.Values{"pageSize": {strconv.Itoa(size)}, "pageNumber": {strconv.Itoa(number)}, "sort": {"customerId"}}
	p := new(wirePage)
	data, decoded, err := c.do(ctx, customersPath, q, p)
	if customer.IsNotFound(err) { // the list itself cannot be missing
		return nil, 0, customer.UpstreamError(customer.YCM, customer.ReasonRejected, codeNotFound, err)
	}
	if err != nil {
		return nil, 0, err
	}
	if decoded {
		err = checkPage(p)
	} else {
		p, err = decodePage(data)
	}
	if err != nil {
		return nil, 0, badResponse(err)
	}
	list, err := toCustomers(p.List)
	if err != nil {
		return nil, 0, badResponse(err)
	}
	return list, int(p.Total.Value), nil
}

// do sends an authorised GET and returns the envelope's data. When YCM
// refuses the token, it renews the token once and retries the call once.
//
// into, when not nil, points to a zero value of the type data holds: a
// successful answer is then decoded into it in the same pass as the
// envelope (decoded is true and data nil), which spares reading the data
// three times more (skipping it, validating it, decoding it).
func (c *Client) do(ctx context.Context, path string, query url.Values, into any) (data json.RawMessage, decoded bool, err error) {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	stale := ""
	for retried := false; ; retried = true {
		tok, err := c.auth.tokens.Renew(ctx, stale)
		if err != nil {
			return nil, false, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, false, customer.AsError(redact.Error(err))
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		status, body, err := httpx.Fetch(c.http, req, customer.YCM)
		if err != nil {
			return nil, false, err
		}
		if into != nil && decodeSuccess(status, body, into) {
			return nil, true, nil
		}
		env, decErr := decodeEnvelope(body)
		if !retried && tokenRefused(status, &env) {
			stale = tok
			continue
		}
		if err := check(status, env, decErr); err != nil {
			return nil, false, err
		}
		return env.Data, false, nil
	}
}

// tokenRefused reports whether YCM refused the bearer token.
//
// Unconfirmed: YCM's answer to a bad or expired token is not documented;
// we take HTTP 401, or a Failed envelope with the token code or a message
// about the token.
func tokenRefused(status int, env *envelope) bool {
	return status == http.StatusUnauthorized ||
		(env.failed() && (env.code() == codeBadAccessToken || strings.Contains(strings.ToLower(env.message()), "token")))
}

// check maps an answer that is not a success to a domain error. The HTTP
// status decides first, then YCM's status and code. The vendor's message
// is never copied: it may quote a token.
func check(status int, env envelope, decErr error) error {
	code := safeID(env.code())
	// The cause is only worded for a failure: check runs on every answer.
	fail := func(r customer.Reason) error {
		cause := fmt.Errorf("HTTP %d, errorCode %q, requestId %q", status, code, safeID(string(env.RequestID)))
		return customer.UpstreamError(customer.YCM, r, code, cause)
	}
	switch {
	case status == http.StatusTooManyRequests:
		return fail(customer.ReasonRateLimited)
	case status >= 500:
		return fail(customer.ReasonUnavailable)
	case env.failed() && (status == http.StatusNotFound || code == codeNotFound):
		return customer.NotFoundf("YCM: no such customer")
	case status == http.StatusUnauthorized || status == http.StatusForbidden ||
		code == codeBadClient || code == codeBadRefresh || code == codeBadAccessToken:
		return fail(customer.ReasonAuth)
	case env.failed() && code == codeInternal:
		return fail(customer.ReasonUnavailable)
	case status >= 300 || env.failed():
		return fail(customer.ReasonRejected)
	case decErr != nil:
		return badResponse(decErr)
	case !env.succeeded():
		return fail(customer.ReasonBadResponse)
	}
	return nil
}

// firstCause returns the first error that is not merely the cancellation
// another failed page caused.
func firstCause(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !session.IsContextErr(err) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// parseID checks that key is a customerId (a positive decimal Long) and
// returns it in canonical form.
func parseID(key string) (string, error) {
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil || n <= 0 || strings.TrimLeft(key, "0123456789") != "" {
		return "", customer.BadInputf("YCM customer ids are positive decimal numbers")
	}
	return strconv.FormatInt(n, 10), nil
}

func badResponse(err error) error {
	return customer.UpstreamError(customer.YCM, customer.ReasonBadResponse, "", err)
}

// safeID returns s when it looks like a code or request id (short, letters,
// digits and -_.), else "". Vendor text must not carry anything else, such
// as an echoed token, into an error.
func safeID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 || strings.TrimLeft(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
		return ""
	}
	return s
}
