package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/payresult/payresult"
)

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
	errs := make([]error, len(changes))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range changes {
		wg.Go(func() {
			<-start
			errs[i] = s.Apply(ctx, c)
		})
	}
	close(start)
	wg.Wait()

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
