package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// v2ShopPage is a merchant's checkout page on the V2 browser SDK: the
// sandbox's stand-in loaded as PortOne's CDN script, or (module) the
// official npm package @portone/browser-sdk served as an ES module and
// pointed at the stand-in. Its pay button calls requestPayment and leaves
// what the promise gave in window.__done.
const v2ShopPage = `<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{if .Module}}<script type="module">
import * as PortOne from "/shop/npm/v2.js";
PortOne.__INTERNAL__setPortOneSdkUrl(location.origin + "/v2/browser-sdk.js");
window.__pay = (req) => PortOne.requestPayment(req);
window.__isPaymentError = (e) => PortOne.isPaymentError(e) && e instanceof PortOne.PaymentError;
window.__ready = true;
</script>{{else}}<script src="/v2/browser-sdk.js"></script>
<script>window.__pay = (req) => PortOne.requestPayment(req); window.__isPaymentError = (e) => e.__portOneErrorType === "PaymentError"; window.__ready = true;</script>{{end}}
</head><body><button id="pay">결제하기</button>
<script>
document.getElementById("pay").addEventListener("click", function () {
  window.__pay({{.Request}}).then(function (r) {
    window.__done = {resolved: r === undefined ? "undefined" : r};
  }, function (e) {
    window.__done = {rejected: {paymentError: window.__isPaymentError(e), code: e.code, message: e.message, isError: e instanceof Error}};
  });
});
</script></body></html>`

// v2Browser is the sandbox and a shop on one origin (so that the test can
// reach into the window's iframe), and a Chromium.
type v2Browser struct {
	em      *emulator.Emulator
	url     string
	browser context.Context
	shared  context.Context // the tab the cases share
	landed  chan url.Values
}

func newV2Browser(t *testing.T) *v2Browser {
	t.Helper()
	exe := chromium(t)
	b := &v2Browser{em: emulator.New(emulator.Config{Seed: 11}), landed: make(chan url.Values, 1)}
	page := template.Must(template.New("shop").Parse(v2ShopPage))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /shop/checkout", func(w http.ResponseWriter, r *http.Request) {
		req := map[string]any{}
		json.Unmarshal([]byte(r.URL.Query().Get("req")), &req)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, map[string]any{"Module": r.URL.Query().Get("module") != "", "Request": req})
	})
	mux.HandleFunc("GET /shop/return", func(w http.ResponseWriter, r *http.Request) {
		select {
		case b.landed <- r.URL.Query():
		default:
		}
		fmt.Fprint(w, `<!doctype html><p id="landed">결제 결과를 확인하고 있습니다</p>`)
	})
	if dir, _ := sdkDirIfInstalled(); dir != "" {
		dist := filepath.Join(dir, "node_modules", "@portone", "browser-sdk", "dist")
		mux.Handle("GET /shop/npm/", http.StripPrefix("/shop/npm/", http.FileServer(http.Dir(dist))))
	}
	mux.Handle("/", b.em)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); b.em.Close() })
	b.url = srv.URL

	bctx := startChromium(t, exe)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	b.browser = bctx
	shared, cancelShared := chromedp.NewContext(bctx)
	t.Cleanup(cancelShared)
	if err := chromedp.Do(shared); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	b.shared = shared
	return b
}

// tab opens a tab for one case.
func (b *v2Browser) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.browser)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// page is the one tab the cases share, one after the other (a new tab
// costs more than a navigation), with a deadline for the case.
func (b *v2Browser) page(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.shared, 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// request is requestPayment's argument for paymentID.
func (b *v2Browser) request(paymentID, payMethod string, redirect bool) map[string]any {
	req := map[string]any{"storeId": emulator.DefaultV2StoreID, "channelKey": emulator.DefaultV2ChannelKey,
		"paymentId": paymentID, "orderName": "브라우저 주문", "totalAmount": 12000, "currency": "CURRENCY_KRW",
		"payMethod": payMethod, "customer": map[string]any{"fullName": "홍길동", "phoneNumber": "010-1234-5678"}}
	if redirect {
		req["redirectUrl"] = b.url + "/shop/return?from=shop"
		req["forceRedirect"] = true
	}
	return req
}

// checkout opens the shop with req and presses pay.
func (b *v2Browser) checkout(t *testing.T, ctx context.Context, req map[string]any, module bool) {
	t.Helper()
	q := url.Values{"req": {string(mustJSON(t, req))}}
	if module {
		q.Set("module", "1")
	}
	// The tab is shared with the case before, whose last page may still be
	// loading on a busy machine: a navigation of its own can then replace
	// the checkout's document while it is polled ("Cannot find context
	// with specified id"). The checkout is opened again in that case; the
	// pay button is pressed only once, on a page that is ready.
	var err error
	for try := 0; try < 3; try++ {
		err = chromedp.Do(ctx,
			chromedp.Navigate(b.url+"/shop/checkout?"+q.Encode()),
			chromedp.Poll[chromedp.Void](`window.__ready === true`, chromedp.WithPollingInterval(20*time.Millisecond)),
		)
		if err == nil || !strings.Contains(err.Error(), "Cannot find context") {
			break
		}
	}
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay")))
	}
	if err != nil {
		t.Fatalf("checkout: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inFrame is the outcome button in the window over the page.
func inFrame(outcome string) string {
	return `(function(){var f=document.getElementById("payresult-portone-window");
		return f && f.contentDocument ? f.contentDocument.querySelector('button[data-outcome="` + outcome + `"]') : null;})()`
}

// done waits for the promise and returns what it gave.
func done(t *testing.T, ctx context.Context) map[string]any {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`!!window.__done`, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("waiting for requestPayment's promise: %v", err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`window.__done`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBrowserV2 pays through the V2 sandbox in one Chromium: the promise
// and the redirect flows for every outcome, the refusals before any window
// opens, and a page on the official @portone/browser-sdk.
func TestBrowserV2(t *testing.T) {
	b := newV2Browser(t)
	t.Run("PromiseFlow", func(t *testing.T) { testV2PromiseFlow(t, b) })
	t.Run("RedirectFlow", func(t *testing.T) { testV2RedirectFlow(t, b) })
	t.Run("PhoneRedirect", func(t *testing.T) { testV2PhoneRedirect(t, b) })
	t.Run("Refusals", func(t *testing.T) { testV2Refusals(t, b) })
	t.Run("OfficialSDK", func(t *testing.T) { testV2OfficialSDK(t, b) })
}

// v2Outcomes are the window's outcomes and what each leaves: the
// payment's status, and whether the answer reports a failure.
var v2Outcomes = []struct {
	outcome, method string
	status          portonev2.Status
	failed          bool
}{
	{"paid", "CARD", portonev2.StatusPaid, false},
	{"vbank_issued", "VIRTUAL_ACCOUNT", portonev2.StatusVirtualAccountIssued, false},
	{"pay_pending", "EASY_PAY", portonev2.StatusPayPending, false},
	{"failed", "CARD", portonev2.StatusFailed, true},
	{"cancelled_by_user", "CARD", portonev2.StatusFailed, true},
	{"abandoned", "CARD", portonev2.StatusReady, true},
}

// testV2PromiseFlow pays through requestPayment's promise in
// Chromium for every outcome: the window opens over the page, and the
// promise resolves with transactionType, txId and paymentId, plus code
// and message when the payment did not complete. Leaving the window in
// this flow closes it, which PortOne reports as the buyer's cancel.
func testV2PromiseFlow(t *testing.T, b *v2Browser) {
	for _, tt := range v2Outcomes {
		t.Run(tt.outcome, func(t *testing.T) {
			ctx := b.page(t)
			id := "promise-" + tt.outcome
			b.checkout(t, ctx, b.request(id, tt.method, false), false)
			if err := chromedp.Do(ctx,
				chromedp.Poll[chromedp.Void](`!!`+inFrame(tt.outcome), chromedp.WithPollingInterval(20*time.Millisecond)),
				chromedp.Evaluate[chromedp.Void](inFrame(tt.outcome)+`.click()`),
			); err != nil {
				t.Fatalf("choosing %s in the window: %v", tt.outcome, err)
			}
			got := done(t, ctx)
			resp, ok := got["resolved"].(map[string]any)
			p, _ := b.em.PaymentV2(id)
			if !ok || p == nil {
				t.Fatalf("the promise gave %v; payment %v", got, p)
			}
			if resp["paymentId"] != id || resp["transactionType"] != "PAYMENT" || resp["txId"] != p.TransactionID {
				t.Errorf("resolved with %v, want paymentId %s, transactionType PAYMENT, txId %s", resp, id, p.TransactionID)
			}
			wantStatus := tt.status
			if tt.outcome == "abandoned" {
				wantStatus = portonev2.StatusFailed // the window was closed: a cancel
			}
			if p.Status != wantStatus {
				t.Errorf("payment is %s, want %s", p.Status, wantStatus)
			}
			if _, hasCode := resp["code"]; hasCode != tt.failed {
				t.Errorf("resolved with %v: code present = %v, want %v", resp, hasCode, tt.failed)
			}
			if tt.outcome == "failed" && (resp["pgCode"] == nil || resp["message"] == nil) {
				t.Errorf("a declined payment resolved without pgCode and message: %v", resp)
			}
			if gone, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("payresult-portone-window")`)); !gone {
				t.Errorf("the window is still over the page")
			}
		})
	}
}

// testV2RedirectFlow pays through the redirect flow in Chromium for
// every outcome: the browser lands on redirectUrl with paymentId,
// transactionType and txId, and code, message (and pgCode, pgMessage) when
// the payment did not complete; a window left sends nobody back and shows
// a way back to the shop.
func testV2RedirectFlow(t *testing.T, b *v2Browser) {
	for _, tt := range v2Outcomes {
		t.Run(tt.outcome, func(t *testing.T) {
			ctx := b.page(t)
			id := "redirect-" + tt.outcome
			b.checkout(t, ctx, b.request(id, tt.method, true), false)
			if err := chromedp.Do(ctx,
				chromedp.WaitVisible(chromedp.CSS(`button[data-outcome="`+tt.outcome+`"]`)),
				chromedp.Click(chromedp.CSS(`button[data-outcome="`+tt.outcome+`"]`)),
			); err != nil {
				t.Fatalf("choosing %s in the window: %v", tt.outcome, err)
			}
			p, _ := b.em.PaymentV2(id)
			if tt.outcome == "abandoned" {
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-result="abandoned"]`)), chromedp.WaitVisible(chromedp.CSS(`a[data-back]`))); err != nil {
					t.Fatalf("the page after leaving the window: %v", err)
				}
				if p.Status != portonev2.StatusReady {
					t.Errorf("payment is %s, want READY", p.Status)
				}
				return
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("landed"))); err != nil {
				t.Fatalf("waiting for the redirect: %v", err)
			}
			q := <-b.landed
			if q.Get("paymentId") != id || q.Get("transactionType") != "PAYMENT" || q.Get("txId") != p.TransactionID || q.Get("from") != "shop" {
				t.Errorf("landed with %v, want paymentId %s, transactionType PAYMENT, txId %s, from=shop kept", q, id, p.TransactionID)
			}
			if q.Has("code") != tt.failed || (tt.failed && q.Get("message") == "") {
				t.Errorf("landed with %v: code present = %v, want %v", q, q.Has("code"), tt.failed)
			}
			if tt.outcome == "failed" && (q.Get("pgCode") == "" || q.Get("pgMessage") == "") {
				t.Errorf("a declined payment landed without pgCode and pgMessage: %v", q)
			}
			if p2, _ := b.em.PaymentV2(id); p2.Status != tt.status {
				t.Errorf("payment is %s, want %s", p2.Status, tt.status)
			}
		})
	}
}

// testV2PhoneRedirect: on a phone, a request with redirectUrl redirects
// without forceRedirect, as PortOne's SDK does there.
func testV2PhoneRedirect(t *testing.T, b *v2Browser) {
	ctx := b.tab(t)
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12)); err != nil {
		t.Fatal(err)
	}
	req := b.request("phone-1", "CARD", true)
	delete(req, "forceRedirect")
	b.checkout(t, ctx, req, false)
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`button[data-outcome="paid"]`)),
		chromedp.Click(chromedp.CSS(`button[data-outcome="paid"]`)),
		chromedp.WaitVisible(chromedp.ID("landed")),
	); err != nil {
		t.Fatalf("paying on a phone: %v", err)
	}
	q := <-b.landed
	p, _ := b.em.PaymentV2("phone-1")
	if q.Get("paymentId") != "phone-1" || p == nil || p.Status != portonev2.StatusPaid || p.Origin.PlatformType != "MOBILE" {
		t.Errorf("on a phone: landed with %v, payment %+v", q, p)
	}
}

// testV2Refusals: a request PortOne refuses before any window opens
// rejects the promise with a PaymentError and is never redirected, even
// with forceRedirect.
func testV2Refusals(t *testing.T, b *v2Browser) {
	if err := b.em.PrepareV2("pre-1", 5000, "KRW"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, code string
		edit       func(map[string]any)
	}{
		{"no storeId", "BadRequest", func(r map[string]any) { delete(r, "storeId") }},
		{"unknown channel", "ChannelNotFound", func(r map[string]any) { r["channelKey"] = "channel-key-nope" }},
		{"amount differs from the pre-registered one", "AmountNotEqualToPredefined", func(r map[string]any) { r["paymentId"] = "pre-1" }},
		{"a string amount", "BadRequest", func(r map[string]any) { r["totalAmount"] = "12000" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := b.page(t)
			req := b.request("refused-"+strings.ReplaceAll(tt.name, " ", "-"), "CARD", true)
			tt.edit(req)
			b.checkout(t, ctx, req, false)
			got := done(t, ctx)
			rej, ok := got["rejected"].(map[string]any)
			if !ok || rej["paymentError"] != true || rej["code"] != tt.code || rej["isError"] != true {
				t.Errorf("the promise gave %v, want a PaymentError with code %s", got, tt.code)
			}
			if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/shop/checkout") {
				t.Errorf("the refused request moved the browser to %s", loc)
			}
		})
	}
}

// testV2OfficialSDK pays through a page built on the official npm
// package @portone/browser-sdk, unmodified and served as an ES module: its
// loader loads the sandbox's stand-in from the URL given to
// __INTERNAL__setPortOneSdkUrl, requestPayment resolves with the
// payment's answer, and its PaymentError recognises the stand-in's errors.
func testV2OfficialSDK(t *testing.T, b *v2Browser) {
	portoneSDKs(t)
	ctx := b.tab(t)
	b.checkout(t, ctx, b.request("npm-1", "CARD", false), true)
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`!!`+inFrame("paid"), chromedp.WithPollingInterval(20*time.Millisecond)),
		chromedp.Evaluate[chromedp.Void](inFrame("paid")+`.click()`),
	); err != nil {
		t.Fatalf("paying through @portone/browser-sdk: %v", err)
	}
	got := done(t, ctx)
	p, _ := b.em.PaymentV2("npm-1")
	resp, _ := got["resolved"].(map[string]any)
	if p == nil || p.Status != portonev2.StatusPaid || resp["txId"] != p.TransactionID || resp["code"] != nil {
		t.Errorf("through @portone/browser-sdk: resolved %v, payment %v", got, p)
	}

	ctx = b.tab(t)
	req := b.request("npm-2", "CARD", false)
	req["channelKey"] = "channel-key-nope"
	b.checkout(t, ctx, req, true)
	rej, _ := done(t, ctx)["rejected"].(map[string]any)
	if rej["paymentError"] != true || rej["code"] != "ChannelNotFound" {
		t.Errorf("a refused request through @portone/browser-sdk: %v, want its PaymentError with code ChannelNotFound", rej)
	}
}

// sdkDirIfInstalled is sdkDir when the SDKs are installed.
func sdkDirIfInstalled() (string, bool) {
	dir, err := filepath.Abs(sdkDir)
	if err != nil {
		return "", false
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@portone", "browser-sdk", "dist", "v2.js")); err != nil {
		return "", false
	}
	return dir, true
}
