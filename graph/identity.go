package graph

import (
	"context"
	"slices"

	"custgraph/internal/auth"
	"custgraph/internal/customer"
	"custgraph/internal/loader"
)

// principal names who made a decision: the client as authenticated, or
// "anonymous" where client auth is off.
func principal(ctx context.Context) string {
	if p := auth.Principal(ctx); p != "" {
		return p
	}
	return "anonymous"
}

// exists reports whether a record is known, through the loaders (the
// directory's copy first, else one batched vendor call).
func exists(ctx context.Context, id customer.GlobalID) (bool, error) {
	c, err := loader.For(ctx).Customer(ctx, id.String())
	return c != nil, err
}

// confirmLink records the decision, then answers the link as seen from a:
// b, confidence 1, CONFIRMED first and the resolver's own evidence after.
func confirmLink(ctx context.Context, svc *customer.Service, a, b string) (*customer.Link, error) {
	ia, ib, err := svc.Decide(ctx, a, b, true, principal(ctx), exists)
	if err != nil {
		return nil, err
	}
	// Both records were just loaded to check them: the loaders answer
	// from what they hold.
	from, err := loader.For(ctx).Customer(ctx, ia.String())
	if err != nil {
		return nil, err
	}
	if from != nil {
		links, _ := svc.Links(from, []customer.Source{ib.Source}, new(float64))
		if i := slices.IndexFunc(links, func(l *customer.Link) bool { return l.Customer.ID() == ib.String() }); i >= 0 {
			return links[i], nil
		}
	}
	// Not in the links (the directory does not hold b): b as loaded.
	to, err := loader.For(ctx).Customer(ctx, ib.String())
	if err != nil {
		return nil, err
	}
	if to == nil {
		return nil, customer.BadInputf("no customer %s", ib)
	}
	return &customer.Link{Customer: to, Confidence: 1, MatchedOn: []customer.MatchSignal{customer.SignalConfirmed}}, nil
}
