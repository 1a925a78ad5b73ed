package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"custgraph/internal/httpx"
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
					slog.Duration("duration", time.Since(start)), slog.String("principal", principal))
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
			*p = principalOf(r.Context())
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
				if p == nil || p == http.ErrAbortHandler {
					if p != nil {
						panic(p)
					}
					return
				}
				id := middleware.GetReqID(r.Context())
				log.LogAttrs(r.Context(), slog.LevelError, "panic", slog.String("request_id", id),
					slog.String("panic", httpx.RedactText(fmt.Sprint(p))))
				writeError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal error", id)
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// writeError answers with a GraphQL-shaped error body.
func writeError(w http.ResponseWriter, status int, code, msg, requestID string) {
	ext := map[string]any{"code": code}
	if requestID != "" {
		ext["requestId"] = requestID
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": ext}}})
}

// principalOf is replaced by auth.Principal once authentication lands.
var principalOf = func(context.Context) string { return "" }
