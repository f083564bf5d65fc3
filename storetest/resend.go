package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// deliver records a delivery outcome and fails the test on error.
func deliver(t *testing.T, s payresult.Store, d payresult.Delivery) {
	t.Helper()
	if err := s.UpdateDelivery(context.Background(), &d); err != nil {
		t.Fatalf("UpdateDelivery(%s %s): %v", d.EventID, d.State, err)
	}
}

// paidEvent registers an order, pays it and returns its order.paid event.
func paidEvent(t *testing.T, s payresult.Store, uid string) payresult.Event {
	t.Helper()
	c := paid(create(t, s, newOrder(uid)), "imp_"+uid)
	apply(t, s, c)
	return c.Events[0]
}

func testResendEvent(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	ev := paidEvent(t, s, "m-1")
	wantKind(t, "ResendEvent of an event waiting for delivery", s.ResendEvent(ctx, ev.ID, at(time.Hour)), payresult.KindConflict)
	wantKind(t, "ResendEvent of no event", s.ResendEvent(ctx, "evt_none", at(time.Hour)), payresult.KindNotFound)
	wantKind(t, "ResendEvent without a time", s.ResendEvent(ctx, ev.ID, time.Time{}), payresult.KindInvalid)

	for _, done := range []payresult.Delivery{
		{EventID: ev.ID, State: payresult.DeliveryDelivered, Attempts: 1, DeliveredAt: at(3 * time.Minute)},
		{EventID: ev.ID, State: payresult.DeliveryDead, Attempts: 20, LastError: "connection refused"},
	} {
		deliver(t, s, done)
		resendAt := at(time.Hour)
		if err := s.ResendEvent(ctx, ev.ID, resendAt); err != nil {
			t.Fatalf("ResendEvent of a %s event: %v", done.State, err)
		}
		evs, err := s.OrderEvents(ctx, "m-1")
		if err != nil || len(evs) != 1 {
			t.Fatalf("OrderEvents = %d events, %v", len(evs), err)
		}
		got := evs[0]
		if got.State != payresult.DeliveryPending || !got.NextAttempt.Equal(resendAt) || got.Attempts != done.Attempts {
			t.Errorf("a resent %s event is %s, next attempt %v, %d attempts; want pending at %v with its %d attempts kept",
				done.State, got.State, got.NextAttempt, got.Attempts, resendAt, done.Attempts)
		}
		wantKind(t, "ResendEvent of a resent event", s.ResendEvent(ctx, ev.ID, resendAt), payresult.KindConflict)
		claimed, err := s.ClaimEvents(ctx, resendAt, 10, time.Minute)
		if err != nil {
			t.Fatalf("ClaimEvents: %v", err)
		}
		diff(t, "claimed after the resend", eventIDs(claimed), []string{ev.ID})
	}
}

// testResendEventConcurrent: two operators resend one dead event at once;
// it is put back once.
func testResendEventConcurrent(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	ev := paidEvent(t, s, "m-1")
	deliver(t, s, payresult.Delivery{EventID: ev.ID, State: payresult.DeliveryDead, Attempts: 20})
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.ResendEvent(ctx, ev.ID, at(time.Hour)) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		default:
			wantKind(t, "a losing ResendEvent", err, payresult.KindConflict)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent resends succeeded, want exactly 1", won, n)
	}
}

func testOutboxBacklog(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	b, err := s.OutboxBacklog(ctx)
	if err != nil {
		t.Fatalf("OutboxBacklog: %v", err)
	}
	diff(t, "backlog of an empty outbox", b, payresult.OutboxBacklog{})
	var evs []payresult.Event
	for i := range 5 {
		evs = append(evs, paidEvent(t, s, uid(i)))
	}
	deliver(t, s, payresult.Delivery{EventID: evs[0].ID, State: payresult.DeliveryDelivered, Attempts: 1, DeliveredAt: at(3 * time.Minute)})
	deliver(t, s, payresult.Delivery{EventID: evs[1].ID, State: payresult.DeliveryDead, Attempts: 20})
	deliver(t, s, payresult.Delivery{EventID: evs[2].ID, State: payresult.DeliveryPending, Attempts: 3, NextAttempt: at(time.Hour)})
	if b, err = s.OutboxBacklog(ctx); err != nil {
		t.Fatalf("OutboxBacklog: %v", err)
	}
	// evs[2] is the oldest pending one by the feed's order; all share the
	// same creation time.
	diff(t, "backlog", b, payresult.OutboxBacklog{Pending: 3, Dead: 1, OldestPending: evs[2].CreatedAt})
}
