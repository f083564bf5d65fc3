package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/payresult/payresult/portone"
)

// controlRoutes adds the JSON control API for tests and scripts.
func (e *Emulator) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /__emulator/payments", e.handleControlPay)
	mux.HandleFunc("GET /__emulator/payments", e.handleControlLedger)
	mux.HandleFunc("GET /__emulator/payments/{imp_uid}", e.handleControlPayment)
	mux.HandleFunc("PUT /__emulator/payments/{imp_uid}", e.handleControlPut)
	mux.HandleFunc("POST /__emulator/payments/{imp_uid}/deposit", e.handleControlDeposit)
	mux.HandleFunc("POST /__emulator/payments/{imp_uid}/cancel", e.handleControlCancel)
	mux.HandleFunc("GET /__emulator/faults", e.handleControlFaults)
	mux.HandleFunc("PUT /__emulator/faults", e.handleControlSetFaults)
	mux.HandleFunc("GET /__emulator/webhooks", e.handleControlWebhooks)
	mux.HandleFunc("POST /__emulator/reset", e.handleControlReset)
}

// controlError answers {"error": {"code", "message"}}, as payresult's
// own API does.
func controlError(w http.ResponseWriter, status int, code, msg string, extra map[string]any) {
	body := map[string]any{"error": map[string]string{"code": code, "message": msg}}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

// payAnswer is the answer of POST /__emulator/payments.
type payAnswer struct {
	Payment        *portone.Payment `json:"payment"`
	RedirectURL    string           `json:"redirect_url"`
	RedirectMethod string           `json:"redirect_method"`
	Success        bool             `json:"success"`
	ErrorCode      string           `json:"error_code,omitempty"`
	ErrorMsg       string           `json:"error_msg,omitempty"`
}

// handleControlPay completes a payment without a browser: the body is
// request_pay's parameters plus "outcome".
func (e *Emulator) handleControlPay(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad_body", err.Error(), nil)
		return
	}
	req, err := paymentRequest(p, r)
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
		return
	}
	outcome := Outcome(p.get("outcome"))
	if outcome == "" {
		outcome = OutcomePaid
	}
	if !outcome.Valid() {
		controlError(w, http.StatusBadRequest, "bad_outcome", "outcome must be one of paid, failed, cancelled_by_user, vbank_issued, abandoned", nil)
		return
	}
	res, err := e.Pay(req, outcome)
	if errors.Is(err, ErrRefused) {
		controlError(w, http.StatusUnprocessableEntity, "refused", res.ErrorMsg, map[string]any{"redirect_url": res.RedirectURL})
		return
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
		return
	}
	defer res.Release()
	writeJSON(w, http.StatusCreated, payAnswer{Payment: res.Payment, RedirectURL: res.RedirectURL,
		RedirectMethod: res.RedirectMethod, Success: res.Success, ErrorCode: res.ErrorCode, ErrorMsg: res.ErrorMsg})
	http.NewResponseController(w).Flush()
}

func (e *Emulator) handleControlLedger(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"payments": e.Payments()})
}

func (e *Emulator) handleControlPayment(w http.ResponseWriter, r *http.Request) {
	p, ok := e.Payment(r.PathValue("imp_uid"))
	if !ok {
		controlError(w, http.StatusNotFound, "not_found", "no payment "+r.PathValue("imp_uid"), nil)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleControlPut stores a payment in any state (Emulator.Put).
func (e *Emulator) handleControlPut(w http.ResponseWriter, r *http.Request) {
	var p portone.Payment
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&p); err != nil {
		controlError(w, http.StatusBadRequest, "bad_body", err.Error(), nil)
		return
	}
	p.ImpUID = r.PathValue("imp_uid")
	got, err := e.Put(p)
	if err != nil {
		controlError(w, http.StatusBadRequest, "invalid_payment", err.Error(), nil)
		return
	}
	writeJSON(w, http.StatusOK, got)
}

func (e *Emulator) handleControlDeposit(w http.ResponseWriter, r *http.Request) {
	p, err := e.Deposit(r.PathValue("imp_uid"))
	if err != nil {
		controlError(w, http.StatusConflict, "not_depositable", err.Error(), nil)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleControlCancel is a cancel in PortOne's console; the optional
// body {"amount": n} cancels part of the payment.
func (e *Emulator) handleControlCancel(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad_body", err.Error(), nil)
		return
	}
	amount, _, err := p.amount("amount")
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad_amount", err.Error(), nil)
		return
	}
	pay, err := e.ConsoleCancel(r.PathValue("imp_uid"), amount)
	var ce *CancelError
	if errors.As(err, &ce) {
		controlError(w, http.StatusConflict, "refused", ce.Message, nil)
		return
	}
	writeJSON(w, http.StatusOK, pay)
}

func (e *Emulator) handleControlFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, e.Faults())
}

// handleControlSetFaults replaces the faults; invalid ones change nothing.
func (e *Emulator) handleControlSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		controlError(w, http.StatusBadRequest, "bad_faults", err.Error(), nil)
		return
	}
	if err := e.SetFaults(f); err != nil {
		controlError(w, http.StatusBadRequest, "bad_faults", err.Error(), nil)
		return
	}
	writeJSON(w, http.StatusOK, e.Faults())
}

func (e *Emulator) handleControlWebhooks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": e.Webhooks()})
}

func (e *Emulator) handleControlReset(w http.ResponseWriter, r *http.Request) {
	e.Reset()
	w.WriteHeader(http.StatusNoContent)
}
