package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// testApplyNotices checks that a change's notes are stored with
// it, and only with it: a refused change leaves no line behind.
func testApplyNotices(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("m-1"))
	line := func(kind string, d time.Duration) payresult.Note {
		return payresult.Note{MerchantUID: "m-1", ImpUID: "imp_1", Source: payresult.SourceWebhook, Kind: kind, Detail: kind + " line", At: at(d)}
	}
	c := paid(o, "imp_1")
	c.Notes = []payresult.Note{line("notice", time.Second), line("transition", 2*time.Second)}
	apply(t, s, c)

	stale := paid(o, "imp_1") // from version 1 again: a lost race
	stale.Notes = []payresult.Note{line("stale", 3*time.Second)}
	wantKind(t, "Apply(stale change with lines)", s.Apply(ctx, stale), payresult.KindConflict)

	apply(t, s, &payresult.Change{Notes: []payresult.Note{line("ignored", 4*time.Second)}})
	wantKind(t, "Apply(line without kind)", s.Apply(ctx, &payresult.Change{
		Notes: []payresult.Note{{MerchantUID: "m-1", Source: payresult.SourceWebhook}},
	}), payresult.KindInvalid)

	got, err := s.Notes(ctx, "m-1")
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
	const orders = 20
	var changes []*payresult.Change
	for i := range orders {
		o := create(t, s, newOrder(uid(i)))
		for j := range 2 {
			changes = append(changes, paid(o, fmt.Sprintf("imp_%d_%d", i, j)))
		}
	}
	errs := applyAtOnce(s, changes)
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

// testApplyConcurrentRefusals sends accepted and refused changes at once,
// as a store that groups concurrent Applies into shared transactions
// would write them together. Each change must get its own answer: the
// accepted ones commit whole with the seqs the feed holds, and each
// refused one (a lost compare-and-set, an imp_uid bound elsewhere, an
// event id that exists, a missing order) gets its own kind of error and
// leaves nothing behind, not even a gap in the others' seqs.
func testApplyConcurrentRefusals(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	holder := create(t, s, newOrder("holder"))
	held := paid(holder, "imp_held")
	apply(t, s, held)

	const orders = 40
	type try struct {
		c    *payresult.Change
		want payresult.ErrorKind // "" for accepted
	}
	var tries []try
	line := func(c *payresult.Change, uid, kind string) {
		c.Notes = []payresult.Note{{MerchantUID: uid, Source: payresult.SourceWebhook, Kind: kind, At: at(3 * time.Minute)}}
	}
	for i := range orders {
		o := create(t, s, newOrder(uid(i)))
		c := paid(o, fmt.Sprintf("imp_%d", i))
		var want payresult.ErrorKind
		switch i % 5 {
		case 0: // accepted, with every column of the order set
			c.Order.Vbank = &payresult.VirtualAccount{BankName: "KB", Number: fmt.Sprint("123-", i), Holder: "Shop",
				Deadline: at(72 * time.Hour), IssuedAt: at(time.Minute)}
			c.Order.NextCheckAt = at(time.Hour)
			c.Order.Checks = i
			c.Order.FailReason = "none"
		case 1: // lost compare-and-set
			apply(t, s, paid(o, fmt.Sprintf("imp_%d", i)))
			want = payresult.KindConflict
		case 2: // imp_uid bound to another order
			c.Attempt.ImpUID = "imp_held"
			want = payresult.KindConflict
		case 3: // event id that exists
			c.Events[0].ID = held.Events[0].ID
			want = payresult.KindConflict
		case 4: // missing order
			m := *o
			m.MerchantUID = "missing-" + uid(i)
			c = paid(&m, fmt.Sprintf("imp_m%d", i))
			want = payresult.KindNotFound
		}
		line(c, c.Order.MerchantUID, "try")
		tries = append(tries, try{c, want})
	}

	// A burst with no refusal first: a store may write such a group in
	// its fastest way, and every column must still arrive.
	var clean []*payresult.Change
	for i := range 16 {
		c := paid(create(t, s, newOrder(fmt.Sprint("clean-", i))), fmt.Sprint("imp_c", i))
		c.Order.Vbank = &payresult.VirtualAccount{BankName: "KB", Number: fmt.Sprint("9-", i), Holder: "Shop",
			Deadline: at(72 * time.Hour), IssuedAt: at(time.Minute)}
		c.Order.NextCheckAt, c.Order.Checks = at(time.Hour), i
		line(c, c.Order.MerchantUID, "clean")
		clean = append(clean, c)
	}
	var cwg sync.WaitGroup
	cstart := make(chan struct{})
	for _, c := range clean {
		cwg.Go(func() {
			<-cstart
			if err := s.Apply(ctx, c); err != nil {
				t.Errorf("Apply(%s): %v", c.Order.MerchantUID, err)
			}
		})
	}
	close(cstart)
	cwg.Wait()
	for _, c := range clean {
		diff(t, "order "+c.Order.MerchantUID, mustOrder(t, s, c.Order.MerchantUID), c.Order)
		got, err := s.Attempts(ctx, c.Order.MerchantUID)
		if err != nil {
			t.Fatalf("Attempts: %v", err)
		}
		diff(t, "attempts of "+c.Order.MerchantUID, got, []payresult.Attempt{*c.Attempt})
		lines, err := s.Notes(ctx, c.Order.MerchantUID)
		if err != nil || len(lines) != 1 || lines[0].Kind != "clean" {
			t.Errorf("timeline of %s: %+v, %v; want its one line", c.Order.MerchantUID, lines, err)
		}
	}

	before, err := s.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}

	cs := make([]*payresult.Change, len(tries))
	for i, tr := range tries {
		cs[i] = tr.c
	}
	errs := applyAtOnce(s, cs)

	var accepted []payresult.Event
	for i, tr := range tries {
		uid := tr.c.Order.MerchantUID
		if tr.want == "" {
			if errs[i] != nil {
				t.Errorf("Apply(%s): %v, want nil", uid, errs[i])
				continue
			}
			accepted = append(accepted, tr.c.Events...)
			diff(t, "order "+uid, mustOrder(t, s, uid), tr.c.Order)
		} else {
			wantKind(t, "Apply("+uid+")", errs[i], tr.want)
		}
		lines, err := s.Notes(ctx, uid)
		if tr.want == payresult.KindNotFound {
			continue
		}
		if err != nil {
			t.Fatalf("Timeline(%s): %v", uid, err)
		}
		wantLines := 0
		if tr.want == "" {
			wantLines = 1
		}
		if len(lines) != wantLines {
			t.Errorf("order %s: %d notes, want %d", uid, len(lines), wantLines)
		}
	}
	if got, err := s.Attempts(ctx, "holder"); err != nil || len(got) != 1 {
		t.Errorf("holder's attempts: %d (%v), want its own one", len(got), err)
	}

	// The feed after the burst is exactly the accepted events, with the
	// seqs Apply reported, following the earlier ones without a gap.
	after, err := s.Events(ctx, before[len(before)-1].Seq, 1000)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	slices.SortFunc(accepted, func(a, b payresult.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	type idSeq struct {
		ID  string
		Seq int64
	}
	pairs := func(evs []payresult.Event) []idSeq {
		out := []idSeq{}
		for _, e := range evs {
			out = append(out, idSeq{e.ID, e.Seq})
		}
		return out
	}
	diff(t, "feed after the burst", pairs(after), pairs(accepted))
	for i, e := range after {
		if want := before[len(before)-1].Seq + 1 + int64(i); e.Seq != want {
			t.Errorf("event %s has seq %d, want %d (no gap)", e.ID, e.Seq, want)
		}
	}
}

// Shared checks two stores on one database, as two payresult instances
// share one: changes raced through both at once each win once per order,
// and a feed cursor read through one never passes an event the other
// commits later. open returns the two stores, fresh and empty.
func Shared(t *testing.T, open func(t *testing.T) (a, b payresult.Store)) {
	a, b := open(t)
	ctx := context.Background()
	const orders = 32
	type try struct {
		s payresult.Store
		c *payresult.Change
	}
	var tries []try
	for i := range orders {
		o := create(t, a, newOrder(uid(i)))
		for j, s := range []payresult.Store{a, b} {
			tries = append(tries, try{s, paid(o, fmt.Sprintf("imp_%d_%d", i, j))})
		}
	}
	errs := make([]error, len(tries))
	start := make(chan struct{})
	var done atomic.Bool
	var wg sync.WaitGroup
	for i, tr := range tries {
		wg.Go(func() {
			<-start
			errs[i] = tr.s.Apply(ctx, tr.c)
		})
	}
	go func() { wg.Wait(); done.Store(true) }()
	close(start)

	var seen []string
	after := int64(0)
	for {
		finished := done.Load() // read before the page, so the last page is complete
		evs, err := a.Events(ctx, after, 5)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		for _, e := range evs {
			seen = append(seen, e.ID)
			after = e.Seq
		}
		if finished && len(evs) == 0 {
			break
		}
	}
	for i := range orders {
		x, y := errs[2*i], errs[2*i+1]
		loser := x
		if x == nil {
			loser = y
		}
		if (x == nil) == (y == nil) || !payresult.IsConflict(loser) {
			t.Errorf("order %s: Apply errors %v and %v; want one nil and one KindConflict", uid(i), x, y)
		}
	}
	all, err := b.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(all) != orders {
		t.Errorf("feed holds %d events, want %d", len(all), orders)
	}
	diff(t, "events seen through the cursor", seen, eventIDs(all))
}
