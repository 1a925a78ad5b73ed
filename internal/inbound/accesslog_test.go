package inbound

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// The access log's own encoder writes what slog's JSON handler writes
// (the time aside), whatever the path or principal holds.
func TestAccessLineIsSlogJSON(t *testing.T) {
	for _, l := range []accessLine{
		{id: "host/abc-000001", method: "POST", path: "/graphql", status: 200, bytes: 1234, ms: 0.123, principal: "apikey:0a1b2c3d"},
		{id: "", method: "GET", path: "/a\"b\\c\n\t\r<>&\x01\x7f/路径/\u2028\u2029/\xff\xfe", status: 404, bytes: 0, ms: 1234.5, principal: "jwt:张三"},
		{method: "OPTIONS", path: "/", status: 500, ms: 1e-05},
	} {
		var fast, slow bytes.Buffer
		now := time.Date(2026, 11, 30, 14, 0, 0, 123456789, time.UTC)
		l.write(&fast, now)
		slog.New(slog.NewJSONHandler(&slow, nil)).LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("request_id", l.id), slog.String("method", l.method), slog.String("path", l.path),
			slog.Int("status", l.status), slog.Int("bytes", l.bytes), slog.Float64("duration_ms", l.ms), slog.String("principal", l.principal))
		cut := func(s string) string { return s[strings.Index(s, `"level"`):] }
		if got, want := cut(fast.String()), cut(slow.String()); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		if !strings.HasPrefix(fast.String(), `{"time":"2026-11-30T14:00:00.123Z",`) {
			t.Errorf("time: %s", fast.String())
		}
	}
}

// Sampled, one request in N is logged, and every answer of 400 or more.
func TestAccessLogSampled(t *testing.T) {
	var out bytes.Buffer
	status := http.StatusOK
	h := middleware.RequestID(AccessLogWith(AccessLogOptions{Every: 3, Out: &out})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
	})))
	for range 9 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	}
	status = http.StatusUnauthorized
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	}
	if n, errs := strings.Count(out.String(), "\n"), strings.Count(out.String(), `"status":401`); n != 5 || errs != 2 {
		t.Errorf("%d lines, %d of them 401, want 3 of 9 and both 401s:\n%s", n, errs, out.String())
	}
	out.Reset()
	off := AccessLogWith(AccessLogOptions{Every: 0, Out: &out})(h)
	off.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if strings.Count(out.String(), "\n") != 1 { // the inner handler's own line, not a second
		t.Errorf("off: %s", out.String())
	}
}

// go test -run '^$' -bench AccessLog ./internal/inbound
func BenchmarkAccessLog(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200); _, _ = w.Write([]byte("{}")) })
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"off", AccessLogWith(AccessLogOptions{Every: 0})(NotePrincipal(ok))},
		{"slog", AccessLog(slog.New(slog.NewJSONHandler(io.Discard, nil)))(NotePrincipal(ok))},
		{"on", AccessLogWith(AccessLogOptions{Every: 1, Out: io.Discard})(NotePrincipal(ok))},
		{"sampled-1/100", AccessLogWith(AccessLogOptions{Every: 100, Out: io.Discard})(NotePrincipal(ok))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			w := httptest.NewRecorder()
			for b.Loop() {
				c.h.ServeHTTP(w, r)
			}
		})
	}
}
