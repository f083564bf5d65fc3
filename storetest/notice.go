package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

func testTimeline(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	create(t, s, newOrder("m-1"))
	notices := []payresult.NoticeRecord{
		{MerchantUID: "m-1", ImpUID: "imp_1", Source: payresult.SourceWebhook, Kind: "notice", Detail: "status=paid", At: at(time.Second)},
		{MerchantUID: "m-1", ImpUID: "imp_1", Source: payresult.SourceWebhook, Kind: "lookup", Detail: "PortOne: paid 15000 KRW", At: at(2 * time.Second)},
		// The timeline keeps notices for orders payresult does not know.
		{MerchantUID: "ghost", Source: payresult.SourceRedirect, Kind: "error", Detail: "unknown order", At: at(3 * time.Second)},
		{MerchantUID: "m-1", Source: payresult.SourceReconciler, Kind: "transition", Detail: "pending → paid", At: at(time.Minute)},
	}
	var last int64
	for i := range notices {
		if err := s.RecordNotice(ctx, &notices[i]); err != nil {
			t.Fatalf("RecordNotice: %v", err)
		}
		if notices[i].ID <= last {
			t.Errorf("RecordNotice set ID %d after %d, want increasing", notices[i].ID, last)
		}
		last = notices[i].ID
	}
	got, err := s.Timeline(ctx, "m-1")
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	diff(t, "Timeline(m-1)", got, []payresult.NoticeRecord{notices[0], notices[1], notices[3]})
	got, err = s.Timeline(ctx, "ghost")
	if err != nil {
		t.Fatalf("Timeline(ghost): %v", err)
	}
	diff(t, "Timeline(ghost)", got, notices[2:3])

	invalid := []*payresult.NoticeRecord{
		nil,
		{Source: payresult.SourceWebhook, Kind: "notice"},
		{MerchantUID: "m-1", Kind: "notice"},
		{MerchantUID: "m-1", Source: payresult.SourceWebhook},
	}
	for _, n := range invalid {
		wantKind(t, "RecordNotice(invalid)", s.RecordNotice(ctx, n), payresult.KindInvalid)
	}
}
