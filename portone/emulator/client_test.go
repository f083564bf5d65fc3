package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult/internal/fakeclock"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// clientFixture serves an emulator over HTTP and returns a client of the
// repo's own portone package pointed at it.
func clientFixture(t *testing.T) (*emulator.Emulator, *portone.Client, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	e := emulator.New(emulator.Config{Seed: 7, Now: clk.Now})
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.Close(); e.Close() })
	c := &portone.Client{BaseURL: srv.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret,
		Now: clk.Now, MaxRetries: -1}
	return e, c, clk
}

func put(t *testing.T, e *emulator.Emulator, p portone.Payment) portone.Payment {
	t.Helper()
	got, err := e.Put(p)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func paid(merchantUID string, amount int64, started time.Time) portone.Payment {
	return portone.Payment{
		MerchantUID: merchantUID, Amount: portone.Won(amount), Status: portone.StatusPaid,
		PayMethod: portone.PayMethodCard, StartedAt: portone.TimeOf(started), PaidAt: portone.TimeOf(started) + 30,
		PGProvider: portone.NewNullString("html5_inicis"), PGTID: portone.NewNullString("StdpayCARDINIpayTest0001"),
		Name: portone.NewNullString("주문 /1"),
	}
}

// TestClientAgainstEmulator runs the repo's portone.Client through all of
// its behaviour against the emulator.
func TestClientAgainstEmulator(t *testing.T) {
	ctx := context.Background()
	e, c, clk := clientFixture(t)
	now := clk.Now()
	first := put(t, e, portone.Payment{MerchantUID: "order-1", Amount: portone.Won(5000), Status: portone.StatusFailed,
		StartedAt: portone.TimeOf(now) - 100, FailedAt: portone.TimeOf(now) - 90, FailReason: portone.NewNullString("거절")})
	good := put(t, e, paid("order-1", 5000, now.Add(-50*time.Second)))
	sb := paid("order-sb", 1000, now)
	sb.Sandbox = true
	sandbox := put(t, e, sb)

	t.Run("token", func(t *testing.T) {
		tok, err := c.Token(ctx)
		if err != nil || len(tok) != 40 {
			t.Fatalf("Token = %q, %v; want 40 hex characters", tok, err)
		}
		bad := &portone.Client{BaseURL: c.BaseURL, Key: emulator.DefaultAPIKey, Secret: "wrong", MaxRetries: -1}
		if _, err := bad.Token(ctx); !portone.IsUnauthorized(err) {
			t.Errorf("wrong secret: err = %v, want unauthorized", err)
		}
	})
	t.Run("payment", func(t *testing.T) {
		got, err := c.Payment(ctx, good.ImpUID, false)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(good, *got, cmp.AllowUnexported(portone.Amount{})); diff != "" {
			t.Errorf("Payment mismatch (-want +got):\n%s", diff)
		}
		if _, err := c.Payment(ctx, "imp_000000000000", false); !portone.IsNotFound(err) {
			t.Errorf("unknown imp_uid: err = %v, want not found", err)
		}
		if _, err := c.Payment(ctx, sandbox.ImpUID, false); !portone.IsNotFound(err) {
			t.Errorf("sandbox without include_sandbox: err = %v, want not found", err)
		}
		if p, err := c.Payment(ctx, sandbox.ImpUID, true); err != nil || !p.Sandbox {
			t.Errorf("sandbox with include_sandbox: %v, %v", p, err)
		}
	})
	t.Run("token renewed after expiry", func(t *testing.T) {
		before, _ := c.Token(ctx)
		clk.Advance(31 * time.Minute)
		if _, err := c.Payment(ctx, good.ImpUID, false); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if after, _ := c.Token(ctx); after == before {
			t.Errorf("token %s was not renewed after expiry", after)
		}
	})
	t.Run("payments", func(t *testing.T) {
		list, err := c.Payments(ctx, []string{good.ImpUID, first.ImpUID}, nil)
		if err != nil || len(list) != 2 {
			t.Errorf("all found: %d payments, %v", len(list), err)
		}
		list, err = c.Payments(ctx, []string{good.ImpUID, "imp_000000000000"}, nil)
		var pe *portone.PartialError
		if !errors.As(err, &pe) || len(list) != 1 || fmt.Sprint(pe.MissingImpUIDs) != "[imp_000000000000]" {
			t.Errorf("some found: %d payments, %v", len(list), err)
		}
		if _, err := c.Payments(ctx, []string{"imp_000000000000"}, nil); !portone.IsNotFound(err) {
			t.Errorf("none found: %v", err)
		}
	})
	t.Run("find", func(t *testing.T) {
		cases := []struct {
			status portone.Status
			want   string
		}{{"", good.ImpUID}, {portone.StatusPaid, good.ImpUID}, {portone.StatusFailed, first.ImpUID}}
		for _, tc := range cases {
			p, err := c.FindPayment(ctx, "order-1", tc.status)
			if err != nil || p.ImpUID != tc.want {
				t.Errorf("FindPayment(%q) = %v, %v; want %s", tc.status, p, err, tc.want)
			}
		}
		if _, err := c.FindPayment(ctx, "order-1", portone.StatusCancelled); !portone.IsNotFound(err) {
			t.Errorf("FindPayment cancelled: %v, want not found", err)
		}
	})
	t.Run("paging", func(t *testing.T) {
		for i := range 25 {
			put(t, e, paid("order-many", 100, now.Add(time.Duration(i)*time.Second)))
		}
		seen := 0
		for page := 1; page != 0; {
			pp, err := c.FindAllPayments(ctx, "order-many", "", portone.ListQuery{Page: page, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			seen += len(pp.List)
			page = pp.Next
		}
		if seen != 25 {
			t.Errorf("FindAllPayments pages held %d payments, want 25", seen)
		}
		pp, err := c.PaymentsByStatus(ctx, "paid", portone.ListQuery{Limit: 1000})
		if err != nil || pp.Total != 27 || pp.Next != 0 {
			t.Errorf("PaymentsByStatus(paid) total %v, err %v; want 27 in one page", pp, err)
		}
		if _, err := c.FindAllPayments(ctx, "nobody", "", portone.ListQuery{}); !portone.IsNotFound(err) {
			t.Errorf("FindAllPayments unknown: %v", err)
		}
	})
	t.Run("prepare", func(t *testing.T) {
		if _, err := c.Prepare(ctx, "order-2", portone.Won(12000), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Prepare(ctx, "order-2", portone.Won(13000), ""); !portone.IsAlreadyPrepared(err) {
			t.Errorf("second Prepare with another amount: %v, want already prepared", err)
		}
		if p, err := c.UpdatePrepared(ctx, "order-2", portone.Won(14000), "KRW"); err != nil || p.Amount != portone.Won(14000) {
			t.Errorf("UpdatePrepared = %v, %v", p, err)
		}
		if p, err := c.PreparedAmount(ctx, "order-2"); err != nil || p.Amount != portone.Won(14000) {
			t.Errorf("PreparedAmount = %v, %v", p, err)
		}
		if _, err := c.PreparedAmount(ctx, "order-3"); !portone.IsNotFound(err) {
			t.Errorf("PreparedAmount unknown: %v", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		part := portone.Won(2000)
		p, err := c.Cancel(ctx, &portone.CancelRequest{ImpUID: good.ImpUID, Amount: &part, Checksum: portone.AmountPtr(portone.Won(5000)), Reason: "부분환불"})
		if err != nil || p.CancelAmount != part || len(p.CancelHistory) != 1 || p.CancelHistory[0].CancellationID == "" {
			t.Fatalf("partial cancel = %+v, %v", p, err)
		}
		_, err = c.Cancel(ctx, &portone.CancelRequest{ImpUID: good.ImpUID, Checksum: portone.AmountPtr(portone.Won(5000))})
		if !portone.IsChecksumMismatch(err) {
			t.Errorf("stale checksum: %v, want checksum mismatch", err)
		}
		p, err = c.Cancel(ctx, &portone.CancelRequest{MerchantUID: "order-1", Checksum: portone.AmountPtr(portone.Won(3000))})
		if err != nil || p.Status != portone.StatusCancelled || p.Cancellable() != (portone.Amount{}) {
			t.Errorf("cancel the rest = %v, %v", p, err)
		}
		if _, err := c.Cancel(ctx, &portone.CancelRequest{ImpUID: good.ImpUID}); !portone.IsAlreadyCancelled(err) {
			t.Errorf("cancel again: %v, want already cancelled", err)
		}
		if _, err := c.Cancel(ctx, &portone.CancelRequest{ImpUID: "imp_000000000000"}); !portone.IsNotFound(err) {
			t.Errorf("cancel unknown: %v, want not found", err)
		}
		if got := e.CancelCalls(good.ImpUID); got != 2 {
			t.Errorf("CancelCalls = %d, want 2", got)
		}
	})
}
