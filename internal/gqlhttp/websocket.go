package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
)

// closeForbidden is graphql-transport-ws's close code for a
// connection_init whose credentials are refused.
const closeForbidden = 4403

// WebSocket returns the WebSocket transport (graphql-transport-ws, and the
// older graphql-ws subprotocol of subscriptions-transport-ws): gqlgen's,
// with the credentials of connection_init checked, keep-alive pings, the
// init timeout, and each connection's operations followed for the idle
// timeout and the drain. Mount Middleware in front of the handler.
func (ss *Streams) WebSocket() transport.Websocket {
	return transport.Websocket{
		// The Origin was checked before (cors.WebSocketOrigins), against
		// the configured origins rather than the library's same-host rule.
		Implementation:   acceptor{transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}}},
		InitFunc:         ss.init,
		InitTimeout:      ss.o.InitTimeout,
		PingPongInterval: ss.o.KeepAlive,
		// The older protocol has no ping: its "ka" message instead.
		KeepAlivePingInterval: ss.o.KeepAlive,
	}
}

// init checks connection_init's credentials, unless the upgrade request
// carried valid ones (Authenticate then found a principal already).
func (ss *Streams) init(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if ss.o.Authenticate != nil {
		h := http.Header{}
		for k, v := range payload {
			if s, ok := v.(string); ok && (strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "X-API-Key")) {
				h.Set(k, s)
			}
		}
		actx, err := ss.o.Authenticate(ctx, h)
		if err != nil {
			ctx = transport.WithWebsocketCloseCode(ctx, closeForbidden)
			return transport.AppendCloseReason(ctx, "Forbidden"), nil, err
		}
		ctx = actx
	}
	if s := streamOf(ctx); s != nil {
		ctx = ss.expiring(ctx, s)
		s.startIdle(ss.o.IdleTimeout)
	}
	return ctx, nil, nil
}

// Middleware registers each WebSocket upgrade as a stream (its lifetime,
// the drain) before the handler serves it; other requests pass.
func (ss *Streams) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, s, ok := ss.begin(r.Context(), TransportWebSocket)
		if !ok {
			WriteError(w, r, http.StatusServiceUnavailable, "SHUTTING_DOWN", "the server is shutting down: connect again")
			return
		}
		defer ss.end(s)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// acceptor wraps each accepted connection to follow its operations.
type acceptor struct {
	inner transport.WebsocketImplementation
}

func (a acceptor) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	// The server's read and write timeouts are a request's; they would
	// stay on the hijacked connection and cut it. Its own pings and
	// lifetime bound it instead.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	c, err := a.inner.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	s := streamOf(r.Context())
	if s == nil {
		return c, nil
	}
	return &followedConn{WebsocketConn: c, s: s}, nil
}

// followedConn follows the operations a connection opens (subscribe,
// start) and that end (complete, error, stop), reading the type and id of
// each message, so that the drain knows when every one has completed and
// the idle timeout when none is open.
type followedConn struct {
	transport.WebsocketConn
	s *stream
}

// The ends of a result message (graphql-transport-ws "next", the older
// protocol's "data") as gqlgen marshals them.
var (
	nextSuffix = []byte(`"type":"next"}`)
	dataSuffix = []byte(`"type":"data"}`)
)

type envelope struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func (c *followedConn) NextReader() (int, io.Reader, error) {
	t, r, err := c.WebsocketConn.NextReader()
	if err != nil {
		return t, r, err
	}
	// Messages are bounded by the read limit (1 MB), read whole anyway
	// by the transport's JSON decoder.
	b, err := io.ReadAll(r)
	if err != nil {
		return t, nil, err
	}
	var e envelope
	if json.Unmarshal(b, &e) == nil && e.ID != "" {
		switch e.Type {
		case "subscribe", "start":
			c.s.opened(e.ID)
		case "complete", "stop":
			c.s.closed(e.ID)
		}
	}
	return t, bytes.NewReader(b), nil
}

func (c *followedConn) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	err = c.WebsocketConn.WriteJSON(json.RawMessage(b))
	// Results are most messages, and large: gqlgen writes the type last,
	// so they are told apart without decoding them again.
	if bytes.HasSuffix(b, nextSuffix) || bytes.HasSuffix(b, dataSuffix) {
		return err
	}
	var e envelope
	if json.Unmarshal(b, &e) == nil && e.ID != "" && (e.Type == "complete" || e.Type == "error") {
		c.s.closed(e.ID)
	}
	return err
}

func (c *followedConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *followedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return errors.ErrUnsupported
}
