// Package config reads custgraph's configuration from the environment,
// validates it with messages that name the variable at fault, and prints it
// with every secret masked.
package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"custgraph/internal/limits"
	"custgraph/internal/quota"
	"custgraph/internal/redact"
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

// Config is the whole configuration of `custgraph serve`.
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
	// ShareInFlight (CUSTGRAPH_SHARE_INFLIGHT, on or off; default on):
	// identical queries of one client in flight at the same moment share
	// one execution and its answer (internal/inflight).
	ShareInFlight bool
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
func Load(getenv func(string) string) (*Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := &Config{
		Addr:      env("CUSTGRAPH_ADDR", "127.0.0.1:8080"),
		DebugAddr: env("CUSTGRAPH_DEBUG_ADDR", ""),
		Demo:      strings.ToLower(env("CUSTGRAPH_DEMO", DemoAuto)),
		U8: U8{
			BaseURL:     env("CUSTGRAPH_U8_BASE_URL", ""),
			FromAccount: env("CUSTGRAPH_U8_FROM_ACCOUNT", ""),
			ToAccount:   env("CUSTGRAPH_U8_TO_ACCOUNT", ""),
			AppKey:      env("CUSTGRAPH_U8_APP_KEY", ""),
			AppSecret:   env("CUSTGRAPH_U8_APP_SECRET", ""),
			DSSequence:  env("CUSTGRAPH_U8_DS_SEQUENCE", ""),
		},
		YCM: YCM{
			BaseURL:      env("CUSTGRAPH_YCM_BASE_URL", ""),
			ClientID:     env("CUSTGRAPH_YCM_CLIENT_ID", ""),
			ClientSecret: env("CUSTGRAPH_YCM_CLIENT_SECRET", ""),
		},
		CRM: CRM{
			BaseURL:  env("CUSTGRAPH_CRM_BASE_URL", ""),
			Login:    env("CUSTGRAPH_CRM_LOGIN", ""),
			Password: env("CUSTGRAPH_CRM_PASSWORD", ""),
			CorpID:   env("CUSTGRAPH_CRM_CORP_ID", ""),
		},
	}
	var errs []error
	switch c.Demo {
	case DemoAuto, DemoOn, DemoOff:
	default:
		errs = append(errs, fmt.Errorf("CUSTGRAPH_DEMO must be auto, on or off, not %q", c.Demo))
	}
	labels, err := ParseLabels(getenv("CUSTGRAPH_U8_SELF_DEFINE_LABELS"))
	if err != nil {
		errs = append(errs, fmt.Errorf("CUSTGRAPH_U8_SELF_DEFINE_LABELS: %w", err))
	}
	c.SelfDefineLabels = labels
	p := parser{getenv: getenv}
	c.U8.Tuning = p.tuning("U8", "off", 32, time.Minute)
	c.YCM.Tuning = p.tuning("YCM", "off", 32, time.Minute)
	c.CRM.Tuning = p.tuning("CRM", "10/10s", 10, 5*time.Minute)
	c.Resilience = Resilience{
		QuotaMaxWait:    p.duration("CUSTGRAPH_QUOTA_MAX_WAIT", 15*time.Second, false),
		Retries:         p.count("CUSTGRAPH_RETRIES", 2, 0),
		RetryBudget:     p.duration("CUSTGRAPH_RETRY_BUDGET", 4*time.Second, false),
		BreakerFailures: p.count("CUSTGRAPH_BREAKER_FAILURES", 5, 1),
		BreakerOpen:     p.duration("CUSTGRAPH_BREAKER_OPEN", 10*time.Second, false),
		CacheSize:       p.count("CUSTGRAPH_CACHE_SIZE", 10000, 1),
	}
	c.Redis = Redis{
		URL:      env("CUSTGRAPH_REDIS_URL", ""),
		Timeout:  p.duration("CUSTGRAPH_REDIS_TIMEOUT", 250*time.Millisecond, false),
		Replicas: p.count("CUSTGRAPH_REPLICAS", 1, 1),
	}
	if c.Redis.URL != "" {
		u, err := url.Parse(c.Redis.URL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			p.errs = append(p.errs, errors.New("CUSTGRAPH_REDIS_URL must be redis://[:password@]host:port[/db] or rediss://… for TLS"))
		}
	}
	demo := c.DemoMode()
	c.Edge = Edge{
		APIKeys:             list(getenv("CUSTGRAPH_API_KEYS")),
		JWTSecret:           env("CUSTGRAPH_JWT_HS256_SECRET", ""),
		JWKSFile:            env("CUSTGRAPH_JWT_JWKS_FILE", ""),
		JWTIssuer:           env("CUSTGRAPH_JWT_ISSUER", ""),
		JWTAudience:         env("CUSTGRAPH_JWT_AUDIENCE", ""),
		Metrics:             p.choice("CUSTGRAPH_METRICS", "open", "open", "auth", "off"),
		CORSOrigins:         list(getenv("CUSTGRAPH_CORS_ORIGINS")),
		Introspection:       p.onOff("CUSTGRAPH_INTROSPECTION", demo),
		FieldSuggestions:    p.onOff("CUSTGRAPH_FIELD_SUGGESTIONS", demo),
		IDE:                 p.onOff("CUSTGRAPH_IDE", demo),
		ShareInFlight:       p.onOff("CUSTGRAPH_SHARE_INFLIGHT", true),
		FederationSDL:       p.onOff("CUSTGRAPH_FEDERATION_SDL", true),
		ClientRateBy:        p.choice("CUSTGRAPH_CLIENT_RATE_BY", ClientRateByPrincipal, ClientRateByPrincipal, ClientRateByAddress),
		ClientAddressHeader: p.header("CUSTGRAPH_CLIENT_ADDRESS_HEADER"),
		ReadHeaderTimeout:   p.duration("CUSTGRAPH_READ_HEADER_TIMEOUT", 5*time.Second, false),
		ReadTimeout:         p.duration("CUSTGRAPH_READ_TIMEOUT", 30*time.Second, false),
		WriteTimeout:        p.duration("CUSTGRAPH_WRITE_TIMEOUT", 60*time.Second, false),
		IdleTimeout:         p.duration("CUSTGRAPH_IDLE_TIMEOUT", 2*time.Minute, false),
		RequestTimeout:      p.duration("CUSTGRAPH_REQUEST_TIMEOUT", 30*time.Second, false),
		ShutdownGrace:       p.duration("CUSTGRAPH_SHUTDOWN_GRACE", 15*time.Second, false),
	}
	d := limits.Defaults()
	c.Limits = limits.Options{
		MaxDepth:      p.count("CUSTGRAPH_MAX_DEPTH", d.MaxDepth, 0),
		MaxAliases:    p.count("CUSTGRAPH_MAX_ALIASES", d.MaxAliases, 0),
		MaxCost:       p.count("CUSTGRAPH_MAX_COST", d.MaxCost, 0),
		MaxTokens:     p.count("CUSTGRAPH_MAX_TOKENS", d.MaxTokens, 0),
		MaxBodyBytes:  int64(p.count("CUSTGRAPH_MAX_BODY_BYTES", int(d.MaxBodyBytes), 0)),
		MaxOperations: p.count("CUSTGRAPH_MAX_OPERATIONS", d.MaxOperations, 0),
	}
	rate := env("CUSTGRAPH_CLIENT_RATE_LIMIT", "off")
	if c.Edge.ClientRate, err = quota.ParseRate(rate); err != nil {
		p.errs = append(p.errs, fmt.Errorf("CUSTGRAPH_CLIENT_RATE_LIMIT: %w", err))
	}
	if c.Edge.WriteTimeout <= c.Edge.RequestTimeout {
		p.errs = append(p.errs, fmt.Errorf("CUSTGRAPH_WRITE_TIMEOUT (%s) must be longer than CUSTGRAPH_REQUEST_TIMEOUT (%s), or answers are cut off", c.Edge.WriteTimeout, c.Edge.RequestTimeout))
	}
	errs = append(errs, p.errs...)
	if c.U8.Enabled() {
		errs = append(errs, checkURL("CUSTGRAPH_U8_BASE_URL", c.U8.BaseURL))
		errs = append(errs, require("CUSTGRAPH_U8_FROM_ACCOUNT", c.U8.FromAccount),
			require("CUSTGRAPH_U8_TO_ACCOUNT", c.U8.ToAccount),
			require("CUSTGRAPH_U8_APP_KEY", c.U8.AppKey),
			require("CUSTGRAPH_U8_APP_SECRET", c.U8.AppSecret))
	}
	if c.YCM.Enabled() {
		errs = append(errs, checkURL("CUSTGRAPH_YCM_BASE_URL", c.YCM.BaseURL),
			require("CUSTGRAPH_YCM_CLIENT_ID", c.YCM.ClientID),
			require("CUSTGRAPH_YCM_CLIENT_SECRET", c.YCM.ClientSecret))
	}
	if c.CRM.Enabled() {
		errs = append(errs, checkURL("CUSTGRAPH_CRM_BASE_URL", c.CRM.BaseURL),
			require("CUSTGRAPH_CRM_LOGIN", c.CRM.Login),
			require("CUSTGRAPH_CRM_PASSWORD", c.CRM.Password))
	}
	if c.Demo == DemoOff && !c.U8.Enabled() && !c.YCM.Enabled() && !c.CRM.Enabled() {
		errs = append(errs, errors.New("CUSTGRAPH_DEMO=off but no upstream is configured: set at least one of CUSTGRAPH_U8_BASE_URL, CUSTGRAPH_YCM_BASE_URL, CUSTGRAPH_CRM_BASE_URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// parser reads typed knobs, collecting every problem.
type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) get(name string) (string, bool) {
	v := strings.TrimSpace(p.getenv(name))
	return v, v != ""
}

// duration reads a Go duration ("250ms", "10s"); zeroOK allows "0".
func (p *parser) duration(name string, def time.Duration, zeroOK bool) time.Duration {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if v == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || (d == 0 && !zeroOK) {
		what := "a positive duration such as 10s"
		if zeroOK {
			what = "a duration such as 1m, or 0 to turn it off"
		}
		p.errs = append(p.errs, fmt.Errorf("%s must be %s, not %q", name, what, v))
		return def
	}
	return d
}

// onOff reads "on" or "off" (also true/false, 1/0).
func (p *parser) onOff(name string, def bool) bool {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		return true
	case "off", "false", "0", "no":
		return false
	}
	p.errs = append(p.errs, fmt.Errorf("%s must be on or off, not %q", name, v))
	return def
}

// choice reads one of the given values.
func (p *parser) choice(name, def string, values ...string) string {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	for _, allowed := range values {
		if strings.EqualFold(v, allowed) {
			return allowed
		}
	}
	p.errs = append(p.errs, fmt.Errorf("%s must be one of %s, not %q", name, strings.Join(values, ", "), v))
	return def
}

// header reads an HTTP header name (its canonical form; "" when unset).
func (p *parser) header(name string) string {
	v, ok := p.get(name)
	if !ok {
		return ""
	}
	for _, c := range v {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			p.errs = append(p.errs, fmt.Errorf("%s must be an HTTP header name such as X-Forwarded-For, not %q", name, v))
			return ""
		}
	}
	return http.CanonicalHeaderKey(v)
}

// list splits a comma-separated value, dropping empty items.
func list(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// count reads a whole number of at least least.
func (p *parser) count(name string, def, least int) int {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		p.errs = append(p.errs, fmt.Errorf("%s must be a whole number of at least %d, not %q", name, least, v))
		return def
	}
	return n
}

// tuning reads CUSTGRAPH_<src>_RATE_LIMIT, _TIMEOUT, _MAX_CONNS and
// _CACHE_TTL.
func (p *parser) tuning(src, rate string, conns int, ttl time.Duration) Tuning {
	prefix := "CUSTGRAPH_" + src + "_"
	if v, ok := p.get(prefix + "RATE_LIMIT"); ok {
		rate = v
	}
	r, err := quota.ParseRate(rate)
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%sRATE_LIMIT: %w", prefix, err))
	}
	return Tuning{
		RateLimit: r,
		Timeout:   p.duration(prefix+"TIMEOUT", 10*time.Second, false),
		MaxConns:  p.count(prefix+"MAX_CONNS", conns, 1),
		CacheTTL:  p.duration(prefix+"CACHE_TTL", ttl, true),
	}
}

func require(name, value string) error {
	if value == "" {
		return fmt.Errorf("%s is required when its source's base URL is set", name)
	}
	return nil
}

// checkURL accepts only http(s) URLs without user info or query: base
// URLs are printed at start-up, so they must not carry credentials.
func checkURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an http(s) URL such as https://api.example.com", name)
	}
	if u.User != nil || u.RawQuery != "" {
		return fmt.Errorf("%s must not carry credentials or a query string; use the dedicated variables", name)
	}
	return nil
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

// String prints the configuration for the start-up log with every secret
// masked: a set secret shows as "***", an unset one as "".
func (c *Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "addr=%s demo=%s(%v)", c.Addr, c.Demo, c.DemoMode())
	if c.DebugAddr != "" {
		fmt.Fprintf(&b, " debug_addr=%s", c.DebugAddr)
	}
	fmt.Fprintf(&b, " u8={base_url=%s from_account=%s to_account=%s app_key=%s app_secret=%s ds_sequence=%s}",
		c.U8.BaseURL, c.U8.FromAccount, c.U8.ToAccount, mask(c.U8.AppKey), mask(c.U8.AppSecret), c.U8.DSSequence)
	fmt.Fprintf(&b, " ycm={base_url=%s client_id=%s client_secret=%s}", c.YCM.BaseURL, c.YCM.ClientID, mask(c.YCM.ClientSecret))
	fmt.Fprintf(&b, " crm={base_url=%s login=%s password=%s corp_id=%s}", c.CRM.BaseURL, c.CRM.Login, mask(c.CRM.Password), c.CRM.CorpID)
	for _, t := range []struct {
		name string
		t    Tuning
	}{{"u8", c.U8.Tuning}, {"ycm", c.YCM.Tuning}, {"crm", c.CRM.Tuning}} {
		fmt.Fprintf(&b, " %s_calls={rate_limit=%s timeout=%s max_conns=%d cache_ttl=%s}", t.name, t.t.RateLimit, t.t.Timeout, t.t.MaxConns, t.t.CacheTTL)
	}
	fmt.Fprintf(&b, " redis={url=%s timeout=%s replicas=%d}", redact.URL(c.Redis.URL), c.Redis.Timeout, c.Redis.Replicas)
	e := c.Edge
	fmt.Fprintf(&b, " edge={api_keys=%d jwt_hs256_secret=%s jwt_jwks_file=%s jwt_issuer=%s jwt_audience=%s metrics=%s cors_origins=%s introspection=%v field_suggestions=%v ide=%v federation_sdl=%v share_inflight=%v client_rate_limit=%s client_rate_by=%s client_address_header=%s read_header_timeout=%s read_timeout=%s write_timeout=%s idle_timeout=%s request_timeout=%s shutdown_grace=%s}",
		len(e.APIKeys), mask(e.JWTSecret), e.JWKSFile, e.JWTIssuer, e.JWTAudience, e.Metrics, strings.Join(e.CORSOrigins, ","),
		e.Introspection, e.FieldSuggestions, e.IDE, e.FederationSDL, e.ShareInFlight, e.ClientRate, e.ClientRateBy, e.ClientAddressHeader, e.ReadHeaderTimeout, e.ReadTimeout, e.WriteTimeout, e.IdleTimeout, e.RequestTimeout, e.ShutdownGrace)
	l := c.Limits
	fmt.Fprintf(&b, " limits={max_depth=%d max_aliases=%d max_cost=%d max_tokens=%d max_body_bytes=%d max_operations=%d}",
		l.MaxDepth, l.MaxAliases, l.MaxCost, l.MaxTokens, l.MaxBodyBytes, l.MaxOperations)
	r := c.Resilience
	fmt.Fprintf(&b, " resilience={quota_max_wait=%s retries=%d retry_budget=%s breaker_failures=%d breaker_open=%s cache_size=%d}",
		r.QuotaMaxWait, r.Retries, r.RetryBudget, r.BreakerFailures, r.BreakerOpen, r.CacheSize)
	idx := make([]int, 0, len(c.SelfDefineLabels))
	for i := range c.SelfDefineLabels {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		parts = append(parts, fmt.Sprintf("%d=%s", i, c.SelfDefineLabels[i]))
	}
	fmt.Fprintf(&b, " u8_self_define_labels=%s", strings.Join(parts, ","))
	return b.String()
}
