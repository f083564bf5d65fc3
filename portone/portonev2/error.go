package portonev2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// The error types PortOne's V2 API answers with that callers branch on.
// The set is open: decode any other as it comes.
const (
	ErrTypeInvalidRequest                  = "INVALID_REQUEST"
	ErrTypeUnauthorized                    = "UNAUTHORIZED"
	ErrTypeForbidden                       = "FORBIDDEN"
	ErrTypePaymentNotFound                 = "PAYMENT_NOT_FOUND"
	ErrTypeAlreadyPaid                     = "ALREADY_PAID"
	ErrTypePaymentNotPaid                  = "PAYMENT_NOT_PAID"
	ErrTypePaymentAlreadyCancelled         = "PAYMENT_ALREADY_CANCELLED"
	ErrTypeCancellableAmountConsistency    = "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN"
	ErrTypeCancelAmountExceedsCancellable  = "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT"
	ErrTypeIdempotencyOutstandingRequest   = "IDEMPOTENCY_OUTSTANDING_REQUEST"
	ErrTypePgProvider                      = "PG_PROVIDER"
	ErrTypeSumOfPartsExceedsCancelAmount   = "SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT"
	ErrTypeCancelTaxFreeAmountExceeds      = "CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT"
	ErrTypeNegativePromotionAdjustedCancel = "NEGATIVE_PROMOTION_ADJUSTED_CANCEL_AMOUNT"
)

// Error is PortOne's answer to a call that failed: an HTTP status of 400 or
// more with {"type", "message"} (and pgCode, pgMessage for PG_PROVIDER).
type Error struct {
	HTTPStatus int
	Type       string // PortOne's error type; "" when the answer had none (a proxy's page)
	Message    string
	PgCode     string
	PgMessage  string
	Endpoint   string // method and path, such as "GET /payments/order-1"
}

// Error describes the failure with the call, the status and PortOne's
// type and message.
func (e *Error) Error() string {
	msg := e.Message
	if e.PgMessage != "" {
		msg += " (PG " + e.PgCode + ": " + e.PgMessage + ")"
	}
	return fmt.Sprintf("portonev2: %s: HTTP %d %s: %s", e.Endpoint, e.HTTPStatus, e.Type, msg)
}

// errorFrom builds the *Error of a failed answer: from PortOne's envelope,
// or from the text of one that is not (a proxy's error page).
func errorFrom(endpoint string, status int, body []byte) *Error {
	e := &Error{HTTPStatus: status, Endpoint: endpoint}
	var env struct {
		Type      string `json:"type"`
		Message   string `json:"message"`
		PgCode    string `json:"pgCode"`
		PgMessage string `json:"pgMessage"`
	}
	if json.Unmarshal(body, &env) == nil && env.Type != "" {
		e.Type, e.Message, e.PgCode, e.PgMessage = env.Type, env.Message, env.PgCode, env.PgMessage
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		text = http.StatusText(status)
	}
	e.Message = text
	return e
}

// netError is a failure to get any answer.
type netError struct {
	endpoint string
	err      error
}

func (e *netError) Error() string { return "portonev2: " + e.endpoint + ": " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

func errorType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return ""
}

// IsNotFound reports whether PortOne has no such payment.
func IsNotFound(err error) bool { return errorType(err) == ErrTypePaymentNotFound }

// IsUnauthorized reports whether PortOne refused the secret.
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Type == ErrTypeUnauthorized || e.HTTPStatus == http.StatusUnauthorized)
}

// IsForbidden reports whether the secret may not reach the store.
func IsForbidden(err error) bool { return errorType(err) == ErrTypeForbidden }

// IsAlreadyPaid reports whether a pre-registration came after the payment.
func IsAlreadyPaid(err error) bool { return errorType(err) == ErrTypeAlreadyPaid }

// IsAlreadyCancelled reports whether the payment is already fully cancelled.
func IsAlreadyCancelled(err error) bool { return errorType(err) == ErrTypePaymentAlreadyCancelled }

// IsCancellableAmountMismatch reports whether PortOne refused a cancel
// because the cancellable amount is no longer the currentCancellableAmount
// sent: another cancel went through in between.
func IsCancellableAmountMismatch(err error) bool {
	return errorType(err) == ErrTypeCancellableAmountConsistency
}

// IsTransient reports whether err is worth retrying later: a network
// error, a timeout, HTTP 429 or 5xx, or an identical request still in
// flight at PortOne (IDEMPOTENCY_OUTSTANDING_REQUEST). A refusal is not:
// the same request would fail again.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500 ||
			e.Type == ErrTypeIdempotencyOutstandingRequest
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne *netError
	var nerr net.Error
	return errors.As(err, &ne) || errors.As(err, &nerr)
}
