package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// sweepStore returns s as a SweepStore, or skips the test: remembering
// sweep windows is optional (the reconciler keeps them in memory
// otherwise).
func sweepStore(t *testing.T, s payresult.Store) payresult.SweepStore {
	t.Helper()
	ss, ok := s.(payresult.SweepStore)
	if !ok {
		t.Skip("the store does not remember sweep windows")
	}
	return ss
}

// testSweepWindowClaim walks one window through its life: claimed,
// refused to another while leased, renewed, taken over after the lease,
// finished only by its holder, swept again only when it was swept long
// enough ago, and never again once final.
func testSweepWindowClaim(t *testing.T, s payresult.Store) {
	ss := sweepStore(t, s)
	ctx := context.Background()
	w := payresult.SweepWindow{Kind: "v1/paid", Start: at(0), End: at(10 * time.Minute)}
	other := payresult.SweepWindow{Kind: "v1/failed", Start: at(0), End: at(10 * time.Minute)}
	claim := func(what string, w payresult.SweepWindow, owner string, now, sweptBefore time.Time, want bool) {
		t.Helper()
		got, err := ss.ClaimSweepWindow(ctx, w, owner, now, now.Add(time.Minute), sweptBefore)
		if err != nil || got != want {
			t.Fatalf("%s: ClaimSweepWindow(%s) = %t, %v; want %t", what, owner, got, err, want)
		}
	}
	finish := func(what, owner string, sweptAt time.Time, final, want bool) {
		t.Helper()
		got, err := ss.FinishSweepWindow(ctx, w, owner, sweptAt, final)
		if err != nil || got != want {
			t.Fatalf("%s: FinishSweepWindow(%s) = %t, %v; want %t", what, owner, got, err, want)
		}
	}
	t0 := at(11 * time.Minute)
	claim("a new window", w, "a", t0, time.Time{}, true)
	claim("another kind is another window", other, "b", t0, time.Time{}, true)
	claim("leased to a", w, "b", t0.Add(30*time.Second), time.Time{}, false)
	claim("a renews", w, "a", t0.Add(50*time.Second), time.Time{}, true)
	claim("renewed lease still holds", w, "b", t0.Add(70*time.Second), time.Time{}, false)
	t1 := t0.Add(2 * time.Minute)
	claim("b takes over after the lease", w, "b", t1, time.Time{}, true)
	finish("a no longer holds it", "a", t1, false, false)
	finish("b finishes, not final", "b", t1.Add(time.Second), false, true)

	got, err := ss.SweepWindows(ctx, "v1/paid", at(0), at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []payresult.SweepWindow{{Kind: "v1/paid", Start: at(0), End: at(10 * time.Minute), Owner: "b",
		LeaseUntil: time.Unix(0, 0).UTC(), SweptAt: t1.Add(time.Second)}}
	diff(t, "windows after a sweep", got, want)

	t2 := t1.Add(time.Minute)
	claim("swept after sweptBefore", w, "a", t2, t1, false)
	claim("swept at or before sweptBefore", w, "a", t2, t1.Add(time.Second), true)
	finish("a finishes, final", "a", t2.Add(time.Second), true, true)
	claim("final windows are never claimed", w, "a", t2.Add(time.Hour), t2.Add(time.Hour), false)
	finish("nor finished again", "a", t2.Add(time.Hour), true, false)
	if got, err := ss.SweepWindows(ctx, "v1/paid", at(time.Minute), at(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("windows starting from 09:01 = %v, %v; want none", got, err)
	}

	_, err = ss.ClaimSweepWindow(ctx, payresult.SweepWindow{Kind: "v1/paid", Start: at(0), End: at(0)}, "a", t0, t0, t0)
	wantKind(t, "ClaimSweepWindow(empty window)", err, payresult.KindInvalid)
	_, err = ss.ClaimSweepWindow(ctx, w, "", t0, t0, t0)
	wantKind(t, "ClaimSweepWindow(no owner)", err, payresult.KindInvalid)
}

// testSweepWindowConcurrent has several instances claim the same fresh
// windows at once: each window goes to exactly one of them.
func testSweepWindowConcurrent(t *testing.T, s payresult.Store) {
	ss := sweepStore(t, s)
	ctx := context.Background()
	const instances, windows = 4, 20
	now := at(time.Hour)
	won := make([][]int, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			for j := range windows {
				w := payresult.SweepWindow{Kind: "v1/paid", Start: at(time.Duration(j) * time.Minute), End: at(time.Duration(j+1) * time.Minute)}
				ok, err := ss.ClaimSweepWindow(ctx, w, fmt.Sprint("instance-", i), now, now.Add(time.Minute), time.Time{})
				if err != nil {
					t.Errorf("instance %d: ClaimSweepWindow: %v", i, err)
					return
				}
				if ok {
					won[i] = append(won[i], j)
				}
			}
		})
	}
	wg.Wait()
	holders := make([]int, windows)
	for _, ws := range won {
		for _, j := range ws {
			holders[j]++
		}
	}
	for j, n := range holders {
		if n != 1 {
			t.Errorf("window %d claimed by %d instances, want exactly 1", j, n)
		}
	}
}

// testWaitingOrders counts the orders with a check scheduled.
func testWaitingOrders(t *testing.T, s payresult.Store) {
	ss := sweepStore(t, s)
	ctx := context.Background()
	if n, oldest, err := ss.WaitingOrders(ctx); err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("WaitingOrders on an empty store = %d, %v, %v; want 0, zero", n, oldest, err)
	}
	for i, d := range []time.Duration{2 * time.Hour, time.Hour, 3 * time.Hour} {
		o := newOrder(fmt.Sprint("waiting-", i))
		o.CreatedAt, o.UpdatedAt = at(d), at(d)
		o.NextCheckAt = at(d + time.Minute)
		create(t, s, o)
	}
	settled := newOrder("settled")
	settled.CreatedAt, settled.NextCheckAt = at(0), time.Time{}
	create(t, s, settled)
	n, oldest, err := ss.WaitingOrders(ctx)
	if err != nil || n != 3 || !oldest.Equal(at(time.Hour)) {
		t.Errorf("WaitingOrders = %d, %v, %v; want 3, %v", n, oldest, err, at(time.Hour))
	}
}
