package limits

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ExtensionName names the Extension in gqlgen's stats: the operation's
// Measurement is kept there (opCtx.Stats.GetExtension(ExtensionName)).
const ExtensionName = "QueryLimits"

func init() {
	// A refusal by a limit is answered like a validation error
	// (GRAPHQL_VALIDATION_FAILED), with no data and the same HTTP status
	// (set by graph.Transport): 200 for application/json, 400 for
	// application/graphql-response+json, as GraphQL over HTTP asks.
	// RegisterErrorType writes a global map that gqlgen reads unlocked:
	// it must happen at init, before any request.
	for _, code := range []string{CodeTooManyOperations, CodeTooDeep, CodeTooManyAliases, CodeTooComplex} {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
}

// Extension is the gqlgen handler extension that enforces MaxOperations,
// MaxDepth, MaxAliases and MaxCost. It runs after the document is parsed
// and validated and the variables are coerced, before any resolver: a
// refused operation makes no upstream call.
type Extension struct {
	Options Options
	// Cost is the schema's cost model; nil prices every field 1.
	Cost CostModel
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Extension{}

// ExtensionName implements graphql.HandlerExtension.
func (Extension) ExtensionName() string { return ExtensionName }

// Validate implements graphql.HandlerExtension.
func (x Extension) Validate(graphql.ExecutableSchema) error { return x.Options.Validate() }

// MutateOperationContext implements graphql.OperationContextMutator.
func (x Extension) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	m, err := x.Options.Check(opCtx.Doc, opCtx.Operation, opCtx.Variables, x.Cost)
	opCtx.Stats.SetExtension(ExtensionName, &m)
	return err
}

// Check measures the operation op of the validated document doc and
// returns the first limit it exceeds, in the order operations, depth,
// aliases, cost, as a GraphQL error whose message states the limit and the
// actual value and whose extensions carry code, limit and actual.
func (o Options) Check(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, model CostModel) (Measurement, *gqlerror.Error) {
	if o.MaxOperations > 0 && doc != nil && len(doc.Operations) > o.MaxOperations {
		return Measurement{}, refusal(CodeTooManyOperations, o.MaxOperations, len(doc.Operations),
			"the document holds %d operations, over the limit of %d: send only the one to run")
	}
	if op == nil || !o.checksOperation() {
		return Measurement{}, nil
	}
	m := Measure(doc, op, vars, model)
	switch {
	case o.MaxDepth > 0 && m.Depth > o.MaxDepth:
		return m, refusal(CodeTooDeep, o.MaxDepth, m.Depth, "the query is %d levels deep, over the limit of %d")
	case o.MaxAliases > 0 && m.Aliases > o.MaxAliases:
		return m, refusal(CodeTooManyAliases, o.MaxAliases, m.Aliases, "the query has %d aliases, over the limit of %d")
	case o.MaxCost > 0 && m.Cost > o.MaxCost:
		return m, refusal(CodeTooComplex, o.MaxCost, m.Cost,
			"the query costs %d, over the limit of %d: ask for fewer records (first, ids) or fewer nested matches")
	}
	return m, nil
}

// refusal builds the error; format takes actual, then limit.
func refusal(code string, limit, actual int, format string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, actual, limit),
		Extensions: map[string]any{"code": code, "limit": limit, "actual": actual},
	}
}
