// Package config reads custgraph's configuration from the environment,
// validates it with messages that name the variable at fault, and prints it
// with every secret masked.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"custgraph/internal/limits"
	"custgraph/internal/quota"
)

// What a client is to the client rate limit (CUSTGRAPH_CLIENT_RATE_BY).
const (
	ClientRateByPrincipal = "principal" // authenticated principals only
	ClientRateByAddress   = "address"   // the principal, else the client's address
)

// Demo modes (CUSTGRAPH_DEMO).
const (
	DemoAuto = "auto" // demo when no *_BASE_URL is set
	DemoOn   = "on"   // always demo
	DemoOff  = "off"  // never demo; refuse to start without an upstream
)

// Config is the whole configuration of `custgraph serve`. Each field is
// filled by one setting of the table in settings.go, which declares its
// variable, default, parser and whether it is a secret.
type Config struct {
	// Addr is the listen address (CUSTGRAPH_ADDR).
	Addr string
	// DebugAddr (CUSTGRAPH_DEBUG_ADDR) serves Go's profiler
	// (/debug/pprof/) on a listener of its own; off when empty. Keep it
	// on loopback: profiles show what the process is doing.
	DebugAddr string
	// Demo is auto, on or off (CUSTGRAPH_DEMO).
	Demo string
	U8   U8
	YCM  YCM
	CRM  CRM
	// SelfDefineLabels names U8's self-defined fields (index → label),
	// from CUSTGRAPH_U8_SELF_DEFINE_LABELS="1=信用等级,2=结算方式".
	SelfDefineLabels map[int]string
	// Resilience is how the gateway protects itself and the vendors.
	Resilience Resilience
	// Redis is the state replicas share; off when URL is empty.
	Redis Redis
	// Edge is how the gateway meets its clients.
	Edge Edge
	// Limits bound what one request may ask, all checked before any
	// upstream call (CUSTGRAPH_MAX_…; 0 turns one off).
	Limits limits.Options
	// Directory is the synced copy of every source's customers.
	Directory Directory
	// Subscriptions is how change subscriptions are served.
	Subscriptions Subscriptions
}

// Directory holds the knobs of the directory: the synced copy that serves
// search, order, phone lookups and exact names without vendor calls.
type Directory struct {
	// On (CUSTGRAPH_DIRECTORY, default on); off: the fields it serves
	// answer DIRECTORY_UNAVAILABLE and the rest works as before.
	On bool
	// DataDir (CUSTGRAPH_DATA_DIR) is where the copy persists between
	// restarts (the file directory.db). Empty: "data" under the working
	// directory, or memory only in demo mode. Unused with Redis, which
	// then holds the copy every replica shares.
	DataDir string
	// Interval (CUSTGRAPH_SYNC_INTERVAL, default 30s) is how often each
	// source is asked what changed (YCM, which cannot tell, is read in
	// full).
	Interval time.Duration
	// FullInterval (CUSTGRAPH_SYNC_FULL_INTERVAL, default 24h) is how
	// often U8 and the CRM are read in full, to see deletions.
	FullInterval time.Duration
	// MaxAge (CUSTGRAPH_DIRECTORY_MAX_AGE, default 10m) is how old a
	// source's copy may be and still be served; older, it is STALE.
	MaxAge time.Duration
	// YCMPace (CUSTGRAPH_SYNC_YCM_PACE, default 100ms) is the least time
	// between two sync calls to YCM, which states no quota; 0: unpaced.
	YCMPace time.Duration
	// LeaseTTL (CUSTGRAPH_SYNC_LEASE, default 15s) is how long a
	// replica's hold on a source's sync lasts unrenewed: how soon another
	// replica takes over the sync of one that died.
	LeaseTTL time.Duration
	// MatchThreshold (CUSTGRAPH_MATCH_THRESHOLD, default 0.9) is the
	// least confidence of a link that Customer.matches returns.
	MatchThreshold float64
}

// Subscriptions are the knobs of Subscription.customerChanged and of the
// streams that carry it (WebSocket, Server-Sent Events).
type Subscriptions struct {
	// PerClient bounds the subscriptions one client (its principal, else
	// its address) holds open on a replica
	// (CUSTGRAPH_SUBSCRIPTIONS_PER_CLIENT, default 20).
	PerClient int
	// Buffer is how many changes a subscriber may fall behind by before
	// it is told to resubscribe and closed
	// (CUSTGRAPH_SUBSCRIPTION_BUFFER, default 256).
	Buffer int
	// KeepAlive is how often an idle stream is pinged
	// (CUSTGRAPH_STREAM_KEEPALIVE, default 15s): a graphql-transport-ws
	// ping (a client that does not answer within two is dropped), an SSE
	// comment line.
	KeepAlive time.Duration
	// InitTimeout bounds the wait for a WebSocket's connection_init
	// (CUSTGRAPH_STREAM_INIT_TIMEOUT, default 10s).
	InitTimeout time.Duration
	// IdleTimeout closes a WebSocket that has no operation open for this
	// long (CUSTGRAPH_STREAM_IDLE_TIMEOUT, default 5m).
	IdleTimeout time.Duration
	// MaxLifetime closes any stream this long after it opened
	// (CUSTGRAPH_STREAM_MAX_LIFETIME, default 1h), so that credentials
	// are checked again when the client reconnects.
	MaxLifetime time.Duration
}

// Edge holds the knobs of the client side: authentication, exposure,
// per-client rate and the HTTP server's timeouts.
type Edge struct {
	// APIKeys (CUSTGRAPH_API_KEYS, comma-separated) are accepted as
	// "Authorization: Bearer <key>" or "X-API-Key: <key>".
	APIKeys []string // secrets
	// JWT validation: an HS256 secret (CUSTGRAPH_JWT_HS256_SECRET) or a
	// JWKS file of RS256/ES256 keys (CUSTGRAPH_JWT_JWKS_FILE), with
	// optional issuer and audience checks.
	JWTSecret   string // secret
	JWKSFile    string
	JWTIssuer   string
	JWTAudience string
	// Metrics is who may read /metrics (CUSTGRAPH_METRICS): open
	// (default), auth (the same credentials as /graphql) or off.
	Metrics string
	// CORSOrigins (CUSTGRAPH_CORS_ORIGINS, comma-separated; "*" for any)
	// may call /graphql from a browser; none by default.
	CORSOrigins []string
	// Introspection, FieldSuggestions and IDE (CUSTGRAPH_INTROSPECTION,
	// CUSTGRAPH_FIELD_SUGGESTIONS, CUSTGRAPH_IDE: on or off) default to on
	// in demo mode and off otherwise.
	Introspection, FieldSuggestions, IDE bool
	// MaxBodyBytes bounds a request's body (CUSTGRAPH_MAX_BODY_BYTES,
	// default 1 MiB; 0 turns the bound off): 413 REQUEST_TOO_LARGE beyond.
	MaxBodyBytes int64
	// ShareInFlight (CUSTGRAPH_SHARE_INFLIGHT, on or off; default on):
	// identical queries of one client in flight at the same moment share
	// one execution and its answer (internal/inflight).
	ShareInFlight bool
	// Compiled (CUSTGRAPH_COMPILED, on or off; default on): customer
	// pages, lists and records whose selection holds only plain fields
	// are written by graph's compiled writer rather than by gqlgen's
	// executor, byte for byte the same answer at a fraction of the CPU.
	// Off sends every value through gqlgen, to compare the two.
	Compiled bool
	// ClientRate bounds requests per client (CUSTGRAPH_CLIENT_RATE_LIMIT,
	// default off): a BFF or a server-side renderer sends all its users'
	// traffic from one address, and the vendors' quotas are kept by the
	// outbound quotas whatever clients send.
	ClientRate quota.Rate
	// ClientRateBy is what a client is to ClientRate
	// (CUSTGRAPH_CLIENT_RATE_BY): "principal" (default: the API key's or
	// token's principal; requests without one are not limited) or
	// "address" (the principal when there is one, else the client's
	// address).
	ClientRateBy string
	// ClientAddressHeader names the header a trusted reverse proxy sets
	// to the client's address (CUSTGRAPH_CLIENT_ADDRESS_HEADER, e.g.
	// X-Forwarded-For or X-Real-IP); empty: the connection's address.
	ClientAddressHeader string
	// AccessLog is how many requests get an access log line
	// (CUSTGRAPH_ACCESS_LOG): 1 every one ("on", the default), N one in N
	// plus every answer of 400 or more ("1/N"), 0 none ("off").
	AccessLog int
	// FederationSDL serves _service, the SDL a federation router
	// composes from (CUSTGRAPH_FEDERATION_SDL, default on, with
	// introspection off too); off for deployments that publish the
	// schema another way.
	FederationSDL bool
	// Server timeouts: reading a request's headers
	// (CUSTGRAPH_READ_HEADER_TIMEOUT, 5s) and whole body
	// (CUSTGRAPH_READ_TIMEOUT, 30s), writing the answer
	// (CUSTGRAPH_WRITE_TIMEOUT, 60s), an idle keep-alive connection
	// (CUSTGRAPH_IDLE_TIMEOUT, 2m), one whole GraphQL request
	// (CUSTGRAPH_REQUEST_TIMEOUT, 30s) and the drain at shutdown
	// (CUSTGRAPH_SHUTDOWN_GRACE, 15s).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, RequestTimeout, ShutdownGrace time.Duration
}

// Authenticated reports whether clients must present credentials.
func (e Edge) Authenticated() bool {
	return len(e.APIKeys) > 0 || e.JWTSecret != "" || e.JWKSFile != ""
}

// Redis is the shared state of many replicas (CUSTGRAPH_REDIS_…).
type Redis struct {
	// URL is redis://[:password@]host:port[/db] or rediss://… (TLS).
	URL string // holds a secret
	// Timeout bounds one Redis operation (CUSTGRAPH_REDIS_TIMEOUT,
	// default 250ms): a slower Redis counts as down.
	Timeout time.Duration
	// Replicas is how many replicas share the vendor quotas
	// (CUSTGRAPH_REPLICAS, default 1): while Redis is unreachable each
	// keeps 1/Replicas of every quota by itself.
	Replicas int
}

// Tuning is how one vendor is called (CUSTGRAPH_<SOURCE>_…).
type Tuning struct {
	// RateLimit is the vendor's quota (…_RATE_LIMIT, "N/duration" or
	// "off"); the gateway keeps to it. Default: CRM 10/10s, others off.
	RateLimit quota.Rate
	// Timeout bounds one call, body included (…_TIMEOUT, default 10s).
	Timeout time.Duration
	// MaxConns bounds connections to the vendor (…_MAX_CONNS; default
	// U8 and YCM 32, CRM 10).
	MaxConns int
	// CacheTTL is how long a record looked up by key or name is served
	// from the cache (…_CACHE_TTL; default U8 and YCM 1m, CRM 5m; 0
	// turns the cache off).
	CacheTTL time.Duration
}

// Resilience holds the knobs shared by all vendors.
type Resilience struct {
	// QuotaMaxWait is the longest a call waits for its turn in a
	// vendor's quota before failing as RATE_LIMITED
	// (CUSTGRAPH_QUOTA_MAX_WAIT, default 15s: more than one CRM window
	// and its slack); a call never waits past its request's deadline
	// either.
	QuotaMaxWait time.Duration
	// Retries is how often a failed read is retried (CUSTGRAPH_RETRIES,
	// default 2; 0 turns retries off).
	Retries int
	// RetryBudget is the time one request's retries take at most, all
	// its vendor calls together, from its first retry
	// (CUSTGRAPH_RETRY_BUDGET, default 4s): a hung vendor costs a request
	// one call's timeout and this, not a timeout per attempt.
	RetryBudget time.Duration
	// BreakerFailures failures in a row open a vendor's circuit
	// (CUSTGRAPH_BREAKER_FAILURES, default 5); it stays open for
	// BreakerOpen (CUSTGRAPH_BREAKER_OPEN, default 10s), then one probe
	// call decides.
	BreakerFailures int
	BreakerOpen     time.Duration
	// CacheSize bounds each vendor's caches (CUSTGRAPH_CACHE_SIZE,
	// default 10000 entries per cache).
	CacheSize int
}

// U8 is the Yonyou U8 OpenAPI upstream.
type U8 struct {
	BaseURL     string
	FromAccount string
	ToAccount   string
	AppKey      string
	AppSecret   string // secret
	DSSequence  string
	Tuning      Tuning
}

// YCM is the Yeastar YCM upstream.
type YCM struct {
	BaseURL      string
	ClientID     string
	ClientSecret string // secret
	Tuning       Tuning
}

// CRM is the ikcrm CRM upstream.
type CRM struct {
	BaseURL  string
	Login    string
	Password string // secret
	CorpID   string
	Tuning   Tuning
}

// Enabled reports whether each upstream is configured.
func (c U8) Enabled() bool  { return c.BaseURL != "" }
func (c YCM) Enabled() bool { return c.BaseURL != "" }
func (c CRM) Enabled() bool { return c.BaseURL != "" }

// DemoMode reports whether serve runs on the in-process simulators.
func (c *Config) DemoMode() bool {
	switch c.Demo {
	case DemoOn:
		return true
	case DemoOff:
		return false
	}
	return !c.U8.Enabled() && !c.YCM.Enabled() && !c.CRM.Enabled()
}

// Load reads the configuration through getenv and validates it. Every
// problem is reported, each naming its variable; no value of a secret is
// ever part of an error.
//
// Each setting of the table is read in turn; those whose default follows
// the demo mode come last, as the demo mode depends on other settings.
// The checks that involve more than one setting follow.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{}
	set := map[string]bool{}
	var errs []error
	var demoDependent []setting
	for _, sec := range table {
		for _, s := range sec.settings {
			v := strings.TrimSpace(getenv(s.name)) // blank is unset
			set[s.name] = v != ""
			if s.demoDef || s.demo != "" { // once the demo mode is known
				demoDependent = append(demoDependent, s)
				continue
			}
			errs = append(errs, s.apply(c, s.def, v)...)
		}
	}
	def := "off"
	if c.DemoMode() {
		def = "on"
	}
	for _, s := range demoDependent {
		d := def
		switch {
		case !s.demoDef && c.DemoMode():
			d = s.demo
		case !s.demoDef:
			d = s.def
		}
		errs = append(errs, s.apply(c, d, strings.TrimSpace(getenv(s.name)))...)
	}
	each(func(_ section, s setting) {
		if s.requiredWith != "" && set[s.requiredWith] && !set[s.name] {
			errs = append(errs, fmt.Errorf("%s is required when %s is set", s.name, s.requiredWith))
		}
	})
	if c.Edge.WriteTimeout <= c.Edge.RequestTimeout {
		errs = append(errs, fmt.Errorf("CUSTGRAPH_WRITE_TIMEOUT (%s) must be longer than CUSTGRAPH_REQUEST_TIMEOUT (%s), or answers are cut off", c.Edge.WriteTimeout, c.Edge.RequestTimeout))
	}
	// Whether a base URL is set, not whether it was valid: an invalid
	// one has its own error, and "no upstream" would mislead.
	if c.Demo == DemoOff && !set["CUSTGRAPH_U8_BASE_URL"] && !set["CUSTGRAPH_YCM_BASE_URL"] && !set["CUSTGRAPH_CRM_BASE_URL"] {
		errs = append(errs, errors.New("CUSTGRAPH_DEMO=off but no upstream is configured: set at least one of CUSTGRAPH_U8_BASE_URL, CUSTGRAPH_YCM_BASE_URL, CUSTGRAPH_CRM_BASE_URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// apply stores def, then the variable's value v when it is set, in s's
// field. A value that does not parse leaves the default in place, so that
// the checks after it see sensible values, and is reported with s's name
// (and, for a secret, without what parsing said, which may quote it).
func (s setting) apply(c *Config, def, v string) []error {
	var errs []error
	if err := s.bind.parse(c, def); err != nil {
		errs = append(errs, fmt.Errorf("%s: the default %q is invalid: %w", s.name, def, err))
	}
	if v == "" {
		return errs
	}
	if err := s.bind.parse(c, v); err != nil {
		if s.secret {
			err = errors.New("invalid value (not shown: it is a secret)")
		}
		errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
	}
	return errs
}

// ParseLabels reads "1=信用等级,2=结算方式" into index → label.
func ParseLabels(s string) (map[int]string, error) {
	labels := map[int]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(k))
		if !ok || err != nil || n < 1 || n > 16 {
			return nil, fmt.Errorf("%q: want INDEX=LABEL with INDEX 1 to 16", part)
		}
		if v = strings.TrimSpace(v); v == "" {
			return nil, fmt.Errorf("%q: empty label", part)
		}
		labels[n] = v
	}
	return labels, nil
}

// String prints the configuration for the start-up log: every setting,
// grouped as key={…}, with secrets masked (a set secret shows as "***",
// an unset one as "") and URLs redacted. Whether serve runs in demo mode
// comes first, as it decides much of the rest.
func (c *Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "demo_mode=%v", c.DemoMode())
	for _, sec := range table {
		if sec.key != "" {
			fmt.Fprintf(&b, " %s={", sec.key)
		}
		for i, s := range sec.settings {
			if sec.key == "" || i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s=%s", sec.dumpKey(s), s.shown(c))
		}
		if sec.key != "" {
			b.WriteByte('}')
		}
	}
	return b.String()
}

// shown is s's value in c as String prints it.
func (s setting) shown(c *Config) string {
	v := s.bind.show(c)
	if s.secret && v != "" {
		return "***"
	}
	return v
}
