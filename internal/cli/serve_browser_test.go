package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserPath finds Chromium, or skips the test unless
// PAYRESULT_TEST_BROWSER=required.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("PAYRESULT_TEST_BROWSER") == "required" {
		t.Fatal("PAYRESULT_TEST_BROWSER=required but no Chromium was found")
	}
	t.Skip("no Chromium; set PAYRESULT_TEST_BROWSER=required to make this a failure")
	return ""
}

// TestServeDemoShopInBrowser is a new user's first minute in a real
// browser: open the demo shop, buy, pick an outcome in the sandbox window,
// and land on payresult's verified result page.
func TestServeDemoShopInBrowser(t *testing.T) {
	exe := browserPath(t)
	s := startServe(t, map[string]string{})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)

	tests := []struct {
		name, method, outcome, want string
	}{
		{"card, paid", "card", "paid", "결제가 완료되었습니다"},
		{"virtual account", "vbank", "vbank_issued", "가상계좌가 발급되었습니다"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := chromedp.Do(ctx,
				chromedp.Navigate(s.url+"/"),
				chromedp.WaitReady(chromedp.ID("buy")),
				chromedp.Click(chromedp.CSS(`input[name=pay_method][value=`+tt.method+`]`)),
				chromedp.Click(chromedp.ID("buy")),
				chromedp.WaitVisible(chromedp.CSS(`button[data-outcome="`+tt.outcome+`"]`)),
				chromedp.Click(chromedp.CSS(`button[data-outcome="`+tt.outcome+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`p.chip`)),
			)
			if err != nil {
				t.Fatalf("browser flow: %v", err)
			}
			location, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(location, "/portone/redirect?") {
				t.Errorf("landed on %s, want payresult's /portone/redirect", location)
			}
			if !strings.Contains(title, tt.want) {
				t.Errorf("landed on %s titled %q, want %q", location, title, tt.want)
			}
		})
	}
}
