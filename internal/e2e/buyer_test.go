package e2e_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/admin"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// TestBuyerRedirectFlow walks the demo shop, the sandbox window and the
// result page for the outcomes a buyer picks in the window.
func TestBuyerRedirectFlow(t *testing.T) {
	s := startServe(t, nil)
	tests := []struct {
		name, outcome, wantTitle, wantText string
		wantStatus                         payresult.Status
		shots                              bool
	}{
		{"approve", "paid", "결제가 완료되었습니다", "12,000원", payresult.StatusPaid, true},
		{"decline", "failed", "결제에 실패했습니다", "카드정보 인증에 실패하였습니다", payresult.StatusFailed, false},
		{"user closes the window", "cancelled_by_user", "결제에 실패했습니다", portone.MsgPayUserCancelled, payresult.StatusFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tab(t)
			openShop(t, ctx, s, "", "card")
			buy(t, ctx)
			mu := windowOrder(t, ctx)
			if tt.shots {
				shot(t, ctx, "payment-window")
			}
			choose(t, ctx, tt.outcome)
			title, q := resultPage(t, ctx)
			if !strings.Contains(title, tt.wantTitle) {
				t.Errorf("result page title %q, want %q", title, tt.wantTitle)
			}
			if got := q.Get("merchant_uid"); got != mu {
				t.Errorf("redirect names order %q, want %q", got, mu)
			}
			if page := pageText(t, ctx); !strings.Contains(page, tt.wantText) || !strings.Contains(page, mu) {
				t.Errorf("result page lacks %q or the order %s:\n%s", tt.wantText, mu, page)
			}
			if tt.shots {
				shot(t, ctx, "result-page")
			}
			if o := s.order(t, mu); o.Status != tt.wantStatus {
				t.Errorf("order %s is %s, want %s", mu, o.Status, tt.wantStatus)
			}
		})
	}
}

// TestBuyerPCCallbackFlow is PortOne's PC flow: the window opens over the
// shop's page and request_pay's callback sends the buyer on.
func TestBuyerPCCallbackFlow(t *testing.T) {
	s := startServe(t, nil)
	ctx := tab(t)
	openShop(t, ctx, s, "?flow=popup", "card")
	buy(t, ctx)
	const inWindow = `(function(){var f=document.getElementById("payresult-imp-window");
		return f && f.contentDocument ? f.contentDocument.querySelector('button[data-outcome="paid"]') : null;})()`
	run(t, ctx, "waiting for the window over the page", chromedp.Poll[chromedp.Void](`!!`+inWindow, chromedp.WithPollingInterval(50*time.Millisecond)))
	page := eval[string](t, ctx, `location.pathname`)
	if page != "/" {
		t.Fatalf("the window did not open over the shop: the tab is at %s", page)
	}
	mu := eval[string](t, ctx, `document.getElementById("payresult-imp-window").contentDocument.querySelector('dd[data-field="merchant_uid"]').textContent.trim()`)
	eval[bool](t, ctx, inWindow+`.click(), true`)
	title, q := resultPage(t, ctx)
	if !strings.Contains(title, "결제가 완료되었습니다") {
		t.Errorf("result page title %q, want paid", title)
	}
	if q.Get("merchant_uid") != mu || q.Get("imp_uid") == "" {
		t.Errorf("callback sent the buyer on with %v, want merchant_uid %s and an imp_uid", q, mu)
	}
	if o := s.order(t, mu); o.Status != payresult.StatusPaid {
		t.Errorf("order %s is %s, want paid", mu, o.Status)
	}
}

// TestBuyerVirtualAccount: the page shows the issued account, and the
// order becomes paid when the buyer deposits.
func TestBuyerVirtualAccount(t *testing.T) {
	s := startServe(t, nil)
	ctx := tab(t)
	openShop(t, ctx, s, "", "vbank")
	buy(t, ctx)
	mu := windowOrder(t, ctx)
	choose(t, ctx, "vbank_issued")
	title, q := resultPage(t, ctx)
	if !strings.Contains(title, "가상계좌가 발급되었습니다") {
		t.Fatalf("result page title %q, want virtual account issued", title)
	}
	shown := strings.TrimSpace(text(t, ctx, "#account-number"))
	var pay portone.Payment
	s.call(t, "GET", "/sandbox/__emulator/payments/"+q.Get("imp_uid"), nil, nil, http.StatusOK, &pay)
	if shown == "" || shown != pay.VbankNum.String {
		t.Errorf("page shows account %q, PortOne issued %q", shown, pay.VbankNum.String)
	}
	if o := s.order(t, mu); o.Status != payresult.StatusVbankIssued {
		t.Fatalf("order %s is %s, want vbank_issued", mu, o.Status)
	}
	s.call(t, "POST", "/sandbox/__emulator/payments/"+q.Get("imp_uid")+"/deposit", nil, nil, http.StatusOK, nil)
	s.waitStatus(t, mu, payresult.StatusPaid)
	run(t, ctx, "reloading the result page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1")))
	if title := text(t, ctx, "h1"); !strings.Contains(title, "결제가 완료되었습니다") {
		t.Errorf("after the deposit the result page says %q, want paid", title)
	}
}

// holdRequestPay makes the page's IMP.request_pay send amount instead of
// what the shop asked for, as a buyer editing the page would, and hold the
// call until release() is evaluated when hold is true.
func holdRequestPay(t *testing.T, ctx context.Context, amount int, hold bool) {
	t.Helper()
	js := `(function(){var orig = IMP.request_pay;
		IMP.request_pay = function(p, cb){ p.amount = ` + strconv.Itoa(amount) + `; window.__mu = p.merchant_uid;
			window.__release = function(){ orig.call(IMP, p, cb); return true; };
			` + map[bool]string{true: "", false: "window.__release();"}[hold] + `};
		return true;})()`
	eval[bool](t, ctx, js)
}

// TestBuyerTamperedAmount: a buyer who pays less than the order's amount
// is refused. PortOne's pre-registered amount stops it before the window
// opens; if a payment still goes through (the registration was changed),
// payresult refuses it, refunds it at PortOne and says so.
func TestBuyerTamperedAmount(t *testing.T) {
	s := startServe(t, nil)
	t.Run("stopped by the pre-registered amount", func(t *testing.T) {
		ctx := tab(t)
		openShop(t, ctx, s, "", "card")
		holdRequestPay(t, ctx, 100, false)
		buy(t, ctx)
		title, q := resultPage(t, ctx)
		mu := q.Get("merchant_uid")
		if !strings.Contains(title, "결제에 실패했습니다") || !strings.Contains(pageText(t, ctx), portone.MsgPayAmountMismatch) {
			t.Errorf("result page %q does not show PortOne's refusal %q", title, portone.MsgPayAmountMismatch)
		}
		if q.Get("imp_uid") != "" {
			t.Errorf("a payment %s was made", q.Get("imp_uid"))
		}
		if o := s.order(t, mu); o.Status != payresult.StatusPending {
			t.Errorf("order %s is %s, want still pending (the buyer may pay properly)", mu, o.Status)
		}
	})
	t.Run("paid anyway, then refused and refunded", func(t *testing.T) {
		ctx := tab(t)
		openShop(t, ctx, s, "", "card")
		holdRequestPay(t, ctx, 100, true)
		buy(t, ctx)
		mu, err := chromedp.Run(ctx, chromedp.Poll[string](`window.__mu`, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err != nil {
			t.Fatalf("waiting for request_pay: %v", err)
		}
		gw := &portone.Client{BaseURL: s.url + "/sandbox", Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
		if _, err := gw.UpdatePrepared(ctx, mu, portone.Won(100), "KRW"); err != nil {
			t.Fatalf("changing the pre-registered amount: %v", err)
		}
		eval[bool](t, ctx, `window.__release()`)
		if got := windowOrder(t, ctx); got != mu {
			t.Fatalf("window is for %s, want %s", got, mu)
		}
		choose(t, ctx, "paid")
		title, q := resultPage(t, ctx)
		if !strings.Contains(title, "결제를 승인할 수 없습니다") {
			t.Errorf("result page title %q, want refused", title)
		}
		o := s.waitStatus(t, mu, payresult.StatusForged)
		if !poll(10*time.Second, func() bool { return s.order(t, mu).ForgeryCancelled }) {
			t.Errorf("order %s: the forged payment's cancel was never confirmed", mu)
		}
		var pay portone.Payment
		s.call(t, "GET", "/sandbox/__emulator/payments/"+q.Get("imp_uid"), nil, nil, http.StatusOK, &pay)
		if pay.Status != portone.StatusCancelled || pay.CancelAmount != portone.Won(100) {
			t.Errorf("at PortOne the payment is %s with %s cancelled, want cancelled with 100", pay.Status, pay.CancelAmount)
		}
		if o.PaidAmount == o.Amount {
			t.Errorf("order records paid %s, the tampered payment was 100", o.PaidAmount)
		}
	})
}

// TestBuyerAbandons: with no redirect and no webhook, only the reconciler
// can learn what happened. It records a window left open, and settles a
// payment approved by a buyer who never came back.
func TestBuyerAbandons(t *testing.T) {
	s := startServe(t, map[string]string{
		"PAYRESULT_RECONCILE_SCHEDULE": "200ms,200ms",
		"PAYRESULT_RECONCILE_INTERVAL": "100ms",
	})
	t.Run("leaves the window", func(t *testing.T) {
		ctx := tab(t)
		openShop(t, ctx, s, "", "card")
		buy(t, ctx)
		mu := windowOrder(t, ctx)
		choose(t, ctx, "abandoned")
		run(t, ctx, "waiting for the window to close", chromedp.WaitVisible(chromedp.CSS(`[data-result="abandoned"]`)))
		var d *orderDetail
		settled := poll(15*time.Second, func() bool {
			d = s.detail(t, mu)
			return d.Order.Checks >= 2 && d.Order.NextCheckAt.IsZero()
		})
		if !settled {
			t.Fatalf("order %s: %d reconciler checks, next at %v; want its checks done", mu, d.Order.Checks, d.Order.NextCheckAt)
		}
		if d.Order.Status != payresult.StatusPending {
			t.Errorf("order %s is %s, want pending: nothing was paid", mu, d.Order.Status)
		}
		if len(d.Attempts) != 1 || d.Attempts[0].Status != portone.StatusReady {
			t.Errorf("attempts %+v, want the one left ready at PortOne", d.Attempts)
		}
		if !hasSource(d.Timeline, payresult.SourceReconciler) {
			t.Errorf("timeline has no reconciler line: %+v", d.Timeline)
		}
	})
	t.Run("pays and never comes back", func(t *testing.T) {
		// The buyer approves some time after the order is made, longer on
		// a busy machine: the reconciler keeps checking for a minute (300
		// checks 200 ms apart) rather than the 0.4 s above, whose checks
		// could all pass before the approval.
		s := startServe(t, map[string]string{
			"PAYRESULT_RECONCILE_SCHEDULE": strings.Repeat("200ms,", 299) + "200ms",
			"PAYRESULT_RECONCILE_INTERVAL": "100ms",
		})
		s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{"webhook_drop": true}, http.StatusOK, nil)
		t.Cleanup(func() { s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{}, http.StatusOK, nil) })
		ctx := tab(t)
		openShop(t, ctx, s, "", "card")
		buy(t, ctx)
		mu := windowOrder(t, ctx)
		// The window approves, but the browser never follows the redirect
		// back: the tab is closed right after.
		got := eval[string](t, ctx, `fetch(location.href, {method: "POST", body: new URLSearchParams({outcome: "paid"}), redirect: "manual"}).then(function(r){ return r.type; })`)
		if got != "opaqueredirect" {
			t.Fatalf("approving in the window answered %q, want a redirect left unfollowed", got)
		}
		run(t, ctx, "leaving", chromedp.Navigate("about:blank"))
		s.waitStatus(t, mu, payresult.StatusPaid)
		if d := s.detail(t, mu); !hasSource(d.Timeline, payresult.SourceReconciler) || hasSource(d.Timeline, payresult.SourceWebhook) || hasSource(d.Timeline, payresult.SourceRedirect) {
			t.Errorf("want the reconciler alone to have settled it; timeline: %+v", d.Timeline)
		}
	})
}

func hasSource(lines []payresult.Note, src payresult.NoticeSource) bool {
	for _, l := range lines {
		if l.Source == src {
			return true
		}
	}
	return false
}

// TestAdminPageInBrowser pays in the browser and then looks the order up
// on the admin page, on a laptop and on a phone.
func TestAdminPageInBrowser(t *testing.T) {
	s := startServe(t, nil)
	ctx := tab(t)
	openShop(t, ctx, s, "", "card")
	buy(t, ctx)
	mu := windowOrder(t, ctx)
	choose(t, ctx, "paid")
	resultPage(t, ctx)
	payThroughEmulator(t, s, "admin-browser-2")
	s.waitStatus(t, "admin-browser-2", payresult.StatusPaid)

	run(t, ctx, "opening the admin page", withBasicAuth(admin.User, adminPassword),
		chromedp.Navigate(s.url+"/admin/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-merchant-uid="`+mu+`"]`)))
	if n := eval[int](t, ctx, `document.querySelectorAll("svg rect").length`); n < 1 {
		t.Errorf("the chart has %d bars, want the payments just made", n)
	}
	shot(t, ctx, "admin-dashboard")
	run(t, ctx, "opening the order", chromedp.Click(chromedp.CSS(`tr[data-merchant-uid="`+mu+`"] a`)),
		chromedp.WaitVisible(chromedp.ID("timeline")))
	if got := text(t, ctx, "#order-status"); got != "결제 완료 · Paid" {
		t.Errorf("order page says %q, want paid", got)
	}
	shot(t, ctx, "admin-order")
	run(t, ctx, "on a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("timeline")))
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("on a 390 px phone the page is %d px wide: it scrolls sideways", w)
	}
	shot(t, ctx, "admin-order-phone")
}
