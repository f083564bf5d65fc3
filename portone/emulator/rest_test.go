package emulator

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/payresult/payresult/portone"
)

// restFixture is a ledger with the payments the REST golden tests read.
func restFixture(t *testing.T) (*Emulator, string) {
	t.Helper()
	e, _ := newTestEmulator(t, Config{})
	start := portone.TimeOf(t0) - 600
	mustPut(t, e, cardPayment("imp_803037736674", "ph27", start))
	failed := portone.Payment{
		ImpUID: "imp_100000000002", MerchantUID: "ph27", Amount: portone.Won(100), Currency: "KRW",
		PayMethod: portone.PayMethodCard, PGProvider: portone.NewNullString("kcp"), Status: portone.StatusFailed,
		StartedAt: start - 300, FailedAt: start - 290, FailReason: portone.NewNullString("[3001]사용자가 결제를 취소하셨습니다"),
	}
	mustPut(t, e, failed)
	sandbox := cardPayment("imp_100000000003", "sb1", start)
	sandbox.Sandbox = true
	mustPut(t, e, sandbox)
	vbank := portone.Payment{
		ImpUID: "imp_100000000004", MerchantUID: "vb1", Amount: portone.Won(25000), Currency: "KRW",
		PayMethod: portone.PayMethodVbank, PGProvider: portone.NewNullString("html5_inicis"), Status: portone.StatusReady,
		StartedAt: start, VbankCode: portone.NewNullString("004"), VbankName: portone.NewNullString("KB 국민은행"),
		VbankNum: portone.NewNullString("79959078731512"), VbankHolder: portone.NewNullString("（주）케이지이니시"),
		VbankDate: start + 86400, VbankIssuedAt: start + 70,
	}
	mustPut(t, e, vbank)
	return e, token(t, e)
}

// TestRESTGolden walks the REST API in one scenario and compares every
// answer, byte for byte, with golden JSON written from the protocol
// reference (envelope order, null message, PHP escaping, status codes).
func TestRESTGolden(t *testing.T) {
	e, tok := restFixture(t)
	bearer := map[string]string{"Authorization": "Bearer " + tok}
	steps := []struct {
		name       string
		call       apiCall
		wantStatus int
	}{
		{"token", apiCall{method: "POST", path: "/users/getToken", body: `{"imp_key":"imp_apikey","imp_secret":"` + DefaultAPISecret + `"}`}, 200},
		{"token_missing_params", apiCall{method: "POST", path: "/users/getToken", body: `{}`}, 400},
		{"token_wrong_secret", apiCall{method: "POST", path: "/users/getToken", body: "imp_key=imp_apikey&imp_secret=nope", contentType: contentTypeForm}, 401},
		{"payment_no_token", apiCall{method: "GET", path: "/payments/imp_803037736674"}, 401},
		{"payment_bad_token", apiCall{method: "GET", path: "/payments/imp_803037736674", header: map[string]string{"Authorization": "Bearer 0000"}}, 401},
		{"payment_bearer", apiCall{method: "GET", path: "/payments/imp_803037736674", header: bearer}, 200},
		{"payment_raw_token", apiCall{method: "GET", path: "/payments/imp_803037736674", header: map[string]string{"Authorization": tok}}, 200},
		{"payment_imp_token_header", apiCall{method: "GET", path: "/payments/imp_803037736674", header: map[string]string{"X-ImpTokenHeader": tok}}, 200},
		{"payment_unknown", apiCall{method: "GET", path: "/payments/imp_999999999999", header: bearer}, 404},
		{"payment_sandbox_hidden", apiCall{method: "GET", path: "/payments/imp_100000000003", header: bearer}, 404},
		{"payment_sandbox_included", apiCall{method: "GET", path: "/payments/imp_100000000003?include_sandbox=true", header: bearer}, 200},
		{"payment_vbank", apiCall{method: "GET", path: "/payments/imp_100000000004", header: bearer}, 200},
		{"payments_all_found", apiCall{method: "GET", path: "/payments?imp_uid[]=imp_803037736674&merchant_uid[]=vb1", header: bearer}, 200},
		{"payments_some_found", apiCall{method: "GET", path: "/payments?imp_uid%5B%5D=imp_803037736674&imp_uid%5B%5D=imp_999999999999", header: bearer}, 207},
		{"payments_none_found", apiCall{method: "GET", path: "/payments?imp_uid[]=imp_999999999999", header: bearer}, 404},
		{"find", apiCall{method: "GET", path: "/payments/find/ph27", header: bearer}, 200},
		{"find_trailing_slash", apiCall{method: "GET", path: "/payments/find/ph27/", header: bearer}, 200},
		{"find_failed", apiCall{method: "GET", path: "/payments/find/ph27/failed?sorting=started", header: bearer}, 200},
		{"find_cancelled_none", apiCall{method: "GET", path: "/payments/find/ph27/cancelled", header: bearer}, 404},
		{"find_bad_status", apiCall{method: "GET", path: "/payments/find/ph27/done", header: bearer}, 400},
		{"findall", apiCall{method: "GET", path: "/payments/findAll/ph27/?limit=1&page=2&sorting=-started", header: bearer}, 200},
		{"findall_unknown", apiCall{method: "GET", path: "/payments/findAll/nobody", header: bearer}, 404},
		{"status_failed", apiCall{method: "GET", path: "/payments/status/failed", header: bearer}, 200},
		{"status_bad", apiCall{method: "GET", path: "/payments/status/done", header: bearer}, 400},
		{"status_page_out_of_range", apiCall{method: "GET", path: "/payments/status/all?page=9", header: bearer}, 400},
		{"prepare", apiCall{method: "POST", path: "/payments/prepare", body: `{"merchant_uid":"order-7","amount":15000}`, header: bearer}, 200},
		{"prepare_duplicate", apiCall{method: "POST", path: "/payments/prepare", body: "merchant_uid=order-7&amount=15000", contentType: contentTypeForm, header: bearer}, 200},
		{"prepare_get", apiCall{method: "GET", path: "/payments/prepare/order-7", header: bearer}, 200},
		{"prepare_get_unknown", apiCall{method: "GET", path: "/payments/prepare/order-8", header: bearer}, 404},
		{"prepare_update", apiCall{method: "PUT", path: "/payments/prepare", body: `{"merchant_uid":"order-7","amount":12000,"currency":"KRW"}`, header: bearer}, 200},
		{"prepare_update_unknown", apiCall{method: "PUT", path: "/payments/prepare", body: `{"merchant_uid":"order-8","amount":12000}`, header: bearer}, 404},
		{"cancel_no_id", apiCall{method: "POST", path: "/payments/cancel", body: `{"amount":10}`, header: bearer}, 200},
		{"cancel_unknown", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"imp_999999999999","merchant_uid":"ph27"}`, header: bearer}, 200},
		{"cancel_checksum_mismatch", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"imp_803037736674","amount":30,"checksum":90}`, header: bearer}, 200},
		{"cancel_exceeds", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"imp_803037736674","amount":101}`, header: bearer}, 200},
		{"cancel_partial", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"imp_803037736674","amount":30,"checksum":100,"reason":"부분취소/반품"}`, header: bearer}, 200},
		{"cancel_rest_by_merchant_uid_form", apiCall{method: "POST", path: "/payments/cancel", body: "merchant_uid=ph27&checksum=70&reason=%EC%B7%A8%EC%86%8C%EC%9A%94%EC%B2%ADapi&extra%5Brequester%5D=customer", contentType: contentTypeForm, header: bearer}, 200},
		{"cancel_again", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"imp_803037736674"}`, header: bearer}, 200},
		{"cancel_ready_vbank", apiCall{method: "POST", path: "/payments/cancel", body: `{"imp_uid":"imp_100000000004"}`, header: bearer}, 200},
		{"status_cancelled_after", apiCall{method: "GET", path: "/payments/status/cancelled?limit=5", header: bearer}, 200},
		{"no_such_path", apiCall{method: "GET", path: "/payments/imp_803037736674/nothing", header: bearer}, 404},
	}
	for _, s := range steps {
		status, body := serve(t, e, s.call)
		if status != s.wantStatus {
			t.Errorf("%s: status = %d, want %d (body %s)", s.name, status, s.wantStatus, body)
		}
		golden(t, s.name, []byte(body))
		checkV1Answer(t, s.call, status, body)
	}
}

// TestTokenRules checks §2.1: the same token before expiry, +5 minutes in
// the last minute, a new token after expiry, and the old one refused.
func TestTokenRules(t *testing.T) {
	e, clock := newTestEmulator(t, Config{})
	first := mustToken(t, e)
	if got, want := first.ExpiredAt-first.Now, portone.Time(1800); got != want {
		t.Fatalf("lifetime = %d s, want %d", got, want)
	}
	steps := []struct {
		name        string
		advance     int64 // seconds since the previous step
		wantSame    bool
		wantExpires portone.Time
	}{
		{"reuse before expiry", 600, true, first.ExpiredAt},
		{"reuse with more than a minute left", 1100, true, first.ExpiredAt},
		{"last minute extends by five minutes", 40, true, first.ExpiredAt + 300},
		{"after expiry a new token", 400, false, first.Now + 600 + 1100 + 40 + 400 + 1800},
	}
	prev := first
	for _, s := range steps {
		clock.Advance(time.Duration(s.advance) * time.Second)
		if s.name == "after expiry a new token" {
			status, _ := serve(t, e, apiCall{method: "GET", path: "/payments/imp_000000000000",
				header: map[string]string{"Authorization": prev.AccessToken}})
			if status != http.StatusUnauthorized {
				t.Errorf("expired token: status %d, want 401", status)
			}
		}
		got := mustToken(t, e)
		if same := got.AccessToken == first.AccessToken; same != s.wantSame {
			t.Errorf("%s: same token = %v, want %v", s.name, same, s.wantSame)
		}
		if got.ExpiredAt != s.wantExpires {
			t.Errorf("%s: expired_at = %d, want %d", s.name, got.ExpiredAt, s.wantExpires)
		}
		if len(got.AccessToken) != 40 {
			t.Errorf("%s: token %q is not 40 hex characters", s.name, got.AccessToken)
		}
		prev = got
	}
}

// TestPagingFollowsNext walks findAll and status pages until next is 0
// and checks that each payment is seen exactly once.
func TestPagingFollowsNext(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	for i := range 45 {
		mustPut(t, e, cardPayment(fmt.Sprintf("imp_2000000000%02d", i), "many", portone.TimeOf(t0)-portone.Time(1000-i)))
	}
	tok := token(t, e)
	for _, path := range []string{"/payments/findAll/many", "/payments/status/paid"} {
		seen := map[string]int{}
		page, pages := 1, 0
		for page != 0 {
			status, body := serve(t, e, apiCall{method: "GET", path: fmt.Sprintf("%s?page=%d&limit=20", path, page),
				header: map[string]string{"Authorization": tok}})
			if status != 200 {
				t.Fatalf("%s page %d: status %d %s", path, page, status, body)
			}
			pp := decodeEnvelope[portone.PaymentPage](t, body)
			if pp.Total != 45 {
				t.Errorf("%s: total = %d, want 45", path, pp.Total)
			}
			for _, p := range pp.List {
				seen[p.ImpUID]++
			}
			page = pp.Next
			pages++
		}
		if len(seen) != 45 || pages != 3 {
			t.Errorf("%s: saw %d payments in %d pages, want 45 in 3", path, len(seen), pages)
		}
	}
}
