package payresult

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

// TestHTTPError checks the one mapping from errors to HTTP statuses: every
// kind has its status, only failures a retry can fix are 5xx (PortOne
// retries a webhook answered 5xx), and nothing but an *Error's own
// message reaches the answer.
func TestHTTPError(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		code       ErrorKind
		message    string
		retryHelps bool
	}{
		{Errorf(KindInvalid, "bad"), http.StatusBadRequest, KindInvalid, "bad", false},
		{Errorf(KindUnauthorized, "key"), http.StatusUnauthorized, KindUnauthorized, "key", false},
		{Errorf(KindForbidden, "no"), http.StatusForbidden, KindForbidden, "no", false},
		{Errorf(KindNotFound, "none"), http.StatusNotFound, KindNotFound, "none", false},
		{Errorf(KindMethodNotAllowed, "POST"), http.StatusMethodNotAllowed, KindMethodNotAllowed, "POST", false},
		{Errorf(KindConflict, "moved"), http.StatusConflict, KindConflict, "moved", false},
		{Errorf(KindTooLarge, "big"), http.StatusRequestEntityTooLarge, KindTooLarge, "big", false},
		{Errorf(KindUnsupportedMedia, "json"), http.StatusUnsupportedMediaType, KindUnsupportedMedia, "json", false},
		{Errorf(KindMismatch, "amount"), http.StatusUnprocessableEntity, KindMismatch, "amount", false},
		{Errorf(KindIdempotencyMismatch, "other"), http.StatusUnprocessableEntity, KindIdempotencyMismatch, "other", false},
		{Errorf(KindIdempotencyKeyInUse, "running"), http.StatusConflict, KindIdempotencyKeyInUse, "running", false},
		{WrapError(KindTransient, errors.New("dial tcp: secret"), "PortOne unreachable"), http.StatusServiceUnavailable, KindTransient, "PortOne unreachable", true},
		{Errorf(KindInternal, "bug in %s", "x"), http.StatusInternalServerError, KindInternal, "internal error", true},
		{errors.New("plain"), http.StatusInternalServerError, KindInternal, "internal error", true},
		{Errorf("made_up", "odd"), http.StatusInternalServerError, KindInternal, "internal error", true},
		{fmt.Errorf("wrapped: %w", Errorf(KindNotFound, "none")), http.StatusNotFound, KindNotFound, "none", false},
	}
	for _, tt := range tests {
		status, code, msg := HTTPError(tt.err)
		if status != tt.status || code != tt.code || msg != tt.message {
			t.Errorf("HTTPError(%v) = %d, %q, %q; want %d, %q, %q", tt.err, status, code, msg, tt.status, tt.code, tt.message)
		}
		if (status >= 500) != tt.retryHelps {
			t.Errorf("HTTPError(%v) = %d: only failures a retry can fix may be 5xx", tt.err, status)
		}
	}
	for kind := range httpStatus {
		if _, code, _ := HTTPError(Errorf(kind, "x")); code != kind {
			t.Errorf("kind %q is answered as %q", kind, code)
		}
	}
}
