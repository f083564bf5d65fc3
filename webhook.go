package payresult

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/payresult/payresult/portone"
)

// DefaultWebhookMaxBytes bounds a PortOne webhook body. The real ones are
// under 200 bytes; anything near this limit is not from PortOne.
const DefaultWebhookMaxBytes = 64 << 10

// WebhookHandler handles PortOne's webhook (the notice_url target): a POST
// with a JSON or form body naming a payment. It runs Confirm and answers
// 200 only once the result is stored. Failures are answered with the
// statuses of HTTPError, the same as the app API's: 5xx only when
// payresult could not finish (PortOne or the database unreachable: 503; a
// fault in payresult: 500), so that PortOne's retries are useful, and 4xx
// for permanent problems, which retrying would not change:
//
//   - 400: a body that is not a webhook;
//   - 404: the order is unknown to payresult;
//   - 413: a body over MaxBodyBytes;
//   - 422: a payment that may not decide the order (it belongs to
//     another order, or its imp_uid is bound to another order).
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
	body, ok := webhookBody(w, r, h.MaxBodyBytes)
	if !ok {
		return
	}
	log := loggerOr(h.Logger)
	wh, err := portone.ParseWebhook(r.Header.Get("Content-Type"), body)
	if err != nil {
		log.Info("webhook refused", "err", err)
		writeWebhookError(w, Errorf(KindInvalid, "not a PortOne webhook"))
		return
	}
	n := Notice{Source: SourceWebhook, ImpUID: wh.ImpUID, MerchantUID: wh.MerchantUID}
	res, err := h.Processor.confirmRequest(r, n)
	var order *Order
	if res != nil {
		order = res.Order
	}
	logNotice(log, n, ViewOf(wh.MerchantUID, order, err, ""), err)
	if err != nil {
		writeWebhookError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"merchant_uid": order.MerchantUID, "status": string(order.Status)})
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// writeWebhookError answers err as HTTPError says: 5xx only for what a
// retry can fix, so that PortOne retries only those.
func writeWebhookError(w http.ResponseWriter, err error) {
	status, code, msg := HTTPError(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": string(code), "message": msg}})
}

// webhookBody reads a webhook's body for either API's handler: POST only,
// at most maxBytes (DefaultWebhookMaxBytes when 0). On a refusal it has
// answered already and ok is false.
func webhookBody(w http.ResponseWriter, r *http.Request, maxBytes int64) (body []byte, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeWebhookError(w, Errorf(KindMethodNotAllowed, "use POST"))
		return nil, false
	}
	if maxBytes <= 0 {
		maxBytes = DefaultWebhookMaxBytes
	}
	body, err := readBody(w, r, maxBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeWebhookError(w, Errorf(KindTooLarge, "webhook body too large"))
		} else {
			writeWebhookError(w, Errorf(KindInvalid, "unreadable body"))
		}
		return nil, false
	}
	return body, true
}
