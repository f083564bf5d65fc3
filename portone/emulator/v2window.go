package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/payresult/payresult/portone"
)

// v2WindowRoutes adds what a browser uses for V2: the stand-in for
// PortOne's browser SDK at the CDN's path, and the V2 window.
func (e *Emulator) v2WindowRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/browser-sdk.js", e.handleBrowserSDK)
	mux.HandleFunc("POST /v2/window/open", e.handleV2WindowOpen)
	mux.HandleFunc("OPTIONS /v2/window/open", allowCORS)
	mux.HandleFunc("GET /v2/window/{txId}", e.handleV2Window)
	mux.HandleFunc("POST /v2/window/{txId}", e.handleV2WindowOutcome)
}

// handleBrowserSDK serves the stand-in for
// https://cdn.portone.io/v2/browser-sdk.js.
func (e *Emulator) handleBrowserSDK(w http.ResponseWriter, r *http.Request) {
	e.serveScript(w, browserSDKJS)
}

// handleV2WindowOpen is requestPayment's first step: the checks PortOne's
// checkout server makes, then a READY attempt. The shop's page calls it
// cross-origin. A refusal carries the code and message of the
// PaymentError the SDK rejects with; no window opens and nothing is
// redirected.
func (e *Emulator) handleV2WindowOpen(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "code": "BadRequest", "message": errBody.Error()})
		return
	}
	var flow struct {
		Mode string `json:"__mode"`
	}
	json.Unmarshal(body, &flow)
	mode := modePromise
	if flow.Mode == modeRedirect {
		mode = modeRedirect
	}
	req, refusal := parseV2Request(body, e.now())
	var txID string
	if refusal == nil {
		if txID, refusal, err = e.openV2(req, mode); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"ok": false, "code": "UnknownError", "message": err.Error()})
			return
		}
	}
	if refusal != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "code": refusal.Code, "message": refusal.Message})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "txId": txID, "paymentId": req.PaymentID})
}

// handleV2Window shows the window of a READY attempt.
func (e *Emulator) handleV2Window(w http.ResponseWriter, r *http.Request) {
	txID := r.PathValue("txId")
	e.mu.RLock()
	rec, ok := e.ledger.v2.byTxID[txID]
	var (
		v    windowView
		back string
	)
	open := ok && rec.p.TransactionID == txID && !rec.window.Done && rec.window.Mode != ""
	if ok {
		back = shopURL(rec.window.RedirectURL)
	}
	if open {
		p := rec.p
		v = windowView{Merchant: p.StoreID, Name: p.OrderName, Amount: minorAmount(p.Amount.Total, p.Currency).Display(p.Currency),
			PayMethod: rec.payMethod, PG: rec.channel.Name, MerchantUID: p.ID, Action: txID, PayPending: true}
	}
	e.mu.RUnlock()
	if !open {
		e.renderFinish(w, http.StatusNotFound, finishView{Kind: "closed", Title: "결제창 없음 · No window",
			Text: "이 결제창은 이미 닫혔거나 없습니다. · This payment window is closed or does not exist.", BackURL: back})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	windowPage.Execute(w, v)
}

// v2WindowMessage is the type of the message the V2 window posts to the
// page that called requestPayment.
const v2WindowMessage = "payresult-portone-v2"

// handleV2WindowOutcome applies the buyer's choice and ends the flow: a
// 302 to redirectUrl with the answer in its query, or a message to the
// page whose requestPayment promise then resolves with it. Leaving the
// window in the promise flow closes it, which PortOne's SDK reports as
// the buyer's cancel.
func (e *Emulator) handleV2WindowOutcome(w http.ResponseWriter, r *http.Request) {
	outcome := Outcome(r.PostFormValue("outcome"))
	if !outcome.validV2() {
		http.Error(w, "outcome must be one of paid, failed, cancelled_by_user, vbank_issued, pay_pending, abandoned", http.StatusBadRequest)
		return
	}
	txID := r.PathValue("txId")
	e.mu.RLock()
	rec, ok := e.ledger.v2.byTxID[txID]
	var win v2Window
	if ok {
		win = rec.window
	}
	e.mu.RUnlock()
	back := shopURL(win.RedirectURL)
	if win.Mode == modePromise && outcome == OutcomeAbandoned {
		outcome = OutcomeCancelledByUser
	}
	res, err := e.finishV2(txID, outcome)
	switch {
	case errors.Is(err, ErrStorage):
		e.renderFinish(w, http.StatusInternalServerError, finishView{Kind: "error", Title: "오류 · Error",
			Text: "샌드박스가 결제를 저장하지 못했습니다. 다시 시도해 주세요. · The sandbox could not save the payment; try again."})
		return
	case err != nil:
		e.renderFinish(w, http.StatusConflict, finishView{Kind: "closed", Title: "처리된 결제 · Already done",
			Text: "이미 처리된 결제입니다. · This payment has already been handled.", BackURL: back})
		return
	}
	defer res.Release()
	switch {
	case win.Mode == modePromise:
		e.renderFinish(w, http.StatusOK, finishView{Kind: string(outcome), Title: "결제 결과 · Result",
			Message: map[string]any{"type": v2WindowMessage, "response": res.Response}})
	case res.RedirectURL == "":
		e.renderFinish(w, http.StatusOK, finishView{Kind: string(outcome), Title: "결제창 닫힘 · Window closed",
			Text: "결제창이 닫혔습니다. 결제는 진행되지 않았습니다. · The payment window has closed; nothing was paid.", BackURL: back})
	default:
		http.Redirect(w, r, res.RedirectURL, http.StatusFound)
	}
	http.NewResponseController(w).Flush()
}

// minorAmount converts an amount in minor units of currency to a
// portone.Amount in whole units (1050 cents are 10.50 USD).
func minorAmount(minor int64, currency string) portone.Amount {
	decimals, ok := portone.MinorUnit(currency)
	if !ok {
		decimals = 0
	}
	a := portone.Won(minor)
	for range decimals {
		a = portone.AmountFromScaled(a.Scaled() / 10)
	}
	return a
}
