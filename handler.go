package payresult

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/payresult/payresult/portone"
)

// DefaultWebhookMaxBytes bounds a PortOne webhook body. The real ones are
// under 200 bytes; anything near this limit is not from PortOne.
const DefaultWebhookMaxBytes = 64 << 10

// defaultConfirmTimeout bounds one Confirm started by a request. It runs
// detached from the request's context: a buyer closing the tab must not
// abort a confirmation half-way through its PortOne calls.
const defaultConfirmTimeout = 30 * time.Second

// RedirectHandler handles the buyer's browser coming back from PortOne's
// payment window (the m_redirect_url target), by GET or POST. It parses
// the query leniently, runs Confirm, and then either sends the buyer with
// 303 to the order's success or fail URL with a signed result (see
// SignResult), or shows a result page.
//
// Mount it on any mux; it needs only a Processor with the app's own Store.
type RedirectHandler struct {
	// Processor confirms the payment. Required.
	Processor *Processor
	// ResultKey signs the result added to the order's success or fail URL.
	// Without a key, the page is always rendered, never redirected.
	ResultKey []byte
	// Render writes the page for a result that is not sent to the app's
	// URL. Nil means a minimal built-in page.
	Render func(w http.ResponseWriter, r *http.Request, v *RedirectView)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now; it stamps signed results.
	Now func() time.Time
}

// ServeHTTP implements http.Handler.
func (h *RedirectHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	log := loggerOr(h.Logger)
	rd, err := portone.ParseRedirect(r)
	if err != nil {
		log.Info("redirect refused", "err", err)
		h.render(w, r, &RedirectView{Page: PageInvalid, HTTPStatus: http.StatusBadRequest})
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), defaultConfirmTimeout)
	defer cancel()
	res, err := h.Processor.Confirm(ctx, Notice{
		Source: SourceRedirect, ImpUID: rd.ImpUID, MerchantUID: rd.MerchantUID,
		ErrorCode: rd.ErrorCode, ErrorMsg: rd.ErrorMsg,
	})
	var order *Order
	if res != nil {
		order = res.Order
	}
	v := ViewOf(rd.MerchantUID, order, err, rd.ErrorMsg)
	v.ImpUID = rd.ImpUID
	logResult(log, "redirect", rd.ImpUID, rd.MerchantUID, v, err)
	if target := v.AppURL(); target != "" && len(h.ResultKey) > 0 {
		u, uerr := SignedResultURL(target, h.ResultKey, v.Order, h.now())
		if uerr == nil {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
		log.Error("order has an unusable result URL", "merchant_uid", rd.MerchantUID, "err", uerr)
	}
	h.render(w, r, &v)
}

func (h *RedirectHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *RedirectHandler) render(w http.ResponseWriter, r *http.Request, v *RedirectView) {
	if h.Render != nil {
		h.Render(w, r, v)
		return
	}
	renderPlain(w, r, v)
}

// plainPage is the built-in result page: enough for a buyer, meant to be
// replaced by the app's own Render. A confirming page reloads the redirect
// itself, which runs Confirm again.
var plainPage = template.Must(template.New("result").Parse(`<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{if .Refresh}}<meta http-equiv="refresh" content="3">{{end}}
<title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1>{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .MerchantUID}}<p>주문번호 Order: {{.MerchantUID}}</p>{{end}}</body></html>
`))

func renderPlain(w http.ResponseWriter, r *http.Request, v *RedirectView) {
	data := struct {
		Title, Message, MerchantUID string
		Refresh                     bool
	}{v.Page.Title(), v.Message, v.MerchantUID, v.Page == PageConfirming}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(v.HTTPStatus)
	_ = plainPage.Execute(w, data)
}

// WebhookHandler handles PortOne's webhook (the notice_url target): a POST
// with a JSON or form body naming a payment. It runs Confirm and answers
// 200 only once the result is stored. It answers 5xx only when payresult
// could not finish (PortOne or the database unreachable: 503; a fault in
// payresult: 500), so that PortOne's retries are useful, and 4xx for
// permanent problems, which retrying would not change:
//
//   - 400: a body that is not a webhook, or a payment that does not match
//     the order or is bound to another order (forgery);
//   - 404: the order is unknown to payresult;
//   - 413: a body over MaxBodyBytes.
//
// A payment whose amount differs from its order is forgery too, but Confirm
// records it (the order becomes forged and the payment is cancelled), so it
// is answered 200. Answers are JSON: {"merchant_uid": ..., "status": ...}
// or {"error": {"code": ..., "message": ...}}.
type WebhookHandler struct {
	// Processor confirms the payment. Required.
	Processor *Processor
	// MaxBodyBytes defaults to DefaultWebhookMaxBytes.
	MaxBodyBytes int64
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeWebhookError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
		return
	}
	log := loggerOr(h.Logger)
	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultWebhookMaxBytes
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeWebhookError(w, http.StatusRequestEntityTooLarge, "too_large", "webhook body too large")
			return
		}
		writeWebhookError(w, http.StatusBadRequest, string(KindInvalid), "unreadable body")
		return
	}
	wh, err := portone.ParseWebhook(r.Header.Get("Content-Type"), body)
	if err != nil {
		log.Info("webhook refused", "err", err)
		writeWebhookError(w, http.StatusBadRequest, string(KindInvalid), "not a PortOne webhook")
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), defaultConfirmTimeout)
	defer cancel()
	res, err := h.Processor.Confirm(ctx, Notice{Source: SourceWebhook, ImpUID: wh.ImpUID, MerchantUID: wh.MerchantUID})
	var order *Order
	if res != nil {
		order = res.Order
	}
	logResult(log, "webhook", wh.ImpUID, wh.MerchantUID, ViewOf(wh.MerchantUID, order, err, ""), err)
	if err != nil {
		status := webhookStatus(KindOf(err))
		writeWebhookError(w, status, string(KindOf(err)), safeMessage(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"merchant_uid": order.MerchantUID, "status": string(order.Status)})
}

// webhookStatus is the answer PortOne gets for a failed Confirm: 5xx makes
// it retry (when retries are enabled), 4xx makes it stop.
func webhookStatus(k ErrorKind) int {
	switch k {
	case KindTransient, KindUnauthorized:
		// PortOne or the database is unreachable, or our PortOne
		// credentials were refused: an operator's fix makes a retry work.
		return http.StatusServiceUnavailable
	case KindNotFound:
		return http.StatusNotFound
	case KindInvalid, KindMismatch, KindConflict:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

func writeWebhookError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// safeMessage returns the part of err that may be shown to a caller: the
// Message of a payresult *Error, never the cause it wraps.
func safeMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		return e.Message
	}
	return "internal error"
}

func loggerOr(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}

func logResult(log *slog.Logger, source, impUID, merchantUID string, v RedirectView, err error) {
	attrs := []any{"source", source, "imp_uid", impUID, "merchant_uid", merchantUID, "page", string(v.Page)}
	if v.Order != nil {
		attrs = append(attrs, "status", string(v.Order.Status))
	}
	switch {
	case err == nil:
		log.Info("notice confirmed", attrs...)
	case IsTransient(err):
		log.Warn("notice not confirmed yet", append(attrs, "err", err)...)
	case KindOf(err) == KindInternal:
		log.Error("notice failed", append(attrs, "err", err)...)
	default:
		log.Info("notice refused", append(attrs, "err", err)...)
	}
}

// appendQuery adds q to raw's query string, keeping what raw had.
func appendQuery(raw string, q url.Values) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if !u.IsAbs() && u.Path == "" {
		return "", errors.New("payresult: result URL has no path")
	}
	have := u.Query()
	for k, vs := range q {
		have[k] = vs
	}
	u.RawQuery = have.Encode()
	return u.String(), nil
}

// ResultTolerance is how old a signed result may be when the app checks
// it with VerifyResultSignature: long enough for a slow phone, short
// enough that an old URL cannot be replayed for long.
const ResultTolerance = 15 * time.Minute

// Errors returned by VerifyResultSignature, to be matched with errors.Is.
var (
	// ErrResultParams means merchant_uid, status, timestamp or signature is
	// missing or malformed.
	ErrResultParams = errors.New("payresult: result parameters missing or malformed")
	// ErrResultExpired means the timestamp is more than ResultTolerance
	// from now.
	ErrResultExpired = errors.New("payresult: result timestamp outside tolerance")
	// ErrResultSignature means the signature does not match.
	ErrResultSignature = errors.New("payresult: result signature does not match")
)

// SignedResult is a result payresult sent the buyer to the app's success or
// fail URL with, once its signature has been checked.
type SignedResult struct {
	MerchantUID string
	Status      Status
	Timestamp   time.Time
}

// SignResult returns the signature added to a success or fail URL: the
// lowercase hex HMAC-SHA256, keyed with key, of
// "<merchant_uid>.<status>.<timestamp>", the timestamp in Unix seconds.
// (A merchant_uid may contain dots; status and timestamp never do, so the
// text is read unambiguously from the right.)
func SignResult(key []byte, merchantUID string, status Status, ts time.Time) string {
	return hex.EncodeToString(resultMAC(key, merchantUID, status, ts.Unix()))
}

func resultMAC(key []byte, merchantUID string, status Status, unix int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(merchantUID + "." + string(status) + "." + strconv.FormatInt(unix, 10)))
	return m.Sum(nil)
}

// SignedResultURL returns target with the signed result of o added to its
// query: merchant_uid, status, timestamp and signature (see SignResult).
// Parameters target already has are kept, except those four.
func SignedResultURL(target string, key []byte, o *Order, now time.Time) (string, error) {
	if o == nil {
		return "", errors.New("payresult: no order to sign")
	}
	q := url.Values{
		"merchant_uid": {o.MerchantUID},
		"status":       {string(o.Status)},
		"timestamp":    {strconv.FormatInt(now.Unix(), 10)},
		"signature":    {SignResult(key, o.MerchantUID, o.Status, now)},
	}
	return appendQuery(target, q)
}

// VerifyResultSignature checks the query string of a request to the app's
// success or fail URL: the signature must match merchant_uid, status and
// timestamp under key, and the timestamp must be within ResultTolerance of
// now. The comparison takes constant time. The result says what the buyer
// was shown; the app should still read the order (GET
// /api/orders/{merchant_uid}) or its events before shipping anything.
func VerifyResultSignature(key []byte, q url.Values, now time.Time) (*SignedResult, error) {
	mu, st, ts, sig := q.Get("merchant_uid"), q.Get("status"), q.Get("timestamp"), q.Get("signature")
	if mu == "" || st == "" || ts == "" || sig == "" {
		return nil, fmt.Errorf("%w: need merchant_uid, status, timestamp and signature", ErrResultParams)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrResultParams, ts)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not hex", ErrResultParams)
	}
	if !hmac.Equal(got, resultMAC(key, mu, Status(st), unix)) {
		return nil, ErrResultSignature
	}
	at := time.Unix(unix, 0)
	if d := now.Sub(at); d > ResultTolerance || d < -ResultTolerance {
		return nil, fmt.Errorf("%w: signed %s ago", ErrResultExpired, d.Round(time.Second))
	}
	return &SignedResult{MerchantUID: mu, Status: Status(st), Timestamp: at}, nil
}
