package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/reconcile"
)

// TestCheckNow: orders whose checks are not due, or ran out, are checked
// at once when asked: the paid one is found paid, the others keep their
// schedule. The backlog counts them before and after.
func TestCheckNow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		ctx := context.Background()
		h := newHarness(t, s)
		h.order(t, "paid-unseen", 1000)
		h.pay(t, "paid-unseen", 1000)
		h.order(t, "never-paid", 2000)
		h.order(t, "checks-ran-out", 3000)
		if err := s.ScheduleCheck(ctx, "checks-ran-out", time.Time{}, len(reconcile.DefaultSchedule)); err != nil {
			t.Fatal(err)
		}

		b, err := reconcile.ReadBacklog(ctx, s, h.clock.Now(), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if b.Due != 0 || b.Waiting != 2 || b.Stopped != 1 || b.Open() != 3 || len(b.Next) != 2 {
			t.Fatalf("backlog before = due %d, waiting %d, stopped %d, next %d; want 0, 2, 1, 2", b.Due, b.Waiting, b.Stopped, len(b.Next))
		}
		if sum := h.pass(t); sum != (reconcile.Summary{}) {
			t.Fatalf("a pass before any check is due: %+v, want nothing", sum)
		}

		open, truncated, err := reconcile.OpenOrders(ctx, s, 0)
		if err != nil || truncated || len(open) != 3 {
			t.Fatalf("OpenOrders = %d orders, truncated %v, err %v; want 3", len(open), truncated, err)
		}
		sum, err := h.rec.CheckNow(ctx, open)
		if err != nil {
			t.Fatalf("CheckNow: %v", err)
		}
		if diff := cmp.Diff(reconcile.Summary{Checked: 3, Changed: 1, PaidLate: 1}, sum); diff != "" {
			t.Errorf("CheckNow (-want +got):\n%s", diff)
		}
		if o := h.mustOrder(t, "paid-unseen"); o.Status != payresult.StatusPaid {
			t.Errorf("paid-unseen is %s, want paid", o.Status)
		}
		if o := h.mustOrder(t, "never-paid"); o.Checks != 1 || !o.NextCheckAt.After(h.clock.Now()) {
			t.Errorf("never-paid after a check now: %d checks, next at %v; want 1 and a later check", o.Checks, o.NextCheckAt)
		}
		if o := h.mustOrder(t, "checks-ran-out"); !o.NextCheckAt.IsZero() {
			t.Errorf("checks-ran-out was given another check at %v; want none", o.NextCheckAt)
		}
		if b, _ = reconcile.ReadBacklog(ctx, s, h.clock.Now(), 0, 10); b.Open() != 2 || b.Stopped != 1 {
			t.Errorf("backlog after = %d open, %d stopped; want 2 and 1", b.Open(), b.Stopped)
		}
	})
}

// TestOpenOrdersBound: OpenOrders reads at most its bound of each status
// and says so.
func TestOpenOrdersBound(t *testing.T) {
	h := newHarness(t, testdb.OpenSQLite(t))
	for _, mu := range []string{"a", "b", "c"} {
		h.order(t, mu, 1000)
	}
	open, truncated, err := reconcile.OpenOrders(context.Background(), h.store, 2)
	if err != nil || len(open) != 2 || !truncated {
		t.Errorf("OpenOrders(bound 2) = %d orders, truncated %v, err %v; want 2, true", len(open), truncated, err)
	}
}
