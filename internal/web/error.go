package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/payresult/payresult"
)

// Kinds for failures found by the HTTP layer itself, before any domain
// code runs. They share the table below with payresult's kinds so that
// every error leaves through one mapping.
const (
	kindMethod    payresult.ErrorKind = "method_not_allowed"
	kindTooLarge  payresult.ErrorKind = "too_large"
	kindMediaType payresult.ErrorKind = "unsupported_media_type"
	kindForbidden payresult.ErrorKind = "forbidden"
)

// statusOf maps every error kind to the HTTP status the API answers with.
// The kind is also the "code" of the JSON error.
var statusOf = map[payresult.ErrorKind]int{
	payresult.KindInvalid:      http.StatusBadRequest,
	payresult.KindUnauthorized: http.StatusUnauthorized,
	kindForbidden:              http.StatusForbidden,
	payresult.KindNotFound:     http.StatusNotFound,
	kindMethod:                 http.StatusMethodNotAllowed,
	payresult.KindConflict:     http.StatusConflict,
	kindTooLarge:               http.StatusRequestEntityTooLarge,
	kindMediaType:              http.StatusUnsupportedMediaType,
	payresult.KindMismatch:     http.StatusUnprocessableEntity,
	payresult.KindInternal:     http.StatusInternalServerError,
	payresult.KindTransient:    http.StatusServiceUnavailable,
}

// errorBody is the JSON every API error is sent as.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError sends err as a JSON error. Only the Message of a
// *payresult.Error reaches the caller; causes and internal errors are
// logged, never shown.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	kind := payresult.KindOf(err)
	status, ok := statusOf[kind]
	if !ok {
		kind, status = payresult.KindInternal, http.StatusInternalServerError
	}
	msg := "internal error"
	var e *payresult.Error
	if errors.As(err, &e) && kind != payresult.KindInternal {
		msg = e.Message
	}
	switch {
	case status >= 500:
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	default:
		log.InfoContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if kind == payresult.KindUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="payresult"`)
	}
	if kind == payresult.KindTransient {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: string(kind), Message: msg}})
}

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<PAYRESULT_API_KEY>" reads better than "\u003c..."; the type is JSON
	_ = enc.Encode(v)
}
