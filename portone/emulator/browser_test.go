package emulator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// chromium finds the browser, or skips the test unless
// PAYRESULT_TEST_BROWSER=required.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("PAYRESULT_TEST_BROWSER") == "required" {
		t.Fatal("PAYRESULT_TEST_BROWSER=required but no chromium was found")
	}
	t.Skip("no chromium; set PAYRESULT_TEST_BROWSER=required to make this a failure")
	return ""
}

// startChromium starts the browser at exe for one test, with a profile
// of its own, and stops it when the test ends.
func startChromium(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	return ctx
}

// shopPage is a merchant's checkout page that uses the emulator's
// iamport.js in the redirect flow.
const shopPage = `<!doctype html><html><head><meta charset="utf-8">
<script src="%s/v1/iamport.js"></script></head><body>
<button id="pay">주문하기</button>
<script>
IMP.init("imp19424728");
document.getElementById("pay").addEventListener("click", function () {
  IMP.request_pay({pg: "html5_inicis", pay_method: "card", merchant_uid: "browser-1", name: "브라우저 주문",
    amount: 3000, buyer_tel: "010-0000-0000", m_redirect_url: "%s/pay/return?from=shop", popup: false});
});
</script></body></html>`

// TestBrowserRedirectFlow loads iamport.js in a real Chromium, calls
// IMP.request_pay with m_redirect_url, approves in the window and checks
// that the browser lands on the redirect target with the right query.
func TestBrowserRedirectFlow(t *testing.T) {
	exe := chromium(t)
	e := emulator.New(emulator.Config{Seed: 3})
	emu := httptest.NewServer(e)
	t.Cleanup(func() { emu.Close(); e.Close() })

	var mu sync.Mutex
	var landed url.Values
	shop := http.NewServeMux()
	var shopURL string
	shop.HandleFunc("GET /checkout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, shopPage, emu.URL, shopURL)
	})
	shop.HandleFunc("GET /pay/return", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		landed = r.URL.Query()
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><p id="landed">결제 결과를 확인하고 있습니다</p>`)
	})
	shopSrv := httptest.NewServer(shop)
	t.Cleanup(shopSrv.Close)
	shopURL = shopSrv.URL

	ctx, cancelTimeout := context.WithTimeout(startChromium(t, exe), 30*time.Second)
	t.Cleanup(cancelTimeout)

	err := chromedp.Do(ctx,
		chromedp.Navigate(shopURL+"/checkout"),
		chromedp.WaitReady(chromedp.ID("pay")),
		chromedp.Click(chromedp.ID("pay")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-outcome="paid"]`)),
		chromedp.Click(chromedp.CSS(`button[data-outcome="paid"]`)),
		chromedp.WaitVisible(chromedp.ID("landed")),
	)
	if err != nil {
		t.Fatalf("browser flow: %v", err)
	}
	finalURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	payments := e.Payments()
	if len(payments) != 1 {
		t.Fatalf("ledger has %d payments, want 1", len(payments))
	}
	p := payments[0]
	want := shopURL + "/pay/return?from=shop&imp_uid=" + p.ImpUID + "&merchant_uid=browser-1&imp_success=true"
	if finalURL != want {
		t.Errorf("landed on\n %s\nwant\n %s", finalURL, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if landed.Get("imp_uid") != p.ImpUID || landed.Get("imp_success") != "true" || landed.Get("from") != "shop" {
		t.Errorf("redirect query = %v", landed)
	}
	if p.Status != portone.StatusPaid || p.Amount != portone.Won(3000) || p.Name.String != "브라우저 주문" {
		t.Errorf("payment = status %s amount %s name %v", p.Status, p.Amount, p.Name)
	}
}
