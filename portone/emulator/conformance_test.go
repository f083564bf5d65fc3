package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// neverNull are the fields of a payment that PortOne's schema does not
// require but that PortOne always writes with a value (the protocol
// reference, §3.7): unset times are 0, lists are [], flags are false.
// The schema check allows null in every field it does not require, so
// these are checked on top of it.
var neverNull = []string{"pay_method", "escrow", "card_quota", "vbank_date", "vbank_issued_at", "started_at",
	"paid_at", "failed_at", "cancelled_at", "cancel_history", "cancel_receipt_urls", "cash_receipt_issued"}

// TestPaymentConformance checks every payment JSON the emulator emits in
// a run through its flows against PortOne's V1 schema, and the fields
// PortOne never leaves null.
func TestPaymentConformance(t *testing.T) {
	e, tok := restFixture(t)
	auth := map[string]string{"Authorization": tok}
	var bodies []string
	get := func(path string) {
		c := apiCall{method: "GET", path: path, header: auth}
		status, body := serve(t, e, c)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		checkV1Answer(t, c, status, body)
		bodies = append(bodies, body)
	}
	get("/payments/imp_803037736674")
	get("/payments/imp_100000000004")
	cancel := apiCall{method: "POST", path: "/payments/cancel", header: auth, body: `{"imp_uid":"imp_803037736674","amount":40}`}
	status, cancelled := serve(t, e, cancel)
	checkV1Answer(t, cancel, status, cancelled)
	bodies = append(bodies, cancelled)
	get("/payments/findAll/ph27")
	get("/payments/status/all")
	get("/payments?imp_uid[]=imp_100000000002")
	checked := 0
	for _, body := range bodies {
		for _, p := range paymentObjects(t, body) {
			checked++
			for _, field := range neverNull {
				if v, ok := p[field]; !ok || v == nil {
					t.Errorf("%v: field %s is %v, want a value", p["imp_uid"], field, v)
				}
			}
		}
	}
	if checked < 8 {
		t.Errorf("checked %d payments, want at least 8", checked)
	}
}

// paymentObjects finds the payments in an envelope: the response itself,
// a list, or a page's list.
func paymentObjects(t *testing.T, body string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var env struct {
		Response any `json:"response"`
	}
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	var out []map[string]any
	var add func(v any)
	add = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, el := range x {
				add(el)
			}
		case map[string]any:
			if list, ok := x["list"]; ok {
				add(list)
				return
			}
			out = append(out, x)
		}
	}
	add(env.Response)
	return out
}
