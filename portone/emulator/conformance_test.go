package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// paymentSchema is PortOne's PaymentAnnotation (the V1 OpenAPI document),
// field by field, with the JSON type each must have. nullable marks the
// strings that the protocol reference (§3.7) documents as null when unset;
// every other field is always present with its type.
var paymentSchema = map[string]struct {
	typ      string
	nullable bool
}{
	"imp_uid": {"string", false}, "merchant_uid": {"string", false}, "pay_method": {"string", false},
	"channel": {"string", true}, "pg_provider": {"string", true}, "emb_pg_provider": {"string", true},
	"pg_tid": {"string", true}, "pg_id": {"string", true}, "sandbox": {"boolean", false},
	"escrow": {"boolean", false}, "apply_num": {"string", true}, "bank_code": {"string", true},
	"bank_name": {"string", true}, "card_code": {"string", true}, "card_name": {"string", true},
	"card_issuer_code": {"string", true}, "card_issuer_name": {"string", true},
	"card_publisher_code": {"string", true}, "card_publisher_name": {"string", true},
	"card_quota": {"integer", false}, "card_number": {"string", true}, "card_type": {"integer", true},
	"vbank_code": {"string", true}, "vbank_name": {"string", true}, "vbank_num": {"string", true},
	"vbank_holder": {"string", true}, "vbank_date": {"integer", false}, "vbank_issued_at": {"integer", false},
	"name": {"string", true}, "amount": {"number", false}, "cancel_amount": {"number", false},
	"currency": {"string", false}, "buyer_name": {"string", true}, "buyer_email": {"string", true},
	"buyer_tel": {"string", true}, "buyer_addr": {"string", true}, "buyer_postcode": {"string", true},
	"custom_data": {"string", true}, "user_agent": {"string", true}, "status": {"string", false},
	"started_at": {"integer", false}, "paid_at": {"integer", false}, "failed_at": {"integer", false},
	"cancelled_at": {"integer", false}, "fail_reason": {"string", true}, "cancel_reason": {"string", true},
	"receipt_url": {"string", true}, "cancel_history": {"array", false},
	"cancel_receipt_urls": {"array", false}, "cash_receipt_issued": {"boolean", false},
	"customer_uid": {"string", true}, "customer_uid_usage": {"string", true}, "promotion": {"object", true},
}

// optionalFields may be absent: deposit_history only appears for fixed
// virtual accounts (the protocol reference could not confirm its empty
// form), and then must be an array.
var optionalFields = map[string]string{"deposit_history": "array"}

// cancelSchema is PaymentCancelAnnotation.
var cancelSchema = map[string]struct {
	typ      string
	nullable bool
}{
	"pg_tid": {"string", false}, "amount": {"number", false}, "cancelled_at": {"integer", false},
	"reason": {"string", false}, "cancellation_id": {"string", false}, "receipt_url": {"string", true},
}

// jsonType names the JSON type of v as the OpenAPI document does.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func typeOK(got, want string, nullable bool) bool {
	return got == want || (want == "number" && got == "integer") || (nullable && got == "null")
}

// checkSchema reports every field of obj that is missing or mistyped.
func checkSchema(t *testing.T, where string, obj map[string]any, schema map[string]struct {
	typ      string
	nullable bool
}) {
	t.Helper()
	for field, want := range schema {
		v, ok := obj[field]
		if !ok {
			t.Errorf("%s: field %s is missing", where, field)
			continue
		}
		if got := jsonType(v); !typeOK(got, want.typ, want.nullable) {
			t.Errorf("%s: field %s is %s, want %s (nullable %v)", where, field, got, want.typ, want.nullable)
		}
	}
}

// TestPaymentConformance checks every payment JSON the emulator emits in
// a run through its flows against PortOne's Payment schema.
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
	_, cancelled := serve(t, e, apiCall{method: "POST", path: "/payments/cancel", header: auth, body: `{"imp_uid":"imp_803037736674","amount":40}`})
	bodies = append(bodies, cancelled)
	get("/payments/findAll/ph27")
	get("/payments/status/all")
	get("/payments?imp_uid[]=imp_100000000002")
	checked := 0
	for _, body := range bodies {
		for _, p := range paymentObjects(t, body) {
			checked++
			checkSchema(t, fmt.Sprint(p["imp_uid"]), p, paymentSchema)
			for field, typ := range optionalFields {
				if v, ok := p[field]; ok && jsonType(v) != typ {
					t.Errorf("%v: optional field %s is %s, want %s", p["imp_uid"], field, jsonType(v), typ)
				}
			}
			for _, c := range p["cancel_history"].([]any) {
				checkSchema(t, fmt.Sprint(p["imp_uid"], " cancel_history"), c.(map[string]any), cancelSchema)
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
