package telemetry

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// GraphQL returns the gqlgen extension that counts operations by name and
// outcome and, when traces are exported, traces the resolvers that may
// call out. Without tracing it intercepts no field: gqlgen then runs no
// interceptor chain for each of a list's thousands of fields.
func (t *Telemetry) GraphQL() graphql.HandlerExtension {
	if t.Tracing() {
		return tracingExtension{gqlExtension{t}}
	}
	return gqlExtension{t}
}

type (
	gqlExtension     struct{ t *Telemetry }
	tracingExtension struct{ gqlExtension }
)

var (
	_ graphql.ResponseInterceptor = gqlExtension{}
	_ graphql.FieldInterceptor    = tracingExtension{}
)

func (gqlExtension) ExtensionName() string                   { return "custgraph telemetry" }
func (gqlExtension) Validate(graphql.ExecutableSchema) error { return nil }
func (e gqlExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	name := ""
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		name = oc.OperationName // as the client chose it, else as the document names it
		if name == "" && oc.Operation != nil {
			name = oc.Operation.Name
		}
	}
	resp := next(ctx)
	outcome := "ok"
	switch {
	case resp == nil:
		return resp
	case len(resp.Errors) > 0 && (len(resp.Data) == 0 || string(resp.Data) == "null"):
		outcome = "error"
	case len(resp.Errors) > 0:
		outcome = "partial"
	}
	e.t.operations.WithLabelValues(e.t.operationLabel(name), outcome).Inc()
	e.t.opDuration.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	return resp
}

// InterceptField traces resolver fields (those that may call a vendor);
// plain struct fields would only add noise.
func (e tracingExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := e.t.tracer.Start(ctx, "resolve "+fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.path", fc.Path().String())))
	defer span.End()
	v, err := next(ctx)
	if err != nil {
		span.SetStatus(codes.Error, "resolver failed")
	}
	return v, err
}
