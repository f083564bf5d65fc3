package payresult

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// parseV2Redirect reads the notice of PortOne V2's redirect: paymentId
// (or the early snake_case payment_id), and code and message when the
// payment did not complete. The first of repeated keys counts, as for V1.
func parseV2Redirect(r *http.Request) (Notice, error) {
	if r.Method == http.MethodPost {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(nil, r.Body, portone.MaxNoticeBytes)
		}
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var err error
		if ct == "multipart/form-data" {
			err = r.ParseMultipartForm(portone.MaxNoticeBytes)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return Notice{}, Errorf(KindInvalid, "V2 redirect: reading the form: %v", err)
		}
	}
	v := r.URL.Query()
	if r.Form != nil {
		v = r.Form
	}
	id := strings.TrimSpace(v.Get("paymentId"))
	if id == "" {
		id = strings.TrimSpace(v.Get("payment_id"))
	}
	n := Notice{Source: SourceRedirect, API: APIV2, MerchantUID: id, ErrorCode: v.Get("code"), ErrorMsg: v.Get("message")}
	if id == "" {
		return n, Errorf(KindInvalid, "V2 redirect without paymentId")
	}
	if n.ErrorMsg == "" && n.ErrorCode != "" {
		n.ErrorMsg = v.Get("pgMessage")
	}
	return n, n.validate()
}

// V2WebhookHandler handles PortOne V2's webhook: a POST signed per
// Standard Webhooks, in either payload version (2024-04-25's
// {type, timestamp, data: {paymentId, ...}} or 2024-01-01's
// {payment_id, tx_id, status}).
//
// Before anything else it checks the signature with Secret, on the body
// exactly as received: a request without the three webhook-* headers,
// with no matching v1 signature (a tampered body, another secret), or
// whose webhook-timestamp is more than five minutes from Now either way
// is answered 400 and goes no further. A signed webhook is then only a
// notice: Confirm looks the payment up at PortOne, so a replayed one (the
// same webhook-id again, within the five minutes) changes nothing that
// is not already so.
//
// A transaction webhook is answered as WebhookHandler answers V1's: 200
// once the result is stored, 503 when PortOne or the database could not
// answer (PortOne V2 retries up to five times). Kinds of webhook payresult
// has no use for (billing keys, types PortOne adds later) and payments of
// orders payresult does not hold are answered 200 and ignored, as PortOne
// asks.
type V2WebhookHandler struct {
	// Processor confirms the payment. Required.
	Processor *Processor
	// Secret is the V2 webhook secret from PortOne's console (whsec_…).
	// Required: without it every request is refused.
	Secret string
	// MaxBodyBytes defaults to DefaultWebhookMaxBytes.
	MaxBodyBytes int64
	// Logger defaults to slog.Default(); Now (the clock the timestamp is
	// checked against) to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// ServeHTTP implements http.Handler.
func (h *V2WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := webhookBody(w, r, h.MaxBodyBytes)
	if !ok {
		return
	}
	log := loggerOr(h.Logger)
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	wh, err := portonev2.VerifyWebhook(h.Secret, r.Header, body, now)
	if err != nil {
		log.Warn("V2 webhook refused", "err", err, "webhook_id", r.Header.Get(portonev2.HeaderWebhookID))
		writeWebhookError(w, WrapError(KindInvalid, err, "V2 webhook refused: %s", v2WebhookRefusal(err)))
		return
	}
	if !strings.HasPrefix(wh.Type, "Transaction.") || wh.PaymentID == "" {
		log.Info("V2 webhook ignored", "type", wh.Type, "webhook_id", wh.ID)
		writeV2WebhookAnswer(w, map[string]string{"ignored": "not a payment webhook"})
		return
	}
	n := Notice{Source: SourceWebhook, API: APIV2, MerchantUID: wh.PaymentID}
	res, err := h.Processor.confirmRequest(r, n)
	var order *Order
	if res != nil {
		order = res.Order
	}
	logNotice(log, n, ViewOf(wh.PaymentID, order, err, ""), err)
	switch {
	case IsNotFound(err):
		writeV2WebhookAnswer(w, map[string]string{"merchant_uid": wh.PaymentID, "ignored": "no such order"})
	case err != nil:
		writeWebhookError(w, err)
	default:
		writeV2WebhookAnswer(w, map[string]string{"merchant_uid": order.MerchantUID, "status": string(order.Status)})
	}
}

// v2WebhookRefusal says why a V2 webhook was refused, without echoing
// anything the sender chose.
func v2WebhookRefusal(err error) string {
	switch {
	case errors.Is(err, portonev2.ErrWebhookHeaders):
		return "webhook-id, webhook-timestamp and webhook-signature are required, once each"
	case errors.Is(err, portonev2.ErrWebhookTooOld):
		return "webhook-timestamp too old"
	case errors.Is(err, portonev2.ErrWebhookTooNew):
		return "webhook-timestamp too far in the future"
	case errors.Is(err, portonev2.ErrWebhookSecret):
		return "payresult has no usable V2 webhook secret"
	case errors.Is(err, portonev2.ErrWebhookSignature):
		return "no matching signature"
	}
	return "not a PortOne V2 webhook"
}

func writeV2WebhookAnswer(w http.ResponseWriter, v map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
