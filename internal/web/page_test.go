package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// visibleText strips a page down to the text a buyer reads: no styles,
// scripts or tags.
func visibleText(page string) string {
	page = regexp.MustCompile(`(?s)<(style|script)[^>]*>.*?</(style|script)>`).ReplaceAllString(page, " ")
	page = regexp.MustCompile(`</?b[^>]*>`).ReplaceAllString(page, "") // bold inside a sentence
	page = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(page, " ")
	return strings.Join(strings.Fields(page), " ")
}

// rawStatus matches a status code as a whole word, as a badge showed it.
var rawStatus = regexp.MustCompile(`\b(pending|paid|vbank_issued|failed|partially_refunded|refunded|forged|expired)\b`)

func renderView(t *testing.T, s *Server, v payresult.RedirectView, since time.Time) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	if v.HTTPStatus == 0 {
		v.HTTPStatus = http.StatusOK
	}
	s.renderResult(rec, httptest.NewRequest("GET", "/", nil), &v, since)
	return rec.Code, rec.Body.String()
}

// TestResultPagesSpeakToBuyers renders each result page and reads it as
// a buyer would: no status codes, and words that match what happened to
// the money.
func TestResultPagesSpeakToBuyers(t *testing.T) {
	s := New(Config{ResultKey: []byte("k")})
	paidAt := time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)
	order := func(st payresult.Status, mod func(*payresult.Order)) *payresult.Order {
		o := &payresult.Order{MerchantUID: "order-1001", Name: "머그컵", Amount: portone.Won(12000), Currency: "KRW", Status: st}
		if mod != nil {
			mod(o)
		}
		return o
	}
	paid := func(o *payresult.Order) { o.PaidAmount, o.PaidAt = portone.Won(12000), paidAt }
	vbank := &payresult.VirtualAccount{BankName: "신한은행", Number: "56211012345678", Holder: "payresult",
		Deadline: time.Date(2026, 12, 10, 14, 59, 0, 0, time.UTC)}
	tests := []struct {
		name      string
		view      payresult.RedirectView
		want      []string
		wantNot   []string
		wantState string
	}{
		{"paid", payresult.ViewOf("", order(payresult.StatusPaid, paid), nil, ""),
			[]string{"결제 완료", "12,000원", "2026-12-07 19:30 KST"}, nil, "결제 완료 · Paid"},
		{"partial refund", payresult.ViewOf("", order(payresult.StatusPartiallyRefunded, func(o *payresult.Order) {
			paid(o)
			o.RefundedAmount = portone.Won(5000)
		}), nil, ""),
			[]string{"12,000원 중 5,000원이 환불되었습니다", "나머지 7,000원은 결제된 상태로", "5,000원 of the 12,000원 you paid was refunded"},
			[]string{"결제가 취소되었습니다", "전액"}, "부분 환불 · Partly refunded"},
		{"full refund", payresult.ViewOf("", order(payresult.StatusRefunded, func(o *payresult.Order) {
			paid(o)
			o.RefundedAmount = portone.Won(12000)
		}), nil, ""),
			[]string{"12,000원이 모두 환불되었습니다"}, []string{"일부"}, "전액 환불 · Refunded"},
		{"window closed, order still pending", payresult.ViewOf("", order(payresult.StatusPending, nil), nil, "사용자가 결제를 취소하셨습니다"),
			[]string{"결제에 실패했습니다", "사용자가 결제를 취소하셨습니다", "청구된 금액이 없습니다"}, nil, "결제 안 됨 · Not paid"},
		{"replayed payment of another order", payresult.ViewOf("order-1001", order(payresult.StatusPending, nil),
			payresult.Errorf(payresult.KindConflict, "imp_uid bound to another order"), ""),
			[]string{"이 주문은 결제되지 않았습니다"}, []string{"취소", "cancel"}, "승인 거절 · Refused"},
		{"forged, cancel confirmed", payresult.ViewOf("", order(payresult.StatusForged, func(o *payresult.Order) {
			o.PaidAmount, o.ForgeryCancelled = portone.Won(100), true
		}), nil, ""),
			[]string{"결제된 금액은 취소되었습니다"}, []string{"취소하고 있습니다"}, "승인 거절 · Refused"},
		{"forged deposit into a virtual account", payresult.ViewOf("", order(payresult.StatusForged, func(o *payresult.Order) {
			o.PaidAmount, o.Vbank = portone.Won(100), vbank
		}), nil, ""),
			[]string{"상점에서 고객님의 계좌로 돌려 드립니다"}, []string{"취소되었습니다", "취소하고 있습니다"}, "승인 거절 · Refused"},
		{"virtual account", payresult.ViewOf("", order(payresult.StatusVbankIssued, func(o *payresult.Order) { o.Vbank = vbank }), nil, ""),
			[]string{"신한은행", "56211012345678", "입금액 Amount 12,000원", "2026-12-10 23:59 KST", "복사 · Copy"}, nil, "입금 대기 · Awaiting your deposit"},
		{"expired", payresult.ViewOf("", order(payresult.StatusExpired, nil), nil, ""), []string{"입금 기한이 지나"}, nil, "기한 만료 · Expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, page := renderView(t, s, tt.view, time.Time{})
			text := visibleText(page)
			if code := statusCodeShown(page); code != "" {
				t.Errorf("the page shows the status code %q:\n%s", code, text)
			}
			if !strings.Contains(page, `data-state="`+string(tt.view.Page)+`">`+tt.wantState+"<") {
				t.Errorf("the page's label is not %q", tt.wantState)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("the page lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(text, w) {
					t.Errorf("the page says %q, which is not so here:\n%s", w, text)
				}
			}
		})
	}
}

// statusCodeShown returns a status code the page shows a buyer: a code
// with an underscore or one English never uses anywhere in its text, or
// any code standing alone as an element's text (a badge). English words
// such as "paid" inside sentences are fine.
func statusCodeShown(page string) string {
	text := visibleText(page)
	if code := regexp.MustCompile(`\b(vbank_issued|partially_refunded|pending|forged)\b`).FindString(text); code != "" {
		return code
	}
	for _, m := range regexp.MustCompile(`>\s*([a-z_]+)\s*<`).FindAllStringSubmatch(page, -1) {
		if rawStatus.MatchString(m[1]) && rawStatus.FindString(m[1]) == m[1] {
			return m[1]
		}
	}
	return ""
}

// TestVirtualAccountBox: the account number sits in one unbreakable
// element beside its copy button, and the amount to deposit is inside the
// account's box.
func TestVirtualAccountBox(t *testing.T) {
	s := New(Config{ResultKey: []byte("k")})
	o := &payresult.Order{MerchantUID: "vb-1", Name: "머그컵", Amount: portone.Won(12000), Currency: "KRW", Status: payresult.StatusVbankIssued,
		Vbank: &payresult.VirtualAccount{BankName: "국민은행", Number: "123-456789-01-234", Holder: "payresult", Deadline: time.Now()}}
	_, page := renderView(t, s, payresult.ViewOf("", o, nil, ""), time.Time{})
	box := regexp.MustCompile(`(?s)<section class="account-box".*?</section>`).FindString(page)
	for _, want := range []string{
		`<span class="account" id="account-number">123-456789-01-234</span>`,
		`data-copy="123-456789-01-234"`,
		`id="amount-due">12,000원<`,
		`class="nowrap" id="deadline"`,
	} {
		if !strings.Contains(box, want) {
			t.Errorf("the account box lacks %s:\n%s", want, box)
		}
	}
}

// TestConfirmingPageKeepsItsWord: the confirming page says how long it
// keeps checking, and stops when that time is up however many reloads it
// took; each reload carries the time it started.
func TestConfirmingPageKeepsItsWord(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s := New(Config{ResultKey: []byte("k"), Now: func() time.Time { return now }})
	v := payresult.RedirectView{Page: payresult.PageConfirming, MerchantUID: "order-1", ImpUID: "imp_1"}
	refresh := regexp.MustCompile(`http-equiv="refresh" content="3;url=([^"]+)"`)
	tests := []struct {
		name      string
		since     time.Time
		refreshes bool
	}{
		{"first showing", time.Time{}, true},
		{"a minute in", now.Add(-time.Minute), true},
		{"just before the end", now.Add(-confirmWindow + time.Second), true},
		{"time is up", now.Add(-confirmWindow), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, page := renderView(t, s, v, tt.since)
			m := refresh.FindStringSubmatch(page)
			if (m != nil) != tt.refreshes {
				t.Fatalf("refreshes: %v, want %v", m != nil, tt.refreshes)
			}
			text := visibleText(page)
			if !strings.Contains(text, "2분") || !strings.Contains(text, "2 minutes") {
				t.Errorf("the page does not say how long it checks (2 minutes):\n%s", text)
			}
			checking := strings.Contains(text, "확인하고 있습니다") || strings.Contains(text, "확인 중") || strings.Contains(text, "Checking")
			if !tt.refreshes {
				if !strings.Contains(text, "확인하지 못했습니다") || checking {
					t.Errorf("the page that stopped does not say so, or its heading or label still says it is checking:\n%s", text)
				}
				return
			}
			if !checking {
				t.Errorf("the page that checks again does not say it is checking:\n%s", text)
			}
			u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.since
			if want.IsZero() {
				want = now
			}
			if got := u.Query().Get("since"); got != strconvUnix(want) {
				t.Errorf("the reload carries since=%s, want %s (when the page first showed)", got, strconvUnix(want))
			}
		})
	}
}

func strconvUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// TestBrowsersGetPages: a browser asking for a page nothing serves gets
// an HTML 404 with a way home; programs and the API get the JSON error;
// the icon is served where browsers look for it.
func TestBrowsersGetPages(t *testing.T) {
	s := New(Config{APIKey: "k"})
	tests := []struct {
		name, path, accept, wantType, want string
		status                             int
	}{
		{"browser", "/no/such/page", "text/html,application/xhtml+xml", "text/html", "페이지를 찾을 수 없습니다", 404},
		{"program", "/no/such/page", "*/*", "application/json", `"not_found"`, 404},
		{"API from a browser", "/api/nope", "text/html", "application/json", `"not_found"`, 404},
		{"favicon", "/favicon.ico", "*/*", "image/svg+xml", "<svg", 200},
		{"linked icon", "/favicon.svg", "image/*", "image/svg+xml", "<svg", 200},
		{"stylesheet", assetURL("page.css"), "text/css", "text/css", "--accent", 200},
		{"script", assetURL("page.js"), "*/*", "text/javascript", "data-copy", 200},
		{"no such asset", "/assets/nope.css", "text/css", "application/json", `"not_found"`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("Accept", tt.accept)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.wantType) || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("GET %s = %d %s, want %d %s with %q:\n%s", tt.path, rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.wantType, tt.want, rec.Body)
			}
		})
	}
}

// TestPagesLinkTheirAssets: a result page carries no style or script of
// its own but links the stylesheet and the script by their versioned
// addresses, which may be cached for a year; an address of another
// version may not.
func TestPagesLinkTheirAssets(t *testing.T) {
	s := New(Config{APIKey: "k"})
	var buf strings.Builder
	state := pageStates[payresult.PagePaid]
	o := &payresult.Order{MerchantUID: "order-1", Name: "머그컵", Amount: portone.Won(12000), Currency: "KRW", Status: payresult.StatusPaid}
	if err := templates.ExecuteTemplate(&buf, "result.html", &pageData{Title: payresult.PagePaid.Title(), Page: payresult.PagePaid,
		State: state[0], Tone: state[1], Order: o}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{`href="` + assetURL("page.css") + `"`, `src="` + assetURL("page.js") + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the paid page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<style") || strings.Contains(page, "<script>") {
		t.Errorf("the paid page has inline style or script:\n%s", page)
	}
	for path, want := range map[string]string{
		assetURL("page.css"):       "public, max-age=31536000, immutable",
		"/assets/page.css?v=older": "no-cache",
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := rec.Header().Get("Cache-Control"); rec.Code != 200 || got != want {
			t.Errorf("GET %s = %d, Cache-Control %q; want 200, %q", path, rec.Code, got, want)
		}
	}
}
