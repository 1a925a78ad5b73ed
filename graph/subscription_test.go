package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"custgraph/internal/customer"
)

// A subscriber that stops reading is told SLOW_SUBSCRIBER once it falls
// more than its buffer behind, after the events it had, and its
// subscription ends; the publisher never waits for it, and the connection
// stays usable.
func TestSlowSubscriberIsToldAndClosed(t *testing.T) {
	e := newEnv(t, map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_SUBSCRIPTION_BUFFER": "8"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	send, read := e.websocket(ctx, t)
	send(`{"type":"subscribe","id":"s","payload":{"query":"subscription { customerChanged { kind id customer { name } } }"}}`)
	feed := e.gw.Changes()
	for feed.Stats().Open["ws"] != 1 {
		if ctx.Err() != nil {
			t.Fatal("the subscription did not open")
		}
		time.Sleep(time.Millisecond)
	}
	// Changes in bulk, while nothing is read: the socket's buffers fill,
	// then the subscriber's, and it is closed as slow.
	name := strings.Repeat("慢订阅者", 200)
	var batch []*customer.Change
	for i := range 500 {
		key := fmt.Sprintf("%08d", i)
		batch = append(batch, &customer.Change{Kind: customer.ChangeUpdated, Source: customer.U8, Key: key,
			Customer: &customer.Customer{Source: customer.U8, SourceID: key, Name: name}, At: time.Now()})
	}
	published := 0
	for feed.Stats().Slow == 0 {
		if ctx.Err() != nil {
			t.Fatalf("no subscriber closed as slow after %d changes", published)
		}
		feed.Publish(batch)
		published += len(batch)
	}
	nexts := 0
	for {
		m := read()
		if m.Type == "next" {
			nexts++
			continue
		}
		if m.Type != "error" || m.ID != "s" {
			t.Fatalf("after %d events: %s %s, want error", nexts, m.Type, m.Payload)
		}
		var errs []struct {
			Message    string
			Extensions map[string]any
		}
		if err := json.Unmarshal(m.Payload, &errs); err != nil || len(errs) != 1 || errs[0].Extensions["code"] != "SLOW_SUBSCRIBER" {
			t.Fatalf("the error: %s", m.Payload)
		}
		break
	}
	if nexts == 0 || nexts >= published {
		t.Errorf("%d events before the error, of %d published", nexts, published)
	}
	st := feed.Stats()
	if st.Open["ws"] != 0 || st.Dropped == 0 {
		t.Errorf("after the slow close: %+v", st)
	}
	// The connection goes on: a query over it still answers.
	send(`{"type":"subscribe","id":"q","payload":{"query":"{ sources { source } }"}}`)
	if m := read(); m.Type != "next" || m.ID != "q" {
		t.Errorf("a query after the slow close: %+v", m)
	}
}

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	Type, ID string
	Payload  json.RawMessage
}

// websocket opens a graphql-transport-ws connection to the gateway,
// initialized, until ctx ends: send writes a message, read returns the
// next one (answering pings).
func (e *env) websocket(ctx context.Context, t *testing.T) (send func(string), read func() wsMessage) {
	t.Helper()
	srv := httptest.NewServer(e.http)
	t.Cleanup(srv.Close)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	conn.SetReadLimit(1 << 24)
	send = func(v string) {
		if err := conn.Write(ctx, websocket.MessageText, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	read = func() (m wsMessage) {
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if json.Unmarshal(b, &m) != nil || m.Type != "ping" {
				return m
			}
			send(`{"type":"pong"}`)
		}
	}
	send(`{"type":"connection_init"}`)
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("init: %+v", m)
	}
	return send, read
}

// Changes come from the directory: with it off, a subscription is refused
// with DIRECTORY_UNAVAILABLE; a source the gateway does not read is
// BAD_USER_INPUT.
func TestSubscriptionNeedsTheDirectory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"directory off", map[string]string{"CUSTGRAPH_DIRECTORY": "off"}, "DIRECTORY_UNAVAILABLE"},
		{"a source not read", map[string]string{"CUSTGRAPH_DIRECTORY": "on", "CUSTGRAPH_CRM_BASE_URL": ""}, "BAD_USER_INPUT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			send, read := newEnv(t, c.settings).websocket(ctx, t)
			send(`{"type":"subscribe","id":"s","payload":{"query":"subscription { customerChanged(sources: [CRM]) { id } }"}}`)
			m := read()
			var r struct {
				Errors []struct{ Extensions map[string]any }
			}
			if m.Type != "next" || json.Unmarshal(m.Payload, &r) != nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != c.want {
				t.Fatalf("got %s %s, want an error %s", m.Type, m.Payload, c.want)
			}
			if m := read(); m.Type != "complete" {
				t.Errorf("after the error: %s, want complete", m.Type)
			}
		})
	}
}
