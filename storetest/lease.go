package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

func testDueOrders(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	for _, o := range []struct {
		uid  string
		next time.Time
	}{
		{"due-1", at(time.Minute)}, {"due-2", at(2 * time.Minute)},
		{"later", at(time.Hour)}, {"never", time.Time{}},
	} {
		n := newOrder(o.uid)
		n.NextCheckAt = o.next
		create(t, s, n)
	}
	const lease = 5 * time.Minute
	steps := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"due orders are leased", at(10 * time.Minute), 10, []string{"due-1", "due-2"}},
		{"leased orders are skipped", at(10 * time.Minute), 10, []string{}},
		{"an expired lease returns them", at(15 * time.Minute), 10, []string{"due-1", "due-2"}},
		{"limit takes the most overdue", at(2 * time.Hour), 1, []string{"due-1"}},
		{"then the rest", at(2 * time.Hour), 10, []string{"due-2", "later"}},
	}
	for _, st := range steps {
		got, err := s.DueOrders(ctx, st.now, st.limit, lease)
		if err != nil {
			t.Fatalf("%s: DueOrders: %v", st.name, err)
		}
		diff(t, st.name, sortedUIDs(got), st.want)
		for _, o := range got {
			if !o.NextCheckAt.Equal(st.now.Add(lease)) || o.Version != 1 {
				t.Errorf("%s: %s leased until %v at version %d, want %v at version 1",
					st.name, o.MerchantUID, o.NextCheckAt, o.Version, st.now.Add(lease))
			}
		}
	}
	if o := mustOrder(t, s, "never"); !o.NextCheckAt.IsZero() {
		t.Errorf("an order with no check scheduled got NextCheckAt %v", o.NextCheckAt)
	}
	_, err := s.DueOrders(ctx, base, 0, lease)
	wantKind(t, "DueOrders(limit 0)", err, payresult.KindInvalid)
}

// testDueOrdersConcurrent has several reconcilers drain the due orders at
// once: each order goes to exactly one of them.
func testDueOrdersConcurrent(t *testing.T, s payresult.Store) {
	const orders = 20
	for i := range orders {
		create(t, s, newOrder(uid(i)))
	}
	claims := drain(t, func() ([]string, error) {
		os, err := s.DueOrders(context.Background(), at(time.Hour), 3, time.Hour)
		return uids(os), err
	})
	wantEachOnce(t, claims, orders)
}

func testClaimEvents(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		c := paid(create(t, s, newOrder(uid(i))), "imp_"+uid(i))
		apply(t, s, c)
		ids = append(ids, c.Events[0].ID)
	}
	// An event with no events URL configured is for the feed only.
	c := paid(create(t, s, newOrder("feed-only")), "imp_feed")
	c.Events[0].State = payresult.DeliveryNone
	apply(t, s, c)

	const lease = time.Minute
	steps := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"not yet created", at(time.Minute), 10, []string{}},
		{"oldest first", at(3 * time.Minute), 2, ids[:2]},
		{"then the rest", at(3 * time.Minute), 10, ids[2:]},
		{"all leased", at(3*time.Minute + lease/2), 10, []string{}},
		{"leases expire", at(3*time.Minute + lease), 10, ids},
	}
	for _, st := range steps {
		got, err := s.ClaimEvents(ctx, st.now, st.limit, lease)
		if err != nil {
			t.Fatalf("%s: ClaimEvents: %v", st.name, err)
		}
		diff(t, st.name, eventIDs(got), st.want)
		for _, e := range got {
			if !e.NextAttempt.Equal(st.now.Add(lease)) || e.State != payresult.DeliveryPending {
				t.Errorf("%s: %s leased until %v in state %s, want %v, pending",
					st.name, e.ID, e.NextAttempt, e.State, st.now.Add(lease))
			}
		}
	}
	_, err := s.ClaimEvents(ctx, base, 10, 0)
	wantKind(t, "ClaimEvents(no lease)", err, payresult.KindInvalid)
}

// testClaimEventsConcurrent has several deliverers drain the outbox at
// once: each event goes to exactly one of them.
func testClaimEventsConcurrent(t *testing.T, s payresult.Store) {
	const orders = 20
	for i := range orders {
		apply(t, s, paid(create(t, s, newOrder(uid(i))), "imp_"+uid(i)))
	}
	claims := drain(t, func() ([]string, error) {
		evs, err := s.ClaimEvents(context.Background(), at(time.Hour), 3, time.Hour)
		return eventIDs(evs), err
	})
	wantEachOnce(t, claims, orders)
}

// drain runs claim from 4 goroutines until it returns nothing and returns
// everything claimed.
func drain(t *testing.T, claim func() ([]string, error)) []string {
	t.Helper()
	var (
		mu  sync.Mutex
		all []string
		wg  sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for {
				got, err := claim()
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				all = append(all, got...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return all
}

// wantEachOnce fails the test unless claims holds n distinct names.
func wantEachOnce(t *testing.T, claims []string, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range claims {
		seen[c]++
		if seen[c] == 2 {
			t.Errorf("%s was claimed twice", c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct rows claimed, want %d", len(seen), n)
	}
}

// sortedUIDs returns the merchant_uids of orders in ascending order: a
// claim promises which orders, not in what order.
func sortedUIDs(os []*payresult.Order) []string {
	out := uids(os)
	slices.Sort(out)
	return out
}
