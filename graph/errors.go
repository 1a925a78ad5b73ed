package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"custgraph/internal/customer"
)

// presentation is how one domain error code reaches a client: its
// extensions.code, and whether the error is also logged.
type presentation struct {
	code string
	log  bool
}

// presented is how each domain error code reaches a client: its
// extensions.code, and whether the error is also logged (upstream
// failures are, for operators; a client's own mistakes are not). A code
// missing here is a bug of ours and becomes "internal error".
var presented = map[customer.ErrorCode]presentation{
	customer.CodeBadInput: {"BAD_USER_INPUT", false},
	customer.CodeNotFound: {"NOT_FOUND", false},
	customer.CodeUpstream: {"DOWNSTREAM_SERVICE_ERROR", true},
	// Expected while a copy is first read; /metrics and sources show it.
	customer.CodeDirectory: {"DIRECTORY_UNAVAILABLE", false},
	// The subscription's refusals: the client's to act on.
	customer.CodeTooManySubscriptions: {"TOO_MANY_SUBSCRIPTIONS", false},
	customer.CodeSlowSubscriber:       {"SLOW_SUBSCRIBER", false},
}

// PresentError is the one place where errors become what a client sees.
// Domain errors map by code through presented; an upstream failure also
// carries serviceName, reason and upstreamCode (the contract's shape).
// GraphQL's own errors (parse, validation, gqlgen's argument coercion, the
// gate's and the limits' refusals) keep their codes. Anything else is a bug
// of ours and becomes "internal error" with the request ID: its text may
// hold anything, so it is only logged.
func PresentError(log func(ctx context.Context, err error)) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// Raised by the parser, validator or executor: safe as is.
			return gqlErr
		}
		path := graphql.GetPath(ctx)
		if gqlErr != nil && gqlErr.Path != nil {
			path = gqlErr.Path
		}
		var e *customer.Error
		var p presentation
		ok := errors.As(err, &e)
		if ok {
			p, ok = presented[e.Code]
		}
		if log != nil && (!ok || p.log) {
			log(ctx, err)
		}
		if !ok {
			return internal(ctx, path)
		}
		out := &gqlerror.Error{Message: e.Message, Path: path, Extensions: map[string]any{"code": p.code}}
		if e.Code == customer.CodeUpstream {
			out.Extensions["serviceName"] = string(e.Source)
			out.Extensions["reason"] = string(e.Reason)
			if e.UpstreamCode != "" {
				out.Extensions["upstreamCode"] = e.UpstreamCode
			}
		}
		if e.Code == customer.CodeDirectory {
			out.Extensions["serviceName"] = string(e.Source)
			out.Extensions["directoryState"] = e.DirectoryState
		}
		return out
	}
}

func internal(ctx context.Context, path ast.Path) *gqlerror.Error {
	ext := map[string]any{"code": "INTERNAL_SERVER_ERROR"}
	if id := middleware.GetReqID(ctx); id != "" {
		ext["requestId"] = id
	}
	return &gqlerror.Error{Message: "internal error", Path: path, Extensions: ext}
}

// Recover turns a resolver panic into "internal error" with the request ID
// (logged with its value, never sent to the client).
func Recover(log func(ctx context.Context, err error)) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		if log != nil {
			log(ctx, errPanic{p})
		}
		return errPanic{p}
	}
}

type errPanic struct{ v any }

func (e errPanic) Error() string { return "panic in resolver" }
