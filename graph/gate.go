package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes of the gate's refusals (extensions.code).
const (
	// CodeIntrospectionDisabled: __schema or __type while
	// CUSTGRAPH_INTROSPECTION is off.
	CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"
	// CodeFederationSDLDisabled: _service while CUSTGRAPH_FEDERATION_SDL
	// is off.
	CodeFederationSDLDisabled = "FEDERATION_SDL_DISABLED"
	// CodeBadUserInput: an _entities representation this subgraph cannot
	// resolve (the same code as the domain's bad input).
	CodeBadUserInput = "BAD_USER_INPUT"
)

// entityType is the one type this subgraph resolves by reference.
const entityType = "Customer"

// gate decides, once an operation is parsed and validated and before it
// runs, which of the schema's meta fields it may use:
//
//   - __schema and __type (public introspection) only when Introspection
//     is on;
//   - _service (the federation SDL a router composes from) unless SDL is
//     off: it is the router's contract, not public introspection, so it
//     answers with introspection off, behind the same client
//     authentication as any query;
//   - _entities only with representations this subgraph can resolve.
//
// gqlgen ties _service to introspection (its generated resolver refuses
// it, as an internal error, whenever introspection is disabled), so the
// gate turns gqlgen's own switch on for every operation and refuses the
// introspection fields itself, as request errors with codes of their own.
type gate struct {
	Introspection bool
	SDL           bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = gate{}

func (gate) ExtensionName() string                          { return "Gate" }
func (gate) Validate(schema graphql.ExecutableSchema) error { return nil }

func (g gate) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	op.DisableIntrospection = false
	if op.Operation == nil || op.Operation.Operation != ast.Query {
		return nil // the meta fields live on Query only
	}
	for _, f := range graphql.CollectFields(op, op.Operation.SelectionSet, []string{"Query"}) {
		switch f.Name {
		case "__schema", "__type":
			if !g.Introspection {
				return refusal(f, CodeIntrospectionDisabled, "introspection is disabled on this gateway (CUSTGRAPH_INTROSPECTION)")
			}
		case "_service":
			if !g.SDL {
				return refusal(f, CodeFederationSDLDisabled, "the federation SDL (_service) is not served by this gateway (CUSTGRAPH_FEDERATION_SDL)")
			}
		case "_entities":
			if err := checkRepresentations(f.ArgumentMap(op.Variables)["representations"]); err != "" {
				return refusal(f, CodeBadUserInput, err)
			}
		}
	}
	return nil
}

// checkRepresentations says what is wrong with the first representation
// that is not a Customer with a string id ("" when all are): the router
// sends only what the subgraph's SDL declares, so anything else is a
// mistake to report, not an internal error of the resolver.
func checkRepresentations(v any) string {
	reps, _ := v.([]any)
	for i, r := range reps {
		m, _ := r.(map[string]any)
		if name, _ := m["__typename"].(string); name != entityType {
			return fmt.Sprintf("representations[%d]: __typename must be %q, the only entity of this subgraph", i, entityType)
		}
		if id, _ := m["id"].(string); id == "" {
			return fmt.Sprintf("representations[%d]: a %s reference needs its key field id, a non-empty string", i, entityType)
		}
	}
	return ""
}

func refusal(f graphql.CollectedField, code, msg string) *gqlerror.Error {
	err := &gqlerror.Error{Message: msg}
	if f.Position != nil {
		err.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	errcode.Set(err, code)
	return err
}
