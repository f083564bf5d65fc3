package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

//go:embed templates/*.html
var templateFS embed.FS

// kst is Korea Standard Time: buyers read deadlines and payment times in it.
var kst = time.FixedZone("KST", 9*60*60)

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"kst":   func(t time.Time) string { return t.In(kst).Format("2006-01-02 15:04 KST") },
	"money": formatMoney,
}).ParseFS(templateFS, "templates/*.html"))

// Confirming pages refresh every refreshSeconds, up to maxRefreshes times
// (about two minutes); after that the page stops and tells the buyer the
// shop will be told, rather than spinning forever.
const (
	refreshSeconds = 3
	maxRefreshes   = 40
)

// pageData is what the page templates get.
type pageData struct {
	Title          string
	Page           payresult.ResultPage
	MerchantUID    string
	Order          *payresult.Order
	Message        string
	RefreshURL     string
	RefreshSeconds int
	GaveUp         bool
	Sandbox        bool
	// Demo shop fields.
	MerchantCode string
	PublicURL    string
}

// renderRedirect is the RedirectHandler's Render: payresult's own page.
func (s *Server) renderRedirect(w http.ResponseWriter, r *http.Request, v *payresult.RedirectView) {
	s.renderResult(w, v, 0)
}

func (s *Server) renderResult(w http.ResponseWriter, v *payresult.RedirectView, refreshes int) {
	d := pageData{
		Title: v.Page.Title(), Page: v.Page, MerchantUID: v.MerchantUID, Order: v.Order,
		Message: v.Message, Sandbox: s.cfg.Sandbox,
	}
	if v.Page == payresult.PageConfirming && v.MerchantUID != "" {
		if refreshes < maxRefreshes {
			d.RefreshURL = s.resultLink(v.MerchantUID, v.ImpUID, refreshes+1)
			d.RefreshSeconds = refreshSeconds
		} else {
			d.GaveUp = true
		}
	}
	s.renderPage(w, v.HTTPStatus, "result.html", &d)
}

func (s *Server) renderPage(w http.ResponseWriter, status int, name string, d *pageData) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// resultLink is the address of an order's result page. The token keeps
// strangers from reading orders by guessing merchant_uids.
func (s *Server) resultLink(merchantUID, impUID string, refreshes int) string {
	q := url.Values{"t": {s.resultToken(merchantUID)}}
	if impUID != "" {
		q.Set("imp_uid", impUID)
	}
	if refreshes > 0 {
		q.Set("n", strconv.Itoa(refreshes))
	}
	return "/result/" + url.PathEscape(merchantUID) + "?" + q.Encode()
}

func (s *Server) resultToken(merchantUID string) string {
	m := hmac.New(sha256.New, s.cfg.ResultKey)
	m.Write([]byte("result-page\x00" + merchantUID))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// resultPage shows an order's result, for a confirming page that
// refreshes itself. It shows what the webhook or the reconciler has
// settled meanwhile; an order still pending is confirmed once more (its
// redirect may have found PortOne unreachable). A settled order with an
// app URL for its result sends the buyer there, as the redirect would have.
func (s *Server) resultPage(w http.ResponseWriter, r *http.Request) {
	mu, q := r.PathValue("merchant_uid"), r.URL.Query()
	if checkMerchantUID(mu) != nil || !hmac.Equal([]byte(q.Get("t")), []byte(s.resultToken(mu))) {
		s.renderResult(w, &payresult.RedirectView{Page: payresult.PageNotFound, HTTPStatus: http.StatusNotFound}, 0)
		return
	}
	refreshes, _ := strconv.Atoi(q.Get("n"))
	o, err := s.cfg.Store.Order(r.Context(), mu)
	switch {
	case err != nil && !payresult.IsNotFound(err):
		// The database is unreachable: keep the buyer waiting rather than
		// showing an error for what is likely a blip.
		s.log.Warn("result page: reading the order", "merchant_uid", mu, "err", err)
		err = payresult.WrapError(payresult.KindTransient, err, "reading the order")
	case err == nil && o.Status == payresult.StatusPending:
		o = s.confirmAgain(r, o, q.Get("imp_uid"))
	}
	v := payresult.ViewOf(mu, o, err, "")
	v.ImpUID = q.Get("imp_uid")
	if target := v.AppURL(); target != "" && len(s.cfg.ResultKey) > 0 {
		if u, err := payresult.SignedResultURL(target, s.cfg.ResultKey, v.Order, s.cfg.Now()); err == nil {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	s.renderResult(w, &v, refreshes)
}

// confirmAgain runs Confirm for a pending order and returns the order as
// it stands afterwards; on any failure the order is shown as it was.
func (s *Server) confirmAgain(r *http.Request, o *payresult.Order, impUID string) *payresult.Order {
	res, err := s.cfg.Processor.Confirm(r.Context(), payresult.Notice{
		Source: payresult.SourceRedirect, ImpUID: impUID, MerchantUID: o.MerchantUID,
	})
	if err != nil || res == nil || res.Order == nil {
		s.log.Info("result page: order still unconfirmed", "merchant_uid", o.MerchantUID, "err", err)
		return o
	}
	return res.Order
}

// formatMoney writes an amount for a buyer: "12,000원" for KRW, else the
// amount with its currency code.
func formatMoney(a portone.Amount, currency string) string {
	s := a.String()
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	var b strings.Builder
	if strings.HasPrefix(s, "-") {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	if currency == "" || currency == "KRW" {
		return b.String() + "원"
	}
	return b.String() + " " + currency
}
