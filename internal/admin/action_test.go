package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/admin"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// console is the admin console with its actions, over a real SQLite store
// and a processor that talks to the PortOne emulator.
type console struct {
	store payresult.Store
	emu   *emulator.Emulator
	proc  *payresult.Processor
	srv   *httptest.Server
}

func newConsole(t *testing.T, feedOnly bool) *console {
	t.Helper()
	c := &console{store: testdb.OpenSQLite(t), emu: emulator.New(emulator.Config{})}
	t.Cleanup(func() { c.emu.Close() })
	pg := httptest.NewServer(c.emu)
	t.Cleanup(pg.Close)
	c.proc = &payresult.Processor{Store: c.store, PortOne: &portone.Client{BaseURL: pg.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}}
	h, err := admin.New(admin.Config{Store: c.store, Processor: c.proc, Password: password, FeedOnly: feedOnly})
	if err != nil {
		t.Fatal(err)
	}
	c.srv = httptest.NewServer(h)
	t.Cleanup(c.srv.Close)
	return c
}

// order registers an order of amount won and has the buyer pay it with
// method at PortOne; nothing tells payresult.
func (c *console) order(t *testing.T, merchantUID string, amount int64, method portone.PayMethod) string {
	t.Helper()
	if _, _, err := c.proc.CreateOrder(context.Background(), payresult.NewOrder{MerchantUID: merchantUID, Name: "머그컵", Amount: portone.Won(amount)}); err != nil {
		t.Fatal(err)
	}
	outcome := emulator.OutcomePaid
	if method == portone.PayMethodVbank {
		outcome = emulator.OutcomeVbankIssued
	}
	res, err := c.emu.Pay(emulator.PaymentRequest{MerchantUID: merchantUID, Name: "머그컵", Amount: portone.Won(amount), PayMethod: method}, outcome)
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
	if method == portone.PayMethodVbank {
		if _, err := c.emu.Deposit(res.Payment.ImpUID); err != nil {
			t.Fatal(err)
		}
	}
	return res.Payment.ImpUID
}

// confirm tells payresult about a payment, as a webhook would.
func (c *console) confirm(t *testing.T, impUID string) *payresult.Order {
	t.Helper()
	res, err := c.proc.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: impUID})
	if err != nil {
		t.Fatal(err)
	}
	return res.Order
}

// page fetches an admin page with the credential.
func (c *console) page(t *testing.T, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", c.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(admin.User, password)
	return do(t, req)
}

// post sends an action's form as a browser on the console's page would
// (same-origin), with header overriding that.
func (c *console) post(t *testing.T, path string, form url.Values, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", c.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.SetBasicAuth(admin.User, password)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

// form returns the hidden fields of the form with id on page.
func form(page, id string) url.Values {
	v := url.Values{}
	_, f, _ := strings.Cut(page, `id="`+id+`"`)
	f, _, _ = strings.Cut(f, "</form>")
	for _, field := range strings.Split(f, `<input type="hidden" name="`)[1:] {
		name, rest, _ := strings.Cut(field, `"`)
		v.Set(name, between(rest, `value="`, `"`))
	}
	return v
}

// adminNotes returns the timeline notes that say what an operator did
// (Confirm's own notes of an operator's re-check have source admin too).
func (c *console) adminNotes(t *testing.T, merchantUID string) []string {
	t.Helper()
	notes, err := c.store.Notes(context.Background(), merchantUID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range notes {
		if n.Source == payresult.SourceAdmin && strings.HasPrefix(n.Detail, admin.User+" from ") {
			out = append(out, n.Kind+": "+n.Detail)
		}
	}
	return out
}

// TestRecheckAction: a payment PortOne holds but payresult never heard of
// is found by the operator's re-check, which the timeline records with
// who asked.
func TestRecheckAction(t *testing.T) {
	c := newConsole(t, true)
	c.order(t, "order-1", 12000, portone.PayMethodCard)
	_, page := c.page(t, "/admin/orders/order-1")
	if !strings.Contains(page, `data-confirm="order-1 주문을 지금 PortOne에서 다시 확인할까요?`) {
		t.Fatalf("the re-check is not confirmed first:\n%s", page)
	}
	code, _ := c.post(t, "/admin/orders/order-1/recheck", form(page, "recheck"), nil)
	if code != http.StatusSeeOther {
		t.Fatalf("POST recheck = %d, want 303", code)
	}
	if o, _ := c.store.Order(context.Background(), "order-1"); o.Status != payresult.StatusPaid {
		t.Errorf("after the re-check the order is %s, want paid", o.Status)
	}
	notes := c.adminNotes(t, "order-1")
	if len(notes) != 1 || notes[0] != "notice: admin from 127.0.0.1: asked to re-check the order at PortOne now" {
		t.Errorf("operator notes = %q, want the re-check with who asked", notes)
	}
	if _, page = c.page(t, "/admin/orders/order-1?done=recheck"); !strings.Contains(page, `id="done"`) || !strings.Contains(page, "관리자 · admin") {
		t.Errorf("the page after the re-check does not say it was done, or shows no operator line")
	}
}

// TestRefundAction refunds part of a card payment from the order's page;
// the same form sent again (a double click, a stale page) refunds
// nothing more.
func TestRefundAction(t *testing.T) {
	c := newConsole(t, true)
	c.confirm(t, c.order(t, "order-1", 12000, portone.PayMethodCard))
	_, page := c.page(t, "/admin/orders/order-1")
	f := form(page, "refund")
	if f.Get("version") == "" || strings.Contains(page, `name="refund_account"`) {
		t.Fatalf("the refund form of a card payment has no version or asks for an account: %v", f)
	}
	if !strings.Contains(page, `data-confirm="order-1 주문에서 {amount}을 환불합니다.`) {
		t.Errorf("the refund is not confirmed first")
	}
	f.Set("amount", "5,000")
	f.Set("reason", "one cup broken")
	if code, body := c.post(t, "/admin/orders/order-1/refund", f, nil); code != http.StatusSeeOther {
		t.Fatalf("POST refund = %d, want 303:\n%s", code, body)
	}
	o, _ := c.store.Order(context.Background(), "order-1")
	if o.Status != payresult.StatusPartiallyRefunded || o.RefundedAmount != portone.Won(5000) {
		t.Errorf("after refunding 5,000 the order is %s with %s refunded", o.Status, o.RefundedAmount)
	}
	code, body := c.post(t, "/admin/orders/order-1/refund", f, nil)
	if code != http.StatusConflict || !strings.Contains(body, "The order changed since this page was shown") {
		t.Errorf("the same form again = %d, want 409 saying the order changed", code)
	}
	if o, _ = c.store.Order(context.Background(), "order-1"); o.RefundedAmount != portone.Won(5000) {
		t.Errorf("the form sent twice refunded %s, want 5000", o.RefundedAmount)
	}
	want := []string{"refund: admin from 127.0.0.1: refunded 5,000원 (reason: one cup broken); the order is now partially_refunded, 5,000원 refunded in all (form of version " + f.Get("version") + ")"}
	if got := c.adminNotes(t, "order-1"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("operator notes = %q, want %q", got, want)
	}
}

// TestRefundDepositAction: a deposit into a virtual account is refunded
// to the buyer's bank account; without one, PortOne is not asked and the
// page says what is missing.
func TestRefundDepositAction(t *testing.T) {
	c := newConsole(t, true)
	c.confirm(t, c.order(t, "order-vb", 30000, portone.PayMethodVbank))
	_, page := c.page(t, "/admin/orders/order-vb")
	if !strings.Contains(page, `name="refund_account"`) {
		t.Fatalf("the refund form of a deposit does not ask for the buyer's account")
	}
	f := form(page, "refund")
	code, body := c.post(t, "/admin/orders/order-vb/refund", f, nil)
	if code != http.StatusBadRequest || !strings.Contains(body, "refund_holder, refund_bank and refund_account") {
		t.Errorf("a deposit's refund without an account = %d, want 400 naming what is missing:\n%s", code, body)
	}
	f.Set("refund_holder", "홍길동")
	f.Set("refund_bank", "88")
	f.Set("refund_account", "110-123-456789")
	if code, body = c.post(t, "/admin/orders/order-vb/refund", f, nil); code != http.StatusSeeOther {
		t.Fatalf("refund to the buyer's account = %d, want 303:\n%s", code, body)
	}
	if o, _ := c.store.Order(context.Background(), "order-vb"); o.Status != payresult.StatusRefunded {
		t.Errorf("after the refund the order is %s, want refunded", o.Status)
	}
}

// TestActionsRefuseForgedRequests: an action sent from another site, or
// without the page's token, is refused and changes nothing, though the
// browser sends the operator's password with it.
func TestActionsRefuseForgedRequests(t *testing.T) {
	c := newConsole(t, true)
	c.confirm(t, c.order(t, "order-1", 12000, portone.PayMethodCard))
	_, page := c.page(t, "/admin/orders/order-1")
	refund := form(page, "refund")
	refund.Set("amount", "12000")
	noToken := url.Values{"version": {refund.Get("version")}, "amount": {"12000"}}
	for _, tt := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"cross-site", refund, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site but another origin", refund, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"foreign origin, old browser", refund, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}},
		{"no token", noToken, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, action := range []string{"refund", "recheck"} {
				if code, _ := c.post(t, "/admin/orders/order-1/"+action, tt.form, tt.header); code != http.StatusForbidden {
					t.Errorf("POST %s = %d, want 403", action, code)
				}
			}
		})
	}
	if o, _ := c.store.Order(context.Background(), "order-1"); o.Status != payresult.StatusPaid || !o.RefundedAmount.IsZero() {
		t.Errorf("a refused request changed the order: %s, %s refunded", o.Status, o.RefundedAmount)
	}
	if got := c.adminNotes(t, "order-1"); len(got) != 0 {
		t.Errorf("refused requests wrote operator notes: %q", got)
	}
}

// TestFeedOnlyEvents: with no events URL, an event reads "feed only", not
// pending forever, and cannot be resent.
func TestFeedOnlyEvents(t *testing.T) {
	c := newConsole(t, true)
	c.confirm(t, c.order(t, "order-1", 12000, portone.PayMethodCard))
	_, page := c.page(t, "/admin/orders/order-1")
	if !strings.Contains(page, "피드 전용 · Feed only") || strings.Contains(page, "전달 대기 · Pending") || strings.Contains(page, "/resend") {
		t.Errorf("with no events URL the order's event is not shown as feed only, or offers a resend")
	}
	evs, _ := c.store.OrderEvents(context.Background(), "order-1")
	code, _ := c.post(t, "/admin/events/"+evs[0].ID+"/resend", url.Values{"token": {form(page, "recheck").Get("token")}, "merchant_uid": {"order-1"}}, nil)
	if code != http.StatusConflict {
		t.Errorf("resend with no events URL = %d, want 409", code)
	}
}

// TestResendDeliveredEvent: an event the app got but lost is sent again
// from the order's page, and the timeline says who did it.
func TestResendDeliveredEvent(t *testing.T) {
	c := newConsole(t, false)
	c.confirm(t, c.order(t, "order-1", 12000, portone.PayMethodCard))
	evs, _ := c.store.OrderEvents(context.Background(), "order-1")
	ev := evs[0]
	if err := c.store.UpdateDelivery(context.Background(), &payresult.Delivery{EventID: ev.ID, State: payresult.DeliveryDelivered, Attempts: 1, DeliveredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, page := c.page(t, "/admin/orders/order-1")
	if !strings.Contains(page, "전달됨 · Delivered") || !strings.Contains(page, `action="/admin/events/`+ev.ID+`/resend"`) {
		t.Fatalf("a delivered event is not shown as delivered with a resend form")
	}
	_, f, _ := strings.Cut(page, `action="/admin/events/`+ev.ID+`/resend"`)
	v := url.Values{"token": {between(f, `name="token" value="`, `"`)}, "merchant_uid": {"order-1"}}
	if code, _ := c.post(t, "/admin/events/"+ev.ID+"/resend", v, nil); code != http.StatusSeeOther {
		t.Fatalf("POST resend = %d, want 303", code)
	}
	if st := eventState(t, c.store, ev.ID); st != payresult.DeliveryPending {
		t.Errorf("after the resend the event is %s, want pending", st)
	}
	want := "resend: admin from 127.0.0.1: sent order.paid (" + ev.ID + ") to the app again; it was delivered after 1 attempt(s)"
	if got := c.adminNotes(t, "order-1"); len(got) != 1 || got[0] != want {
		t.Errorf("operator notes = %q, want %q", got, want)
	}
}

// TestAwaitingAccountFilter: the dashboard counts and lists the forged
// deposits that wait for the buyer's bank account, and only those.
func TestAwaitingAccountFilter(t *testing.T) {
	f := newFixture(t)
	f.forge(t, f.order(t, "forged-card", f.now), "imp_100000000001", portone.PayMethodCard)
	f.forge(t, f.order(t, "forged-vbank", f.now), "imp_100000000002", portone.PayMethodVbank)
	_, body := f.get(t, "/admin/", admin.User, password)
	if !strings.Contains(body, `data-filter="awaiting-account" class="warn"`) || !strings.Contains(body, "Awaiting refund account <b>1</b>") {
		t.Errorf("the dashboard does not count one forged deposit awaiting an account")
	}
	_, body = f.get(t, "/admin/?awaiting=account", admin.User, password)
	if !strings.Contains(body, `data-merchant-uid="forged-vbank"`) || strings.Contains(body, `data-merchant-uid="forged-card"`) {
		t.Errorf("the filter does not list exactly the forged deposit")
	}
}

// holdingStore holds one read of an order, once armed: the read is made,
// then held until release is closed, as a request that lost the race to
// the database would be.
type holdingStore struct {
	payresult.Store
	armed   atomic.Bool
	read    chan struct{}
	release chan struct{}
}

func (s *holdingStore) Order(ctx context.Context, merchantUID string) (*payresult.Order, error) {
	o, err := s.Store.Order(ctx, merchantUID)
	if s.armed.CompareAndSwap(true, false) {
		close(s.read)
		<-s.release
	}
	return o, err
}

// TestRefundFormSentTwiceAtOnce: the same refund form sent twice at once
// (a double click) refunds once. The second submission reads the order,
// and passes the form's version check, before the first one's refund is
// stored, and goes on after it: the version check alone would let it
// refund again.
func TestRefundFormSentTwiceAtOnce(t *testing.T) {
	c := &console{store: testdb.OpenSQLite(t), emu: emulator.New(emulator.Config{})}
	t.Cleanup(func() { c.emu.Close() })
	pg := httptest.NewServer(c.emu)
	t.Cleanup(pg.Close)
	c.proc = &payresult.Processor{Store: c.store, PortOne: &portone.Client{BaseURL: pg.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}}
	held := &holdingStore{Store: c.store, read: make(chan struct{}), release: make(chan struct{})}
	h, err := admin.New(admin.Config{Store: held, Processor: c.proc, Password: password, FeedOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	c.srv = httptest.NewServer(h)
	t.Cleanup(c.srv.Close)

	impUID := c.order(t, "order-1", 12000, portone.PayMethodCard)
	c.confirm(t, impUID)
	_, page := c.page(t, "/admin/orders/order-1")
	f := form(page, "refund")
	f.Set("amount", "5000")

	held.armed.Store(true)
	second := make(chan int, 1)
	go func() {
		code, _ := c.post(t, "/admin/orders/order-1/refund", f, nil)
		second <- code
	}()
	<-held.read // the second submission has read the order as the form shows it
	if code, body := c.post(t, "/admin/orders/order-1/refund", f, nil); code != http.StatusSeeOther {
		t.Fatalf("the first submission = %d, want 303:\n%s", code, body)
	}
	close(held.release)
	if code := <-second; code != http.StatusSeeOther && code != http.StatusConflict {
		t.Errorf("the second submission = %d, want the first's answer (303) or a refusal (409)", code)
	}
	o, _ := c.store.Order(context.Background(), "order-1")
	if o.RefundedAmount != portone.Won(5000) || o.Status != payresult.StatusPartiallyRefunded {
		t.Errorf("the form sent twice at once left the order %s with %s refunded, want 5000 refunded once", o.Status, o.RefundedAmount)
	}
	pay, err := c.proc.PortOne.Payment(context.Background(), impUID, true)
	if err != nil {
		t.Fatal(err)
	}
	if pay.CancelAmount != portone.Won(5000) {
		t.Errorf("PortOne cancelled %s of the payment, want 5000 once", pay.CancelAmount)
	}
	notes, err := c.store.Notes(context.Background(), "order-1")
	if err != nil {
		t.Fatal(err)
	}
	requested := 0
	for _, n := range notes {
		if n.Source == payresult.SourceApp && strings.HasPrefix(n.Detail, "refund of 5000 requested") {
			requested++
		}
	}
	if requested != 1 {
		t.Errorf("the timeline has %d refund requests, want 1:\n%+v", requested, notes)
	}
	for _, line := range c.adminNotes(t, "order-1") {
		if !strings.HasSuffix(line, "5,000원 refunded in all (form of version "+f.Get("version")+")") {
			t.Errorf("an operator line does not say 5,000원 was refunded in all with the form it came from: %s", line)
		}
	}
}

// holdingGateway holds the first cancel at PortOne until release is
// closed, telling entered when it arrives.
type holdingGateway struct {
	payresult.Gateway
	held             atomic.Bool
	entered, release chan struct{}
}

func (g *holdingGateway) Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	if g.held.CompareAndSwap(false, true) { // the first cancel only; later ones go through
		close(g.entered)
		<-g.release
	}
	return g.Gateway.Cancel(ctx, req)
}

// TestRefundFormSentWhileTheFirstRuns: the same refund form sent again
// while its first submission waits on PortOne is refused with what to do,
// and PortOne is asked once.
func TestRefundFormSentWhileTheFirstRuns(t *testing.T) {
	c := newConsole(t, true)
	impUID := c.order(t, "order-1", 12000, portone.PayMethodCard)
	c.confirm(t, impUID)
	held := &holdingGateway{Gateway: c.proc.PortOne, entered: make(chan struct{}), release: make(chan struct{})}
	c.proc.PortOne = held
	_, page := c.page(t, "/admin/orders/order-1")
	f := form(page, "refund")
	f.Set("amount", "5000")

	first := make(chan int, 1)
	go func() {
		code, _ := c.post(t, "/admin/orders/order-1/refund", f, nil)
		first <- code
	}()
	<-held.entered
	code, body := c.post(t, "/admin/orders/order-1/refund", f, nil)
	close(held.release)
	if code != http.StatusConflict || !strings.Contains(body, "refund is still running") {
		t.Errorf("the form sent again while the first runs = %d, want 409 saying the first still runs:\n%s", code, body)
	}
	if code := <-first; code != http.StatusSeeOther {
		t.Errorf("the first submission = %d, want 303", code)
	}
	if o, _ := c.store.Order(context.Background(), "order-1"); o.RefundedAmount != portone.Won(5000) {
		t.Errorf("the order has %s refunded, want 5000", o.RefundedAmount)
	}
}
