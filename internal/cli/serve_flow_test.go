package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
)

// TestServeWindowOutcomes pays orders in the sandbox window with every
// outcome and follows the redirect as the buyer's browser would: each
// lands on the right page, or on the app's URL with a valid signature.
func TestServeWindowOutcomes(t *testing.T) {
	s := startServe(t, map[string]string{})
	tests := []struct {
		name, pg, method, outcome string
		withURLs                  bool
		status                    int      // of the redirect's answer
		page                      []string // in the page, or in the Location
		orderStatus               string
	}{
		{"paid", "html5_inicis", "card", "paid", false, 200, []string{"결제가 완료되었습니다", "Payment complete", "12,000원"}, "paid"},
		{"paid to success URL", "html5_inicis", "card", "paid", true, 303, []string{"https://shop.example/ok"}, "paid"},
		{"declined", "html5_inicis", "card", "failed", false, 200, []string{"결제에 실패했습니다", "Payment failed"}, "failed"},
		{"declined to fail URL", "html5_inicis", "card", "failed", true, 303, []string{"https://shop.example/fail"}, "failed"},
		{"user cancel, PG marks failed", "html5_inicis", "card", "cancelled_by_user", false, 200, []string{"결제에 실패했습니다"}, "failed"},
		{"user cancel, PG leaves ready", "kcp.T0000", "card", "cancelled_by_user", false, 200, []string{"결제에 실패했습니다"}, "pending"},
		{"virtual account", "html5_inicis", "vbank", "vbank_issued", false, 200, []string{"가상계좌가 발급되었습니다", "입금기한 Deadline", "KST"}, "vbank_issued"},
		{"virtual account to success URL", "html5_inicis", "vbank", "vbank_issued", true, 303, []string{"https://shop.example/ok"}, "vbank_issued"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu := fmt.Sprintf("outcome_%d", i)
			succ, fail := "", ""
			if tt.withURLs {
				succ, fail = "https://shop.example/ok", "https://shop.example/fail"
			}
			s.createOrder(mu, 12000, succ, fail)
			a, st := s.pay(mu, 12000, tt.pg, tt.method, tt.outcome)
			if st != http.StatusCreated {
				t.Fatalf("emulator: status %d, want 201", st)
			}
			res, body := s.follow(a.RedirectURL)
			if res.StatusCode != tt.status {
				t.Fatalf("redirect: status %d, want %d\n%s", res.StatusCode, tt.status, body)
			}
			if tt.status == http.StatusSeeOther {
				body = res.Header.Get("Location")
				checkSignedLocation(t, body, mu, tt.orderStatus)
			}
			mustContain(t, "the result", body, tt.page...)
			if got := s.order(mu).Order.Status; got != tt.orderStatus {
				t.Errorf("order status %q, want %q", got, tt.orderStatus)
			}
			checkPageDetails(t, tt.status, body, a)
		})
	}
}

// checkPageDetails checks that a rendered page shows PortOne's own words:
// the fail reason, or the virtual account to pay into.
func checkPageDetails(t *testing.T, status int, body string, a payAnswer) {
	t.Helper()
	if status != http.StatusOK {
		return
	}
	if a.Payment.FailReason != nil && *a.Payment.FailReason != "" {
		mustContain(t, "the failed page", body, *a.Payment.FailReason)
	} else if a.ErrorMsg != "" {
		mustContain(t, "the failed page", body, a.ErrorMsg)
	}
	if a.Payment.VbankNum != nil {
		mustContain(t, "the virtual account page", body, *a.Payment.VbankNum, *a.Payment.VbankName, *a.Payment.VbankHolder)
	}
}

// checkSignedLocation verifies the signed result on an app URL with the
// key the app shares (here the API key, as no events secret is set).
func checkSignedLocation(t *testing.T, location, merchantUID, status string) {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatalf("Location %q: %v", location, err)
	}
	got, err := payresult.VerifyResultSignature([]byte(SandboxAPIKey), u.Query(), time.Now())
	if err != nil {
		t.Fatalf("Location %q: signature: %v", location, err)
	}
	if got.MerchantUID != merchantUID || string(got.Status) != status {
		t.Errorf("signed result %s %s, want %s %s", got.MerchantUID, got.Status, merchantUID, status)
	}
}

// TestServeWindowNeverOpened follows the redirect of a request PortOne
// refused before opening the window (the amount differs from the
// registered one): the buyer sees PortOne's message with an empty
// imp_uid, and the order stays pending.
func TestServeWindowNeverOpened(t *testing.T) {
	s := startServe(t, map[string]string{})
	s.createOrder("never_opened", 12000, "", "")
	a, st := s.pay("never_opened", 1, "html5_inicis", "card", "paid")
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("emulator: status %d, want 422 (refused)", st)
	}
	u, _ := url.Parse(a.RedirectURL)
	if u.Query().Get("imp_uid") != "" || u.Query().Get("error_msg") == "" {
		t.Fatalf("redirect URL %q: want an empty imp_uid and an error_msg", a.RedirectURL)
	}
	res, body := s.follow(a.RedirectURL)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("redirect: status %d, want 200", res.StatusCode)
	}
	mustContain(t, "the page", body, "결제에 실패했습니다", u.Query().Get("error_msg"))
	d := s.order("never_opened")
	if d.Order.Status != "pending" || len(d.Events) != 0 {
		t.Errorf("order %s with events %v, want pending with none", d.Order.Status, eventTypes(d))
	}
}

// TestServeWebhookAndRedirectRace delivers the webhook and the redirect of
// one paid payment in both orders, and both at once: each time the order
// ends paid with exactly one order.paid event.
func TestServeWebhookAndRedirectRace(t *testing.T) {
	s := startServe(t, map[string]string{})
	t.Run("webhook first", func(t *testing.T) {
		s.setFaults(`{"webhook_order":"webhook_first"}`)
		t.Cleanup(func() { s.setFaults(`{}`) })
		s.createOrder("race_wh_first", 5000, "", "")
		a, _ := s.pay("race_wh_first", 5000, "html5_inicis", "card", "paid")
		// webhook_first: the webhook was answered before the emulator
		// answered, so the order is paid before the buyer is back.
		if got := s.order("race_wh_first").Order.Status; got != "paid" {
			t.Fatalf("after the webhook: order %s, want paid", got)
		}
		res, body := s.follow(a.RedirectURL)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "결제가 완료되었습니다") {
			t.Errorf("redirect after the webhook: %d, want the paid page", res.StatusCode)
		}
		checkOneEvent(t, s.order("race_wh_first"), "order.paid")
	})
	t.Run("redirect first", func(t *testing.T) {
		// The emulator's webhook is dropped; after the redirect the test
		// delivers PortOne's exact body itself, as a late webhook.
		s.setFaults(`{"webhook_drop":true}`)
		t.Cleanup(func() { s.setFaults(`{}`) })
		s.createOrder("race_rd_first", 5000, "", "")
		a, _ := s.pay("race_rd_first", 5000, "html5_inicis", "card", "paid")
		if res, _ := s.follow(a.RedirectURL); res.StatusCode != http.StatusOK {
			t.Fatalf("redirect: status %d", res.StatusCode)
		}
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
			body := `{"imp_uid":"` + a.Payment.ImpUID + `","merchant_uid":"race_rd_first","status":"paid"}`
			if ct != "application/json" {
				body = "imp_uid=" + a.Payment.ImpUID + "&merchant_uid=race_rd_first&status=paid"
			}
			if res, b := s.do("POST", "/portone/webhook", ct, strings.NewReader(body), nil); res.StatusCode != http.StatusOK {
				t.Errorf("late %s webhook: %d %s, want 200", ct, res.StatusCode, b)
			}
		}
		checkOneEvent(t, s.order("race_rd_first"), "order.paid")
	})
	t.Run("at once", func(t *testing.T) {
		s.createOrder("race_together", 5000, "", "")
		a, _ := s.pay("race_together", 5000, "html5_inicis", "card", "paid")
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { s.follow(a.RedirectURL) })
		}
		wg.Wait()
		if d := s.waitWebhookAnswered(a.Payment.ImpUID); d.StatusCode != http.StatusOK {
			t.Errorf("emulator's webhook answered %d, want 200", d.StatusCode)
		}
		checkOneEvent(t, s.order("race_together"), "order.paid")
	})
}

func checkOneEvent(t *testing.T, d orderDetailView, want string) {
	t.Helper()
	if d.Order.Status != "paid" {
		t.Errorf("order %s, want paid", d.Order.Status)
	}
	if diff := cmp.Diff([]string{want}, eventTypes(d)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
