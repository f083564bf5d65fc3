package e2e_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is the one Chromium of this test binary; nil when none was found
// (then noBrowser says why).
var (
	browser   context.Context
	noBrowser string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests starts Chromium, if there is one, for every test to open tabs
// in, and stops it after the last test.
func runTests(m *testing.M) int {
	exe := findChromium()
	if exe == "" {
		noBrowser = "no Chromium found (looked for /usr/bin/chromium, chromium, chromium-browser, google-chrome)"
		return m.Run()
	}
	profile, err := os.MkdirTemp("", "payresult-e2e-profile-")
	if err != nil {
		noBrowser = "no profile directory: " + err.Error()
		return m.Run()
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1000, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		noBrowser = "Chromium did not start: " + err.Error()
		return m.Run()
	}
	browser = bctx
	return m.Run()
}

func findChromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// tab opens a tab in a fresh browser context (no cookies or storage from
// other tests) and closes it when the test ends, keeping a screenshot of
// its last page if the test failed. It skips the test when there is no
// browser, unless PAYRESULT_TEST_BROWSER=required.
func tab(t *testing.T) context.Context {
	t.Helper()
	if browser == nil {
		if os.Getenv("PAYRESULT_TEST_BROWSER") == "required" {
			t.Fatalf("PAYRESULT_TEST_BROWSER=required, but %s", noBrowser)
		}
		t.Skipf("%s; set PAYRESULT_TEST_BROWSER=required to make this a failure", noBrowser)
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 900)); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	t.Cleanup(func() { keepFailure(t, ctx) })
	tctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return tctx
}

// keepFailure saves the last page of a failed test under
// $TMPDIR/payresult-e2e/ and logs where.
func keepFailure(t *testing.T, ctx context.Context) {
	if !t.Failed() {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("no screenshot of the failure: %v", err)
		return
	}
	dir := filepath.Join(os.TempDir(), "payresult-e2e")
	path := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+".png")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot not saved: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot not saved: %v", err)
		return
	}
	location, _ := chromedp.Run(sctx, chromedp.Location())
	t.Logf("screenshot of the last page (%s): %s", location, path)
}

// shot saves a screenshot of the whole page as name.png in
// $PAYRESULT_E2E_SHOTS, when that is set.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("PAYRESULT_E2E_SHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// run runs browser steps, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// eval runs JavaScript in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %q: %v", js, err)
	}
	return v
}

// openShop opens the demo shop (query may pick the flow), picks the
// payment method and presses buy.
func openShop(t *testing.T, ctx context.Context, s *server, query, method string) {
	t.Helper()
	run(t, ctx, "opening the demo shop",
		chromedp.Navigate(s.url+"/"+query),
		chromedp.WaitVisible(chromedp.ID("buy")),
		chromedp.Click(chromedp.CSS(`input[name=pay_method][value=`+method+`]`)),
	)
}

// buy presses the shop's buy button.
func buy(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, "pressing buy", chromedp.Click(chromedp.ID("buy")))
}

// windowOrder waits for the sandbox payment window and returns the order
// it is for.
func windowOrder(t *testing.T, ctx context.Context) string {
	t.Helper()
	run(t, ctx, "waiting for the payment window", chromedp.WaitVisible(chromedp.CSS(`button[data-outcome="paid"]`)))
	return strings.TrimSpace(text(t, ctx, `dd[data-field="merchant_uid"]`))
}

// choose presses an outcome's button in the payment window.
func choose(t *testing.T, ctx context.Context, outcome string) {
	t.Helper()
	run(t, ctx, "choosing "+outcome, chromedp.Click(chromedp.CSS(`button[data-outcome="`+outcome+`"]`)))
}

// resultPage waits for payresult's result page and returns its heading
// and the query of its address.
func resultPage(t *testing.T, ctx context.Context) (string, url.Values) {
	t.Helper()
	u := waitPath(t, ctx, "/portone/redirect")
	run(t, ctx, "waiting for the result page", chromedp.WaitVisible(chromedp.CSS(`main > h1`)))
	return text(t, ctx, "main > h1"), u.Query()
}

// waitPath waits until the tab is at path and returns its address.
func waitPath(t *testing.T, ctx context.Context, path string) *url.URL {
	t.Helper()
	var u *url.URL
	arrived := poll(20*time.Second, func() bool {
		location, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil {
			u, err = url.Parse(location)
		}
		return err == nil && u.Path == path
	})
	if !arrived {
		t.Fatalf("the browser is at %v, not on %s", u, path)
	}
	return u
}

// pageText is the whole visible text of the page.
func pageText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.body.innerText`)
}

// withBasicAuth makes the tab send the admin credential with every request.
func withBasicAuth(user, pass string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tgt, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		auth := "Basic " + basicToken(user, pass)
		_, err := cdp.Call(ctx, tgt, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
		return err
	})
}

func basicToken(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
