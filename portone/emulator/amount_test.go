package emulator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/payresult/payresult/portone"
)

// TestExactAmounts sends amounts into every entry of the sandbox: those
// that are not a whole number of their currency's minor unit, JSON
// strings where a number belongs and bodies with a repeated key are
// refused with a message naming the field, and change nothing; form
// bodies, whose values are all strings, are read as PortOne reads them.
func TestExactAmounts(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	tok := token(t, e)
	auth := map[string]string{"Authorization": tok}
	paid, err := e.Pay(PaymentRequest{MerchantUID: "exact-1", Amount: portone.Won(1000)}, OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	impUID := paid.Payment.ImpUID
	form := contentTypeForm
	tests := []struct {
		name       string
		call       apiCall
		wantStatus int
		want       string // in the answer; "" for a success
	}{
		{"prepare: a string amount", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-1","amount":"1000"}`}, 400, `amount: a JSON string`},
		{"prepare: half a won", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-1","amount":0.5}`}, 400, `amount: 0.5 is not a whole number`},
		{"prepare: half a won, no currency given", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-1","amount":0.5,"currency":"KRW"}`}, 400, `amount: 0.5`},
		{"prepare: a tenth of a cent", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-1","amount":10.005,"currency":"USD"}`}, 400, `amount: 10.005`},
		{"prepare: half a yen", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-1","amount":100.5,"currency":"JPY"}`}, 400, `amount: 100.5`},
		{"prepare: an unknown currency", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-1","amount":100,"currency":"WON"}`}, 400, `currency`},
		{"prepare: a repeated key", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-1","amount":1000,"amount":1}`}, 400, `"amount" appears twice`},
		{"prepare: a repeated form key", apiCall{method: "POST", path: "/payments/prepare", body: `merchant_uid=p-1&amount=1000&amount=1`, contentType: form}, 400, `"amount" appears 2 times`},
		{"prepare: cents", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"p-usd","amount":10.05,"currency":"USD"}`}, 200, ""},
		{"prepare: a form's string amount", apiCall{method: "POST", path: "/payments/prepare", body: `merchant_uid=p-form&amount=1000`, contentType: form}, 200, ""},
		{"update prepared: half a won", apiCall{method: "PUT", path: "/payments/prepare", body: `{"merchant_uid":"p-form","amount":999.5}`}, 400, `amount: 999.5`},
		{"cancel: a string amount", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"` + impUID + `","amount":"100"}`}, 400, `amount: a JSON string`},
		{"cancel: half a won", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"` + impUID + `","amount":0.5}`}, 200, `amount: 0.5 is not a whole number`},
		{"cancel: a checksum of half a won", apiCall{method: "POST", path: "/payments/cancel", body: `imp_uid=` + impUID + `&amount=100&checksum=1000.5`, contentType: form}, 200, `checksum: 1000.5`},
		{"cancel: a repeated key", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"` + impUID + `","amount":100,"amount":900}`}, 400, `"amount" appears twice`},
		{"control pay: half a won", apiCall{method: "POST", path: "/__emulator/payments", body: `{"merchant_uid":"c-1","amount":0.5}`}, 422, `amount: 0.5`},
		{"control pay: a string amount", apiCall{method: "POST", path: "/__emulator/payments", body: `{"merchant_uid":"c-1","amount":"1000"}`}, 400, `amount: a JSON string`},
		{"control pay: a repeated key", apiCall{method: "POST", path: "/__emulator/payments", body: `{"merchant_uid":"c-1","amount":1000,"outcome":"paid","outcome":"failed"}`}, 400, `"outcome" appears twice`},
		{"control cancel: half a won", apiCall{method: "POST", path: "/__emulator/payments/" + impUID + "/cancel", body: `{"amount":0.5}`}, 400, `amount: 0.5`},
		{"control cancel: a string amount", apiCall{method: "POST", path: "/__emulator/payments/" + impUID + "/cancel", body: `{"amount":"500"}`}, 400, `amount: a JSON string`},
		{"control put: a string amount", apiCall{method: "PUT", path: "/__emulator/payments/imp_000000000077", body: `{"merchant_uid":"c-2","amount":"1000","status":"paid"}`}, 400, `amount: a JSON string`},
		{"control put: half a won", apiCall{method: "PUT", path: "/__emulator/payments/imp_000000000077", body: `{"merchant_uid":"c-2","amount":1000.5,"status":"paid","currency":"KRW"}`}, 400, `amount: 1000.5`},
		{"window: half a won", apiCall{method: "POST", path: "/window/open", body: `{"merchant_uid":"w-1","amount":0.5}`, contentType: "text/plain"}, 200, `amount: 0.5`},
		{"window: a string amount", apiCall{method: "POST", path: "/window/open", body: `{"merchant_uid":"w-1","amount":"1000"}`, contentType: "text/plain"}, 200, `amount: a JSON string`},
		{"control pay: cents", apiCall{method: "POST", path: "/__emulator/payments", body: `{"merchant_uid":"c-usd","amount":12.34,"currency":"USD"}`}, 201, ""},
	}
	before := e.Payments()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.call
			if strings.HasPrefix(c.path, "/payments") {
				c.header = auth
			}
			status, body := serve(t, e, c)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			if tt.want != "" && !strings.Contains(answerText(body), tt.want) {
				t.Errorf("answer %s does not say %q", answerText(body), tt.want)
			}
		})
	}
	// Only the two good registrations and the cents payment were made.
	after := e.Payments()
	if len(after) != len(before)+1 || after[len(after)-1].MerchantUID != "c-usd" {
		t.Errorf("ledger after the refusals has %d payments, want %d plus c-usd", len(after), len(before))
	}
	if b, a := encodePayment(&before[0]), encodePayment(&after[0]); string(b) != string(a) {
		t.Errorf("a refused cancel changed the payment:\nbefore %s\nafter  %s", b, a)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if got := len(e.ledger.prepared); got != 2 {
		t.Errorf("%d prepared amounts, want 2 (p-usd, p-form): %v", got, e.ledger.prepared)
	}
	if p := e.ledger.prepared["p-form"]; p.Amount != portone.Won(1000) {
		t.Errorf("p-form is prepared at %s after a refused update, want 1000", p.Amount)
	}
}

// answerText is every string in a JSON answer, one a line, so that tests
// can look for a message whatever the escaping.
func answerText(body string) string {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return body
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x + "\n")
		case []any:
			for _, el := range x {
				walk(el)
			}
		case map[string]any:
			for _, el := range x {
				walk(el)
			}
		}
	}
	walk(v)
	return b.String()
}
