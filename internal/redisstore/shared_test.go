package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"custgraph/internal/quota"
	"custgraph/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// replica opens a Store on srv as one replica would, with its probe.
func replica(t *testing.T, srv *redistest.Server, log *slog.Logger) *Store {
	t.Helper()
	s, err := Open(Options{URL: srv.URL(), Log: log, Probe: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	return s
}

// TestLimitersShareOneQuota: two replicas taking turns as fast as they
// can never book more than N calls in one window between them: the turns
// Redis booked, on Redis's clock, are what is checked, not when each
// caller happened to wake up.
func TestLimitersShareOneQuota(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Password: "pw"})
	rate := quota.Rate{N: 4, Per: 300 * time.Millisecond}
	limiters := []*Limiter{NewLimiter(replica(t, srv, nil), "crm", rate, 2), NewLimiter(replica(t, srv, nil), "crm", rate, 2)}
	var mu sync.Mutex
	var turns []time.Time
	var refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn, err := limiters[i%2].Take(context.Background(), time.Second)
			if errors.Is(err, quota.ErrExceeded) {
				refused.Add(1)
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			if time.Now().Before(turn.At.Add(-50 * time.Millisecond)) {
				t.Errorf("Take returned %v before its turn", time.Until(turn.At))
			}
			mu.Lock()
			turns = append(turns, turn.At)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(turns, func(i, j int) bool { return turns[i].Before(turns[j]) })
	for i := rate.N; i < len(turns); i++ {
		if gap := turns[i].Sub(turns[i-rate.N]); gap < rate.Per {
			t.Fatalf("turns %d and %d are %v apart: %d calls in one window of %v", i-rate.N, i, gap, rate.N+1, rate.Per)
		}
	}
	// 20 callers, 4 per ~315 ms, a second's patience: about 16 go, the
	// rest are refused.
	if len(turns) < 8 || refused.Load() == 0 {
		t.Errorf("%d calls went, %d refused", len(turns), refused.Load())
	}
}

// TestSharedTurnsGivenBackAndRefusals: a call that never reached the vendor
// gives its turn back to every replica, and a vendor's refusal seen by one
// replica makes every replica wait for the vendor's window.
func TestSharedTurnsGivenBackAndRefusals(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rate := quota.Rate{N: 2, Per: time.Minute}
	a, b := NewLimiter(replica(t, srv, nil), "crm", rate, 2), NewLimiter(replica(t, srv, nil), "crm", rate, 2)
	ctx := context.Background()
	first, err := a.Take(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Take(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Take(ctx, 0); !errors.Is(err, quota.ErrExceeded) {
		t.Fatalf("a third call in the window: %v", err)
	}
	second.Unused()
	if _, err := a.Take(ctx, 0); err != nil {
		t.Fatalf("after B gave its turn back, A: %v", err)
	}
	first.Refused(0)
	var ex *quota.ExceededError
	if _, err := b.Take(ctx, 0); !errors.As(err, &ex) || ex.Wait < rate.Per {
		t.Fatalf("B after A's refusal: %v, want a wait of a whole window", err)
	}
}

// TestCredentialOneFetchForAllReplicas: replicas asking at once for a
// credential cause one fetch; a refused (stale) one is replaced once.
func TestCredentialOneFetchForAllReplicas(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	var fetches atomic.Int32
	fetch := func(ctx context.Context) (string, time.Duration, error) {
		n := fetches.Add(1)
		time.Sleep(50 * time.Millisecond) // a login takes a while
		return "token-" + string(rune('0'+n)), time.Minute, nil
	}
	var creds []*Credential
	for i := 0; i < 4; i++ {
		creds = append(creds, NewCredential(replica(t, srv, nil), "crm", "https://crm.example\x0013800000000"))
	}
	obtainAll := func(stale string) []string {
		out := make([]string, len(creds))
		var wg sync.WaitGroup
		for i, c := range creds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, ttl, err := c.Obtain(context.Background(), stale, fetch)
				if err != nil || ttl <= 0 {
					t.Errorf("replica %d: %q %v %v", i, v, ttl, err)
				}
				out[i] = v
			}()
		}
		wg.Wait()
		return out
	}
	first := obtainAll("")
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for 4 replicas, want 1", n)
	}
	for _, v := range first {
		if v != first[0] {
			t.Fatalf("replicas hold different credentials: %v", first)
		}
	}
	// The vendor refused it (the CRM's 100401): every replica renews,
	// one fetch replaces it for all.
	second := obtainAll(first[0])
	if n := fetches.Load(); n != 2 || second[0] == first[0] {
		t.Fatalf("after a refusal: %d fetches, credentials %v", n, second)
	}
	for _, v := range second {
		if v != second[0] {
			t.Fatalf("replicas hold different credentials: %v", second)
		}
	}
}

// TestOutageFallsBackAndRecovers: with Redis gone, credentials are fetched
// locally, quotas kept locally (a window later), the cache misses, and all
// of it fast; the outage is logged once, and Redis is used again when back.
func TestOutageFallsBackAndRecovers(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Password: "hunter2"})
	var logs syncBuffer
	s := replica(t, srv, slog.New(slog.NewTextHandler(&logs, nil)))
	cache := NewCache(s)
	cache.Set(context.Background(), map[string][]byte{"U8:get:1": []byte("x")}, time.Minute)
	if v, ok := cache.Get(context.Background(), "U8:get:1"); !ok || string(v) != "x" {
		t.Fatalf("cache: %q %v", v, ok)
	}

	srv.Kill()
	lim := NewLimiter(s, "crm", quota.Rate{N: 2, Per: 200 * time.Millisecond}, 1)
	t0 := time.Now()
	if _, ok := cache.Get(context.Background(), "U8:get:1"); ok {
		t.Error("a hit from a dead Redis")
	}
	if _, err := lim.Take(context.Background(), time.Second); err != nil {
		t.Fatalf("local quota: %v", err)
	}
	if d := time.Since(t0); d < 200*time.Millisecond {
		t.Errorf("the first call alone went after %v, want a window (the others may have spent it)", d)
	}
	cred := NewCredential(s, "u8", "x")
	v, _, err := cred.Obtain(context.Background(), "", func(context.Context) (string, time.Duration, error) { return "local", time.Minute, nil })
	if err != nil || v != "local" {
		t.Fatalf("credential with Redis down: %q %v", v, err)
	}
	if st := s.Status(); !st.Configured || st.Healthy || st.LastError == "" {
		t.Errorf("status while down: %+v", st)
	}
	// While down, nothing waits on Redis: no command is even tried.
	var tried atomic.Int32
	s.rdb.AddHook(counting{&tried})
	for i := 0; i < 20; i++ {
		cache.Get(context.Background(), "U8:get:1")
	}
	if n := tried.Load(); n != 0 {
		t.Fatalf("%d Redis commands tried with Redis known down, want none", n)
	}

	srv.Restart(t)
	deadline := time.Now().Add(5 * time.Second)
	for !s.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("Redis not used again within 5 s of its return")
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := logs.String()
	if strings.Count(out, "redis unavailable") != 1 || !strings.Contains(out, "redis back") || strings.Contains(out, "hunter2") {
		t.Errorf("log:\n%s", out)
	}
}

// counting is a go-redis hook that counts the commands tried.
type counting struct{ n *atomic.Int32 }

func (counting) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c counting) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c counting) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int32(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestPersistedQueriesShared: a query registered through one replica is
// found by another.
func TestPersistedQueriesShared(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a := NewPersistedQueries(replica(t, srv, nil), 10, time.Hour)
	b := NewPersistedQueries(replica(t, srv, nil), 10, time.Hour)
	a.Add(context.Background(), "h1", "{ a }")
	if q, ok := b.Get(context.Background(), "h1"); !ok || q != "{ a }" {
		t.Fatalf("b.Get = %q %v", q, ok)
	}
	if _, ok := b.Get(context.Background(), "h2"); ok {
		t.Error("an unknown hash was found")
	}
	local := NewPersistedQueries(nil, 10, time.Hour)
	local.Add(context.Background(), "h", "{ x }")
	if q, ok := local.Get(context.Background(), "h"); !ok || q != "{ x }" {
		t.Errorf("local only: %q %v", q, ok)
	}
}

func TestOpenRefusesBadURLWithoutShowingThePassword(t *testing.T) {
	_, err := Open(Options{URL: "http://:pa55word@host:1"})
	if err == nil || strings.Contains(err.Error(), "pa55word") {
		t.Fatalf("err = %v", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
