package inflight

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bodyKey shares requests with equal bodies, reading the body as
// limits.Middleware does for the real key.
func bodyKey(r *http.Request) (string, bool) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return Key(r, r.Header.Get("X-Principal"), "{ a }", body)
}

// gated answers its body back once gate is closed, counting executions.
type gated struct {
	gate   chan struct{}
	runs   atomic.Int32
	answer func(body string) (int, string)
}

func (h *gated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.runs.Add(1)
	body, _ := io.ReadAll(r.Body)
	select {
	case <-h.gate:
	case <-r.Context().Done():
		return
	}
	status, out := h.answer(string(body))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
}

func okAnswer(body string) (int, string) { return http.StatusOK, `{"data":{"echo":` + body + `}}` }

type result struct {
	status int
	ct     string
	body   string
}

func post(ctx context.Context, h http.Handler, principal, body string) result {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)).WithContext(ctx)
	r.Header.Set("X-Principal", principal)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return result{w.Code, w.Header().Get("Content-Type"), w.Body.String()}
}

// start sends n identical requests, the first alone until it executes,
// the others once it does; it returns their results once all are in.
func start(t *testing.T, g *group, h http.Handler, inner *gated, body string, n int) func() []result {
	t.Helper()
	out := make([]result, n)
	var wg sync.WaitGroup
	wg.Go(func() { out[0] = post(context.Background(), h, "p", body) })
	waitFor(t, func() bool { return inner.runs.Load() == 1 })
	key := "p\x00POST\x00\x00" + body
	for i := 1; i < n; i++ {
		wg.Go(func() { out[i] = post(context.Background(), h, "p", body) })
	}
	waitFor(t, func() bool { return g.waiting(key) == n-1 })
	return func() []result { wg.Wait(); return out }
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// counts is an Observer that counts.
type counts struct{ shared, waiting atomic.Int32 }

func (c *counts) SharedAnswer()     { c.shared.Add(1) }
func (c *counts) Waiting(delta int) { c.waiting.Add(int32(delta)) }

func TestIdenticalRequestsShareOneExecution(t *testing.T) {
	inner := &gated{gate: make(chan struct{}), answer: okAnswer}
	obs := &counts{}
	g := &group{key: bodyKey, obs: obs, calls: map[string]*call{}}
	h := g.middleware(inner)
	results := start(t, g, h, inner, `{"query":"{ a }"}`, 6)
	if n := obs.waiting.Load(); n != 5 {
		t.Errorf("%d requests reported waiting, want 5", n)
	}
	close(inner.gate)
	for i, r := range results() {
		if r.status != 200 || r.ct != "application/json" || r.body != `{"data":{"echo":{"query":"{ a }"}}}` {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if inner.runs.Load() != 1 || obs.shared.Load() != 5 || obs.waiting.Load() != 0 {
		t.Errorf("executions %d, shared answers %d, still waiting %d; want 1, 5 and 0", inner.runs.Load(), obs.shared.Load(), obs.waiting.Load())
	}
	// Nothing is kept: the next request executes.
	if r := post(context.Background(), h, "p", `{"query":"{ a }"}`); r.status != 200 || inner.runs.Load() != 2 {
		t.Errorf("a later request: %+v after %d executions; want a fresh execution", r, inner.runs.Load())
	}
}

func TestOtherRequestsAndOtherClientsDoNotShare(t *testing.T) {
	inner := &gated{gate: make(chan struct{}), answer: okAnswer}
	close(inner.gate)
	h := Middleware(bodyKey, nil)(inner)
	var wg sync.WaitGroup
	for _, c := range []struct{ principal, body string }{{"p", `{"query":"{ a }"}`}, {"q", `{"query":"{ a }"}`}, {"p", `{"query":"{ b }"}`}} {
		wg.Go(func() {
			if r := post(context.Background(), h, c.principal, c.body); !strings.Contains(r.body, c.body) {
				t.Errorf("%s %s got %s", c.principal, c.body, r.body)
			}
		})
	}
	wg.Wait()
	if inner.runs.Load() != 3 {
		t.Errorf("executions %d, want 3", inner.runs.Load())
	}
}

// An answer with errors (or no answer) is not shared: each waiting
// request executes on its own.
func TestFailuresAreNotShared(t *testing.T) {
	for name, answer := range map[string]func(string) (int, string){
		"errors": func(string) (int, string) {
			return http.StatusOK, `{"errors":[{"message":"u8: unavailable"}],"data":null}`
		},
		"not 200":     func(string) (int, string) { return http.StatusGatewayTimeout, `{"errors":[{"message":"timeout"}]}` },
		"partial":     func(string) (int, string) { return http.StatusOK, `{"errors":[{"message":"crm"}],"data":{"a":1}}` },
		"non-GraphQL": func(string) (int, string) { return http.StatusOK, `not json` },
	} {
		t.Run(name, func(t *testing.T) {
			inner := &gated{gate: make(chan struct{}), answer: answer}
			g := &group{key: bodyKey, calls: map[string]*call{}}
			results := start(t, g, g.middleware(inner), inner, `{"query":"{ a }"}`, 4)
			close(inner.gate)
			results()
			if inner.runs.Load() != 4 {
				t.Errorf("executions %d, want 4", inner.runs.Load())
			}
		})
	}
}

// When the first client leaves, the others get an answer of their own.
func TestFirstClientLeaving(t *testing.T) {
	inner := &gated{gate: make(chan struct{}), answer: okAnswer}
	g := &group{key: bodyKey, calls: map[string]*call{}}
	h := g.middleware(inner)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { post(ctx, h, "p", `{"query":"{ a }"}`) })
	waitFor(t, func() bool { return inner.runs.Load() == 1 })
	var second result
	wg.Go(func() { second = post(context.Background(), h, "p", `{"query":"{ a }"}`) })
	waitFor(t, func() bool { return g.waiting("p\x00POST\x00\x00"+`{"query":"{ a }"}`) == 1 })
	cancel()
	waitFor(t, func() bool { return inner.runs.Load() == 2 })
	close(inner.gate)
	wg.Wait()
	if second.status != 200 || !strings.Contains(second.body, `"data"`) {
		t.Errorf("second request: %+v", second)
	}
}

func TestKey(t *testing.T) {
	req := func(method, target, accept string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		r.Header.Set("Accept", accept)
		return r
	}
	body := []byte(`{"query":"{ a }"}`)
	k1, ok1 := Key(req("POST", "/graphql", "application/json"), "p", "{ a }", body)
	k2, _ := Key(req("POST", "/graphql", "application/graphql-response+json"), "p", "{ a }", body)
	k3, _ := Key(req("POST", "/graphql", "application/json"), "q", "{ a }", body)
	k4, ok4 := Key(req("GET", "/graphql?query=%7B+a+%7D", "application/json"), "p", "{ a }", nil)
	k5, _ := Key(req("POST", "/graphql", "application/json"), "p", "{ b }", []byte(`{"query":"{ b }"}`))
	if !ok1 || !ok4 || k1 == k2 || k1 == k3 || k1 == k4 || k1 == k5 {
		t.Errorf("keys must differ by Accept, principal, method and request: %q %q %q %q %q", k1, k2, k3, k4, k5)
	}
	if _, ok := Key(req("POST", "/graphql", ""), "p", "{ a }", nil); ok {
		t.Error("a POST whose body was not read may be shared")
	}
	for _, q := range []string{"", "mutation { x }", "subscription { s }"} {
		if _, ok := Key(req("POST", "/graphql", ""), "p", q, []byte(`{}`)); ok {
			t.Errorf("document %q may be shared", q)
		}
	}
}
