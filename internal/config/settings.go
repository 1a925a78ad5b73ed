package config

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/gqlhttp"
	"custgraph/internal/limits"
	"custgraph/internal/quota"
	"custgraph/internal/redact"
)

// setting is one CUSTGRAPH_* variable, declared once: Load, validation,
// String and Unknown are all derived from the table of settings, so that
// a new field needs one entry here and nothing else (tests fail until a
// field of Config has its setting and the README documents it).
type setting struct {
	name string
	// def is what an unset or blank variable stands for, written as the
	// variable would be ("10s", "off"); "" is the field's zero value.
	def string
	// demoDef makes the default "on" in demo mode and "off" otherwise
	// (def is unused): such settings are loaded after all others, once
	// the demo mode is known.
	demoDef bool
	// demo, when set, is the default in demo mode (def stays the default
	// otherwise): loaded after the others, like demoDef.
	demo string
	// secret settings show as "***" when set and "" when unset, and their
	// values never appear in an error.
	secret bool
	// requiredWith names the base URL that, when set, makes this setting
	// required: a source's credentials are useless without it, and it
	// cannot be called without them.
	requiredWith string
	bind         binding
}

// binding ties a setting to its field of Config.
type binding struct {
	// field returns a pointer to the field (as any), for the test that
	// every field of Config has exactly one setting.
	field func(*Config) any
	// parse stores the value v in the field; on an error it leaves the
	// field as it was (holding the default).
	parse func(c *Config, v string) error
	// show is the field as String prints it.
	show func(c *Config) string
}

// bind makes the binding of a field of type T from its accessor, its
// parser and its printer.
func bind[T any](field func(*Config) *T, parse func(string) (T, error), show func(T) string) binding {
	return binding{
		field: func(c *Config) any { return field(c) },
		parse: func(c *Config, v string) error {
			x, err := parse(v)
			if err == nil {
				*field(c) = x
			}
			return err
		},
		show: func(c *Config) string { return show(*field(c)) },
	}
}

// section groups settings in String's dump as key={…}; the top level has
// no key. A setting's key in the dump is its name without the section's
// prefix (or without CUSTGRAPH_), in lower case: u8={app_key=…}.
type section struct {
	key      string
	prefix   string
	settings []setting
}

// dumpKey is s's key in String's dump.
func (sec section) dumpKey(s setting) string {
	name, ok := strings.CutPrefix(s.name, sec.prefix)
	if !ok {
		name = strings.TrimPrefix(s.name, envPrefix)
	}
	return strings.ToLower(name)
}

// envPrefix starts every setting's name.
const envPrefix = "CUSTGRAPH_"

// sourceTuning is one source's defaults of CUSTGRAPH_<SOURCE>_RATE_LIMIT,
// _TIMEOUT, _MAX_CONNS and _CACHE_TTL.
type sourceTuning struct {
	source                string // as in the variables' names
	field                 func(*Config) *Tuning
	rate, conns, cacheTTL string
}

// tunings are the sources' defaults: the CRM's is its published quota
// (10 calls in 10s) and pool; U8 and YCM publish no quota, take more
// connections, and their records change less often than CRM contacts.
var tunings = []sourceTuning{
	{"U8", func(c *Config) *Tuning { return &c.U8.Tuning }, "off", "32", "1m"},
	{"YCM", func(c *Config) *Tuning { return &c.YCM.Tuning }, "off", "32", "1m"},
	{"CRM", func(c *Config) *Tuning { return &c.CRM.Tuning }, "10/10s", "10", "5m"},
}

// table declares every setting, in the order String prints them.
var table = buildTable()

func buildTable() []section {
	lim := limits.Defaults()
	t := []section{
		{prefix: envPrefix, settings: []setting{
			{name: "CUSTGRAPH_ADDR", def: "127.0.0.1:8080", bind: text(func(c *Config) *string { return &c.Addr })},
			{name: "CUSTGRAPH_DEBUG_ADDR", bind: text(func(c *Config) *string { return &c.DebugAddr })},
			{name: "CUSTGRAPH_DEMO", def: DemoAuto, bind: choice(func(c *Config) *string { return &c.Demo }, DemoAuto, DemoOn, DemoOff)},
		}},
		{key: "u8", prefix: "CUSTGRAPH_U8_", settings: []setting{
			{name: "CUSTGRAPH_U8_BASE_URL", bind: baseURL(func(c *Config) *string { return &c.U8.BaseURL })},
			{name: "CUSTGRAPH_U8_FROM_ACCOUNT", requiredWith: "CUSTGRAPH_U8_BASE_URL", bind: text(func(c *Config) *string { return &c.U8.FromAccount })},
			{name: "CUSTGRAPH_U8_TO_ACCOUNT", requiredWith: "CUSTGRAPH_U8_BASE_URL", bind: text(func(c *Config) *string { return &c.U8.ToAccount })},
			// The app key is a secret too: with the secret it buys a
			// token, and U8 puts it in query strings.
			{name: "CUSTGRAPH_U8_APP_KEY", secret: true, requiredWith: "CUSTGRAPH_U8_BASE_URL", bind: text(func(c *Config) *string { return &c.U8.AppKey })},
			{name: "CUSTGRAPH_U8_APP_SECRET", secret: true, requiredWith: "CUSTGRAPH_U8_BASE_URL", bind: text(func(c *Config) *string { return &c.U8.AppSecret })},
			{name: "CUSTGRAPH_U8_DS_SEQUENCE", bind: text(func(c *Config) *string { return &c.U8.DSSequence })},
		}},
		{key: "ycm", prefix: "CUSTGRAPH_YCM_", settings: []setting{
			{name: "CUSTGRAPH_YCM_BASE_URL", bind: baseURL(func(c *Config) *string { return &c.YCM.BaseURL })},
			{name: "CUSTGRAPH_YCM_CLIENT_ID", requiredWith: "CUSTGRAPH_YCM_BASE_URL", bind: text(func(c *Config) *string { return &c.YCM.ClientID })},
			{name: "CUSTGRAPH_YCM_CLIENT_SECRET", secret: true, requiredWith: "CUSTGRAPH_YCM_BASE_URL", bind: text(func(c *Config) *string { return &c.YCM.ClientSecret })},
		}},
		{key: "crm", prefix: "CUSTGRAPH_CRM_", settings: []setting{
			{name: "CUSTGRAPH_CRM_BASE_URL", bind: baseURL(func(c *Config) *string { return &c.CRM.BaseURL })},
			{name: "CUSTGRAPH_CRM_LOGIN", requiredWith: "CUSTGRAPH_CRM_BASE_URL", bind: text(func(c *Config) *string { return &c.CRM.Login })},
			{name: "CUSTGRAPH_CRM_PASSWORD", secret: true, requiredWith: "CUSTGRAPH_CRM_BASE_URL", bind: text(func(c *Config) *string { return &c.CRM.Password })},
			{name: "CUSTGRAPH_CRM_CORP_ID", bind: text(func(c *Config) *string { return &c.CRM.CorpID })},
		}},
	}
	for _, st := range tunings {
		field := st.field
		prefix := envPrefix + st.source + "_"
		t = append(t, section{key: strings.ToLower(st.source) + "_calls", prefix: prefix, settings: []setting{
			{name: prefix + "RATE_LIMIT", def: st.rate, bind: rate(func(c *Config) *quota.Rate { return &field(c).RateLimit })},
			{name: prefix + "TIMEOUT", def: "10s", bind: duration(func(c *Config) *time.Duration { return &field(c).Timeout }, false)},
			{name: prefix + "MAX_CONNS", def: st.conns, bind: count(func(c *Config) *int { return &field(c).MaxConns }, 1)},
			{name: prefix + "CACHE_TTL", def: st.cacheTTL, bind: duration(func(c *Config) *time.Duration { return &field(c).CacheTTL }, true)},
		}})
	}
	return append(t,
		section{key: "redis", prefix: "CUSTGRAPH_REDIS_", settings: []setting{
			// Not a secret as a whole: String shows it with its user
			// info masked, which tells whether a password is set.
			{name: "CUSTGRAPH_REDIS_URL", bind: redisURL(func(c *Config) *string { return &c.Redis.URL })},
			{name: "CUSTGRAPH_REDIS_TIMEOUT", def: "250ms", bind: duration(func(c *Config) *time.Duration { return &c.Redis.Timeout }, false)},
			{name: "CUSTGRAPH_REPLICAS", def: "1", bind: count(func(c *Config) *int { return &c.Redis.Replicas }, 1)},
		}},
		section{key: "edge", prefix: envPrefix, settings: []setting{
			{name: "CUSTGRAPH_API_KEYS", secret: true, bind: list(func(c *Config) *[]string { return &c.Edge.APIKeys })},
			{name: "CUSTGRAPH_JWT_HS256_SECRET", secret: true, bind: text(func(c *Config) *string { return &c.Edge.JWTSecret })},
			{name: "CUSTGRAPH_JWT_JWKS_FILE", bind: text(func(c *Config) *string { return &c.Edge.JWKSFile })},
			{name: "CUSTGRAPH_JWT_ISSUER", bind: text(func(c *Config) *string { return &c.Edge.JWTIssuer })},
			{name: "CUSTGRAPH_JWT_AUDIENCE", bind: text(func(c *Config) *string { return &c.Edge.JWTAudience })},
			{name: "CUSTGRAPH_ACCESS_LOG", def: "on", bind: sampling(func(c *Config) *int { return &c.Edge.AccessLog })},
			{name: "CUSTGRAPH_METRICS", def: "open", bind: choice(func(c *Config) *string { return &c.Edge.Metrics }, "open", "auth", "off")},
			{name: "CUSTGRAPH_CORS_ORIGINS", bind: list(func(c *Config) *[]string { return &c.Edge.CORSOrigins })},
			{name: "CUSTGRAPH_INTROSPECTION", demoDef: true, bind: onOff(func(c *Config) *bool { return &c.Edge.Introspection })},
			{name: "CUSTGRAPH_FIELD_SUGGESTIONS", demoDef: true, bind: onOff(func(c *Config) *bool { return &c.Edge.FieldSuggestions })},
			{name: "CUSTGRAPH_IDE", demoDef: true, bind: onOff(func(c *Config) *bool { return &c.Edge.IDE })},
			{name: "CUSTGRAPH_FEDERATION_SDL", def: "on", bind: onOff(func(c *Config) *bool { return &c.Edge.FederationSDL })},
			{name: "CUSTGRAPH_SHARE_INFLIGHT", def: "on", bind: onOff(func(c *Config) *bool { return &c.Edge.ShareInFlight })},
			{name: "CUSTGRAPH_COMPILED", def: "on", bind: onOff(func(c *Config) *bool { return &c.Edge.Compiled })},
			{name: "CUSTGRAPH_CLIENT_RATE_LIMIT", def: "off", bind: rate(func(c *Config) *quota.Rate { return &c.Edge.ClientRate })},
			{name: "CUSTGRAPH_CLIENT_RATE_BY", def: ClientRateByPrincipal, bind: choice(func(c *Config) *string { return &c.Edge.ClientRateBy }, ClientRateByPrincipal, ClientRateByAddress)},
			{name: "CUSTGRAPH_CLIENT_ADDRESS_HEADER", bind: header(func(c *Config) *string { return &c.Edge.ClientAddressHeader })},
			{name: "CUSTGRAPH_READ_HEADER_TIMEOUT", def: "5s", bind: duration(func(c *Config) *time.Duration { return &c.Edge.ReadHeaderTimeout }, false)},
			{name: "CUSTGRAPH_READ_TIMEOUT", def: "30s", bind: duration(func(c *Config) *time.Duration { return &c.Edge.ReadTimeout }, false)},
			{name: "CUSTGRAPH_WRITE_TIMEOUT", def: "60s", bind: duration(func(c *Config) *time.Duration { return &c.Edge.WriteTimeout }, false)},
			{name: "CUSTGRAPH_IDLE_TIMEOUT", def: "2m", bind: duration(func(c *Config) *time.Duration { return &c.Edge.IdleTimeout }, false)},
			{name: "CUSTGRAPH_REQUEST_TIMEOUT", def: "30s", bind: duration(func(c *Config) *time.Duration { return &c.Edge.RequestTimeout }, false)},
			{name: "CUSTGRAPH_SHUTDOWN_GRACE", def: "15s", bind: duration(func(c *Config) *time.Duration { return &c.Edge.ShutdownGrace }, false)},
		}},
		// The limits' defaults are internal/limits's (the body's,
		// internal/gqlhttp's), which explain them.
		section{key: "limits", prefix: envPrefix, settings: []setting{
			{name: "CUSTGRAPH_MAX_DEPTH", def: strconv.Itoa(lim.MaxDepth), bind: count(func(c *Config) *int { return &c.Limits.MaxDepth }, 0)},
			{name: "CUSTGRAPH_MAX_ALIASES", def: strconv.Itoa(lim.MaxAliases), bind: count(func(c *Config) *int { return &c.Limits.MaxAliases }, 0)},
			{name: "CUSTGRAPH_MAX_COST", def: strconv.Itoa(lim.MaxCost), bind: count(func(c *Config) *int { return &c.Limits.MaxCost }, 0)},
			{name: "CUSTGRAPH_MAX_TOKENS", def: strconv.Itoa(lim.MaxTokens), bind: count(func(c *Config) *int { return &c.Limits.MaxTokens }, 0)},
			{name: "CUSTGRAPH_MAX_BODY_BYTES", def: strconv.FormatInt(gqlhttp.DefaultMaxBodyBytes, 10), bind: count(func(c *Config) *int64 { return &c.Edge.MaxBodyBytes }, 0)},
			{name: "CUSTGRAPH_MAX_OPERATIONS", def: strconv.Itoa(lim.MaxOperations), bind: count(func(c *Config) *int { return &c.Limits.MaxOperations }, 0)},
		}},
		section{key: "resilience", prefix: envPrefix, settings: []setting{
			{name: "CUSTGRAPH_QUOTA_MAX_WAIT", def: "15s", bind: duration(func(c *Config) *time.Duration { return &c.Resilience.QuotaMaxWait }, false)},
			{name: "CUSTGRAPH_RETRIES", def: "2", bind: count(func(c *Config) *int { return &c.Resilience.Retries }, 0)},
			{name: "CUSTGRAPH_RETRY_BUDGET", def: "4s", bind: duration(func(c *Config) *time.Duration { return &c.Resilience.RetryBudget }, false)},
			{name: "CUSTGRAPH_BREAKER_FAILURES", def: "5", bind: count(func(c *Config) *int { return &c.Resilience.BreakerFailures }, 1)},
			{name: "CUSTGRAPH_BREAKER_OPEN", def: "10s", bind: duration(func(c *Config) *time.Duration { return &c.Resilience.BreakerOpen }, false)},
			{name: "CUSTGRAPH_CACHE_SIZE", def: "10000", bind: count(func(c *Config) *int { return &c.Resilience.CacheSize }, 1)},
		}},
		section{key: "directory", prefix: envPrefix, settings: []setting{
			{name: "CUSTGRAPH_DIRECTORY", def: "on", bind: onOff(func(c *Config) *bool { return &c.Directory.On })},
			{name: "CUSTGRAPH_DATA_DIR", bind: text(func(c *Config) *string { return &c.Directory.DataDir })},
			// Demo mode's simulators are local: a change at them shows
			// in the IDE's LiveChanges tab within seconds.
			{name: "CUSTGRAPH_SYNC_INTERVAL", def: "30s", demo: "5s", bind: duration(func(c *Config) *time.Duration { return &c.Directory.Interval }, false)},
			{name: "CUSTGRAPH_SYNC_FULL_INTERVAL", def: "24h", bind: duration(func(c *Config) *time.Duration { return &c.Directory.FullInterval }, false)},
			{name: "CUSTGRAPH_DIRECTORY_MAX_AGE", def: "10m", bind: duration(func(c *Config) *time.Duration { return &c.Directory.MaxAge }, false)},
			{name: "CUSTGRAPH_SYNC_YCM_PACE", def: "100ms", bind: duration(func(c *Config) *time.Duration { return &c.Directory.YCMPace }, true)},
			{name: "CUSTGRAPH_SYNC_LEASE", def: "15s", bind: duration(func(c *Config) *time.Duration { return &c.Directory.LeaseTTL }, false)},
			{name: "CUSTGRAPH_MATCH_THRESHOLD", def: strconv.FormatFloat(customer.DefaultMatchThreshold, 'g', -1, 64), bind: fraction(func(c *Config) *float64 { return &c.Directory.MatchThreshold })},
		}},
		section{key: "subscriptions", prefix: envPrefix, settings: []setting{
			{name: "CUSTGRAPH_SUBSCRIPTIONS_PER_CLIENT", def: "20", bind: count(func(c *Config) *int { return &c.Subscriptions.PerClient }, 1)},
			{name: "CUSTGRAPH_SUBSCRIPTION_BUFFER", def: "256", bind: count(func(c *Config) *int { return &c.Subscriptions.Buffer }, 1)},
			{name: "CUSTGRAPH_STREAM_KEEPALIVE", def: "15s", bind: duration(func(c *Config) *time.Duration { return &c.Subscriptions.KeepAlive }, false)},
			{name: "CUSTGRAPH_STREAM_INIT_TIMEOUT", def: "10s", bind: duration(func(c *Config) *time.Duration { return &c.Subscriptions.InitTimeout }, false)},
			{name: "CUSTGRAPH_STREAM_IDLE_TIMEOUT", def: "5m", bind: duration(func(c *Config) *time.Duration { return &c.Subscriptions.IdleTimeout }, false)},
			{name: "CUSTGRAPH_STREAM_MAX_LIFETIME", def: "1h", bind: duration(func(c *Config) *time.Duration { return &c.Subscriptions.MaxLifetime }, false)},
		}},
		// Last, as it is the longest and least often read.
		section{prefix: envPrefix, settings: []setting{
			{name: "CUSTGRAPH_U8_SELF_DEFINE_LABELS", bind: labels(func(c *Config) *map[int]string { return &c.SelfDefineLabels })},
		}},
	)
}

// each calls f with every setting of the table and its section.
func each(f func(sec section, s setting)) {
	for _, sec := range table {
		for _, s := range sec.settings {
			f(sec, s)
		}
	}
}

// The kinds of settings. Each parser gets the value trimmed, and "" for
// an unset variable whose default is ""; each error says what the value
// must be, and Load puts the variable's name in front of it.

func identity(s string) string { return s }

// text is any string.
func text(field func(*Config) *string) binding {
	return bind(field, func(v string) (string, error) { return v, nil }, identity)
}

// baseURL is a source's base URL: http(s) only, and without user info or
// query, since a base URL is printed at start-up and credentials have
// variables of their own.
func baseURL(field func(*Config) *string) binding {
	return bind(field, func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", errors.New("must be an http(s) URL such as https://api.example.com")
		}
		if u.User != nil || u.RawQuery != "" {
			return "", errors.New("must not carry credentials or a query string; use the dedicated variables")
		}
		return v, nil
	}, redact.URL)
}

// redisURL is redis://[:password@]host:port[/db] or rediss://…; the error
// never shows it, as it holds the password.
func redisURL(field func(*Config) *string) binding {
	return bind(field, func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return "", errors.New("must be redis://[:password@]host:port[/db] or rediss://… for TLS")
		}
		return v, nil
	}, redact.URL)
}

// duration is a Go duration ("250ms", "10s"), positive unless zeroOK
// allows "0" to turn something off.
func duration(field func(*Config) *time.Duration, zeroOK bool) binding {
	return bind(field, func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 || (d == 0 && !zeroOK) {
			if zeroOK {
				return 0, fmt.Errorf("must be a duration such as 1m, or 0 to turn it off, not %q", v)
			}
			return 0, fmt.Errorf("must be a positive duration such as 10s, not %q", v)
		}
		return d, nil
	}, time.Duration.String)
}

// count is a whole number of at least least.
func count[T ~int | ~int64](field func(*Config) *T, least int) binding {
	return bind(field, func(v string) (T, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < least {
			return 0, fmt.Errorf("must be a whole number of at least %d, not %q", least, v)
		}
		return T(n), nil
	}, func(n T) string { return strconv.FormatInt(int64(n), 10) })
}

// fraction is a number above 0 and at most 1 (0.9, 1).
func fraction(field func(*Config) *float64) binding {
	return bind(field, func(v string) (float64, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > 1 {
			return 0, fmt.Errorf("must be a number above 0 and at most 1, such as 0.9, not %q", v)
		}
		return f, nil
	}, func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) })
}

// onOff is on or off (also true/false, 1/0, yes/no).
func onOff(field func(*Config) *bool) binding {
	return bind(field, func(v string) (bool, error) {
		switch strings.ToLower(v) {
		case "on", "true", "1", "yes":
			return true, nil
		case "off", "false", "0", "no":
			return false, nil
		}
		return false, fmt.Errorf("must be on or off, not %q", v)
	}, strconv.FormatBool)
}

// choice is one of values, in any case; the field holds it as written in
// values.
func choice(field func(*Config) *string, values ...string) binding {
	return bind(field, func(v string) (string, error) {
		for _, allowed := range values {
			if strings.EqualFold(v, allowed) {
				return allowed, nil
			}
		}
		return "", fmt.Errorf("must be one of %s, not %q", strings.Join(values, ", "), v)
	}, identity)
}

// sampling is "on" (1: every one), "off" (0) or "1/N" (one in N).
func sampling(field func(*Config) *int) binding {
	return bind(field, func(v string) (int, error) {
		switch strings.ToLower(v) {
		case "on":
			return 1, nil
		case "off":
			return 0, nil
		}
		if n, ok := strings.CutPrefix(v, "1/"); ok {
			if every, err := strconv.Atoi(n); err == nil && every >= 1 {
				return every, nil
			}
		}
		return 0, fmt.Errorf(`must be on, off or 1/N (one request in N, N ≥ 1), not %q`, v)
	}, func(n int) string {
		switch n {
		case 0:
			return "off"
		case 1:
			return "on"
		}
		return "1/" + strconv.Itoa(n)
	})
}

// header is an HTTP header name, held in its canonical form.
func header(field func(*Config) *string) binding {
	return bind(field, func(v string) (string, error) {
		for _, c := range v {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return "", fmt.Errorf("must be an HTTP header name such as X-Forwarded-For, not %q", v)
			}
		}
		return http.CanonicalHeaderKey(v), nil
	}, identity)
}

// list is comma-separated, empty items dropped.
func list(field func(*Config) *[]string) binding {
	return bind(field, func(v string) ([]string, error) {
		var out []string
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		return out, nil
	}, func(l []string) string { return strings.Join(l, ",") })
}

// rate is "N/duration" or "off" (quota.ParseRate).
func rate(field func(*Config) *quota.Rate) binding {
	return bind(field, quota.ParseRate, quota.Rate.String)
}

// labels is "1=信用等级,2=结算方式" (ParseLabels), printed by index.
func labels(field func(*Config) *map[int]string) binding {
	return bind(field, ParseLabels, func(m map[int]string) string {
		idx := make([]int, 0, len(m))
		for i := range m {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		parts := make([]string, 0, len(idx))
		for _, i := range idx {
			parts = append(parts, fmt.Sprintf("%d=%s", i, m[i]))
		}
		return strings.Join(parts, ",")
	})
}
