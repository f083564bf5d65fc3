package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// Run runs the conformance suite against the stores open returns: every
// payresult.Store must pass it. open is called once per subtest and must
// return a fresh, empty store; closing it is open's business (t.Cleanup).
// Subtests run in parallel, each on its own store, and are named after
// what they check (ApplyStaleVersion, ApplyConcurrent, ClaimEvents, …), so
// that -run can pick one.
func Run(t *testing.T, open func(t *testing.T) payresult.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s payresult.Store)
	}{
		{"NewOrder", testNewOrder},
		{"NewOrderInvalid", testNewOrderInvalid},
		{"OrderAPI", testOrderAPI},
		{"NotFound", testNotFound},
		{"TimesAndMoney", testTimesAndMoney},
		{"Apply", testApply},
		{"ApplyKeepsTerms", testApplyKeepsTerms},
		{"ApplyInvalid", testApplyInvalid},
		{"ApplyStaleVersion", testApplyStaleVersion},
		{"ApplyImpUIDOfAnotherOrder", testApplyImpUIDOfAnotherOrder},
		{"ApplyDuplicateEvent", testApplyDuplicateEvent},
		{"ApplyAttemptOnly", testApplyAttemptOnly},
		{"ApplyConcurrent", testApplyConcurrent},
		{"ApplyConcurrentOutcomes", testApplyConcurrentOutcomes},
		{"ApplyConcurrentOrders", testApplyConcurrentOrders},
		{"ApplyConcurrentRefusals", testApplyConcurrentRefusals},
		{"ApplyMany", testApplyMany},
		{"ApplyNotices", testApplyNotices},
		{"EventsInSeqOrder", testEventsInSeqOrder},
		{"FeedPaging", testFeedPaging},
		{"FeedCursorUnderConcurrentWrites", testFeedCursorUnderConcurrentWrites},
		{"DueOrders", testDueOrders},
		{"DueOrdersConcurrent", testDueOrdersConcurrent},
		{"ScheduleCheck", testScheduleCheck},
		{"ClaimEvents", testClaimEvents},
		{"ClaimEventsConcurrent", testClaimEventsConcurrent},
		{"UpdateDelivery", testUpdateDelivery},
		{"ResendEvent", testResendEvent},
		{"ResendEventConcurrent", testResendEventConcurrent},
		{"OutboxBacklog", testOutboxBacklog},
		{"Notes", testNotes},
		{"Orders", testOrders},
		{"CountByStatus", testCountByStatus},
		{"Ping", testPing},
		{"IdempotencyClaimNew", testIdempotencyClaimNew},
		{"IdempotencyClaimHeld", testIdempotencyClaimHeld},
		{"IdempotencyClaimConcurrent", testIdempotencyClaimConcurrent},
		{"IdempotencyTakeOver", testIdempotencyTakeOver},
		{"IdempotencyRelease", testIdempotencyRelease},
		{"IdempotencyAnswer", testIdempotencyAnswer},
		{"IdempotencyAnswerAtomic", testIdempotencyAnswerAtomic},
		{"IdempotencyApplyMany", testIdempotencyApplyMany},
		{"IdempotencyPrune", testIdempotencyPrune},
		{"IdempotencyInvalid", testIdempotencyInvalid},
		{"SweepWindowClaim", testSweepWindowClaim},
		{"SweepWindowConcurrent", testSweepWindowConcurrent},
		{"WaitingOrders", testWaitingOrders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// base is the suite's clock: a fixed instant, whole microseconds, UTC, so
// that what is stored compares equal to what is read back.
var base = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// newOrder returns a pending order as the app registers it.
func newOrder(uid string) *payresult.Order {
	return &payresult.Order{
		MerchantUID: uid,
		Name:        "Order " + uid,
		Amount:      portone.Won(15000),
		Currency:    "KRW",
		Status:      payresult.StatusPending,
		SuccessURL:  "https://shop.example/ok",
		FailURL:     "https://shop.example/fail",
		CreatedAt:   base,
		UpdatedAt:   base,
		NextCheckAt: at(time.Minute),
	}
}

// create registers o (a change from version 0) and returns it as
// stored.
func create(t *testing.T, s payresult.Store, o *payresult.Order) *payresult.Order {
	t.Helper()
	if err := s.Apply(context.Background(), &payresult.Change{Order: o}); err != nil {
		t.Fatalf("registering order %q: %v", o.MerchantUID, err)
	}
	return mustOrder(t, s, o.MerchantUID)
}

// paid returns the change that moves o (read at its current version) to
// paid by impUID, with the attempt and the order.paid event.
func paid(o *payresult.Order, impUID string) *payresult.Change {
	n := *o
	n.Status = payresult.StatusPaid
	n.ImpUID = impUID
	n.PaidAmount = o.Amount
	n.PaidAt = at(2 * time.Minute)
	n.UpdatedAt = at(2 * time.Minute)
	n.NextCheckAt = time.Time{}
	return &payresult.Change{
		FromVersion: o.Version,
		Order:       &n,
		Attempt:     attempt(o, impUID, portone.StatusPaid),
		Events:      []payresult.Event{event(&n, o.Version+1, payresult.EventPaid)},
	}
}

// attempt returns a PortOne payment of o's amount.
func attempt(o *payresult.Order, impUID string, st portone.Status) *payresult.Attempt {
	return &payresult.Attempt{
		ImpUID:      impUID,
		MerchantUID: o.MerchantUID,
		Status:      st,
		PayMethod:   "card",
		PGProvider:  "html5_inicis",
		Amount:      o.Amount,
		Currency:    o.Currency,
		CreatedAt:   at(2 * time.Minute),
		UpdatedAt:   at(2 * time.Minute),
	}
}

// event returns the event announcing o at version.
func event(o *payresult.Order, version int64, typ payresult.EventType) payresult.Event {
	data, err := json.Marshal(map[string]any{"merchant_uid": o.MerchantUID, "status": o.Status, "version": version})
	if err != nil {
		panic(err) // a map of strings and numbers always encodes
	}
	return payresult.Event{
		ID:          payresult.EventID(o.MerchantUID, version, typ),
		Type:        typ,
		MerchantUID: o.MerchantUID,
		CreatedAt:   at(2 * time.Minute),
		Data:        data,
	}
}

// applyAtOnce applies each change from a goroutine of its own, all let go
// at the same moment, as concurrent Confirms do, and returns each one's
// answer.
func applyAtOnce(s payresult.Store, cs []*payresult.Change) []error {
	errs := make([]error, len(cs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			<-start
			errs[i] = s.Apply(context.Background(), c)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// apply applies c and fails the test on error.
func apply(t *testing.T, s payresult.Store, c *payresult.Change) {
	t.Helper()
	if err := s.Apply(context.Background(), c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// mustOrder reads an order and fails the test on error.
func mustOrder(t *testing.T, s payresult.Store, uid string) *payresult.Order {
	t.Helper()
	o, err := s.Order(context.Background(), uid)
	if err != nil {
		t.Fatalf("Order(%q): %v", uid, err)
	}
	return o
}

// wantKind fails the test unless err is an *payresult.Error of kind.
func wantKind(t *testing.T, what string, err error, kind payresult.ErrorKind) {
	t.Helper()
	if got := payresult.KindOf(err); got != kind {
		t.Errorf("%s: error %v (kind %q), want kind %q", what, err, got, kind)
	}
}

// diff fails the test when got and want differ.
func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateComparable(portone.Amount{})); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// uids returns the merchant_uids of orders, in order.
func uids(os []*payresult.Order) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.MerchantUID)
	}
	return out
}

// eventIDs returns the ids of events, in order.
func eventIDs(evs []payresult.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// uid returns the i-th merchant_uid of a test.
func uid(i int) string { return fmt.Sprintf("order-%03d", i) }

func testPing(t *testing.T, s payresult.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
