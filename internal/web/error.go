package web

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/payresult/payresult"
)

// errorBody is the JSON every API error is sent as.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError sends err as a JSON error, with the status and message of
// payresult.HTTPError: causes and internal errors are logged, never shown.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, kind, msg := payresult.HTTPError(err)
	switch {
	case status >= 500:
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	default:
		log.InfoContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if kind == payresult.KindUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="payresult"`)
	}
	switch kind {
	case payresult.KindTransient:
		w.Header().Set("Retry-After", "5")
	case payresult.KindIdempotencyKeyInUse:
		w.Header().Set("Retry-After", "1") // the first request is still running
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
