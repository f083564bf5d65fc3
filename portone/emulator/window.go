package emulator

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/payresult/payresult/portone"
)

//go:embed assets/window.html assets/finish.html assets/home.html assets/iamport.js assets/browser-sdk.js
var assets embed.FS

var (
	windowPage = template.Must(template.ParseFS(assets, "assets/window.html"))
	finishPage = template.Must(template.ParseFS(assets, "assets/finish.html"))
	homePage   = template.Must(template.ParseFS(assets, "assets/home.html"))
	iamportJS  = mustAsset("assets/iamport.js")
	// browserSDKJS stands in for PortOne V2's browser SDK.
	browserSDKJS = mustAsset("assets/browser-sdk.js")
)

func mustAsset(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// browserRoutes adds what a browser uses: iamport.js and the window.
func (e *Emulator) browserRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/iamport.js", e.handleIamportJS)
	mux.HandleFunc("POST /window/open", e.handleWindowOpen)
	mux.HandleFunc("OPTIONS /window/open", allowCORS)
	mux.HandleFunc("GET /window/{imp_uid}", e.handleWindow)
	mux.HandleFunc("POST /window/{imp_uid}", e.handleWindowOutcome)
}

// handleIamportJS serves the stand-in for PortOne's browser script.
func (e *Emulator) handleIamportJS(w http.ResponseWriter, r *http.Request) {
	e.serveScript(w, iamportJS)
}

// serveScript serves one of the stand-in browser scripts. With a
// PublicURL it points there; otherwise it finds its base from its own
// script URL, which also works under a mount prefix. Any page may load it.
func (e *Emulator) serveScript(w http.ResponseWriter, js []byte) {
	base, _ := json.Marshal(strings.TrimSuffix(e.cfg.PublicURL, "/"))
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(bytes.Replace(js, []byte("__PUBLIC_BASE__"), base, 1))
}

func allowCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleWindowOpen is request_pay's first step: pre-validation, then a
// ready payment. The merchant's page calls it cross-origin.
func (e *Emulator) handleWindowOpen(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	p, err := readParams(r)
	var req PaymentRequest
	if err == nil {
		req, err = paymentRequest(p, r)
	}
	mode := modeCallback
	if p.get("mode") == modeRedirect {
		mode = modeRedirect
	}
	var (
		impUID  string
		refusal *Result
	)
	if err != nil {
		req.MerchantUID, req.RedirectURL = p.get("merchant_uid"), p.get("m_redirect_url")
		refusal = refused(req, portone.MsgPayBadParams+" ("+err.Error()+")")
	} else if impUID, refusal, err = e.open(req, mode); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"ok": false, "error": err.Error()})
		return
	}
	if refusal != nil {
		writeJSON(w, http.StatusOK, map[string]any{
			"ok": false, "redirect_url": refusal.RedirectURL,
			"response": callbackResponse(nil, refusal, req.MerchantUID),
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "imp_uid": impUID, "window_path": "window/" + impUID})
}

// windowView is what the window page shows.
type windowView struct {
	Merchant, Name, Amount, PayMethod, PG, MerchantUID, Action string
	// PayPending offers V2's pending approval (PayPal) as an outcome.
	PayPending bool
}

// handleWindow shows the payment window of a ready payment.
func (e *Emulator) handleWindow(w http.ResponseWriter, r *http.Request) {
	e.mu.RLock()
	rec, ok := e.ledger.byImpUID[r.PathValue("imp_uid")]
	var (
		v    windowView
		back string
	)
	open := ok && !rec.redirect.done && rec.redirect.mode != ""
	if ok {
		back = shopURL(rec.redirect.url)
	}
	if open {
		p := rec.p
		v = windowView{Merchant: e.cfg.MerchantCode, Name: p.Name.String, Amount: p.Amount.Display(p.Currency),
			PayMethod: string(p.PayMethod), PG: p.PGProvider.String + "." + p.PGID.String, MerchantUID: p.MerchantUID,
			Action: p.ImpUID}
	}
	e.mu.RUnlock()
	if !open {
		// Also where Back leads after paying: the window is done.
		e.renderFinish(w, http.StatusNotFound, finishView{Kind: "closed", Title: "결제창 없음 · No window",
			Text: "이 결제창은 이미 닫혔거나 없습니다. · This payment window is closed or does not exist.", BackURL: back})
		return
	}
	// A window must never come back from the browser's cache: Back after
	// paying asks again and finds it closed.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	windowPage.Execute(w, v)
}

// handleWindowOutcome applies the buyer's choice and ends the flow: a
// 302 to m_redirect_url (or an auto-submitted POST), or a message to the
// page that called request_pay.
func (e *Emulator) handleWindowOutcome(w http.ResponseWriter, r *http.Request) {
	outcome := Outcome(r.PostFormValue("outcome"))
	if !outcome.Valid() {
		http.Error(w, "outcome must be one of paid, failed, cancelled_by_user, vbank_issued, abandoned", http.StatusBadRequest)
		return
	}
	impUID := r.PathValue("imp_uid")
	e.mu.RLock()
	rec, ok := e.ledger.byImpUID[impUID]
	var mode, back string
	if ok {
		mode, back = rec.redirect.mode, shopURL(rec.redirect.url)
	}
	e.mu.RUnlock()
	res, err := e.finish(impUID, outcome)
	if errors.Is(err, ErrStorage) {
		e.renderFinish(w, http.StatusInternalServerError, finishView{Kind: "error", Title: "오류 · Error",
			Text: "샌드박스가 결제를 저장하지 못했습니다. 다시 시도해 주세요. · The sandbox could not save the payment; try again."})
		return
	}
	if err != nil {
		e.renderFinish(w, http.StatusConflict, finishView{Kind: "closed", Title: "처리된 결제 · Already done",
			Text: "이미 처리된 결제입니다. · This payment has already been handled.", BackURL: back})
		return
	}
	defer res.Release()
	switch {
	case mode == modeCallback && outcome == OutcomeAbandoned:
		e.renderFinish(w, http.StatusOK, finishView{Kind: "abandoned", Title: "이탈 · Left",
			Message: map[string]any{"type": "payresult-imp"}})
	case mode == modeCallback:
		e.renderFinish(w, http.StatusOK, finishView{Kind: string(outcome), Title: "결제 결과 · Result",
			Message: map[string]any{"type": "payresult-imp", "response": callbackResponse(res.Payment, res, "")}})
	case res.RedirectURL == "":
		e.renderFinish(w, http.StatusOK, finishView{Kind: string(outcome), Title: "결제창 닫힘 · Window closed",
			Text: "결제창이 닫혔습니다. 결제는 진행되지 않았습니다. · The payment window has closed; nothing was paid.", BackURL: back})
	case res.RedirectMethod == http.MethodPost:
		e.renderFinish(w, http.StatusOK, postRedirect(res.RedirectURL))
	default:
		http.Redirect(w, r, res.RedirectURL, http.StatusFound)
	}
	// The redirect is answered: a webhook held for redirect_first may go.
	http.NewResponseController(w).Flush()
}

// finishView is the page that ends a window.
type finishView struct {
	Kind, Title, Text string
	// BackURL, when set, is a link back to the shop (see shopURL).
	BackURL    string
	PostURL    string
	PostFields [][2]string
	Message    any // posted to the page that opened the window
}

func (e *Emulator) renderFinish(w http.ResponseWriter, status int, v finishView) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	finishPage.Execute(w, v)
}

// shopURL is the page a buyer who left the window can go back to: the
// root of m_redirect_url's site, "" when there is none.
func shopURL(redirectURL string) string {
	u, err := url.Parse(redirectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}

// postRedirect is the KG Inicis iOS case: the merchant gets a POST to
// m_redirect_url carrying the query, with merchant_uid repeated, and the
// same values in the form body.
func postRedirect(target string) finishView {
	v := finishView{Kind: "redirect_post", Title: "이동 중 · Redirecting", PostURL: target}
	if _, query, ok := strings.Cut(target, "?"); ok {
		for _, kv := range strings.Split(query, "&") {
			k, val, _ := strings.Cut(kv, "=")
			k, _ = url.QueryUnescape(k)
			val, _ = url.QueryUnescape(val)
			v.PostFields = append(v.PostFields, [2]string{k, val})
		}
	}
	return v
}

// callbackResponse is the object request_pay's callback receives. The
// current SDK has no "success" key; imp_success stays.
func callbackResponse(p *portone.Payment, res *Result, merchantUID string) map[string]any {
	out := map[string]any{"imp_success": res.Success, "imp_uid": nil, "merchant_uid": merchantUID}
	if !res.Success {
		out["error_code"], out["error_msg"] = res.ErrorCode, res.ErrorMsg
	}
	if p == nil {
		return out
	}
	out["imp_uid"], out["merchant_uid"] = p.ImpUID, p.MerchantUID
	out["pay_method"], out["paid_amount"], out["currency"] = p.PayMethod, p.Amount, p.Currency
	out["status"], out["name"], out["pg_provider"], out["pg_tid"] = p.Status, p.Name, p.PGProvider, p.PGTID
	out["buyer_name"], out["buyer_email"], out["buyer_tel"] = p.BuyerName, p.BuyerEmail, p.BuyerTel
	out["custom_data"], out["paid_at"], out["receipt_url"], out["apply_num"] = p.CustomData, p.PaidAt, p.ReceiptURL, p.ApplyNum
	out["card_name"], out["card_number"], out["card_quota"] = p.CardName, p.CardNumber, p.CardQuota
	out["vbank_num"], out["vbank_name"], out["vbank_holder"], out["vbank_date"] = p.VbankNum, p.VbankName, p.VbankHolder, p.VbankDate
	return out
}

// writeJSON answers the browser and control endpoints: plain JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
