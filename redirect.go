package payresult

import (
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/payresult/payresult/portone"
)

// RedirectHandler handles the buyer's browser coming back from PortOne's
// payment window (V1's m_redirect_url target, or V2's redirectUrl), by
// GET or POST. It parses the query leniently, runs Confirm, and then
// either sends the buyer with 303 to the order's success or fail URL with
// a signed result (see SignResult), or shows a result page.
//
// Mount it on any mux; it needs only a Processor with the app's own Store.
type RedirectHandler struct {
	// Processor confirms the payment. Required.
	Processor *Processor
	// API is the PortOne API whose redirect this is. APIV1 (the zero
	// value) reads imp_uid, merchant_uid, error_code and error_msg; APIV2
	// reads paymentId (the order's merchant_uid), code and message. A
	// code means the payment did not complete, but the order is checked
	// at PortOne all the same: the query is the buyer's to change.
	API API
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
	n, err := h.notice(r)
	if err != nil {
		log.Info("redirect refused", "err", err)
		h.render(w, r, &RedirectView{Page: PageInvalid, HTTPStatus: http.StatusBadRequest})
		return
	}
	res, err := h.Processor.confirmRequest(r, n)
	var order *Order
	if res != nil {
		order = res.Order
	}
	v := ViewOf(n.MerchantUID, order, err, n.ErrorMsg)
	if n.API != APIV2 {
		v.ImpUID = n.ImpUID
	}
	logNotice(log, n, v, err)
	if target := v.AppURL(); target != "" && len(h.ResultKey) > 0 {
		u, uerr := SignedResultURL(target, h.ResultKey, v.Order, h.now())
		if uerr == nil {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
		log.Error("order has an unusable result URL", "merchant_uid", n.MerchantUID, "err", uerr)
	}
	h.render(w, r, &v)
}

// notice reads the notice of a redirect of h's API.
func (h *RedirectHandler) notice(r *http.Request) (Notice, error) {
	if h.API == APIV2 {
		return parseV2Redirect(r)
	}
	rd, err := portone.ParseRedirect(r)
	if err != nil {
		return Notice{}, err
	}
	return Notice{Source: SourceRedirect, ImpUID: rd.ImpUID, MerchantUID: rd.MerchantUID,
		ErrorCode: rd.ErrorCode, ErrorMsg: rd.ErrorMsg}, nil
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
