package gqlhttp

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The transports of a stream, as Transport(ctx) names them.
const (
	TransportWebSocket = "ws"
	TransportSSE       = "sse"
)

// StreamOptions configure the long-lived transports (WebSocket, SSE).
type StreamOptions struct {
	// KeepAlive is how often an open stream is pinged (a
	// graphql-transport-ws ping, an SSE comment); 0: never.
	KeepAlive time.Duration
	// InitTimeout bounds the wait for a WebSocket's connection_init.
	InitTimeout time.Duration
	// IdleTimeout closes a WebSocket with no operation open for this
	// long; 0: never.
	IdleTimeout time.Duration
	// MaxLifetime closes a stream this long after it opened; 0: never.
	MaxLifetime time.Duration
	// Authenticate checks the credentials a WebSocket's connection_init
	// payload carries, read as request headers (Authorization,
	// X-API-Key), and returns ctx with the principal. Nil: anyone.
	Authenticate func(ctx context.Context, h http.Header) (context.Context, error)
	// Expiry, when set, says when the credentials of a stream's context
	// expire (a JWT's exp; zero: never): the stream ends then, as if its
	// lifetime had passed, and the client reconnects with new ones.
	Expiry func(ctx context.Context) time.Time
	// Reader reads an SSE request's body when no Reader.Middleware did.
	Reader Reader
}

// Streams holds the open streams of a server (WebSocket connections and
// SSE responses): their lifetimes, and the drain at shutdown.
type Streams struct {
	o StreamOptions

	mu     sync.Mutex
	open   map[*stream]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewStreams returns the streams' keeper.
func NewStreams(o StreamOptions) *Streams {
	return &Streams{o: o, open: map[*stream]struct{}{}}
}

// stream is one WebSocket connection or one SSE response.
type stream struct {
	transport string
	cancel    context.CancelFunc
	expire    context.CancelFunc // of the bound by the credentials' expiry

	mu     sync.Mutex
	ops    map[string]struct{} // WebSocket operations open, by id
	idle   *time.Timer
	idleD  time.Duration
	quiet  chan struct{} // closed while no operation is open
	errors gqlerror.List // SSE: errors that end the stream
}

type streamKey struct{}

func streamOf(ctx context.Context) *stream {
	s, _ := ctx.Value(streamKey{}).(*stream)
	return s
}

// IsStream reports whether r opens a stream: a WebSocket upgrade, or a
// POST that accepts text/event-stream.
func IsStream(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" || (r.Method == http.MethodPost && AcceptsEventStream(r))
}

// StreamTransport names the stream ctx belongs to: TransportWebSocket,
// TransportSSE, or "" for a plain HTTP request.
func StreamTransport(ctx context.Context) string {
	if s := streamOf(ctx); s != nil {
		return s.transport
	}
	return ""
}

// EndStream tells the client of the subscription ctx belongs to that it
// ends with err: a graphql-transport-ws error message for its id, or an
// SSE event with the errors before the stream completes. Call it before
// the subscription's channel is closed.
func EndStream(ctx context.Context, err *gqlerror.Error) {
	s := streamOf(ctx)
	if s == nil {
		return
	}
	switch s.transport {
	case TransportWebSocket:
		transport.AddSubscriptionError(ctx, err)
	case TransportSSE:
		s.mu.Lock()
		s.errors = append(s.errors, err)
		s.mu.Unlock()
	}
}

// begin registers a stream of transport under ctx, its lifetime
// bounded; end must be called when it ends. It returns false once the
// drain has begun.
func (ss *Streams) begin(ctx context.Context, transport string) (context.Context, *stream, bool) {
	s := &stream{transport: transport, ops: map[string]struct{}{}, quiet: make(chan struct{})}
	close(s.quiet)
	var cancel context.CancelFunc
	if ss.o.MaxLifetime > 0 {
		ctx, cancel = context.WithTimeout(ctx, ss.o.MaxLifetime)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	s.cancel = cancel
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		cancel()
		return ctx, nil, false
	}
	ss.open[s] = struct{}{}
	ss.wg.Add(1)
	return context.WithValue(ctx, streamKey{}, s), s, true
}

// expiring bounds the stream of ctx by its credentials' expiry, once
// they are known (at connection_init for a WebSocket).
func (ss *Streams) expiring(ctx context.Context, s *stream) context.Context {
	if ss.o.Expiry == nil {
		return ctx
	}
	exp := ss.o.Expiry(ctx)
	if exp.IsZero() {
		return ctx
	}
	ctx, cancel := context.WithDeadline(ctx, exp)
	s.mu.Lock()
	s.expire = cancel
	s.mu.Unlock()
	return ctx
}

func (ss *Streams) end(s *stream) {
	s.cancel()
	s.mu.Lock()
	if s.idle != nil {
		s.idle.Stop()
	}
	if s.expire != nil {
		s.expire()
	}
	s.mu.Unlock()
	ss.mu.Lock()
	delete(ss.open, s)
	ss.mu.Unlock()
	ss.wg.Done()
}

// startIdle arms the idle timeout of a WebSocket once it is initialized.
func (s *stream) startIdle(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idleD = d
	if len(s.ops) == 0 {
		s.idle = time.AfterFunc(d, s.cancel)
	}
}

// opened and closed follow a WebSocket's operations by id.
func (s *stream) opened(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ops[id]; ok {
		return
	}
	if len(s.ops) == 0 {
		s.quiet = make(chan struct{})
		if s.idle != nil {
			s.idle.Stop()
		}
	}
	s.ops[id] = struct{}{}
}

func (s *stream) closed(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ops[id]; !ok {
		return
	}
	delete(s.ops, id)
	if len(s.ops) == 0 {
		close(s.quiet)
		if s.idleD > 0 {
			if s.idle == nil {
				s.idle = time.AfterFunc(s.idleD, s.cancel)
			} else {
				s.idle.Reset(s.idleD)
			}
		}
	}
}

func (s *stream) quieted() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quiet
}

// Drain ends every stream: call it once the subscriptions were ended (the
// change feed closed), so that each stream's operations have completed.
// It waits for each WebSocket's operations to complete (their complete
// messages written), then closes it (1000), and waits for every stream's
// handler to return, or for ctx to end. New streams are refused from then
// on (503).
func (ss *Streams) Drain(ctx context.Context) error {
	ss.mu.Lock()
	ss.closed = true
	open := make([]*stream, 0, len(ss.open))
	for s := range ss.open {
		open = append(open, s)
	}
	ss.mu.Unlock()
	for _, s := range open {
		select {
		case <-s.quieted():
		case <-ctx.Done():
		}
		s.cancel()
	}
	done := make(chan struct{})
	go func() {
		ss.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Open counts the streams open by transport.
func (ss *Streams) Open() map[string]int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := map[string]int{}
	for s := range ss.open {
		out[s.transport]++
	}
	return out
}

// OperationDeadline bounds a query or mutation run over a stream (whose
// request has no deadline, as it lives long) by Timeout; a subscription
// runs until it ends. Plain HTTP requests have their deadline already.
type OperationDeadline struct {
	Timeout time.Duration
}

var (
	_ graphql.HandlerExtension     = OperationDeadline{}
	_ graphql.OperationInterceptor = OperationDeadline{}
)

// ExtensionName implements graphql.HandlerExtension.
func (OperationDeadline) ExtensionName() string { return "OperationDeadline" }

// Validate implements graphql.HandlerExtension.
func (OperationDeadline) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (d OperationDeadline) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if d.Timeout <= 0 || streamOf(ctx) == nil {
		return next(ctx)
	}
	if op := graphql.GetOperationContext(ctx).Operation; op == nil || op.Operation == ast.Subscription {
		return next(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	rh := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		defer cancel()
		return rh(ctx)
	}
}
