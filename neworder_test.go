package payresult_test

import (
	"context"
	"strings"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

func validNewOrder() payresult.NewOrder {
	return payresult.NewOrder{
		MerchantUID: "order-1", Name: "coffee beans", Amount: portone.Won(10000),
		SuccessURL: "https://shop.example/ok", FailURL: "http://localhost:3000/fail",
	}
}

func TestCreateOrderValid(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	o, created, err := e.p.CreateOrder(context.Background(), validNewOrder())
	if err != nil || !created {
		t.Fatalf("CreateOrder = created %t, %v; want a new order", created, err)
	}
	if o.Status != payresult.StatusPending || o.Currency != "KRW" || o.Version != 1 {
		t.Errorf("new order %s %s v%d, want pending KRW v1", o.Status, o.Currency, o.Version)
	}
	if want := start.Add(payresult.DefaultFirstCheckDelay); !o.NextCheckAt.Equal(want) {
		t.Errorf("NextCheckAt %s, want %s", o.NextCheckAt, want)
	}
	if got := e.pg.prepared["order-1"]; got != portone.Won(10000) {
		t.Errorf("PortOne has %s prepared for order-1, want 10000", got)
	}
}

func TestCreateOrderRepeat(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	ctx := context.Background()
	first, _, err := e.p.CreateOrder(ctx, validNewOrder())
	if err != nil {
		t.Fatal(err)
	}
	again, created, err := e.p.CreateOrder(ctx, validNewOrder())
	if err != nil || created || again.MerchantUID != first.MerchantUID || again.Version != first.Version {
		t.Errorf("identical repeat = %+v, created %t, %v; want the stored order, created false", again, created, err)
	}
	other := validNewOrder()
	other.Amount = portone.Won(9000)
	_, _, err = e.p.CreateOrder(ctx, other)
	wantKind(t, err, payresult.KindConflict)
	if got := e.stored(t, "order-1"); got.Amount != portone.Won(10000) {
		t.Errorf("stored amount %s after a conflicting repeat, want 10000", got.Amount)
	}
}

// TestCreateOrderPortOneDown: the amount cannot be pre-registered, so
// nothing is stored and the same request succeeds once PortOne is back.
func TestCreateOrderPortOneDown(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	ctx := context.Background()
	e.pg.set(func(f *fakePortOne) { f.down = true })
	_, _, err := e.p.CreateOrder(ctx, validNewOrder())
	wantKind(t, err, payresult.KindTransient)
	if _, err := e.store.Order(ctx, "order-1"); !payresult.IsNotFound(err) {
		t.Errorf("Order after a failed registration: %v, want not found", err)
	}
	e.pg.set(func(f *fakePortOne) { f.down = false })
	if _, created, err := e.p.CreateOrder(ctx, validNewOrder()); err != nil || !created {
		t.Errorf("retry = created %t, %v; want a new order", created, err)
	}
}

func TestCreateOrderPreparedElsewhere(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	e.pg.set(func(f *fakePortOne) { f.prepared["order-1"] = portone.Won(500) })
	_, _, err := e.p.CreateOrder(context.Background(), validNewOrder())
	wantKind(t, err, payresult.KindConflict)
	if _, err := e.store.Order(context.Background(), "order-1"); !payresult.IsNotFound(err) {
		t.Errorf("Order after a refused registration: %v, want not found", err)
	}
}

func TestCreateOrderInvalid(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	tests := []struct {
		name   string
		change func(*payresult.NewOrder)
	}{
		{"empty merchant_uid", func(n *payresult.NewOrder) { n.MerchantUID = "" }},
		{"merchant_uid of 41 characters", func(n *payresult.NewOrder) { n.MerchantUID = strings.Repeat("a", 41) }},
		{"merchant_uid with a slash", func(n *payresult.NewOrder) { n.MerchantUID = "a/b" }},
		{"merchant_uid with a space", func(n *payresult.NewOrder) { n.MerchantUID = "a b" }},
		{"merchant_uid in Hangul", func(n *payresult.NewOrder) { n.MerchantUID = "주문1" }},
		{"zero amount", func(n *payresult.NewOrder) { n.Amount = portone.Amount{} }},
		{"negative amount", func(n *payresult.NewOrder) { n.Amount = portone.Won(-100) }},
		{"fractional won", func(n *payresult.NewOrder) { n.Amount = portone.MustParseAmount("100.5") }},
		{"fractional yen", func(n *payresult.NewOrder) { n.Amount, n.Currency = portone.MustParseAmount("100.5"), "JPY" }},
		{"a tenth of a cent", func(n *payresult.NewOrder) { n.Amount, n.Currency = portone.MustParseAmount("12.345"), "USD" }},
		{"currency ISO 4217 does not list", func(n *payresult.NewOrder) { n.Currency = "XYZ" }},
		{"currency of two letters", func(n *payresult.NewOrder) { n.Currency = "KR" }},
		{"currency with a digit", func(n *payresult.NewOrder) { n.Currency = "US1" }},
		{"empty name", func(n *payresult.NewOrder) { n.Name = "  " }},
		{"name with a newline", func(n *payresult.NewOrder) { n.Name = "a\nb" }},
		{"name too long", func(n *payresult.NewOrder) { n.Name = strings.Repeat("커", 201) }},
		{"relative success URL", func(n *payresult.NewOrder) { n.SuccessURL = "/ok" }},
		{"javascript fail URL", func(n *payresult.NewOrder) { n.FailURL = "javascript:alert(1)" }},
		{"ftp success URL", func(n *payresult.NewOrder) { n.SuccessURL = "ftp://shop.example/ok" }},
		{"URL with credentials", func(n *payresult.NewOrder) { n.SuccessURL = "https://u:p@shop.example/ok" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := validNewOrder()
			tt.change(&n)
			_, _, err := e.p.CreateOrder(context.Background(), n)
			wantKind(t, err, payresult.KindInvalid)
		})
	}
	if got := e.pg.callCount("Prepare"); got != 0 {
		t.Errorf("PortOne got %d prepares for invalid orders, want 0", got)
	}
	if got, err := e.store.Orders(context.Background(), payresult.OrderFilter{}); err != nil || len(got) != 0 {
		t.Errorf("Orders = %d, %v; want none stored", len(got), err)
	}
}

func TestCreateOrderUSD(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	n := validNewOrder()
	n.Amount, n.Currency = portone.MustParseAmount("12.5"), "usd"
	o, _, err := e.p.CreateOrder(context.Background(), n)
	if err != nil {
		t.Fatalf("CreateOrder(12.5 usd): %v", err)
	}
	if o.Currency != "USD" || o.Amount != portone.MustParseAmount("12.5") {
		t.Errorf("stored %s %s, want 12.5 USD", o.Amount, o.Currency)
	}
}
