package emulator

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/payresult/payresult/portone"
)

// TestParallelCancelsWithChecksumCancelOnce sends 1,000 identical full
// cancels with the right checksum at once: exactly one may succeed, and
// every other must be refused without touching the payment.
func TestParallelCancelsWithChecksumCancelOnce(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	mustPut(t, e, cardPayment("imp_300000000001", "race-1", portone.TimeOf(t0)-60))
	tok := token(t, e)
	const n = 1000
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Go(func() {
			_, body := serve(t, e, apiCall{method: "POST", path: "/payments/cancel",
				header: map[string]string{"Authorization": "Bearer " + tok},
				body:   `{"imp_uid":"imp_300000000001","checksum":100,"reason":"refund"}`})
			codes[i] = body[:strings.Index(body, ",")]
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == `{"code":0` {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d cancels succeeded, want exactly 1", ok)
	}
	if got := e.CancelCalls("imp_300000000001"); got != 1 {
		t.Errorf("CancelCalls = %d, want 1", got)
	}
	p, _ := e.Payment("imp_300000000001")
	if len(p.CancelHistory) != 1 || p.CancelAmount != portone.Won(100) || p.Status != portone.StatusCancelled {
		t.Errorf("after the race: history %d, cancel_amount %s, status %s; want 1, 100, cancelled",
			len(p.CancelHistory), p.CancelAmount, p.Status)
	}
}

// TestPartialCancelStatusSwitch checks both readings of a partial cancel
// (protocol reference §10 item 1).
func TestPartialCancelStatusSwitch(t *testing.T) {
	tests := []struct {
		name        string
		keepsPaid   bool
		amount      int64
		wantStatus  portone.Status
		wantBalance int64
	}{
		{"partial is cancelled by default", false, 30, portone.StatusCancelled, 70},
		{"partial keeps paid when switched", true, 30, portone.StatusPaid, 70},
		{"full is cancelled either way", true, 100, portone.StatusCancelled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEmulator(t, Config{PartialCancelKeepsPaid: tt.keepsPaid})
			mustPut(t, e, cardPayment("imp_300000000002", "partial-1", portone.TimeOf(t0)-60))
			amt := portone.Won(tt.amount)
			p, err := e.cancel(cancelArgs{impUID: "imp_300000000002", amount: &amt})
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.wantStatus || p.Cancellable() != portone.Won(tt.wantBalance) {
				t.Errorf("status %s, cancellable %s; want %s, %d", p.Status, p.Cancellable(), tt.wantStatus, tt.wantBalance)
			}
		})
	}
}

// TestCancelVbankNeedsRefundAccount checks that an API refund of a paid
// virtual account needs the refund account, as PortOne requires.
func TestCancelVbankNeedsRefundAccount(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	p := cardPayment("imp_300000000003", "vb-paid", portone.TimeOf(t0)-60)
	p.PayMethod = portone.PayMethodVbank
	mustPut(t, e, p)
	tok := token(t, e)
	for _, tt := range []struct {
		name, body string
		wantCode   string
	}{
		{"without account", `{"imp_uid":"imp_300000000003"}`, `{"code":-1`},
		{"with account", `{"imp_uid":"imp_300000000003","refund_holder":"홍길동","refund_bank":"88","refund_account":"110123456789"}`, `{"code":0`},
	} {
		status, body := serve(t, e, apiCall{method: "POST", path: "/payments/cancel", body: tt.body,
			header: map[string]string{"Authorization": tok}})
		if status != http.StatusOK || !strings.HasPrefix(body, tt.wantCode) {
			t.Errorf("%s: %d %s, want 200 and %s", tt.name, status, body, tt.wantCode)
		}
	}
}
