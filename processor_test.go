package payresult_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
)

// env is a processor on a real store and a fake PortOne.
type env struct {
	p     *payresult.Processor
	store payresult.Store
	pg    *fakePortOne
	clock *fakeclock.Clock
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, store payresult.Store) *env {
	t.Helper()
	clock := fakeclock.New(start)
	pg := newFakePortOne()
	return &env{
		p:     &payresult.Processor{Store: store, PortOne: pg, Now: clock.Now},
		store: store,
		pg:    pg,
		clock: clock,
	}
}

// newSQLiteEnv is newEnv on a fresh SQLite store.
func newSQLiteEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, testdb.OpenSQLite(t))
}

// order registers a 10,000 KRW order m.
func (e *env) order(t *testing.T, m string) *payresult.Order {
	t.Helper()
	o, created, err := e.p.CreateOrder(context.Background(), payresult.NewOrder{
		MerchantUID: m, Name: "coffee beans", Amount: portone.Won(10000),
		SuccessURL: "https://shop.example/ok", FailURL: "https://shop.example/fail",
	})
	if err != nil || !created {
		t.Fatalf("CreateOrder(%s) = created %t, %v; want a new order", m, created, err)
	}
	return o
}

// payment returns PortOne's payment imp for m at amount KRW in status s.
func payment(imp, m string, amount int64, s portone.Status) *portone.Payment {
	p := &portone.Payment{
		ImpUID: imp, MerchantUID: m, Amount: portone.Won(amount), Currency: "KRW", Status: s,
		PayMethod: portone.PayMethodCard, PGProvider: portone.NewNullString("html5_inicis"),
		StartedAt: portone.TimeOf(start.Add(-time.Minute)),
	}
	switch s {
	case portone.StatusPaid:
		p.PaidAt = portone.TimeOf(start)
	case portone.StatusFailed:
		p.FailedAt = portone.TimeOf(start)
		p.FailReason = portone.NewNullString("카드 한도초과")
	}
	return p
}

// confirm runs Confirm and fails the test on an error.
func (e *env) confirm(t *testing.T, n payresult.Notice) *payresult.Result {
	t.Helper()
	res, err := e.p.Confirm(context.Background(), n)
	if err != nil {
		t.Fatalf("Confirm(%+v): %v", n, err)
	}
	return res
}

// stored returns the stored order m.
func (e *env) stored(t *testing.T, m string) *payresult.Order {
	t.Helper()
	o, err := e.store.Order(context.Background(), m)
	if err != nil {
		t.Fatalf("Order(%s): %v", m, err)
	}
	return o
}

// eventTypes lists the types of the events of order m, in order.
func (e *env) eventTypes(t *testing.T, m string) []payresult.EventType {
	t.Helper()
	evs, err := e.store.OrderEvents(context.Background(), m)
	if err != nil {
		t.Fatalf("OrderEvents(%s): %v", m, err)
	}
	var types []payresult.EventType
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types
}

// wantKind checks that err is a payresult error of kind k ("" for nil).
func wantKind(t *testing.T, err error, k payresult.ErrorKind) {
	t.Helper()
	if got := payresult.KindOf(err); got != k {
		t.Errorf("error kind = %q (%v), want %q", got, err, k)
	}
	var pe *payresult.Error
	if err != nil && !errors.As(err, &pe) {
		t.Errorf("error %v is not a *payresult.Error", err)
	}
}

func TestConfirmInvalidNotice(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	for _, n := range []payresult.Notice{
		{Source: payresult.SourceWebhook},
		{Source: payresult.SourceWebhook, ImpUID: "imp_\x00"},
		{Source: payresult.SourceWebhook, MerchantUID: string(make([]byte, 41))},
		{Source: payresult.SourceWebhook, ImpUID: "imp_" + string(make([]byte, 40))},
	} {
		_, err := e.p.Confirm(context.Background(), n)
		wantKind(t, err, payresult.KindInvalid)
	}
	if got := e.pg.callCount("Payment") + e.pg.callCount("FindPayment"); got != 0 {
		t.Errorf("PortOne was asked %d times about invalid notices, want 0", got)
	}
}

func TestConfirmPortOneUnreachable(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	e.order(t, "order-1")
	e.pg.put(payment("imp_1", "order-1", 10000, portone.StatusPaid))
	e.pg.set(func(f *fakePortOne) { f.down = true })

	_, err := e.p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1", MerchantUID: "order-1"})
	wantKind(t, err, payresult.KindTransient)
	if !payresult.IsTransient(err) {
		t.Errorf("IsTransient(%v) = false, want true", err)
	}
	if got := e.stored(t, "order-1"); got.Status != payresult.StatusPending || got.Version != 1 {
		t.Errorf("order after an unreachable PortOne: %s v%d, want pending v1", got.Status, got.Version)
	}

	e.pg.set(func(f *fakePortOne) { f.down = false })
	if res := e.confirm(t, payresult.Notice{Source: payresult.SourceReconciler, MerchantUID: "order-1"}); res.Order.Status != payresult.StatusPaid {
		t.Errorf("after PortOne came back: %s, want paid", res.Order.Status)
	}
}

func TestConfirmNoPaymentYet(t *testing.T) {
	t.Parallel()
	e := newSQLiteEnv(t)
	e.order(t, "order-1")
	res := e.confirm(t, payresult.Notice{Source: payresult.SourceRedirect, MerchantUID: "order-1", ErrorCode: "F400", ErrorMsg: "사전검증 실패"})
	want := &payresult.Result{Order: e.stored(t, "order-1"), Outcome: payresult.OutcomePending}
	if diff := cmp.Diff(want, res, amountEqual, cmp.FilterPath(isReason, cmp.Ignore())); diff != "" {
		t.Errorf("Confirm without a payment (-want +got):\n%s", diff)
	}
}

// amountEqual lets cmp compare amounts, whose value is unexported.
var amountEqual = cmp.Comparer(func(a, b portone.Amount) bool { return a == b })

func isReason(p cmp.Path) bool { return p.Last().String() == ".Reason" }
