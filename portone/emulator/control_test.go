package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult/portone"
)

// controlCall runs a control API request and decodes its JSON answer.
func controlCall(t *testing.T, e *Emulator, method, path, body string, wantStatus int) map[string]any {
	t.Helper()
	status, out := serve(t, e, apiCall{method: method, path: path, body: body})
	if status != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, wantStatus, out)
	}
	var m map[string]any
	if out != "" {
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, out)
		}
	}
	return m
}

// TestControlAPI walks the control API: pay, refuse, deposit, console
// cancel with its webhook, faults, the webhook log, the ledger and reset.
func TestControlAPI(t *testing.T) {
	rc := newReceiver(t, nil)
	e, _ := newTestEmulator(t, Config{})
	body := `{"merchant_uid":"c-1","amount":20000,"name":"책","pg":"kcp","pay_method":"vbank","outcome":"vbank_issued",
		"notice_url":"` + rc.URL + `","m_redirect_url":"https://s.example/r","vbank_due":"2026-03-10","custom_data":{"a":1}}`
	ans := controlCall(t, e, "POST", "/__emulator/payments", body, http.StatusCreated)
	pay := ans["payment"].(map[string]any)
	impUID := pay["imp_uid"].(string)
	if pay["status"] != "ready" || pay["vbank_date"] != float64(1773154799) || pay["custom_data"] != `{"a":1}` {
		t.Errorf("vbank payment = %v", pay)
	}
	if want := "https://s.example/r?imp_uid=" + impUID + "&merchant_uid=c-1&imp_success=true"; ans["redirect_url"] != want {
		t.Errorf("redirect_url = %v, want %s", ans["redirect_url"], want)
	}
	dep := controlCall(t, e, "POST", "/__emulator/payments/"+impUID+"/deposit", "", http.StatusOK)
	if dep["status"] != "paid" {
		t.Errorf("after deposit: %v", dep["status"])
	}
	refusedAns := controlCall(t, e, "POST", "/__emulator/payments", `{"merchant_uid":"c-1","amount":20000,"m_redirect_url":"https://s.example/r"}`, http.StatusUnprocessableEntity)
	if !strings.Contains(refusedAns["redirect_url"].(string), "imp_uid=&") {
		t.Errorf("refusal = %v", refusedAns)
	}
	cancelled := controlCall(t, e, "POST", "/__emulator/payments/"+impUID+"/cancel", `{"amount":5000}`, http.StatusOK)
	if cancelled["cancel_amount"] != float64(5000) || cancelled["cancel_reason"] != consoleCancelReason {
		t.Errorf("console cancel = %v", cancelled)
	}
	// Webhooks of one payment have no order, as at PortOne.
	waitFor(t, "three logged webhooks", func() bool { return len(e.Webhooks()) == 3 })
	p, _ := e.Payment(impUID)
	wantCancel := `{"imp_uid":"` + impUID + `","merchant_uid":"c-1","status":"cancelled","cancellation_id":"` + p.CancelHistory[0].CancellationID + `"}`
	found := false
	for _, b := range rc.bodies() {
		found = found || b.Body == wantCancel
	}
	if !found {
		t.Errorf("no console cancel webhook %s among %v", wantCancel, rc.bodies())
	}
	hooks := controlCall(t, e, "GET", "/__emulator/webhooks", "", http.StatusOK)["webhooks"].([]any)
	if len(hooks) != 3 {
		t.Errorf("webhook log has %d entries, want 3", len(hooks))
	}
	controlCall(t, e, "PUT", "/__emulator/faults", `{"webhook_drop":true,"api_latency":"5ms"}`, http.StatusOK)
	controlCall(t, e, "PUT", "/__emulator/faults", `{"webhook_drop":"yes"}`, http.StatusBadRequest)
	controlCall(t, e, "PUT", "/__emulator/faults", `{"webhook_order":"sideways"}`, http.StatusBadRequest)
	if f := e.Faults(); !f.WebhookDrop || f.APILatency != Duration(5e6) {
		t.Errorf("faults = %+v", f)
	}
	controlCall(t, e, "PUT", "/__emulator/payments/imp_123412341234", `{"merchant_uid":"put-1","amount":700,"status":"failed"}`, http.StatusOK)
	controlCall(t, e, "PUT", "/__emulator/payments/imp_123412341235", `{"merchant_uid":"put-2","amount":700,"status":"bogus"}`, http.StatusBadRequest)
	ledger := controlCall(t, e, "GET", "/__emulator/payments", "", http.StatusOK)["payments"].([]any)
	if len(ledger) != 2 {
		t.Errorf("ledger has %d payments, want 2", len(ledger))
	}
	controlCall(t, e, "POST", "/__emulator/reset", "", http.StatusNoContent)
	if n, w := len(e.Payments()), len(e.Webhooks()); n != 0 || w != 0 || e.Faults().WebhookDrop {
		t.Errorf("after reset: %d payments, %d webhooks, faults %+v", n, w, e.Faults())
	}
}

// TestAPICancelWebhook checks that an API cancel sends a webhook only
// with enable_webhook.
func TestAPICancelWebhook(t *testing.T) {
	rc := newReceiver(t, nil)
	e, _ := newTestEmulator(t, Config{WebhookURL: rc.URL})
	res, err := e.Pay(PaymentRequest{MerchantUID: "w-1", Amount: portone.Won(1000)}, OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, res.Webhooks)
	tok := token(t, e)
	for _, body := range []string{
		`{"imp_uid":"` + res.Payment.ImpUID + `","amount":100}`,
		"imp_uid=" + res.Payment.ImpUID + "&amount=200&enable_webhook=true",
	} {
		ct := contentTypeJSON
		if !strings.HasPrefix(body, "{") {
			ct = contentTypeForm
		}
		if status, out := serve(t, e, apiCall{method: "POST", path: "/payments/cancel", body: body, contentType: ct,
			header: map[string]string{"Authorization": tok}}); status != 200 || !strings.HasPrefix(out, `{"code":0`) {
			t.Fatalf("cancel: %d %s", status, out)
		}
	}
	// The delivery log is written after the receiver answers, so wait for
	// the log, not only for the receiver.
	waitFor(t, "the enable_webhook cancel webhook", func() bool { return len(rc.bodies()) >= 2 && len(e.Webhooks()) >= 2 })
	p, _ := e.Payment(res.Payment.ImpUID)
	var statuses []string
	for _, d := range e.Webhooks() {
		statuses = append(statuses, string(d.Status)+"/"+d.CancellationID)
	}
	want := []string{"paid/", "cancelled/" + p.CancelHistory[1].CancellationID}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("webhooks (-want +got):\n%s", diff)
	}
}

// TestSeedDeterminism checks that the same seed and clock give the same
// ids and tokens, and Reset starts the sequence again.
func TestSeedDeterminism(t *testing.T) {
	run := func(e *Emulator) []string {
		res, err := e.Pay(PaymentRequest{MerchantUID: "d-1", Amount: portone.Won(10)}, OutcomePaid)
		if err != nil {
			t.Fatal(err)
		}
		return []string{res.Payment.ImpUID, res.Payment.ApplyNum.String, res.Payment.PGTID.String, mustToken(t, e).AccessToken}
	}
	a, _ := newTestEmulator(t, Config{Seed: 42})
	b, _ := newTestEmulator(t, Config{Seed: 42})
	c, _ := newTestEmulator(t, Config{Seed: 43})
	first := run(a)
	if diff := cmp.Diff(first, run(b)); diff != "" {
		t.Errorf("same seed, different ids (-a +b):\n%s", diff)
	}
	if other := run(c); other[0] == first[0] {
		t.Errorf("seeds 42 and 43 gave the same imp_uid %s", first[0])
	}
	a.Reset()
	if diff := cmp.Diff(first, run(a)); diff != "" {
		t.Errorf("after Reset, different ids (-first +again):\n%s", diff)
	}
}

// TestControlIndex: GET /__emulator/ lists the control API, each endpoint
// with what it does, and every endpoint it lists is served (the list is
// the routing table, so a listed endpoint cannot go missing).
func TestControlIndex(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	status, body := serve(t, e, apiCall{method: "GET", path: "/__emulator/"})
	if status != http.StatusOK {
		t.Fatalf("GET /__emulator/ = %d: %s", status, body)
	}
	var index struct {
		Endpoints []ControlEndpoint `json:"endpoints"`
	}
	if err := json.Unmarshal([]byte(body), &index); err != nil {
		t.Fatalf("GET /__emulator/: %v in %s", err, body)
	}
	if diff := cmp.Diff(ControlAPI(), index.Endpoints); diff != "" {
		t.Errorf("GET /__emulator/ lists other endpoints than ControlAPI (-want +got):\n%s", diff)
	}
	if len(index.Endpoints) < 15 {
		t.Errorf("GET /__emulator/ lists %d endpoints; the control API has more", len(index.Endpoints))
	}
	// What a path nothing serves answers: PortOne's own 404.
	_, unrouted := serve(t, e, apiCall{method: "POST", path: "/__emulator/no-such-endpoint", body: "{}"})
	ids := strings.NewReplacer("{imp_uid}", "imp_000000000000", "{paymentId}", "no-such-payment")
	for _, ep := range index.Endpoints {
		if ep.Doc == "" {
			t.Errorf("%s %s does not say what it does", ep.Method, ep.Path)
		}
		status, body := serve(t, e, apiCall{method: ep.Method, path: ids.Replace(ep.Path), body: "{}"})
		if status == http.StatusMethodNotAllowed || body == unrouted {
			t.Errorf("%s %s is listed but not served: %d %s", ep.Method, ep.Path, status, body)
		}
	}
}

// TestSandboxHome: a browser opening the sandbox's address gets a page
// with its credentials, its scripts and every control endpoint, linked
// relatively so that the links hold under serve's /sandbox/; an API
// client asking for the root still gets PortOne's 404.
func TestSandboxHome(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	status, page := serve(t, e, apiCall{method: "GET", path: "/", header: map[string]string{"Accept": "text/html,application/xhtml+xml"}})
	if status != http.StatusOK || !strings.Contains(page, `data-page="sandbox-home"`) {
		t.Fatalf("GET / from a browser = %d:\n%s", status, page)
	}
	for _, want := range []string{DefaultAPIKey, DefaultMerchantCode, DefaultV2StoreID, DefaultV2ChannelKey,
		`href="v1/iamport.js"`, `href="v2/browser-sdk.js"`, `href="__emulator/"`, `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the sandbox's page lacks %s", want)
		}
	}
	for _, ep := range ControlAPI() {
		if !strings.Contains(page, "<b>"+ep.Method+"</b><code>"+ep.Path+"</code>") {
			t.Errorf("the sandbox's page does not list %s %s", ep.Method, ep.Path)
		}
	}
	_, unrouted := serve(t, e, apiCall{method: "GET", path: "/no-such-path"})
	for _, accept := range []string{"", "*/*", "application/json"} {
		status, body := serve(t, e, apiCall{method: "GET", path: "/", header: map[string]string{"Accept": accept}})
		if status != http.StatusNotFound || body != unrouted {
			t.Errorf("GET / with Accept %q = %d %s, want PortOne's 404 %s", accept, status, body, unrouted)
		}
	}
}
