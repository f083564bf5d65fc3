package payresult_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"payresult"
	"payresult/portone"
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

	o, err := e.p.Refund(ctx, "order-1", portone.Won(3000), "")
	if err != nil {
		t.Fatalf("Refund(3000): %v", err)
	}
	if o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(3000) {
		t.Errorf("after refunding 3000: %s, refunded %s; want partially_refunded, 3000", o.Status, o.RefundedAmount)
	}
	o, err = e.p.Refund(ctx, "order-1", portone.Amount{}, "고객 요청")
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
	_, err := e.p.Refund(ctx, "order-1", portone.Won(3000), "")
	wantKind(t, err, payresult.KindTransient)
	if got := e.stored(t, "order-1"); got.Status != payresult.StatusPaid {
		t.Errorf("after an unanswered refund the order is %s, want it left paid", got.Status)
	}

	e.pg.set(func(f *fakePortOne) { f.loseCancelAnswer = false })
	o, err := e.p.Refund(ctx, "order-1", portone.Won(3000), "")
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

	_, err := e.p.Refund(context.Background(), "order-1", portone.Won(3000), "")
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
	tests := []struct {
		name   string
		m      string
		amount portone.Amount
		reason string
		want   payresult.ErrorKind
	}{
		{"more than paid", "order-1", portone.Won(10001), "", payresult.KindInvalid},
		{"negative", "order-1", portone.Won(-1), "", payresult.KindInvalid},
		{"reason too long", "order-1", portone.Won(1), long, payresult.KindInvalid},
		{"no merchant_uid", "", portone.Won(1), "", payresult.KindInvalid},
		{"unknown order", "ghost", portone.Won(1), "", payresult.KindNotFound},
		{"order not paid", "order-2", portone.Won(1), "", payresult.KindConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.p.Refund(context.Background(), tt.m, tt.amount, tt.reason)
			wantKind(t, err, tt.want)
		})
	}
	if got := e.pg.callCount("Cancel"); got != 0 {
		t.Errorf("PortOne got %d cancels for refused refunds, want 0", got)
	}
	if got := e.stored(t, "order-1"); got.Status != payresult.StatusPaid || got.Version != 2 {
		t.Errorf("order-1 %s v%d after refused refunds, want paid v2", got.Status, got.Version)
	}
}
