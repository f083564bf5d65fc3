package payresult_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
	reconciler "github.com/payresult/payresult/reconcile"
)

// The tests in this file play the same payment flows through PortOne V1
// and V2, on both stores: the real emulator over httptest, the real V1
// client and the real V2 client behind V2Gateway, and one Processor
// serving both APIs. An apiDriver does at PortOne what a buyer, a PG or
// an operator does, in its API's terms; each flow is written once.

// apiDriver plays one API's side of a flow at the emulator. Orders are
// 10,000 KRW; m is the order's merchant_uid.
type apiDriver interface {
	api() payresult.API
	// pay runs the payment window of m to outcome and returns the notices
	// the buyer's redirect and PortOne's webhook bring.
	pay(t *testing.T, m string, outcome emulator.Outcome) (redirect, webhook payresult.Notice)
	// payVbank issues a virtual account for m with the given deadline.
	payVbank(t *testing.T, m string, due time.Time) (redirect payresult.Notice)
	// forge puts a paid payment of m for amount (in the currency's major
	// unit) in currency at PortOne: a buyer who tampered with the amount
	// at a PG that skipped the pre-registered one.
	forge(t *testing.T, m string, amount int64, currency string) payresult.Notice
	// deposit pays m's virtual account and returns the webhook's notice.
	deposit(t *testing.T, m string) payresult.Notice
	// consoleCancel cancels amount of m in PortOne's console and returns
	// the webhook's notice.
	consoleCancel(t *testing.T, m string, amount int64) payresult.Notice
	// payment returns m's payment as PortOne's V1 view of it, and how
	// many cancels payresult made through the API.
	payment(t *testing.T, m string) (pay *portone.Payment, apiCancels int)
}

// apiSandbox is one emulator with a client per API, a store, a fake clock
// and a Processor serving both APIs.
type apiSandbox struct {
	em    *emulator.Emulator
	url   string
	v1    *portone.Client
	v2    *payresult.V2Gateway
	store payresult.Store
	clock *fakeclock.Clock
}

func newAPISandbox(t *testing.T, store payresult.Store) *apiSandbox {
	t.Helper()
	em := emulator.New(emulator.Config{Seed: 1})
	srv := httptest.NewServer(em)
	t.Cleanup(func() {
		srv.Close()
		em.Close()
	})
	return &apiSandbox{
		em:    em,
		url:   srv.URL,
		v1:    &portone.Client{BaseURL: srv.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret, MaxRetries: -1},
		v2:    &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: srv.URL, Secret: emulator.DefaultV2APISecret, MaxRetries: -1}},
		store: store,
		clock: fakeclock.New(time.Now().UTC()),
	}
}

// processor returns a Processor on the sandbox's store serving both
// APIs, orders defaulting to api.
func (s *apiSandbox) processor(api payresult.API) *payresult.Processor {
	return &payresult.Processor{Store: s.store, PortOne: s.v1, PortOneV2: s.v2, DefaultAPI: api, Now: s.clock.Now}
}

func (s *apiSandbox) driver(api payresult.API) apiDriver {
	if api == payresult.APIV2 {
		return &v2Driver{s: s}
	}
	return &v1Driver{s: s, imp: map[string]string{}}
}

// apiStores are the stores the API tests run on.
var apiStores = []struct {
	name string
	open func(t testing.TB) payresult.Store
}{{"sqlite", testdb.OpenSQLite}, {"postgres", testdb.OpenPostgres}}

// forEachAPIAndStore runs f for each API on each store.
func forEachAPIAndStore(t *testing.T, f func(t *testing.T, s *apiSandbox, d apiDriver)) {
	t.Helper()
	for _, st := range apiStores {
		for _, api := range []payresult.API{payresult.APIV1, payresult.APIV2} {
			t.Run(string(api)+"/"+st.name, func(t *testing.T) {
				t.Parallel()
				s := newAPISandbox(t, st.open(t))
				f(t, s, s.driver(api))
			})
		}
	}
}

// forEachStore runs f on a sandbox on each store.
func forEachStore(t *testing.T, f func(t *testing.T, s *apiSandbox)) {
	t.Helper()
	for _, st := range apiStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			f(t, newAPISandbox(t, st.open(t)))
		})
	}
}

// v1Driver plays PortOne V1.
type v1Driver struct {
	s   *apiSandbox
	mu  sync.Mutex
	imp map[string]string // merchant_uid → latest imp_uid
}

func (d *v1Driver) api() payresult.API { return payresult.APIV1 }

func (d *v1Driver) remember(m, imp string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.imp[m] = imp
}

func (d *v1Driver) impOf(m string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.imp[m]
}

func (d *v1Driver) pay(t *testing.T, m string, outcome emulator.Outcome) (payresult.Notice, payresult.Notice) {
	t.Helper()
	r, err := d.s.em.Pay(emulator.PaymentRequest{MerchantUID: m, Name: "coffee beans", Amount: portone.Won(10000), RedirectURL: "https://shop.example/back"}, outcome)
	if err != nil {
		t.Fatalf("V1 Pay(%s): %v", m, err)
	}
	r.Release()
	d.remember(m, r.Payment.ImpUID)
	return noticeFrom(t, r), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: r.Payment.ImpUID, MerchantUID: m}
}

func (d *v1Driver) payVbank(t *testing.T, m string, due time.Time) payresult.Notice {
	t.Helper()
	r, err := d.s.em.Pay(emulator.PaymentRequest{MerchantUID: m, Name: "coffee beans", Amount: portone.Won(10000),
		PayMethod: portone.PayMethodVbank, VbankDue: due, RedirectURL: "https://shop.example/back"}, emulator.OutcomeVbankIssued)
	if err != nil {
		t.Fatalf("V1 Pay(%s, vbank): %v", m, err)
	}
	r.Release()
	d.remember(m, r.Payment.ImpUID)
	return noticeFrom(t, r)
}

func (d *v1Driver) forge(t *testing.T, m string, amount int64, currency string) payresult.Notice {
	t.Helper()
	p, err := d.s.em.Put(portone.Payment{MerchantUID: m, Amount: portone.Won(amount), Currency: currency, Status: portone.StatusPaid,
		PayMethod: portone.PayMethodCard, PaidAt: portone.TimeOf(time.Now())})
	if err != nil {
		t.Fatalf("V1 Put(%s): %v", m, err)
	}
	d.remember(m, p.ImpUID)
	return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: p.ImpUID, MerchantUID: m}
}

func (d *v1Driver) deposit(t *testing.T, m string) payresult.Notice {
	t.Helper()
	if _, err := d.s.em.Deposit(d.impOf(m)); err != nil {
		t.Fatalf("V1 Deposit(%s): %v", m, err)
	}
	return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: d.impOf(m), MerchantUID: m}
}

func (d *v1Driver) consoleCancel(t *testing.T, m string, amount int64) payresult.Notice {
	t.Helper()
	if _, err := d.s.em.ConsoleCancel(d.impOf(m), portone.Won(amount)); err != nil {
		t.Fatalf("V1 ConsoleCancel(%s): %v", m, err)
	}
	return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: d.impOf(m), MerchantUID: m}
}

func (d *v1Driver) payment(t *testing.T, m string) (*portone.Payment, int) {
	t.Helper()
	p, ok := d.s.em.Payment(d.impOf(m))
	if !ok {
		t.Fatalf("V1: no payment of %s", m)
	}
	return p, d.s.em.CancelCalls(d.impOf(m))
}

// v2Driver plays PortOne V2. Payments go through the sandbox's channel
// that reports LIVE, so that the processor needs no AcceptTestPayments.
type v2Driver struct{ s *apiSandbox }

func (d *v2Driver) api() payresult.API { return payresult.APIV2 }

// v2Notice reads the notice V2's redirect brings (paymentId, code,
// message), as the V2 redirect handler does.
func v2Notice(t *testing.T, redirectURL string) payresult.Notice {
	t.Helper()
	u, err := url.Parse(redirectURL)
	if err != nil {
		t.Fatalf("V2 redirect URL %q: %v", redirectURL, err)
	}
	q := u.Query()
	return payresult.Notice{Source: payresult.SourceRedirect, API: payresult.APIV2, MerchantUID: q.Get("paymentId"),
		ErrorCode: q.Get("code"), ErrorMsg: q.Get("message")}
}

func v2Webhook(m string) payresult.Notice {
	return payresult.Notice{Source: payresult.SourceWebhook, API: payresult.APIV2, MerchantUID: m}
}

func (d *v2Driver) request(m string, amount int64, currency, method string) emulator.V2PaymentRequest {
	return emulator.V2PaymentRequest{StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2LiveChannelKey, PaymentID: m, OrderName: "coffee beans",
		TotalAmount: amount, Currency: currency, PayMethod: method, RedirectURL: "https://shop.example/back"}
}

func (d *v2Driver) run(t *testing.T, req emulator.V2PaymentRequest, outcome emulator.Outcome) payresult.Notice {
	t.Helper()
	r, err := d.s.em.PayV2(req, outcome)
	if err != nil {
		t.Fatalf("PayV2(%s, %s): %v", req.PaymentID, outcome, err)
	}
	r.Release()
	return v2Notice(t, r.RedirectURL)
}

func (d *v2Driver) pay(t *testing.T, m string, outcome emulator.Outcome) (payresult.Notice, payresult.Notice) {
	t.Helper()
	return d.run(t, d.request(m, 10000, "KRW", "CARD"), outcome), v2Webhook(m)
}

func (d *v2Driver) payVbank(t *testing.T, m string, due time.Time) payresult.Notice {
	t.Helper()
	req := d.request(m, 10000, "KRW", "VIRTUAL_ACCOUNT")
	req.VirtualAccountDue = due
	return d.run(t, req, emulator.OutcomeVbankIssued)
}

func (d *v2Driver) forge(t *testing.T, m string, amount int64, currency string) payresult.Notice {
	t.Helper()
	minor := amount
	if currency == "USD" {
		minor *= 100
	}
	// A PG that skips the pre-registered amount, played by registering
	// the tampered one over it.
	if err := d.s.em.PrepareV2(m, minor, currency); err != nil {
		t.Fatalf("PrepareV2(%s): %v", m, err)
	}
	d.run(t, d.request(m, minor, currency, "CARD"), emulator.OutcomePaid)
	return v2Webhook(m)
}

func (d *v2Driver) deposit(t *testing.T, m string) payresult.Notice {
	t.Helper()
	if _, err := d.s.em.DepositV2(m); err != nil {
		t.Fatalf("DepositV2(%s): %v", m, err)
	}
	return v2Webhook(m)
}

func (d *v2Driver) consoleCancel(t *testing.T, m string, amount int64) payresult.Notice {
	t.Helper()
	if _, err := d.s.em.CancelV2(m, emulator.V2CancelRequest{Amount: &amount, Reason: "관리자페이지취소", Console: true}); err != nil {
		t.Fatalf("CancelV2(%s, console): %v", m, err)
	}
	return v2Webhook(m)
}

func (d *v2Driver) payment(t *testing.T, m string) (*portone.Payment, int) {
	t.Helper()
	p, ok := d.s.em.PaymentV2(m)
	if !ok {
		t.Fatalf("V2: no payment of %s", m)
	}
	pay, err := payresult.V1PaymentOf(p)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range p.Cancellations {
		if c.Trigger == "API" {
			n++
		}
	}
	return pay, n
}

// createOrder registers m for d's API, as the app does.
func createOrder(t *testing.T, p *payresult.Processor, d apiDriver, m string) {
	t.Helper()
	o, _, err := p.CreateOrder(context.Background(), payresult.NewOrder{MerchantUID: m, Name: "coffee beans", Amount: portone.Won(10000), API: d.api()})
	if err != nil {
		t.Fatalf("CreateOrder(%s, %s): %v", m, d.api(), err)
	}
	if o.API != d.api() {
		t.Fatalf("CreateOrder(%s).API = %q, want %q", m, o.API, d.api())
	}
}

func confirmWant(t *testing.T, p *payresult.Processor, n payresult.Notice, want payresult.Status) *payresult.Result {
	t.Helper()
	res, err := p.Confirm(context.Background(), n)
	if err != nil {
		t.Fatalf("Confirm(%+v): %v", n, err)
	}
	if res.Order.Status != want {
		t.Fatalf("Confirm(%+v): order %s (%s: %s), want %s", n, res.Order.Status, res.Outcome, res.Reason, want)
	}
	return res
}

func eventTypesOf(t *testing.T, s payresult.Store, m string) []payresult.EventType {
	t.Helper()
	evs, err := s.OrderEvents(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	var types []payresult.EventType
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types
}

func wantEvents(t *testing.T, s payresult.Store, m string, want ...payresult.EventType) {
	t.Helper()
	if diff := cmp.Diff(want, eventTypesOf(t, s, m)); diff != "" {
		t.Errorf("events of %s (-want +got):\n%s", m, diff)
	}
}

// TestAPIRedirectAndWebhookRace: the redirect and the webhook of one paid
// payment arrive together, from two payresult instances, and again
// (PortOne's retries, a reload): the order is paid once, with one event.
func TestAPIRedirectAndWebhookRace(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		instances := []*payresult.Processor{s.processor(d.api()), s.processor(d.api())}
		createOrder(t, instances[0], d, "order-a")
		redirect, webhook := d.pay(t, "order-a", emulator.OutcomePaid)
		var wg sync.WaitGroup
		begin := make(chan struct{})
		for i := range 10 {
			wg.Go(func() {
				<-begin
				n := redirect
				if i%2 == 1 {
					n = webhook
				}
				res, err := instances[i%2].Confirm(context.Background(), n)
				if err != nil || res.Order.Status != payresult.StatusPaid {
					t.Errorf("Confirm %d (%s): %+v, %v; want paid", i, n.Source, res, err)
				}
			})
		}
		close(begin)
		wg.Wait()
		wantEvents(t, s.store, "order-a", payresult.EventPaid)
		if evs, err := s.store.OrderEvents(context.Background(), "order-a"); err != nil || len(evs) != 1 ||
			!strings.Contains(string(evs[0].Data), `"api":"`+string(d.api())+`"`) {
			t.Errorf("the paid event does not say the order's API %s: %v", d.api(), err)
		}
		if _, cancels := d.payment(t, "order-a"); cancels != 0 {
			t.Errorf("payresult cancelled an honest payment %d times", cancels)
		}
	})
}

// TestAPITampering: a payment with another amount or currency than its
// order makes the order forged, never paid, and is cancelled at PortOne
// exactly once, however often it is confirmed (a replay).
func TestAPITampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		amount   int64
		currency string
	}{
		{"amount lower", 100, "KRW"},
		{"amount higher", 10001, "KRW"},
		{"currency changed", 10000, "USD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
				instances := []*payresult.Processor{s.processor(d.api()), s.processor(d.api())}
				createOrder(t, instances[0], d, "order-a")
				n := d.forge(t, "order-a", tt.amount, tt.currency)
				// The webhook and its retries, on two instances at once.
				var wg sync.WaitGroup
				for i := range 6 {
					wg.Go(func() {
						res, err := instances[i%2].Confirm(context.Background(), n)
						if err != nil || res.Order.Status != payresult.StatusForged {
							t.Errorf("Confirm %d: %+v, %v; want forged", i, res, err)
						}
					})
				}
				wg.Wait()
				// A replay later.
				res := confirmWant(t, instances[1], n, payresult.StatusForged)
				if !res.Order.ForgeryCancelled || res.CancelErr != nil {
					t.Fatalf("replay: ForgeryCancelled %t, CancelErr %v; want the forgery cancelled", res.Order.ForgeryCancelled, res.CancelErr)
				}
				pay, cancels := d.payment(t, "order-a")
				if cancels != 1 || pay.Status != portone.StatusCancelled || pay.CancelAmount != pay.Amount {
					t.Errorf("at PortOne: %d cancels, %s, cancelled %s of %s; want 1 cancel of all of it", cancels, pay.Status, pay.CancelAmount, pay.Amount)
				}
				wantEvents(t, s.store, "order-a", payresult.EventForged)
			})
		})
	}
}

// TestAPIReplay: replaying a notice (the same redirect or webhook again,
// later) changes nothing and adds no event.
func TestAPIReplay(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		createOrder(t, p, d, "order-a")
		redirect, webhook := d.pay(t, "order-a", emulator.OutcomePaid)
		confirmWant(t, p, webhook, payresult.StatusPaid)
		s.clock.Advance(time.Hour)
		for _, n := range []payresult.Notice{redirect, webhook, webhook} {
			res := confirmWant(t, p, n, payresult.StatusPaid)
			if res.Changed || res.Outcome != payresult.OutcomeDuplicate {
				t.Errorf("replayed %s: changed %t, outcome %s; want an unchanged duplicate", n.Source, res.Changed, res.Outcome)
			}
		}
		wantEvents(t, s.store, "order-a", payresult.EventPaid)
	})
}

// TestAPIFailedThenPaid: a failed attempt (its redirect carries the
// error), then a paid one, on the same order.
func TestAPIFailedThenPaid(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		createOrder(t, p, d, "order-a")
		redirect, _ := d.pay(t, "order-a", emulator.OutcomeFailed)
		if redirect.ErrorMsg == "" {
			t.Errorf("the failed redirect carries no message")
		}
		confirmWant(t, p, redirect, payresult.StatusFailed)
		redirect, _ = d.pay(t, "order-a", emulator.OutcomePaid)
		confirmWant(t, p, redirect, payresult.StatusPaid)
		wantEvents(t, s.store, "order-a", payresult.EventFailed, payresult.EventPaid)
	})
}

// TestAPILostWebhookReconciled: the buyer closed the window and the
// webhook was lost; the reconciler's pass finds the payment.
func TestAPILostWebhookReconciled(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		createOrder(t, p, d, "order-a")
		createOrder(t, p, d, "order-b") // never paid
		d.pay(t, "order-a", emulator.OutcomePaid)
		r := &reconciler.Reconciler{Store: s.store, Processor: p, Now: s.clock.Now, RateLimit: -1}
		s.clock.Advance(payresult.DefaultFirstCheckDelay + time.Second)
		sum, err := r.Pass(context.Background())
		if err != nil {
			t.Fatalf("Pass: %v", err)
		}
		if sum.PaidLate != 1 || sum.Checked != 2 || sum.Errors != 0 {
			t.Errorf("Pass = %+v; want 2 checked, 1 paid late, no errors", sum)
		}
		for m, want := range map[string]payresult.Status{"order-a": payresult.StatusPaid, "order-b": payresult.StatusPending} {
			if o, err := s.store.Order(context.Background(), m); err != nil || o.Status != want {
				t.Errorf("%s after the pass: %+v, %v; want %s", m, o, err, want)
			}
		}
		wantEvents(t, s.store, "order-a", payresult.EventPaid)
	})
}

// TestAPIVirtualAccount: a virtual account issued and then deposited, and
// one issued and left to expire, the expiry found by the reconciler.
func TestAPIVirtualAccount(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		createOrder(t, p, d, "vbank-paid")
		createOrder(t, p, d, "vbank-expired")
		due := s.clock.Now().Add(48 * time.Hour).Truncate(time.Second)
		res := confirmWant(t, p, d.payVbank(t, "vbank-paid", due), payresult.StatusVbankIssued)
		if v := res.Order.Vbank; v == nil || v.Number == "" || !v.Deadline.Equal(due) {
			t.Errorf("issued account %+v; want a number and the deadline %s", v, due)
		}
		confirmWant(t, p, d.deposit(t, "vbank-paid"), payresult.StatusPaid)
		wantEvents(t, s.store, "vbank-paid", payresult.EventVbankIssued, payresult.EventPaid)

		confirmWant(t, p, d.payVbank(t, "vbank-expired", due), payresult.StatusVbankIssued)
		s.clock.Advance(49 * time.Hour)
		r := &reconciler.Reconciler{Store: s.store, Processor: p, Now: s.clock.Now, RateLimit: -1}
		sum, err := r.Pass(context.Background())
		if err != nil || sum.Expired != 1 {
			t.Fatalf("Pass = %+v, %v; want 1 expired", sum, err)
		}
		wantEvents(t, s.store, "vbank-expired", payresult.EventVbankIssued, payresult.EventExpired)
	})
}

// TestAPIRefunds: a console cancel (its webhook), then the app's partial
// and full refunds through PortOne's cancel, each made once; a repeated
// keyed refund answers the first result and cancels nothing more.
func TestAPIRefunds(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		ctx := context.Background()
		createOrder(t, p, d, "order-a")
		_, webhook := d.pay(t, "order-a", emulator.OutcomePaid)
		confirmWant(t, p, webhook, payresult.StatusPaid)

		res := confirmWant(t, p, d.consoleCancel(t, "order-a", 1000), payresult.StatusPartiallyRefunded)
		if res.Order.RefundedAmount != portone.Won(1000) {
			t.Errorf("after a console cancel of 1000: refunded %s", res.Order.RefundedAmount)
		}
		req := payresult.RefundRequest{MerchantUID: "order-a", Amount: portone.Won(3000), IdempotencyKey: "refund-1"}
		for i := range 2 {
			o, err := p.Refund(ctx, req)
			if err != nil || o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(4000) {
				t.Fatalf("Refund(3000) #%d = %+v, %v; want partially_refunded 4000", i, o, err)
			}
		}
		o, err := p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-a", IdempotencyKey: "refund-2"})
		if err != nil || o.Status != payresult.StatusRefunded || o.RefundedAmount != portone.Won(10000) {
			t.Fatalf("Refund(rest) = %+v, %v; want refunded 10000", o, err)
		}
		_, err = p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-a", IdempotencyKey: "refund-3"})
		wantKind(t, err, payresult.KindConflict)
		pay, cancels := d.payment(t, "order-a")
		if cancels != 2 || pay.CancelAmount != portone.Won(10000) {
			t.Errorf("at PortOne: %d API cancels, cancelled %s; want the 2 refunds, 10000", cancels, pay.CancelAmount)
		}
		wantEvents(t, s.store, "order-a", payresult.EventPaid, payresult.EventPartiallyRefunded,
			payresult.EventPartiallyRefunded, payresult.EventRefunded)
	})
}

// TestAPIPortOneUnavailable: PortOne answers every call with a 5xx. The
// notice is a transient failure (the webhook gets a 5xx, so PortOne
// retries), nothing changes, and the next try after PortOne is back
// settles the order.
func TestAPIPortOneUnavailable(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		createOrder(t, p, d, "order-a")
		_, webhook := d.pay(t, "order-a", emulator.OutcomePaid)
		if err := s.em.SetFaults(emulator.Faults{APIErrorRate: 1}); err != nil {
			t.Fatal(err)
		}
		_, err := p.Confirm(context.Background(), webhook)
		wantKind(t, err, payresult.KindTransient)
		_, _, err = p.CreateOrder(context.Background(), payresult.NewOrder{MerchantUID: "order-b", Name: "tea", Amount: portone.Won(5000), API: d.api()})
		wantKind(t, err, payresult.KindTransient)
		if o, err := s.store.Order(context.Background(), "order-a"); err != nil || o.Status != payresult.StatusPending {
			t.Errorf("order while PortOne is down: %+v, %v; want pending", o, err)
		}
		if err := s.em.SetFaults(emulator.Faults{}); err != nil {
			t.Fatal(err)
		}
		confirmWant(t, p, webhook, payresult.StatusPaid)
		wantEvents(t, s.store, "order-a", payresult.EventPaid)
	})
}

// TestAPIOneInstanceServesBoth: one Processor holds V1 and V2 orders at
// once; a payment of one API never decides an order of the other, and a
// payment of order A never decides order B.
func TestAPIOneInstanceServesBoth(t *testing.T) {
	t.Parallel()
	s := newAPISandbox(t, testdb.OpenSQLite(t))
	p := s.processor(payresult.APIV1)
	v1, v2 := s.driver(payresult.APIV1), s.driver(payresult.APIV2)
	createOrder(t, p, v1, "v1-order")
	createOrder(t, p, v2, "v2-order")
	createOrder(t, p, v2, "v2-other")
	_, w1 := v1.pay(t, "v1-order", emulator.OutcomePaid)
	r2, _ := v2.pay(t, "v2-order", emulator.OutcomePaid)
	confirmWant(t, p, w1, payresult.StatusPaid)
	confirmWant(t, p, r2, payresult.StatusPaid)

	// A V2 payment whose paymentId is a V1 order's merchant_uid.
	createOrder(t, p, v1, "v1-pending")
	v2.(*v2Driver).run(t, v2.(*v2Driver).request("v1-pending", 10000, "KRW", "CARD"), emulator.OutcomePaid)
	res, err := p.Confirm(context.Background(), v2Webhook("v1-pending"))
	wantKind(t, err, payresult.KindMismatch)
	if res == nil || res.Outcome != payresult.OutcomeRefused {
		t.Errorf("V2 payment for a V1 order: %+v; want refused", res)
	}
	// V1's view of a V2 order: PortOne V1 has no such payment.
	_, err = p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_000000000001", MerchantUID: "v2-other"})
	wantKind(t, err, payresult.KindNotFound)
	// V2's redirect of order A presented on order B's page settles A only:
	// under V2 the paymentId is the order.
	for m, want := range map[string]payresult.Status{"v1-order": payresult.StatusPaid, "v2-order": payresult.StatusPaid,
		"v2-other": payresult.StatusPending, "v1-pending": payresult.StatusPending} {
		if o, err := s.store.Order(context.Background(), m); err != nil || o.Status != want {
			t.Errorf("%s: %+v, %v; want %s", m, o, err, want)
		}
	}
	wantEvents(t, s.store, "v1-pending")
	wantEvents(t, s.store, "v2-other")
}

// lostCancelAnswer is a gateway whose first cancel reaches PortOne but
// whose answer is lost on the way back, as when the connection drops.
type lostCancelAnswer struct {
	payresult.Gateway
	lost atomic.Bool
}

func (g *lostCancelAnswer) Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	pay, err := g.Gateway.Cancel(ctx, req)
	if err == nil && g.lost.CompareAndSwap(false, true) {
		return nil, context.DeadlineExceeded
	}
	return pay, err
}

// TestAPIRefundAnswerLost: PortOne carries out a refund's cancel but its
// answer is lost. The refund is a transient failure; the app's retry with
// the same Idempotency-Key sends the same cancel (the same checksum or
// currentCancellableAmount), which PortOne refuses, and payresult reads
// the payment back and answers that the refund is done: one cancel.
func TestAPIRefundAnswerLost(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		ctx := context.Background()
		if d.api() == payresult.APIV2 {
			p.PortOneV2 = &lostCancelAnswer{Gateway: s.v2}
		} else {
			p.PortOne = &lostCancelAnswer{Gateway: s.v1}
		}
		createOrder(t, p, d, "order-a")
		_, webhook := d.pay(t, "order-a", emulator.OutcomePaid)
		confirmWant(t, p, webhook, payresult.StatusPaid)
		req := payresult.RefundRequest{MerchantUID: "order-a", Amount: portone.Won(3000), IdempotencyKey: "refund-1"}
		_, err := p.Refund(ctx, req)
		wantKind(t, err, payresult.KindTransient)
		o, err := p.Refund(ctx, req)
		if err != nil || o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(3000) {
			t.Fatalf("retried Refund = %+v, %v; want partially_refunded 3000", o, err)
		}
		pay, cancels := d.payment(t, "order-a")
		if cancels != 1 || pay.CancelAmount != portone.Won(3000) {
			t.Errorf("at PortOne: %d API cancels, cancelled %s; want 1, 3000", cancels, pay.CancelAmount)
		}
	})
}

// TestAPIPaymentOfAnotherOrder: a notice naming order B and the payment
// of order A (as a buyer who paid the cheaper order A would send it) is
// refused through either API, and neither order changes. Under V2 the
// paymentId is the order, so V2's own redirect and webhook can only name
// A; the Go API can still be handed such a notice.
func TestAPIPaymentOfAnotherOrder(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		createOrder(t, p, d, "order-a")
		createOrder(t, p, d, "order-b")
		_, webhook := d.pay(t, "order-a", emulator.OutcomePaid)
		n := payresult.Notice{Source: payresult.SourceRedirect, API: webhook.API, ImpUID: webhook.ImpUID, MerchantUID: "order-b"}
		if n.ImpUID == "" {
			n.ImpUID = "order-a" // V2: the paymentId names the payment
		}
		res, err := p.Confirm(context.Background(), n)
		wantKind(t, err, payresult.KindMismatch)
		if res == nil || res.Outcome != payresult.OutcomeRefused {
			t.Errorf("Confirm = %+v; want refused", res)
		}
		for _, m := range []string{"order-a", "order-b"} {
			if o, err := s.store.Order(context.Background(), m); err != nil || o.Status != payresult.StatusPending {
				t.Errorf("%s: %+v, %v; want pending", m, o, err)
			}
			wantEvents(t, s.store, m)
		}
	})
}

// TestAPIVirtualAccountRefund refunds a deposited virtual account into the
// buyer's bank account. V1 refunds it at once; V2 asks for it
// (REQUESTED) and completes it a day or two later, and the order is
// refunded when PortOne reports it. A refund asked again meanwhile is
// refused: PortOne's cancellable amount no longer matches, so nothing is
// refunded twice.
func TestAPIVirtualAccountRefund(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		ctx := context.Background()
		createOrder(t, p, d, "vbank-r")
		confirmWant(t, p, d.payVbank(t, "vbank-r", s.clock.Now().Add(48*time.Hour)), payresult.StatusVbankIssued)
		confirmWant(t, p, d.deposit(t, "vbank-r"), payresult.StatusPaid)
		acct := &payresult.RefundAccount{Holder: "홍길동", Bank: "88", Number: "110-123-456789"}
		if d.api() == payresult.APIV2 {
			acct.Bank = "STANDARD_CHARTERED"
		}
		o, err := p.Refund(ctx, payresult.RefundRequest{MerchantUID: "vbank-r", Account: acct, IdempotencyKey: "refund-1"})
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		if d.api() == payresult.APIV1 {
			if o.Status != payresult.StatusRefunded {
				t.Errorf("V1 refund: %s, want refunded", o.Status)
			}
			return
		}
		if o.Status != payresult.StatusPaid {
			t.Errorf("V2 refund asked: %s, want paid until PortOne completes it", o.Status)
		}
		_, err = p.Refund(ctx, payresult.RefundRequest{MerchantUID: "vbank-r", Account: acct, IdempotencyKey: "refund-2"})
		wantKind(t, err, payresult.KindConflict)
		if _, err := s.em.SettleV2Refunds("vbank-r"); err != nil {
			t.Fatal(err)
		}
		confirmWant(t, p, v2Webhook("vbank-r"), payresult.StatusRefunded)
		pay, cancels := d.payment(t, "vbank-r")
		if cancels != 1 || pay.CancelAmount != portone.Won(10000) {
			t.Errorf("at PortOne: %d API cancels, cancelled %s; want 1, 10000", cancels, pay.CancelAmount)
		}
	})
}

// TestV2TestChannelRefused: in live mode a V2 payment made through a TEST
// channel (a buyer who swapped the channel key in the page) never settles
// an order; with AcceptTestPayments, as in the sandbox, it does.
func TestV2TestChannelRefused(t *testing.T) {
	t.Parallel()
	s := newAPISandbox(t, testdb.OpenSQLite(t))
	p := s.processor(payresult.APIV2)
	d := s.driver(payresult.APIV2).(*v2Driver)
	createOrder(t, p, d, "order-a")
	req := d.request("order-a", 10000, "KRW", "CARD")
	req.ChannelKey = emulator.DefaultV2ChannelKey // the sandbox's TEST channel
	n := d.run(t, req, emulator.OutcomePaid)
	res, err := p.Confirm(context.Background(), n)
	wantKind(t, err, payresult.KindMismatch)
	if res == nil || res.Outcome != payresult.OutcomeRefused || res.Order.Status != payresult.StatusPending {
		t.Fatalf("live Confirm of a TEST-channel payment = %+v; want refused, pending", res)
	}
	wantEvents(t, s.store, "order-a")
	p.AcceptTestPayments = true
	confirmWant(t, p, n, payresult.StatusPaid)
}

// TestAPISweep: payments whose webhooks were all lost (paid, an issued
// virtual account, a failure, a console refund) reach their orders
// through the reconciler's sweep of the API's lists, V1's or V2's, on
// both stores.
func TestAPISweep(t *testing.T) {
	t.Parallel()
	forEachAPIAndStore(t, func(t *testing.T, s *apiSandbox, d apiDriver) {
		p := s.processor(d.api())
		ctx := context.Background()
		for _, m := range []string{"paid", "vbank", "failed", "refunded"} {
			createOrder(t, p, d, m)
		}
		d.pay(t, "paid", emulator.OutcomePaid)
		d.payVbank(t, "vbank", s.clock.Now().Add(48*time.Hour))
		d.pay(t, "failed", emulator.OutcomeFailed)
		_, webhook := d.pay(t, "refunded", emulator.OutcomePaid)
		confirmWant(t, p, webhook, payresult.StatusPaid)
		d.consoleCancel(t, "refunded", 10000) // its webhook is lost
		// The Processor serves both APIs, so the reconciler's default
		// listers sweep V1's lists and V2's.
		r := &reconciler.Reconciler{Store: s.store, Processor: p, Now: s.clock.Now, RateLimit: -1}
		sum, err := r.SweepRange(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil || sum.Errors != 0 {
			t.Fatalf("SweepRange = %+v, %v", sum, err)
		}
		want := map[string]payresult.Status{"paid": payresult.StatusPaid, "vbank": payresult.StatusVbankIssued,
			"failed": payresult.StatusFailed, "refunded": payresult.StatusRefunded}
		for m, st := range want {
			if o, err := s.store.Order(ctx, m); err != nil || o.Status != st {
				t.Errorf("%s after the sweep: %+v, %v; want %s", m, o, err, st)
			}
		}
		wantEvents(t, s.store, "refunded", payresult.EventPaid, payresult.EventRefunded)
	})
}

// TestV2SweepPartialCancel: a partial refund made in PortOne V2's
// console whose webhooks were all lost reaches its paid order through the
// cancel sweep (V2 lists a partial cancel as PARTIAL_CANCELLED), and a
// second sweep changes nothing, on both stores.
func TestV2SweepPartialCancel(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *apiSandbox) {
		p := s.processor(payresult.APIV2)
		ctx := context.Background()
		d := s.driver(payresult.APIV2)
		createOrder(t, p, d, "partly")
		_, webhook := d.pay(t, "partly", emulator.OutcomePaid)
		confirmWant(t, p, webhook, payresult.StatusPaid)
		d.consoleCancel(t, "partly", 3000) // its webhooks are lost

		r := &reconciler.Reconciler{Store: s.store, Processor: p, Now: s.clock.Now, RateLimit: -1}
		for round := range 2 {
			sum, err := r.SweepRange(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			if err != nil || sum.Errors != 0 {
				t.Fatalf("sweep %d = %+v, %v", round+1, sum, err)
			}
			o, err := s.store.Order(ctx, "partly")
			if err != nil || o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount.String() != "3000" {
				t.Fatalf("after sweep %d: %+v, %v; want partially refunded by 3000", round+1, o, err)
			}
		}
		wantEvents(t, s.store, "partly", payresult.EventPaid, payresult.EventPartiallyRefunded)
	})
}

// TestSweepRoundBothAPIs: on an instance that serves V1 and V2, one round
// of the reconciler's scheduled sweeps (claimed windows, default listers)
// finds the paid orders of both APIs whose redirects and webhooks were all
// lost, and a refund made in V2's console, on both stores.
func TestSweepRoundBothAPIs(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *apiSandbox) {
		p := s.processor(payresult.APIV1)
		ctx := context.Background()
		v1, v2 := s.driver(payresult.APIV1), s.driver(payresult.APIV2)
		createOrder(t, p, v1, "v1-paid")
		createOrder(t, p, v2, "v2-paid")
		createOrder(t, p, v2, "v2-refunded")
		v1.pay(t, "v1-paid", emulator.OutcomePaid)
		v2.pay(t, "v2-paid", emulator.OutcomePaid)
		_, webhook := v2.pay(t, "v2-refunded", emulator.OutcomePaid)
		confirmWant(t, p, webhook, payresult.StatusPaid)
		v2.consoleCancel(t, "v2-refunded", 10000)

		r := &reconciler.Reconciler{Store: s.store, Processor: p, Now: s.clock.Now, RateLimit: -1}
		sum, err := r.SweepRound(ctx)
		if err != nil || sum.Errors != 0 {
			t.Fatalf("SweepRound = %+v, %v", sum, err)
		}
		if sum.PaidLate != 2 || sum.Refunded != 1 {
			t.Errorf("SweepRound = %+v; want 2 paid late and 1 refunded", sum)
		}
		for m, want := range map[string]payresult.Status{"v1-paid": payresult.StatusPaid,
			"v2-paid": payresult.StatusPaid, "v2-refunded": payresult.StatusRefunded} {
			if o, err := s.store.Order(ctx, m); err != nil || o.Status != want {
				t.Errorf("%s after the round: %+v, %v; want %s", m, o, err, want)
			}
		}
		wantEvents(t, s.store, "v2-paid", payresult.EventPaid)
		wantEvents(t, s.store, "v2-refunded", payresult.EventPaid, payresult.EventRefunded)
	})
}
