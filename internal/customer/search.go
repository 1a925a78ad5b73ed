package customer

import (
	"context"
	"strings"
)

// The questions only the directory answers: search, order across sources
// and phone lookups. Each source whose copy is not serving is left out
// and reported with a DirectoryUnavailable error beside what the others
// answer, so a partial answer is never silent.

// DirectoryStatus reports src's copy; nil when the directory is off.
func (s *Service) DirectoryStatus(src Source) *DirectoryStatus {
	if s.opts.Directory == nil {
		return nil
	}
	st := s.opts.Directory.Status(src)
	return &st
}

// serving splits sources into those whose copy serves and the errors of
// the others.
func (s *Service) serving(sources []Source) ([]Source, []error) {
	var ok []Source
	var errs []error
	for _, src := range sources {
		state := DirectoryOff
		if s.opts.Directory != nil {
			state = s.opts.Directory.Status(src).State
		}
		if state != DirectoryReady {
			errs = append(errs, DirectoryUnavailable(src, state))
			continue
		}
		ok = append(ok, src)
	}
	return ok, errs
}

// listDirectory answers a list with a search or an order from the
// directory: one order across the sources, with an exact total.
func (s *Service) listDirectory(ctx context.Context, r ListRequest) (*Connection, []error) {
	if r.Filter.Search != "" && NormalizeText(r.Filter.Search) == "" {
		return nil, []error{BadInputf("search must hold at least one character other than spaces")}
	}
	order := Order{Field: OrderName}
	if r.Order != nil {
		order = *r.Order
		if order.Field != OrderName && order.Field != OrderUpdatedAt {
			return nil, []error{BadInputf("orderBy.field must be NAME or UPDATED_AT")}
		}
	}
	sources, err := s.listSources(r.Sources)
	if err != nil {
		return nil, []error{err}
	}
	serving, errs := s.serving(sources)
	if len(serving) == 0 {
		return &Connection{}, errs
	}
	conn, err := s.opts.Directory.List(ctx, DirectoryQuery{Sources: serving, Filter: r.Filter, Order: order, First: r.First, After: r.After})
	if err != nil {
		return nil, append(errs, err)
	}
	if len(errs) > 0 {
		// Exact for the sources served only: not the total asked for.
		conn.TotalCount = nil
	}
	return conn, errs
}

// ByPhone lists the customers of the chosen sources (all enabled when
// none) holding number, however it is typed.
func (s *Service) ByPhone(ctx context.Context, number string, sources []Source) ([]*Customer, []error) {
	if strings.TrimSpace(number) == "" {
		return nil, []error{BadInputf("number must not be empty")}
	}
	p, err := NormalizePhone(number)
	if err != nil {
		return nil, []error{err}
	}
	srcs, err := s.listSources(sources)
	if err != nil {
		return nil, []error{err}
	}
	serving, errs := s.serving(srcs)
	out := []*Customer{}
	if len(serving) == 0 {
		return out, errs
	}
	cs, err := s.opts.Directory.ByPhone(ctx, p, serving)
	if err != nil {
		return out, append(errs, err)
	}
	return append(out, cs...), errs
}
