package payresult_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// sandbox is the real emulator over httptest, with a real client.
type sandbox struct {
	em     *emulator.Emulator
	client *portone.Client
	store  payresult.Store
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	em := emulator.New(emulator.Config{Seed: 1})
	srv := httptest.NewServer(em)
	t.Cleanup(func() {
		srv.Close()
		em.Close()
	})
	return &sandbox{
		em:     em,
		client: &portone.Client{BaseURL: srv.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret, MaxRetries: -1},
		store:  testdb.OpenSQLite(t),
	}
}

// processor returns a processor on the sandbox's store and gw (the
// sandbox's client when nil). Several processors on one store stand for
// several payresult instances.
func (s *sandbox) processor(gw payresult.Gateway) *payresult.Processor {
	if gw == nil {
		gw = s.client
	}
	return &payresult.Processor{Store: s.store, PortOne: gw}
}

func (s *sandbox) order(t *testing.T, p *payresult.Processor, m string) {
	t.Helper()
	_, _, err := p.CreateOrder(context.Background(), payresult.NewOrder{MerchantUID: m, Name: "coffee beans", Amount: portone.Won(10000)})
	if err != nil {
		t.Fatalf("CreateOrder(%s): %v", m, err)
	}
}

// forge puts a paid payment of 100 KRW for order m at PortOne: what a
// buyer gets by tampering with the amount at a PG that skips
// pre-registration.
func (s *sandbox) forge(t *testing.T, m string) string {
	t.Helper()
	p, err := s.em.Put(portone.Payment{
		MerchantUID: m, Amount: portone.Won(100), Currency: "KRW", Status: portone.StatusPaid,
		PayMethod: portone.PayMethodCard, PaidAt: portone.TimeOf(time.Now()),
	})
	if err != nil {
		t.Fatalf("put forged payment: %v", err)
	}
	return p.ImpUID
}

// noticeFrom reads the notice a browser would bring back from r.
func noticeFrom(t *testing.T, r *emulator.Result) payresult.Notice {
	t.Helper()
	u, err := url.Parse(r.RedirectURL)
	if err != nil {
		t.Fatalf("redirect URL %q: %v", r.RedirectURL, err)
	}
	rd, err := portone.ParseRedirectValues(u.Query())
	if err != nil {
		t.Fatalf("parse redirect %q: %v", r.RedirectURL, err)
	}
	return payresult.Notice{Source: payresult.SourceRedirect, ImpUID: rd.ImpUID, MerchantUID: rd.MerchantUID, ErrorCode: rd.ErrorCode, ErrorMsg: rd.ErrorMsg}
}

// TestForgeryCancelledOnce confirms a forged payment from two payresult
// instances, ten goroutines each: the emulator must see exactly one
// cancel, of the whole amount, and the order must record it.
func TestForgeryCancelledOnce(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	instances := []*payresult.Processor{s.processor(nil), s.processor(nil)}
	s.order(t, instances[0], "order-a")
	imp := s.forge(t, "order-a")

	sources := []payresult.NoticeSource{payresult.SourceRedirect, payresult.SourceWebhook, payresult.SourceReconciler}
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i := range 20 {
		wg.Go(func() {
			<-begin
			n := payresult.Notice{Source: sources[i%3], ImpUID: imp, MerchantUID: "order-a"}
			res, err := instances[i%2].Confirm(context.Background(), n)
			if err != nil {
				t.Errorf("Confirm %d: %v", i, err)
				return
			}
			if res.Order.Status != payresult.StatusForged {
				t.Errorf("Confirm %d: order %s, want forged", i, res.Order.Status)
			}
		})
	}
	close(begin)
	wg.Wait()

	checkForgeryCancelled(t, s, imp)
	// Later notices (a webhook retry, the reconciler) change nothing.
	if _, err := instances[1].Confirm(context.Background(), payresult.Notice{Source: payresult.SourceReconciler, MerchantUID: "order-a"}); err != nil {
		t.Fatalf("later Confirm: %v", err)
	}
	checkForgeryCancelled(t, s, imp)
}

func checkForgeryCancelled(t *testing.T, s *sandbox, imp string) {
	t.Helper()
	if got := s.em.CancelCalls(imp); got != 1 {
		t.Errorf("emulator cancelled %s %d times, want exactly 1", imp, got)
	}
	pay, _ := s.em.Payment(imp)
	if pay.CancelAmount != portone.Won(100) || pay.CancelReason.String != payresult.ForgeryCancelReason {
		t.Errorf("emulator payment: cancelled %s (%q), want 100 (%q)", pay.CancelAmount, pay.CancelReason.String, payresult.ForgeryCancelReason)
	}
	o, err := s.store.Order(context.Background(), "order-a")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != payresult.StatusForged || !o.ForgeryCancelled || o.NeedsCheck() {
		t.Errorf("order %s, ForgeryCancelled %t, NeedsCheck %t; want forged, true, false", o.Status, o.ForgeryCancelled, o.NeedsCheck())
	}
	evs, err := s.store.OrderEvents(context.Background(), "order-a")
	if err != nil || len(evs) != 1 || evs[0].Type != payresult.EventForged {
		t.Errorf("events %+v, %v; want one order.forged", evs, err)
	}
}

// failingCancel is the sandbox's client with Cancel made unreachable on
// demand: PortOne answering look-ups but not cancels.
type failingCancel struct {
	payresult.Gateway
	fail atomic.Bool
}

func (f *failingCancel) Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	if f.fail.Load() {
		return nil, context.DeadlineExceeded
	}
	return f.Gateway.Cancel(ctx, req)
}

// TestForgeryCancelRetried: PortOne does not answer the cancel. The order
// is forged all the same and stays due for the reconciler, whose Confirm
// then cancels it, once.
func TestForgeryCancelRetried(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	gw := &failingCancel{Gateway: s.client}
	gw.fail.Store(true)
	p := s.processor(gw)
	s.order(t, p, "order-a")
	imp := s.forge(t, "order-a")

	res, err := p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: imp})
	if err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if res.Order.Status != payresult.StatusForged || res.Order.ForgeryCancelled || !payresult.IsTransient(res.CancelErr) {
		t.Fatalf("Confirm = %s, ForgeryCancelled %t, CancelErr %v; want forged, false, a transient error", res.Order.Status, res.Order.ForgeryCancelled, res.CancelErr)
	}
	if !res.Order.NeedsCheck() {
		t.Errorf("forged order with its cancel pending does not need a check")
	}
	if got := s.em.CancelCalls(imp); got != 0 {
		t.Fatalf("emulator cancelled %d times while unreachable", got)
	}

	gw.fail.Store(false)
	res, err = p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceReconciler, MerchantUID: "order-a"})
	if err != nil || res.CancelErr != nil {
		t.Fatalf("reconciler Confirm: %v, CancelErr %v", err, res.CancelErr)
	}
	checkForgeryCancelled(t, s, imp)
}

// TestSandboxHonestFlows plays real payment flows through the emulator:
// none is ever cancelled by payresult.
func TestSandboxHonestFlows(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	p := s.processor(nil)
	ctx := context.Background()
	for _, m := range []string{"card-1", "vbank-1"} {
		s.order(t, p, m)
	}

	card, err := s.em.Pay(emulator.PaymentRequest{MerchantUID: "card-1", Name: "coffee beans", Amount: portone.Won(10000), RedirectURL: "https://shop.example/back"}, emulator.OutcomePaid)
	if err != nil {
		t.Fatalf("Pay(card): %v", err)
	}
	card.Release()
	res, err := p.Confirm(ctx, noticeFrom(t, card))
	if err != nil || res.Order.Status != payresult.StatusPaid {
		t.Fatalf("Confirm(card redirect) = %+v, %v; want paid", res, err)
	}
	if _, err := s.em.ConsoleCancel(card.Payment.ImpUID, portone.Won(4000)); err != nil {
		t.Fatal(err)
	}
	res, err = p.Confirm(ctx, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: card.Payment.ImpUID, MerchantUID: "card-1"})
	if err != nil || res.Order.Status != payresult.StatusPartiallyRefunded || res.Order.RefundedAmount != portone.Won(4000) {
		t.Fatalf("after a console cancel of 4000: %+v, %v; want partially_refunded 4000", res, err)
	}
	o, err := p.Refund(ctx, payresult.RefundRequest{MerchantUID: "card-1"})
	if err != nil || o.Status != payresult.StatusRefunded || o.RefundedAmount != portone.Won(10000) {
		t.Fatalf("Refund(rest) = %+v, %v; want refunded 10000", o, err)
	}
	if got := s.em.CancelCalls(card.Payment.ImpUID); got != 1 {
		t.Errorf("API cancels of the card payment: %d, want the refund's 1", got)
	}

	vb, err := s.em.Pay(emulator.PaymentRequest{MerchantUID: "vbank-1", Name: "coffee beans", Amount: portone.Won(10000), PayMethod: portone.PayMethodVbank, RedirectURL: "https://shop.example/back"}, emulator.OutcomeVbankIssued)
	if err != nil {
		t.Fatalf("Pay(vbank): %v", err)
	}
	vb.Release()
	res, err = p.Confirm(ctx, noticeFrom(t, vb))
	if err != nil || res.Order.Status != payresult.StatusVbankIssued || res.Order.Vbank == nil || res.Order.Vbank.Number == "" {
		t.Fatalf("Confirm(vbank redirect) = %+v, %v; want vbank_issued with an account", res, err)
	}
	if _, err := s.em.Deposit(vb.Payment.ImpUID); err != nil {
		t.Fatal(err)
	}
	res, err = p.Confirm(ctx, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: vb.Payment.ImpUID, MerchantUID: "vbank-1"})
	if err != nil || res.Order.Status != payresult.StatusPaid {
		t.Fatalf("Confirm(deposit) = %+v, %v; want paid", res, err)
	}
	if got := s.em.CancelCalls(vb.Payment.ImpUID); got != 0 {
		t.Errorf("payresult cancelled the honest vbank payment %d times", got)
	}
	evs, err := s.store.OrderEvents(ctx, "vbank-1")
	if err != nil {
		t.Fatal(err)
	}
	var types []payresult.EventType
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	if diff := cmp.Diff([]payresult.EventType{payresult.EventVbankIssued, payresult.EventPaid}, types); diff != "" {
		t.Errorf("vbank events (-want +got):\n%s", diff)
	}
}

// TestSandboxForgedDepositNeedsAccount: a forged amount deposited into a
// virtual account can only go back to the buyer's bank account. Confirm
// does not send PortOne a cancel it would refuse; the order waits, forged
// and uncancelled, until the app gives the account through Refund, which
// then gives the whole deposit back once.
func TestSandboxForgedDepositNeedsAccount(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	p := s.processor(nil)
	ctx := context.Background()
	s.order(t, p, "order-a")
	dep, err := s.em.Put(portone.Payment{
		MerchantUID: "order-a", Amount: portone.Won(100), Currency: "KRW", Status: portone.StatusPaid,
		PayMethod: portone.PayMethodVbank, PaidAt: portone.TimeOf(time.Now()),
		VbankName: portone.NewNullString("신한은행"), VbankNum: portone.NewNullString("56211234567890"),
	})
	if err != nil {
		t.Fatalf("put forged deposit: %v", err)
	}
	imp := dep.ImpUID

	for _, src := range []payresult.NoticeSource{payresult.SourceWebhook, payresult.SourceReconciler} {
		res, err := p.Confirm(ctx, payresult.Notice{Source: src, ImpUID: imp, MerchantUID: "order-a"})
		if err != nil {
			t.Fatalf("Confirm(%s): %v", src, err)
		}
		if res.Order.Status != payresult.StatusForged || res.Order.ForgeryCancelled || !errors.Is(res.CancelErr, payresult.ErrRefundAccountNeeded) {
			t.Fatalf("Confirm(%s) = %s, ForgeryCancelled %t, CancelErr %v; want forged, false, ErrRefundAccountNeeded",
				src, res.Order.Status, res.Order.ForgeryCancelled, res.CancelErr)
		}
		if !res.Order.NeedsCheck() {
			t.Errorf("a forged deposit not given back does not need checks")
		}
	}
	if got := s.em.CancelCalls(imp); got != 0 {
		t.Fatalf("PortOne got %d cancels it must refuse, want 0", got)
	}

	_, err = p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-a"})
	wantKind(t, err, payresult.KindInvalid)
	if !errors.Is(err, payresult.ErrRefundAccountNeeded) {
		t.Errorf("Refund without an account: %v, want ErrRefundAccountNeeded", err)
	}
	acct := &payresult.RefundAccount{Holder: "홍길동", Bank: "88", Number: "110-123-456789"}
	_, err = p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-a", Amount: portone.Won(50), Account: acct})
	wantKind(t, err, payresult.KindInvalid)
	if got := s.em.CancelCalls(imp); got != 0 {
		t.Fatalf("PortOne got %d cancels for refused refunds, want 0", got)
	}

	o, err := p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-a", Account: acct})
	if err != nil {
		t.Fatalf("Refund with an account: %v", err)
	}
	if o.Status != payresult.StatusForged || !o.ForgeryCancelled || o.NeedsCheck() {
		t.Errorf("after the refund: %s, ForgeryCancelled %t, NeedsCheck %t; want forged, true, false", o.Status, o.ForgeryCancelled, o.NeedsCheck())
	}
	checkForgeryCancelled(t, s, imp)

	_, err = p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-a", Account: acct})
	wantKind(t, err, payresult.KindConflict)
	if got := s.em.CancelCalls(imp); got != 1 {
		t.Errorf("PortOne got %d cancels, want the one refund's", got)
	}
	lines, err := s.store.Notes(ctx, "order-a")
	if err != nil {
		t.Fatal(err)
	}
	var intoAccount int
	for _, l := range lines {
		if strings.Contains(l.Detail, "110-123") || strings.Contains(l.Detail, "123456789") {
			t.Errorf("note %q holds the account number", l.Detail)
		}
		if strings.Contains(l.Detail, "into bank 88, account ending 6789") {
			intoAccount++
		}
	}
	if intoAccount != 1 {
		t.Errorf("%d notes name the account the deposit went back to, want 1", intoAccount)
	}
}

// TestSandboxVirtualAccountRefund refunds a deposited virtual-account
// payment through the emulator, which, as PortOne does, refuses such a
// cancel without the buyer's refund account.
func TestSandboxVirtualAccountRefund(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	p := s.processor(nil)
	ctx := context.Background()
	s.order(t, p, "vbank-r")
	vb, err := s.em.Pay(emulator.PaymentRequest{MerchantUID: "vbank-r", Name: "coffee beans", Amount: portone.Won(10000), PayMethod: portone.PayMethodVbank, RedirectURL: "https://shop.example/back"}, emulator.OutcomeVbankIssued)
	if err != nil {
		t.Fatalf("Pay(vbank): %v", err)
	}
	vb.Release()
	if _, err := s.em.Deposit(vb.Payment.ImpUID); err != nil {
		t.Fatal(err)
	}
	res, err := p.Confirm(ctx, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: vb.Payment.ImpUID, MerchantUID: "vbank-r"})
	if err != nil || res.Order.Status != payresult.StatusPaid || res.Order.Vbank == nil {
		t.Fatalf("Confirm(deposit) = %+v, %v; want paid into a virtual account", res, err)
	}

	_, err = p.Refund(ctx, payresult.RefundRequest{MerchantUID: "vbank-r", Amount: portone.Won(3000)})
	wantKind(t, err, payresult.KindInvalid)
	if err == nil || !strings.Contains(err.Error(), "refund_account") {
		t.Errorf("refund without an account: %v, want an error naming refund_account", err)
	}
	if got := s.em.CancelCalls(vb.Payment.ImpUID); got != 0 {
		t.Fatalf("PortOne got %d cancels for a refund payresult refused, want 0", got)
	}

	acct := &payresult.RefundAccount{Holder: "홍길동", Bank: "88", Number: "110-123-456789"}
	o, err := p.Refund(ctx, payresult.RefundRequest{MerchantUID: "vbank-r", Amount: portone.Won(3000), Account: acct})
	if err != nil || o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(3000) {
		t.Fatalf("Refund(3000 to an account) = %+v, %v; want partially_refunded 3000", o, err)
	}
	o, err = p.Refund(ctx, payresult.RefundRequest{MerchantUID: "vbank-r", Account: acct})
	if err != nil || o.Status != payresult.StatusRefunded || o.RefundedAmount != portone.Won(10000) {
		t.Fatalf("Refund(rest to an account) = %+v, %v; want refunded 10000", o, err)
	}
	if got := s.em.CancelCalls(vb.Payment.ImpUID); got != 2 {
		t.Errorf("PortOne got %d cancels, want the two refunds'", got)
	}
	lines, err := s.store.Notes(ctx, "vbank-r")
	if err != nil {
		t.Fatal(err)
	}
	var toAccount int
	for _, l := range lines {
		if strings.Contains(l.Detail, "110-123") || strings.Contains(l.Detail, "123456789") {
			t.Errorf("note %q holds the account number", l.Detail)
		}
		if strings.Contains(l.Detail, "bank 88, account ending 6789") {
			toAccount++
		}
	}
	if toAccount != 2 {
		t.Errorf("%d notes name the refund account by its last digits, want 2", toAccount)
	}
}
