// Package inflight shares one answer among identical GraphQL queries that
// are in flight at the same moment ("inbound deduplication", as GraphQL
// routers call it): while one request executes a query, an identical
// request (same client, same body or URL query, same Accept) waits for
// its answer instead of executing it again.
//
// This is coalescing, not caching: nothing is kept once the first request
// is answered, so no answer is older than the request that waits for it
// by more than one execution, the same freshness as the vendor calls that
// concurrent requests already share (internal/guard). Only answers
// without errors are shared; after any other outcome (an error, a client
// that left, a refusal) every waiting request executes on its own.
package inflight

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
)

// KeyFunc says which requests may share answers: it returns the request's
// identity (everything its answer depends on), or false when the request
// must run on its own.
type KeyFunc func(r *http.Request) (key string, ok bool)

// Observer learns what the sharing does (metrics).
type Observer interface {
	// SharedAnswer is called for every request answered with another's
	// answer.
	SharedAnswer()
	// Waiting is called with +1 when a request starts waiting for an
	// identical request's answer and with -1 when it stops.
	Waiting(delta int)
}

// Middleware shares answers among requests of equal key, telling obs
// (when not nil) what it does.
func Middleware(key KeyFunc, obs Observer) func(http.Handler) http.Handler {
	g := &group{key: key, obs: obs, calls: map[string]*call{}}
	return g.middleware
}

type group struct {
	key   KeyFunc
	obs   Observer // may be nil
	mu    sync.Mutex
	calls map[string]*call
}

// call is one execution that identical requests wait for.
type call struct {
	done        chan struct{}
	waiters     int  // requests waiting for it (for tests)
	ok          bool // shareable: 200, data and no errors
	status      int
	contentType string
	body        []byte
}

func (g *group) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, ok := g.key(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		g.mu.Lock()
		c := g.calls[k]
		if c == nil {
			c = &call{done: make(chan struct{})}
			g.calls[k] = c
			g.mu.Unlock()
			g.lead(k, c, next, w, r)
			return
		}
		c.waiters++
		g.mu.Unlock()
		if g.obs != nil {
			g.obs.Waiting(+1)
		}
		left := false
		select {
		case <-c.done:
		case <-r.Context().Done():
			left = true
		}
		if g.obs != nil {
			g.obs.Waiting(-1)
		}
		if left || !c.ok {
			// The client left or the request's deadline passed (next
			// answers that as it would have, a timeout error or nothing
			// for nobody, without executing), or the answer is not
			// shareable: the request runs on its own.
			next.ServeHTTP(w, r)
			return
		}
		if g.obs != nil {
			g.obs.SharedAnswer()
		}
		w.Header().Set("Content-Type", c.contentType)
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
	})
}

// waiting is how many requests wait for key's execution.
func (g *group) waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.calls[key]; c != nil {
		return c.waiters
	}
	return 0
}

// lead executes the request for everyone waiting on c, answering its own
// client as usual while keeping a copy of the answer.
func (g *group) lead(key string, c *call, next http.Handler, w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		// Also on a panic (the recoverer outside answers it): the others
		// must not wait forever, and they run on their own.
		c.status, c.body = rec.status, rec.body.Bytes()
		c.contentType = w.Header().Get("Content-Type")
		// The transport (gqlhttp) writes gqlgen's Response with
		// json.Marshal, errors first: an answer without errors starts
		// with data.
		c.ok = rec.status == http.StatusOK && bytes.HasPrefix(c.body, []byte(`{"data":`)) && r.Context().Err() == nil
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(c.done)
	}()
	next.ServeHTTP(rec, r)
}

// recorder passes an answer through and keeps a copy of its body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Key is the identity of a GraphQL request for Middleware: the client
// (principal, "" when anonymous), the method, the media types it accepts
// and the request itself (body, as already read, for a POST; the URL
// query for a GET). query is the request's document: requests whose
// document is unknown (a persisted query's hash alone) or may hold a
// mutation or a subscription are never shared, whatever the schema holds
// today.
func Key(r *http.Request, principal, query string, body []byte) (string, bool) {
	if query == "" || strings.Contains(query, "mutation") || strings.Contains(query, "subscription") {
		return "", false
	}
	var req string
	switch {
	case r.Method == http.MethodGet:
		req = r.URL.RawQuery
	case r.Method == http.MethodPost && body != nil:
		req = string(body)
	default:
		return "", false
	}
	return principal + "\x00" + r.Method + "\x00" + r.Header.Get("Accept") + "\x00" + req, true
}
