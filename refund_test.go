package payresult_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// paidOrder registers order-1 and confirms imp_1 paid for it.
func paidOrder(t *testing.T, e *env) {
	t.Helper()
	e.order(t, "order-1")
	e.pg.put(payment("imp_1", "order-1", 10000, portone.StatusPaid))
	e.confirm(t, webhook("imp_1"))
}

func TestRefundPartThenRest(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	paidOrder(t, e)
	ctx := context.Background()

	o, err := e.p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-1", Amount: portone.Won(3000)})
	if err != nil {
		t.Fatalf("Refund(3000): %v", err)
	}
	if o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(3000) {
		t.Errorf("after refunding 3000: %s, refunded %s; want partially_refunded, 3000", o.Status, o.RefundedAmount)
	}
	o, err = e.p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-1", Reason: "고객 요청"})
	if err != nil {
		t.Fatalf("Refund(rest): %v", err)
	}
	if o.Status != payresult.StatusRefunded || o.RefundedAmount != portone.Won(10000) {
		t.Errorf("after refunding the rest: %s, refunded %s; want refunded, 10000", o.Status, o.RefundedAmount)
	}
	if got := e.pg.get("imp_1").CancelHistory; len(got) != 2 || got[1].Reason != "고객 요청" {
		t.Errorf("PortOne's cancel history %+v, want two cancels, the second with the given reason", got)
	}
	want := []payresult.EventType{payresult.EventPaid, payresult.EventPartiallyRefunded, payresult.EventRefunded}
	if diff := cmp.Diff(want, e.eventTypes(t, "order-1")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestRefundRetryAfterLostAnswer: PortOne cancelled but its answer was
// lost. The retry of the same request must not refund a second time.
func TestRefundRetryAfterLostAnswer(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	paidOrder(t, e)
	ctx := context.Background()

	e.pg.set(func(f *fakePortOne) { f.loseCancelAnswer = true })
	_, err := e.p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-1", Amount: portone.Won(3000)})
	wantKind(t, err, payresult.KindTransient)
	if got := e.stored(t, "order-1"); got.Status != payresult.StatusPaid {
		t.Errorf("after an unanswered refund the order is %s, want it left paid", got.Status)
	}

	e.pg.set(func(f *fakePortOne) { f.loseCancelAnswer = false })
	o, err := e.p.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-1", Amount: portone.Won(3000)})
	if err != nil {
		t.Fatalf("retried Refund: %v", err)
	}
	if o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(3000) {
		t.Errorf("after the retry: %s, refunded %s; want partially_refunded, 3000", o.Status, o.RefundedAmount)
	}
	if got := e.pg.cancelCount("imp_1"); got != 1 {
		t.Errorf("PortOne cancelled %d times, want 1", got)
	}
}

// TestRefundBalanceChanged: a console cancel happened that payresult has
// not heard of. The app's refund is refused rather than stacked on it.
func TestRefundBalanceChanged(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	paidOrder(t, e)
	consoleCancel("imp_1", 2000)(e)

	_, err := e.p.Refund(context.Background(), payresult.RefundRequest{MerchantUID: "order-1", Amount: portone.Won(3000)})
	wantKind(t, err, payresult.KindConflict)
	got := e.stored(t, "order-1")
	if got.Status != payresult.StatusPartiallyRefunded || got.RefundedAmount != portone.Won(2000) {
		t.Errorf("order %s, refunded %s; want PortOne's state: partially_refunded, 2000", got.Status, got.RefundedAmount)
	}
	if got := e.pg.cancelCount("imp_1"); got != 1 {
		t.Errorf("PortOne cancelled %d times, want only the console's 1", got)
	}
}

func TestRefundRefused(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	paidOrder(t, e)
	e.order(t, "order-2")
	long := string(make([]rune, 257))
	good := payresult.RefundAccount{Holder: "홍길동", Bank: "88", Number: "110-123-456789", Tel: "010-1234-5678"}
	with := func(f func(a *payresult.RefundAccount)) *payresult.RefundAccount {
		a := good
		f(&a)
		return &a
	}
	tests := []struct {
		name    string
		m       string
		amount  portone.Amount
		reason  string
		account *payresult.RefundAccount
		want    payresult.ErrorKind
		says    string
	}{
		{"more than paid", "order-1", portone.Won(10001), "", nil, payresult.KindInvalid, "more than the refundable"},
		{"negative", "order-1", portone.Won(-1), "", nil, payresult.KindInvalid, "negative"},
		{"half a won", "order-1", portone.MustParseAmount("0.5"), "", nil, payresult.KindInvalid, "refund amount 0.5 is not a whole number: KRW has no minor unit"},
		{"won and a fraction", "order-1", portone.MustParseAmount("1000.01"), "", nil, payresult.KindInvalid, "refund amount 1000.01 is not a whole number"},
		{"reason too long", "order-1", portone.Won(1), long, nil, payresult.KindInvalid, "reason"},
		{"no merchant_uid", "", portone.Won(1), "", nil, payresult.KindInvalid, "merchant_uid"},
		{"unknown order", "ghost", portone.Won(1), "", nil, payresult.KindNotFound, "ghost"},
		{"order not paid", "order-2", portone.Won(1), "", nil, payresult.KindConflict, "only a paid order"},
		{"account without holder", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Holder = "" }), payresult.KindInvalid, "needs refund_holder"},
		{"account without number", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Number = "" }), payresult.KindInvalid, "needs refund_holder"},
		{"holder with a newline", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Holder = "홍\n길동" }), payresult.KindInvalid, "refund_holder"},
		{"holder padded", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Holder = " 홍길동" }), payresult.KindInvalid, "refund_holder"},
		{"holder too long", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Holder = string(make([]rune, 33)) }), payresult.KindInvalid, "refund_holder"},
		{"bank name instead of code", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Bank = "신한" }), payresult.KindInvalid, "refund_bank"},
		{"bank code too long", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Bank = "BANK_OF_A_VERY_LONG_NAME_12345678" }), payresult.KindInvalid, "refund_bank"},
		{"number with letters", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Number = "110-12a" }), payresult.KindInvalid, "refund_account"},
		{"number of hyphens", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Number = "---" }), payresult.KindInvalid, "refund_account"},
		{"number ending in a hyphen", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Number = "110-" }), payresult.KindInvalid, "refund_account"},
		{"tel with letters", "order-1", portone.Won(1), "", with(func(a *payresult.RefundAccount) { a.Tel = "010-CALL-ME" }), payresult.KindInvalid, "refund_tel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.p.Refund(context.Background(), payresult.RefundRequest{MerchantUID: tt.m, Amount: tt.amount, Reason: tt.reason, Account: tt.account})
			wantKind(t, err, tt.want)
			if err != nil && !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
	if got := e.pg.callCount("Cancel"); got != 0 {
		t.Errorf("PortOne got %d cancels for refused refunds, want 0", got)
	}
	if got := e.stored(t, "order-1"); got.Status != payresult.StatusPaid || got.Version != 2 {
		t.Errorf("order-1 %s v%d after refused refunds, want paid v2", got.Status, got.Version)
	}
}
