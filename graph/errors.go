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

// PresentError is the one place where errors become what a client sees.
// Domain errors map by code: BAD_USER_INPUT, DOWNSTREAM_SERVICE_ERROR with
// serviceName, reason and upstreamCode (the contract's shape), NOT_FOUND.
// GraphQL's own errors (parse, validation, gqlgen's argument coercion) keep
// their codes. Anything else is a bug of ours and becomes "internal error"
// with the request ID: its text may hold anything, so it is only logged.
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
		if !errors.As(err, &e) {
			if log != nil {
				log(ctx, err)
			}
			return internal(ctx, path)
		}
		out := &gqlerror.Error{Message: e.Message, Path: path, Extensions: map[string]any{}}
		switch e.Code {
		case customer.CodeBadInput:
			out.Extensions["code"] = "BAD_USER_INPUT"
		case customer.CodeNotFound:
			out.Extensions["code"] = "NOT_FOUND"
		case customer.CodeUpstream:
			out.Extensions["code"] = "DOWNSTREAM_SERVICE_ERROR"
			out.Extensions["serviceName"] = string(e.Source)
			out.Extensions["reason"] = string(e.Reason)
			if e.UpstreamCode != "" {
				out.Extensions["upstreamCode"] = e.UpstreamCode
			}
			if log != nil {
				log(ctx, err)
			}
		default:
			if log != nil {
				log(ctx, err)
			}
			return internal(ctx, path)
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
