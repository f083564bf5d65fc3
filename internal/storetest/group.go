package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"payresult"
)

// testApplyNotices checks that a change's timeline lines are stored with
// it, and only with it: a refused change leaves no line behind.
func testApplyNotices(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	line := func(kind string, d time.Duration) payresult.NoticeRecord {
		return payresult.NoticeRecord{MerchantUID: "m-1", ImpUID: "imp_1", Source: payresult.SourceWebhook, Kind: kind, Detail: kind + " line", At: at(d)}
	}
	c := paid(o, "imp_1")
	c.Notices = []payresult.NoticeRecord{line("notice", time.Second), line("transition", 2*time.Second)}
	apply(t, s, c)

	stale := paid(o, "imp_1") // from version 1 again: a lost race
	stale.Notices = []payresult.NoticeRecord{line("stale", 3*time.Second)}
	wantKind(t, "Apply(stale change with lines)", s.Apply(ctx, stale), payresult.KindConflict)

	apply(t, s, &payresult.Change{Notices: []payresult.NoticeRecord{line("ignored", 4*time.Second)}})
	wantKind(t, "Apply(line without kind)", s.Apply(ctx, &payresult.Change{
		Notices: []payresult.NoticeRecord{{MerchantUID: "m-1", Source: payresult.SourceWebhook}},
	}), payresult.KindInvalid)

	got, err := s.Timeline(ctx, "m-1")
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	var kinds []string
	for _, n := range got {
		kinds = append(kinds, n.Kind)
	}
	diff(t, "timeline kinds", kinds, []string{"notice", "transition", "ignored"})
}

// testApplyConcurrentOrders races two changes from the same version on
// each of many orders at once, as concurrent Confirms do. A store may
// group them into shared transactions, but each order must take exactly
// one, and each loser must get KindConflict.
func testApplyConcurrentOrders(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	const orders = 20
	var changes []*payresult.Change
	for i := range orders {
		o := create(t, s, newOrder(uid(i)))
		for j := range 2 {
			changes = append(changes, paid(o, fmt.Sprintf("imp_%d_%d", i, j)))
		}
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
	for i := range orders {
		a, b := errs[2*i], errs[2*i+1]
		oneWon := (a == nil) != (b == nil)
		loser := a
		if a == nil {
			loser = b
		}
		if !oneWon || !payresult.IsConflict(loser) {
			t.Errorf("order %s: Apply errors %v and %v; want one nil and one KindConflict", uid(i), a, b)
		}
		if o := mustOrder(t, s, uid(i)); o.Version != 2 || o.Status != payresult.StatusPaid {
			t.Errorf("order %s: version %d, status %s; want 2, paid", uid(i), o.Version, o.Status)
		}
	}
}
