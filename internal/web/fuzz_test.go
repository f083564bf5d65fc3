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
)

// fuzzAPIEndpoints are the app API's JSON inputs.
var fuzzAPIEndpoints = []string{"/api/orders", "/api/orders/hard-paid/refund"}

// FuzzAPIJSON feeds the app API's JSON endpoints (order registration and
// refunds) arbitrary bodies. Every answer is JSON with a documented
// status, never 5xx (PortOne is the in-process emulator, always up); a
// refused request changes nothing; a registered order is stored as
// answered; and a refund leaves payresult agreeing with PortOne's
// cancel_amount.
func FuzzAPIJSON(f *testing.F) {
	for _, s := range []struct {
		which uint8
		body  string
	}{
		{0, `{"merchant_uid":"f-1","name":"책","amount":12000}`},
		{0, `{"merchant_uid":"f-2","name":"usd","amount":12.5,"currency":"usd","success_url":"https://shop.example/ok","fail_url":"https://shop.example/no"}`},
		{0, `{"merchant_uid":"hard-paid","name":"seed","amount":5000}`},
		{0, `{"merchant_uid":"f-3","name":"\u0000","amount":1e3}`},
		{0, `{"merchant_uid":"f-4","name":"n","amount":1000,"currency":"KRW","extra":1}`},
		{0, `{"merchant_uid":"f-5","name":"n","amount":10.12345}`},
		{0, `{"merchant_uid":"f-6","name":"n","amount":9223372036854775807}`},
		{1, `{"amount":1000,"reason":"부분 환불"}`},
		{1, `{}`},
		{1, `{"amount":0.5}`},
		{1, `{"amount":999999999}`},
		{1, `{"reason":"` + strings.Repeat("r", 300) + `"}`},
	} {
		f.Add(s.which, []byte(s.body))
	}
	e := newHardEnv(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := fuzzAPIEndpoints[int(which)%len(fuzzAPIEndpoints)]
		before := e.snapshot(t)
		req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+hardAPIKey)
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusCreated:
			checkAccepted(t, e, path, rec.Body.Bytes())
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			var eb errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("%s: status %d without a JSON error: %q", path, rec.Code, rec.Body)
			}
			if after := e.snapshot(t); after != before {
				t.Fatalf("%s: refused with %d (%s), and the state changed", path, rec.Code, eb.Error.Message)
			}
		default:
			t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
		}
	})
}

// checkAccepted checks an accepted request against the store and
// PortOne's ledger.
func checkAccepted(t *testing.T, e *hardEnv, path string, body []byte) {
	t.Helper()
	var got payresult.Order
	if err := json.Unmarshal(body, &got); err != nil || got.MerchantUID == "" {
		t.Fatalf("%s: accepted with a body that is not an order: %q", path, body)
	}
	stored, err := e.store.Order(context.Background(), got.MerchantUID)
	if err != nil {
		t.Fatalf("%s: answered order %s, which the store lacks: %v", path, got.MerchantUID, err)
	}
	if stored.Status != got.Status || stored.Amount != got.Amount || stored.Currency != got.Currency || stored.RefundedAmount != got.RefundedAmount {
		t.Fatalf("%s: answered %+v, stored %+v", path, got, *stored)
	}
	if path == fuzzAPIEndpoints[0] {
		return
	}
	var refunded portone.Amount
	for _, p := range e.em.Payments() {
		if p.ImpUID == stored.ImpUID {
			refunded = p.CancelAmount
		}
	}
	if refunded != stored.RefundedAmount {
		t.Fatalf("refund: PortOne has %s cancelled, payresult %s", refunded, stored.RefundedAmount)
	}
}
