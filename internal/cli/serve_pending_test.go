package cli

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var metaRefresh = regexp.MustCompile(`http-equiv="refresh" content="(\d+);url=([^"]+)"`)

// TestServeRedirectWhilePortOneFails follows a redirect while PortOne's API
// answers 503: the buyer gets the self-refreshing confirming page, the
// webhook is answered 5xx so that PortOne would retry, and once PortOne
// is back the page settles, by a retried webhook or by its own refresh.
func TestServeRedirectWhilePortOneFails(t *testing.T) {
	s := startServe(t, map[string]string{})
	tests := []struct {
		name       string
		webhook    bool // deliver the webhook again once PortOne is back
		successURL string
	}{
		{"settled by the webhook", true, ""},
		{"settled by the page, to the success URL", false, "https://shop.example/ok"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu := "pending_" + string(rune('a'+i))
			s.createOrder(mu, 7000, tt.successURL, "")
			s.setFaults(`{"api_error_rate":1,"api_error_status":503}`)
			t.Cleanup(func() { s.setFaults(`{}`) })
			a, _ := s.pay(mu, 7000, "html5_inicis", "card", "paid")

			res, body := s.follow(a.RedirectURL)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("redirect: status %d, want 200", res.StatusCode)
			}
			mustContain(t, "the confirming page", body, "결제를 확인하고 있습니다", "Confirming your payment")
			m := metaRefresh.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("the confirming page does not refresh itself:\n%s", body)
			}
			refresh := html.UnescapeString(m[2])
			if d := s.waitWebhookAnswered(a.Payment.ImpUID); d.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("webhook while PortOne fails: answered %d, want 503", d.StatusCode)
			}
			if got := s.order(mu).Order.Status; got != "pending" {
				t.Fatalf("order %s while PortOne fails, want pending", got)
			}

			// A refresh while PortOne still fails keeps waiting.
			res, body = s.get(refresh)
			if res.StatusCode != http.StatusOK || !strings.Contains(body, "Confirming your payment") {
				t.Fatalf("refresh while PortOne fails: %d, want the confirming page again", res.StatusCode)
			}

			s.setFaults(`{}`)
			if tt.webhook {
				wh := `{"imp_uid":"` + a.Payment.ImpUID + `","merchant_uid":"` + mu + `","status":"paid"}`
				if res, b := s.do("POST", "/portone/webhook", "application/json", strings.NewReader(wh), nil); res.StatusCode != http.StatusOK {
					t.Fatalf("retried webhook: %d %s, want 200", res.StatusCode, b)
				}
			}
			res, body = s.get(refresh)
			switch {
			case tt.successURL != "":
				if res.StatusCode != http.StatusSeeOther {
					t.Fatalf("refresh after recovery: %d, want 303 to the success URL", res.StatusCode)
				}
				checkSignedLocation(t, res.Header.Get("Location"), mu, "paid")
			default:
				if res.StatusCode != http.StatusOK || !strings.Contains(body, "결제가 완료되었습니다") || metaRefresh.MatchString(body) {
					t.Fatalf("refresh after recovery: %d, want the paid page, no longer refreshing\n%s", res.StatusCode, body)
				}
			}
			checkOneEvent(t, s.order(mu), "order.paid")
		})
	}
}

// TestServeResultPageNeedsToken checks that the result page does not show
// orders to someone who only guesses a merchant_uid.
func TestServeResultPageNeedsToken(t *testing.T) {
	s := startServe(t, map[string]string{})
	s.createOrder("token_order", 1000, "", "")
	for _, path := range []string{"/result/token_order", "/result/token_order?t=00000000000000000000000000000000"} {
		res, body := s.get(path)
		if res.StatusCode != http.StatusNotFound || strings.Contains(body, "token_order") {
			t.Errorf("GET %s: %d, want 404 without the order", path, res.StatusCode)
		}
	}
}
