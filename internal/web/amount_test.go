package web

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestExactAmountsOverHTTP sends the app API amounts it must refuse: a
// fraction of a currency's minor unit (half a won), a currency ISO 4217
// does not list, an amount sent as a JSON string, and a body that gives
// the amount twice. Each is a 400 whose message names the field, and
// none changes anything: no order, no refund, no cancel at PortOne.
func TestExactAmountsOverHTTP(t *testing.T) {
	e := newHardEnv(t)
	tests := []struct {
		name, path, body string
		says             string
	}{
		{"refund of half a won", "/api/orders/hard-paid/refund", `{"amount":0.5}`, "refund amount 0.5 is not a whole number: KRW has no minor unit"},
		{"refund of won and a fraction", "/api/orders/hard-paid/refund", `{"amount":100.25}`, "refund amount 100.25 is not a whole number"},
		{"refund amount as a string", "/api/orders/hard-paid/refund", `{"amount":"1000"}`, `amount: a JSON string ("1000") where a number belongs`},
		{"refund amount given twice", "/api/orders/hard-paid/refund", `{"amount":1000,"amount":4000}`, `the key "amount" appears twice`},
		{"order of half a won", "/api/orders", `{"merchant_uid":"o1","name":"n","amount":1000.5}`, "amount 1000.5 is not a whole number: KRW has no minor unit"},
		{"order of a tenth of a cent", "/api/orders", `{"merchant_uid":"o1","name":"n","amount":12.345,"currency":"USD"}`, "amount 12.345 has more than 2 decimals: USD counts to 0.01"},
		{"order in no currency", "/api/orders", `{"merchant_uid":"o1","name":"n","amount":1000,"currency":"ABC"}`, `currency "ABC" is not an ISO 4217 currency code`},
		{"order amount as a string", "/api/orders", `{"merchant_uid":"o1","name":"n","amount":"1000"}`, `amount: a JSON string ("1000") where a number belongs; send 1000 without quotes`},
		{"order name given twice", "/api/orders", `{"merchant_uid":"o1","name":"n","name":"m","amount":1000}`, `the key "name" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+hardAPIKey)
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			var body errorBody
			if rec.Code != 400 || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code != "invalid" {
				t.Fatalf("answer %d %s, want 400 invalid", rec.Code, rec.Body)
			}
			if !strings.Contains(body.Error.Message, tt.says) {
				t.Errorf("message %q does not say %q", body.Error.Message, tt.says)
			}
			if after := e.snapshot(t); after != before {
				t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	if got := e.em.CancelCalls(e.paidImp); got != 0 {
		t.Errorf("PortOne got %d cancels, want 0", got)
	}
}
