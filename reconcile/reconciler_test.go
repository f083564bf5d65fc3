package reconcile_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/reconcile"
)

// TestLostSignalsThousandOrders: the buyer paid, and both the redirect and
// the webhook were lost, for 1,000 orders. Two reconcilers (two instances)
// pass over them at the same time; afterwards every order is paid and has
// exactly one order.paid event, and later passes leave them alone.
func TestLostSignalsThousandOrders(t *testing.T) {
	const orders = 1000
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		setup := time.Now()
		for i := range orders {
			h.order(t, uid(i), 1000+int64(i))
			h.pay(t, uid(i), 1000+int64(i))
		}
		t.Logf("registered and paid %d orders in %s", orders, time.Since(setup).Round(time.Millisecond))
		if sum := h.pass(t); sum != (reconcile.Summary{}) {
			t.Fatalf("pass before the first check is due: %+v, want nothing done", sum)
		}

		h.clock.Advance(reconcile.DefaultSchedule[0])
		other := h.instance("other") // a second instance on the same database
		var wg sync.WaitGroup
		sums := make([]reconcile.Summary, 2)
		for i, r := range []*reconcile.Reconciler{h.rec, other} {
			wg.Go(func() {
				var err error
				if sums[i], err = r.Pass(context.Background()); err != nil {
					t.Errorf("reconciler %d: Pass: %v", i, err)
				}
			})
		}
		passStart := time.Now()
		wg.Wait()
		t.Logf("two concurrent passes over %d orders took %s", orders, time.Since(passStart).Round(time.Millisecond))
		got := sums[0].Add(sums[1])
		want := reconcile.Summary{Checked: orders, Changed: orders, PaidLate: orders}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("two passes together (-want +got):\n%s", diff)
		}
		t.Logf("reconciler 0 checked %d orders, reconciler 1 checked %d", sums[0].Checked, sums[1].Checked)

		counts, err := s.CountByStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := counts[payresult.StatusPaid]; got != orders {
			t.Errorf("%d orders paid (%v), want all %d", got, counts, orders)
		}
		events := h.allEvents(t)
		for i := range orders {
			if diff := cmp.Diff([]payresult.EventType{payresult.EventPaid}, events[uid(i)]); diff != "" {
				t.Fatalf("order %s events (-want +got):\n%s", uid(i), diff)
			}
		}
		h.clock.Advance(30 * 24 * time.Hour)
		if sum := h.pass(t); sum != (reconcile.Summary{}) {
			t.Errorf("pass after every order is paid: %+v, want nothing done", sum)
		}
	})
}

// TestVbankDeadline: a virtual account issued and never paid expires once
// its deadline has passed, and only then; one paid a minute before its
// deadline is paid. Neither the issue nor the deposit reached payresult.
func TestVbankDeadline(t *testing.T) {
	tests := []struct {
		name       string
		deposit    bool
		wantStatus payresult.Status
		wantEvents []payresult.EventType
		wantSum    reconcile.Summary
	}{
		{
			name:       "never paid",
			wantStatus: payresult.StatusExpired,
			wantEvents: []payresult.EventType{payresult.EventVbankIssued, payresult.EventExpired},
			wantSum:    reconcile.Summary{Checked: 1, Changed: 1, Expired: 1},
		},
		{
			name:       "paid a minute before the deadline",
			deposit:    true,
			wantStatus: payresult.StatusPaid,
			wantEvents: []payresult.EventType{payresult.EventVbankIssued, payresult.EventPaid},
			wantSum:    reconcile.Summary{Checked: 1, Changed: 1, PaidLate: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, s payresult.Store) {
				h := newHarness(t, s)
				deadline := h.clock.Now().Add(3 * time.Hour)
				h.order(t, "vbank-1", 50000)
				account := h.issueVbank(t, "vbank-1", 50000, deadline)

				h.clock.Advance(reconcile.DefaultSchedule[0])
				h.pass(t)
				if o := h.mustOrder(t, "vbank-1"); o.Status != payresult.StatusVbankIssued || o.Vbank == nil || !o.Vbank.Deadline.Equal(deadline) {
					t.Fatalf("after the first check: %s with account %+v; want vbank_issued with deadline %v", o.Status, o.Vbank, deadline)
				}

				// Checks come and go while the account is open; none expires it.
				for h.clock.Now().Add(10 * time.Minute).Before(deadline.Add(-time.Minute)) {
					h.clock.Advance(10 * time.Minute)
					h.pass(t)
				}
				if o := h.mustOrder(t, "vbank-1"); o.Status != payresult.StatusVbankIssued {
					t.Fatalf("just before the deadline: %s, want vbank_issued", o.Status)
				}
				h.clock.Advance(deadline.Add(-time.Minute).Sub(h.clock.Now()))
				if tt.deposit {
					h.deposit(t, account)
				}
				if next := h.mustOrder(t, "vbank-1").NextCheckAt; next.After(deadline.Add(reconcile.DefaultExpiryGrace)) {
					t.Errorf("next check at %v, want no later than the deadline plus grace, %v", next, deadline.Add(reconcile.DefaultExpiryGrace))
				}

				h.clock.Advance(time.Minute + reconcile.DefaultExpiryGrace)
				if got := h.pass(t); got != tt.wantSum {
					t.Errorf("pass after the deadline: %+v, want %+v", got, tt.wantSum)
				}
				o := h.mustOrder(t, "vbank-1")
				if o.Status != tt.wantStatus || !o.NextCheckAt.IsZero() {
					t.Errorf("after the deadline: %s, next check %v; want %s, none", o.Status, o.NextCheckAt, tt.wantStatus)
				}
				if diff := cmp.Diff(tt.wantEvents, h.eventTypes(t, "vbank-1")); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestPortOneDownBacksOff: when PortOne fails, a pass stops at the first
// failure, changes nothing and leaves the orders due; once PortOne is back
// the next pass finds every payment.
func TestPortOneDownBacksOff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		h := newHarness(t, s)
		const orders = 20
		for i := range orders {
			h.order(t, uid(i), 1000)
			h.pay(t, uid(i), 1000)
		}
		h.clock.Advance(reconcile.DefaultSchedule[0])
		if err := h.emu.SetFaults(emulator.Faults{APIErrorRate: 1, APIErrorStatus: 503}); err != nil {
			t.Fatal(err)
		}
		sum, err := h.rec.Pass(context.Background())
		if !payresult.IsTransient(err) {
			t.Fatalf("Pass with PortOne down = %v, want a transient error", err)
		}
		if sum.Errors == 0 || sum.Errors > h.rec.Concurrency || sum.Changed != 0 {
			t.Errorf("pass with PortOne down: %+v; want it stopped after at most %d failures, nothing changed", sum, h.rec.Concurrency)
		}
		due, err := s.DueOrders(context.Background(), h.clock.Now(), 100, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != orders {
			t.Fatalf("%d orders due after the failed pass, want all %d", len(due), orders)
		}
		h.clock.Advance(time.Second) // past the lease DueOrders just took

		if err := h.emu.SetFaults(emulator.Faults{}); err != nil {
			t.Fatal(err)
		}
		if got, want := h.pass(t), (reconcile.Summary{Checked: orders, Changed: orders, PaidLate: orders}); got != want {
			t.Errorf("pass with PortOne back: %+v, want %+v", got, want)
		}
	})
}

// TestScheduleSpacesOut: an order nobody pays is checked on the schedule,
// each check further apart, and no more once the schedule is used up.
func TestScheduleSpacesOut(t *testing.T) {
	h := newHarness(t, testdb.OpenSQLite(t))
	h.rec.Schedule = []time.Duration{time.Minute, 10 * time.Minute, time.Hour}
	h.order(t, "abandoned", 1000)

	var gotGaps []time.Duration
	last := h.clock.Now()
	for range 100 {
		o := h.mustOrder(t, "abandoned")
		if o.NextCheckAt.IsZero() {
			break
		}
		h.clock.Advance(o.NextCheckAt.Sub(h.clock.Now()))
		if sum := h.pass(t); sum.Checked != 1 || sum.Errors != 0 {
			t.Fatalf("pass at %v: %+v, want one order checked", h.clock.Now(), sum)
		}
		gotGaps = append(gotGaps, h.clock.Now().Sub(last))
		last = h.clock.Now()
	}
	if diff := cmp.Diff(h.rec.Schedule, gotGaps); diff != "" {
		t.Errorf("gaps between checks (-want +got):\n%s", diff)
	}
	if o := h.mustOrder(t, "abandoned"); o.Status != payresult.StatusPending || o.Checks != 3 {
		t.Errorf("after the schedule: %s with %d checks, want pending with 3", o.Status, o.Checks)
	}
}

// TestBadConfig: a reconciler without its parts refuses to run.
func TestBadConfig(t *testing.T) {
	h := newHarness(t, testdb.OpenSQLite(t))
	tests := []struct {
		name string
		edit func(r *reconcile.Reconciler)
	}{
		{"no store", func(r *reconcile.Reconciler) { r.Store = nil }},
		{"no processor", func(r *reconcile.Reconciler) { r.Processor = nil }},
		{"no gateway", func(r *reconcile.Reconciler) {
			r.PortOne, r.Processor = nil, &payresult.Processor{Store: r.Processor.Store}
		}},
		{"zero step", func(r *reconcile.Reconciler) { r.Schedule = []time.Duration{time.Minute, 0} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.instance("")
			tt.edit(r)
			if _, err := r.Pass(context.Background()); payresult.KindOf(err) != payresult.KindInvalid {
				t.Errorf("Pass = %v, want a %s error", err, payresult.KindInvalid)
			}
			if err := r.Run(context.Background()); payresult.KindOf(err) != payresult.KindInvalid {
				t.Errorf("Run = %v, want a %s error", err, payresult.KindInvalid)
			}
		})
	}
}

// TestGatewayFromProcessor: a reconciler given only a store and a
// processor looks payments up through the processor's gateway, as an app
// that embeds payresult wires it.
func TestGatewayFromProcessor(t *testing.T) {
	h := newHarness(t, testdb.OpenSQLite(t))
	h.order(t, "lost-webhook", 15000)
	h.pay(t, "lost-webhook", 15000)
	h.clock.Advance(2 * time.Minute)
	r := reconcile.Reconciler{Store: h.rec.Store, Processor: h.rec.Processor, Now: h.clock.Now}
	sum, err := r.Pass(context.Background())
	if err != nil || sum.PaidLate != 1 {
		t.Fatalf("Pass = %+v, %v; want the paid order found", sum, err)
	}
	if o := h.mustOrder(t, "lost-webhook"); o.Status != payresult.StatusPaid {
		t.Errorf("order is %s, want paid", o.Status)
	}
}

// TestRunUntilStopped: Run passes over due orders and returns nil once its
// context is cancelled.
func TestRunUntilStopped(t *testing.T) {
	h := newHarness(t, testdb.OpenSQLite(t))
	h.order(t, "late", 1000)
	h.pay(t, "late", 1000)
	h.clock.Advance(reconcile.DefaultSchedule[0])
	h.rec.Interval = 10 * time.Millisecond
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.rec.Run(ctx) }()

	deadline := time.Now().Add(10 * time.Second)
	for h.mustOrder(t, "late").Status != payresult.StatusPaid {
		if time.Now().After(deadline) {
			t.Fatal("Run did not settle the order within 10s")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
}

// TestPortOneHangsBoundedByCheckTimeout: when PortOne stops answering, a
// pass gives up on the order after CheckTimeout and reports a transient
// failure, instead of waiting out the client's own timeouts; the order
// stays due and is paid once PortOne answers again.
func TestPortOneHangsBoundedByCheckTimeout(t *testing.T) {
	h := newHarness(t, testdb.OpenSQLite(t))
	h.rec.CheckTimeout = 200 * time.Millisecond
	h.order(t, "hung", 1000)
	h.pay(t, "hung", 1000)
	h.clock.Advance(reconcile.DefaultSchedule[0])
	if err := h.emu.SetFaults(emulator.Faults{APIHang: true}); err != nil {
		t.Fatal(err)
	}
	// The outer deadline is far beyond CheckTimeout: if the pass is still
	// running when it fires, the per-order bound did not work.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sum, err := h.rec.Pass(ctx)
	if ctx.Err() != nil {
		t.Fatalf("Pass with PortOne hanging ran into the test's deadline: %v", err)
	}
	if !payresult.IsTransient(err) || sum.Changed != 0 {
		t.Fatalf("Pass with PortOne hanging = %+v, %v; want a transient error and nothing changed", sum, err)
	}
	if err := h.emu.SetFaults(emulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Second)
	if got, want := h.pass(t), (reconcile.Summary{Checked: 1, Changed: 1, PaidLate: 1}); got != want {
		t.Errorf("pass with PortOne back: %+v, want %+v", got, want)
	}
}
