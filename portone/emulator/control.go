package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/payresult/payresult/portone"
)

// ControlEndpoint is one endpoint of the control API.
type ControlEndpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Doc    string `json:"doc"`
}

// control lists the JSON control API for tests and scripts, in the order
// GET /__emulator/ and `payresult emulator --help` show it.
func (e *Emulator) control() []struct {
	ControlEndpoint
	h http.HandlerFunc
} {
	type ep = struct {
		ControlEndpoint
		h http.HandlerFunc
	}
	return []ep{
		{ControlEndpoint{"GET", "/__emulator/", "this list"}, e.handleControlIndex},
		{ControlEndpoint{"POST", "/__emulator/payments", "complete a payment without a browser: request_pay's parameters " +
			"plus outcome (paid, failed, cancelled_by_user, vbank_issued, abandoned); answers the payment and " +
			"the exact redirect URL"}, e.handleControlPay},
		{ControlEndpoint{"GET", "/__emulator/payments", "the whole ledger"}, e.handleControlLedger},
		{ControlEndpoint{"GET", "/__emulator/payments/{imp_uid}", "one payment, whatever its sandbox flag"}, e.handleControlPayment},
		{ControlEndpoint{"PUT", "/__emulator/payments/{imp_uid}", "store a payment in any state, sending no webhook"}, e.handleControlPut},
		{ControlEndpoint{"POST", "/__emulator/payments/{imp_uid}/deposit", "the buyer pays into the virtual account"}, e.handleControlDeposit},
		{ControlEndpoint{"POST", "/__emulator/payments/{imp_uid}/cancel", "a cancel in PortOne's console, sending a " +
			"cancelled webhook; {\"amount\": n} cancels part"}, e.handleControlCancel},
		{ControlEndpoint{"POST", "/__emulator/v2/payments", "V2: complete a payment without a browser: " +
			"requestPayment's parameters plus outcome (paid, failed, cancelled_by_user, vbank_issued, pay_pending, " +
			"abandoned); answers the payment, the redirect URL and the promise's answer"}, e.handleControlPayV2},
		{ControlEndpoint{"GET", "/__emulator/v2/payments", "V2: the whole ledger"}, e.handleControlLedgerV2},
		{ControlEndpoint{"GET", "/__emulator/v2/payments/{paymentId}", "V2: one payment"}, e.handleControlPaymentV2},
		{ControlEndpoint{"POST", "/__emulator/v2/payments/{paymentId}/deposit", "V2: the buyer pays into the " +
			"virtual account, or a pending approval goes through"}, e.handleControlDepositV2},
		{ControlEndpoint{"POST", "/__emulator/v2/payments/{paymentId}/cancel", "V2: a cancel in PortOne's console, " +
			"sending its webhook; {\"amount\": n} cancels part"}, e.handleControlCancelV2},
		{ControlEndpoint{"POST", "/__emulator/v2/payments/{paymentId}/settle-refunds", "V2: the bank completes " +
			"the virtual-account refunds that are still REQUESTED"}, e.handleControlSettleV2},
		{ControlEndpoint{"GET", "/__emulator/faults", "the faults in force (V1 and V2)"}, e.handleControlFaults},
		{ControlEndpoint{"PUT", "/__emulator/faults", "replace the faults: webhook drop, duplicate, delay, order, " +
			"content type and retries; API error rate, status, latency and hang; redirect flavour and POST"}, e.handleControlSetFaults},
		{ControlEndpoint{"GET", "/__emulator/webhooks", "every webhook delivery attempt (V1 and V2) with its answer"}, e.handleControlWebhooks},
		{ControlEndpoint{"GET", "/__emulator/requests", "how many REST API requests were answered, in all and by " +
			"endpoint; ?reset=true starts the count again"}, e.handleControlRequests},
		{ControlEndpoint{"POST", "/__emulator/reset", "forget every payment, prepared amount, token and webhook; restore the faults"}, e.handleControlReset},
	}
}

// ControlAPI lists the control API's endpoints.
func ControlAPI() []ControlEndpoint {
	var out []ControlEndpoint
	for _, c := range (&Emulator{}).control() {
		out = append(out, c.ControlEndpoint)
	}
	return out
}

// controlRoutes adds the JSON control API for tests and scripts.
func (e *Emulator) controlRoutes(mux *http.ServeMux) {
	for _, c := range e.control() {
		pattern := c.Path
		if strings.HasSuffix(pattern, "/") {
			pattern += "{$}"
		}
		mux.HandleFunc(c.Method+" "+pattern, c.h)
	}
}

// handleControlIndex lists the control API.
func (e *Emulator) handleControlIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"endpoints": ControlAPI()})
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

// controlFail answers err: with status and code, or 500 storage_failed
// when the sandbox could not save the change.
func controlFail(w http.ResponseWriter, status int, code string, err error) {
	if errors.Is(err, ErrStorage) {
		status, code = http.StatusInternalServerError, "storage_failed"
	}
	controlError(w, status, code, err.Error(), nil)
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
		controlFail(w, http.StatusBadRequest, "bad_request", err)
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
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err == nil {
		err = checkJSON(body)
	}
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad_body", err.Error(), nil)
		return
	}
	p.ImpUID = r.PathValue("imp_uid")
	got, err := e.Put(p)
	if err != nil {
		controlFail(w, http.StatusBadRequest, "invalid_payment", err)
		return
	}
	writeJSON(w, http.StatusOK, got)
}

func (e *Emulator) handleControlDeposit(w http.ResponseWriter, r *http.Request) {
	p, err := e.Deposit(r.PathValue("imp_uid"))
	if err != nil {
		controlFail(w, http.StatusConflict, "not_depositable", err)
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
	switch {
	case errors.As(err, &ce) && ce.Invalid:
		controlError(w, http.StatusBadRequest, "bad_amount", ce.Message, nil)
	case errors.As(err, &ce):
		controlError(w, http.StatusConflict, "refused", ce.Message, nil)
	case err != nil:
		controlFail(w, http.StatusInternalServerError, "cancel_failed", err)
	default:
		writeJSON(w, http.StatusOK, pay)
	}
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
	if err := e.Reset(); err != nil {
		controlFail(w, http.StatusInternalServerError, "reset_failed", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
