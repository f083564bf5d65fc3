package payresult_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// TestTestPaymentsNeedAcceptTestPayments checks the safe default of the Go
// API: a payment made on a PortOne test channel never settles an order
// unless the Processor says AcceptTestPayments.
func TestTestPaymentsNeedAcceptTestPayments(t *testing.T) {
	t.Parallel()
	for _, accept := range []bool{false, true} {
		e := newSQLiteEnv(t)
		e.p.AcceptTestPayments = accept
		e.order(t, "order-a")
		p := payment("imp_1", "order-a", 10000, portone.StatusPaid)
		p.Sandbox = true
		e.pg.put(p)
		res, err := e.p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_1"})
		want := payresult.StatusPending
		if accept {
			want = payresult.StatusPaid
		} else {
			wantKind(t, err, payresult.KindMismatch)
			if res == nil || res.Outcome != payresult.OutcomeRefused {
				t.Errorf("AcceptTestPayments false: Result %+v, want outcome refused", res)
			}
		}
		if got := e.stored(t, "order-a").Status; got != want {
			t.Errorf("AcceptTestPayments %t: order is %s, want %s", accept, got, want)
		}
	}
}

// TestDefaultLoggers checks that a Processor and the handlers without a
// Logger log alike, to slog.Default(): a forged payment is not left
// unsaid because the Processor was built without one. It changes the
// default logger, so it does not run in parallel.
func TestDefaultLoggers(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	e := newSQLiteEnv(t)
	e.order(t, "order-a")
	e.pg.put(payment("imp_1", "order-a", 100, portone.StatusPaid)) // 100 KRW for a 10,000 KRW order
	h := &payresult.WebhookHandler{Processor: e.p}
	req := httptest.NewRequest(http.MethodPost, "/portone/webhook", strings.NewReader(`{"imp_uid":"imp_1","merchant_uid":"order-a","status":"paid"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	for _, want := range []string{
		`msg="forged payment"`,   // the Processor's
		`msg="notice confirmed"`, // the handler's
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("slog.Default() got no %s; it got:\n%s", want, buf.String())
		}
	}
}
