package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// TestRefundToAccountOverHTTP refunds an order paid into a virtual account
// through the app API: refused with a clear error without the buyer's
// account, refunded with it.
func TestRefundToAccountOverHTTP(t *testing.T) {
	e := newHardEnv(t)
	ctx := context.Background()
	if _, _, err := e.proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: "vb-1", Name: "beans", Amount: portone.Won(10000)}); err != nil {
		t.Fatal(err)
	}
	res, err := e.em.Pay(emulator.PaymentRequest{MerchantUID: "vb-1", Amount: portone.Won(10000), PayMethod: portone.PayMethodVbank}, emulator.OutcomeVbankIssued)
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
	if _, err := e.em.Deposit(res.Payment.ImpUID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceApp, ImpUID: res.Payment.ImpUID}); err != nil {
		t.Fatal(err)
	}
	rec := e.refund("vb-1", `{"amount":4000}`)
	wantNeedsAccount(t, rec)

	rec = e.refund("vb-1", `{"amount":4000,"refund_holder":"홍길동","refund_bank":"88","refund_account":"110-123-456789"}`)
	var o payresult.Order
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &o) != nil {
		t.Fatalf("refund to an account: %d %s; want 200 and the order", rec.Code, rec.Body)
	}
	if o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(4000) {
		t.Errorf("order after the refund: %s, refunded %s; want partially_refunded, 4000", o.Status, o.RefundedAmount)
	}
	if got := e.em.CancelCalls(res.Payment.ImpUID); got != 1 {
		t.Errorf("PortOne got %d cancels, want 1", got)
	}
}

// TestGiveBackForgedDepositOverHTTP gives back a forged amount deposited
// into a virtual account through the refund endpoint: payresult never
// cancels it by itself (PortOne would refuse without the buyer's
// account), and the app's refund with the account cancels it in full.
func TestGiveBackForgedDepositOverHTTP(t *testing.T) {
	e := newHardEnv(t)
	ctx := context.Background()
	if _, _, err := e.proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: "vb-f", Name: "beans", Amount: portone.Won(10000)}); err != nil {
		t.Fatal(err)
	}
	dep, err := e.em.Put(portone.Payment{MerchantUID: "vb-f", Amount: portone.Won(100), Currency: "KRW",
		Status: portone.StatusPaid, PayMethod: portone.PayMethodVbank})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: dep.ImpUID})
	if err != nil || res.Order.Status != payresult.StatusForged || res.Order.ForgeryCancelled {
		t.Fatalf("Confirm = %+v, %v; want forged, not cancelled", res, err)
	}

	wantNeedsAccount(t, e.refund("vb-f", `{}`))
	rec := e.refund("vb-f", `{"refund_holder":"홍길동","refund_bank":"88","refund_account":"110-123-456789"}`)
	var o payresult.Order
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &o) != nil {
		t.Fatalf("refund to an account: %d %s; want 200 and the order", rec.Code, rec.Body)
	}
	if o.Status != payresult.StatusForged || !o.ForgeryCancelled {
		t.Errorf("order after the refund: %s, forgery cancelled %t; want forged, true", o.Status, o.ForgeryCancelled)
	}
	if pay, _ := e.em.Payment(dep.ImpUID); e.em.CancelCalls(dep.ImpUID) != 1 || pay.CancelAmount != portone.Won(100) {
		t.Errorf("PortOne: %d cancels, cancelled %s; want 1 cancel of the whole 100", e.em.CancelCalls(dep.ImpUID), pay.CancelAmount)
	}
}

// refund posts body to the refund endpoint of order m.
func (e *hardEnv) refund(m, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/orders/"+m+"/refund", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+hardAPIKey)
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

// wantNeedsAccount checks that rec refuses a refund for want of the
// buyer's bank account, with a 400 that names refund_account.
func wantNeedsAccount(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var fail errorBody
	if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &fail) != nil ||
		fail.Error.Code != "invalid" || !strings.Contains(fail.Error.Message, "refund_account") {
		t.Fatalf("refund without an account: %d %s; want 400 invalid naming refund_account", rec.Code, rec.Body)
	}
}
