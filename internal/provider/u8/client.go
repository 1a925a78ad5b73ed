// Package u8 is custgraph's client of the Yonyou U8 OpenAPI (the
// api.yonyouup.com cloud gateway in front of an enterprise's on-premise U8):
// customer/get and customer/batch_get, with the token lifecycle and U8's
// loose wire format handled here and only domain values returned.
package u8

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/provider/lenient"
	"custgraph/internal/provider/session"
	"custgraph/internal/redact"
)

// MaxPageSize is the largest rows_per_page the client asks for.
// Unconfirmed: U8 documents no maximum; 500 is what the simulator serves,
// and a page of 500 customers is well within one answer's size.
const MaxPageSize = 500

// DefaultPageSize is used when a ListQuery leaves PageSize at zero.
const DefaultPageSize = 20

// maxNamePages bounds FindByName's walk, so that a server that keeps
// answering full pages cannot keep us paging forever.
const maxNamePages = 100

// Config configures a Client.
type Config struct {
	// BaseURL is the gateway, e.g. https://api.yonyouup.com; /system/token
	// and /api/customer/... are appended.
	BaseURL string
	// FromAccount (调用方id), ToAccount (提供方id, the enterprise), AppKey
	// and AppSecret are required. DSSequence (数据源序号) is optional: empty
	// means the app's first data source.
	FromAccount, ToAccount, AppKey, AppSecret, DSSequence string
	// HTTPClient makes the calls; nil means httpx.NewClient defaults.
	HTTPClient *http.Client
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
	// Shared, when set, keeps the token with the other replicas (one
	// token for all); nil keeps it in this process.
	Shared session.Shared
}

// String shows the configuration with the app key and secret masked, so
// that printing a Config cannot leak them.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	return fmt.Sprintf("u8.Config{BaseURL: %s, FromAccount: %s, ToAccount: %s, AppKey: %s, AppSecret: %s, DSSequence: %s}",
		redact.URL(c.BaseURL), c.FromAccount, c.ToAccount, mask(c.AppKey), mask(c.AppSecret), c.DSSequence)
}

// Client reads U8 customers. It is safe for concurrent use; all callers
// share one token.
type Client struct {
	base *url.URL
	cfg  Config
	http *http.Client
	now  func() time.Time
	// token is the one U8 token all callers share.
	token *session.Cache
}

var _ customer.U8Source = (*Client)(nil)

// New validates cfg and returns a Client. Errors name the missing or bad
// field, never a value.
func New(cfg Config) (*Client, error) {
	for _, f := range []struct{ name, value string }{
		{"BaseURL", cfg.BaseURL}, {"FromAccount", cfg.FromAccount}, {"ToAccount", cfg.ToAccount},
		{"AppKey", cfg.AppKey}, {"AppSecret", cfg.AppSecret},
	} {
		if strings.TrimSpace(f.value) == "" {
			return nil, fmt.Errorf("u8: config: %s is required", f.name)
		}
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("u8: config: BaseURL must be an absolute http(s) URL")
	}
	if base.User != nil || base.RawQuery != "" {
		return nil, errors.New("u8: config: BaseURL must carry no user info or query; use the credential fields")
	}
	if cfg.DSSequence != "" {
		if n, err := strconv.Atoi(cfg.DSSequence); err != nil || n < 1 {
			return nil, errors.New("u8: config: DSSequence must be a positive number")
		}
	}
	c := &Client{base: base, cfg: cfg, http: cfg.HTTPClient, now: cfg.Now}
	if c.http == nil {
		c.http = httpx.NewClient(httpx.ClientOptions{})
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.token = session.New(customer.U8, c.newToken, c.now)
	c.token.Share(cfg.Shared)
	return c, nil
}

// Get returns the customer with this code (leading zeros matter). A code
// U8 does not hold is an error matching customer.ErrNotFound.
func (c *Client) Get(ctx context.Context, code string) (*customer.Customer, error) {
	if code == "" {
		return nil, customer.BadInputf("U8 customer code is empty")
	}
	var ans getAnswer
	err := c.do(ctx, "/api/customer/get", url.Values{"id": {code}}, &ans)
	if errors.Is(err, errNoMatch) {
		return nil, customer.NotFoundf("U8 has no customer %s", code)
	}
	if err != nil {
		return nil, err
	}
	if len(ans.Customer) == 0 {
		return nil, badResponse(errors.New("customer/get answer holds no customer"))
	}
	return toCustomer(&ans.Customer[0])
}

// List returns one page of customers ordered by code. Name, code range and
// UpdatedSince are pushed down; UpdatedSince only to the day (U8 filters
// ModifyDate by date), so the page may hold a few earlier changes of that
// day, which the service's Filter.Matches removes. (U8 also leaves out
// records with no ModifyDate at all; never modified, they were not changed
// since either.)
func (c *Client) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	page, size := max(q.Page, 1), q.PageSize
	switch {
	case size <= 0:
		size = DefaultPageSize
	case size > MaxPageSize:
		size = MaxPageSize
	}
	params := url.Values{"page_index": {strconv.Itoa(page)}, "rows_per_page": {strconv.Itoa(size)}}
	set := func(key, value string) {
		if value != "" {
			params.Set(key, value)
		}
	}
	set("name", q.Filter.Name)
	set("code_begin", q.Filter.CodeFrom)
	set("code_end", q.Filter.CodeTo)
	if t := q.Filter.UpdatedSince; t != nil {
		set("ModifyDate_begin", t.In(customer.Shanghai).Format(dateLayout))
	}
	// The directory's incremental sync: U8's timestamp (rowversion) grows
	// with every change, so it finds changes to the second where
	// ModifyDate only has the day. Sent as U8 wrote it.
	set("timestamp_begin", q.TimestampFrom)
	var ans batchAnswer
	err := c.do(ctx, "/api/customer/batch_get", params, &ans)
	if errors.Is(err, errNoMatch) { // U8's way of saying "no rows"
		return &customer.Page{Customers: []*customer.Customer{}, Page: page, PageSize: size}, nil
	}
	if err != nil {
		return nil, err
	}
	out := &customer.Page{Customers: make([]*customer.Customer, 0, len(ans.Customer)), Page: page, PageSize: size}
	for i := range ans.Customer {
		cust, err := toCustomer(&ans.Customer[i])
		if err != nil {
			return nil, err
		}
		out.Customers = append(out.Customers, cust)
	}
	if ans.PageIndex.Valid && ans.PageIndex.Value > 0 {
		out.Page = int(ans.PageIndex.Value)
	}
	if ans.RowsPerPage.Valid && ans.RowsPerPage.Value > 0 {
		out.PageSize = int(ans.RowsPerPage.Value)
	}
	if ans.RowCount.Valid {
		out.Total = int(ans.RowCount.Value)
	} else {
		// Without row_count, a full page suggests more follow: claim one
		// more row than served so far so that callers keep paging until a
		// short page.
		out.Total = (out.Page-1)*out.PageSize + len(out.Customers)
		if len(out.Customers) >= out.PageSize {
			out.Total++
		}
		out.Estimated = true
	}
	return out, nil
}

// FindByName returns the customers named exactly name. U8 only searches by
// keyword, so every page of the keyword search is read and filtered here.
func (c *Client) FindByName(ctx context.Context, name string) ([]*customer.Customer, error) {
	out := []*customer.Customer{}
	if strings.TrimSpace(name) == "" {
		return out, nil
	}
	q := customer.ListQuery{PageSize: MaxPageSize, Filter: customer.Filter{Name: name}}
	for q.Page = 1; q.Page <= maxNamePages; q.Page++ {
		p, err := c.List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, cust := range p.Customers {
			if cust.Name == name {
				out = append(out, cust)
			}
		}
		if len(p.Customers) == 0 || !p.HasMore() {
			return out, nil
		}
	}
	return nil, badResponse(fmt.Errorf("keyword search still paging after %d pages", maxNamePages))
}

// errNoMatch is errcode 20002: the query matched no rows. Callers turn it
// into "not found" or an empty page.
var errNoMatch = errors.New("u8: no matching rows")

// do calls an API route with the common parameters and the shared token,
// and decodes a successful answer into out. When U8 says the token is bad,
// it fetches a new one and tries once more.
func (c *Client) do(ctx context.Context, path string, params url.Values, out envelopeHolder) error {
	stale := ""
	for retried := false; ; retried = true {
		tok, err := c.token.Renew(ctx, stale)
		if err != nil {
			return err
		}
		q := url.Values{"from_account": {c.cfg.FromAccount}, "to_account": {c.cfg.ToAccount},
			"app_key": {c.cfg.AppKey}, "token": {tok}}
		if c.cfg.DSSequence != "" {
			q.Set("ds_sequence", c.cfg.DSSequence)
		}
		for k, v := range params {
			q[k] = v
		}
		if err := c.send(ctx, path, q, out); err != nil {
			return err
		}
		env := out.env()
		switch code := string(env.ErrCode); {
		case code == codeOK:
			return nil
		case code == codeNoMatch:
			return errNoMatch
		case isTokenError(env) && !retried:
			stale = tok
			continue
		default:
			return c.vendorError(env)
		}
	}
}

// send makes one GET and decodes the JSON answer into out. Only
// transport, status and decoding failures are errors here; errcode is the
// caller's to read.
func (c *Client) send(ctx context.Context, path string, q url.Values, out envelopeHolder) error {
	u := c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return customer.UpstreamError(customer.U8, customer.ReasonBadResponse, "", redact.Error(err))
	}
	req.Header.Set("Accept", "application/json")
	status, body, err := httpx.Fetch(c.http, req, customer.U8)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return statusError(status)
	}
	if err := decode(body, out); err != nil {
		return badResponse(redact.Error(err))
	}
	if out.env().ErrCode == "" {
		return badResponse(errors.New("answer without errcode"))
	}
	return nil
}

// statusError maps a non-200 answer. U8 sends business errors with 200, so
// anything else comes from the cloud gateway or a proxy in front of it; its
// body is not kept (a proxy may echo the request URL, query and all).
func statusError(status int) error {
	reason := customer.ReasonRejected
	switch {
	case status >= 500:
		reason = customer.ReasonUnavailable
	case status == http.StatusTooManyRequests:
		reason = customer.ReasonRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		reason = customer.ReasonAuth
	}
	return customer.UpstreamError(customer.U8, reason, "", fmt.Errorf("HTTP %d", status))
}

// vendorError maps a non-zero errcode of an API call, keeping U8's code.
func (c *Client) vendorError(env *envelope) error {
	code := string(env.ErrCode)
	reason := customer.ReasonRejected
	switch {
	case code == codeAgentOffline:
		reason = customer.ReasonUnavailable
	case isAuthCode(code) || isTokenError(env):
		reason = customer.ReasonAuth
	}
	return customer.UpstreamError(customer.U8, reason, code, c.cause(env))
}

// cause is the log text of a vendor error: the errmsg goes in only with our
// secrets masked, in case U8 echoes them.
func (c *Client) cause(env *envelope) error {
	return fmt.Errorf("errcode %s: %s", env.ErrCode, c.mask(string(env.ErrMsg)))
}

// mask blanks every credential and the current token out of s, and
// bounds its length.
func (c *Client) mask(s string) string {
	secrets := []string{c.token.Current(), c.cfg.AppSecret, c.cfg.AppKey}
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return redact.Text(s)
}

func badResponse(cause error) error {
	return customer.UpstreamError(customer.U8, customer.ReasonBadResponse, "", cause)
}

// decode reads a JSON answer. It is the one entry point for U8 bodies, so
// that the fuzz target covers what the client really runs.
func decode(body []byte, out any) error {
	if b, ok := out.(*batchAnswer); ok && decodeBatch(body, b) {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode U8 answer: %w", err)
	}
	return nil
}

// batchDirect is batchAnswer with the customer list decoded in the same
// pass as the rest. Through wireCustomers.UnmarshalJSON, encoding/json
// would skip the list, and json.Unmarshal would validate it once more
// before decoding it: three passes over the bulk of the answer instead of
// one.
type batchDirect struct {
	batchAnswer
	// Customer shadows batchAnswer.Customer: it takes a list only.
	Customer []wireCustomer `json:"customer"`
}

// decodeBatch decodes a batch_get answer in one pass and reports whether
// it could; when it could not, out is unchanged and json.Unmarshal must
// decode the answer (a single-object customer, an error, …). It only
// takes answers where the result is the same either way: out holds no
// customers yet (encoding/json would decode a list into the old one's
// elements), and customer comes at most once (a second list would be
// merged into the first, where wireCustomers keeps only the last).
//
// lenient.Decode reads the answer first: it is json.Unmarshal's result
// at a fraction of its cost, and refuses what it is not sure of (a
// second list included: d.Customer is no longer nil when it comes).
// encoding/json then decodes what it refused, a member named in another
// case for one.
func decodeBatch(body []byte, out *batchAnswer) bool {
	if out.Customer != nil {
		return false
	}
	d := batchDirect{batchAnswer: *out}
	if lenient.Decode(body, &d) {
		*out = d.batchAnswer
		out.Customer = d.Customer
		return true
	}
	if json.Unmarshal(body, &d) != nil {
		return false
	}
	if n, sure := lenient.Members(body, "customer"); !sure || n > 1 {
		return false
	}
	*out = d.batchAnswer
	out.Customer = d.Customer
	return true
}
