package payresult_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// TestPreviewChangesNothing shows that Preview reports what Confirm would
// decide, that the decision matches what Confirm then does, and that
// Preview itself stores nothing and cancels nothing.
func TestPreviewChangesNothing(t *testing.T) {
	tests := []struct {
		name        string
		payment     *portone.Payment // nil: PortOne has none
		notice      payresult.Notice
		wantOutcome payresult.Outcome
		wantStatus  payresult.Status // of the Result's order
		wantChanged bool
		wantKind    payresult.ErrorKind
	}{
		{
			name:        "paid",
			payment:     payment("imp_100000000001", "order-1", 10000, portone.StatusPaid),
			notice:      payresult.Notice{ImpUID: "imp_100000000001"},
			wantOutcome: payresult.OutcomePaid, wantStatus: payresult.StatusPaid, wantChanged: true,
		},
		{
			name:        "paid, by merchant_uid",
			payment:     payment("imp_100000000001", "order-1", 10000, portone.StatusPaid),
			notice:      payresult.Notice{MerchantUID: "order-1"},
			wantOutcome: payresult.OutcomePaid, wantStatus: payresult.StatusPaid, wantChanged: true,
		},
		{
			name:        "forged",
			payment:     payment("imp_100000000001", "order-1", 100, portone.StatusPaid),
			notice:      payresult.Notice{ImpUID: "imp_100000000001"},
			wantOutcome: payresult.OutcomeForged, wantStatus: payresult.StatusForged, wantChanged: true,
		},
		{
			name:        "failed",
			payment:     payment("imp_100000000001", "order-1", 10000, portone.StatusFailed),
			notice:      payresult.Notice{ImpUID: "imp_100000000001"},
			wantOutcome: payresult.OutcomeFailed, wantStatus: payresult.StatusFailed, wantChanged: true,
		},
		{
			name:        "no payment yet",
			notice:      payresult.Notice{MerchantUID: "order-1"},
			wantOutcome: payresult.OutcomePending, wantStatus: payresult.StatusPending,
		},
		{
			name:        "payment of another order",
			payment:     payment("imp_100000000001", "order-2", 10000, portone.StatusPaid),
			notice:      payresult.Notice{ImpUID: "imp_100000000001", MerchantUID: "order-1"},
			wantOutcome: payresult.OutcomeRefused, wantKind: payresult.KindMismatch,
		},
		{
			name:     "unknown payment",
			notice:   payresult.Notice{ImpUID: "imp_999999999999"},
			wantKind: payresult.KindNotFound,
		},
		{
			name:     "empty notice",
			notice:   payresult.Notice{},
			wantKind: payresult.KindInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSQLiteEnv(t)
			e.order(t, "order-1")
			e.order(t, "order-2")
			before := e.stored(t, "order-1")
			if tt.payment != nil {
				e.pg.put(tt.payment)
			}
			timeline, err := e.store.Notes(context.Background(), "order-1")
			if err != nil {
				t.Fatal(err)
			}

			res, err := e.p.Preview(context.Background(), tt.notice)
			wantKind(t, err, tt.wantKind)
			if tt.wantOutcome != "" && (res == nil || res.Outcome != tt.wantOutcome) {
				t.Fatalf("Preview = %+v, want outcome %s", res, tt.wantOutcome)
			}
			if tt.wantStatus != "" && (res.Order == nil || res.Order.Status != tt.wantStatus || res.Changed != tt.wantChanged) {
				t.Errorf("Preview order %+v, changed %t; want %s, changed %t", res.Order, res.Changed, tt.wantStatus, tt.wantChanged)
			}

			if diff := cmp.Diff(before, e.stored(t, "order-1"), cmp.Comparer(func(a, b portone.Amount) bool { return a == b })); diff != "" {
				t.Errorf("Preview changed the stored order (-before +after):\n%s", diff)
			}
			if got := e.eventTypes(t, "order-1"); len(got) != 0 {
				t.Errorf("Preview appended events %v", got)
			}
			after, err := e.store.Notes(context.Background(), "order-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(timeline) {
				t.Errorf("Preview wrote %d notes, want none", len(after)-len(timeline))
			}
			if n := e.pg.callCount("Cancel"); n != 0 {
				t.Errorf("Preview called Cancel %d times, want never", n)
			}
			if tt.wantKind != "" || !tt.wantChanged {
				return
			}
			// Confirm then does what Preview said.
			got := e.confirm(t, tt.notice)
			if got.Outcome != res.Outcome || got.Order.Status != res.Order.Status {
				t.Errorf("Confirm after Preview: %s %s, Preview said %s %s", got.Outcome, got.Order.Status, res.Outcome, res.Order.Status)
			}
		})
	}
}
