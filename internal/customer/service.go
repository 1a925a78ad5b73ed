package customer

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Sources are the vendor clients the service fans out to; a nil field is a
// source that is not configured.
type Sources struct {
	U8  U8Source
	YCM YCMSource
	CRM CRMSource
}

// ServiceOptions tunes the service. Zero values take the defaults.
type ServiceOptions struct {
	// PageSizes is the vendor page size used for lists, per source
	// (default U8 100, YCM 50, CRM 50). Cursors hold raw offsets into
	// these pages, so changing a size invalidates outstanding cursors.
	PageSizes map[Source]int
	// MaxScanPages bounds the vendor pages one list request may read per
	// source when custgraph filters itself (default 10).
	MaxScanPages int
	// FanOut bounds the concurrent by-key or by-name calls per source in
	// one batch (default 8): no vendor has a multi-get.
	FanOut int
	// YCMIndexRefresh is how often the YCM name index is rebuilt
	// (default 5 minutes); YCMIndexMax bounds how many YCM records it
	// holds (default 100000).
	YCMIndexRefresh time.Duration
	YCMIndexMax     int
	// Directory is the synced copy that answers search, order, phone
	// lookups and (through the loaders) exact names and keys; nil when
	// the directory is off.
	Directory Directory
	// Changes is the feed of the directory's changes that subscriptions
	// read; nil when the directory is off.
	Changes Changes
	// MatchThreshold is the least confidence of a link that matches
	// returns (0: DefaultMatchThreshold).
	MatchThreshold float64
}

// Service answers customer questions across the sources: it fans out in
// parallel, returns what the healthy sources have, and reports each failed
// source as an error beside the data.
type Service struct {
	src     Sources
	opts    ServiceOptions
	health  map[Source]*health
	ycmName *nameIndex
}

// NewService returns a Service over src.
func NewService(src Sources, o ServiceOptions) *Service {
	sizes := map[Source]int{U8: 100, YCM: 50, CRM: 50}
	for k, v := range o.PageSizes {
		if v > 0 {
			sizes[k] = v
		}
	}
	o.PageSizes = sizes
	if o.MaxScanPages <= 0 {
		o.MaxScanPages = 10
	}
	if o.FanOut <= 0 {
		o.FanOut = 8
	}
	if o.YCMIndexRefresh <= 0 {
		o.YCMIndexRefresh = 5 * time.Minute
	}
	if o.YCMIndexMax <= 0 {
		o.YCMIndexMax = 100000
	}
	s := &Service{src: src, opts: o, health: map[Source]*health{}}
	for _, source := range AllSources {
		s.health[source] = &health{}
	}
	if src.YCM != nil {
		s.ycmName = &nameIndex{list: src.YCM, pageSize: sizes[YCM], max: o.YCMIndexMax, observe: func(err error) { s.observe(YCM, err) }}
	}
	return s
}

// Run keeps the service's background work going until ctx ends: it builds
// the YCM name index at once and rebuilds it every YCMIndexRefresh. With a
// directory, whose copy of YCM answers names, the index is only the
// fallback while that copy is not serving: it is built when a name is
// asked then, and rebuilt only while the copy is still not serving.
func (s *Service) Run(ctx context.Context) {
	if s.ycmName == nil {
		return
	}
	t := time.NewTicker(s.opts.YCMIndexRefresh)
	defer t.Stop()
	for {
		if d := s.opts.Directory; d == nil || !d.Status(YCM).Serving() && s.ycmName.isBuilt() {
			s.ycmName.rebuild(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Enabled reports whether src is configured.
func (s *Service) Enabled(src Source) bool {
	switch src {
	case U8:
		return s.src.U8 != nil
	case YCM:
		return s.src.YCM != nil
	case CRM:
		return s.src.CRM != nil
	}
	return false
}

func (s *Service) getter(src Source) Getter {
	switch src {
	case U8:
		if s.src.U8 != nil {
			return s.src.U8
		}
	case YCM:
		if s.src.YCM != nil {
			return s.src.YCM
		}
	case CRM:
		if s.src.CRM != nil {
			return s.src.CRM
		}
	}
	return nil
}

func (s *Service) lister(src Source) Lister {
	if g := s.getter(src); g != nil {
		return g.(Lister)
	}
	return nil
}

// PeekName returns src's records named exactly name when the service
// already holds them, with no call: YCM's built name index. Other sources
// hold nothing here (ok false); their clients' caches are the gateway's.
func (s *Service) PeekName(src Source, name string) ([]*Customer, bool) {
	if src != YCM || s.ycmName == nil {
		return nil, false
	}
	return s.ycmName.peek(name)
}

// Key parses a global ID and checks that its source is enabled: a
// malformed ID and a disabled source are BAD_USER_INPUT, before any
// upstream call.
func (s *Service) Key(id string) (GlobalID, error) {
	gid, err := ParseGlobalID(id)
	if err != nil {
		return GlobalID{}, err
	}
	if !s.Enabled(gid.Source) {
		return GlobalID{}, disabled(gid.Source)
	}
	return gid, nil
}

// disabled is the error for a question to a source that is not configured.
func disabled(src Source) *Error {
	return BadInputf("source %s is not enabled on this gateway", src)
}

// GetMany fetches records of src by key, with at most FanOut calls at once.
// The result has one entry per key, in order; a missing record is a nil
// customer with a nil error.
func (s *Service) GetMany(ctx context.Context, src Source, keys []string) ([]*Customer, []error) {
	out := make([]*Customer, len(keys))
	errs := make([]error, len(keys))
	g := s.getter(src)
	if g == nil {
		for i := range errs {
			errs[i] = disabled(src)
		}
		return out, errs
	}
	s.each(ctx, len(keys), func(ctx context.Context, i int) {
		c, err := g.Get(ctx, keys[i])
		s.observe(src, err)
		switch {
		case IsNotFound(err):
		case err != nil:
			errs[i] = err
		default:
			out[i] = c
		}
	})
	return out, errs
}

// FindByNames finds, for each name, the records of src with exactly that
// name. YCM has no search: its answers come from the name index.
func (s *Service) FindByNames(ctx context.Context, src Source, names []string) ([][]*Customer, []error) {
	out := make([][]*Customer, len(names))
	errs := make([]error, len(names))
	var find func(ctx context.Context, name string) ([]*Customer, error)
	switch {
	case src == U8 && s.src.U8 != nil:
		find = s.src.U8.FindByName
	case src == CRM && s.src.CRM != nil:
		find = s.src.CRM.FindByName
	case src == YCM && s.ycmName != nil:
		if err := s.ycmName.ready(ctx); err != nil {
			for i := range errs {
				errs[i] = err
			}
			return out, errs
		}
		for i, n := range names {
			out[i] = s.ycmName.lookup(n)
		}
		return out, errs
	default:
		for i := range errs {
			errs[i] = disabled(src)
		}
		return out, errs
	}
	s.each(ctx, len(names), func(ctx context.Context, i int) {
		cs, err := find(ctx, names[i])
		s.observe(src, err)
		out[i], errs[i] = cs, err
	})
	return out, errs
}

// each runs fn for 0..n-1 with at most FanOut running at once.
func (s *Service) each(ctx context.Context, n int, fn func(ctx context.Context, i int)) {
	if n == 1 {
		fn(ctx, 0)
		return
	}
	sem := make(chan struct{}, s.opts.FanOut)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(ctx, i)
		}()
	}
	wg.Wait()
}

// MatchSources resolves the sources a `matches` question asks: the given
// ones (all others when none are given), enabled ones only.
func (s *Service) MatchSources(c *Customer, sources []Source) []Source {
	var out []Source
	if len(sources) == 0 {
		for _, src := range AllSources {
			if src != c.Source && s.Enabled(src) {
				out = append(out, src)
			}
		}
		return out
	}
	seen := map[Source]bool{}
	for _, src := range sources {
		if !seen[src] && s.Enabled(src) {
			seen[src] = true
			out = append(out, src)
		}
	}
	return out
}

// Statuses reports each source's state as the service saw it: enabled,
// and whether its last call failed. circuit, when not nil, tells a
// source's circuit (CLOSED, OPEN or HALF_OPEN; "" for none): the breakers
// are the gateway's, wrapped around the clients, and an open one makes its
// source unhealthy.
func (s *Service) Statuses(circuit func(Source) string) []*SourceStatus {
	out := make([]*SourceStatus, 0, len(AllSources))
	for _, src := range AllSources {
		st := s.health[src].status()
		st.Source = src
		st.Enabled = s.Enabled(src)
		if circuit != nil {
			if c := circuit(src); c != "" {
				st.Circuit = c
			}
		}
		if !st.Enabled || st.Circuit == "OPEN" {
			st.Healthy = false
		}
		if d := s.opts.Directory; d != nil {
			ds := d.Status(src)
			st.Directory = &ds
		}
		out = append(out, st)
	}
	return out
}

// observe records the outcome of one call to src. Not-found and bad input
// are answers, not failures; a call abandoned because its caller went
// away (a client that disconnected) says nothing of src and is not
// recorded: it made src unhealthy with an "internal error" until the
// next call.
func (s *Service) observe(src Source, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	if err != nil && (IsNotFound(err) || AsError(err).Code == CodeBadInput) {
		err = nil
	}
	s.health[src].record(err)
}

// health remembers the last outcome of calls to one source.
type health struct {
	mu      sync.Mutex
	failing bool
	lastErr string
}

func (h *health) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.failing = false
		return
	}
	h.failing = true
	// Message is client-safe by construction: it never holds a URL or a
	// secret (see Error).
	h.lastErr = AsError(err).Message
}

func (h *health) status() *SourceStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := &SourceStatus{Healthy: !h.failing, Circuit: "CLOSED"}
	if h.lastErr != "" {
		msg := h.lastErr
		st.LastError = &msg
	}
	return st
}
