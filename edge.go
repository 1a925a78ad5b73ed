package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"custgraph/internal/auth"
	"custgraph/internal/gqlhttp"
	"custgraph/internal/httpx"
	"custgraph/internal/quota"
)

// accessLog writes one line per request: request ID, method, path (never
// the query string, which may hold a GraphQL document with personal data),
// status, size, duration and the authenticated principal (a key's
// fingerprint or a token's subject, never the credential).
func accessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			var principal string
			defer func() {
				log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("request_id", middleware.GetReqID(r.Context())),
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", ww.Status()), slog.Int("bytes", ww.BytesWritten()),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000), slog.String("principal", principal))
			}()
			next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), principalSink{}, &principal)))
		})
	}
}

// principalSink carries where accessLog wants the principal written.
type principalSink struct{}

// notePrincipal, mounted after authentication, tells accessLog who asked.
func notePrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(principalSink{}).(*string); ok {
			*p = auth.Principal(r.Context())
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic outside the GraphQL executor (which has its
// own) into a GraphQL-shaped "internal error" with the request ID. The
// log gets the panic's value, redacted, and never a stack.
func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler { // net/http's own way to abort a response
					panic(p)
				}
				id := middleware.GetReqID(r.Context())
				log.LogAttrs(r.Context(), slog.LevelError, "panic", slog.String("request_id", id),
					slog.String("panic", httpx.RedactText(fmt.Sprint(p))))
				gqlhttp.WriteError(w, r, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal error")
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// clientRate bounds each client's requests (by principal when
// authenticated, else by address) with a sliding window; beyond it the
// answer is 429 with a GraphQL-shaped error and Retry-After.
func clientRate(r quota.Rate) func(http.Handler) http.Handler {
	if r.Off || r.N <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return httprate.Limit(r.N, r.Per,
		httprate.WithKeyFuncs(func(req *http.Request) (string, error) {
			if p := auth.Principal(req.Context()); p != "" {
				return p, nil
			}
			return httprate.KeyByIP(req)
		}),
		httprate.WithLimitHandler(func(w http.ResponseWriter, req *http.Request) {
			gqlhttp.WriteError(w, req, http.StatusTooManyRequests, "RATE_LIMITED",
				fmt.Sprintf("more than %d requests per %s from this client", r.N, r.Per))
		}))
}

// deadline bounds one whole request: resolvers and vendor calls see it
// through their context.
func deadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
