package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

func testEventsInSeqOrder(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	c := paid(o, "imp_1")
	// One change may announce several things; they keep their order.
	c.Order.Status = payresult.StatusRefunded
	c.Events = []payresult.Event{
		event(c.Order, 2, payresult.EventPaid),
		event(c.Order, 2, payresult.EventRefunded),
		event(c.Order, 2, payresult.EventForged),
	}
	apply(t, s, c)
	for i := 1; i < len(c.Events); i++ {
		if c.Events[i].Seq != c.Events[i-1].Seq+1 {
			t.Errorf("seqs %d, %d of one Apply are not consecutive", c.Events[i-1].Seq, c.Events[i].Seq)
		}
	}
	got, err := s.Events(ctx, 0, 10)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	diff(t, "feed", eventIDs(got), eventIDs(c.Events))
	for i := range got {
		if got[i].Seq != c.Events[i].Seq {
			t.Errorf("event %d: stored seq %d, Apply reported %d", i, got[i].Seq, c.Events[i].Seq)
		}
	}
}

func testFeedPaging(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	var want []string
	for i := range 7 {
		c := paid(create(t, s, newOrder(uid(i))), "imp_"+uid(i))
		apply(t, s, c)
		want = append(want, c.Events[0].ID)
	}
	var got []string
	after := int64(0)
	for page := 0; ; page++ {
		evs, err := s.Events(ctx, after, 3)
		if err != nil {
			t.Fatalf("Events(%d, 3): %v", after, err)
		}
		if len(evs) > 3 || page > 3 {
			t.Fatalf("page %d holds %d events: the limit or the cursor is not honoured", page, len(evs))
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.Seq <= after {
				t.Errorf("event seq %d at or before cursor %d", e.Seq, after)
			}
			after = e.Seq
			got = append(got, e.ID)
		}
	}
	diff(t, "paged feed", got, want)
	if _, err := s.Events(ctx, 0, -1); payresult.KindOf(err) != payresult.KindInvalid {
		t.Errorf("Events with a negative limit: %v, want KindInvalid", err)
	}
}

// testFeedCursorUnderConcurrentWrites reads the feed with a cursor while
// writers append: a reader must never move its cursor past an event that
// commits later, so what it collects is the whole feed.
func testFeedCursorUnderConcurrentWrites(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	const writers, each = 4, 8
	for i := range writers * each {
		create(t, s, newOrder(uid(i)))
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w * each; i < (w+1)*each; i++ {
				if err := s.Apply(ctx, paid(mustOrder(t, s, uid(i)), "imp_"+uid(i))); err != nil {
					t.Errorf("Apply: %v", err)
				}
			}
		})
	}
	go func() { wg.Wait(); done.Store(true) }()

	var got []string
	after := int64(0)
	for {
		finished := done.Load() // read before the page, so the last page is complete
		evs, err := s.Events(ctx, after, 5)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		for _, e := range evs {
			got = append(got, e.ID)
			after = e.Seq
		}
		if finished && len(evs) == 0 {
			break
		}
	}
	all, err := s.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(all) != writers*each {
		t.Errorf("feed holds %d events, want %d", len(all), writers*each)
	}
	diff(t, "events seen through the cursor", got, eventIDs(all))
}

func testUpdateDelivery(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		c := paid(create(t, s, newOrder(uid(i))), "imp_"+uid(i))
		apply(t, s, c)
		ids = append(ids, c.Events[0].ID)
	}
	updates := []payresult.Delivery{
		{EventID: ids[0], State: payresult.DeliveryDelivered, Attempts: 1, DeliveredAt: at(3 * time.Minute)},
		{EventID: ids[1], State: payresult.DeliveryPending, Attempts: 1, NextAttempt: at(time.Hour), LastError: "503 Service Unavailable"},
		{EventID: ids[2], State: payresult.DeliveryDead, Attempts: 20, LastError: "connection refused"},
	}
	for _, d := range updates {
		if err := s.UpdateDelivery(ctx, &d); err != nil {
			t.Fatalf("UpdateDelivery(%s): %v", d.State, err)
		}
	}
	for i, d := range updates {
		evs, err := s.OrderEvents(ctx, uid(i))
		if err != nil || len(evs) != 1 {
			t.Fatalf("OrderEvents(%s) = %d events, %v", uid(i), len(evs), err)
		}
		e := evs[0]
		got := payresult.Delivery{EventID: e.ID, State: e.State, Attempts: e.Attempts,
			NextAttempt: e.NextAttempt, LastError: e.LastError, DeliveredAt: e.DeliveredAt}
		diff(t, "stored delivery", got, d)
	}
	// Only the pending event comes back, and only once it is due.
	if got, _ := s.ClaimEvents(ctx, at(30*time.Minute), 10, time.Minute); len(got) != 0 {
		t.Errorf("claimed %v before any event is due", eventIDs(got))
	}
	got, err := s.ClaimEvents(ctx, at(time.Hour), 10, time.Minute)
	if err != nil {
		t.Fatalf("ClaimEvents: %v", err)
	}
	diff(t, "claimed at the retry time", eventIDs(got), ids[1:2])

	invalid := []payresult.Delivery{
		{EventID: "", State: payresult.DeliveryDelivered},
		{EventID: ids[0], State: "lost"},
		{EventID: ids[0], State: payresult.DeliveryPending, Attempts: -1},
	}
	for _, d := range invalid {
		wantKind(t, "UpdateDelivery(invalid)", s.UpdateDelivery(ctx, &d), payresult.KindInvalid)
	}
}
