package admin

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
)

// TestEventsSince checks the binary search over the feed against a plain
// filter, for windows that start before, inside and after the feed.
func TestEventsSince(t *testing.T) {
	store := testdb.OpenSQLite(t)
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 37 // not a power of two, so the search meets uneven halves
	for i := range n {
		at := base.Add(time.Duration(i) * time.Minute)
		mu := fmt.Sprintf("order-%02d", i)
		o := &payresult.Order{MerchantUID: mu, Name: "mug", Amount: portone.Won(1000), Currency: "KRW",
			Status: payresult.StatusPending, CreatedAt: at, UpdatedAt: at}
		if err := store.Apply(ctx, &payresult.Change{Order: o}); err != nil {
			t.Fatal(err)
		}
		next := *o
		next.Status = payresult.StatusFailed
		ev := payresult.Event{ID: payresult.EventID(mu, 2, payresult.EventFailed), Type: payresult.EventFailed,
			MerchantUID: mu, CreatedAt: at, Data: []byte(`{}`), State: payresult.DeliveryPending, NextAttempt: at}
		if err := store.Apply(ctx, &payresult.Change{FromVersion: 1, Order: &next, Events: []payresult.Event{ev}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		since time.Time
		want  int
	}{
		{"before the feed", base.Add(-time.Hour), n},
		{"at the first event", base, n},
		{"inside", base.Add(20 * time.Minute), n - 20},
		{"between events", base.Add(20*time.Minute + time.Second), n - 21},
		{"at the last event", base.Add((n - 1) * time.Minute), 1},
		{"after the feed", base.Add(time.Hour), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, truncated, err := eventsSince(ctx, store, tt.since)
			if err != nil || truncated {
				t.Fatalf("eventsSince: %v, truncated %v", err, truncated)
			}
			var ids []string
			for _, ev := range got {
				ids = append(ids, ev.MerchantUID)
			}
			var want []string
			for i := n - tt.want; i < n; i++ {
				want = append(want, fmt.Sprintf("order-%02d", i))
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("eventsSince(%s) (-want +got):\n%s", tt.since.Format(time.TimeOnly), diff)
			}
		})
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 1}, {1, 1}, {2, 2}, {3, 5}, {6, 10}, {11, 20}, {21, 50}, {99, 100}} {
		if got := niceMax(c.in); got != c.want {
			t.Errorf("niceMax(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}
