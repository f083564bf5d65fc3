package reconcile_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/reconcile"
)

// harness is payresult against the PortOne emulator, with no webhook URL
// configured at the emulator: every redirect and webhook is lost, and
// only the reconciler can learn what happened.
type harness struct {
	clock *fakeclock.Clock
	emu   *emulator.Emulator
	store payresult.Store
	proc  *payresult.Processor
	rec   *reconcile.Reconciler
}

func newHarness(t *testing.T, s payresult.Store) *harness {
	t.Helper()
	c := fakeclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	emu := emulator.New(emulator.Config{Now: c.Now, Seed: 1})
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		emu.Close()
	})
	client := &portone.Client{
		BaseURL: srv.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret,
		Now: c.Now, MaxRetries: -1,
	}
	proc := &payresult.Processor{Store: s, PortOne: client, Now: c.Now, FirstCheckDelay: reconcile.DefaultSchedule[0]}
	return &harness{
		clock: c, emu: emu, store: s, proc: proc,
		rec: &reconcile.Reconciler{Store: s, Processor: proc, PortOne: client, Now: c.Now, RateLimit: -1, Concurrency: 8},
	}
}

// instance returns another reconciler on h's store and PortOne, as
// another payresult instance would run, named owner in window leases.
func (h *harness) instance(owner string) *reconcile.Reconciler {
	return &reconcile.Reconciler{Store: h.store, Processor: h.proc, PortOne: h.rec.PortOne, Now: h.clock.Now,
		RateLimit: -1, Concurrency: 8, Owner: owner}
}

// order registers an order of amount won.
func (h *harness) order(t *testing.T, merchantUID string, amount int64) *payresult.Order {
	t.Helper()
	o, _, err := h.proc.CreateOrder(context.Background(), payresult.NewOrder{
		MerchantUID: merchantUID, Name: "coffee beans", Amount: portone.Won(amount),
	})
	if err != nil {
		t.Fatalf("CreateOrder(%s): %v", merchantUID, err)
	}
	return o
}

// pay has the buyer pay amount won for merchantUID in the emulator's
// payment window. The emulator has no webhook URL and the redirect is
// never followed: nothing tells payresult.
func (h *harness) pay(t *testing.T, merchantUID string, amount int64) portone.Payment {
	t.Helper()
	return h.window(t, emulator.PaymentRequest{MerchantUID: merchantUID, Amount: portone.Won(amount)}, emulator.OutcomePaid)
}

// issueVbank has the buyer pick a virtual account of amount won for
// merchantUID with the given deadline; nothing tells payresult.
func (h *harness) issueVbank(t *testing.T, merchantUID string, amount int64, deadline time.Time) portone.Payment {
	t.Helper()
	return h.window(t, emulator.PaymentRequest{
		MerchantUID: merchantUID, Amount: portone.Won(amount), PayMethod: portone.PayMethodVbank, VbankDue: deadline,
	}, emulator.OutcomeVbankIssued)
}

// window runs one payment window at the emulator and drops its redirect.
func (h *harness) window(t *testing.T, req emulator.PaymentRequest, outcome emulator.Outcome) portone.Payment {
	t.Helper()
	req.Name, req.RedirectURL = "coffee beans", "https://shop.example/payresult/redirect"
	res, err := h.emu.Pay(req, outcome)
	if err != nil {
		t.Fatalf("Pay(%s, %s): %v", req.MerchantUID, outcome, err)
	}
	res.Release()
	return *res.Payment
}

// deposit has the buyer pay into the virtual account p now.
func (h *harness) deposit(t *testing.T, p portone.Payment) {
	t.Helper()
	if _, err := h.emu.Deposit(p.ImpUID); err != nil {
		t.Fatalf("Deposit(%s): %v", p.ImpUID, err)
	}
}

// pass runs one reconciler pass and fails the test on an error.
func (h *harness) pass(t *testing.T) reconcile.Summary {
	t.Helper()
	sum, err := h.rec.Pass(context.Background())
	if err != nil {
		t.Fatalf("Pass: %v (summary %+v)", err, sum)
	}
	return sum
}

// mustOrder returns the stored order.
func (h *harness) mustOrder(t *testing.T, merchantUID string) *payresult.Order {
	t.Helper()
	o, err := h.store.Order(context.Background(), merchantUID)
	if err != nil {
		t.Fatalf("Order(%s): %v", merchantUID, err)
	}
	return o
}

// eventTypes returns the types of an order's events, in order.
func (h *harness) eventTypes(t *testing.T, merchantUID string) []payresult.EventType {
	t.Helper()
	evs, err := h.store.OrderEvents(context.Background(), merchantUID)
	if err != nil {
		t.Fatalf("OrderEvents(%s): %v", merchantUID, err)
	}
	var types []payresult.EventType
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types
}

// allEvents returns the types of every event in the feed, by order.
func (h *harness) allEvents(t *testing.T) map[string][]payresult.EventType {
	t.Helper()
	byOrder := map[string][]payresult.EventType{}
	var after int64
	for {
		page, err := h.store.Events(context.Background(), after, 500)
		if err != nil {
			t.Fatalf("Events(%d): %v", after, err)
		}
		if len(page) == 0 {
			return byOrder
		}
		for _, ev := range page {
			byOrder[ev.MerchantUID] = append(byOrder[ev.MerchantUID], ev.Type)
		}
		after = page[len(page)-1].Seq
	}
}

func uid(i int) string { return fmt.Sprintf("order-%05d", i) }
