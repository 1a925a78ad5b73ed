package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"custgraph/internal/quota"
	"custgraph/internal/sim/crm"
	"custgraph/internal/sim/u8"
	"custgraph/internal/sim/ycm"
)

// client speaks to the three vendors of a test Sim with their demo
// credentials.
type client struct {
	t                    *testing.T
	base                 string
	u8Token, ycm, crmTok string
}

func newClient(t *testing.T, s *Sim) *client {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c := &client{t: t, base: ts.URL}
	var tok struct {
		Token struct{ ID string } `json:"token"`
	}
	c.do("GET", "/u8/system/token?"+url.Values{"from_account": {u8.DemoFromAccount}, "app_key": {u8.DemoAppKey}, "app_secret": {u8.DemoAppSecret}}.Encode(), "", &tok)
	c.u8Token = tok.Token.ID
	var yt struct {
		AccessToken string `json:"access_token"`
	}
	c.do("POST", "/ycm/dm/open_api/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {ycm.DemoClientID}, "client_secret": {ycm.DemoClientSecret}}.Encode(), &yt)
	c.ycm = yt.AccessToken
	var ct struct {
		Data struct {
			UserToken string `json:"user_token"`
		} `json:"data"`
	}
	c.do("POST", "/crm/api/v2/auth/login", `{"login":"`+crm.DemoLogin+`","password":"`+crm.DemoPassword+`","device":"open_api"}`, &ct)
	c.crmTok = ct.Data.UserToken
	return c
}

// do sends a request and decodes the answer into out (when not nil); it
// returns the status and the body.
func (c *client) do(method, path, body string, out any) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("User-Agent", "sim-test")
	req.Header.Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(path, "/oauth/token"):
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case strings.HasPrefix(path, "/ycm/dm/open_api/v1"):
		req.Header.Set("Authorization", "Bearer "+c.ycm)
	case strings.HasPrefix(path, "/crm/api/v2/customers"), strings.HasPrefix(path, "/crm/api/v2/duplicates"):
		req.Header.Set("Authorization", "Token token="+c.crmTok+", device=open_api, version_code=9.9.9")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

func (c *client) u8(query string) string {
	_, b := c.do("GET", "/u8/api/customer/batch_get?from_account=demo&to_account=demo&app_key=demo-app-key&token="+c.u8Token+"&"+query, "", nil)
	return b
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDataDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "u8.json", `[{"code":"K2","name":"乙","ModifyDate":"2024-01-01 08:00:00","timestamp":"7"},{"code":"K1","name":"甲","mobile":13800000000}]`)
	write(t, dir, "crm.json", `[{"id":5,"name":"丙","address":null,"contacts":[{"id":6,"name":"丁","address":{"tel":"1"}}]}]`)
	s, err := Open(Options{Customers: 20, CRMRate: quota.Rate{Off: true}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	if b := c.u8("rows_per_page=10"); !strings.Contains(b, `"row_count":"2"`) || !strings.Contains(b, `"code":"K1","mobile":13800000000,"name":"甲","timestamp":"8"`) {
		t.Errorf("u8 from the file: %s", b)
	}
	var yl struct {
		Data struct{ Total int } `json:"data"`
	}
	c.do("GET", "/ycm/dm/open_api/v1/customers", "", &yl)
	if yl.Data.Total != 20 {
		t.Errorf("ycm without a file holds %d, want the 20 generated", yl.Data.Total)
	}
	if _, b := c.do("GET", "/crm/api/v2/customers/5/contacts", "", nil); !strings.Contains(b, `"name":"丁"`) {
		t.Errorf("crm contacts from the file: %s", b)
	}
	ids := s.Identities()
	if len(ids) != 20 || ids["ycm:50086120"] == "" {
		t.Errorf("identities %v, want the 20 generated YCM records only", ids)
	}
}

func TestDataDirErrors(t *testing.T) {
	tests := []struct{ file, data, want string }{
		{"u8.json", `[{"code":"A"},{"name":"x"}]`, "u8.json: record 1: code"},
		{"u8.json", `{`, "u8.json: want a JSON array"},
		{"ycm.json", `[{"customerId":1,"firstName":"a"},{"customerId":2,"nickname":"b"}]`, `ycm.json: record 1: json: unknown field "nickname"`},
		{"ycm.json", `[{"customerId":1,"mobileNumber":138}]`, "ycm.json: record 0: mobileNumber must be string"},
		{"ycm.json", `[{"firstName":"a"}]`, "ycm.json: record 0: customerId"},
		{"crm.json", `[{"id":1,"name":"a"},{"id":1,"name":"b"}]`, "crm.json: record 1 (id 1)"},
		{"crm.json", `[null]`, "crm.json: record 0: want a JSON object, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.file, tt.data)
			_, err := Open(Options{Customers: 5, DataDir: dir})
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, tt.want)) {
				t.Errorf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
	if _, err := Open(Options{DataDir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing data directory gave no error")
	}
}

func TestRecordsEndpoint(t *testing.T) {
	s := New(Options{Customers: 30, CRMRate: quota.Rate{Off: true}})
	c := newClient(t, s)
	tests := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"PUT", "/_sim/records/u8/00000003", `{"name":"改名了","code":"ignored"}`, 200, `"code":"00000003"`},
		{"PUT", "/_sim/records/u8/N1", `{"name":"新的"}`, 201, `"ModifyDate":"`},
		{"PUT", "/_sim/records/ycm/50086120", `{"company":"新公司","firstName":"三","customerId":1}`, 200, `"customerId":50086120`},
		{"PUT", "/_sim/records/ycm/60000000", `{"company":"另一家"}`, 201, `"company":"另一家"`},
		{"PUT", "/_sim/records/crm/42", `{"name":"客户四十二"}`, 201, `"updated_at":"`},
		{"DELETE", "/_sim/records/u8/N1", ``, 204, ``},
		{"DELETE", "/_sim/records/u8/N1", ``, 404, `"error":`},
		{"DELETE", "/_sim/records/ycm/abc", ``, 404, `"error":`},
		{"PUT", "/_sim/records/sap/1", `{}`, 400, `unknown source`},
		{"DELETE", "/_sim/records/sap/1", ``, 400, `unknown source`},
		{"PUT", "/_sim/records/u8/X", `{"name":`, 400, `not valid JSON`},
		{"PUT", "/_sim/records/u8/X", `[{"name":"x"}]`, 400, `want a JSON object, got an array`},
		{"PUT", "/_sim/records/crm/X", `{"name":"x"}`, 400, `positive integer`},
		{"PUT", "/_sim/records/crm/7", `"x"`, 400, `got a string`},
		{"PUT", "/_sim/records/ycm/-1", `{}`, 400, `positive number`},
		{"PUT", "/_sim/records/ycm/8", `{"email":5}`, 400, `email must be string`},
		{"PUT", "/_sim/records/crm/7", ``, 400, `not valid JSON`},
		{"PUT", "/_sim/records/crm/7", strings.Repeat(" ", maxRecordBody+1), 400, `too large`},
	}
	for _, tt := range tests {
		status, body := c.do(tt.method, tt.path, tt.body, nil)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %s, want %d with %q", tt.method, tt.path, status, body, tt.status, tt.want)
		}
		if status == 400 && !json.Valid([]byte(body)) {
			t.Errorf("%s %s: the 400 is not JSON: %s", tt.method, tt.path, body)
		}
	}
	// Every vendor endpoint sees the changes at once.
	if b := c.u8("name=" + url.QueryEscape("改名了")); !strings.Contains(b, `"code":"00000003"`) {
		t.Errorf("u8 batch_get by the new name: %s", b)
	}
	if _, b := c.do("GET", "/ycm/dm/open_api/v1/customers/60000000", "", nil); !strings.Contains(b, "另一家") {
		t.Errorf("ycm get: %s", b)
	}
	var yl struct {
		Data struct {
			Total int
			List  []struct{ Company string }
		} `json:"data"`
	}
	c.do("GET", "/ycm/dm/open_api/v1/customers?sort=-customerId&pageSize=1", "", &yl)
	if yl.Data.Total != 31 || len(yl.Data.List) != 1 || yl.Data.List[0].Company != "另一家" {
		t.Errorf("ycm list after a create: %+v", yl.Data)
	}
	if _, b := c.do("GET", "/crm/api/v2/duplicates/matching_name?name="+url.QueryEscape("客户四十二"), "", nil); !strings.Contains(b, `"id":42`) {
		t.Errorf("crm matching_name: %s", b)
	}
	if _, ok := s.Identities()["u8:00000003"]; ok {
		t.Error("a replaced record is still in the identities")
	}
}

// TestConcurrentChangesWhileListing is for the race detector: writers
// change every source while readers page through them.
func TestConcurrentChangesWhileListing(t *testing.T) {
	s := New(Options{Customers: 200, CRMRate: quota.Rate{Off: true}})
	c := newClient(t, s)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 40 {
				id := 70000000 + w*100 + i
				c.do("PUT", fmt.Sprintf("/_sim/records/u8/%08d", i+1), `{"name":"改`+fmt.Sprint(i)+`"}`, nil)
				c.do("PUT", fmt.Sprintf("/_sim/records/ycm/%d", id), `{"company":"并发`+fmt.Sprint(i)+`"}`, nil)
				c.do("PUT", fmt.Sprintf("/_sim/records/crm/%d", id), `{"name":"并发`+fmt.Sprint(i)+`"}`, nil)
				if i%3 == 0 {
					c.do("DELETE", fmt.Sprintf("/_sim/records/ycm/%d", id), "", nil)
					c.do("DELETE", fmt.Sprintf("/_sim/records/crm/%d", id), "", nil)
				}
			}
		})
	}
	for r := range 3 {
		wg.Go(func() {
			for i := range 30 {
				c.u8(fmt.Sprintf("page_index=%d&rows_per_page=50&timestamp_begin=1", 1+i%4))
				c.do("GET", fmt.Sprintf("/ycm/dm/open_api/v1/customers?pageSize=50&pageNumber=%d&sort=-company", 1+i%4), "", nil)
				c.do("GET", fmt.Sprintf("/crm/api/v2/customers?per_page=100&page=%d&sort=updated_at&query=%d", 1+i%3, r), "", nil)
				c.do("GET", "/crm/api/v2/duplicates/matching_name?name="+url.QueryEscape("并发1"), "", nil)
				s.Identities()
			}
		})
	}
	wg.Wait()
	if status, _ := c.do("GET", "/_sim/identities", "", nil); status != 200 {
		t.Errorf("identities: %d", status)
	}
}
