package payresult

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a failure so that every surface (HTTP status, the
// answer to PortOne's webhook, CLI exit code) can react without looking at
// messages.
type ErrorKind string

// Error kinds.
const (
	KindInvalid      ErrorKind = "invalid"      // the input is malformed: 400
	KindUnauthorized ErrorKind = "unauthorized" // missing or wrong credential: 401
	KindNotFound     ErrorKind = "not_found"    // no such order or payment: 404
	KindConflict     ErrorKind = "conflict"     // clashes with stored state: 409
	KindMismatch     ErrorKind = "mismatch"     // PortOne disagrees with the order: permanent, never retried
	KindTransient    ErrorKind = "transient"    // PortOne or the database unreachable: retry later
	KindInternal     ErrorKind = "internal"     // a bug: 500
)

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
