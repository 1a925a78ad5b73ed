package gqlhttp

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// SSE serves GraphQL over Server-Sent Events as the graphql-sse library
// speaks it in its distinct-connections mode: a POST with Accept:
// text/event-stream runs one operation and streams its results, each as
// an "event: next" whose data is the result, then "event: complete". A
// subscription streams until it ends, the client goes away, its lifetime
// passes or the server drains; a query or mutation gives one next.
//
// A request error (the operation cannot run: a document that does not
// validate, a limit, variables that do not coerce) is answered before any
// stream starts, as a plain GraphQL response with 400, as graphql-sse
// asks. Comment lines keep an idle stream open through proxies.
//
// It replaces gqlgen's transport.SSE, which echoes a malformed body in its
// error, reads the body unbounded, and keeps pinging from a goroutine that
// can outlive the request.
type SSE struct {
	Streams *Streams
}

var _ graphql.Transport = SSE{}

// Supports implements graphql.Transport: a POST that accepts
// text/event-stream (and is not a protocol upgrade).
func (SSE) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Upgrade") == "" && AcceptsEventStream(r)
}

// AcceptsEventStream reports whether r's Accept lists text/event-stream.
func AcceptsEventStream(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(h, ",") {
			if mt, params, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" && params["q"] != "0" {
				return true
			}
		}
	}
	return false
}

// Do implements graphql.Transport.
func (t SSE) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ss := t.Streams
	flusher, ok := w.(http.Flusher)
	if !ok {
		WriteError(w, r, http.StatusInternalServerError, "INTERNAL", "this connection cannot stream events")
		return
	}
	params := ss.o.Reader.params(w, r)
	if params == nil {
		return // refused
	}

	ctx, s, ok := ss.begin(r.Context(), TransportSSE)
	if !ok {
		WriteError(w, r, http.StatusServiceUnavailable, "SHUTTING_DOWN", "the server is shutting down: connect again")
		return
	}
	defer ss.end(s)
	ctx = ss.expiring(ctx, s)

	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		w.Header().Set("Content-Type", ContentType(MediaTypeJSON))
		writeResponse(w, http.StatusBadRequest, requestError{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}

	// The server's write timeout is a request's: the stream's lifetime
	// bounds it instead.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// Proxies (nginx) must pass events on as they come.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &eventWriter{w: w, f: flusher}
	out.comment()

	stopPings := out.pingEvery(ss.o.KeepAlive)
	defer stopPings()

	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	for {
		resp := responses(ctx)
		if resp == nil {
			break
		}
		if out.next(resp) != nil {
			return // the client went away
		}
	}
	s.mu.Lock()
	errs = s.errors
	s.mu.Unlock()
	if len(errs) > 0 {
		_ = out.next(&graphql.Response{Errors: errs})
	}
	out.event("complete", nil)
}

// eventWriter writes the events of one SSE response, from the handler and
// from its pings, one at a time, each flushed.
type eventWriter struct {
	mu sync.Mutex
	w  http.ResponseWriter
	f  http.Flusher
}

func (e *eventWriter) next(resp *graphql.Response) error {
	b, err := json.Marshal(resp)
	if err != nil {
		// Only a resolver's value that JSON cannot hold; gqlgen's
		// marshalers produce none.
		panic(err)
	}
	return e.event("next", b)
}

func (e *eventWriter) event(name string, data []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	buf := make([]byte, 0, len(data)+32)
	buf = append(buf, "event: "...)
	buf = append(buf, name...)
	// "data:" even when empty: a parser drops an event with no data line.
	buf = append(buf, "\ndata:"...)
	if len(data) > 0 {
		buf = append(buf, ' ')
		buf = append(buf, data...)
	}
	buf = append(buf, "\n\n"...)
	if _, err := e.w.Write(buf); err != nil {
		return err
	}
	e.f.Flush()
	return nil
}

func (e *eventWriter) comment() {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write([]byte(":\n\n"))
	e.f.Flush()
}

// pingEvery writes a comment every d until the returned stop is called;
// stop returns once the pinger has stopped, so that nothing writes after
// the handler returns.
func (e *eventWriter) pingEvery(d time.Duration) (stop func()) {
	if d <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				e.comment()
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
