package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/payresult/payresult/portone/portonev2"
)

// v2PayAnswer is the answer of POST /__emulator/v2/payments.
type v2PayAnswer struct {
	Payment     *portonev2.Payment `json:"payment"`
	RedirectURL string             `json:"redirect_url"`
	// Response is what requestPayment's promise would have resolved
	// with; null when the window was left.
	Response map[string]string `json:"response"`
}

// handleControlPayV2 completes a V2 payment without a browser: the body
// is requestPayment's parameters plus "outcome" (and "mobile").
func (e *Emulator) handleControlPayV2(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		controlError(w, http.StatusBadRequest, "bad_body", errBody.Error(), nil)
		return
	}
	var extra struct {
		Outcome Outcome `json:"outcome"`
		Mobile  bool    `json:"mobile"`
	}
	if err := decodeV2JSON(body, &extra); err != nil {
		controlError(w, http.StatusBadRequest, "bad_body", err.Error(), nil)
		return
	}
	if extra.Outcome == "" {
		extra.Outcome = OutcomePaid
	}
	if !extra.Outcome.validV2() {
		controlError(w, http.StatusBadRequest, "bad_outcome", "outcome must be one of paid, failed, cancelled_by_user, vbank_issued, pay_pending, abandoned", nil)
		return
	}
	req, refusal := parseV2Request(body, e.now())
	if refusal != nil {
		controlError(w, http.StatusBadRequest, "bad_request", refusal.Message, map[string]any{"code": refusal.Code})
		return
	}
	req.Mobile = req.Mobile || extra.Mobile
	res, err := e.PayV2(req, extra.Outcome)
	var refused *V2Refusal
	if errors.As(err, &refused) {
		controlError(w, http.StatusUnprocessableEntity, "refused", refused.Message, map[string]any{"code": refused.Code})
		return
	}
	if err != nil {
		controlFail(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	defer res.Release()
	writeJSON(w, http.StatusCreated, v2PayAnswer{Payment: res.Payment, RedirectURL: res.RedirectURL, Response: res.Response})
	http.NewResponseController(w).Flush()
}

// PaymentsV2 returns the V2 ledger in creation order.
func (e *Emulator) PaymentsV2() []portonev2.Payment {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]portonev2.Payment, len(e.ledger.v2.all))
	for i, rec := range e.ledger.v2.all {
		out[i] = rec.p
	}
	return out
}

// PaymentV2 returns the V2 payment paymentID.
func (e *Emulator) PaymentV2(paymentID string) (*portonev2.Payment, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	rec, ok := e.ledger.v2.byPaymentID[paymentID]
	if !ok {
		return nil, false
	}
	p := rec.p
	return &p, true
}

func (e *Emulator) handleControlLedgerV2(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"payments": e.PaymentsV2()})
}

func (e *Emulator) handleControlPaymentV2(w http.ResponseWriter, r *http.Request) {
	p, ok := e.PaymentV2(r.PathValue("paymentId"))
	if !ok {
		controlError(w, http.StatusNotFound, "not_found", "no V2 payment "+r.PathValue("paymentId"), nil)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (e *Emulator) handleControlDepositV2(w http.ResponseWriter, r *http.Request) {
	p, err := e.DepositV2(r.PathValue("paymentId"))
	if err != nil {
		controlFail(w, http.StatusConflict, "not_depositable", err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleControlCancelV2 is a cancel in PortOne's console; the optional
// body {"amount": n} (minor units) cancels part of the payment.
func (e *Emulator) handleControlCancelV2(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount json.Number `json:"amount"`
	}
	if body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody)); len(body) > 0 {
		if err := decodeV2JSON(body, &in); err != nil {
			controlError(w, http.StatusBadRequest, "bad_body", err.Error(), nil)
			return
		}
	}
	req := V2CancelRequest{Reason: consoleCancelReason, Console: true}
	if in.Amount != "" {
		v, err := minorUnits("amount", in.Amount)
		if err != nil {
			controlError(w, http.StatusBadRequest, "bad_amount", err.Error(), nil)
			return
		}
		req.Amount = &v
	}
	c, err := e.CancelV2(r.PathValue("paymentId"), req)
	var ce *V2CancelError
	switch {
	case errors.As(err, &ce):
		controlError(w, http.StatusConflict, "refused", ce.Message, map[string]any{"type": ce.Type})
	case err != nil:
		controlFail(w, http.StatusInternalServerError, "cancel_failed", err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"cancellation": c})
	}
}

func (e *Emulator) handleControlSettleV2(w http.ResponseWriter, r *http.Request) {
	p, err := e.SettleV2Refunds(r.PathValue("paymentId"))
	if err != nil {
		controlFail(w, http.StatusConflict, "nothing_to_settle", err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
