package portone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Error is PortOne's answer to a call that failed: an HTTP status of 400 or
// more, or a non-zero code in the envelope (which PortOne also sends with
// HTTP 200, for instance when a cancel is refused).
type Error struct {
	HTTPStatus int    // the HTTP status of the answer
	Code       int    // the envelope's code; 0 when the answer had no envelope
	Message    string // PortOne's message, in Korean, or the start of a non-JSON body
	Endpoint   string // method and path of the call, such as "GET /payments/imp_123456789012"
}

func (e *Error) Error() string {
	return fmt.Sprintf("portone: %s: HTTP %d, code %d: %s", e.Endpoint, e.HTTPStatus, e.Code, e.Message)
}

// PartialError is returned by Client.Payments together with the payments
// it found when PortOne answers HTTP 207: some of the requested ids were
// not found (or are not accessible). It lists them in request order.
type PartialError struct {
	MissingImpUIDs      []string
	MissingMerchantUIDs []string
}

func (e *PartialError) Error() string {
	var parts []string
	if len(e.MissingImpUIDs) > 0 {
		parts = append(parts, "imp_uid "+strings.Join(e.MissingImpUIDs, ", "))
	}
	if len(e.MissingMerchantUIDs) > 0 {
		parts = append(parts, "merchant_uid "+strings.Join(e.MissingMerchantUIDs, ", "))
	}
	if len(parts) == 0 {
		return "portone: some payments were not returned"
	}
	return "portone: payments not found: " + strings.Join(parts, "; ")
}

// InputError is a request refused by the client before it was sent,
// because PortOne would refuse it or it could do harm.
type InputError struct {
	Field  string // the parameter, as PortOne names it
	Reason string
}

func (e *InputError) Error() string { return "portone: invalid " + e.Field + ": " + e.Reason }

func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether PortOne said the payment, the prepared
// amount or the payment to cancel does not exist: HTTP 404, or one of
// PortOne's not-found messages.
func IsNotFound(err error) bool {
	e, ok := asError(err)
	if !ok {
		return false
	}
	switch {
	case e.HTTPStatus == http.StatusNotFound,
		strings.Contains(e.Message, MsgPaymentNotFound),
		strings.Contains(e.Message, MsgPrepareNotFound),
		strings.Contains(e.Message, MsgCancelNotFound):
		return true
	}
	return false
}

// IsUnauthorized reports whether PortOne refused the credentials or the
// token (HTTP 401), even after the client fetched a fresh token.
func IsUnauthorized(err error) bool {
	e, ok := asError(err)
	return ok && e.HTTPStatus == http.StatusUnauthorized
}

// IsTransient reports whether err is worth retrying later: a network
// error, a timeout, HTTP 429 or a 5xx. Refusals (4xx, or a non-zero code
// with HTTP 200) are not transient: the same request would fail again.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if e, ok := asError(err); ok {
		return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne *netError
	if errors.As(err, &ne) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr)
}

// IsAlreadyCancelled reports whether PortOne refused a cancel because the
// payment is already fully cancelled.
func IsAlreadyCancelled(err error) bool {
	e, ok := asError(err)
	return ok && strings.Contains(e.Message, MsgAlreadyCancelled)
}

// IsChecksumMismatch reports whether PortOne refused a cancel because its
// cancellable balance differs from the request's checksum: someone else
// cancelled in between, or an earlier attempt of this cancel went through.
func IsChecksumMismatch(err error) bool {
	e, ok := asError(err)
	return ok && e.Code != 0 && strings.Contains(strings.ToLower(e.Message), "checksum")
}

// IsAlreadyPrepared reports whether PortOne refused POST /payments/prepare
// because the merchant_uid already has a prepared amount.
func IsAlreadyPrepared(err error) bool {
	e, ok := asError(err)
	return ok && strings.Contains(e.Message, "이미 등록된 merchant_uid")
}
