// Package crm reads customers from the 励销云 / ikcrm CRM open API (api/v2)
// and returns them in the domain's terms.
//
// The CRM keeps one session per account: every login ends the previous
// token. The Client therefore logs in once, shares the token among all its
// callers, and re-logs in at most once at a time, when the CRM says the
// session is gone (codes 100000, 100400, 100401).
package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/provider/lenient"
	"custgraph/internal/provider/session"
	"custgraph/internal/redact"
)

var _ customer.CRMSource = (*Client)(nil)

// Paging limits of the list and contacts endpoints.
const (
	// DefaultPageSize is the CRM's own default per_page.
	DefaultPageSize = 15
	// MaxPageSize caps per_page.
	// Unconfirmed: the CRM documents no maximum; 100 is what the
	// simulator serves.
	MaxPageSize = 100
	// maxContactPages bounds the walk over one customer's contacts in
	// case the CRM's total_count never comes true.
	maxContactPages = 50
)

// The CRM's codes the client tells apart (besides the relogin codes).
const (
	codeNotFound = 100100
	// codeRateLimited is the quota code of our simulator.
	// Unconfirmed: the real throttled answer is undocumented; HTTP 429
	// is read as throttled whatever its code.
	codeRateLimited = 100429
)

// maxEnvelope is the largest answer Throttled reads for a throttle code:
// an error envelope is a code and a sentence; anything longer is data.
const maxEnvelope = 4 << 10

// Throttled tells the CRM's refusal of a call for its quota (for
// httpx.ClientOptions.Throttled): HTTP 429 whatever its body, or the
// throttle code in an envelope of any status.
// Unconfirmed: the CRM's real throttled answer is undocumented (see
// docs/upstreams.md); both forms are read.
func Throttled(resp *http.Response) bool {
	if resp.StatusCode == http.StatusTooManyRequests {
		return true
	}
	if resp.ContentLength > maxEnvelope {
		return false
	}
	head := httpx.PeekBody(resp, maxEnvelope+1)
	if len(head) > maxEnvelope {
		return false
	}
	var env envelope
	return json.Unmarshal(head, &env) == nil && env.Code.Valid && env.Code.Value == codeRateLimited
}

// Config configures a Client.
type Config struct {
	// BaseURL is the edition's domain, e.g. https://dingtalk.e.ikcrm.com;
	// /api/v2/… is appended.
	BaseURL string
	// Login (a phone number) and Password of the API account.
	Login, Password string
	// CorpID (企业ID) picks the enterprise when the account belongs to
	// several; empty when it does not.
	CorpID string
	// HTTPClient sends the calls; nil means httpx.NewClient defaults.
	HTTPClient *http.Client
	// Now is the clock for the session's age; nil means time.Now.
	Now func() time.Time
	// Shared, when set, keeps the login session with the other replicas (one
	// login session for all); nil keeps it in this process.
	Shared session.Shared
}

// String describes cfg with the password masked, so that printing a
// Config (%v, %+v or %#v) never shows it.
func (cfg Config) String() string {
	return fmt.Sprintf("crm.Config{BaseURL: %q, Login: %q, Password: \"***\", CorpID: %q}", redact.URL(cfg.BaseURL), cfg.Login, cfg.CorpID)
}

// GoString implements fmt.GoStringer like String.
func (cfg Config) GoString() string { return cfg.String() }

// Client is a CRM client. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string // BaseURL without a trailing slash
	hc   *http.Client
	now  func() time.Time

	// session is the one login session all callers share.
	session *session.Cache

	contactsPerPage int
}

// New validates cfg and returns a Client. It does not log in: the first
// call does.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		return nil, errNoCredentials("BaseURL")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil:
		return nil, fmt.Errorf("crm: Config.BaseURL must be an http(s) URL without user info or query")
	case cfg.Login == "":
		return nil, errNoCredentials("Login")
	case cfg.Password == "":
		return nil, errNoCredentials("Password")
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), hc: cfg.HTTPClient, now: cfg.Now, contactsPerPage: MaxPageSize}
	if c.hc == nil {
		c.hc = httpx.NewClient(httpx.ClientOptions{})
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.session = session.New(customer.CRM, c.newSession, c.now)
	c.session.Share(cfg.Shared)
	return c, nil
}

// Get returns the customer with the CRM id key (customers/{id}).
func (c *Client) Get(ctx context.Context, key string) (*customer.Customer, error) {
	if err := checkID(key); err != nil {
		return nil, err
	}
	var w wireCustomer
	if err := c.do(ctx, "/api/v2/customers/"+key, nil, &w); err != nil {
		if customer.IsNotFound(err) {
			return nil, customer.NotFoundf("CRM customer %s not found", key)
		}
		return nil, err
	}
	return mapOne(w)
}

// List returns one page of customers. Only the name keyword is pushed
// down (as query=); the CRM's date filters have day granularity and are
// left to the service.
func (c *Client) List(ctx context.Context, q customer.ListQuery) (*customer.Page, error) {
	page, size := max(q.Page, 1), q.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	v := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(size)}}
	if kw := strings.TrimSpace(q.Filter.Name); kw != "" {
		v.Set("query", kw)
	}
	// The directory's incremental sync: the CRM has no updated_at filter,
	// so the sync reads the most recently changed first and stops at the
	// first record it already holds. Otherwise the CRM's default order.
	if q.NewestFirst {
		v.Set("sort", "updated_at")
		v.Set("order", "desc")
	}
	var d listData
	if err := c.do(ctx, "/api/v2/customers", v, &d); err != nil {
		return nil, err
	}
	if !d.TotalCount.Valid {
		return nil, badResponse("list without total_count")
	}
	out := &customer.Page{Page: page, PageSize: size, Total: int(d.TotalCount.Value), Customers: make([]*customer.Customer, 0, len(d.Customers))}
	if d.Page.Valid && d.Page.Value > 0 {
		out.Page = int(d.Page.Value)
	}
	if d.PerPage.Valid && d.PerPage.Value > 0 {
		out.PageSize = int(d.PerPage.Value)
	}
	for _, w := range d.Customers {
		cu, err := mapOne(w)
		if err != nil {
			return nil, err
		}
		out.Customers = append(out.Customers, cu)
	}
	return out, nil
}

// FindByName returns the customers named exactly name
// (duplicates/matching_name). An empty name matches nothing and costs no
// call.
func (c *Client) FindByName(ctx context.Context, name string) ([]*customer.Customer, error) {
	out := []*customer.Customer{}
	if name == "" {
		return out, nil
	}
	var d matchData
	if err := c.do(ctx, "/api/v2/duplicates/matching_name", url.Values{"name": {name}}, &d); err != nil {
		return nil, err
	}
	for _, w := range d.Customers {
		cu, err := mapOne(w)
		if err != nil {
			return nil, err
		}
		if cu.Name == name { // the contract is exact equality, whatever the CRM's collation
			out = append(out, cu)
		}
	}
	return out, nil
}

// Contacts returns every contact of a customer with full addresses,
// walking all pages of customers/{id}/contacts.
func (c *Client) Contacts(ctx context.Context, customerID string) ([]customer.CRMContact, error) {
	if err := checkID(customerID); err != nil {
		return nil, err
	}
	out := []customer.CRMContact{}
	for page := 1; page <= maxContactPages; page++ {
		var d contactsData
		v := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(c.contactsPerPage)}}
		if err := c.do(ctx, "/api/v2/customers/"+customerID+"/contacts", v, &d); err != nil {
			if customer.IsNotFound(err) {
				return nil, customer.NotFoundf("CRM customer %s not found", customerID)
			}
			return nil, err
		}
		out = append(out, toContacts(d.Contacts)...)
		if len(d.Contacts) == 0 || !d.TotalCount.Valid || len(out) >= int(d.TotalCount.Value) {
			break
		}
	}
	return out, nil
}

// do performs one authenticated GET and decodes its data into out. When
// the CRM says the session is gone it logs in again (once, shared with
// concurrent callers) and retries the call once.
func (c *Client) do(ctx context.Context, path string, q url.Values, out any) error {
	tok, err := c.session.Get(ctx)
	if err != nil {
		return err
	}
	err = c.fetch(ctx, path, q, tok, out)
	if !needsLogin(err) {
		return err
	}
	if tok, err = c.session.Renew(ctx, tok); err != nil {
		return err
	}
	return c.fetch(ctx, path, q, tok, out)
}

func (c *Client) fetch(ctx context.Context, path string, q url.Values, tok string, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return customer.UpstreamError(customer.CRM, customer.ReasonUnavailable, "", redact.Error(err))
	}
	req.Header.Set("Authorization", authorization(tok))
	req.Header.Set("Accept", "application/json")
	status, body, err := httpx.Fetch(c.hc, req, customer.CRM)
	if err != nil {
		return err
	}
	return decode(status, body, customer.ReasonRejected, out)
}

// decode reads the CRM's envelope and its data into out. A non-zero code
// becomes an error of the matching reason; refusal is the reason for
// codes that mean nothing more specific (REJECTED for reads, AUTH for the
// login). An answer without the envelope is judged by its HTTP status.
func decode(status int, body []byte, refusal customer.Reason, out any) error {
	if status < 300 && decodeData(body, out) {
		return nil
	}
	return decodeGeneral(status, body, refusal, out)
}

// decodeGeneral is decode for every answer, failures included.
func decodeGeneral(status int, body []byte, refusal customer.Reason, out any) error {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || !env.Code.Valid {
		return statusError(status)
	}
	code := env.Code.Value
	if code == 0 {
		if status >= 300 {
			return statusError(status)
		}
		if len(env.Data) == 0 || string(env.Data) == "null" {
			return badResponse("answer without data")
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			return badResponse("undecodable data: " + err.Error())
		}
		return nil
	}
	upstream := strconv.FormatInt(code, 10)
	cause := fmt.Errorf("crm code %d: %s", code, clip(redact.Text(string(env.Message))))
	reason := refusal
	switch {
	case code == codeNotFound:
		return &customer.Error{Code: customer.CodeNotFound, Message: "CRM record not found", Source: customer.CRM, UpstreamCode: upstream, Err: cause}
	case slices.Contains(reloginCodes, code):
		reason = customer.ReasonAuth
	case status == http.StatusTooManyRequests || code == codeRateLimited:
		reason = customer.ReasonRateLimited
	case status >= 500 || (code >= 500 && code < 600):
		reason = customer.ReasonUnavailable
	}
	return customer.UpstreamError(customer.CRM, reason, upstream, cause)
}

// statusError judges an answer that is not the CRM's envelope (a gateway
// page, garbage) by its status.
func statusError(status int) error {
	cause := fmt.Errorf("HTTP %d without a CRM envelope", status)
	switch {
	case status == http.StatusTooManyRequests:
		return customer.UpstreamError(customer.CRM, customer.ReasonRateLimited, "", cause)
	case status >= 500:
		return customer.UpstreamError(customer.CRM, customer.ReasonUnavailable, "", cause)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return customer.UpstreamError(customer.CRM, customer.ReasonAuth, "", cause)
	}
	return customer.UpstreamError(customer.CRM, customer.ReasonBadResponse, "", cause)
}

func badResponse(what string) error {
	return customer.UpstreamError(customer.CRM, customer.ReasonBadResponse, "", fmt.Errorf("crm: %s", clip(what)))
}

// mapOne maps a record, failing as BAD_RESPONSE when it cannot be.
func mapOne(w wireCustomer) (*customer.Customer, error) {
	c, err := toCustomer(w)
	if err != nil {
		return nil, badResponse(err.Error())
	}
	return c, nil
}

// checkID refuses keys that are not CRM ids before any call is made.
func checkID(id string) error {
	if id == "" || len(id) > 18 || strings.Trim(id, "0123456789") != "" {
		return customer.BadInputf("CRM ids are decimal numbers")
	}
	return nil
}

// clip bounds text taken from an answer.
func clip(s string) string {
	const max = 200
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// dataDirect is envelope with data decoded in the same pass as the rest,
// straight into the caller's type. Through json.RawMessage, encoding/json
// would skip data and copy it, and json.Unmarshal would validate it once
// more before decoding it: three passes over the bulk of the answer
// instead of one.
type dataDirect struct {
	envelope
	// Data shadows envelope.Data.
	Data any `json:"data"`
}

// decodeData decodes a successful answer (code 0, data present and not
// null) in one pass and reports whether it could; when it could not, out
// is unchanged and decodeGeneral must read the answer, which words every
// error. It only takes answers where the result is the same either
// way: out is still zero (the general way decodes into it, so nothing old
// may remain to merge with), and data comes exactly once (the general way
// keeps only the last one).
func decodeData(body []byte, out any) bool {
	dst := reflect.ValueOf(out)
	if dst.Kind() != reflect.Pointer || dst.IsNil() || !dst.Elem().IsZero() {
		return false
	}
	if decodeOnce(body, out) {
		return true
	}
	// A fresh value, so that an answer refused below leaves out alone.
	fresh := reflect.New(dst.Elem().Type())
	d := dataDirect{Data: fresh.Interface()}
	if json.Unmarshal(body, &d) != nil || !d.Code.Valid || d.Code.Value != 0 || d.Data == nil {
		return false
	}
	if n, sure := lenient.Members(body, "data"); !sure || n != 1 {
		return false
	}
	dst.Elem().Set(fresh.Elem())
	return true
}

// dataOf is envelope with data decoded in the same pass as the rest, for
// lenient.Decode, which reads the answer once where json.Unmarshal reads
// it twice with a slower scanner.
type dataOf[T any] struct {
	envelope
	// Data shadows envelope.Data. A pointer, so that an answer without
	// data (or with null) is told apart.
	Data *T `json:"data"`
}

// decodeOnce is decodeData with lenient.Decode, for the data types the
// client reads; out is zero. lenient.Decode refuses what it is not sure
// of, two data members for one (Data is no longer nil at the second),
// and decodeData then decodes the answer with encoding/json.
func decodeOnce(body []byte, out any) bool {
	switch out := out.(type) {
	case *listData:
		return decodeDataOf(body, out)
	case *matchData:
		return decodeDataOf(body, out)
	case *wireCustomer:
		return decodeDataOf(body, out)
	case *contactsData:
		return decodeDataOf(body, out)
	case *loginData:
		return decodeDataOf(body, out)
	}
	return false
}

func decodeDataOf[T any](body []byte, out *T) bool {
	var d dataOf[T]
	if !lenient.Decode(body, &d) || !d.Code.Valid || d.Code.Value != 0 || d.Data == nil {
		return false
	}
	*out = *d.Data
	return true
}
