package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/payresult/payresult"
)

// v2ResultPage waits for payresult's result page at its V2 redirect and
// returns its heading and the query the buyer came back with.
func v2ResultPage(t *testing.T, ctx context.Context) (string, url.Values) {
	t.Helper()
	u := waitPath(t, ctx, "/portone/v2/redirect")
	run(t, ctx, "waiting for the result page", chromedp.WaitVisible(chromedp.CSS(`main > h1`)))
	return text(t, ctx, "main > h1"), u.Query()
}

// TestBuyerDemoShopV2 pays in the demo shop through PortOne V2 on a phone:
// the shop registers a V2 order with payresult (which pre-registers the
// amount), the page calls the sandbox's PortOne.requestPayment, the buyer
// picks an outcome in the window and comes back to payresult's V2
// redirect, whose result page shows the order as payresult confirmed it
// at PortOne V2; the order and its events say V2. A virtual account's
// deposit then reaches the order through V2's signed webhook.
func TestBuyerDemoShopV2(t *testing.T) {
	s := startServe(t, nil)
	for _, tt := range []struct {
		method, outcome, title string
		status                 payresult.Status
		failed                 bool
	}{
		{"card", "paid", "결제가 완료되었습니다", payresult.StatusPaid, false},
		{"vbank", "vbank_issued", "가상계좌가 발급되었습니다", payresult.StatusVbankIssued, false},
		{"card", "failed", "결제에 실패했습니다", payresult.StatusFailed, true},
	} {
		t.Run(tt.outcome, func(t *testing.T) {
			ctx := tab(t)
			run(t, ctx, "a phone's viewport", chromedp.EmulateViewport(390, 844))
			openShop(t, ctx, s, "?api=v2", tt.method)
			buy(t, ctx)
			id := windowOrder(t, ctx)
			if !strings.HasPrefix(id, "demo2_") {
				t.Fatalf("the window is for %q, want a V2 paymentId demo2_…", id)
			}
			choose(t, ctx, tt.outcome)
			title, q := v2ResultPage(t, ctx)
			if !strings.Contains(title, tt.title) {
				t.Errorf("result page title %q, want %q", title, tt.title)
			}
			if q.Get("paymentId") != id || q.Get("txId") == "" || q.Has("code") != tt.failed {
				t.Errorf("came back with %v, want paymentId %s, a txId, and code only when it failed", q, id)
			}
			if !strings.Contains(pageText(t, ctx), id) {
				t.Errorf("the result page does not name the order %s", id)
			}
			if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
				t.Errorf("the result page is %d px wide on a 390 px phone", w)
			}
			o := s.waitStatus(t, id, tt.status)
			if o.API != payresult.APIV2 || o.ImpUID != id {
				t.Errorf("order %s: api %q, imp_uid %q; want v2 and its paymentId", id, o.API, o.ImpUID)
			}
			if tt.outcome != "vbank_issued" {
				checkV2Events(t, s, id)
				return
			}
			if shown := strings.TrimSpace(text(t, ctx, "#account-number")); shown == "" {
				t.Errorf("the result page shows no account number")
			}
			s.call(t, "POST", "/sandbox/__emulator/v2/payments/"+id+"/deposit", nil, nil, http.StatusOK, nil)
			s.waitStatus(t, id, payresult.StatusPaid)
			run(t, ctx, "reloading the result page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main > h1")))
			if title := text(t, ctx, "main > h1"); !strings.Contains(title, "결제가 완료되었습니다") {
				t.Errorf("after the deposit the result page says %q, want paid", title)
			}
			checkV2Events(t, s, id)
		})
	}
}

// checkV2Events checks that every event of a V2 order says its API.
func checkV2Events(t *testing.T, s *server, id string) {
	t.Helper()
	d := s.detail(t, id)
	if len(d.Events) == 0 {
		t.Errorf("order %s has no events", id)
	}
	for _, ev := range d.Events {
		var data struct {
			API string `json:"api"`
		}
		if err := json.Unmarshal(ev.Data, &data); err != nil || data.API != "v2" {
			t.Errorf("event %s of %s says api %q, want v2 (%v)", ev.Type, id, data.API, err)
		}
	}
}
