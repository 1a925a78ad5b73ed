package customer

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error. The GraphQL edge maps each code once.
type ErrorCode string

// Error codes.
const (
	// CodeNotFound: the record does not exist (GraphQL answers null).
	CodeNotFound ErrorCode = "NOT_FOUND"
	// CodeBadInput: the client asked for something invalid.
	CodeBadInput ErrorCode = "BAD_USER_INPUT"
	// CodeUpstream: an upstream failed; Source and Reason say how.
	CodeUpstream ErrorCode = "DOWNSTREAM_SERVICE_ERROR"
	// CodeDirectory: the directory cannot answer for Source: it is off, or
	// its copy is still SYNCING or STALE (DirectoryState says which).
	CodeDirectory ErrorCode = "DIRECTORY_UNAVAILABLE"
	// CodeInternal: a bug of ours. Never shown in detail to clients.
	CodeInternal ErrorCode = "INTERNAL"
)

// Reason says how an upstream failed.
type Reason string

// Upstream failure reasons, as the contract names them.
const (
	ReasonUnavailable Reason = "UNAVAILABLE"  // unreachable, 5xx, dropped connection
	ReasonTimeout     Reason = "TIMEOUT"      // no answer in time
	ReasonAuth        Reason = "AUTH"         // credentials refused
	ReasonRateLimited Reason = "RATE_LIMITED" // quota spent
	ReasonBadResponse Reason = "BAD_RESPONSE" // an answer we cannot read
	ReasonRejected    Reason = "REJECTED"     // the vendor refused the request
)

// Error is the one error type of custgraph. Its Message is safe to show to
// a client: it never holds a URL, token, key, secret or password. Err, the
// cause, is for logs and errors.Is/As only, and must itself be redacted by
// whoever wraps it.
type Error struct {
	Code ErrorCode
	// Message is what a client is told. An upstream failure's is made by
	// UpstreamError from its source, reason and detail, never by hand.
	Message string
	// Source, Reason and UpstreamCode are set for CodeUpstream.
	Source       Source
	Reason       Reason
	UpstreamCode string
	// Detail says more of an upstream failure that custgraph itself
	// decided (an open circuit, an outbound quota with no turn), in
	// client-safe words; part of Message.
	Detail string
	// DirectoryState is set for CodeDirectory: OFF, SYNCING or STALE.
	DirectoryState string
	Err            error
}

// ErrNotFound is matched with errors.Is by every not-found error.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrNotFound) (or any *Error template) match by
// code, and by source and reason where the template sets them.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code &&
		(t.Source == "" || t.Source == e.Source) &&
		(t.Reason == "" || t.Reason == e.Reason)
}

// Transient reports whether the failure may go away on its own, so that it
// must not be cached and may be retried.
func (e *Error) Transient() bool {
	if e.Code != CodeUpstream {
		return false
	}
	switch e.Reason {
	case ReasonUnavailable, ReasonTimeout, ReasonRateLimited:
		return true
	}
	return false
}

// BadInputf returns a BadInput error with a client-facing message.
func BadInputf(format string, args ...any) *Error {
	return &Error{Code: CodeBadInput, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a NotFound error.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// UpstreamError builds an upstream failure of src. The message is derived
// from the reason ("CRM: upstream rate limit reached"), so no upstream text
// can carry a secret to a client; cause is kept for logs and must already be
// redacted.
func UpstreamError(src Source, reason Reason, upstreamCode string, cause error) *Error {
	return &Error{
		Code:         CodeUpstream,
		Message:      fmt.Sprintf("%s: %s", src, reasonText[reason]),
		Source:       src,
		Reason:       reason,
		UpstreamCode: upstreamCode,
		Err:          cause,
	}
}

// Refused is an upstream failure that custgraph decided before or instead
// of a vendor's answer (its circuit is open, its outbound quota has no
// turn in time), with a client-safe detail that says why and when to come
// back: "CRM: upstream unavailable (circuit open, calls resume within
// 10s)".
func Refused(src Source, reason Reason, detail string, cause error) *Error {
	e := UpstreamError(src, reason, "", cause)
	e.Detail = detail
	e.Message += " (" + detail + ")"
	return e
}

var reasonText = map[Reason]string{
	ReasonUnavailable: "upstream unavailable",
	ReasonTimeout:     "upstream timed out",
	ReasonAuth:        "upstream refused our credentials",
	ReasonRateLimited: "upstream rate limit reached",
	ReasonBadResponse: "upstream sent a response we cannot read",
	ReasonRejected:    "upstream rejected the request",
}

// AsError returns err as an *Error. Errors of other types become
// CodeInternal with a generic message (their text may hold anything).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// IsNotFound reports whether err means "no such record".
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsTransient reports whether err is an upstream failure that may pass.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient()
}

// DirectoryUnavailable is the error for a question only the directory
// answers, asked of a source whose copy is not serving (state OFF, SYNCING
// or STALE).
func DirectoryUnavailable(src Source, state string) *Error {
	why := map[string]string{
		DirectoryOff:     "the directory is off on this gateway (CUSTGRAPH_DIRECTORY=off)",
		DirectorySyncing: "the directory is still reading its first full copy; try again once sources { directory { state } } is READY",
		DirectoryStale:   "the directory's copy is older than allowed and its sync is failing; it is served again once a sync succeeds",
	}[state]
	if why == "" {
		why = "the directory's copy is " + state
	}
	return &Error{Code: CodeDirectory, Source: src, DirectoryState: state,
		Message: fmt.Sprintf("%s: search, order and phone lookups are served from the directory, and %s", src, why)}
}
