package e2e_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/admin"
)

// dialogs answers the page's confirm() dialogs, as an operator would,
// and keeps what they asked.
type dialogs struct {
	accept atomic.Bool
	mu     sync.Mutex
	asked  []string
}

func watchDialogs(ctx context.Context) *dialogs {
	d := &dialogs{}
	d.accept.Store(true)
	evs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range evs {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.asked = append(d.asked, ev.Message)
			d.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: d.accept.Load()})
		}
	}()
	return d
}

// last is the last question asked, "" for none.
func (d *dialogs) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.asked) == 0 {
		return ""
	}
	return d.asked[len(d.asked)-1]
}

func (d *dialogs) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.asked)
}

// adminTab opens the console in a tab of vp's size that sends the admin
// credential, and answers its dialogs.
func adminTab(t *testing.T, s *server, vp viewport) (context.Context, *dialogs) {
	t.Helper()
	ctx := viewTab(t, s, vp)
	run(t, ctx, "signing in to the admin console", withBasicAuth(admin.User, adminPassword))
	return ctx, watchDialogs(ctx)
}

// act presses an action's button and waits for the page it leads to: a
// new page (the one it was pressed on may show wait already, as the page
// after an earlier action does) on which wait is shown.
func act(t *testing.T, ctx context.Context, what, button, wait string) {
	t.Helper()
	eval[bool](t, ctx, `window.__beforeAction = true`)
	run(t, ctx, what, chromedp.Click(chromedp.CSS(button)))
	arrived := `!window.__beforeAction && document.readyState === "complete" && !!document.querySelector(` + strconv.Quote(wait) + `)`
	if !poll(20*time.Second, func() bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](arrived))
		return err == nil && ok // an error while the next page loads: look again
	}) {
		t.Fatalf("%s: no new page showing %s within 20 s", what, wait)
	}
	run(t, ctx, what, chromedp.WaitVisible(chromedp.CSS(wait)))
}

// TestAdminActionsInBrowser drives each action of the console in
// Chromium on a phone and a laptop: each asks first, does what it says,
// and is written on the order's timeline with who did it. A refund
// answered "cancel" refunds nothing, and a refund posted from another
// site with the operator's credential is refused.
func TestAdminActionsInBrowser(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(app.Close)
	s := startServe(t, map[string]string{
		"PAYRESULT_EVENTS_URL":    app.URL,
		"PAYRESULT_EVENTS_SECRET": "whsec_" + base64.StdEncoding.EncodeToString([]byte("e2e events secret of 32 bytes..")),
	})
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			mu := "admin-actions-" + vp.name
			register(t, s, mu)
			s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{"webhook_drop": true}, http.StatusOK, nil)
			sandboxPay(t, s, mu, 12000, "paid")
			s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{}, http.StatusOK, nil)
			ctx, dlg := adminTab(t, s, vp)

			run(t, ctx, "opening the order", chromedp.Navigate(s.url+"/admin/orders/"+mu), chromedp.WaitVisible(chromedp.ID("timeline")))
			checkAdminPage(t, ctx, vp, "order-before-recheck")
			act(t, ctx, "re-checking at PortOne", "#recheck button", "#done")
			if got := dlg.last(); !strings.Contains(got, "PortOne에서 다시 확인할까요?") {
				t.Errorf("the re-check asked %q first", got)
			}
			if got := text(t, ctx, "#order-status"); got != "결제 완료 · Paid" {
				t.Errorf("after the re-check the order reads %q, want paid", got)
			}

			dlg.accept.Store(false)
			asked := dlg.count()
			run(t, ctx, "typing a refund", chromedp.SendKeys(chromedp.CSS(`#refund input[name=amount]`), "5000"),
				chromedp.Click(chromedp.CSS("#refund button")))
			if !poll(5*time.Second, func() bool { return dlg.count() > asked }) {
				t.Fatal("the refund did not ask first")
			}
			if o := s.order(t, mu); !o.RefundedAmount.IsZero() {
				t.Fatalf("a refund the operator cancelled refunded %s", o.RefundedAmount)
			}
			dlg.accept.Store(true)
			act(t, ctx, "refunding 5,000", "#refund button", "#done")
			if got := dlg.last(); !strings.Contains(got, "5000원을 환불합니다") {
				t.Errorf("the refund asked %q, want the amount typed", got)
			}
			if got := text(t, ctx, "#refunded-amount"); got != "5,000원" {
				t.Errorf("after the refund the page says %q refunded, want 5,000원", got)
			}
			checkAdminPage(t, ctx, vp, "order-after-refund")

			ev := s.detail(t, mu).Events[0]
			if !poll(15*time.Second, func() bool { return s.detail(t, mu).Events[0].State == payresult.DeliveryDelivered }) {
				t.Fatalf("event %s was never delivered to the app", ev.ID)
			}
			run(t, ctx, "reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("events")))
			act(t, ctx, "resending the event", `tr[data-event-id="`+ev.ID+`"] button`, "#done")
			if got := dlg.last(); !strings.Contains(got, "앱에 다시 보낼까요?") {
				t.Errorf("the resend asked %q first", got)
			}

			lines := eval[string](t, ctx, `Array.from(document.querySelectorAll('#timeline tr[data-source="admin"]')).map(function(r){return r.innerText}).join("\n")`)
			for _, want := range []string{"admin from 127.0.0.1: asked to re-check", "admin from 127.0.0.1: refunded 5,000원", "admin from 127.0.0.1: sent order.paid"} {
				if !strings.Contains(lines, want) {
					t.Errorf("the timeline lacks %q; the operator's lines:\n%s", want, lines)
				}
			}
			checkAdminPage(t, ctx, vp, "order-after-actions")
			forgedRefund(t, ctx, s, vp, mu)
		})
	}
}

// forgedRefund posts a refund to the console from a page of another site,
// in a tab that holds the operator's credential: the console refuses it.
func forgedRefund(t *testing.T, ctx context.Context, s *server, vp viewport, mu string) {
	t.Helper()
	o := s.order(t, mu)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/admin/orders/%s/refund">
			<input name="amount" value="7000"><input name="version" value="%d"><input name="token" value="guessed"></form>
			<script>document.getElementById("f").submit()</script>`, html.EscapeString(s.url), mu, o.Version)
	}))
	t.Cleanup(evil.Close)
	site := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another site than the console's 127.0.0.1
	run(t, ctx, "visiting another site", chromedp.Navigate(site), chromedp.WaitVisible(chromedp.ID("message")))
	if got := text(t, ctx, "#message"); !strings.Contains(got, "A request sent from another site is refused") {
		t.Errorf("the forged refund got %q, want it refused", got)
	}
	shot(t, ctx, "admin-"+vp.name+"-forged-refund-refused")
	if now := s.order(t, mu); now.RefundedAmount != o.RefundedAmount || now.Version != o.Version {
		t.Errorf("the forged refund changed the order: refunded %s → %s", o.RefundedAmount, now.RefundedAmount)
	}
}

// checkAdminPage: the console fits the screen (its tables stack on a
// phone), and a screenshot is kept.
func checkAdminPage(t *testing.T, ctx context.Context, vp viewport, name string) {
	t.Helper()
	sizes := eval[[]int](t, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`)
	if sizes[0] > sizes[1] {
		t.Errorf("%s on a %s is %d px wide in a %d px window: it scrolls sideways", name, vp.name, sizes[0], sizes[1])
	}
	if vp.phone {
		if d := eval[string](t, ctx, `getComputedStyle(document.querySelector("table.stack td")).display`); d == "table-cell" {
			t.Errorf("%s on a phone: the tables' cells are table cells, want them stacked", name)
		}
	}
	shot(t, ctx, "admin-"+vp.name+"-"+name)
}

// TestAdminConsoleScreens shows the dashboard on both screens, with a
// forged deposit waiting for the buyer's account among the orders.
func TestAdminConsoleScreens(t *testing.T) {
	s := startServe(t, nil)
	for i := range 3 {
		mu := fmt.Sprintf("admin-screens-%d", i)
		register(t, s, mu)
		sandboxPay(t, s, mu, 12000, "paid")
		s.waitStatus(t, mu, payresult.StatusPaid)
	}
	register(t, s, "admin-screens-waiting")
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			ctx, _ := adminTab(t, s, vp)
			run(t, ctx, "opening the dashboard", chromedp.Navigate(s.url+"/admin/"), chromedp.WaitVisible(chromedp.ID("order-list")))
			if got := text(t, ctx, `tr[data-merchant-uid="admin-screens-0"] [data-status]`); got != "결제 완료 · Paid" {
				t.Errorf("the order list reads %q for a paid order", got)
			}
			if !strings.Contains(pageText(t, ctx), "12,000원") {
				t.Error("the order list does not show amounts as 12,000원")
			}
			checkAdminPage(t, ctx, vp, "dashboard")
		})
	}
}
