package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"custgraph/internal/config"
	"custgraph/internal/customer"
	"custgraph/internal/directory"
	"custgraph/internal/guard"
	"custgraph/internal/httpx"
	crmclient "custgraph/internal/provider/crm"
	"custgraph/internal/provider/session"
	u8client "custgraph/internal/provider/u8"
	ycmclient "custgraph/internal/provider/ycm"
	"custgraph/internal/quota"
	"custgraph/internal/redisstore"
	"custgraph/internal/telemetry"
)

// vendors are the configured vendor clients, each behind its guard; a nil
// field is a disabled source.
type vendors struct {
	u8  *guard.U8
	ycm *guard.YCM
	crm *guard.CRM
}

// newVendors makes one client per configured upstream, each with its own
// tuned HTTP client paced to the vendor's quota, behind a guard (cache,
// coalescing, retries, circuit breaker). With a store, quotas,
// credentials and the cache are shared with the other replicas.
func newVendors(cfg *config.Config, store *redisstore.Store, obs httpx.Observer, log *slog.Logger) (vendors, error) {
	var v vendors
	r := cfg.Resilience
	httpClient := func(src customer.Source, t config.Tuning, throttled func(*http.Response) bool) *http.Client {
		o := httpx.ClientOptions{Timeout: t.Timeout, MaxConns: t.MaxConns, Source: src, MaxWait: r.QuotaMaxWait,
			Observer: obs, Throttled: throttled}
		switch {
		case t.RateLimit.Off || t.RateLimit.N <= 0:
		case store != nil:
			o.Limiter = redisstore.NewLimiter(store, strings.ToLower(string(src)), t.RateLimit, cfg.Redis.Replicas)
		default:
			o.Limiter = quota.NewWindow(t.RateLimit, nil)
		}
		return httpx.NewClient(o)
	}
	credential := func(src customer.Source, identity ...string) session.Shared {
		if store == nil {
			return nil
		}
		return redisstore.NewCredential(store, strings.ToLower(string(src)), strings.Join(identity, "\x00"))
	}
	guarded := func(t config.Tuning) guard.Options {
		retries := r.Retries
		if retries == 0 {
			retries = -1 // guard's zero is its default
		}
		o := guard.Options{Retries: retries, RetryBudget: r.RetryBudget, BreakerFailures: r.BreakerFailures, BreakerOpen: r.BreakerOpen,
			CacheTTL: t.CacheTTL, CacheSize: r.CacheSize, Log: log}
		if store != nil {
			o.Remote = redisstore.NewCache(store)
		}
		return o
	}
	if c := cfg.U8; c.Enabled() {
		u8, err := u8client.New(u8client.Config{BaseURL: c.BaseURL, FromAccount: c.FromAccount,
			ToAccount: c.ToAccount, AppKey: c.AppKey, AppSecret: c.AppSecret, DSSequence: c.DSSequence,
			HTTPClient: httpClient(customer.U8, c.Tuning, nil), Shared: credential(customer.U8, c.BaseURL, c.FromAccount, c.ToAccount, c.AppKey)})
		if err != nil {
			return v, err
		}
		v.u8 = guard.NewU8(u8, guarded(c.Tuning))
	}
	if c := cfg.YCM; c.Enabled() {
		ycm, err := ycmclient.New(ycmclient.Config{BaseURL: c.BaseURL, ClientID: c.ClientID,
			ClientSecret: c.ClientSecret, HTTPClient: httpClient(customer.YCM, c.Tuning, nil),
			Shared: credential(customer.YCM, c.BaseURL, c.ClientID)})
		if err != nil {
			return v, err
		}
		v.ycm = guard.NewYCM(ycm, guarded(c.Tuning))
	}
	if c := cfg.CRM; c.Enabled() {
		crm, err := crmclient.New(crmclient.Config{BaseURL: c.BaseURL, Login: c.Login,
			Password: c.Password, CorpID: c.CorpID, HTTPClient: httpClient(customer.CRM, c.Tuning, crmclient.Throttled),
			Shared: credential(customer.CRM, c.BaseURL, c.Login, c.CorpID)})
		if err != nil {
			return v, err
		}
		v.crm = guard.NewCRM(crm, guarded(c.Tuning))
	}
	return v, nil
}

// sources are the vendors as the service takes them (a nil interface, not
// a typed nil, for a disabled source).
func (v vendors) sources() customer.Sources {
	var s customer.Sources
	if v.u8 != nil {
		s.U8 = v.u8
	}
	if v.ycm != nil {
		s.YCM = v.ycm
	}
	if v.crm != nil {
		s.CRM = v.crm
	}
	return s
}

// guard returns src's guard, nil when src is disabled.
func (v vendors) guard(src customer.Source) *guard.Guard {
	switch {
	case src == customer.U8 && v.u8 != nil:
		return v.u8.Guard
	case src == customer.YCM && v.ycm != nil:
		return v.ycm.Guard
	case src == customer.CRM && v.crm != nil:
		return v.crm.Guard
	}
	return nil
}

// telemetry are the guards as telemetry reads them.
func (v vendors) telemetry() map[customer.Source]telemetry.Vendor {
	out := map[customer.Source]telemetry.Vendor{}
	for _, src := range customer.AllSources {
		if g := v.guard(src); g != nil {
			out[src] = g
		}
	}
	return out
}

// circuit is src's circuit state ("" for a disabled source).
func (v vendors) circuit(src customer.Source) string {
	if g := v.guard(src); g != nil {
		return g.Circuit()
	}
	return ""
}

// known answers the loaders from what this process already holds: the
// guards' caches, and the service's YCM name index.
type known struct {
	v   vendors
	svc *customer.Service
	dir *directory.Directory // nil when off
}

// Record implements loader.Known: the directory's fresh copy first, then
// the guard's cache.
func (k known) Record(src customer.Source, key string) (*customer.Customer, bool) {
	if k.dir != nil {
		if c, ok := k.dir.Record(src, key); ok {
			return c, true
		}
	}
	if g := k.v.guard(src); g != nil {
		return g.PeekGet(key)
	}
	return nil, false
}

// Named implements loader.Known: YCM has no search, so its names are the
// service's index; the others' are their guards' caches.
func (k known) Named(src customer.Source, name string) ([]*customer.Customer, bool) {
	if k.dir != nil {
		if cs, ok := k.dir.Named(src, name); ok {
			return cs, true
		}
	}
	if src == customer.YCM {
		return k.svc.PeekName(src, name)
	}
	if g := k.v.guard(src); g != nil {
		return g.PeekName(name)
	}
	return nil, false
}

// forget drops what each guard's caches hold about the changed records
// (here and in Redis), so that by-key reads are as fresh as the sync.
func (v vendors) forget(cs []*customer.Change) {
	// Bounded by the Redis timeout; the sync's apply waits for it, which
	// keeps a subscriber's query after the event from reading the old copy.
	ctx := context.Background()
	for _, src := range customer.AllSources {
		if g := v.guard(src); g != nil {
			g.Forget(ctx, cs)
		}
	}
}
