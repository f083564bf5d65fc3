package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// viewport is a screen the buyer's pages must fit.
type viewport struct {
	name          string
	width, height int64
	phone         bool
}

// viewports are a phone held upright and a laptop.
var viewports = []viewport{
	{"phone", 390, 844, true},
	{"desktop", 1280, 800, false},
}

// viewTab opens a tab the size of vp, allowed to use the clipboard on the
// server's pages.
func viewTab(t *testing.T, s *server, vp viewport) context.Context {
	t.Helper()
	ctx := tab(t)
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if vp.phone {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulateScale(3), chromedp.EmulateMobile}
	}
	grant := chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		c := chromedp.FromContext(ctx)
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			_, err := cdp.Call(ctx, c.Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted,
				Origin: s.url, BrowserContextID: c.BrowserContextID,
			})
			if err != nil {
				return err
			}
		}
		_, err := cdp.Call(ctx, tgt, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})
	run(t, ctx, "sizing the tab as a "+vp.name, chromedp.EmulateViewport(vp.width, vp.height, opts...), grant)
	return ctx
}

// statusCode finds a status code shown to a buyer: one with an underscore
// or a word the pages' English never uses, or any code alone on a line
// (a badge). "paid" inside a sentence is English, not a code.
var (
	statusWord = regexp.MustCompile(`\b(vbank_issued|partially_refunded|pending|forged|ready)\b`)
	statusLine = regexp.MustCompile(`(?m)^\s*(paid|failed|refunded|expired|cancelled)\s*$`)
)

// checkPage is what every buyer page must be on every screen: no sideways
// scroll and no status code in its text. It saves a screenshot named
// after the viewport and the page.
func checkPage(t *testing.T, ctx context.Context, vp viewport, name string) string {
	t.Helper()
	run(t, ctx, "waiting for "+name, chromedp.WaitReady(chromedp.CSS("body")))
	sizes := eval[[]int](t, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`)
	if sizes[0] > sizes[1] {
		t.Errorf("%s on a %s: the page is %d px wide in a %d px window, so it scrolls sideways", name, vp.name, sizes[0], sizes[1])
	}
	text := pageText(t, ctx)
	if m := statusWord.FindString(text); m != "" {
		t.Errorf("%s on a %s shows the status code %q:\n%s", name, vp.name, m, text)
	}
	if m := statusLine.FindString(text); m != "" {
		t.Errorf("%s on a %s shows the status code %q as a label:\n%s", name, vp.name, strings.TrimSpace(m), text)
	}
	shot(t, ctx, "buyer-"+vp.name+"-"+name)
	return text
}

// backToShop clicks a page's link back to the shop and checks that it
// leads there.
func backToShop(t *testing.T, ctx context.Context, s *server, sel string) {
	t.Helper()
	run(t, ctx, "going back to the shop", chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.ID("buy")))
	if loc := eval[string](t, ctx, `location.href`); loc != s.url+"/" {
		t.Errorf("the link back led to %s, want the shop at %s/", loc, s.url)
	}
}

// register registers an order for 12,000원 through the app API.
func register(t *testing.T, s *server, merchantUID string) {
	t.Helper()
	s.call(t, "POST", "/api/orders", apiKey, map[string]any{"merchant_uid": merchantUID, "name": "머그컵", "amount": 12000}, http.StatusCreated, nil)
}

// sandboxPay has the sandbox complete a payment of amount for a
// registered order with outcome, without a browser. It returns the
// payment's imp_uid and the URL the buyer's browser is sent to.
func sandboxPay(t *testing.T, s *server, merchantUID string, amount int64, outcome string) (string, string) {
	t.Helper()
	if amount != 12000 {
		gw := &portone.Client{BaseURL: s.url + "/sandbox", Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
		if _, err := gw.UpdatePrepared(context.Background(), merchantUID, portone.Won(amount), "KRW"); err != nil {
			t.Fatalf("changing the pre-registered amount: %v", err)
		}
	}
	var res struct {
		Payment     portone.Payment `json:"payment"`
		RedirectURL string          `json:"redirect_url"`
	}
	s.call(t, "POST", "/sandbox/__emulator/payments", nil, map[string]any{
		"merchant_uid": merchantUID, "name": "머그컵", "amount": amount, "outcome": outcome, "pay_method": "card",
		"m_redirect_url": s.url + "/portone/redirect",
	}, http.StatusCreated, &res)
	return res.Payment.ImpUID, res.RedirectURL
}

// TestBuyerPagesOnEveryScreen walks every page a buyer can meet on a
// phone and on a laptop: the shop, the sandbox window, each result, the
// pages after leaving the window or pressing Back, and the 404.
func TestBuyerPagesOnEveryScreen(t *testing.T) {
	s := startServe(t, nil)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			t.Run("paid, then Back", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				openShop(t, ctx, s, "", "card")
				checkPage(t, ctx, vp, "shop")
				buy(t, ctx)
				windowOrder(t, ctx)
				if got := strings.TrimSpace(text(t, ctx, `dd[data-field="amount"]`)); got != "12,000원" {
					t.Errorf("the payment window shows the amount as %q, want 12,000원", got)
				}
				checkPage(t, ctx, vp, "window")
				choose(t, ctx, "paid")
				resultPage(t, ctx)
				if got := checkPage(t, ctx, vp, "paid"); !strings.Contains(got, "결제 완료 · Paid") || !strings.Contains(got, "12,000원") {
					t.Errorf("the paid page lacks its label or the amount:\n%s", got)
				}
				run(t, ctx, "pressing Back", chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(`[data-result="closed"]`)))
				checkPage(t, ctx, vp, "back-after-paying")
				backToShop(t, ctx, s, `a[data-back]`)
			})
			t.Run("leaves the window", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				openShop(t, ctx, s, "", "card")
				buy(t, ctx)
				windowOrder(t, ctx)
				choose(t, ctx, "abandoned")
				run(t, ctx, "waiting for the page after leaving", chromedp.WaitVisible(chromedp.CSS(`[data-result="abandoned"]`)))
				checkPage(t, ctx, vp, "abandoned")
				backToShop(t, ctx, s, `a[data-back]`)
			})
			t.Run("leaves the window over the page", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				openShop(t, ctx, s, "?flow=popup", "card")
				buy(t, ctx)
				const leave = `(function(){var f=document.getElementById("payresult-imp-window");
					var b=f && f.contentDocument ? f.contentDocument.querySelector('button[data-outcome="abandoned"]') : null;
					if (b) b.click(); return !!b;})()`
				run(t, ctx, "leaving the window over the shop", chromedp.Poll[chromedp.Void](leave, chromedp.WithPollingInterval(50*time.Millisecond)))
				run(t, ctx, "waiting for the buy button to be ready again",
					chromedp.Poll[chromedp.Void](`!document.getElementById("buy").disabled && !document.getElementById("payresult-imp-window")`,
						chromedp.WithPollingInterval(50*time.Millisecond)))
				if got := checkPage(t, ctx, vp, "shop-after-leaving-popup"); !strings.Contains(got, "다시 시도할 수 있습니다") {
					t.Errorf("the shop does not say the window was closed:\n%s", got)
				}
			})
			t.Run("declined", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				openShop(t, ctx, s, "", "card")
				buy(t, ctx)
				windowOrder(t, ctx)
				choose(t, ctx, "failed")
				resultPage(t, ctx)
				if got := checkPage(t, ctx, vp, "failed"); !strings.Contains(got, "청구된 금액이 없습니다") {
					t.Errorf("the failed page does not say the buyer was not charged:\n%s", got)
				}
			})
			t.Run("virtual account", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				openShop(t, ctx, s, "", "vbank")
				buy(t, ctx)
				windowOrder(t, ctx)
				choose(t, ctx, "vbank_issued")
				resultPage(t, ctx)
				checkPage(t, ctx, vp, "virtual-account")
				checkAccountBox(t, ctx, vp)
			})
			t.Run("refunds", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				mu := "pages-refund-" + vp.name
				register(t, s, mu)
				_, redirect := sandboxPay(t, s, mu, 12000, "paid")
				s.waitStatus(t, mu, payresult.StatusPaid)
				s.call(t, "POST", "/api/orders/"+mu+"/refund", apiKey, map[string]any{"amount": 5000}, http.StatusOK, nil)
				run(t, ctx, "opening the result", chromedp.Navigate(redirect), chromedp.WaitVisible(chromedp.CSS("main > h1")))
				got := checkPage(t, ctx, vp, "partially-refunded")
				for _, want := range []string{"5,000원이 환불되었습니다", "7,000원은 결제된 상태로"} {
					if !strings.Contains(got, want) {
						t.Errorf("the partial refund page lacks %q:\n%s", want, got)
					}
				}
				if strings.Contains(got, "결제가 취소되었습니다") || strings.Contains(got, "전액") {
					t.Errorf("a partial refund reads as a full one:\n%s", got)
				}
				s.call(t, "POST", "/api/orders/"+mu+"/refund", apiKey, map[string]any{}, http.StatusOK, nil)
				run(t, ctx, "reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main > h1")))
				if got := checkPage(t, ctx, vp, "refunded"); !strings.Contains(got, "12,000원이 모두 환불되었습니다") {
					t.Errorf("the refunded page lacks what was refunded:\n%s", got)
				}
			})
			t.Run("refused", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				register(t, s, "pages-owner-"+vp.name)
				other, _ := sandboxPay(t, s, "pages-owner-"+vp.name, 12000, "paid")
				mu := "pages-replay-" + vp.name
				register(t, s, mu)
				run(t, ctx, "replaying another order's payment", chromedp.Navigate(s.url+"/portone/redirect?imp_uid="+other+"&merchant_uid="+mu),
					chromedp.WaitVisible(chromedp.CSS("main > h1")))
				got := checkPage(t, ctx, vp, "refused-replay")
				if !strings.Contains(got, "이 주문은 결제되지 않았습니다") || strings.Contains(got, "취소") || strings.Contains(got, "cancel") {
					t.Errorf("a refused replay must say the order is unpaid and promise no cancel:\n%s", got)
				}
				register(t, s, "pages-tampered-"+vp.name)
				_, redirect := sandboxPay(t, s, "pages-tampered-"+vp.name, 100, "paid")
				run(t, ctx, "coming back from a tampered payment", chromedp.Navigate(redirect), chromedp.WaitVisible(chromedp.CSS("main > h1")))
				if got := checkPage(t, ctx, vp, "refused-forged"); !strings.Contains(got, "결제된 금액은 취소") {
					t.Errorf("a refused forgery does not say the charge is cancelled:\n%s", got)
				}
			})
			t.Run("still confirming", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				register(t, s, "pages-confirming-"+vp.name)
				s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{"api_error_rate": 1, "api_error_status": 503}, http.StatusOK, nil)
				t.Cleanup(func() { s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{}, http.StatusOK, nil) })
				_, redirect := sandboxPay(t, s, "pages-confirming-"+vp.name, 12000, "paid")
				run(t, ctx, "coming back while PortOne fails", chromedp.Navigate(redirect), chromedp.WaitVisible(chromedp.CSS("main > h1")))
				if got := checkPage(t, ctx, vp, "confirming"); !strings.Contains(got, "최대 2분") || !strings.Contains(got, "up to 2 minutes") {
					t.Errorf("the confirming page does not say how long it keeps checking:\n%s", got)
				}
				checkConfirmingKeepsItsWord(t, ctx, s, vp)
			})
			t.Run("no such page", func(t *testing.T) {
				ctx := viewTab(t, s, vp)
				run(t, ctx, "opening a page that does not exist", chromedp.Navigate(s.url+"/no/such/page"), chromedp.WaitVisible(chromedp.CSS("main > h1")))
				if got := checkPage(t, ctx, vp, "not-found"); !strings.Contains(got, "페이지를 찾을 수 없습니다") {
					t.Errorf("the 404 is not a page:\n%s", got)
				}
				if n := eval[int](t, ctx, `document.querySelectorAll('link[rel=icon]').length`); n != 1 {
					t.Errorf("the page links %d icons, want 1", n)
				}
			})
		})
	}
}

// checkAccountBox: the virtual account's number stays on one line inside
// the screen, the amount to deposit is inside the account's box, the
// deadline is on one line, and the copy button puts the number on the
// clipboard.
func checkAccountBox(t *testing.T, ctx context.Context, vp viewport) {
	t.Helper()
	lines := eval[[]int](t, ctx, `(function(){
		var n = document.getElementById("account-number"), d = document.getElementById("deadline");
		var r = n.getBoundingClientRect(), lh = parseFloat(getComputedStyle(n).lineHeight) || r.height;
		return [n.getClientRects().length, Math.round(r.height), Math.round(lh * 1.5), Math.round(r.right), window.innerWidth,
			d.getClientRects().length, Math.round(d.getBoundingClientRect().height), Math.round((parseFloat(getComputedStyle(d).lineHeight) || 20) * 1.5)];
	})()`)
	if lines[0] != 1 || lines[1] > lines[2] || lines[3] > lines[4] {
		t.Errorf("on a %s the account number takes %d boxes, %d px high (one line is under %d), and ends at %d px of %d: want one whole line on screen",
			vp.name, lines[0], lines[1], lines[2], lines[3], lines[4])
	}
	if lines[5] != 1 || lines[6] > lines[7] {
		t.Errorf("on a %s the deadline takes %d boxes, %d px high: want one line", vp.name, lines[5], lines[6])
	}
	if !eval[bool](t, ctx, `!!document.querySelector(".account-box #amount-due")`) {
		t.Errorf("the amount to deposit is not inside the account box")
	}
	number := strings.TrimSpace(text(t, ctx, "#account-number"))
	run(t, ctx, "pressing copy", chromedp.Click(chromedp.CSS("button[data-copy]")))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("button[data-copy]").textContent.indexOf("복사됨") >= 0`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("the copy button did not say it copied: %v", err)
	}
	copied := eval[string](t, ctx, `navigator.clipboard.readText()`)
	if copied != number {
		t.Errorf("the clipboard holds %q, want the account number %q", copied, number)
	}
}

// checkConfirmingKeepsItsWord: the "still confirming" page does what it
// says: it reloads itself, carrying when it first showed, and once the two
// minutes it promised are over it stops and says so.
func checkConfirmingKeepsItsWord(t *testing.T, ctx context.Context, s *server, vp viewport) {
	t.Helper()
	refresh := eval[string](t, ctx, `(document.querySelector('meta[http-equiv="refresh"]') || {}).content || ""`)
	wait, target, ok := strings.Cut(refresh, ";url=")
	if !ok || wait != "3" {
		t.Fatalf("the confirming page's refresh is %q, want a reload in 3 s", refresh)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	first, err := strconv.ParseInt(u.Query().Get("since"), 10, 64)
	if err != nil {
		t.Fatalf("the reload %s does not carry when the page first showed: %v", target, err)
	}
	eval[bool](t, ctx, `window.__notReloaded = true`)
	reloaded := `!window.__notReloaded && location.search.indexOf("since=` + strconv.FormatInt(first, 10) + `") >= 0 && !!document.querySelector("main > h1")`
	if !poll(20*time.Second, func() bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](reloaded))
		return err == nil && ok // an error while the page reloads: look again
	}) {
		t.Fatalf("the confirming page did not check again by itself within 20 s, keeping since=%d", first)
	}
	// Two minutes and a second after it first showed: the page stops.
	q := u.Query()
	q.Set("since", strconv.FormatInt(first-121, 10))
	u.RawQuery = q.Encode()
	run(t, ctx, "coming back after the two minutes", chromedp.Navigate(s.url+u.RequestURI()), chromedp.WaitVisible(chromedp.CSS("main > h1")))
	got := checkPage(t, ctx, vp, "confirming-stopped")
	if !strings.Contains(got, "2분 동안 결제를 확인하지 못했습니다") || !strings.Contains(got, "within 2 minutes") {
		t.Errorf("after two minutes the page does not say it stopped checking:\n%s", got)
	}
	if h := text(t, ctx, "main > h1"); strings.Contains(h, "확인하고 있습니다") || strings.Contains(got, "확인 중") {
		t.Errorf("after two minutes the page's heading (%q) or label still says it is checking:\n%s", h, got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('meta[http-equiv="refresh"]').length`); n != 0 {
		t.Errorf("after two minutes the page still reloads itself")
	}
}

// TestSandboxHomeOnEveryScreen: the sandbox's address, which serve's
// banner prints, opens a page on a phone and on a laptop, and its link to
// the control API leads to the list as JSON.
func TestSandboxHomeOnEveryScreen(t *testing.T) {
	s := startServe(t, nil)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			ctx := viewTab(t, s, vp)
			run(t, ctx, "opening the sandbox's address", chromedp.Navigate(s.url+"/sandbox/"), chromedp.WaitVisible(chromedp.ID("control-api")))
			sizes := eval[[]int](t, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`)
			if sizes[0] > sizes[1] {
				t.Errorf("the sandbox's page on a %s is %d px wide in a %d px window: it scrolls sideways", vp.name, sizes[0], sizes[1])
			}
			if n := eval[int](t, ctx, `document.querySelectorAll("#control-api li").length`); n != len(emulator.ControlAPI()) {
				t.Errorf("the sandbox's page lists %d control endpoints, want %d", n, len(emulator.ControlAPI()))
			}
			shot(t, ctx, "sandbox-"+vp.name+"-home")
			run(t, ctx, "following the link to the control API", chromedp.Click(chromedp.CSS(`a[href="__emulator/"]`)))
			waitPath(t, ctx, "/sandbox/__emulator/")
			if got := pageText(t, ctx); !strings.Contains(got, `"endpoints"`) {
				t.Errorf("the control API's link shows %q, want its list", got)
			}
		})
	}
}
