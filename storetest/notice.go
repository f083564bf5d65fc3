package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// testNotes checks that notes written by changes of notes alone read back
// in order, with increasing ids, and that a note no store can keep is
// refused.
func testNotes(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	create(t, s, newOrder("m-1"))
	notes := []payresult.Note{
		{MerchantUID: "m-1", ImpUID: "imp_1", Source: payresult.SourceWebhook, Kind: "notice", Detail: "status=paid", At: at(time.Second)},
		{MerchantUID: "m-1", ImpUID: "imp_1", Source: payresult.SourceWebhook, Kind: "lookup", Detail: "PortOne: paid 15000 KRW", At: at(2 * time.Second)},
		// The timeline keeps notes for orders payresult does not know.
		{MerchantUID: "ghost", Source: payresult.SourceRedirect, Kind: "error", Detail: "unknown order", At: at(3 * time.Second)},
		{MerchantUID: "m-1", Source: payresult.SourceReconciler, Kind: "transition", Detail: "pending → paid", At: at(time.Minute)},
	}
	apply(t, s, &payresult.Change{Notes: notes[:2]})
	for i := 2; i < len(notes); i++ {
		apply(t, s, &payresult.Change{Notes: notes[i : i+1]})
	}
	got, err := s.Notes(ctx, "m-1")
	if err != nil {
		t.Fatalf("Notes: %v", err)
	}
	var last int64
	for i := range got {
		if got[i].ID <= last {
			t.Errorf("note %d has ID %d after %d, want increasing", i, got[i].ID, last)
		}
		last = got[i].ID
		got[i].ID = 0
	}
	diff(t, "Notes(m-1)", got, []payresult.Note{notes[0], notes[1], notes[3]})
	got, err = s.Notes(ctx, "ghost")
	if err != nil {
		t.Fatalf("Notes(ghost): %v", err)
	}
	if len(got) == 1 {
		got[0].ID = 0
	}
	diff(t, "Notes(ghost)", got, notes[2:3])

	invalid := []payresult.Note{
		{Source: payresult.SourceWebhook, Kind: "notice"},
		{MerchantUID: "m-1", Kind: "notice"},
		{MerchantUID: "m-1", Source: payresult.SourceWebhook},
	}
	for _, n := range invalid {
		wantKind(t, "Apply(invalid note)", s.Apply(ctx, &payresult.Change{Notes: []payresult.Note{n}}), payresult.KindInvalid)
	}
}
