package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

func testApply(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	c := paid(o, "imp_1")
	want := *c.Order
	apply(t, s, c)

	want.Version = 2
	if c.Order.Version != 2 {
		t.Errorf("Apply left c.Order.Version = %d, want 2", c.Order.Version)
	}
	diff(t, "Order after Apply", mustOrder(t, s, "m-1"), &want)
	byImp, err := s.OrderByImpUID(ctx, "imp_1")
	if err != nil {
		t.Fatalf("OrderByImpUID: %v", err)
	}
	diff(t, "OrderByImpUID", byImp, &want)

	attempts, err := s.Attempts(ctx, "m-1")
	if err != nil {
		t.Fatalf("Attempts: %v", err)
	}
	diff(t, "Attempts", attempts, []payresult.Attempt{*c.Attempt})

	evs, err := s.OrderEvents(ctx, "m-1")
	if err != nil {
		t.Fatalf("OrderEvents: %v", err)
	}
	wantEv := event(c.Order, 2, payresult.EventPaid)
	wantEv.Seq = c.Events[0].Seq
	wantEv.State = payresult.DeliveryPending
	wantEv.NextAttempt = wantEv.CreatedAt // due as soon as it exists
	diff(t, "OrderEvents", evs, []payresult.Event{wantEv})
	if c.Events[0].Seq <= 0 {
		t.Errorf("Apply set Seq %d, want > 0", c.Events[0].Seq)
	}

}

// testApplyKeepsTerms checks that Apply writes state, not terms: the
// amount the app registered stays whatever the change carries.
func testApplyKeepsTerms(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	apply(t, s, paid(o, "imp_1"))
	refund := *mustOrder(t, s, "m-1")
	refund.Status = payresult.StatusRefunded
	refund.Amount = portone.Won(1)
	refund.RefundedAmount = refund.PaidAmount
	up := attempt(o, "imp_1", portone.StatusCancelled)
	up.CancelAmount = o.Amount
	apply(t, s, &payresult.Change{FromVersion: 2, Order: &refund, Attempt: up})
	got := mustOrder(t, s, "m-1")
	if got.Amount != o.Amount || got.Status != payresult.StatusRefunded || got.Version != 3 {
		t.Errorf("after refund: amount %s, status %s, version %d; want %s, refunded, 3",
			got.Amount, got.Status, got.Version, o.Amount)
	}
	attempts, _ := s.Attempts(ctx, "m-1")
	if len(attempts) != 1 || attempts[0].Status != portone.StatusCancelled || attempts[0].CancelAmount != o.Amount {
		t.Errorf("attempt after update = %+v, want one cancelled attempt", attempts)
	}
}

func testApplyInvalid(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	mod := func(f func(c *payresult.Change)) *payresult.Change {
		c := paid(o, "imp_1")
		f(c)
		return c
	}
	tests := []struct {
		name string
		c    *payresult.Change
	}{
		{"nil", nil},
		{"empty", &payresult.Change{}},
		{"unknown status", mod(func(c *payresult.Change) { c.Order.Status = "shipped" })},
		{"no merchant_uid", mod(func(c *payresult.Change) { c.Order.MerchantUID = "" })},
		{"negative version", mod(func(c *payresult.Change) { c.FromVersion = -1 })},
		{"attempt of another order", mod(func(c *payresult.Change) { c.Attempt.MerchantUID = "other" })},
		{"attempt without imp_uid", mod(func(c *payresult.Change) { c.Attempt.ImpUID = "" })},
		{"event of another order", mod(func(c *payresult.Change) { c.Events[0].MerchantUID = "other" })},
		{"event without id", mod(func(c *payresult.Change) { c.Events[0].ID = "" })},
		{"event data not JSON", mod(func(c *payresult.Change) { c.Events[0].Data = []byte("{") })},
		{"unknown delivery state", mod(func(c *payresult.Change) { c.Events[0].State = "lost" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKind(t, "Apply", s.Apply(ctx, tt.c), payresult.KindInvalid)
		})
	}
	wantUntouched(t, s, o)
}

// wantUntouched fails the test unless o is stored as created, with no
// attempts and no events anywhere.
func wantUntouched(t *testing.T, s payresult.Store, o *payresult.Order) {
	t.Helper()
	ctx := context.Background()
	diff(t, "order", mustOrder(t, s, o.MerchantUID), o)
	if got, err := s.Attempts(ctx, o.MerchantUID); err != nil || len(got) != 0 {
		t.Errorf("Attempts(%q) = %v, %v; want none", o.MerchantUID, got, err)
	}
	if got, err := s.OrderEvents(ctx, o.MerchantUID); err != nil || len(got) != 0 {
		t.Errorf("OrderEvents(%q) = %v, %v; want none", o.MerchantUID, eventIDs(got), err)
	}
}

func testApplyStaleVersion(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	apply(t, s, paid(o, "imp_1"))
	want := mustOrder(t, s, "m-1")

	// Computed from version 1, which has moved on: refused whole.
	stale := paid(o, "imp_2")
	stale.Order.Status = payresult.StatusFailed
	stale.Events = []payresult.Event{event(stale.Order, 2, payresult.EventFailed)}
	wantKind(t, "stale Apply", s.Apply(ctx, stale), payresult.KindConflict)
	if stale.Order.Version != o.Version {
		t.Errorf("refused Apply changed c.Order.Version to %d", stale.Order.Version)
	}

	diff(t, "order after stale Apply", mustOrder(t, s, "m-1"), want)
	attempts, _ := s.Attempts(ctx, "m-1")
	if len(attempts) != 1 || attempts[0].ImpUID != "imp_1" {
		t.Errorf("attempts = %+v, want only imp_1", attempts)
	}
	evs, _ := s.OrderEvents(ctx, "m-1")
	diff(t, "events", eventIDs(evs), []string{payresult.EventID("m-1", 2, payresult.EventPaid)})
}

func testApplyImpUIDOfAnotherOrder(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	a := create(t, s, newOrder("a"))
	b := create(t, s, newOrder("b")) // same price: the classic replay
	apply(t, s, paid(a, "imp_1"))

	wantKind(t, "Apply of a's imp_uid to b", s.Apply(ctx, paid(b, "imp_1")), payresult.KindConflict)
	wantKind(t, "attempt-only Apply of a's imp_uid to b",
		s.Apply(ctx, &payresult.Change{Attempt: attempt(b, "imp_1", portone.StatusPaid)}), payresult.KindConflict)

	// The order change and the event of the refused Apply are rolled back.
	wantUntouched(t, s, b)
	got, err := s.OrderByImpUID(ctx, "imp_1")
	if err != nil || got.MerchantUID != "a" {
		t.Errorf("OrderByImpUID(imp_1) = %v, %v; want order a", got, err)
	}
	if evs, _ := s.Events(ctx, 0, 100); len(evs) != 1 {
		t.Errorf("feed holds %d events, want 1", len(evs))
	}
}

func testApplyDuplicateEvent(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	first := paid(o, "imp_1")
	apply(t, s, first)

	// Even past the compare-and-set, an event id is appended only once.
	again := paid(mustOrder(t, s, "m-1"), "imp_1")
	again.Events = []payresult.Event{first.Events[0]}
	wantKind(t, "Apply with a stored event id", s.Apply(ctx, again), payresult.KindConflict)
	if got := mustOrder(t, s, "m-1"); got.Version != 2 {
		t.Errorf("version %d after refused Apply, want 2 (rolled back)", got.Version)
	}
}

func testApplyAttemptOnly(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	// Recorded out of order: Attempts lists them oldest first.
	later := attempt(o, "imp_b", portone.StatusPaid)
	later.CreatedAt = at(time.Hour)
	first := attempt(o, "imp_a", portone.StatusFailed)
	first.FailReason = "card declined"
	for _, a := range []*payresult.Attempt{later, first} {
		apply(t, s, &payresult.Change{Attempt: a})
	}
	diff(t, "order", mustOrder(t, s, "m-1"), o)
	got, err := s.Attempts(ctx, "m-1")
	if err != nil {
		t.Fatalf("Attempts: %v", err)
	}
	diff(t, "Attempts", got, []payresult.Attempt{*first, *later})
}

// testApplyConcurrent is the exactly-once guarantee: many callers read
// the same version and race to apply the same transition.
func testApplyConcurrent(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	create(t, s, newOrder("m-1"))
	const n = 50
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			o, err := s.Order(ctx, "m-1")
			if err != nil {
				errs[i] = err
				return
			}
			if o.Status != payresult.StatusPending {
				errs[i] = payresult.Errorf(payresult.KindConflict, "already %s", o.Status)
				return
			}
			errs[i] = s.Apply(ctx, paid(o, "imp_1"))
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !payresult.IsConflict(err):
			t.Errorf("caller %d: %v, want success or a conflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d callers applied the transition, want exactly 1", wins)
	}
	evs, err := s.Events(ctx, 0, 100)
	if err != nil || len(evs) != 1 {
		t.Errorf("feed = %v, %v; want exactly one event", eventIDs(evs), err)
	}
	if got := mustOrder(t, s, "m-1"); got.Version != 2 || got.Status != payresult.StatusPaid {
		t.Errorf("order at version %d, %s; want 2, paid", got.Version, got.Status)
	}
}

// testApplyConcurrentOutcomes races changes from one version that
// announce different outcomes (paid, failed, a virtual account), as the
// redirect, the webhook and the reconciler may see a payment at different
// moments. Their events have different ids, so only the compare-and-set
// can stop a second one: exactly one must win, and the order, its events
// and the feed must all tell that one's story.
func testApplyConcurrentOutcomes(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	outcomes := []struct {
		status payresult.Status
		event  payresult.EventType
	}{
		{payresult.StatusPaid, payresult.EventPaid},
		{payresult.StatusFailed, payresult.EventFailed},
		{payresult.StatusVbankIssued, payresult.EventVbankIssued},
	}
	const each = 8
	var changes []*payresult.Change
	for i := range each * len(outcomes) {
		out := outcomes[i%len(outcomes)]
		c := paid(o, "imp_1")
		c.Order.Status = out.status
		c.Events = []payresult.Event{event(c.Order, 2, out.event)}
		changes = append(changes, c)
	}
	errs := applyAtOnce(s, changes)
	var won *payresult.Change
	for i, err := range errs {
		switch {
		case err == nil && won != nil:
			t.Errorf("changes to %s and %s both won from version 1", won.Order.Status, changes[i].Order.Status)
		case err == nil:
			won = changes[i]
		case !payresult.IsConflict(err):
			t.Errorf("change %d: %v, want success or a conflict", i, err)
		}
	}
	if won == nil {
		t.Fatal("no change won")
	}
	got := mustOrder(t, s, "m-1")
	if got.Version != 2 || got.Status != won.Order.Status {
		t.Errorf("order at version %d, %s; want 2, %s (the winner's)", got.Version, got.Status, won.Order.Status)
	}
	evs, err := s.Events(ctx, 0, 100)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	diff(t, "feed", eventIDs(evs), eventIDs(won.Events))
}
