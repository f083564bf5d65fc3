package outbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// shop is payresult wired to the PortOne emulator, with the emulator's
// console webhooks going to payresult's webhook handler.
type shop struct {
	clock *fakeclock.Clock
	emu   *emulator.Emulator
	store payresult.Store
	proc  *payresult.Processor
}

func newShop(t *testing.T, s payresult.Store, cfg emulator.Config, transport http.RoundTripper) *shop {
	t.Helper()
	c := newClock()
	proc := &payresult.Processor{Store: s, Now: c.Now}
	hook := httptest.NewServer(&payresult.WebhookHandler{Processor: proc})
	t.Cleanup(hook.Close)
	cfg.Now, cfg.WebhookURL = c.Now, hook.URL
	emu := emulator.New(cfg)
	api := httptest.NewServer(emu)
	t.Cleanup(func() {
		api.Close()
		emu.Close()
	})
	proc.PortOne = &portone.Client{
		BaseURL: api.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret,
		Now: c.Now, MaxRetries: -1, HTTPClient: &http.Client{Transport: transport},
	}
	return &shop{clock: c, emu: emu, store: s, proc: proc}
}

// paidOrder registers an order of amount won and has it paid and
// confirmed, as after the buyer's redirect.
func (s *shop) paidOrder(t *testing.T, merchantUID string, amount int64) string {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: merchantUID, Name: "tea", Amount: portone.Won(amount)}); err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	res, err := s.emu.Pay(emulator.PaymentRequest{MerchantUID: merchantUID, Name: "tea", Amount: portone.Won(amount)}, emulator.OutcomePaid)
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	<-res.Webhooks // PortOne's paid webhook has been answered
	o, err := s.store.Order(ctx, merchantUID)
	if err != nil || o.Status != payresult.StatusPaid {
		t.Fatalf("order after paying = %+v, %v; want paid by the webhook", o, err)
	}
	p := res.Payment
	return p.ImpUID
}

// waitRefunded polls until the order has refunded amount won, as the
// console's webhook is delivered asynchronously.
func (s *shop) waitRefunded(t *testing.T, merchantUID string, amount int64) *payresult.Order {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, err := s.store.Order(context.Background(), merchantUID)
		if err != nil {
			t.Fatal(err)
		}
		if o.RefundedAmount == portone.Won(amount) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s: refunded %s, status %s; want %d refunded by the console's webhook", merchantUID, o.RefundedAmount, o.Status, amount)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline, not waiting blindly
	}
}

// TestRefundsEndToEnd: console cancels arriving by webhook and the app's
// own refunds move the order by cancel_amount, whatever status PortOne
// reports for a partial cancel, each change with one event that reaches
// the app signed.
func TestRefundsEndToEnd(t *testing.T) {
	tests := []struct {
		name      string
		keepsPaid bool // PortOne's status after a partial cancel: the PGs differ
	}{
		{"partial cancel reported as cancelled", false},
		{"partial cancel reported as paid", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, st payresult.Store) {
				s := newShop(t, st, emulator.Config{PartialCancelKeepsPaid: tt.keepsPaid}, nil)
				imp := s.paidOrder(t, "order-r", 10000)

				if _, err := s.emu.ConsoleCancel(imp, portone.Won(4000)); err != nil {
					t.Fatalf("ConsoleCancel: %v", err)
				}
				if o := s.waitRefunded(t, "order-r", 4000); o.Status != payresult.StatusPartiallyRefunded {
					t.Errorf("after a console cancel of 4000: %s, want partially_refunded", o.Status)
				}
				o, err := s.proc.Refund(context.Background(), payresult.RefundRequest{MerchantUID: "order-r", Amount: portone.Won(1000), Reason: "the buyer returned one cup"})
				if err != nil || o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(5000) {
					t.Fatalf("Refund(1000) = %+v, %v; want partially_refunded with 5000 refunded", o, err)
				}
				if _, err := s.emu.ConsoleCancel(imp, portone.Amount{}); err != nil {
					t.Fatalf("ConsoleCancel of the rest: %v", err)
				}
				if o := s.waitRefunded(t, "order-r", 10000); o.Status != payresult.StatusRefunded {
					t.Errorf("after cancelling the rest: %s, want refunded", o.Status)
				}

				want := []payresult.EventType{payresult.EventPaid, payresult.EventPartiallyRefunded, payresult.EventPartiallyRefunded, payresult.EventRefunded}
				evs, err := st.OrderEvents(context.Background(), "order-r")
				if err != nil {
					t.Fatal(err)
				}
				var got []payresult.EventType
				for _, ev := range evs {
					got = append(got, ev.Type)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("events (-want +got):\n%s", diff)
				}
				deliverAll(t, st, s.clock, evs)
			})
		})
	}
}

// deliverAll runs a worker until the app has every event of evs, once,
// signed.
func deliverAll(t *testing.T, st payresult.Store, c *fakeclock.Clock, evs []payresult.Event) {
	t.Helper()
	a := newApp(t, c, func(int, *http.Request) int { return http.StatusOK })
	w := newWorker(st, c, a.srv.URL)
	for n := 1; n > 0; {
		var err error
		if n, err = w.Step(context.Background()); err != nil {
			t.Fatalf("Step: %v", err)
		}
	}
	got := map[string]int{}
	for _, r := range a.requests() {
		if r.verifyErr != nil {
			t.Errorf("event %s: signature does not verify: %v", r.id, r.verifyErr)
		}
		got[r.id]++
	}
	for _, ev := range evs {
		if got[ev.ID] != 1 {
			t.Errorf("event %s (%s) reached the app %d times, want once", ev.ID, ev.Type, got[ev.ID])
		}
	}
}

// lostAnswer lets POST /payments/cancel through to PortOne once, then
// tells the client it timed out: the refund happened, but payresult
// cannot know.
type lostAnswer struct {
	mu   sync.Mutex
	lost int
}

var errTimeout = errors.New("i/o timeout (the answer was lost)")

func (l *lostAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/payments/cancel") {
		return res, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost > 0 {
		return res, nil
	}
	l.lost++
	res.Body.Close()
	return nil, &timeoutError{}
}

// timeoutError looks like a client timeout to net/http's callers.
type timeoutError struct{}

func (*timeoutError) Error() string   { return errTimeout.Error() }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return true }

// TestRefundRetriedAfterTimeoutRefundsOnce: the app's refund reaches
// PortOne but the answer is lost; the app retries the same request, and
// PortOne refunds once, thanks to the checksum.
func TestRefundRetriedAfterTimeoutRefundsOnce(t *testing.T) {
	tests := []struct {
		name       string
		amount     int64
		wantStatus payresult.Status
		wantEvent  payresult.EventType
	}{
		{"partial", 3000, payresult.StatusPartiallyRefunded, payresult.EventPartiallyRefunded},
		{"full", 10000, payresult.StatusRefunded, payresult.EventRefunded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, st payresult.Store) {
				lost := &lostAnswer{}
				s := newShop(t, st, emulator.Config{}, lost)
				imp := s.paidOrder(t, "order-t", 10000)
				ctx := context.Background()

				_, err := s.proc.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-t", Amount: portone.Won(tt.amount), Reason: "retry test"})
				if !payresult.IsTransient(err) {
					t.Fatalf("Refund with the answer lost = %v, want a transient error", err)
				}
				if lost.lost != 1 {
					t.Fatalf("the cancel answer was lost %d times, want once", lost.lost)
				}
				o, err := s.proc.Refund(ctx, payresult.RefundRequest{MerchantUID: "order-t", Amount: portone.Won(tt.amount), Reason: "retry test"})
				if err != nil {
					t.Fatalf("retried Refund: %v", err)
				}
				if o.Status != tt.wantStatus || o.RefundedAmount != portone.Won(tt.amount) {
					t.Errorf("after the retry: %s with %s refunded, want %s with %d", o.Status, o.RefundedAmount, tt.wantStatus, tt.amount)
				}
				p, _ := s.emu.Payment(imp)
				if p.CancelAmount != portone.Won(tt.amount) || len(p.CancelHistory) != 1 || s.emu.CancelCalls(imp) != 1 {
					t.Errorf("at PortOne: cancel_amount %s, %d cancels (%d by API); want %d, once", p.CancelAmount, len(p.CancelHistory), s.emu.CancelCalls(imp), tt.amount)
				}
				evs, err := st.OrderEvents(ctx, "order-t")
				if err != nil {
					t.Fatal(err)
				}
				var got []payresult.EventType
				for _, ev := range evs {
					got = append(got, ev.Type)
				}
				if diff := cmp.Diff([]payresult.EventType{payresult.EventPaid, tt.wantEvent}, got); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			})
		})
	}
}
