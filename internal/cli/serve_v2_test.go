package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult/portone/emulator"
)

// payV2 completes a V2 payment in the sandbox without a browser, with the
// redirectUrl pointing at this server's V2 redirect; the sandbox sends its
// signed webhooks to /portone/v2/webhook. It returns the redirect URL.
func (s *served) payV2(paymentID, method, outcome string) string {
	s.t.Helper()
	req := map[string]any{
		"storeId": emulator.DefaultV2StoreID, "channelKey": emulator.DefaultV2ChannelKey, "paymentId": paymentID,
		"orderName": "테스트 상품", "totalAmount": 5000, "currency": "KRW", "payMethod": method,
		"redirectUrl": s.url + "/portone/v2/redirect", "outcome": outcome,
	}
	b, _ := json.Marshal(req)
	res, body := s.do("POST", "/sandbox/__emulator/v2/payments", "application/json", bytes.NewReader(b), nil)
	var a struct {
		RedirectURL string `json:"redirect_url"`
	}
	if err := json.Unmarshal(body, &a); err != nil || res.StatusCode != http.StatusCreated {
		s.t.Fatalf("V2 payment %s: %d %s", paymentID, res.StatusCode, body)
	}
	return a.RedirectURL
}

func (s *served) waitStatus(m, want string) {
	s.t.Helper()
	eventually(s.t, 10*time.Second, m+" "+want, func() bool { return s.order(m).Order.Status == want })
}

// TestServeV2Sandbox: serve in sandbox mode takes V1 and V2 orders side
// by side; V2 payments are confirmed from the sandbox's signed V2
// webhooks and from the buyer's V2 redirect, and refunded through V2's
// cancel.
func TestServeV2Sandbox(t *testing.T) {
	s := startServe(t, map[string]string{})
	for _, o := range []struct{ m, api string }{{"v2-card", "v2"}, {"v2-fail", "v2"}, {"v2-vbank", "v2"}, {"v1-card", ""}} {
		body := newOrderBody(o.m, 5000)
		if o.api != "" {
			body["api"] = o.api
		}
		var got struct {
			API string `json:"api"`
		}
		if st := s.api("POST", "/api/orders", body, &got); st != http.StatusCreated {
			t.Fatalf("creating %s: %d", o.m, st)
		}
		if want := map[string]string{"": "v1", "v2": "v2"}[o.api]; got.API != want {
			t.Errorf("order %s: api %q, want %q", o.m, got.API, want)
		}
	}
	if st := s.api("POST", "/api/orders", map[string]any{"merchant_uid": "v3", "name": "x", "amount": 5000, "api": "v3"}, nil); st != http.StatusBadRequest {
		t.Errorf("an order for api v3: %d, want 400", st)
	}

	card := s.payV2("v2-card", "CARD", "paid")
	s.waitStatus("v2-card", "paid")
	if res, body := s.get(s.trimURL(card)); res.StatusCode != http.StatusOK || !strings.Contains(body, "결제가 완료되었습니다") {
		t.Errorf("V2 redirect of the paid card: %d, want the paid page", res.StatusCode)
	}
	if diff := cmp.Diff([]string{"order.paid"}, eventTypes(s.order("v2-card"))); diff != "" {
		t.Errorf("v2-card events (-want +got):\n%s", diff)
	}
	var refunded orderView
	if st := s.api("POST", "/api/orders/v2-card/refund", map[string]any{"amount": 2000}, &refunded); st != http.StatusOK || refunded.Status != "partially_refunded" {
		t.Errorf("refund of 2000: %d %+v, want partially_refunded", st, refunded)
	}

	fail := s.payV2("v2-fail", "CARD", "failed")
	if !strings.Contains(fail, "code=") {
		t.Errorf("failed V2 redirect %q has no code", fail)
	}
	if res, _ := s.get(s.trimURL(fail)); res.StatusCode != http.StatusOK {
		t.Errorf("failed V2 redirect: %d", res.StatusCode)
	}
	s.waitStatus("v2-fail", "failed")

	s.payV2("v2-vbank", "VIRTUAL_ACCOUNT", "vbank_issued")
	s.waitStatus("v2-vbank", "vbank_issued")
	if res, body := s.do("POST", "/sandbox/__emulator/v2/payments/v2-vbank/deposit", "", nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("deposit: %d %s", res.StatusCode, body)
	}
	s.waitStatus("v2-vbank", "paid")

	// An unsigned V2 webhook is refused before anything happens.
	res, body := s.do("POST", "/portone/v2/webhook", "application/json", strings.NewReader(`{"type":"Transaction.Paid","data":{"paymentId":"v1-card"}}`), nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("unsigned V2 webhook: %d %s, want 400", res.StatusCode, body)
	}
	if got := s.order("v1-card").Order.Status; got != "pending" {
		t.Errorf("v1-card after an unsigned V2 webhook: %s, want pending", got)
	}
}

// TestServeV2Config: the V2 settings are checked together, and V2
// credentials alone are live mode with V2 as the default API.
func TestServeV2Config(t *testing.T) {
	t.Parallel()
	base := map[string]string{"api-key": "0123456789abcdef0123", "db": "x.db", "log-format": "text", "shutdown-timeout": "20s"}
	tests := []struct {
		name    string
		set     map[string]string
		wantErr string // "" for a valid configuration
		sandbox bool
		api     string
		v1, v2  bool
	}{
		{"none: sandbox", map[string]string{"api-key": ""}, "", true, "v1", true, true},
		{"V2 alone", map[string]string{"portone-v2-api-secret": "s", "portone-v2-webhook-secret": emulator.DefaultV2WebhookSecret}, "", false, "v2", false, true},
		{"both", map[string]string{"portone-api-key": "k", "portone-api-secret": "s", "portone-v2-api-secret": "s", "portone-v2-webhook-secret": emulator.DefaultV2WebhookSecret}, "", false, "v1", true, true},
		{"V2 without its webhook secret", map[string]string{"portone-v2-api-secret": "s"}, "PORTONE_V2_WEBHOOK_SECRET", false, "", false, false},
		{"V2 webhook secret not base64", map[string]string{"portone-v2-api-secret": "s", "portone-v2-webhook-secret": "not base64!"}, "PORTONE_V2_WEBHOOK_SECRET", false, "", false, false},
		{"V2 store without a secret", map[string]string{"portone-v2-store-id": "store-1"}, "PORTONE_V2_STORE_ID", false, "", false, false},
		{"V2 URL not a URL", map[string]string{"portone-v2-api-secret": "s", "portone-v2-webhook-secret": emulator.DefaultV2WebhookSecret, "portone-v2-api-url": "api.portone.io"}, "PORTONE_V2_API_URL", false, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := func(flag string) string {
				if v, ok := tt.set[flag]; ok {
					return v
				}
				return base[flag]
			}
			c, err := parseServeConfig(get)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseServeConfig = %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Sandbox != tt.sandbox || string(c.DefaultAPI()) != tt.api || c.HasV1() != tt.v1 || c.HasV2() != tt.v2 {
				t.Errorf("sandbox %t, default %s, V1 %t, V2 %t; want %t, %s, %t, %t", c.Sandbox, c.DefaultAPI(), c.HasV1(), c.HasV2(),
					tt.sandbox, tt.api, tt.v1, tt.v2)
			}
		})
	}
}
