package payresult_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// TestConfirmRefusesTampering runs the attacks a buyer (or anyone who can
// reach the redirect and webhook URLs) can try. None may fulfil an order:
// no order.paid event, no paid status, and only a forged payment is ever
// cancelled.
func TestConfirmRefusesTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// acceptTest sets Processor.AcceptTestPayments.
		acceptTest bool
		// setup registers orders and payments and returns the notice.
		setup       func(t *testing.T, e *env) payresult.Notice
		wantKind    payresult.ErrorKind
		wantOutcome payresult.Outcome
		// wantStatus is the status of every order afterwards.
		wantStatus map[string]payresult.Status
		// wantPaidEvents lists the orders that may have an order.paid event.
		wantPaidEvents []string
		// wantCancels is the number of cancels of imp_1 at PortOne.
		wantCancels int
	}{
		{
			name: "amount lower than the order",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				e.pg.put(payment("imp_1", "order-a", 100, portone.StatusPaid))
				return payresult.Notice{Source: payresult.SourceRedirect, ImpUID: "imp_1", MerchantUID: "order-a"}
			},
			wantOutcome: payresult.OutcomeForged,
			wantStatus:  map[string]payresult.Status{"order-a": payresult.StatusForged},
			wantCancels: 1,
		},
		{
			name: "amount higher than the order",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				e.pg.put(payment("imp_1", "order-a", 10001, portone.StatusPaid))
				return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1", MerchantUID: "order-a"}
			},
			wantOutcome: payresult.OutcomeForged,
			wantStatus:  map[string]payresult.Status{"order-a": payresult.StatusForged},
			wantCancels: 1,
		},
		{
			name: "currency changed",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				p := payment("imp_1", "order-a", 10000, portone.StatusPaid)
				p.Currency = "USD"
				e.pg.put(p)
				return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1", MerchantUID: "order-a"}
			},
			wantOutcome: payresult.OutcomeForged,
			wantStatus:  map[string]payresult.Status{"order-a": payresult.StatusForged},
			wantCancels: 1,
		},
		{
			name: "payment of order A presented for order B of the same price",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				e.order(t, "order-b")
				e.pg.put(payment("imp_1", "order-a", 10000, portone.StatusPaid))
				return payresult.Notice{Source: payresult.SourceRedirect, ImpUID: "imp_1", MerchantUID: "order-b"}
			},
			wantKind:    payresult.KindMismatch,
			wantOutcome: payresult.OutcomeRefused,
			wantStatus:  map[string]payresult.Status{"order-a": payresult.StatusPending, "order-b": payresult.StatusPending},
		},
		{
			name: "imp_uid of a paid order replayed for a new order",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				e.pg.put(payment("imp_1", "order-a", 10000, portone.StatusPaid))
				e.confirm(t, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1"})
				e.order(t, "order-c")
				return payresult.Notice{Source: payresult.SourceRedirect, ImpUID: "imp_1", MerchantUID: "order-c"}
			},
			wantKind:       payresult.KindMismatch,
			wantOutcome:    payresult.OutcomeRefused,
			wantStatus:     map[string]payresult.Status{"order-a": payresult.StatusPaid, "order-c": payresult.StatusPending},
			wantPaidEvents: []string{"order-a"},
		},
		{
			name: "imp_uid already bound to another order",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				e.order(t, "order-b")
				e.pg.put(payment("imp_1", "order-a", 10000, portone.StatusPaid))
				e.confirm(t, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1"})
				// PortOne now claims the payment belongs to order-b.
				e.pg.put(payment("imp_1", "order-b", 10000, portone.StatusPaid))
				return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1"}
			},
			wantKind:       payresult.KindMismatch,
			wantOutcome:    payresult.OutcomeRefused,
			wantStatus:     map[string]payresult.Status{"order-a": payresult.StatusPaid, "order-b": payresult.StatusPending},
			wantPaidEvents: []string{"order-a"},
		},
		{
			name: "notice for an unknown merchant_uid",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.pg.put(payment("imp_1", "ghost", 10000, portone.StatusPaid))
				return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1", MerchantUID: "ghost"}
			},
			wantKind:   payresult.KindNotFound,
			wantStatus: map[string]payresult.Status{},
		},
		{
			name: "merchant_uid only, for an unknown order",
			setup: func(t *testing.T, e *env) payresult.Notice {
				return payresult.Notice{Source: payresult.SourceRedirect, MerchantUID: "ghost"}
			},
			wantKind:   payresult.KindNotFound,
			wantStatus: map[string]payresult.Status{},
		},
		{
			name: "notice merchant_uid disagrees with the payment's",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				e.pg.put(payment("imp_1", "order-a", 10000, portone.StatusPaid))
				return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1", MerchantUID: "order-zz"}
			},
			wantKind:    payresult.KindMismatch,
			wantOutcome: payresult.OutcomeRefused,
			wantStatus:  map[string]payresult.Status{"order-a": payresult.StatusPending},
		},
		{
			name: "unknown imp_uid",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				return payresult.Notice{Source: payresult.SourceRedirect, ImpUID: "imp_404", MerchantUID: "order-a"}
			},
			wantKind:   payresult.KindNotFound,
			wantStatus: map[string]payresult.Status{"order-a": payresult.StatusPending},
		},
		{
			name: "test-channel payment, zero Processor",
			setup: func(t *testing.T, e *env) payresult.Notice {
				e.order(t, "order-a")
				p := payment("imp_1", "order-a", 10000, portone.StatusPaid)
				p.Sandbox = true
				e.pg.put(p)
				return payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1", MerchantUID: "order-a"}
			},
			wantKind:    payresult.KindMismatch,
			wantOutcome: payresult.OutcomeRefused,
			wantStatus:  map[string]payresult.Status{"order-a": payresult.StatusPending},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSQLiteEnv(t)
			e.p.AcceptTestPayments = tt.acceptTest
			n := tt.setup(t, e)
			res, err := e.p.Confirm(context.Background(), n)
			wantKind(t, err, tt.wantKind)
			if tt.wantOutcome != "" && (res == nil || res.Outcome != tt.wantOutcome) {
				t.Errorf("Result = %+v, want outcome %s", res, tt.wantOutcome)
			}
			for m, want := range tt.wantStatus {
				if got := e.stored(t, m).Status; got != want {
					t.Errorf("order %s is %s, want %s", m, got, want)
				}
			}
			var paid []string
			evs, err := e.store.Events(context.Background(), 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if ev.Type == payresult.EventPaid {
					paid = append(paid, ev.MerchantUID)
				}
			}
			if diff := cmp.Diff(tt.wantPaidEvents, paid); diff != "" {
				t.Errorf("order.paid events (-want +got):\n%s", diff)
			}
			if got := e.pg.cancelCount("imp_1"); got != tt.wantCancels {
				t.Errorf("imp_1 cancelled %d times at PortOne, want %d", got, tt.wantCancels)
			}
		})
	}
}
