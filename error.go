package payresult

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorKind classifies a failure so that every surface (HTTP status, the
// answer to PortOne's webhook, CLI exit code) can react without looking at
// messages.
type ErrorKind string

// Error kinds. The HTTP status each is answered with is HTTPStatus's.
const (
	KindInvalid      ErrorKind = "invalid"      // the input is malformed
	KindUnauthorized ErrorKind = "unauthorized" // missing or wrong credential
	KindNotFound     ErrorKind = "not_found"    // no such order or payment
	KindConflict     ErrorKind = "conflict"     // clashes with stored state
	KindMismatch     ErrorKind = "mismatch"     // PortOne disagrees with the order: permanent, never retried
	KindTransient    ErrorKind = "transient"    // PortOne or the database unreachable: retry later
	KindInternal     ErrorKind = "internal"     // a bug

	// Kinds of an idempotency key's refusals (see Processor.Refund).
	KindIdempotencyMismatch ErrorKind = "idempotency_mismatch"   // the key was used for another request
	KindIdempotencyKeyInUse ErrorKind = "idempotency_key_in_use" // a request with the key is still running

	// Kinds of requests an HTTP surface refuses before any processing.
	KindForbidden        ErrorKind = "forbidden"              // the sender may not call this
	KindMethodNotAllowed ErrorKind = "method_not_allowed"     // the wrong HTTP method
	KindTooLarge         ErrorKind = "too_large"              // the body is over its limit
	KindUnsupportedMedia ErrorKind = "unsupported_media_type" // the body is not of a type accepted
)

// httpStatus is the one mapping from error kinds to HTTP statuses, for
// the app API and for PortOne's webhook alike. Only KindTransient and
// KindInternal are 5xx: PortOne retries a webhook answered 5xx, and only
// those failures can go away on retry.
var httpStatus = map[ErrorKind]int{
	KindInvalid:          http.StatusBadRequest,
	KindUnauthorized:     http.StatusUnauthorized,
	KindForbidden:        http.StatusForbidden,
	KindNotFound:         http.StatusNotFound,
	KindMethodNotAllowed: http.StatusMethodNotAllowed,
	KindConflict:         http.StatusConflict,
	KindTooLarge:         http.StatusRequestEntityTooLarge,
	KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	KindMismatch:         http.StatusUnprocessableEntity,
	KindTransient:        http.StatusServiceUnavailable,
	KindInternal:         http.StatusInternalServerError,

	KindIdempotencyMismatch: http.StatusUnprocessableEntity,
	KindIdempotencyKeyInUse: http.StatusConflict,
}

// HTTPError is how err is answered over HTTP, as the JSON error
// {"error": {"code": code, "message": message}} with status: code is the
// error's kind, and message is the Message of a payresult *Error, never
// the cause it wraps, nor anything of an internal error. An error of no
// known kind is answered as internal.
func HTTPError(err error) (status int, code ErrorKind, message string) {
	code = KindOf(err)
	status, ok := httpStatus[code]
	if !ok {
		code, status = KindInternal, http.StatusInternalServerError
	}
	message = "internal error"
	var e *Error
	if errors.As(err, &e) && code != KindInternal {
		message = e.Message
	}
	return status, code, message
}

// Error is payresult's error type. Message is safe to show to callers;
// Err holds the cause for logs.
type Error struct {
	Kind    ErrorKind
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error of the given kind with err as its cause.
func WrapError(kind ErrorKind, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the kind of err: that of the first *Error in its chain,
// or KindInternal.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsTransient reports whether err may go away on retry, so that a webhook
// should be answered 5xx and the reconciler should try again.
func IsTransient(err error) bool { return KindOf(err) == KindTransient }

// IsNotFound reports whether err says that something does not exist.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// IsConflict reports whether err is a conflict with stored state,
// including a lost compare-and-set.
func IsConflict(err error) bool { return KindOf(err) == KindConflict }
