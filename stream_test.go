package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws as the graphql-ws library does.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	msgs chan wsMessage
	// closed receives the close status once the server closes.
	closed chan websocket.StatusCode
	resp   *http.Response
	// onPing, when set before init, is called at each server ping (from
	// the reading goroutine, before the pong).
	onPing func()
}

// dialWS opens a WebSocket to addr's /graphql with the graphql-transport-ws
// subprotocol and header (nil: none), without connection_init. The
// answer of a refused upgrade is returned as err with the response.
func dialWS(t *testing.T, addr string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws://"+addr+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(1 << 22)
	c := &wsClient{t: t, conn: conn, msgs: make(chan wsMessage, 1024), closed: make(chan websocket.StatusCode, 1), resp: resp}
	go func() {
		defer close(c.msgs)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.closed <- websocket.CloseStatus(err)
				return
			}
			var m wsMessage
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			if m.Type == "ping" {
				if c.onPing != nil {
					c.onPing()
				}
				_ = c.send(wsMessage{Type: "pong"})
				continue
			}
			c.msgs <- m
		}
	}()
	t.Cleanup(func() { _ = conn.CloseNow() })
	return c, resp, nil
}

// connectWS dials and initializes with payload (nil: none), failing the
// test unless the server acknowledges.
func connectWS(t *testing.T, addr string, payload map[string]any) *wsClient {
	t.Helper()
	c, _, err := dialWS(t, addr, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.init(payload)
	if m := c.next(10 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("connection_init: got %+v, want connection_ack", m)
	}
	return c
}

func (c *wsClient) send(m wsMessage) error {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, b)
}

func (c *wsClient) init(payload map[string]any) {
	c.t.Helper()
	m := wsMessage{Type: "connection_init"}
	if payload != nil {
		m.Payload, _ = json.Marshal(payload)
	}
	if err := c.send(m); err != nil {
		c.t.Fatalf("connection_init: %v", err)
	}
}

// subscribe starts an operation under id.
func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err := c.send(wsMessage{Type: "subscribe", ID: id, Payload: p}); err != nil {
		c.t.Fatalf("subscribe: %v", err)
	}
}

// next returns the next message, failing the test after d.
func (c *wsClient) next(d time.Duration) wsMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatal("the server closed the connection")
		}
		return m
	case <-time.After(d):
		c.t.Fatalf("no message in %s", d)
	}
	return wsMessage{}
}

// closeStatus waits for the server to close the connection and returns
// its status.
func (c *wsClient) closeStatus(d time.Duration) websocket.StatusCode {
	c.t.Helper()
	select {
	case s := <-c.closed:
		return s
	case <-time.After(d):
		c.t.Fatalf("the server did not close the connection in %s", d)
	}
	return 0
}

// change is a customerChanged event as the tests select it.
type change struct {
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	At       string `json:"at"`
	Customer *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"customer"`
}

const changesQuery = `subscription($sources: [Source!]) { customerChanged(sources: $sources) { kind id at customer { id name } } }`

// payloadOf decodes a next message's payload.
func payloadOf(t *testing.T, m wsMessage) gqlResponse {
	t.Helper()
	var r gqlResponse
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		t.Fatalf("payload of %s: %v", m.Type, err)
	}
	return r
}

// changeOf decodes a next message carrying a customerChanged event.
func changeOf(t *testing.T, m wsMessage) change {
	t.Helper()
	if m.Type != "next" {
		t.Fatalf("got %s %s, want next", m.Type, m.Payload)
	}
	r := payloadOf(t, m)
	var d struct{ CustomerChanged change }
	if len(r.Errors) > 0 || json.Unmarshal(r.Data, &d) != nil {
		t.Fatalf("event: %s", m.Payload)
	}
	return d.CustomerChanged
}

// waitChange reads the events of c until one for id arrives and returns
// it (others are skipped).
func (c *wsClient) waitChange(id string, d time.Duration) change {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			c.t.Fatalf("no event for %s in %s", id, d)
		}
		if ch := changeOf(c.t, c.next(left)); ch.ID == id {
			return ch
		}
	}
}

// sseStream is one graphql-sse (distinct connections) response.
type sseStream struct {
	resp   *http.Response
	events chan sseEvent
	cancel context.CancelFunc
	// comments counts the comment lines (keep-alives) read; read it once
	// the stream has ended.
	comments int
}

type sseEvent struct {
	Event string
	Data  string
}

// postSSE sends query with Accept: text/event-stream and header; a
// response that is not a stream (a refusal) is returned with nil events.
func postSSE(t *testing.T, addr, query string, vars map[string]any, header http.Header) *sseStream {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("SSE POST: %v", err)
	}
	s := &sseStream{resp: resp, cancel: cancel}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return s
	}
	s.events = make(chan sseEvent, 1024)
	go func() {
		defer close(s.events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ":"):
				s.comments++
			case line == "":
				if ev.Event != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event:"):
				ev.Event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.Data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	return s
}

// next returns the next event, failing after d; ok is false at the end of
// the stream.
func (s *sseStream) next(t *testing.T, d time.Duration) (sseEvent, bool) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		return ev, ok
	case <-time.After(d):
		t.Fatalf("no SSE event in %s", d)
	}
	return sseEvent{}, false
}

// last reads the stream to its end (each event within d) and returns its
// last event.
func (s *sseStream) last(t *testing.T, d time.Duration) sseEvent {
	t.Helper()
	var last sseEvent
	for {
		ev, ok := s.next(t, d)
		if !ok {
			return last
		}
		last = ev
	}
}

// waitChange reads events until one for id arrives.
func (s *sseStream) waitChange(t *testing.T, id string, d time.Duration) change {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no SSE event for %s in %s", id, d)
		}
		ev, ok := s.next(t, left)
		if !ok {
			t.Fatalf("the SSE stream ended before an event for %s", id)
		}
		if ev.Event != "next" {
			continue
		}
		var r struct {
			Data struct{ CustomerChanged change }
		}
		if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
			t.Fatalf("SSE event %q: %v", ev.Data, err)
		}
		if r.Data.CustomerChanged.ID == id {
			return r.Data.CustomerChanged
		}
	}
}
