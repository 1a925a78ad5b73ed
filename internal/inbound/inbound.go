// Package inbound holds the middleware every request to the gateway passes
// before its endpoint: the access log, the recoverer, the per-client rate
// and the whole-request deadline.
package inbound

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"custgraph/internal/auth"
	"custgraph/internal/gqlhttp"
	"custgraph/internal/guard"
	"custgraph/internal/quota"
	"custgraph/internal/redact"
)

// AccessLog writes one line per request (see AccessLogOptions): request
// ID, method, path (never the query string, which may hold a GraphQL
// document with personal data), status, size, duration and the
// authenticated principal (a key's fingerprint or a token's subject,
// never the credential).
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return AccessLogWith(AccessLogOptions{Log: log, Every: 1})
}

// principalSink carries where AccessLog wants the principal written.
type principalSink struct{}

// NotePrincipal, mounted after authentication, tells AccessLog who asked.
func NotePrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(principalSink{}).(*string); ok {
			*p = auth.Principal(r.Context())
		}
		next.ServeHTTP(w, r)
	})
}

// Recoverer turns a panic outside the GraphQL executor (which has its
// own) into a GraphQL-shaped "internal error" with the request ID. The
// log gets the panic's value, redacted, and never a stack.
func Recoverer(log *slog.Logger) func(http.Handler) http.Handler {
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
					slog.String("panic", redact.Text(fmt.Sprint(p))))
				gqlhttp.WriteError(w, r, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal error")
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// ClientRate bounds each client's requests, when a rate is configured
// (it is off by default: a BFF sends all its users' traffic from one
// address, and the outbound quotas keep the vendors' limits whatever
// clients send). A client is its authenticated principal; a request
// without one is limited by its address only when byAddress is set (the
// address from addressHeader when set: see clientAddress). Beyond
// the rate the answer is 429 with a GraphQL-shaped error and Retry-After.
func ClientRate(r quota.Rate, byAddress bool, addressHeader string) func(http.Handler) http.Handler {
	if r.Off || r.N <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	limiter := httprate.NewRateLimiter(r.N, r.Per,
		httprate.WithLimitHandler(func(w http.ResponseWriter, req *http.Request) {
			gqlhttp.WriteError(w, req, http.StatusTooManyRequests, "RATE_LIMITED",
				fmt.Sprintf("more than %d requests per %s from this client", r.N, r.Per))
		}))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			key := ""
			switch p := auth.Principal(req.Context()); {
			case p != "":
				key = "principal " + p
			case byAddress:
				key = "address " + clientAddress(req, addressHeader)
			}
			if key != "" && limiter.RespondOnLimit(w, req, key) {
				return
			}
			next.ServeHTTP(w, req)
		})
	}
}

// clientAddress is the address of the client behind req: from header,
// which a trusted reverse proxy sets, when it is given and holds an IP
// address (X-Forwarded-For: its last entry, the one the proxy in front of
// us appended; Forwarded: the for= of its last element; any other header:
// its value), else the connection's. IPv6 addresses are kept to their /64,
// which one host usually holds whole.
func clientAddress(req *http.Request, header string) string {
	if header != "" {
		if ip := headerAddress(req.Header.Values(header), header); ip != "" {
			return httprate.CanonicalizeIP(ip)
		}
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	return httprate.CanonicalizeIP(host)
}

// headerAddress reads the client's IP address from a proxy header's
// values ("" when it holds none).
func headerAddress(values []string, header string) string {
	if len(values) == 0 {
		return ""
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	last = strings.TrimSpace(last)
	if http.CanonicalHeaderKey(header) == "Forwarded" {
		v := ""
		for part := range strings.SplitSeq(last, ";") {
			if k, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok && strings.EqualFold(k, "for") {
				v = strings.Trim(val, `"`)
			}
		}
		last = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
		if h, _, err := net.SplitHostPort(v); err == nil {
			last = h
		}
	}
	if ip, err := netip.ParseAddr(last); err == nil {
		return ip.String()
	}
	if ap, err := netip.ParseAddrPort(last); err == nil {
		return ap.Addr().String()
	}
	return ""
}

// Deadline bounds one whole request, and the time its retries of vendor
// calls take between them (guard.WithRetryBudget): resolvers and vendor
// calls see both through their context.
func Deadline(d, retryBudget time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(guard.WithRetryBudget(r.Context(), retryBudget), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// clientKey carries the client's address for Client.
type clientKey struct{}

// NoteClient keeps the client's address (from addressHeader when set:
// see clientAddress) in the request's context, for Client. The gateway
// mounts it for streams only, the requests that can subscribe.
func NoteClient(addressHeader string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := context.WithValue(r.Context(), clientKey{}, clientAddress(r, addressHeader))
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// Client names who sent the request ctx belongs to, for per-client
// bounds: its principal ("principal apikey:…") when it authenticated
// (also over a WebSocket's connection_init), else its address ("address
// 203.0.113.7", as NoteClient kept it).
func Client(ctx context.Context) string {
	if p := auth.Principal(ctx); p != "" {
		return "principal " + p
	}
	addr, _ := ctx.Value(clientKey{}).(string)
	return "address " + addr
}
