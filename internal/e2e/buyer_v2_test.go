package e2e_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// v2ResultPage waits for the demo's V2 result page and returns its state
// and the query the buyer came back with.
func v2ResultPage(t *testing.T, ctx context.Context) (string, url.Values) {
	t.Helper()
	u := waitPath(t, ctx, "/demo/v2/result")
	state, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-state]`), "data-state"))
	if err != nil {
		t.Fatalf("reading the V2 result page: %v", err)
	}
	return state.Value, u.Query()
}

// TestBuyerDemoShopV2 pays in the demo shop through PortOne V2 on a phone:
// the shop pre-registers the amount, the page calls the sandbox's
// PortOne.requestPayment, the buyer picks an outcome in the window and
// comes back with the answer in the query; the result page shows what the
// sandbox's V2 API says of the payment.
func TestBuyerDemoShopV2(t *testing.T) {
	s := startServe(t, nil)
	for _, tt := range []struct {
		method, outcome, state string
		failed                 bool
	}{
		{"card", "paid", "paid", false},
		{"vbank", "vbank_issued", "vbank_issued", false},
		{"card", "failed", "failed", true},
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
			state, q := v2ResultPage(t, ctx)
			if state != tt.state {
				t.Errorf("result page state %q, want %q", state, tt.state)
			}
			if q.Get("paymentId") != id || q.Get("txId") == "" || q.Has("code") != tt.failed {
				t.Errorf("came back with %v, want paymentId %s, a txId, and code only when it failed", q, id)
			}
			if !strings.Contains(pageText(t, ctx), id) {
				t.Errorf("the result page does not name the payment %s", id)
			}
		})
	}
}
