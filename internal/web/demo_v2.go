package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// DemoV2 is the demo shop's PortOne V2 checkout, in sandbox mode: the
// sandbox's V2 store and channel, and a client of its V2 REST API, which
// the shop's server side uses as any merchant's would. The demo's V2
// checkout predates V2 orders (POST /api/orders with api v2, confirmed at
// /portone/v2/redirect and /portone/v2/webhook): it still reads the
// payment itself after the buyer comes back, and registers no order.
type DemoV2 struct {
	Client     *portonev2.Client
	StoreID    string
	ChannelKey string
}

// demoV2Order is what the demo page needs to call PortOne.requestPayment.
type demoV2Order struct {
	StoreID     string `json:"storeId"`
	ChannelKey  string `json:"channelKey"`
	PaymentID   string `json:"paymentId"`
	OrderName   string `json:"orderName"`
	TotalAmount int64  `json:"totalAmount"`
	Currency    string `json:"currency"`
	RedirectURL string `json:"redirectUrl"`
}

// createDemoV2Order makes a paymentId for the demo product and
// pre-registers its amount with the sandbox's V2 API, as a shop's back end
// would, and hands the page requestPayment's parameters.
func (s *Server) createDemoV2Order(w http.ResponseWriter, r *http.Request) {
	id, err := newDemoMerchantUID(s.cfg.Now())
	if err != nil {
		s.fail(w, r, payresult.WrapError(payresult.KindInternal, err, "making a paymentId"))
		return
	}
	id = "demo2" + strings.TrimPrefix(id, "demo")
	d := s.cfg.DemoV2
	if err := d.Client.PreRegister(r.Context(), id, portonev2.PreRegistration{TotalAmount: demoPrice, Currency: "KRW"}); err != nil {
		s.fail(w, r, payresult.WrapError(payresult.KindTransient, err, "pre-registering the amount with the sandbox's V2 API"))
		return
	}
	writeJSON(w, http.StatusCreated, demoV2Order{StoreID: d.StoreID, ChannelKey: d.ChannelKey, PaymentID: id,
		OrderName: demoProduct, TotalAmount: demoPrice, Currency: "KRW", RedirectURL: s.cfg.PublicURL + "/demo/v2/result"})
}

// demoV2View is the demo's V2 result page.
type demoV2View struct {
	PaymentID   string
	Status      portonev2.Status
	Amount      string
	Reason      string // why it did not go through
	Bank        string
	Account     string
	Deadline    time.Time
	AmountError bool // the payment's amount is not the order's
}

// demoV2Result is where the buyer comes back after paying through V2. The
// query (paymentId, code, message) only names the payment: its state is
// read from the sandbox's V2 API, never taken from the query.
func (s *Server) demoV2Result(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("paymentId")
	if id == "" {
		s.fail(w, r, payresult.Errorf(payresult.KindInvalid, "paymentId is missing"))
		return
	}
	p, err := s.cfg.DemoV2.Client.Payment(r.Context(), id)
	if err != nil {
		s.fail(w, r, payresult.WrapError(payresult.KindTransient, err, "reading the payment from the sandbox's V2 API"))
		return
	}
	v := &demoV2View{PaymentID: p.ID, Status: p.Status,
		Amount:      portone.Won(p.Amount.Total).Display(p.Currency),
		AmountError: p.Amount.Total != demoPrice || p.Currency != "KRW"}
	if p.Failure != nil {
		v.Reason = p.Failure.Reason
	}
	if m := p.Method; m != nil && m.Type == portonev2.MethodVirtualAccount {
		v.Bank, v.Account, v.Deadline = m.Bank, m.AccountNumber, m.ExpiredAt
	}
	d := pageData{Title: "결제 결과 · Payment result (PortOne V2)", Sandbox: true, DemoV2: v}
	s.renderPage(w, r, http.StatusOK, "demov2.html", &d)
}
