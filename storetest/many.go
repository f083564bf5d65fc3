package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// testApplyMany is the batch contract: ApplyMany answers each change as if
// it had been applied alone by Apply. Every kind of refusal stands beside
// accepted changes in one call; each refused change gets its own kind of
// error and leaves nothing behind (no order change, attempt, event, seq
// or note), and every accepted one is stored whole.
func testApplyMany(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	holder := create(t, s, newOrder("holder"))
	held := paid(holder, "imp_held")
	apply(t, s, held)

	withNote := func(c *payresult.Change, uid string) *payresult.Change {
		c.Notes = append(c.Notes, payresult.Note{MerchantUID: uid, Source: payresult.SourceWebhook, Kind: "try", Detail: uid, At: at(3 * time.Minute)})
		return c
	}
	stale := create(t, s, newOrder("stale"))
	apply(t, s, paid(stale, "imp_stale_1"))
	bound := create(t, s, newOrder("bound"))
	dup := create(t, s, newOrder("dup"))
	dupEvent := paid(dup, "imp_dup")
	dupEvent.Events[0].ID = held.Events[0].ID
	ghost := newOrder("ghost")
	ghost.Version = 1
	twice := create(t, s, newOrder("twice"))
	okA, okB := create(t, s, newOrder("ok-a")), create(t, s, newOrder("ok-b"))

	// new then paid: a change may follow another of the same call.
	fresh := newOrder("fresh")
	freshPaid := *fresh
	freshPaid.Version = 1

	before, err := s.Events(ctx, 0, 100)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	tries := []struct {
		name string
		c    *payresult.Change
		want payresult.ErrorKind // "" for accepted
	}{
		{"accepted", withNote(paid(okA, "imp_ok_a"), "ok-a"), ""},
		{"lost compare-and-set", withNote(paid(stale, "imp_stale_2"), "stale"), payresult.KindConflict},
		{"imp_uid bound to another order", withNote(paid(bound, "imp_held"), "bound"), payresult.KindConflict},
		{"event id that exists", withNote(dupEvent, "dup"), payresult.KindConflict},
		{"missing order", withNote(paid(ghost, "imp_ghost"), "ghost"), payresult.KindNotFound},
		{"order registered again", withNote(&payresult.Change{Order: newOrder("holder")}, "holder"), payresult.KindConflict},
		{"invalid", &payresult.Change{}, payresult.KindInvalid},
		{"first of two from one version", withNote(paid(twice, "imp_twice_1"), "twice"), ""},
		{"second of two from one version", withNote(paid(twice, "imp_twice_2"), "twice"), payresult.KindConflict},
		{"new order", withNote(&payresult.Change{Order: fresh}, "fresh"), ""},
		{"the new order paid", withNote(paid(&freshPaid, "imp_fresh"), "fresh"), ""},
		{"accepted too", withNote(paid(okB, "imp_ok_b"), "ok-b"), ""},
	}
	cs := make([]*payresult.Change, len(tries))
	for i, tr := range tries {
		cs[i] = tr.c
	}
	errs := s.ApplyMany(ctx, cs)
	if len(errs) != len(cs) {
		t.Fatalf("ApplyMany answered %d times for %d changes", len(errs), len(cs))
	}
	var accepted []payresult.Event
	for i, tr := range tries {
		wantKind(t, fmt.Sprintf("change %d (%s)", i, tr.name), errs[i], tr.want)
		if tr.want == "" && errs[i] == nil {
			accepted = append(accepted, tr.c.Events...)
		}
	}

	// Accepted changes are stored whole, with their notes.
	for _, m := range []string{"ok-a", "ok-b", "twice", "fresh"} {
		o := mustOrder(t, s, m)
		if o.Status != payresult.StatusPaid {
			t.Errorf("order %s is %s, want paid", m, o.Status)
		}
		if notes, err := s.Notes(ctx, m); err != nil || len(notes) != 1+boolInt(m == "fresh") {
			t.Errorf("notes of %s: %d (%v), want its changes' own", m, len(notes), err)
		}
	}
	if a, err := s.Attempts(ctx, "twice"); err != nil || len(a) != 1 || a[0].ImpUID != "imp_twice_1" {
		t.Errorf("attempts of twice = %+v, %v; want imp_twice_1 alone", a, err)
	}
	// Refused changes leave nothing behind.
	for _, o := range []*payresult.Order{bound, dup} {
		wantUntouched(t, s, o)
	}
	for _, m := range []string{"stale", "bound", "dup", "holder"} {
		if notes, err := s.Notes(ctx, m); err == nil && len(notes) != 0 {
			t.Errorf("a refused change left %d notes on %s", len(notes), m)
		}
	}
	if got, err := s.Order(ctx, "ghost"); !payresult.IsNotFound(err) {
		t.Errorf("Order(ghost) = %v, %v; want not found", got, err)
	}
	if got := mustOrder(t, s, "holder"); got.Amount != holder.Amount || got.Status != payresult.StatusPaid {
		t.Errorf("holder after a refused registration: %+v", got)
	}
	// The feed holds exactly the accepted events, with the seqs the
	// changes learnt, right after the earlier ones.
	after, err := s.Events(ctx, before[len(before)-1].Seq, 100)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(after) != len(accepted) {
		t.Fatalf("feed after ApplyMany holds %d events, want the %d accepted", len(after), len(accepted))
	}
	seqs := map[string]int64{}
	for _, e := range accepted {
		seqs[e.ID] = e.Seq
	}
	for i, e := range after {
		if want := before[len(before)-1].Seq + 1 + int64(i); e.Seq != want || seqs[e.ID] != e.Seq {
			t.Errorf("event %s has seq %d (the change learnt %d), want %d (no gap)", e.ID, e.Seq, seqs[e.ID], want)
		}
	}

	if errs := s.ApplyMany(ctx, nil); len(errs) != 0 {
		t.Errorf("ApplyMany(nil) = %v, want no answers", errs)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
