package customer

import (
	"context"
	"math"
)

// Identity resolution: the same customer recorded in other sources under
// the names, phones and people each system's users typed
// (internal/identity finds them in the directory's copy). A link carries
// how sure custgraph is and what it rests on; people confirm or reject
// links, and their decision overrides the resolver everywhere.

// MatchSignal is one kind of evidence a link rests on.
type MatchSignal string

// The signals, as the GraphQL enum MatchSignal names them.
const (
	SignalNameExact      MatchSignal = "NAME_EXACT"
	SignalNameNormalized MatchSignal = "NAME_NORMALIZED"
	SignalNameSimilar    MatchSignal = "NAME_SIMILAR"
	SignalAlias          MatchSignal = "ALIAS"
	SignalPhone          MatchSignal = "PHONE"
	SignalEmail          MatchSignal = "EMAIL"
	SignalContact        MatchSignal = "CONTACT"
	SignalCreditCode     MatchSignal = "CREDIT_CODE"
	SignalConfirmed      MatchSignal = "CONFIRMED"
)

// Link is a record of another source that a record is the same customer
// as.
type Link struct {
	Customer *Customer
	// Confidence is 0 to 1; 1 where a person confirmed the link.
	Confidence float64
	// MatchedOn is what the link rests on, strongest first.
	MatchedOn []MatchSignal
}

// Linker is what identity resolution needs of the directory.
type Linker interface {
	// Links answers c's links to records of sources (each serving; the
	// caller checks), strongest first, down to a confidence of 0.01.
	Links(c *Customer, sources []Source) []Link
	// DecideLink records a person's decision (by names the principal) that a
	// and b are the same customer (same) or not, on every replica, before
	// it returns.
	DecideLink(ctx context.Context, a, b GlobalID, same bool, by string) error
}

// DefaultMatchThreshold is the least confidence of a link that matches
// returns when CUSTGRAPH_MATCH_THRESHOLD does not say (see make eval for
// the precision and recall each threshold gives).
const DefaultMatchThreshold = 0.9

func (s *Service) linker() Linker {
	l, _ := s.opts.Directory.(Linker)
	return l
}

// LinkSources resolves the sources of a links or matches question into
// those the directory serves and the errors of the others.
func (s *Service) LinkSources(c *Customer, sources []Source) ([]Source, []error) {
	var asked []Source
	for _, src := range s.MatchSources(c, sources) {
		if src != c.Source {
			asked = append(asked, src)
		}
	}
	if s.linker() == nil {
		errs := make([]error, len(asked))
		for i, src := range asked {
			errs[i] = DirectoryUnavailable(src, DirectoryOff)
		}
		return nil, errs
	}
	return s.serving(asked)
}

// Matched answers what matches can from the directory: the records c is
// linked to at or above the match threshold in the sources asked whose
// copy serves, and the sources asked that are left (the directory off or
// not ready, or c's own when asked), for the caller to ask by exact name.
func (s *Service) Matched(c *Customer, sources []Source) (linked []*Customer, rest []Source) {
	var serving []Source
	for _, src := range s.MatchSources(c, sources) {
		if src != c.Source && s.linker() != nil && s.opts.Directory.Status(src).Serving() {
			serving = append(serving, src)
		} else {
			rest = append(rest, src)
		}
	}
	if len(serving) == 0 {
		return nil, rest
	}
	least := s.MatchThreshold()
	for _, l := range s.linker().Links(c, serving) {
		if l.Confidence >= least {
			linked = append(linked, l.Customer)
		}
	}
	return linked, rest
}

// Links answers c's links to the records of sources (all others when
// none) from the directory, strongest first, down to minConfidence (the
// match threshold when nil). A source whose copy does not serve is left
// out with a DirectoryUnavailable error.
func (s *Service) Links(c *Customer, sources []Source, minConfidence *float64) ([]*Link, []error) {
	least := s.MatchThreshold()
	if minConfidence != nil {
		least = *minConfidence
		if math.IsNaN(least) || least < 0 || least > 1 {
			return nil, []error{BadInputf("minConfidence must be between 0 and 1, got %v", least)}
		}
	}
	serving, errs := s.LinkSources(c, sources)
	out := []*Link{}
	if len(serving) == 0 {
		return out, errs
	}
	for _, l := range s.linker().Links(c, serving) {
		if l.Confidence >= least {
			out = append(out, &l)
		}
	}
	return out, errs
}

// MatchThreshold is the least confidence of a link that matches returns.
func (s *Service) MatchThreshold() float64 {
	if t := s.opts.MatchThreshold; t > 0 {
		return t
	}
	return DefaultMatchThreshold
}

// Decide records a person's decision on two records given by global ID:
// the same customer (same) or not. Malformed or unknown IDs, a record
// paired with itself and two records of one source are BadInput errors.
// exists reports whether a record is known (the directory's copy or the
// vendor's answer).
func (s *Service) Decide(ctx context.Context, a, b string, same bool, by string, exists func(context.Context, GlobalID) (bool, error)) (GlobalID, GlobalID, error) {
	ia, err := s.Key(a)
	if err != nil {
		return ia, GlobalID{}, err
	}
	ib, err := s.Key(b)
	if err != nil {
		return ia, ib, err
	}
	switch {
	case ia == ib:
		return ia, ib, BadInputf("a and b are the same record (%s): a record is always itself", ia)
	case ia.Source == ib.Source:
		return ia, ib, BadInputf("a and b are both %s records: links join records of different sources", ia.Source)
	}
	l := s.linker()
	if l == nil {
		return ia, ib, DirectoryUnavailable(ia.Source, DirectoryOff)
	}
	for _, id := range []GlobalID{ia, ib} {
		ok, err := exists(ctx, id)
		if err != nil {
			return ia, ib, err
		}
		if !ok {
			return ia, ib, BadInputf("no customer %s", id)
		}
	}
	return ia, ib, l.DecideLink(ctx, ia, ib, same, by)
}
