package payresult_test

import (
	"context"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// TestForgeryCancelCases covers the ways PortOne can answer the cancel of
// a forged payment. In each, the payment ends cancelled in full, by at
// most one cancel, and the order records it.
func TestForgeryCancelCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(e *env, forged *portone.Payment)
		wantCancels int // successful cancels at PortOne
		wantCalls   int // cancel requests sent
	}{
		{
			name:        "answered",
			setup:       func(*env, *portone.Payment) {},
			wantCancels: 1, wantCalls: 1,
		},
		{
			name: "answer lost on the way back",
			setup: func(e *env, _ *portone.Payment) {
				e.pg.set(func(f *fakePortOne) { f.loseCancelAnswer = true })
			},
			wantCancels: 1, wantCalls: 1,
		},
		{
			name: "already cancelled when payresult first saw it",
			setup: func(_ *env, p *portone.Payment) {
				p.Status, p.CancelAmount = portone.StatusCancelled, p.Amount
			},
			wantCancels: 0, wantCalls: 0,
		},
		{
			name: "partly cancelled before payresult saw it",
			setup: func(_ *env, p *portone.Payment) {
				p.Status, p.CancelAmount = portone.StatusCancelled, portone.Won(30)
			},
			wantCancels: 1, wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSQLiteEnv(t)
			e.order(t, "order-1")
			forged := payment("imp_1", "order-1", 100, portone.StatusPaid)
			tt.setup(e, forged)
			e.pg.put(forged)

			res := e.confirm(t, webhook("imp_1"))
			if res.CancelErr != nil {
				t.Errorf("CancelErr = %v, want nil", res.CancelErr)
			}
			o := e.stored(t, "order-1")
			if o.Status != payresult.StatusForged || !o.ForgeryCancelled || o.NeedsCheck() {
				t.Errorf("order %s, ForgeryCancelled %t, NeedsCheck %t; want forged, true, false", o.Status, o.ForgeryCancelled, o.NeedsCheck())
			}
			if got := e.pg.get("imp_1"); got.CancelAmount != got.Amount {
				t.Errorf("PortOne cancelled %s of %s, want all", got.CancelAmount, got.Amount)
			}
			if got := e.pg.cancelCount("imp_1"); got != tt.wantCancels {
				t.Errorf("%d cancels at PortOne, want %d", got, tt.wantCancels)
			}
			if got := e.pg.callCount("Cancel"); got != tt.wantCalls {
				t.Errorf("%d cancel requests, want %d", got, tt.wantCalls)
			}

			// A webhook retry changes nothing and sends nothing.
			e.pg.set(func(f *fakePortOne) { f.loseCancelAnswer = false })
			if res := e.confirm(t, webhook("imp_1")); res.Changed {
				t.Errorf("repeated Confirm changed the order: %s", res.Outcome)
			}
			if got := e.pg.callCount("Cancel"); got != tt.wantCalls {
				t.Errorf("after a repeat: %d cancel requests, want still %d", got, tt.wantCalls)
			}
		})
	}
}

// TestHonestPaymentNeverCancelled: the checks that refuse a payment must
// not cancel it; only a forged order's own payment is ever cancelled.
func TestHonestPaymentNeverCancelled(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	e.order(t, "order-1")
	e.order(t, "order-2")
	e.pg.put(payment("imp_1", "order-1", 10000, portone.StatusPaid))
	e.confirm(t, webhook("imp_1"))
	// A second, forged attempt for the already paid order.
	e.pg.put(payment("imp_2", "order-1", 100, portone.StatusPaid))
	if res := e.confirm(t, webhook("imp_2")); res.Outcome != payresult.OutcomeIgnored {
		t.Errorf("forged attempt on a paid order: %s, want ignored", res.Outcome)
	}
	// The honest payment presented for another order.
	_, err := e.p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceRedirect, ImpUID: "imp_1", MerchantUID: "order-2"})
	wantKind(t, err, payresult.KindMismatch)
	if got := e.pg.callCount("Cancel"); got != 0 {
		t.Errorf("%d cancel requests, want none", got)
	}
	if got := e.stored(t, "order-1"); got.Status != payresult.StatusPaid {
		t.Errorf("order-1 is %s, want still paid", got.Status)
	}
}
