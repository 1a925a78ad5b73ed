package ycm

// Wire tests: every request the client sends is checked against Yeastar's
// own documents (the "query all the customers" page of the seeds and the
// facts of docs/upstreams.md §2: request structure, access token, refresh
// token), not against our simulator, which was written with the client
// and could share its mistakes. YCM serves HTTPS only, so the server is a
// TLS one; it mounts YCM under providertest.BasePath and fails the test on
// any URL it does not serve.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"custgraph/internal/customer"
	"custgraph/internal/httpx"
	"custgraph/internal/provider/providertest"
)

const (
	// wireClientID is the client_id of the seed document's example token.
	wireClientID     = "yAsxg7HNDEs3qHzkBMZQNOnZ650OECMY"
	wireClientSecret = "wire-client-secret"
	// wireTTL is the documented access token lifetime (30 minutes).
	wireTTL = 30 * time.Minute
)

// wireTokens are the access and refresh tokens of the i-th grant a test
// serves (YCM rotates the refresh token on every refresh).
func wireTokens(i int) (access, refresh string) {
	return fmt.Sprintf("eyJhbGciOiJIUzI1NiJ9.wire-access-%d.sig", i), fmt.Sprintf("wire-refresh-%d", i)
}

// wireTokenBody is the token endpoint's bare OAuth answer (no
// data/status envelope) for the i-th grant.
func wireTokenBody(i int) string {
	access, refresh := wireTokens(i)
	return `{"access_token":"` + access + `","refresh_token":"` + refresh +
		`","token_type":"bearer","expires_in":1800,"jti":"70b77cb8-736c-4187-b36c-163433eebc5a"}`
}

// clientCredentials is the documented form of a token request.
var clientCredentials = url.Values{"grant_type": {"client_credentials"},
	"client_id": {wireClientID}, "client_secret": {wireClientSecret}}

// refreshGrant is the documented form of a refresh with refresh token r.
func refreshGrant(r string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r}}
}

// grant is one token request a test expects, and the answer it gets.
type grant struct {
	form   url.Values
	status int
	answer string
}

// issue is the grant that is answered with the i-th tokens.
func issue(form url.Values, i int) grant {
	return grant{form: form, status: http.StatusOK, answer: wireTokenBody(i)}
}

// handleGrants serves POST /dm/open_api/oauth/token, expecting the i-th
// request to be grants[i], and checks that each is the documented one: a
// form-encoded POST with the mandatory User-Agent and no query or bearer.
func handleGrants(t *testing.T, w *providertest.Wire, grants ...grant) {
	t.Helper()
	var n atomic.Int32
	w.Handle("/dm/open_api/oauth/token", func(rw http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(grants) {
			t.Errorf("token request %d: got one more than the %d this test expects", i+1, len(grants))
			providertest.Reply(rw, http.StatusBadRequest, `{"error":"invalid_grant"}`)
			return
		}
		providertest.CheckRequest(t, r, providertest.Want{
			Method: http.MethodPost,
			Header: http.Header{
				"User-Agent":    {httpx.UserAgent},
				"Content-Type":  {"application/x-www-form-urlencoded"},
				"Authorization": nil,
			},
			Form: grants[i].form,
		})
		providertest.Reply(rw, grants[i].status, grants[i].answer)
	})
}

// apiWant is the documented request of a customer endpoint: a GET with
// the access token as a bearer, the mandatory User-Agent, and query.
func apiWant(access string, query url.Values) providertest.Want {
	return providertest.Want{
		Method: http.MethodGet,
		Query:  query,
		Header: http.Header{
			"Authorization": {"Bearer " + access},
			"User-Agent":    {httpx.UserAgent},
			"Accept":        {"application/json"},
		},
	}
}

// listQuery is the documented list query: pageSize, pageNumber and the
// sort on customerId that keeps paging stable.
func listQuery(size, number int) url.Values {
	return url.Values{"pageSize": {strconv.Itoa(size)}, "pageNumber": {strconv.Itoa(number)}, "sort": {"customerId"}}
}

// newWireClient returns a client of the wire server w.
func newWireClient(t *testing.T, w *providertest.Wire, now func() time.Time) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: w.URL, ClientID: wireClientID, ClientSecret: wireClientSecret, HTTPClient: w.Client, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantLog fails the test unless the server received exactly these
// requests, in this order.
func wantLog(t *testing.T, w *providertest.Wire, want ...string) {
	t.Helper()
	if got := w.Log(); !slices.Equal(got, want) {
		t.Errorf("requests: got %q, want %q", got, want)
	}
}

// success wraps data in YCM's success envelope (the seed's response
// example: data, requestId, status, time in unix seconds).
func success(data string) string {
	return `{"data":` + data + `,"requestId":"bff89f41bb695e5abb84c45972d24716","status":"Success","time":1664248965}`
}

// leoBall is the first customer of the seed's list example.
const leoBall = `{"customerId":50086120,"firstName":"Leo","lastName":"Ball","company":"Example company",
	"email":"leo@example.com","businessNumber":"136160XXXXX","zipCode":"361000","city":"Xiamen",
	"state":"Fujian","country":"China"}`

// seedCustomers are what the seed's three example customers map to.
func seedCustomers() []*customer.Customer {
	company := ptr("Example company")
	return []*customer.Customer{
		{
			Source: customer.YCM, SourceID: "50086120", Name: "Example company", ContactName: ptr("Leo Ball"),
			Email:   ptr("leo@example.com"),
			Phones:  []customer.Phone{{Kind: customer.PhoneWork, Number: "136160XXXXX"}},
			Address: &customer.PostalAddress{City: ptr("Xiamen"), Region: ptr("Fujian"), Country: ptr("China"), PostalCode: ptr("361000")},
			YCM: &customer.YCMCustomer{CustomerID: "50086120", FirstName: ptr("Leo"), LastName: ptr("Ball"),
				Company: company, Email: ptr("leo@example.com"), BusinessNumber: ptr("136160XXXXX"),
				ZipCode: ptr("361000"), City: ptr("Xiamen"), State: ptr("Fujian"), Country: ptr("China")},
		},
		{
			Source: customer.YCM, SourceID: "50086121", Name: "Example company", ContactName: ptr("Naomi Nicholas"),
			Email:  ptr("naomi@example.com"),
			Phones: []customer.Phone{{Kind: customer.PhoneMobile, Number: "139111XXXXX"}},
			YCM: &customer.YCMCustomer{CustomerID: "50086121", FirstName: ptr("Naomi"), LastName: ptr("Nicholas"),
				Company: company, Email: ptr("naomi@example.com"), MobileNumber: ptr("139111XXXXX")},
		},
		{
			Source: customer.YCM, SourceID: "50086122", Name: "Example company", ContactName: ptr("Ashley Gardner"),
			Email:  ptr("ashley@example.com"),
			Phones: []customer.Phone{{Kind: customer.PhoneFax, Number: "001-111-1111"}},
			YCM: &customer.YCMCustomer{CustomerID: "50086122", FirstName: ptr("Ashley"), LastName: ptr("Gardner"),
				Company: company, Email: ptr("ashley@example.com"), FaxNumber: ptr("001-111-1111")},
		},
	}
}

func TestWireTokenIsGrantedOnceAndSentAsBearer(t *testing.T) {
	w := providertest.NewTLSWire(t)
	handleGrants(t, w, issue(clientCredentials, 1))
	access, _ := wireTokens(1)
	w.Handle("/dm/open_api/v1/customers/50086120", func(rw http.ResponseWriter, r *http.Request) {
		providertest.CheckRequest(t, r, apiWant(access, nil))
		providertest.Reply(rw, http.StatusOK, success(leoBall))
	})
	c := newWireClient(t, w, nil)
	for range 2 {
		if _, err := c.Get(context.Background(), "50086120"); err != nil {
			t.Fatal(err)
		}
	}
	wantLog(t, w, "POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120", "GET /dm/open_api/v1/customers/50086120")
}

func TestWireGet(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    *customer.Customer
		wantLog []string
	}{
		{"customer", "50086120", seedCustomers()[0],
			[]string{"POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120"}},
		// A customerId is a Long: the path carries its canonical digits.
		{"leading zeros", "0050086120", seedCustomers()[0],
			[]string{"POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120"}},
		{"not a customerId costs no call", "50086120/contacts", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := providertest.NewTLSWire(t)
			handleGrants(t, w, issue(clientCredentials, 1))
			access, _ := wireTokens(1)
			w.Handle("/dm/open_api/v1/customers/50086120", func(rw http.ResponseWriter, r *http.Request) {
				providertest.CheckRequest(t, r, apiWant(access, nil))
				// The detail answer's data is the customer itself.
				providertest.Reply(rw, http.StatusOK, success(leoBall))
			})
			got, err := newWireClient(t, w, nil).Get(context.Background(), tt.give)
			wantLog(t, w, tt.wantLog...)
			if tt.want == nil {
				if e := customer.AsError(err); err == nil || e.Code != customer.CodeBadInput {
					t.Errorf("got %v, want a %s error", err, customer.CodeBadInput)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("customer (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWireList(t *testing.T) {
	answer, err := os.ReadFile(filepath.Join("testdata", "customers.json")) // the seed's response example
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		give      customer.ListQuery
		wantQuery url.Values
		wantPage  customer.Page // without Customers: always the seed's three
	}{
		{"defaults to the documented maximum", customer.ListQuery{},
			listQuery(50, 1), customer.Page{Page: 1, PageSize: 50, Total: 364}},
		{"the seed's example", customer.ListQuery{Page: 1, PageSize: 3},
			listQuery(3, 1), customer.Page{Page: 1, PageSize: 3, Total: 364}},
		{"page and size", customer.ListQuery{Page: 7, PageSize: 10},
			listQuery(10, 7), customer.Page{Page: 7, PageSize: 10, Total: 364}},
		// The document lists pageSize, pageNumber and sort only: YCM has
		// no search, so no filter may reach the wire.
		{"filters stay with the caller", customer.ListQuery{PageSize: 3, Filter: customer.Filter{Name: "Example", CodeFrom: "1", CodeTo: "9"}},
			listQuery(3, 1), customer.Page{Page: 1, PageSize: 3, Total: 364}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := providertest.NewTLSWire(t)
			handleGrants(t, w, issue(clientCredentials, 1))
			access, _ := wireTokens(1)
			w.Handle("/dm/open_api/v1/customers", func(rw http.ResponseWriter, r *http.Request) {
				providertest.CheckRequest(t, r, apiWant(access, tt.wantQuery))
				providertest.Reply(rw, http.StatusOK, string(answer))
			})
			got, err := newWireClient(t, w, nil).List(context.Background(), tt.give)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantPage
			want.Customers = seedCustomers()
			if diff := cmp.Diff(got, &want); diff != "" {
				t.Errorf("page (-got +want):\n%s", diff)
			}
		})
	}
}

// handlePages serves the customer list as YCM pages of total customers
// with ids 1..total, checking each request; it records the pageNumbers
// asked for, in the order they arrived.
func handlePages(t *testing.T, w *providertest.Wire, access string, total int) func() []int {
	t.Helper()
	var mu sync.Mutex
	var asked []int
	w.Handle("/dm/open_api/v1/customers", func(rw http.ResponseWriter, r *http.Request) {
		number, err := strconv.Atoi(r.URL.Query().Get("pageNumber"))
		if err != nil || number < 1 {
			t.Errorf("pageNumber: got %q, want a positive number", r.URL.Query().Get("pageNumber"))
			number = 1
		}
		// Each YCM page is as large as YCM allows, and sorted.
		providertest.CheckRequest(t, r, apiWant(access, listQuery(MaxPageSize, number)))
		mu.Lock()
		asked = append(asked, number)
		mu.Unlock()
		list := []map[string]any{}
		for id := (number-1)*MaxPageSize + 1; id <= min(number*MaxPageSize, total); id++ {
			list = append(list, map[string]any{"customerId": id, "company": fmt.Sprintf("公司%d", id)})
		}
		data, _ := json.Marshal(map[string]any{"pageSize": MaxPageSize, "pageNumber": number, "total": total, "list": list})
		providertest.Reply(rw, http.StatusOK, success(string(data)))
	})
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(asked)
	}
}

// ids returns the SourceIDs of cs.
func ids(cs []*customer.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.SourceID)
	}
	return out
}

// idRange returns the decimal ids from..to.
func idRange(from, to int) []string {
	out := []string{}
	for id := from; id <= to; id++ {
		out = append(out, strconv.Itoa(id))
	}
	return out
}

func TestWireListAboveTheDocumentedMaximum(t *testing.T) {
	// pageSize is at most 50 (the seed document); a larger page is
	// served from several YCM pages of 50, fetched concurrently.
	tests := []struct {
		name      string
		give      customer.ListQuery
		wantPages []int
		wantIDs   []string
	}{
		{"first page", customer.ListQuery{Page: 1, PageSize: 120}, []int{1, 2, 3}, idRange(1, 120)},
		{"second page", customer.ListQuery{Page: 2, PageSize: 120}, []int{3, 4, 5}, idRange(121, 240)},
		// Records 241..360 span YCM pages 5 to 8; the total is not known
		// before the answers, so page 8, past it, is asked for too.
		{"last page is short", customer.ListQuery{Page: 3, PageSize: 120}, []int{5, 6, 7, 8}, idRange(241, 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := providertest.NewTLSWire(t)
			handleGrants(t, w, issue(clientCredentials, 1))
			access, _ := wireTokens(1)
			asked := handlePages(t, w, access, 300)
			got, err := newWireClient(t, w, nil).List(context.Background(), tt.give)
			if err != nil {
				t.Fatal(err)
			}
			pages := asked()
			slices.Sort(pages) // concurrent: any order
			if !slices.Equal(pages, tt.wantPages) {
				t.Errorf("pageNumbers: got %v, want %v", pages, tt.wantPages)
			}
			if g := ids(got.Customers); !slices.Equal(g, tt.wantIDs) {
				t.Errorf("ids: got %v, want %v", g, tt.wantIDs)
			}
			if got.Page != tt.give.Page || got.PageSize != tt.give.PageSize || got.Total != 300 {
				t.Errorf("page %d size %d total %d, want %d, %d, 300", got.Page, got.PageSize, got.Total, tt.give.Page, tt.give.PageSize)
			}
		})
	}
}

func TestWireAllWalksEveryPage(t *testing.T) {
	w := providertest.NewTLSWire(t)
	handleGrants(t, w, issue(clientCredentials, 1))
	access, _ := wireTokens(1)
	asked := handlePages(t, w, access, 120)
	var got []*customer.Customer
	err := newWireClient(t, w, nil).All(context.Background(), func(page []*customer.Customer) error {
		got = append(got, page...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// In order, and no page beyond the total.
	if pages := asked(); !slices.Equal(pages, []int{1, 2, 3}) {
		t.Errorf("pageNumbers: got %v, want [1 2 3]", pages)
	}
	if g := ids(got); !slices.Equal(g, idRange(1, 120)) {
		t.Errorf("ids: got %v, want 1..120", g)
	}
}

func TestWireTokenRefreshedBeforeItExpires(t *testing.T) {
	clk := newClock()
	w := providertest.NewTLSWire(t)
	_, refresh1 := wireTokens(1)
	_, refresh2 := wireTokens(2)
	// The refresh grant returns a new refresh token, and the next refresh
	// must use that one (docs/upstreams.md §2.2).
	handleGrants(t, w, issue(clientCredentials, 1), issue(refreshGrant(refresh1), 2), issue(refreshGrant(refresh2), 3))
	var want atomic.Value // the access token the next call must carry
	w.Handle("/dm/open_api/v1/customers/50086120", func(rw http.ResponseWriter, r *http.Request) {
		providertest.CheckRequest(t, r, apiWant(want.Load().(string), nil))
		providertest.Reply(rw, http.StatusOK, success(leoBall))
	})
	c := newWireClient(t, w, clk.Now)
	for i := 1; i <= 3; i++ {
		access, _ := wireTokens(i)
		want.Store(access)
		if _, err := c.Get(context.Background(), "50086120"); err != nil {
			t.Fatal(err)
		}
		// expires_in is 1800 s; the client renews at most a minute early,
		// so a token is still used at 29 minutes and not after 30.
		clk.Advance(wireTTL - time.Second)
	}
	wantLog(t, w,
		"POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120",
		"POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120",
		"POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120")
}

func TestWireTokenRenewedWhenRefused(t *testing.T) {
	// Unconfirmed: YCM documents neither its answer to an expired token
	// nor its error fields beyond requestId, status ("Failed") and time
	// (docs/upstreams.md §2.4). The client takes HTTP 401, or a Failed
	// answer whose code is 20003 or whose message names the token.
	refusals := []struct {
		name   string
		status int
		answer string
	}{
		{"HTTP 401 with the documented fields", http.StatusUnauthorized,
			`{"requestId":"3ae82ea9024861836933a390eecb836a","status":"Failed","time":1664442936}`},
		{"Failed naming the token, as sibling Yeastar APIs word errors", http.StatusOK,
			`{"status":"Failed","errno":"10004","errmsg":"ACCESS_TOKEN_EXPIRED","requestId":"3ae82ea9024861836933a390eecb836a","time":1664442936}`},
	}
	_, refresh1 := wireTokens(1)
	tests := []struct {
		name   string
		grants []grant // after the first
	}{
		{"by the refresh grant", []grant{issue(refreshGrant(refresh1), 2)}},
		// The OAuth error answer (RFC 6749 §5.2); YCM's is unconfirmed.
		{"by the client credentials when the refresh is refused", []grant{
			{refreshGrant(refresh1), http.StatusBadRequest, `{"error":"invalid_grant","error_description":"Invalid refresh token"}`},
			issue(clientCredentials, 2),
		}},
	}
	for _, refusal := range refusals {
		for _, tt := range tests {
			t.Run(refusal.name+"/"+tt.name, func(t *testing.T) {
				w := providertest.NewTLSWire(t)
				handleGrants(t, w, append([]grant{issue(clientCredentials, 1)}, tt.grants...)...)
				var calls atomic.Int32
				w.Handle("/dm/open_api/v1/customers/50086120", func(rw http.ResponseWriter, r *http.Request) {
					if calls.Add(1) == 1 {
						access, _ := wireTokens(1)
						providertest.CheckRequest(t, r, apiWant(access, nil))
						providertest.Reply(rw, refusal.status, refusal.answer)
						return
					}
					access, _ := wireTokens(2)
					providertest.CheckRequest(t, r, apiWant(access, nil))
					providertest.Reply(rw, http.StatusOK, success(leoBall))
				})
				got, err := newWireClient(t, w, nil).Get(context.Background(), "50086120")
				if err != nil {
					t.Fatal(err)
				}
				if got.SourceID != "50086120" {
					t.Errorf("customer: got %s, want 50086120", got.SourceID)
				}
				want := []string{"POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120"}
				for range tt.grants {
					want = append(want, "POST /dm/open_api/oauth/token")
				}
				wantLog(t, w, append(want, "GET /dm/open_api/v1/customers/50086120")...)
			})
		}
	}
}

func TestWireTokenRefusedTwiceIsAuth(t *testing.T) {
	w := providertest.NewTLSWire(t)
	_, refresh1 := wireTokens(1)
	handleGrants(t, w, issue(clientCredentials, 1), issue(refreshGrant(refresh1), 2))
	var calls atomic.Int32
	w.Handle("/dm/open_api/v1/customers/50086120", func(rw http.ResponseWriter, r *http.Request) {
		access, _ := wireTokens(int(calls.Add(1))) // the retry carries the refreshed token
		providertest.CheckRequest(t, r, apiWant(access, nil))
		providertest.Reply(rw, http.StatusUnauthorized, `{"requestId":"3ae82ea9024861836933a390eecb836a","status":"Failed","time":1664442936}`)
	})
	_, err := newWireClient(t, w, nil).Get(context.Background(), "50086120")
	wantUpstream(t, err, customer.ReasonAuth, "")
	// One renewal and one retry, never more.
	wantLog(t, w, "POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120",
		"POST /dm/open_api/oauth/token", "GET /dm/open_api/v1/customers/50086120")
}
