package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// The demo shop's one product.
const (
	demoProduct = "payresult 머그컵 · Mug"
	demoPrice   = 12000
)

// home is the front page: the demo shop in sandbox mode, a short note on
// what this server is otherwise.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "payresult", Sandbox: s.cfg.Sandbox, MerchantCode: s.cfg.MerchantCode, PublicURL: s.cfg.PublicURL,
		Price: portone.Won(demoPrice).Display("KRW")}
	if s.cfg.Sandbox {
		d.Title = "payresult 데모 상점 · Demo shop"
		s.renderPage(w, r, http.StatusOK, "demo.html", &d)
		return
	}
	s.renderPage(w, r, http.StatusOK, "home.html", &d)
}

// demoOrder is what the demo page needs to call IMP.request_pay.
type demoOrder struct {
	MerchantCode string         `json:"merchant_code"`
	MerchantUID  string         `json:"merchant_uid"`
	Name         string         `json:"name"`
	Amount       portone.Amount `json:"amount"`
	Currency     string         `json:"currency"`
	RedirectURL  string         `json:"m_redirect_url"`
	NoticeURL    string         `json:"notice_url"`
}

// createDemoOrder registers an order for the demo product, as a shop's
// back end would, and hands the page the request_pay parameters. It needs
// no API key: it exists only in sandbox mode, where no money moves.
func (s *Server) createDemoOrder(w http.ResponseWriter, r *http.Request) {
	mu, err := newDemoMerchantUID(s.cfg.Now())
	if err != nil {
		s.fail(w, r, payresult.WrapError(payresult.KindInternal, err, "making an order id"))
		return
	}
	o, _, err := s.cfg.Processor.CreateOrder(r.Context(), payresult.NewOrder{
		MerchantUID: mu, Name: demoProduct, Amount: portone.Won(demoPrice), Currency: "KRW",
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, demoOrder{
		MerchantCode: s.cfg.MerchantCode, MerchantUID: o.MerchantUID, Name: o.Name,
		Amount: o.Amount, Currency: o.Currency,
		RedirectURL: s.cfg.PublicURL + "/portone/redirect",
		NoticeURL:   s.cfg.PublicURL + "/portone/webhook",
	})
}

// newDemoMerchantUID returns "demo_" with the time and random digits: unique
// and sortable, within PortOne's 40 characters.
func newDemoMerchantUID(now time.Time) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "demo_" + now.UTC().Format("20060102T150405") + "_" + hex.EncodeToString(b), nil
}
