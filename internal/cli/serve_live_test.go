package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// TestServeLiveMode runs serve with PortOne credentials, against an
// emulator standing in for api.iamport.kr: no sandbox, no demo shop, the
// API key required, and a payment confirmed through PORTONE_API_URL.
func TestServeLiveMode(t *testing.T) {
	emu := emulator.New(emulator.Config{APIKey: "live_key", APISecret: "live_secret"})
	portOne := httptest.NewServer(emu)
	t.Cleanup(func() { portOne.Close(); emu.Close() })
	s := startServe(t, map[string]string{
		"PORTONE_API_KEY": "live_key", "PORTONE_API_SECRET": "live_secret", "PORTONE_API_URL": portOne.URL,
		"PAYRESULT_API_KEY": "live_app_key_0123456789",
	})
	if strings.Contains(s.stdout.String(), "SANDBOX") {
		t.Errorf("live mode announced as sandbox:\n%s", s.stdout)
	}
	for _, path := range []string{"/sandbox/v1/iamport.js", "/demo/orders"} {
		if res, _ := s.get(path); res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s in live mode: %d, want 404", path, res.StatusCode)
		}
	}
	if res, body := s.get("/"); res.StatusCode != http.StatusOK || strings.Contains(body, "IMP.request_pay") {
		t.Errorf("GET / in live mode: %d; want 200 without the demo shop", res.StatusCode)
	}
	s.createOrder("live_1", 8000, "", "")
	paid, err := emu.Pay(emulator.PaymentRequest{
		MerchantUID: "live_1", Name: "테스트 상품", Amount: portone.Won(8000), RedirectURL: s.url + "/portone/redirect",
	}, emulator.OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	defer paid.Release()
	res, body := s.follow(paid.RedirectURL)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "결제가 완료되었습니다") {
		t.Fatalf("redirect: %d, want the paid page", res.StatusCode)
	}
	checkOneEvent(t, s.order("live_1"), "order.paid")
}
