package reconcile_test

import (
	"context"
	"errors"
	"sync"
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
		h.rec.Cancels = h.rec.PortOne.(reconcile.CancelLister)
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

		sum, err := h.rec.SweepCancels(ctx, now.Add(-3*time.Hour), now.Add(-2*time.Hour))
		if err != nil || sum != (reconcile.Summary{}) {
			t.Fatalf("sweep of a window before the cancels = %+v, %v; want nothing done", sum, err)
		}
		sum, err = h.rec.SweepCancels(ctx, now.Add(-2*time.Hour), now)
		if err != nil {
			t.Fatalf("SweepCancels: %v", err)
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
		if sum, err := h.rec.SweepCancels(ctx, now.Add(-2*time.Hour), now); err != nil || sum != (reconcile.Summary{}) {
			t.Errorf("second sweep = %+v, %v; want nothing to do", sum, err)
		}
	})
}

// flakyLister fails its first calls, then lists through the real one, and
// records each call's time range.
type flakyLister struct {
	real  reconcile.CancelLister
	fails int
	mu    sync.Mutex
	from  []time.Time
}

func (f *flakyLister) PaymentsByStatus(ctx context.Context, status string, q portone.ListQuery) (*portone.PaymentPage, error) {
	f.mu.Lock()
	f.from = append(f.from, q.From)
	fail := len(f.from) <= f.fails
	f.mu.Unlock()
	if fail {
		return nil, errors.New("PortOne unreachable")
	}
	return f.real.PaymentsByStatus(ctx, status, q)
}

// TestRunSweepsCancels: Run sweeps at its start (looking back
// CancelLookback) and every CancelSweepInterval after; a sweep that
// failed is read again from where the last good one ended.
func TestRunSweepsCancels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		lister := &flakyLister{real: h.rec.PortOne.(reconcile.CancelLister), fails: 1}
		h.rec.Cancels, h.rec.Interval = lister, 5*time.Millisecond
		p := h.paidAndConfirmed(t, "lost-refund", 10000)
		if _, err := h.emu.ConsoleCancel(p.ImpUID, portone.Won(10000)); err != nil {
			t.Fatal(err)
		}
		start := h.clock.Now()
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.rec.Run(ctx) }()
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
		waitFor := func(what string, ok func() bool) {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("waited 10 s for %s", what)
				}
			}
		}
		calls := func() int {
			lister.mu.Lock()
			defer lister.mu.Unlock()
			return len(lister.from)
		}
		waitFor("the first sweep", func() bool { return calls() >= 1 })
		if o := h.mustOrder(t, "lost-refund"); o.Status != payresult.StatusPaid {
			t.Fatalf("order %s after a failed sweep, want still paid", o.Status)
		}
		h.clock.Advance(reconcile.DefaultCancelSweepInterval)
		waitFor("the refund", func() bool { return h.mustOrder(t, "lost-refund").Status == payresult.StatusRefunded })
		h.clock.Advance(reconcile.DefaultCancelSweepInterval)
		waitFor("a third sweep", func() bool { return calls() >= 3 })

		lister.mu.Lock()
		defer lister.mu.Unlock()
		lookback := start.Add(-reconcile.DefaultCancelLookback)
		if !lister.from[0].Equal(lookback) || !lister.from[1].Equal(lookback.Add(reconcile.DefaultCancelSweepInterval)) {
			t.Errorf("first sweeps from %v, %v; want the lookback %v both times (the first failed)", lister.from[0], lister.from[1], lookback)
		}
		second := start.Add(reconcile.DefaultCancelSweepInterval)
		if want := second.Add(-5 * time.Minute); !lister.from[2].Equal(want) {
			t.Errorf("third sweep from %v, want %v: where the second ended, less the overlap", lister.from[2], want)
		}
	})
}
