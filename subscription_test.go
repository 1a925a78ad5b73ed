package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// changesEnv is a gateway on s with the directory on and a short sync.
// Full passes are as rare as by default: a deletion is found as the
// vendor's count falls.
func changesEnv(t *testing.T, s *simServer, extra map[string]string) map[string]string {
	env := map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_DATA_DIR": t.TempDir(),
		"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_SYNC_INTERVAL": "200ms", "CUSTGRAPH_SYNC_FULL_INTERVAL": "24h",
		"CUSTGRAPH_SYNC_YCM_PACE": "0"}
	for k, v := range extra {
		env[k] = v
	}
	return gatewayEnv(s, env)
}

// eventWait bounds the wait for an event: the sync interval (200 ms) and
// a busy machine's slack.
const eventWait = 20 * time.Second

// TestSubscriptionsDeliverChanges: a change at a vendor reaches the
// subscribers of its source over WebSocket and SSE, as CREATED, UPDATED
// or DELETED, and no other source's subscriber; queries run over both
// transports too.
func TestSubscriptionsDeliverChanges(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 31, Customers: 60, CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, changesEnv(t, s, nil), "serve")
	waitDirectoryReady(t, addr, 30*time.Second)

	all := connectWS(t, addr, nil)
	all.subscribe("all", changesQuery, nil)
	crmOnly := connectWS(t, addr, nil)
	crmOnly.subscribe("crm", changesQuery, map[string]any{"sources": []string{"CRM"}})
	sse := postSSE(t, addr, changesQuery, nil, nil)
	if sse.events == nil {
		t.Fatalf("SSE subscription: %d %s", sse.resp.StatusCode, sse.resp.Header.Get("Content-Type"))
	}
	// The subscriptions are open once the feed counts them.
	waitFor(t, "three open subscriptions", func() bool {
		m := metrics(t, addr)
		return metric(m, `custgraph_subscriptions_open{transport="ws"}`) == 2 && metric(m, `custgraph_subscriptions_open{transport="sse"}`) == 1
	})

	simRecord(t, s, http.MethodPut, "u8", "00000005", `{"code":"00000005","name":"订阅测试改名有限公司"}`)
	for _, got := range []change{all.waitChange("u8:00000005", eventWait), sse.waitChange(t, "u8:00000005", eventWait)} {
		if got.Kind != "UPDATED" || got.Customer == nil || got.Customer.Name != "订阅测试改名有限公司" || got.At == "" {
			t.Errorf("the U8 rename: got %+v", got)
		}
	}
	simRecord(t, s, http.MethodPut, "crm", "991001", `{"name":"订阅测试新客户"}`)
	// The CRM subscriber's first event is the CRM's: it never saw U8's.
	if got := changeOf(t, crmOnly.next(eventWait)); got.ID != "crm:991001" || got.Kind != "CREATED" || got.Customer.Name != "订阅测试新客户" {
		t.Errorf("the CRM subscriber's first event: %+v, want crm:991001 CREATED", got)
	}
	if got := all.waitChange("crm:991001", eventWait); got.Kind != "CREATED" {
		t.Errorf("the CRM creation: %+v", got)
	}
	if got := sse.waitChange(t, "crm:991001", eventWait); got.Kind != "CREATED" {
		t.Errorf("the CRM creation over SSE: %+v", got)
	}
	simRecord(t, s, http.MethodDelete, "crm", "991001", "")
	for _, got := range []change{crmOnly.waitChange("crm:991001", eventWait), sse.waitChange(t, "crm:991001", eventWait)} {
		if got.Kind != "DELETED" || got.Customer != nil {
			t.Errorf("the CRM deletion: %+v, want DELETED with customer null", got)
		}
	}

	simRecord(t, s, http.MethodDelete, "u8", "00000006", "")
	if got := all.waitChange("u8:00000006", eventWait); got.Kind != "DELETED" || got.Customer != nil {
		t.Errorf("the U8 deletion: %+v, want DELETED with customer null", got)
	}

	// Queries over both transports: one result, then complete.
	all.subscribe("q", `{ customer(id: "u8:00000005") { name } }`, nil)
	var msgs []wsMessage
	for len(msgs) == 0 || msgs[len(msgs)-1].Type != "complete" {
		if m := all.next(eventWait); m.ID == "q" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) != 2 || !strings.Contains(string(msgs[0].Payload), "订阅测试改名有限公司") {
		t.Errorf("a query over the WebSocket: %+v", msgs)
	}
	q := postSSE(t, addr, `{ customer(id: "u8:00000005") { name } }`, nil, nil)
	first, _ := q.next(t, eventWait)
	last, _ := q.next(t, eventWait)
	if first.Event != "next" || !strings.Contains(first.Data, "订阅测试改名有限公司") || last.Event != "complete" {
		t.Errorf("a query over SSE: %+v then %+v", first, last)
	}
	if _, more := q.next(t, eventWait); more {
		t.Error("the SSE response goes on after complete")
	}

	// Ending a subscription (complete from the client, or the SSE
	// client going away) closes it at the server.
	if err := all.send(wsMessage{Type: "complete", ID: "all"}); err != nil {
		t.Fatal(err)
	}
	sse.cancel()
	waitFor(t, "the subscriptions ended by their clients to close", func() bool {
		m := metrics(t, addr)
		return metric(m, `custgraph_subscriptions_open{transport="ws"}`) == 1 && metric(m, `custgraph_subscriptions_open{transport="sse"}`) == 0
	})
	if d := metric(metrics(t, addr), "custgraph_subscription_events_delivered_total"); d < 7 {
		t.Errorf("custgraph_subscription_events_delivered_total = %v, want at least the 7 events received", d)
	}
}

// TestSubscriptionsRefuse: the edge holds for streams: credentials in
// connection_init or headers, the Origin of a browser's WebSocket, the
// per-client cap, the query limits, bad sources, and a subscription sent
// as a plain POST.
func TestSubscriptionsRefuse(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 32, Customers: 30, CRMRate: quota.Rate{Off: true}})
	addr, logs := start(t, changesEnv(t, s, map[string]string{"CUSTGRAPH_API_KEYS": "stream-key-one",
		"CUSTGRAPH_CORS_ORIGINS": "https://app.example.com", "CUSTGRAPH_SUBSCRIPTIONS_PER_CLIENT": "2", "CUSTGRAPH_MAX_DEPTH": "4"}), "serve")
	key := map[string]any{"Authorization": "Bearer stream-key-one"}

	for name, payload := range map[string]map[string]any{
		"no credentials":    nil,
		"a wrong key":       {"Authorization": "Bearer stream-key-two"},
		"a wrong X-API-Key": {"X-API-Key": "nope"},
	} {
		c, _, err := dialWS(t, addr, nil)
		if err != nil {
			t.Fatalf("%s: dial: %v", name, err)
		}
		c.init(payload)
		if st := c.closeStatus(10 * time.Second); st != 4403 {
			t.Errorf("%s: closed with %d, want 4403", name, st)
		}
	}
	if strings.Contains(logs.String(), "stream-key-two") {
		t.Error("a presented key reached the log")
	}
	connectWS(t, addr, map[string]any{"x-api-key": "stream-key-one"}) // any case

	// An upgrade with credentials in its headers needs none in connection_init.
	c, _, err := dialWS(t, addr, http.Header{"Authorization": {"Bearer stream-key-one"}})
	if err != nil {
		t.Fatal(err)
	}
	c.init(nil)
	if m := c.next(10 * time.Second); m.Type != "connection_ack" {
		t.Errorf("credentials in the upgrade's headers: %+v", m)
	}
	if _, resp, err := dialWS(t, addr, http.Header{"Authorization": {"Bearer stream-key-two"}}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong credentials in the upgrade's headers: %v %v", err, resp)
	}

	// Origins: a foreign browser page is refused; a listed one and the
	// server's own are not.
	for origin, want := range map[string]int{"https://evil.example.net": http.StatusForbidden,
		"https://app.example.com": http.StatusSwitchingProtocols, "http://" + addr: http.StatusSwitchingProtocols} {
		_, resp, err := dialWS(t, addr, http.Header{"Origin": {origin}})
		switch {
		case resp == nil:
			t.Errorf("Origin %s: %v", origin, err)
		case resp.StatusCode != want:
			t.Errorf("Origin %s: %d, want %d", origin, resp.StatusCode, want)
		case want == http.StatusForbidden && (err == nil || !strings.Contains(err.Error(), "403")):
			t.Errorf("Origin %s: %v", origin, err)
		}
	}

	// SSE authenticates like any request.
	if r := postSSE(t, addr, changesQuery, nil, nil); r.resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("SSE without credentials: %d", r.resp.StatusCode)
	}

	// A subscription as a plain POST is a request error.
	body := `{"query":"subscription { customerChanged { id } }"}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer stream-key-one")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var plain struct {
		Data   json.RawMessage
		Errors []gqlError
	}
	_ = json.NewDecoder(resp.Body).Decode(&plain)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || plain.Data != nil || len(plain.Errors) != 1 || plain.Errors[0].Extensions["code"] != "STREAM_REQUIRED" {
		t.Errorf("a subscription as a plain POST: %d %+v", resp.StatusCode, plain)
	}

	waitDirectoryReady(t, addr, 30*time.Second)
	ws := connectWS(t, addr, key)
	codeOf := func(id string) string {
		t.Helper()
		for {
			m := ws.next(eventWait)
			if m.ID != id {
				continue
			}
			if m.Type != "next" && m.Type != "error" {
				t.Fatalf("%s: %s %s", id, m.Type, m.Payload)
			}
			var errs []gqlError
			if m.Type == "error" {
				_ = json.Unmarshal(m.Payload, &errs)
			} else {
				errs = payloadOf(t, m).Errors
			}
			if len(errs) == 0 {
				t.Fatalf("%s: no error in %s", id, m.Payload)
			}
			code, _ := errs[0].Extensions["code"].(string)
			return code
		}
	}
	ws.subscribe("empty", changesQuery, map[string]any{"sources": []string{}})
	if c := codeOf("empty"); c != "BAD_USER_INPUT" {
		t.Errorf("sources: []: %s, want BAD_USER_INPUT", c)
	}
	ws.subscribe("deep", `subscription { customerChanged { customer { links { customer { links { customer { id } } } } } } }`, nil)
	if c := codeOf("deep"); c == "" {
		t.Error("a subscription deeper than CUSTGRAPH_MAX_DEPTH ran")
	}
	// The cap: two open, the third refused; once one ends, another opens.
	ws.subscribe("one", changesQuery, nil)
	ws.subscribe("two", changesQuery, nil)
	waitFor(t, "two open subscriptions", func() bool {
		return metric(metrics(t, addr), `custgraph_subscriptions_open{transport="ws"}`) == 2
	})
	ws.subscribe("three", changesQuery, nil)
	if c := codeOf("three"); c != "TOO_MANY_SUBSCRIPTIONS" {
		t.Errorf("a third subscription: %s, want TOO_MANY_SUBSCRIPTIONS", c)
	}
	other := postSSE(t, addr, changesQuery, nil, http.Header{"Authorization": {"Bearer stream-key-one"}})
	if ev, _ := other.next(t, eventWait); ev.Event != "next" || !strings.Contains(ev.Data, "TOO_MANY_SUBSCRIPTIONS") {
		t.Errorf("a third subscription over SSE: %+v", ev)
	}
	if err := ws.send(wsMessage{Type: "complete", ID: "one"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ended subscription to close", func() bool {
		return metric(metrics(t, addr), `custgraph_subscriptions_open{transport="ws"}`) == 1
	})
	again := postSSE(t, addr, changesQuery, nil, http.Header{"Authorization": {"Bearer stream-key-one"}})
	waitFor(t, "a subscription in the freed place", func() bool {
		return metric(metrics(t, addr), `custgraph_subscriptions_open{transport="sse"}`) == 1
	})
	again.cancel()
}

// TestSubscriptionsCompleteAtShutdown: a graceful stop completes every
// open subscription (complete on the WebSocket, then a normal close;
// event: complete over SSE) before the server exits.
func TestSubscriptionsCompleteAtShutdown(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 33, Customers: 30, CRMRate: quota.Rate{Off: true}})
	r := startRun(t, changesEnv(t, s, nil))
	waitDirectoryReady(t, r.addr, 30*time.Second)
	ws := connectWS(t, r.addr, nil)
	ws.subscribe("a", changesQuery, nil)
	ws.subscribe("b", changesQuery, map[string]any{"sources": []string{"YCM"}})
	sse := postSSE(t, r.addr, changesQuery, nil, nil)
	waitFor(t, "three open subscriptions", func() bool {
		m := metrics(t, r.addr)
		return metric(m, `custgraph_subscriptions_open{transport="ws"}`) == 2 && metric(m, `custgraph_subscriptions_open{transport="sse"}`) == 1
	})
	r.stop()
	completed := map[string]bool{}
	for len(completed) < 2 {
		m := ws.next(eventWait)
		if m.Type != "complete" {
			t.Fatalf("at shutdown: %s %s, want complete", m.Type, m.Payload)
		}
		completed[m.ID] = true
	}
	if st := ws.closeStatus(eventWait); st != websocket.StatusNormalClosure {
		t.Errorf("the WebSocket closed with %d, want 1000", st)
	}
	if last := sse.last(t, eventWait); last.Event != "complete" {
		t.Errorf("the SSE stream's last event: %+v, want complete", last)
	}
}

// TestChangesRefreshTheCaches: a change the sync sees drops the cached
// copy of the record, so a read after the event is as fresh as the sync,
// not as the cache's TTL. The CRM's note, which its list pages lack, is
// read by key through the cache (5 minutes for the CRM).
func TestChangesRefreshTheCaches(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 34, Customers: 30, CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, changesEnv(t, s, map[string]string{"CUSTGRAPH_CRM_CACHE_TTL": "5m"}), "serve")
	waitDirectoryReady(t, addr, 30*time.Second)
	ws := connectWS(t, addr, nil)
	// Each event is resolved afresh too (its remark read by key, not
	// from the first event's loaders).
	ws.subscribe("crm", `subscription { customerChanged(sources: [CRM]) { kind id customer { id name remark } } }`, nil)
	waitFor(t, "the subscription", func() bool {
		return metric(metrics(t, addr), `custgraph_subscriptions_open{transport="ws"}`) == 1
	})
	remarkOf := func(m wsMessage) string {
		t.Helper()
		var d struct {
			CustomerChanged struct{ Customer struct{ Remark string } }
		}
		if err := json.Unmarshal(payloadOf(t, m).Data, &d); err != nil {
			t.Fatal(err)
		}
		return d.CustomerChanged.Customer.Remark
	}
	remark := func() string {
		t.Helper()
		resp := ask(t, addr, `{ customer(id: "crm:992001") { remark } }`, nil)
		if len(resp.Errors) > 0 {
			t.Fatalf("remark: %+v", resp.Errors)
		}
		return string(resp.Data)
	}
	simRecord(t, s, http.MethodPut, "crm", "992001", `{"name":"缓存测试客户","note":"甲备注"}`)
	if got := remarkOf(ws.next(eventWait)); got != "甲备注" {
		t.Errorf("the first event's remark: %q", got)
	}
	if got := remark(); !strings.Contains(got, "甲备注") {
		t.Fatalf("the note before the change: %s", got)
	}
	// The list item must change for the sync to see it (its updated_at
	// is to the minute): a new contact with the new note.
	simRecord(t, s, http.MethodPut, "crm", "992001", `{"name":"缓存测试客户","note":"乙备注","contacts":[{"id":72,"name":"乙联系人"}]}`)
	if got := remarkOf(ws.next(eventWait)); got != "乙备注" {
		t.Errorf("the second event's remark: %q, want the new note", got)
	}
	if got := remark(); !strings.Contains(got, "乙备注") {
		t.Errorf("the note after the change's event: %s, want the new one (the cache kept the old)", got)
	}
}

// TestThousandSubscribersLeaveNoGoroutine: 1,000 subscribers connect,
// subscribe and go away (in waves of 200, to stay within the race
// detector's goroutine limit); every goroutine their streams started on
// the server (and in these clients) is gone after, while the server
// serves on.
func TestThousandSubscribersLeaveNoGoroutine(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 WebSockets")
	}
	s := startSim(t, sim.Options{Seed: 35, Customers: 20, CRMRate: quota.Rate{Off: true}})
	// No sync pass after the first: its vendor connections would be new
	// goroutines.
	addr, _ := start(t, changesEnv(t, s, map[string]string{"CUSTGRAPH_SUBSCRIPTIONS_PER_CLIENT": "1000",
		"CUSTGRAPH_SYNC_INTERVAL": "1h", "CUSTGRAPH_SYNC_FULL_INTERVAL": "24h"}), "serve")
	waitDirectoryReady(t, addr, 30*time.Second)
	// The test's own requests do not keep connections (and goroutines).
	plain := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	open := func(transport string) (subs, streams float64) {
		t.Helper()
		page := metricsWith(t, plain, addr)
		return metric(page, `custgraph_subscriptions_open{transport="`+transport+`"}`), metric(page, `custgraph_streams_open{transport="`+transport+`"}`)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the server's side of those connections ends
	before := goleak.IgnoreCurrent()

	const waves, perWave = 5, 200
	for w := range waves {
		clients := make([]*wsClient, perWave)
		for i := range clients {
			clients[i] = connectWS(t, addr, nil)
			clients[i].subscribe("s", changesQuery, nil)
		}
		waitFor(t, fmt.Sprintf("wave %d's %d subscriptions", w+1, perWave), func() bool {
			subs, _ := open("ws")
			return subs == perWave
		})
		for _, c := range clients {
			_ = c.conn.CloseNow()
		}
		waitFor(t, fmt.Sprintf("wave %d's streams to close", w+1), func() bool {
			subs, streams := open("ws")
			return subs == 0 && streams == 0
		})
	}
	if err := goleak.Find(before); err != nil {
		t.Errorf("goroutines left behind by 1,000 subscribers: %v", err)
	}
	// The server serves on.
	if resp := ask(t, addr, `{ sources { source } }`, nil); len(resp.Errors) > 0 {
		t.Errorf("after the subscribers: %+v", resp.Errors)
	}
}

// TestStreamsLifetimes: a WebSocket that never sends connection_init, one
// with no operation open, and any stream past its lifetime are closed;
// idle streams are pinged (graphql-transport-ws ping, SSE comments).
func TestStreamsLifetimes(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 36, Customers: 20, CRMRate: quota.Rate{Off: true}})
	addr, _ := start(t, changesEnv(t, s, map[string]string{"CUSTGRAPH_STREAM_INIT_TIMEOUT": "300ms",
		"CUSTGRAPH_STREAM_IDLE_TIMEOUT": "1s", "CUSTGRAPH_STREAM_MAX_LIFETIME": "4s", "CUSTGRAPH_STREAM_KEEPALIVE": "100ms"}), "serve")
	waitDirectoryReady(t, addr, 30*time.Second)

	silent, _, err := dialWS(t, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := silent.closeStatus(eventWait); st == -1 {
		t.Error("a WebSocket without connection_init was not closed")
	}

	idle := connectWS(t, addr, nil)
	if st := idle.closeStatus(eventWait); st != websocket.StatusNormalClosure {
		t.Errorf("an idle WebSocket closed with %d, want 1000", st)
	}

	// A subscription keeps its WebSocket past the idle timeout, until its
	// lifetime; the server pings meanwhile.
	busy, _, err := dialWS(t, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	pings := 0
	busy.onPing = func() { pings++ }
	busy.init(nil)
	opened := time.Now()
	busy.subscribe("s", changesQuery, nil)
	sse := postSSE(t, addr, changesQuery, nil, nil)
	if st := busy.closeStatus(eventWait); st != websocket.StatusNormalClosure {
		t.Errorf("at the end of its lifetime the WebSocket closed with %d, want 1000", st)
	}
	if lived := time.Since(opened); lived < 2*time.Second {
		t.Errorf("a WebSocket with a subscription closed after %s, before its lifetime of 4s (idle timeout 1s)", lived)
	}
	if pings < 2 {
		t.Errorf("%d pings over the WebSocket's life, want several", pings)
	}
	if last := sse.last(t, eventWait); last.Event != "complete" {
		t.Errorf("the SSE stream at the end of its lifetime: last event %+v, want complete", last)
	}
	if sse.comments < 2 {
		t.Errorf("%d keep-alive comments over the SSE stream, want several", sse.comments)
	}
}

// TestStreamsEndWhenTheTokenExpires: a stream authenticated by a JWT ends
// when the token stops being accepted (its exp and the 30 s leeway), not
// at the stream's lifetime (1 h): a token that is about to expire gives
// a stream of a few seconds, over WebSocket (connection_init) and SSE.
func TestStreamsEndWhenTheTokenExpires(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 37, Customers: 20, CRMRate: quota.Rate{Off: true}})
	const secret = "stream-test-secret-0123456789abcdef"
	addr, _ := start(t, changesEnv(t, s, map[string]string{"CUSTGRAPH_JWT_HS256_SECRET": secret}), "serve")
	waitDirectoryReady(t, addr, 30*time.Second)
	// Expired 24 s ago: accepted for 5 to 6 s more (exp is in whole
	// seconds), time enough to open both streams on a busy machine.
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice",
		"exp": time.Now().Add(-24 * time.Second).Unix()}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Now()
	ws := connectWS(t, addr, map[string]any{"Authorization": "Bearer " + tok})
	ws.subscribe("s", changesQuery, nil)
	sse := postSSE(t, addr, changesQuery, nil, http.Header{"Authorization": {"Bearer " + tok}})
	if sse.events == nil {
		t.Fatalf("SSE with the token: %d", sse.resp.StatusCode)
	}
	if st := ws.closeStatus(eventWait); st != websocket.StatusNormalClosure {
		t.Errorf("the WebSocket closed with %d, want 1000", st)
	}
	if last := sse.last(t, eventWait); last.Event != "complete" {
		t.Errorf("the SSE stream's last event: %+v, want complete", last)
	}
	if lived := time.Since(opened); lived > 18*time.Second {
		t.Errorf("the streams lived %s past their token", lived)
	}
}
