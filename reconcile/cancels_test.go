package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/reconcile"
)

// paidAndConfirmed pays amount won for a new order and confirms it, as a
// webhook would have.
func (h *harness) paidAndConfirmed(t *testing.T, merchantUID string, amount int64) portone.Payment {
	t.Helper()
	h.order(t, merchantUID, amount)
	p := h.pay(t, merchantUID, amount)
	if _, err := h.proc.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: p.ImpUID}); err != nil {
		t.Fatalf("Confirm(%s): %v", merchantUID, err)
	}
	return p
}

// TestCancelSweepFindsLostRefunds: refunds made in PortOne's console whose
// cancelled webhooks were lost. The sweep applies them, once; an order
// already up to date and a payment of another system cost nothing.
func TestCancelSweepFindsLostRefunds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		full := h.paidAndConfirmed(t, "full", 10000)
		part := h.paidAndConfirmed(t, "part", 10000)
		known := h.paidAndConfirmed(t, "known", 10000)
		other, err := h.emu.Put(portone.Payment{MerchantUID: "other-system", Amount: portone.Won(500), Currency: "KRW",
			Status: portone.StatusPaid, PayMethod: portone.PayMethodCard, PaidAt: portone.TimeOf(h.clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Hour)
		for imp, amount := range map[string]int64{full.ImpUID: 10000, part.ImpUID: 4000, known.ImpUID: 3000, other.ImpUID: 500} {
			if _, err := h.emu.ConsoleCancel(imp, portone.Won(amount)); err != nil {
				t.Fatalf("ConsoleCancel(%s): %v", imp, err)
			}
		}
		// The webhook of "known" did arrive.
		if _, err := h.proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: known.ImpUID}); err != nil {
			t.Fatal(err)
		}
		now := h.clock.Now()

		sum, err := h.rec.SweepRange(ctx, now.Add(-3*time.Hour), now.Add(-2*time.Hour), "cancelled")
		if err != nil || sum != (reconcile.Summary{}) {
			t.Fatalf("sweep of a window before the cancels = %+v, %v; want nothing done", sum, err)
		}
		sum, err = h.rec.SweepRange(ctx, now.Add(-2*time.Hour), now, "cancelled")
		if err != nil {
			t.Fatalf("SweepRange: %v", err)
		}
		if want := (reconcile.Summary{Checked: 2, Changed: 2, Refunded: 2}); sum != want {
			t.Errorf("sweep = %+v, want %+v", sum, want)
		}
		for m, want := range map[string]struct {
			status   payresult.Status
			refunded int64
			events   []payresult.EventType
		}{
			"full":  {payresult.StatusRefunded, 10000, []payresult.EventType{payresult.EventPaid, payresult.EventRefunded}},
			"part":  {payresult.StatusPartiallyRefunded, 4000, []payresult.EventType{payresult.EventPaid, payresult.EventPartiallyRefunded}},
			"known": {payresult.StatusPartiallyRefunded, 3000, []payresult.EventType{payresult.EventPaid, payresult.EventPartiallyRefunded}},
		} {
			o := h.mustOrder(t, m)
			if o.Status != want.status || o.RefundedAmount != portone.Won(want.refunded) {
				t.Errorf("%s: %s, refunded %s; want %s, %d", m, o.Status, o.RefundedAmount, want.status, want.refunded)
			}
			if diff := cmp.Diff(want.events, h.eventTypes(t, m)); diff != "" {
				t.Errorf("%s events (-want +got):\n%s", m, diff)
			}
		}
		if _, err := h.store.Order(ctx, "other-system"); !payresult.IsNotFound(err) {
			t.Errorf("the other system's payment made an order: %v", err)
		}
		if sum, err := h.rec.SweepRange(ctx, now.Add(-2*time.Hour), now, "cancelled"); err != nil || sum != (reconcile.Summary{}) {
			t.Errorf("second sweep = %+v, %v; want nothing to do", sum, err)
		}
	})
}
