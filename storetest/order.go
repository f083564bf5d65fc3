package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// testNewOrder checks that a change from version 0 registers an order
// at version 1, and that registering a merchant_uid that exists is
// refused with KindConflict and changes nothing.
func testNewOrder(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := newOrder("m-1")
	apply(t, s, &payresult.Change{Order: o, Notes: []payresult.Note{
		{MerchantUID: "m-1", Source: payresult.SourceApp, Kind: "notice", Detail: "registered", At: base},
	}})
	want := *newOrder("m-1")
	want.Version = 1
	diff(t, "registered order", o, &want)
	diff(t, "Order", mustOrder(t, s, "m-1"), &want)
	if notes, err := s.Notes(ctx, "m-1"); err != nil || len(notes) != 1 {
		t.Errorf("Notes after registering = %v, %v; want the change's one note", notes, err)
	}

	// A repeat with other terms is refused and changes nothing: the
	// caller decides whether the stored order is the same order.
	again := newOrder("m-1")
	again.Amount = portone.Won(1)
	wantKind(t, "Apply(register again)", s.Apply(ctx, &payresult.Change{Order: again, Notes: []payresult.Note{
		{MerchantUID: "m-1", Source: payresult.SourceApp, Kind: "notice", Detail: "registered again", At: base},
	}}), payresult.KindConflict)
	diff(t, "Order after repeat", mustOrder(t, s, "m-1"), &want)
	if notes, err := s.Notes(ctx, "m-1"); err != nil || len(notes) != 1 {
		t.Errorf("Notes after the refused repeat = %v, %v; want only the first note", notes, err)
	}
}

func testNewOrderInvalid(t *testing.T, s payresult.Store) {
	noUID := newOrder("")
	badStatus := newOrder("m-1")
	badStatus.Status = "shipped"
	noStatus := newOrder("m-2")
	noStatus.Status = ""
	tests := []struct {
		name string
		c    *payresult.Change
	}{
		{"nil", nil},
		{"no merchant_uid", &payresult.Change{Order: noUID}},
		{"unknown status", &payresult.Change{Order: badStatus}},
		{"no status", &payresult.Change{Order: noStatus}},
		{"negative version", &payresult.Change{Order: newOrder("m-3"), FromVersion: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKind(t, "Apply", s.Apply(context.Background(), tt.c), payresult.KindInvalid)
		})
	}
	got, err := s.Orders(context.Background(), payresult.OrderFilter{})
	if err != nil || len(got) != 0 {
		t.Errorf("Orders after refused registrations = %v, %v; want none", uids(got), err)
	}
}

func testNotFound(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	o := create(t, s, newOrder("exists"))
	ghost := *o
	ghost.MerchantUID = "ghost"
	calls := []struct {
		name string
		call func() error
	}{
		{"Order", func() error { _, err := s.Order(ctx, "ghost"); return err }},
		{"OrderByImpUID", func() error { _, err := s.OrderByImpUID(ctx, "imp_ghost"); return err }},
		{"Attempts", func() error { _, err := s.Attempts(ctx, "ghost"); return err }},
		{"Notes", func() error { _, err := s.Notes(ctx, "ghost"); return err }},
		{"OrderEvents", func() error { _, err := s.OrderEvents(ctx, "ghost"); return err }},
		{"ScheduleCheck", func() error { return s.ScheduleCheck(ctx, "ghost", base, 1) }},
		{"UpdateDelivery", func() error {
			return s.UpdateDelivery(ctx, &payresult.Delivery{EventID: "evt_ghost", State: payresult.DeliveryDelivered})
		}},
		{"Apply", func() error { return s.Apply(ctx, paid(&ghost, "imp_1")) }},
		{"Apply attempt only", func() error {
			return s.Apply(ctx, &payresult.Change{Attempt: attempt(&ghost, "imp_2", portone.StatusReady)})
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) { wantKind(t, c.name, c.call(), payresult.KindNotFound) })
	}
	// An existing order with nothing attached lists nothing, without error.
	if got, err := s.Attempts(ctx, "exists"); err != nil || len(got) != 0 {
		t.Errorf("Attempts(exists) = %v, %v; want none", got, err)
	}
	if got, err := s.OrderEvents(ctx, "exists"); err != nil || len(got) != 0 {
		t.Errorf("OrderEvents(exists) = %v, %v; want none", got, err)
	}
}

func testTimesAndMoney(t *testing.T, s payresult.Store) {
	seoul := time.FixedZone("KST", 9*3600)
	o := newOrder("usd")
	o.Amount = portone.MustParseAmount("12.3456")
	o.Currency = "USD"
	o.CreatedAt = time.Date(2026, 3, 1, 18, 0, 0, 123456789, seoul)
	o.Vbank = &payresult.VirtualAccount{BankName: "KB", Number: "123-456", Holder: "Shop",
		Deadline: time.Date(2026, 3, 4, 0, 0, 0, 999, seoul)}
	got := create(t, s, o)

	want := *newOrder("usd")
	want.Amount = portone.MustParseAmount("12.3456")
	want.Currency = "USD"
	want.Version = 1
	// Times are kept to the microsecond, in UTC.
	want.CreatedAt = time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC)
	want.Vbank = &payresult.VirtualAccount{BankName: "KB", Number: "123-456", Holder: "Shop",
		Deadline: time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC)}
	diff(t, "created order", got, &want)
	diff(t, "Order", mustOrder(t, s, "usd"), &want)

	big := newOrder("big")
	big.Amount = portone.Won(900_000_000_000_000) // near the largest amount Amount holds
	if got := create(t, s, big); got.Amount != big.Amount {
		t.Errorf("stored amount %s, want %s", got.Amount, big.Amount)
	}
}

func testScheduleCheck(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	create(t, s, newOrder("m-1"))
	if err := s.ScheduleCheck(ctx, "m-1", at(time.Hour), 3); err != nil {
		t.Fatalf("ScheduleCheck: %v", err)
	}
	got := mustOrder(t, s, "m-1")
	if !got.NextCheckAt.Equal(at(time.Hour)) || got.Checks != 3 || got.Version != 1 {
		t.Errorf("after ScheduleCheck: next %v, checks %d, version %d; want %v, 3, 1",
			got.NextCheckAt, got.Checks, got.Version, at(time.Hour))
	}
	if err := s.ScheduleCheck(ctx, "m-1", time.Time{}, 4); err != nil {
		t.Fatalf("ScheduleCheck(zero): %v", err)
	}
	if got := mustOrder(t, s, "m-1"); !got.NextCheckAt.IsZero() {
		t.Errorf("NextCheckAt = %v after scheduling no check, want zero", got.NextCheckAt)
	}
	wantKind(t, "ScheduleCheck(negative checks)", s.ScheduleCheck(ctx, "m-1", base, -1), payresult.KindInvalid)
}

func testOrders(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	for i := range 5 {
		create(t, s, newOrder(uid(i)))
	}
	apply(t, s, paid(mustOrder(t, s, uid(1)), "imp_1"))
	apply(t, s, paid(mustOrder(t, s, uid(3)), "imp_3"))

	tests := []struct {
		name string
		f    payresult.OrderFilter
		want []string
	}{
		{"all newest first", payresult.OrderFilter{}, []string{uid(4), uid(3), uid(2), uid(1), uid(0)}},
		{"by status", payresult.OrderFilter{Status: payresult.StatusPaid}, []string{uid(3), uid(1)}},
		{"by merchant_uid", payresult.OrderFilter{Search: uid(2)}, []string{uid(2)}},
		{"by imp_uid", payresult.OrderFilter{Search: "imp_3"}, []string{uid(3)}},
		{"search is exact", payresult.OrderFilter{Search: "order-00"}, []string{}},
		{"status and search disagree", payresult.OrderFilter{Status: payresult.StatusPending, Search: "imp_3"}, []string{}},
		{"limit", payresult.OrderFilter{Limit: 2}, []string{uid(4), uid(3)}},
		{"next page", payresult.OrderFilter{Limit: 2, Before: uid(3)}, []string{uid(2), uid(1)}},
		{"last page", payresult.OrderFilter{Limit: 2, Before: uid(1)}, []string{uid(0)}},
		{"page by status", payresult.OrderFilter{Status: payresult.StatusPaid, Before: uid(3)}, []string{uid(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Orders(ctx, tt.f)
			if err != nil {
				t.Fatalf("Orders(%+v): %v", tt.f, err)
			}
			diff(t, "Orders", uids(got), tt.want)
		})
	}

	invalid := []struct {
		name string
		f    payresult.OrderFilter
	}{
		{"unknown status", payresult.OrderFilter{Status: "shipped"}},
		{"negative limit", payresult.OrderFilter{Limit: -1}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Orders(ctx, tt.f)
			wantKind(t, "Orders", err, payresult.KindInvalid)
		})
	}
}

func testCountByStatus(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	for i := range 4 {
		create(t, s, newOrder(uid(i)))
	}
	apply(t, s, paid(mustOrder(t, s, uid(0)), "imp_0"))
	failed := newOrder("failed")
	failed.Status = payresult.StatusFailed
	create(t, s, failed)

	got, err := s.CountByStatus(ctx)
	if err != nil {
		t.Fatalf("CountByStatus: %v", err)
	}
	want := map[payresult.Status]int{}
	for _, st := range payresult.Statuses {
		want[st] = 0
	}
	want[payresult.StatusPending] = 3
	want[payresult.StatusPaid] = 1
	want[payresult.StatusFailed] = 1
	diff(t, "CountByStatus", got, want)
}

// testOrderAPI checks that an order keeps the PortOne API it was
// registered for, through Apply and ApplyMany, that an update never
// changes it (it is one of the order's terms), and that an unknown API is
// refused.
func testOrderAPI(t *testing.T, s payresult.Store) {
	ctx := context.Background()
	v1, v2 := newOrder("m-v1"), newOrder("m-v2")
	v1.API, v2.API = payresult.APIV1, payresult.APIV2
	apply(t, s, &payresult.Change{Order: v1})
	many := newOrder("m-v2-many")
	many.API = payresult.APIV2
	for i, err := range s.ApplyMany(ctx, []*payresult.Change{{Order: v2}, {Order: many}}) {
		if err != nil {
			t.Fatalf("ApplyMany change %d: %v", i, err)
		}
	}
	for uid, want := range map[string]payresult.API{"m-v1": payresult.APIV1, "m-v2": payresult.APIV2, "m-v2-many": payresult.APIV2} {
		if got := mustOrder(t, s, uid).API; got != want {
			t.Errorf("Order(%s).API = %q, want %q", uid, got, want)
		}
	}
	o := mustOrder(t, s, "m-v2")
	c := paid(o, "m-v2")
	c.Order.API = payresult.APIV1
	apply(t, s, c)
	if got := mustOrder(t, s, "m-v2"); got.API != payresult.APIV2 || got.Status != payresult.StatusPaid {
		t.Errorf("after an update naming V1: API %q, status %s; want v2, paid", got.API, got.Status)
	}
	bad := newOrder("m-v3")
	bad.API = "v3"
	wantKind(t, "Apply(api v3)", s.Apply(ctx, &payresult.Change{Order: bad}), payresult.KindInvalid)
}
