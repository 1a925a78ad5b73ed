package config

import (
	"strings"
	"testing"
	"time"

	"custgraph/internal/quota"
)

func TestResilienceDefaults(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.CRM.Tuning, (Tuning{RateLimit: quota.Rate{N: 10, Per: 10 * time.Second}, Timeout: 10 * time.Second, MaxConns: 10, CacheTTL: 5 * time.Minute}); got != want {
		t.Errorf("CRM tuning %+v, want %+v", got, want)
	}
	if got, want := c.U8.Tuning, (Tuning{RateLimit: quota.Rate{Off: true}, Timeout: 10 * time.Second, MaxConns: 32, CacheTTL: time.Minute}); got != want {
		t.Errorf("U8 tuning %+v, want %+v", got, want)
	}
	if got, want := c.Resilience, (Resilience{QuotaMaxWait: 15 * time.Second, Retries: 2, RetryBudget: 4 * time.Second, BreakerFailures: 5, BreakerOpen: 10 * time.Second, CacheSize: 10000}); got != want {
		t.Errorf("resilience %+v, want %+v", got, want)
	}
}

func TestResilienceOverrides(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"CUSTGRAPH_YCM_RATE_LIMIT": "100/1m", "CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_U8_TIMEOUT": "2s",
		"CUSTGRAPH_U8_CACHE_TTL": "0", "CUSTGRAPH_CRM_MAX_CONNS": "4", "CUSTGRAPH_QUOTA_MAX_WAIT": "500ms",
		"CUSTGRAPH_RETRIES": "0", "CUSTGRAPH_BREAKER_FAILURES": "3", "CUSTGRAPH_BREAKER_OPEN": "1s", "CUSTGRAPH_CACHE_SIZE": "50",
		"CUSTGRAPH_RETRY_BUDGET": "1500ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.YCM.Tuning.RateLimit != (quota.Rate{N: 100, Per: time.Minute}) || !c.CRM.Tuning.RateLimit.Off ||
		c.U8.Tuning.Timeout != 2*time.Second || c.U8.Tuning.CacheTTL != 0 || c.CRM.Tuning.MaxConns != 4 {
		t.Errorf("tunings not read: %+v %+v %+v", c.U8.Tuning, c.YCM.Tuning, c.CRM.Tuning)
	}
	if want := (Resilience{QuotaMaxWait: 500 * time.Millisecond, Retries: 0, RetryBudget: 1500 * time.Millisecond, BreakerFailures: 3, BreakerOpen: time.Second, CacheSize: 50}); c.Resilience != want {
		t.Errorf("resilience %+v, want %+v", c.Resilience, want)
	}
	s := c.String()
	for _, want := range []string{"crm_calls={rate_limit=off", "ycm_calls={rate_limit=100/1m0s", "retries=0", "retry_budget=1.5s"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q: %s", want, s)
		}
	}
}

func TestResilienceBadValuesNameTheVariable(t *testing.T) {
	bad := map[string]string{
		"CUSTGRAPH_CRM_RATE_LIMIT": "10", "CUSTGRAPH_U8_TIMEOUT": "0", "CUSTGRAPH_YCM_CACHE_TTL": "-1s",
		"CUSTGRAPH_CRM_MAX_CONNS": "0", "CUSTGRAPH_QUOTA_MAX_WAIT": "soon", "CUSTGRAPH_RETRIES": "-1",
		"CUSTGRAPH_BREAKER_FAILURES": "0", "CUSTGRAPH_BREAKER_OPEN": "x", "CUSTGRAPH_CACHE_SIZE": "many",
		"CUSTGRAPH_RETRY_BUDGET": "0",
	}
	_, err := Load(envOf(bad))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestRedisURLIsCheckedAndMasked(t *testing.T) {
	c, err := Load(envOf(map[string]string{"CUSTGRAPH_REDIS_URL": "rediss://:S3CRET-PW@redis.example.com:6380/2", "CUSTGRAPH_REPLICAS": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.Replicas != 3 || c.Redis.Timeout != 250*time.Millisecond {
		t.Errorf("redis %+v", c.Redis)
	}
	if s := c.String(); strings.Contains(s, "S3CRET-PW") || !strings.Contains(s, "rediss://***@redis.example.com:6380/2") {
		t.Errorf("String() = %s", s)
	}
	_, err = Load(envOf(map[string]string{"CUSTGRAPH_REDIS_URL": "http://:S3CRET-PW@x:1"}))
	if err == nil || !strings.Contains(err.Error(), "CUSTGRAPH_REDIS_URL") || strings.Contains(err.Error(), "S3CRET-PW") {
		t.Errorf("bad URL: %v", err)
	}
}

func TestEdgeDefaultsFollowDemoMode(t *testing.T) {
	demo, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if e := demo.Edge; !e.Introspection || !e.FieldSuggestions || !e.IDE || e.Authenticated() || e.Metrics != "open" ||
		!e.ClientRate.Off || e.ClientRateBy != ClientRateByPrincipal || e.ClientAddressHeader != "" || !e.FederationSDL ||
		e.RequestTimeout != 30*time.Second || e.ShutdownGrace != 15*time.Second {
		t.Errorf("demo edge %+v", e)
	}
	prod, err := Load(envOf(map[string]string{"CUSTGRAPH_CRM_BASE_URL": "https://crm.example.com", "CUSTGRAPH_CRM_LOGIN": "1",
		"CUSTGRAPH_CRM_PASSWORD": "p", "CUSTGRAPH_API_KEYS": " k1 ,, k2 ", "CUSTGRAPH_JWT_HS256_SECRET": "JWT-S3CRET"}))
	if err != nil {
		t.Fatal(err)
	}
	if e := prod.Edge; e.Introspection || e.FieldSuggestions || e.IDE || !e.Authenticated() || len(e.APIKeys) != 2 ||
		!e.FederationSDL || !e.ClientRate.Off {
		t.Errorf("production edge %+v", e)
	}
	if s := prod.String(); strings.Contains(s, "JWT-S3CRET") || strings.Contains(s, "k1") {
		t.Errorf("String() shows a secret: %s", s)
	}
}

func TestEdgeBadValuesNameTheVariable(t *testing.T) {
	bad := map[string]string{"CUSTGRAPH_METRICS": "public", "CUSTGRAPH_INTROSPECTION": "maybe", "CUSTGRAPH_CLIENT_RATE_LIMIT": "lots",
		"CUSTGRAPH_REQUEST_TIMEOUT": "0s", "CUSTGRAPH_IDE": "2", "CUSTGRAPH_FEDERATION_SDL": "sometimes",
		"CUSTGRAPH_CLIENT_RATE_BY": "ip", "CUSTGRAPH_CLIENT_ADDRESS_HEADER": "X Forwarded"}
	_, err := Load(envOf(bad))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if _, err := Load(envOf(map[string]string{"CUSTGRAPH_WRITE_TIMEOUT": "10s"})); err == nil || !strings.Contains(err.Error(), "CUSTGRAPH_WRITE_TIMEOUT") {
		t.Errorf("a write timeout shorter than the request timeout: %v", err)
	}
}

func TestClientRateSettings(t *testing.T) {
	c, err := Load(envOf(map[string]string{"CUSTGRAPH_CLIENT_RATE_LIMIT": "600/1m", "CUSTGRAPH_CLIENT_RATE_BY": "Address",
		"CUSTGRAPH_CLIENT_ADDRESS_HEADER": "x-forwarded-for", "CUSTGRAPH_FEDERATION_SDL": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Edge
	if e.ClientRate != (quota.Rate{N: 600, Per: time.Minute}) || e.ClientRateBy != ClientRateByAddress ||
		e.ClientAddressHeader != "X-Forwarded-For" || e.FederationSDL {
		t.Errorf("edge %+v", e)
	}
	for _, want := range []string{"client_rate_limit=600/1m0s", "client_rate_by=address", "client_address_header=X-Forwarded-For", "federation_sdl=false"} {
		if !strings.Contains(c.String(), want) {
			t.Errorf("String() lacks %q", want)
		}
	}
}
