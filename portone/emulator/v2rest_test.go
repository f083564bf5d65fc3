package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult/internal/openapi"
	"github.com/payresult/payresult/portone/portonev2"
)

// v2Document is PortOne's V2 OpenAPI document (../shared/reference).
var v2Document = sync.OnceValues(func() (*openapi.Document, error) {
	doc, required, err := openapi.Reference("portone-v2.openapi.json")
	if err != nil && !required && errors.Is(err, openapi.ErrNoReference) {
		return nil, nil
	}
	return doc, err
})

// checkV2Answer checks one answer of the V2 REST API against PortOne's V2
// schema, field by field: a success against the operation's response
// schema, an error against the operation's error union for its status.
func checkV2Answer(t *testing.T, c apiCall, status int, body string) {
	t.Helper()
	doc, err := v2Document()
	if err != nil {
		t.Fatal(err)
	}
	if doc == nil {
		t.Skip("PortOne's V2 schema is not at ../shared/reference; set " + openapi.SchemasEnv)
	}
	u, err := url.Parse(c.path)
	if err != nil {
		t.Fatal(err)
	}
	schema, ok := doc.ResponseSchema(c.method, u.Path, status)
	if !ok {
		t.Errorf("%s %s: PortOne's V2 document has no answer with HTTP %d: %s", c.method, c.path, status, body)
		return
	}
	for _, p := range doc.Check(schema, []byte(body), openapi.Options{}) {
		t.Errorf("%s %s (HTTP %d) differs from PortOne's V2 schema: %s", c.method, c.path, status, p)
	}
}

// v2Fixture is an emulator with one V2 payment in each state a window
// can leave, paid, issued, failed, pending and ready, at the test clock.
func v2Fixture(t *testing.T) *Emulator {
	t.Helper()
	e, clock := newTestEmulator(t, Config{})
	for i, tt := range []struct {
		id, method string
		outcome    Outcome
	}{
		{"pay-card", "CARD", OutcomePaid},
		{"pay-vbank", "VIRTUAL_ACCOUNT", OutcomeVbankIssued},
		{"pay-declined", "CARD", OutcomeFailed},
		{"pay-pending", "EASY_PAY", OutcomePayPending},
		{"pay-left", "CARD", OutcomeAbandoned},
		{"pay-vbank-paid", "VIRTUAL_ACCOUNT", OutcomeVbankIssued},
	} {
		clock.Advance(time.Duration(i+1) * time.Minute)
		req := v2Request(tt.id, 15000)
		req.PayMethod = tt.method
		if _, err := e.PayV2(req, tt.outcome); err != nil {
			t.Fatalf("PayV2 %s: %v", tt.id, err)
		}
	}
	clock.Advance(time.Minute)
	if _, err := e.DepositV2("pay-vbank-paid"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	return e
}

// v2Request is a payment request of amount won on the test channel.
func v2Request(paymentID string, amount int64) V2PaymentRequest {
	return V2PaymentRequest{StoreID: DefaultV2StoreID, ChannelKey: DefaultV2ChannelKey, PaymentID: paymentID,
		OrderName: "테스트 주문 / test order", TotalAmount: amount, Currency: "KRW", PayMethod: "CARD",
		Customer: customer(), RedirectURL: "https://shop.example/pay/return?from=sandbox",
		CustomData: `{"cart":[1,2]}`, UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}
}

// TestV2RESTGolden walks the V2 REST API in one scenario and compares every
// answer, byte for byte, with golden JSON, and checks each against PortOne's
// V2 schema.
func TestV2RESTGolden(t *testing.T) {
	e := v2Fixture(t)
	secret := map[string]string{"Authorization": "PortOne " + DefaultV2APISecret}
	type step struct {
		name       string
		call       apiCall
		wantStatus int
	}
	login := apiCall{method: "POST", path: "/login/api-secret", body: `{"apiSecret":"` + DefaultV2APISecret + `"}`}
	status, body := serve(t, e, login)
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	var tokens struct{ AccessToken, RefreshToken string }
	json.Unmarshal([]byte(body), &tokens)
	bearer := map[string]string{"Authorization": "Bearer " + tokens.AccessToken}
	list := func(body string) string { return "/payments?requestBody=" + url.QueryEscape(body) }
	steps := []step{
		{"v2/login_missing_secret", apiCall{method: "POST", path: "/login/api-secret", body: `{}`}, 400},
		{"v2/login_wrong_secret", apiCall{method: "POST", path: "/login/api-secret", body: `{"apiSecret":"nope"}`}, 401},
		{"v2/refresh_unknown", apiCall{method: "POST", path: "/token/refresh", body: `{"refreshToken":"nope"}`}, 401},
		{"v2/payment_paid", apiCall{method: "GET", path: "/payments/pay-card", header: secret}, 200},
		{"v2/payment_paid_bearer", apiCall{method: "GET", path: "/payments/pay-card?storeId=" + DefaultV2StoreID, header: bearer}, 200},
		{"v2/payment_vbank_issued", apiCall{method: "GET", path: "/payments/pay-vbank", header: secret}, 200},
		{"v2/payment_vbank_deposited", apiCall{method: "GET", path: "/payments/pay-vbank-paid", header: secret}, 200},
		{"v2/payment_failed", apiCall{method: "GET", path: "/payments/pay-declined", header: secret}, 200},
		{"v2/payment_pay_pending", apiCall{method: "GET", path: "/payments/pay-pending", header: secret}, 200},
		{"v2/payment_ready", apiCall{method: "GET", path: "/payments/pay-left", header: secret}, 200},
		{"v2/payment_unknown", apiCall{method: "GET", path: "/payments/no-such-payment", header: secret}, 404},
		{"v2/payment_wrong_secret", apiCall{method: "GET", path: "/payments/pay-card", header: map[string]string{"Authorization": "PortOne nope"}}, 401},
		{"v2/payment_bad_bearer", apiCall{method: "GET", path: "/payments/pay-card", header: map[string]string{"Authorization": "PortOne"}}, 401},
		{"v2/payment_other_store", apiCall{method: "GET", path: "/payments/pay-card?storeId=store-other", header: secret}, 403},
		{"v2/payments_all", apiCall{method: "GET", path: "/payments", header: secret}, 200},
		{"v2/payments_pending_filter", apiCall{method: "GET", path: list(`{"filter":{"status":["PENDING","VIRTUAL_ACCOUNT_ISSUED"]}}`), header: secret}, 200},
		{"v2/payments_page", apiCall{method: "GET", path: list(`{"page":{"number":1,"size":2},"filter":{"sortOrder":"ASC","sortBy":"REQUESTED_AT"}}`), header: secret}, 200},
		{"v2/payments_bad_status", apiCall{method: "GET", path: list(`{"filter":{"status":["PAY_PENDING"]}}`), header: secret}, 400},
		{"v2/payments_other_store", apiCall{method: "GET", path: list(`{"filter":{"storeId":"store-other"}}`), header: secret}, 403},
		{"v2/preregister", apiCall{method: "POST", path: "/payments/pay-new/pre-register", body: `{"totalAmount":12000,"currency":"KRW"}`, header: secret}, 200},
		{"v2/preregister_paid", apiCall{method: "POST", path: "/payments/pay-card/pre-register", body: `{"totalAmount":15000,"currency":"KRW"}`, header: secret}, 409},
		{"v2/preregister_string_amount", apiCall{method: "POST", path: "/payments/pay-new/pre-register", body: `{"totalAmount":"12000"}`, header: secret}, 400},
		{"v2/preregister_fraction", apiCall{method: "POST", path: "/payments/pay-new/pre-register", body: `{"totalAmount":120.5,"currency":"USD"}`, header: secret}, 400},
		{"v2/cancel_partial", apiCall{method: "POST", path: "/payments/pay-card/cancel", body: `{"amount":5000,"reason":"부분 환불","currentCancellableAmount":15000}`, header: secret}, 200},
		{"v2/payment_partial_cancelled", apiCall{method: "GET", path: "/payments/pay-card", header: secret}, 200},
		{"v2/cancel_stale_cancellable", apiCall{method: "POST", path: "/payments/pay-card/cancel", body: `{"amount":5000,"reason":"again","currentCancellableAmount":15000}`, header: secret}, 409},
		{"v2/cancel_exceeds", apiCall{method: "POST", path: "/payments/pay-card/cancel", body: `{"amount":10001,"reason":"too much"}`, header: secret}, 409},
		{"v2/cancel_no_reason", apiCall{method: "POST", path: "/payments/pay-card/cancel", body: `{"amount":1}`, header: secret}, 400},
		{"v2/cancel_string_amount", apiCall{method: "POST", path: "/payments/pay-card/cancel", body: `{"amount":"1","reason":"x"}`, header: secret}, 400},
		{"v2/cancel_rest", apiCall{method: "POST", path: "/payments/pay-card/cancel", body: `{"reason":"전액 환불","currentCancellableAmount":10000}`, header: secret}, 200},
		{"v2/payment_cancelled", apiCall{method: "GET", path: "/payments/pay-card", header: secret}, 200},
		{"v2/cancel_again", apiCall{method: "POST", path: "/payments/pay-card/cancel", body: `{"reason":"again"}`, header: secret}, 409},
		{"v2/cancel_not_paid", apiCall{method: "POST", path: "/payments/pay-declined/cancel", body: `{"reason":"x"}`, header: secret}, 409},
		{"v2/cancel_unknown", apiCall{method: "POST", path: "/payments/no-such-payment/cancel", body: `{"reason":"x"}`, header: secret}, 404},
		{"v2/cancel_vbank_no_account", apiCall{method: "POST", path: "/payments/pay-vbank-paid/cancel", body: `{"reason":"환불"}`, header: secret}, 400},
		{"v2/cancel_vbank_requested", apiCall{method: "POST", path: "/payments/pay-vbank-paid/cancel", body: `{"reason":"환불","refundAccount":{"bank":"KOOKMIN","number":"12345678901234","holderName":"홍길동"}}`, header: secret}, 200},
		{"v2/payment_refund_requested", apiCall{method: "GET", path: "/payments/pay-vbank-paid", header: secret}, 200},
		{"v2/cancel_unauthorized", apiCall{method: "POST", path: "/payments/pay-vbank-paid/cancel", body: `{"reason":"x"}`}, 401},
		{"v2/cancel_other_store", apiCall{method: "POST", path: "/payments/pay-vbank-paid/cancel", body: `{"reason":"x","storeId":"store-other"}`, header: secret}, 403},
	}
	for _, s := range steps {
		status, body := serve(t, e, s.call)
		if status != s.wantStatus {
			t.Errorf("%s: status = %d, want %d (body %s)", s.name, status, s.wantStatus, body)
		}
		body = strings.TrimSuffix(body, "\n")
		golden(t, s.name, []byte(body))
		checkV2Answer(t, s.call, status, body)
	}
	checkV2Answer(t, login, http.StatusOK, strings.TrimSpace(body))
}

// customer is the buyer of the V2 tests.
func customer() portonev2.Customer {
	return portonev2.Customer{Name: "홍길동", PhoneNumber: "010-1234-5678", Email: "buyer@example.com"}
}
