package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult/portone"
)

// windowServer serves e over HTTP and returns a client that does not
// follow redirects, so tests see the exact Location.
func windowServer(t *testing.T, e *Emulator) (*httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return srv, c
}

// openWindow calls what iamport.js calls first and returns its answer.
func openWindow(t *testing.T, c *http.Client, base string, params map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(params)
	resp, err := c.Post(base+"/window/open", "text/plain;charset=UTF-8", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("window/open CORS header = %q, want *", got)
	}
	var ans map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	return ans
}

// choose shows the window and clicks outcome; it returns the answer.
func choose(t *testing.T, c *http.Client, base, impUID string, outcome Outcome) *http.Response {
	t.Helper()
	page, err := c.Get(base + "/window/" + impUID)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, o := range []Outcome{OutcomePaid, OutcomeFailed, OutcomeCancelledByUser, OutcomeAbandoned, OutcomeVbankIssued} {
		if !strings.Contains(string(html), `data-outcome="`+string(o)+`"`) {
			t.Errorf("window page has no button with data-outcome=%q", o)
		}
	}
	resp, err := c.PostForm(base+"/window/"+impUID, url.Values{"outcome": {string(outcome)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestWindowOutcomes drives the window over HTTP for every outcome and
// PG flavour and checks the exact redirect URL, the payment's status and
// the webhooks the merchant's server received.
func TestWindowOutcomes(t *testing.T) {
	const ret = "https://shop.example/pay/return?utm_source=mobile"
	esc := url.QueryEscape
	tests := []struct {
		name        string
		pg          string
		mobile      bool
		payMethod   string
		outcome     Outcome
		wantQuery   string // after imp_uid=...&merchant_uid=...; "-" for no redirect
		wantStatus  portone.Status
		wantWebhook portone.Status // "" for none
	}{
		{"inicis approve", "html5_inicis", false, "card", OutcomePaid, "&imp_success=true", portone.StatusPaid, portone.StatusPaid},
		{"inicis user cancel fails", "html5_inicis", true, "card", OutcomeCancelledByUser,
			"&imp_success=false&error_code=V801&error_msg=" + esc(portone.MsgPayUserCancelled), portone.StatusFailed, ""},
		{"kcp user cancel stays ready", "kcp.T0000", true, "card", OutcomeCancelledByUser,
			"&imp_success=false&error_code=3001&error_msg=" + esc(portone.MsgPayUserCancelled), portone.StatusReady, ""},
		{"kcp decline", "kcp", false, "card", OutcomeFailed,
			"&imp_success=false&error_code=8104&error_msg=" + esc("[8104]카드 한도초과 - 카드사 문의 요망"), portone.StatusFailed, ""},
		{"toss approve has no flag", "tosspayments", true, "card", OutcomePaid, "", portone.StatusPaid, portone.StatusPaid},
		{"toss decline has no flag", "tosspayments", true, "card", OutcomeFailed,
			"&error_code=REJECT_CARD_COMPANY&error_msg=" + esc("카드사에서 결제를 거절했습니다."), portone.StatusFailed, ""},
		{"nice_v2 approve has no flag", "nice_v2", true, "trans", OutcomePaid, "", portone.StatusPaid, portone.StatusPaid},
		{"daou on PC says success", "daou", false, "card", OutcomePaid, "&success=true", portone.StatusPaid, portone.StatusPaid},
		{"daou on mobile says imp_success", "daou", true, "card", OutcomePaid, "&imp_success=true", portone.StatusPaid, portone.StatusPaid},
		{"inicis vbank issued", "html5_inicis", true, "vbank", OutcomeVbankIssued, "&imp_success=true", portone.StatusReady, portone.StatusReady},
		{"kakaopay abandoned", "kakaopay", true, "card", OutcomeAbandoned, "-", portone.StatusReady, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, nil)
			e, _ := newTestEmulator(t, Config{WebhookURL: "http://127.0.0.1:1/console-url-must-not-be-used"})
			// webhook_first: when the window answers, every webhook has arrived.
			if err := e.SetFaults(Faults{WebhookOrder: OrderWebhookFirst}); err != nil {
				t.Fatal(err)
			}
			srv, c := windowServer(t, e)
			ans := openWindow(t, c, srv.URL, map[string]any{
				"merchant_uid": "order 1/가", "amount": 15000, "name": "노르웨이 회전 의자", "pg": tt.pg,
				"pay_method": tt.payMethod, "m_redirect_url": ret, "notice_url": []string{rc.URL},
				"mode": "redirect", "mobile": tt.mobile, "buyer_tel": "010-1234-5678",
			})
			impUID, _ := ans["imp_uid"].(string)
			if ans["ok"] != true || len(impUID) != 16 {
				t.Fatalf("window/open = %v", ans)
			}
			resp := choose(t, c, srv.URL, impUID, tt.outcome)
			if tt.wantQuery == "-" {
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
					t.Errorf("abandon answered %d Location %q, want 200 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
				}
			} else {
				want := ret + "&imp_uid=" + impUID + "&merchant_uid=" + esc("order 1/가") + tt.wantQuery
				if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
					t.Errorf("redirect %d\n got  %s\n want %s", resp.StatusCode, resp.Header.Get("Location"), want)
				}
			}
			p, _ := e.Payment(impUID)
			if p.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", p.Status, tt.wantStatus)
			}
			var want []received
			if tt.wantWebhook != "" {
				want = []received{{ContentType: "application/json", Body: `{"imp_uid":"` + impUID +
					`","merchant_uid":"order 1\/\uac00","status":"` + string(tt.wantWebhook) + `"}`}}
			}
			if diff := cmp.Diff(want, rc.bodies()); diff != "" {
				t.Errorf("webhooks received (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWindowFormWebhookAndDeposit checks a console URL with form bodies,
// a virtual account's issue and deposit webhooks, and the vbank fields.
func TestWindowFormWebhookAndDeposit(t *testing.T) {
	rc := newReceiver(t, nil)
	e, _ := newTestEmulator(t, Config{WebhookURL: rc.URL, WebhookContentType: contentTypeForm})
	res, err := e.Pay(PaymentRequest{MerchantUID: "vb-1", Amount: portone.Won(30000), PG: "html5_inicis",
		PayMethod: portone.PayMethodVbank, RedirectURL: "https://shop.example/r"}, OutcomeVbankIssued)
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, res.Webhooks)
	p := res.Payment
	if !p.IsVbankIssued() || p.VbankHolder.String != "（주）케이지이니시" || p.VbankDate.Time().In(kst).Format("15:04:05") != "23:59:59" {
		t.Errorf("vbank fields: num %v holder %v date %v", p.VbankNum, p.VbankHolder, p.VbankDate.Time().In(kst))
	}
	paid, err := e.Deposit(p.ImpUID)
	if err != nil || paid.Status != portone.StatusPaid || paid.PaidAt == 0 {
		t.Fatalf("Deposit = %v, %v", paid, err)
	}
	waitFor(t, "the deposit webhook", func() bool { return len(rc.bodies()) == 2 })
	want := []received{
		{ContentType: contentTypeForm, Body: "imp_uid=" + p.ImpUID + "&merchant_uid=vb-1&status=ready"},
		{ContentType: contentTypeForm, Body: "imp_uid=" + p.ImpUID + "&merchant_uid=vb-1&status=paid"},
	}
	if diff := cmp.Diff(want, rc.bodies()); diff != "" {
		t.Errorf("webhooks (-want +got):\n%s", diff)
	}
	if _, err := e.Deposit(p.ImpUID); err == nil {
		t.Error("a second deposit into a paid account succeeded")
	}
}

// TestPrevalidationRefusals checks that refused requests come back at
// once with imp_success=false, an empty imp_uid, and no payment.
func TestPrevalidationRefusals(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	if _, err := e.Pay(PaymentRequest{MerchantUID: "paid-1", Amount: portone.Won(100)}, OutcomePaid); err != nil {
		t.Fatal(err)
	}
	e.Prepare(portone.Prepared{MerchantUID: "prep-1", Amount: portone.Won(5000)})
	ret := "https://shop.example/r"
	tests := []struct {
		name string
		req  PaymentRequest
		msg  string
	}{
		{"already paid", PaymentRequest{MerchantUID: "paid-1", Amount: portone.Won(100)}, portone.MsgPayAlreadyPaid},
		{"amount differs from prepared", PaymentRequest{MerchantUID: "prep-1", Amount: portone.Won(50)}, portone.MsgPayAmountMismatch},
		{"no merchant_uid", PaymentRequest{Amount: portone.Won(50)}, portone.MsgPayBadParams},
		{"zero amount", PaymentRequest{MerchantUID: "z-1"}, portone.MsgPayBadParams},
		{"unknown pg", PaymentRequest{MerchantUID: "pg-1", Amount: portone.Won(50), PG: "nopg"}, portone.MsgPayUnknownPG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.Payments())
			tt.req.RedirectURL = ret
			res, err := e.Pay(tt.req, OutcomePaid)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			want := ret + "?imp_uid=&merchant_uid=" + url.QueryEscape(tt.req.MerchantUID) + "&imp_success=false&error_code=&error_msg=" + url.QueryEscape(tt.msg)
			if res.RedirectURL != want || res.Payment != nil {
				t.Errorf("redirect\n got  %s\n want %s", res.RedirectURL, want)
			}
			if after := len(e.Payments()); after != before {
				t.Errorf("ledger grew from %d to %d payments", before, after)
			}
		})
	}
	if _, err := e.Pay(PaymentRequest{MerchantUID: "prep-1", Amount: portone.Won(5000)}, OutcomePaid); err != nil {
		t.Errorf("the prepared amount was refused: %v", err)
	}
}

// TestCallbackFlow checks the PC callback flow's last page: it posts the
// response object to the page that called request_pay.
func TestCallbackFlow(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	srv, c := windowServer(t, e)
	refusedAns := openWindow(t, c, srv.URL, map[string]any{"merchant_uid": "cb-1", "amount": 0, "mode": "callback"})
	resp, _ := refusedAns["response"].(map[string]any)
	if refusedAns["ok"] != false || resp["imp_success"] != false || resp["imp_uid"] != nil || resp["error_msg"] != portone.MsgPayBadParams {
		t.Errorf("refused open = %v", refusedAns)
	}
	ans := openWindow(t, c, srv.URL, map[string]any{"merchant_uid": "cb-1", "amount": 1000, "mode": "callback",
		"custom_data": map[string]any{"cart": []int{1}}})
	impUID := ans["imp_uid"].(string)
	page := choose(t, c, srv.URL, impUID, OutcomePaid)
	html, _ := io.ReadAll(page.Body)
	for _, want := range []string{`"type":"payresult-imp"`, `"imp_success":true`, `"imp_uid":"` + impUID + `"`, `"status":"paid"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("callback page lacks %s:\n%s", want, html)
		}
	}
	if p, _ := e.Payment(impUID); p.CustomData.String != `{"cart":[1]}` {
		t.Errorf("custom_data = %v, want the JSON text", p.CustomData)
	}
	again, err := c.PostForm(srv.URL+"/window/"+impUID, url.Values{"outcome": {"failed"}})
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusConflict {
		t.Errorf("second outcome: %d, want 409", again.StatusCode)
	}
}

// TestIamportJSBase checks that the script points at PublicURL when one
// is configured and otherwise finds its base itself.
func TestIamportJSBase(t *testing.T) {
	for _, tt := range []struct{ public, want string }{
		{"", `var configured = "";`},
		{"https://pay.example/sandbox/", `var configured = "https://pay.example/sandbox";`},
	} {
		e, _ := newTestEmulator(t, Config{PublicURL: tt.public})
		status, body := serve(t, http.StripPrefix("/sandbox", e), apiCall{method: "GET", path: "/sandbox/v1/iamport.js"})
		if status != 200 || !strings.Contains(body, tt.want) || !strings.Contains(body, "request_pay") {
			t.Errorf("PublicURL %q: status %d, script lacks %s", tt.public, status, tt.want)
		}
	}
}

// TestWindowPagesForPeople: the window shows the amount as a buyer reads
// it, and a window that is left, or visited again with Back after paying,
// says so with a link back to the shop and is never served from cache.
func TestWindowPagesForPeople(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	srv, c := windowServer(t, e)
	n := 0
	open := func(t *testing.T) string {
		t.Helper()
		n++
		ans := openWindow(t, c, srv.URL, map[string]any{
			"merchant_uid": fmt.Sprintf("order-%d", n), "amount": 12000, "name": "머그컵", "pg": "html5_inicis",
			"pay_method": "card", "m_redirect_url": "https://shop.example/pay/return", "mode": "redirect",
		})
		impUID, _ := ans["imp_uid"].(string)
		if impUID == "" {
			t.Fatalf("window/open = %v", ans)
		}
		return impUID
	}
	get := func(t *testing.T, impUID string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(srv.URL + "/window/" + impUID)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	const back = `href="https://shop.example/"`

	t.Run("amount", func(t *testing.T) {
		resp, page := get(t, open(t))
		if !strings.Contains(page, `data-field="amount">12,000원<`) {
			t.Errorf("window does not show the amount as 12,000원:\n%s", page)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("window Cache-Control = %q, want no-store", got)
		}
	})
	t.Run("abandoned", func(t *testing.T) {
		resp := choose(t, c, srv.URL, open(t), OutcomeAbandoned)
		b, _ := io.ReadAll(resp.Body)
		page := string(b)
		for _, want := range []string{`data-result="abandoned"`, back, `name="viewport"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page after leaving lacks %s:\n%s", want, page)
			}
		}
	})
	t.Run("back after paying", func(t *testing.T) {
		impUID := open(t)
		if resp := choose(t, c, srv.URL, impUID, OutcomePaid); resp.StatusCode != http.StatusFound {
			t.Fatalf("paying answered %d, want 302", resp.StatusCode)
		}
		resp, page := get(t, impUID)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, `data-result="closed"`) || !strings.Contains(page, back) {
			t.Errorf("the window again after paying = %d, want 404 saying it is closed with a link to the shop:\n%s", resp.StatusCode, page)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("closed window Cache-Control = %q, want no-store", got)
		}
	})
}
