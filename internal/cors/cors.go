// Package cors lets browser applications on listed origins call the
// gateway. It wraps github.com/rs/cors (the preflight and Vary rules are
// easy to get subtly wrong by hand) with this gateway's defaults: exact
// origins only, the methods and headers GraphQL clients (Apollo among
// them) send, and preflights cached for 10 minutes.
//
// Mount it OUTSIDE authentication: a browser's preflight OPTIONS carries
// no credentials and must be answered before auth would refuse it, and an
// auth 401 must carry Access-Control-Allow-Origin for the page's code to
// read it. With chi:
//
//	r.With(cors.New(origins), authn.Middleware, ...).Handle("/graphql", gql)
package cors

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	rscors "github.com/rs/cors"
)

var (
	methods = []string{http.MethodGet, http.MethodPost, http.MethodOptions}
	headers = []string{"Content-Type", "Authorization", "X-API-Key", "apollo-require-preflight", "x-apollo-operation-name"}
)

// maxAge is how long, in seconds, a browser may reuse a preflight answer.
const maxAge = 600

// New returns the CORS middleware for origins: exact origins such as
// "https://app.example.com" (scheme, host, port; case-insensitive), or "*"
// for any origin. With an empty (or all blank) list it changes nothing
// (CORS off: browsers then refuse cross-origin calls themselves).
//
// Entries that Validate refuses are left out, never matched: patterns like
// "https://*.example.com" or "null" would let in origins nobody listed.
// Configuration should call Validate to report them.
func New(origins []string) func(http.Handler) http.Handler {
	if !slices.ContainsFunc(origins, func(o string) bool { return strings.TrimSpace(o) != "" }) {
		return func(next http.Handler) http.Handler { return next }
	}
	// A list of nothing but refused entries still answers as CORS does
	// (Vary, preflights), allowing no origin.
	allowed, all := normalize(origins)
	o := rscors.Options{
		AllowedMethods: methods,
		AllowedHeaders: headers,
		MaxAge:         maxAge,
		// Credentials here means cookies; clients send Authorization or
		// X-API-Key explicitly, which CORS allows without it, and "*"
		// could not be combined with it anyway.
		AllowCredentials: false,
	}
	if all {
		// Answered as "Access-Control-Allow-Origin: *".
		o.AllowedOrigins = []string{"*"}
	} else {
		// A function rather than AllowedOrigins, because rs/cors reads a
		// "*" inside an entry as a wildcard; ours are exact.
		o.AllowOriginFunc = func(origin string) bool {
			_, ok := allowed[strings.ToLower(origin)]
			return ok
		}
	}
	return rscors.New(o).Handler
}

// Validate reports every non-blank entry of origins that New would leave
// out, naming it (origins are not secrets).
func Validate(origins []string) error {
	var errs []error
	for i, o := range origins {
		if strings.TrimSpace(o) == "" {
			continue // "a,,b" and a trailing comma are harmless
		}
		if _, err := parseOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("entry %d %q: %w", i+1, strings.TrimSpace(o), err))
		}
	}
	return errors.Join(errs...)
}

// normalize keeps the valid entries, lower-cased, and tells whether "*"
// is among them.
func normalize(origins []string) (map[string]struct{}, bool) {
	allowed := map[string]struct{}{}
	for _, o := range origins {
		n, err := parseOrigin(o)
		if err != nil {
			continue
		}
		if n == "*" {
			return nil, true
		}
		allowed[n] = struct{}{}
	}
	return allowed, false
}

// parseOrigin checks that s is "*" or an origin as browsers send it,
// scheme://host[:port], and returns it lower-cased. A trailing "/" is
// forgiven; any other path, a query, user info or a wildcard is not.
func parseOrigin(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errors.New("blank origin")
	case s == "*":
		return s, nil
	case strings.Contains(s, "*"):
		return "", errors.New(`wildcards are not supported: list each origin, or "*" alone for any`)
	case strings.EqualFold(s, "null"):
		return "", errors.New(`"null" is the origin of sandboxed and file: pages and cannot be trusted`)
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("want scheme://host[:port], e.g. https://app.example.com")
	}
	host := strings.ToLower(u.Host)
	// Browsers leave the scheme's default port out of Origin.
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return u.Scheme + "://" + host, nil
}

// CodeForbiddenOrigin is the code of a WebSocket refused for its Origin.
const CodeForbiddenOrigin = "FORBIDDEN_ORIGIN"

// WebSocketOrigins refuses (403) a WebSocket upgrade from a browser page
// on an origin that is neither this server's own nor one of origins: a
// browser opens a WebSocket to any site, cross-origin, and CORS does not
// apply to it, so without this check any page a user visits could open
// a subscription in the user's name (cross-site WebSocket hijacking). A
// request without Origin is not a browser's and passes; "*" among
// origins lets every origin in. Other requests pass untouched.
func WebSocketOrigins(origins []string, refuse func(w http.ResponseWriter, r *http.Request, status int, code, msg string)) func(http.Handler) http.Handler {
	allowed, all := normalize(origins)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if r.Header.Get("Upgrade") == "" || origin == "" || all || sameOrigin(origin, r.Host) {
				next.ServeHTTP(w, r)
				return
			}
			if n, err := parseOrigin(origin); err == nil {
				if _, ok := allowed[n]; ok {
					next.ServeHTTP(w, r)
					return
				}
			}
			refuse(w, r, http.StatusForbidden, CodeForbiddenOrigin,
				"a WebSocket from this page's origin is not allowed: list the origin in CUSTGRAPH_CORS_ORIGINS")
		})
	}
}

// sameOrigin reports whether origin names the host the request was sent
// to (the page is this server's own, the IDE's for one).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}
