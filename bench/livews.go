package main

// The subscriber of the live changes part: one WebSocket per
// subscription, speaking graphql-transport-ws (the graphql-ws library's
// protocol) as a client does.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// liveEvent is one `next` of customerChanged, as a subscriber got it.
type liveEvent struct {
	recv     time.Time // when the client read the message
	at       time.Time // the event's `at`: when the sync saw the change
	kind, id string
	name     string // the customer's name after the change
}

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// parseNext reads a `next` message's payload of customerChanged.
func parseNext(payload []byte, recv time.Time) (liveEvent, error) {
	var p struct {
		Data *struct {
			CustomerChanged *struct {
				Kind, ID, At string
				Customer     *struct{ Name string }
			}
		}
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return liveEvent{}, err
	}
	if len(p.Errors) > 0 {
		return liveEvent{}, fmt.Errorf("GraphQL: %s", p.Errors[0].Message)
	}
	if p.Data == nil || p.Data.CustomerChanged == nil {
		return liveEvent{}, errors.New("no customerChanged in the payload")
	}
	c := p.Data.CustomerChanged
	at, err := time.Parse(time.RFC3339Nano, c.At)
	if err != nil {
		return liveEvent{}, fmt.Errorf("at: %w", err)
	}
	ev := liveEvent{recv: recv, at: at, kind: c.Kind, id: c.ID}
	if c.Customer != nil {
		ev.name = c.Customer.Name
	}
	return ev, nil
}

// wsSub is one subscriber: a WebSocket with one subscription open.
type wsSub struct {
	c       *websocket.Conn
	replica int

	mu     sync.Mutex
	events []liveEvent
	ended  string // why the stream ended while it should not have
	bad    int    // messages it could not read

	closing atomic.Bool
	done    chan struct{}
}

const liveQuery = `subscription { customerChanged { kind id at customer { name } } }`

// openSub dials url (ws://…/graphql), does connection_init and
// connection_ack, subscribes, and reads in a goroutine of its own until
// closed; got is told each event as it arrives.
func openSub(ctx context.Context, url string, replica int, got func(liveEvent)) (*wsSub, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*wsSub, error) {
		c.CloseNow()
		return nil, err
	}
	if c.Subprotocol() != "graphql-transport-ws" {
		return fail(fmt.Errorf("subprotocol %q", c.Subprotocol()))
	}
	if err := wsWrite(dctx, c, wsMessage{Type: "connection_init", Payload: json.RawMessage(`{}`)}); err != nil {
		return fail(err)
	}
	for acked := false; !acked; {
		_, b, err := c.Read(dctx)
		if err != nil {
			return fail(fmt.Errorf("waiting for connection_ack: %w", err))
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return fail(fmt.Errorf("waiting for connection_ack: %w", err))
		}
		switch m.Type {
		case "connection_ack":
			acked = true
		case "ping":
			if err := wsWrite(dctx, c, wsMessage{Type: "pong"}); err != nil {
				return fail(err)
			}
		default:
			return fail(fmt.Errorf("%q before connection_ack", m.Type))
		}
	}
	payload, _ := json.Marshal(map[string]string{"query": liveQuery})
	if err := wsWrite(dctx, c, wsMessage{Type: "subscribe", ID: "1", Payload: payload}); err != nil {
		return fail(err)
	}
	s := &wsSub{c: c, replica: replica, done: make(chan struct{})}
	go s.read(ctx, got)
	return s, nil
}

func wsWrite(ctx context.Context, c *websocket.Conn, m wsMessage) error {
	b, _ := json.Marshal(m)
	return c.Write(ctx, websocket.MessageText, b)
}

// read reads messages until the connection ends: events are kept, pings
// answered, anything that ends the subscription noted.
func (s *wsSub) read(ctx context.Context, got func(liveEvent)) {
	defer close(s.done)
	end := func(why string) {
		if !s.closing.Load() {
			s.mu.Lock()
			s.ended = why
			s.mu.Unlock()
		}
	}
	for {
		_, b, err := s.c.Read(ctx)
		recv := time.Now()
		if err != nil {
			end("read: " + err.Error())
			return
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			s.mu.Lock()
			s.bad++
			s.mu.Unlock()
			continue
		}
		switch m.Type {
		case "next":
			ev, err := parseNext(m.Payload, recv)
			if err != nil {
				s.mu.Lock()
				s.bad++
				s.mu.Unlock()
				continue
			}
			s.mu.Lock()
			s.events = append(s.events, ev)
			s.mu.Unlock()
			got(ev)
		case "ping":
			_ = wsWrite(ctx, s.c, wsMessage{Type: "pong"})
		case "pong":
		case "error", "complete":
			end(m.Type + " " + string(m.Payload))
			return
		}
	}
}

// close completes the subscription and closes the connection.
func (s *wsSub) close() {
	s.closing.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = wsWrite(ctx, s.c, wsMessage{Type: "complete", ID: "1"})
	_ = s.c.Close(websocket.StatusNormalClosure, "")
	<-s.done
}

// openSubs opens n subscribers, subscriber i on urls[i % len(urls)], a
// few dials at a time.
func openSubs(ctx context.Context, urls []string, n int, got func(liveEvent)) ([]*wsSub, []string) {
	subs := make([]*wsSub, n)
	errs := make([]string, n)
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				s, err := openSub(ctx, urls[i%len(urls)], i%len(urls), got)
				if err != nil {
					errs[i] = err.Error()
					continue
				}
				subs[i] = s
			}
		})
	}
	wg.Wait()
	var open []*wsSub
	var failed []string
	for i, s := range subs {
		if s != nil {
			open = append(open, s)
		} else if errs[i] != "" {
			failed = append(failed, errs[i])
		}
	}
	return open, failed
}

// closeSubs closes every subscriber, a few at a time.
func closeSubs(subs []*wsSub) {
	var wg sync.WaitGroup
	ch := make(chan *wsSub)
	for range 32 {
		wg.Go(func() {
			for s := range ch {
				s.close()
			}
		})
	}
	for _, s := range subs {
		ch <- s
	}
	close(ch)
	wg.Wait()
}

// raiseFileLimit raises the soft limit of open files to need (at most the
// hard limit): each subscriber is a socket here and one in the gateway,
// which inherits the limit.
func raiseFileLimit(need uint64) (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur >= need {
		return l.Cur, nil
	}
	l.Cur = min(need, l.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < need {
		return l.Cur, fmt.Errorf("open files: the hard limit is %d, below the %d needed", l.Max, need)
	}
	return l.Cur, nil
}

// promSum is the sum of the samples of metric name in a Prometheus text
// exposition whose labels include every one of match; ok is false when
// there is none.
func promSum(text, name string, match map[string]string) (sum float64, ok bool) {
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		labels := ""
		switch {
		case strings.HasPrefix(rest, "{"):
			end := strings.Index(rest, "}")
			if end < 0 {
				continue
			}
			labels, rest = rest[1:end], rest[end+1:]
		case strings.HasPrefix(rest, " "):
		default:
			continue // another metric whose name starts with name
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(fields[0], &v); err != nil {
			continue
		}
		all := true
		for k, want := range match {
			all = all && strings.Contains(","+labels+",", ","+k+`="`+want+`",`)
		}
		if all {
			sum, ok = sum+v, true
		}
	}
	return sum, ok
}
