package web

import (
	"net/http"
	"strings"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// DemoV2 is the demo shop's PortOne V2 checkout, in sandbox mode: the
// sandbox's V2 store and channel. The shop registers a V2 order with
// payresult (which pre-registers its amount with V2's pre-register call),
// and payresult confirms the payment at /portone/v2/redirect and
// /portone/v2/webhook through the same Confirm as V1's.
type DemoV2 struct {
	StoreID    string
	ChannelKey string
}

// demoV2Order is what the demo page needs to call PortOne.requestPayment.
type demoV2Order struct {
	StoreID     string   `json:"storeId"`
	ChannelKey  string   `json:"channelKey"`
	PaymentID   string   `json:"paymentId"`
	OrderName   string   `json:"orderName"`
	TotalAmount int64    `json:"totalAmount"`
	Currency    string   `json:"currency"`
	RedirectURL string   `json:"redirectUrl"`
	NoticeURLs  []string `json:"noticeUrls"`
}

// createDemoV2Order registers a PortOne V2 order for the demo product, as
// a shop's back end would: its paymentId is the order's merchant_uid, and
// payresult pre-registers the amount with V2. The page gets
// requestPayment's parameters, with payresult's own V2 redirect and
// webhook. Like createDemoOrder it needs no API key: sandbox mode only.
func (s *Server) createDemoV2Order(w http.ResponseWriter, r *http.Request) {
	id, err := newDemoMerchantUID(s.cfg.Now())
	if err != nil {
		s.fail(w, r, payresult.WrapError(payresult.KindInternal, err, "making a paymentId"))
		return
	}
	id = "demo2" + strings.TrimPrefix(id, "demo")
	o, _, err := s.cfg.Processor.CreateOrder(r.Context(), payresult.NewOrder{
		MerchantUID: id, Name: demoProduct, Amount: portone.Won(demoPrice), Currency: "KRW", API: payresult.APIV2,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := s.cfg.DemoV2
	writeJSON(w, http.StatusCreated, demoV2Order{StoreID: d.StoreID, ChannelKey: d.ChannelKey, PaymentID: o.MerchantUID,
		OrderName: o.Name, TotalAmount: demoPrice, Currency: o.Currency,
		RedirectURL: s.cfg.PublicURL + "/portone/v2/redirect",
		NoticeURLs:  []string{s.cfg.PublicURL + "/portone/v2/webhook"}})
}
