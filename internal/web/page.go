package web

import (
	"bytes"
	"context"
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
	"kst":        func(t time.Time) string { return t.In(kst).Format("2006-01-02 15:04 KST") },
	"money":      func(a portone.Amount, currency string) string { return a.Display(currency) },
	"stylesheet": func() template.HTML { return stylesheetTag },
	"script":     func() template.HTML { return scriptTag },
	// halves splits "한국어 · English" into its Korean and English parts.
	"halves": func(s string) [2]string {
		ko, en, _ := strings.Cut(s, " · ")
		return [2]string{ko, en}
	},
}).ParseFS(templateFS, "templates/*.html"))

// A confirming page reloads itself every refreshSeconds and keeps at it
// for confirmWindow after it was first shown, then stops and tells the
// buyer that the shop will be told, rather than spinning forever. The page
// states that window, and it holds however slowly PortOne answers: the
// page counts time, not reloads, and each reload's own check of PortOne is
// cut at recheckTimeout.
const (
	refreshSeconds = 3
	confirmWindow  = 2 * time.Minute
	recheckTimeout = 5 * time.Second
)

// pageData is what the page templates get.
type pageData struct {
	Title string
	Page  payresult.ResultPage
	// State is the short label of the buyer's result, in their words
	// (never a status code); Tone colours it: ok, wait, info or bad.
	State, Tone    string
	MerchantUID    string
	Order          *payresult.Order
	Message        string
	RefreshURL     string
	RefreshSeconds int
	// WaitMinutes is how long a confirming page says it keeps checking.
	WaitMinutes int
	GaveUp      bool
	Sandbox     bool
	// Demo shop fields.
	MerchantCode string
	PublicURL    string
	Price        string
}

// pageStates are the labels of the result pages that have one: what
// happened to the buyer's money, in Korean with English.
var pageStates = map[payresult.ResultPage][2]string{
	payresult.PagePaid:              {"결제 완료 · Paid", "ok"},
	payresult.PageVbankIssued:       {"입금 대기 · Awaiting your deposit", "wait"},
	payresult.PagePartiallyRefunded: {"부분 환불 · Partly refunded", "info"},
	payresult.PageRefunded:          {"전액 환불 · Refunded", "info"},
	payresult.PageFailed:            {"결제 안 됨 · Not paid", "bad"},
	payresult.PageRefused:           {"승인 거절 · Refused", "bad"},
	payresult.PageExpired:           {"기한 만료 · Expired", "bad"},
	payresult.PageConfirming:        {"확인 중 · Checking", "wait"},
}

// confirmingStopped are the heading and the label of a confirming page
// whose time is up.
var confirmingStopped = [2]string{"결제를 아직 확인하지 못했습니다 · We could not confirm your payment yet", "확인 지연 · Not confirmed yet"}

// renderRedirect is the RedirectHandler's Render: payresult's own page.
func (s *Server) renderRedirect(w http.ResponseWriter, r *http.Request, v *payresult.RedirectView) {
	s.renderResult(w, r, v, time.Time{})
}

// renderResult shows a result page. since is when the buyer first saw a
// confirming page for this redirect (zero: now).
func (s *Server) renderResult(w http.ResponseWriter, r *http.Request, v *payresult.RedirectView, since time.Time) {
	state := pageStates[v.Page]
	d := pageData{
		Title: v.Page.Title(), Page: v.Page, State: state[0], Tone: state[1], MerchantUID: v.MerchantUID, Order: v.Order,
		Message: v.Message, Sandbox: s.cfg.Sandbox,
	}
	if v.Page == payresult.PageConfirming && v.MerchantUID != "" {
		now := s.cfg.Now()
		if since.IsZero() || since.After(now) {
			since = now
		}
		d.WaitMinutes = int(confirmWindow / time.Minute)
		if now.Sub(since) < confirmWindow {
			d.RefreshURL = s.resultLink(v.MerchantUID, v.ImpUID, since)
			d.RefreshSeconds = refreshSeconds
		} else {
			// The page no longer checks by itself: its heading and label
			// must not say it does.
			d.GaveUp = true
			d.Title, d.State = confirmingStopped[0], confirmingStopped[1]
		}
	}
	s.renderPage(w, r, v.HTTPStatus, "result.html", &d)
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.ErrorContext(r.Context(), "rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// resultLink is the address of an order's result page, for a confirming
// page that first showed at since. The token keeps strangers from reading
// orders by guessing merchant_uids.
func (s *Server) resultLink(merchantUID, impUID string, since time.Time) string {
	q := url.Values{"t": {s.resultToken(merchantUID)}, "since": {strconv.FormatInt(since.Unix(), 10)}}
	if impUID != "" {
		q.Set("imp_uid", impUID)
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
		s.renderResult(w, r, &payresult.RedirectView{Page: payresult.PageNotFound, HTTPStatus: http.StatusNotFound}, time.Time{})
		return
	}
	var since time.Time
	if sec, err := strconv.ParseInt(q.Get("since"), 10, 64); err == nil {
		since = time.Unix(sec, 0)
	}
	o, err := s.cfg.Store.Order(r.Context(), mu)
	switch {
	case err != nil && !payresult.IsNotFound(err):
		// The database is unreachable: keep the buyer waiting rather than
		// showing an error for what is likely a blip.
		s.log.WarnContext(r.Context(), "result page: reading the order", "merchant_uid", mu, "err", err)
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
	s.renderResult(w, r, &v, since)
}

// confirmAgain runs Confirm for a pending order and returns the order as
// it stands afterwards; on any failure the order is shown as it was. The
// check is cut at recheckTimeout, so that the page answers on time while
// PortOne is slow.
func (s *Server) confirmAgain(r *http.Request, o *payresult.Order, impUID string) *payresult.Order {
	ctx, cancel := context.WithTimeout(r.Context(), recheckTimeout)
	defer cancel()
	res, err := s.cfg.Processor.Confirm(ctx, payresult.Notice{
		Source: payresult.SourceRedirect, ImpUID: impUID, MerchantUID: o.MerchantUID,
	})
	if err != nil || res == nil || res.Order == nil {
		s.log.InfoContext(r.Context(), "result page: order still unconfirmed", "merchant_uid", o.MerchantUID, "err", err)
		return o
	}
	return res.Order
}
