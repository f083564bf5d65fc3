package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// hardAPIKey is the app API key of the hardening tests' server.
const hardAPIKey = "hardening-api-key-0123456789"

// hardEnv is a live-mode payresult (SQLite, the emulator as PortOne)
// with one paid order, hard-paid, that every attack must leave alone.
type hardEnv struct {
	store   payresult.Store
	proc    *payresult.Processor
	em      *emulator.Emulator
	handler *Server
	paidImp string
}

func newHardEnv(t testing.TB) *hardEnv {
	t.Helper()
	em := emulator.New(emulator.Config{Seed: 11})
	t.Cleanup(func() { em.Close() })
	emSrv := httptest.NewServer(em)
	t.Cleanup(emSrv.Close)
	store := testdb.OpenSQLite(t)
	proc := &payresult.Processor{Store: store,
		PortOne: &portone.Client{BaseURL: emSrv.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}}
	h := New(Config{Processor: proc, Store: store, APIKey: hardAPIKey, ResultKey: []byte("result-key"),
		PublicURL: "https://shop.example", Logger: slog.New(slog.DiscardHandler)})
	e := &hardEnv{store: store, proc: proc, em: em, handler: h}
	e.seedPaidOrder(t, proc)
	return e
}

// seedPaidOrder registers hard-paid, pays it at PortOne and confirms it.
func (e *hardEnv) seedPaidOrder(t testing.TB, proc *payresult.Processor) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: "hard-paid", Name: "seed", Amount: portone.Won(5000)}); err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	res, err := e.em.Pay(emulator.PaymentRequest{MerchantUID: "hard-paid", Amount: portone.Won(5000)}, emulator.OutcomePaid)
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	res.Release()
	e.paidImp = res.Payment.ImpUID
	if _, err := proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceApp, ImpUID: e.paidImp}); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
}

// snapshot is everything a request could change: orders, attempts,
// events, and PortOne's ledger.
func (e *hardEnv) snapshot(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	orders, err := e.store.Orders(ctx, payresult.OrderFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	events, err := e.store.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	attempts, err := e.store.Attempts(ctx, "hard-paid")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"orders": orders, "events": events, "attempts": attempts, "ledger": e.em.Payments()}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hardCase is one hostile request and the documented answer to it.
type hardCase struct {
	name        string
	method      string
	target      string
	contentType string
	body        string
	noAuth      bool
	wantStatus  int
	wantCode    string // the JSON error code; "" for an HTML page
}

// run sends the request and checks the answer and that nothing changed.
func (e *hardEnv) run(t *testing.T, tc hardCase) {
	t.Helper()
	before := e.snapshot(t)
	req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
	if tc.contentType != "" {
		req.Header.Set("Content-Type", tc.contentType)
	}
	if !tc.noAuth {
		req.Header.Set("Authorization", "Bearer "+hardAPIKey)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code != tc.wantStatus {
		t.Errorf("status = %d, want %d; body %.300s", rec.Code, tc.wantStatus, rec.Body)
	}
	if tc.wantCode != "" {
		var body errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != tc.wantCode || body.Error.Message == "" {
			t.Errorf("body = %.300s, want a JSON error with code %q and a message", rec.Body, tc.wantCode)
		}
	}
	if loc := rec.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "https://shop.example/") {
		t.Errorf("Location = %q: sent off-site", loc)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
}

// TestHardeningAPI sends the app API hostile requests: each gets its
// documented error and changes nothing.
func TestHardeningAPI(t *testing.T) {
	e := newHardEnv(t)
	big := `{"merchant_uid":"big","name":"` + strings.Repeat("x", 70<<10) + `","amount":1000}`
	order := func(extra string) string { return `{"merchant_uid":"o1","name":"n","amount":1000` + extra + `}` }
	long := strings.Repeat("a", 41)
	tests := []hardCase{
		{"wrong method on orders", "PUT", "/api/orders", "application/json", order(""), false, 405, "method_not_allowed"},
		{"wrong method on an order", "DELETE", "/api/orders/hard-paid", "", "", false, 405, "method_not_allowed"},
		{"wrong method on refund", "GET", "/api/orders/hard-paid/refund", "", "", false, 405, "method_not_allowed"},
		{"no API key", "POST", "/api/orders", "application/json", order(""), true, 401, "unauthorized"},
		{"oversized order", "POST", "/api/orders", "application/json", big, false, 413, "too_large"},
		{"oversized refund", "POST", "/api/orders/hard-paid/refund", "application/json", `{"reason":"` + strings.Repeat("r", 70<<10) + `"}`, false, 413, "too_large"},
		{"text/plain body", "POST", "/api/orders", "text/plain", order(""), false, 415, "unsupported_media_type"},
		{"form body", "POST", "/api/orders", "application/x-www-form-urlencoded", "merchant_uid=o1&name=n&amount=1000", false, 415, "unsupported_media_type"},
		{"no content type", "POST", "/api/orders", "", order(""), false, 415, "unsupported_media_type"},
		{"truncated JSON", "POST", "/api/orders", "application/json", `{"merchant_uid":`, false, 400, "invalid"},
		{"JSON array", "POST", "/api/orders", "application/json", `[]`, false, 400, "invalid"},
		{"JSON null", "POST", "/api/orders", "application/json", `null`, false, 400, "invalid"},
		{"two objects", "POST", "/api/orders", "application/json", order("") + order(""), false, 400, "invalid"},
		{"unknown field", "POST", "/api/orders", "application/json", order(`,"paid":true`), false, 400, "invalid"},
		{"amount as text", "POST", "/api/orders", "application/json", `{"merchant_uid":"o1","name":"n","amount":"1000; DROP TABLE orders"}`, false, 400, "invalid"},
		{"amount too large", "POST", "/api/orders", "application/json", `{"merchant_uid":"o1","name":"n","amount":1e400}`, false, 400, "invalid"},
		{"negative amount", "POST", "/api/orders", "application/json", `{"merchant_uid":"o1","name":"n","amount":-1000}`, false, 400, "invalid"},
		{"refund of a negative amount", "POST", "/api/orders/hard-paid/refund", "application/json", `{"amount":-1}`, false, 400, "invalid"},
		{"refund with malformed JSON", "POST", "/api/orders/hard-paid/refund", "application/json", `{"amount":`, false, 400, "invalid"},
		{"refund account with letters", "POST", "/api/orders/hard-paid/refund", "application/json", `{"refund_holder":"홍길동","refund_bank":"88","refund_account":"110-abc"}`, false, 400, "invalid"},
		{"refund account without a bank", "POST", "/api/orders/hard-paid/refund", "application/json", `{"refund_holder":"홍길동","refund_account":"110123456"}`, false, 400, "invalid"},
		{"refund account as an object", "POST", "/api/orders/hard-paid/refund", "application/json", `{"refund_account":{"number":"110"}}`, false, 400, "invalid"},
		{"SQL-looking merchant_uid", "POST", "/api/orders", "application/json", `{"merchant_uid":"x' OR '1'='1","name":"n","amount":1000}`, false, 400, "invalid"},
		{"SQL-looking merchant_uid in the path", "GET", "/api/orders/x'%20OR%20'1'='1", "", "", false, 400, "invalid"},
		{"SQL-looking refund path", "POST", "/api/orders/hard-paid'%3B%20DROP%20TABLE%20orders%3B--/refund", "application/json", `{}`, false, 400, "invalid"},
		{"long merchant_uid", "POST", "/api/orders", "application/json", `{"merchant_uid":"` + long + `","name":"n","amount":1000}`, false, 400, "invalid"},
		{"very long merchant_uid", "POST", "/api/orders", "application/json", `{"merchant_uid":"` + strings.Repeat("a", 20000) + `","name":"n","amount":1000}`, false, 400, "invalid"},
		{"long merchant_uid in the path", "GET", "/api/orders/" + long, "", "", false, 400, "invalid"},
		{"events after text", "GET", "/api/events?after=abc", "", "", false, 400, "invalid"},
		{"events after negative", "GET", "/api/events?after=-1", "", "", false, 400, "invalid"},
		{"events limit huge", "GET", "/api/events?limit=100000000000000000000", "", "", false, 400, "invalid"},
		{"success_url javascript", "POST", "/api/orders", "application/json", order(`,"success_url":"javascript:alert(1)"`), false, 400, "invalid"},
		{"success_url data", "POST", "/api/orders", "application/json", order(`,"success_url":"data:text/html,<script>x</script>"`), false, 400, "invalid"},
		{"fail_url scheme-relative", "POST", "/api/orders", "application/json", order(`,"fail_url":"//evil.example/steal"`), false, 400, "invalid"},
		{"fail_url relative", "POST", "/api/orders", "application/json", order(`,"fail_url":"/after"`), false, 400, "invalid"},
		{"success_url with credentials", "POST", "/api/orders", "application/json", order(`,"success_url":"https://shop.example@evil.example/"`), false, 400, "invalid"},
		{"success_url without host", "POST", "/api/orders", "application/json", order(`,"success_url":"http:///evil"`), false, 400, "invalid"},
		{"success_url with backslashes", "POST", "/api/orders", "application/json", order(`,"success_url":"https:\\\\evil.example"`), false, 400, "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { e.run(t, tc) })
	}
}

// TestHardeningNotices sends PortOne's endpoints hostile requests: each
// gets its documented error (JSON for the webhook, a page for the
// redirect) and changes nothing, and nothing sends the buyer off-site.
func TestHardeningNotices(t *testing.T) {
	e := newHardEnv(t)
	hook := func(imp, m string) string {
		return `{"imp_uid":"` + imp + `","merchant_uid":"` + m + `","status":"paid"}`
	}
	redirect := func(q url.Values) string { return "/portone/redirect?" + q.Encode() }
	tests := []hardCase{
		{"webhook by GET", "GET", "/portone/webhook", "", "", true, 405, "method_not_allowed"},
		{"webhook by PATCH", "PATCH", "/portone/webhook", "application/json", hook(e.paidImp, "hard-paid"), true, 405, "method_not_allowed"},
		{"redirect by DELETE", "DELETE", "/portone/redirect?imp_uid=" + e.paidImp, "", "", true, 405, "method_not_allowed"},
		{"oversized webhook", "POST", "/portone/webhook", "application/json", `{"imp_uid":"` + strings.Repeat("i", 70<<10) + `"}`, true, 413, "too_large"},
		{"oversized redirect form", "POST", "/portone/redirect", "application/x-www-form-urlencoded", "imp_uid=" + strings.Repeat("i", 70<<10), true, 400, ""},
		{"multipart webhook", "POST", "/portone/webhook", "multipart/form-data; boundary=x", "--x\r\n\r\n--x--", true, 400, "invalid"},
		{"XML webhook", "POST", "/portone/webhook", "application/xml", "<imp_uid>x</imp_uid>", true, 400, "invalid"},
		{"truncated JSON webhook", "POST", "/portone/webhook", "application/json", `{"imp_uid":`, true, 400, "invalid"},
		{"webhook with an unknown status", "POST", "/portone/webhook", "application/json", `{"imp_uid":"` + e.paidImp + `","status":"refunded_all"}`, true, 400, "invalid"},
		{"empty webhook", "POST", "/portone/webhook", "application/json", ``, true, 400, "invalid"},
		{"SQL-looking imp_uid in a webhook", "POST", "/portone/webhook", "application/json", hook(`imp_1' OR 1=1--`, "hard-paid"), true, 404, "not_found"},
		{"long imp_uid in a webhook", "POST", "/portone/webhook", "application/json", hook(strings.Repeat("i", 33), "hard-paid"), true, 400, "invalid"},
		{"very long merchant_uid in a webhook", "POST", "/portone/webhook", "application/json", hook(e.paidImp, strings.Repeat("m", 5000)), true, 400, "invalid"},
		{"paid imp_uid replayed for another order", "POST", "/portone/webhook", "application/json", hook(e.paidImp, "someone-else"), true, 422, "mismatch"},
		{"redirect without ids", "GET", "/portone/redirect", "", "", true, 400, ""},
		{"redirect with a malformed query", "GET", "/portone/redirect?imp_uid=%zz&merchant_uid=%", "", "", true, 400, ""},
		{"redirect with a control character", "GET", "/portone/redirect?imp_uid=imp%00x", "", "", true, 400, ""},
		{"redirect with a long imp_uid", "GET", redirect(url.Values{"imp_uid": {strings.Repeat("i", 33)}}), "", "", true, 400, ""},
		{"redirect with a very long merchant_uid", "GET", redirect(url.Values{"merchant_uid": {strings.Repeat("m", 10000)}}), "", "", true, 400, ""},
		{"redirect with a SQL-looking imp_uid", "GET", redirect(url.Values{"imp_uid": {`' OR ''='`}, "merchant_uid": {"hard-paid"}}), "", "", true, 404, ""},
		{"redirect replaying a paid imp_uid", "GET", redirect(url.Values{"imp_uid": {e.paidImp}, "merchant_uid": {"someone-else"}, "imp_success": {"true"}}), "", "", true, 403, ""},
		{"redirect asking to go off-site", "GET", redirect(url.Values{"imp_uid": {e.paidImp}, "merchant_uid": {"hard-paid"},
			"success_url": {"https://evil.example/"}, "m_redirect_url": {"https://evil.example/"}, "next": {"//evil.example"}}), "", "", true, 200, ""},
		{"result page without its token", "GET", "/result/hard-paid?next=https://evil.example/", "", "", true, 404, ""},
		{"result page asking to go off-site", "GET", "/result/hard-paid?t=" + e.handler.resultToken("hard-paid") + "&next=https://evil.example/&success_url=//evil.example", "", "", true, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { e.run(t, tc) })
	}
}
