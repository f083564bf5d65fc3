package admin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/admin"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/reconcile"
)

const password = "correct horse battery"

// fixture is an admin page over a real SQLite store.
type fixture struct {
	store payresult.Store
	srv   *httptest.Server
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: testdb.OpenSQLite(t), now: time.Now().UTC().Truncate(time.Second)}
	h, err := admin.New(admin.Config{Store: f.store, Password: password, Now: func() time.Time { return f.now },
		Sweeps: func() reconcile.SweepStatus {
			return reconcile.SweepStatus{Rounds: 2, WindowsDue: 7, WindowsDone: 3, Pages: 41, Listed: 4012}
		}})
	if err != nil {
		t.Fatalf("admin.New: %v", err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// order stores a pending order created at the given time.
func (f *fixture) order(t *testing.T, merchantUID string, created time.Time) *payresult.Order {
	t.Helper()
	o := &payresult.Order{MerchantUID: merchantUID, Name: "mug", Amount: portone.Won(12000), Currency: "KRW",
		Status: payresult.StatusPending, CreatedAt: created, UpdatedAt: created, NextCheckAt: created.Add(time.Minute)}
	if err := f.store.Apply(context.Background(), &payresult.Change{Order: o}); err != nil {
		t.Fatalf("registering an order: %v", err)
	}
	o.Version = 1
	return o
}

// pay moves o to paid by impUID at time at, with its event.
func (f *fixture) pay(t *testing.T, o *payresult.Order, impUID string, at time.Time) payresult.Event {
	t.Helper()
	next := *o
	next.Status, next.ImpUID, next.PaidAmount, next.PaidAt, next.UpdatedAt, next.NextCheckAt = payresult.StatusPaid, impUID, o.Amount, at, at, time.Time{}
	data, err := payresult.EventData(&next)
	if err != nil {
		t.Fatal(err)
	}
	ev := payresult.Event{ID: payresult.EventID(o.MerchantUID, o.Version+1, payresult.EventPaid), Type: payresult.EventPaid,
		MerchantUID: o.MerchantUID, CreatedAt: at, Data: data, State: payresult.DeliveryPending, NextAttempt: at}
	c := &payresult.Change{FromVersion: o.Version, Order: &next, Events: []payresult.Event{ev},
		Attempt: &payresult.Attempt{ImpUID: impUID, MerchantUID: o.MerchantUID, Status: portone.StatusPaid, PayMethod: portone.PayMethodCard,
			Amount: o.Amount, Currency: "KRW", CreatedAt: at, UpdatedAt: at}}
	if err := f.store.Apply(context.Background(), c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	*o = next
	o.Version++
	return ev
}

// forge moves o to forged by a payment of 100 KRW made with method, not
// cancelled at PortOne.
func (f *fixture) forge(t *testing.T, o *payresult.Order, impUID string, method portone.PayMethod) {
	t.Helper()
	next := *o
	next.Status, next.ImpUID, next.PaidAmount, next.NextCheckAt = payresult.StatusForged, impUID, portone.Won(100), f.now.Add(time.Minute)
	c := &payresult.Change{FromVersion: o.Version, Order: &next,
		Attempt: &payresult.Attempt{ImpUID: impUID, MerchantUID: o.MerchantUID, Status: portone.StatusPaid, PayMethod: method,
			Amount: portone.Won(100), Currency: "KRW", CreatedAt: f.now, UpdatedAt: f.now}}
	if err := f.store.Apply(context.Background(), c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// TestOrderPageSaysHowAForgeryGoesBack: a forged card payment is
// cancelled by the reconciler; a forged deposit into a virtual account
// waits for the buyer's bank account, and the page says so.
func TestOrderPageSaysHowAForgeryGoesBack(t *testing.T) {
	f := newFixture(t)
	f.forge(t, f.order(t, "forged-card", f.now), "imp_100000000001", portone.PayMethodCard)
	f.forge(t, f.order(t, "forged-vbank", f.now), "imp_100000000002", portone.PayMethodVbank)
	for m, want := range map[string]string{
		"forged-card":  "not yet (the reconciler retries)",
		"forged-vbank": "a deposit into a virtual account goes back only to the buyer's bank account",
	} {
		code, body := f.get(t, "/admin/orders/"+m, admin.User, password)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d, page lacks %q", m, code, want)
		}
	}
}

// get fetches path with the admin credential unless user is "".
func (f *fixture) get(t *testing.T, path, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, user, pass string
		want             int
	}{
		{"no credential", "", "", http.StatusUnauthorized},
		{"wrong password", admin.User, "correct horse", http.StatusUnauthorized},
		{"wrong user", "root", password, http.StatusUnauthorized},
		{"right", admin.User, password, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/admin/", "/admin/orders/x"} {
				got, body := f.get(t, path, tt.user, tt.pass)
				if tt.want == http.StatusOK && path != "/admin/" {
					continue // the order does not exist: 404 after authenticating
				}
				if got != tt.want {
					t.Errorf("GET %s = %d, want %d", path, got, tt.want)
				}
				if got == http.StatusUnauthorized && strings.Contains(body, "Orders") {
					t.Errorf("GET %s without the credential shows the page", path)
				}
			}
		})
	}
}

func TestNewRefusesMissingConfig(t *testing.T) {
	store := testdb.OpenSQLite(t)
	for name, cfg := range map[string]admin.Config{
		"no store":    {Password: password},
		"no password": {Store: store},
	} {
		if _, err := admin.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestDashboardFiltersAndSearches(t *testing.T) {
	f := newFixture(t)
	paid := f.order(t, "order-paid", f.now.Add(-10*time.Minute))
	f.pay(t, paid, "imp_111122223333", f.now.Add(-5*time.Minute))
	f.order(t, "order-waiting", f.now.Add(-2*time.Minute))

	tests := []struct {
		name, query string
		want, not   []string
	}{
		{"all", "", []string{"order-paid", "order-waiting", `>결제 완료 · Paid <b>1</b></a>`, `>결제 대기 · Pending <b>1</b></a>`, `>전체 · All <b>2</b></a>`, "12,000원"}, []string{"12000 KRW"}},
		{"status filter", "?status=paid", []string{"order-paid"}, []string{`data-merchant-uid="order-waiting"`}},
		{"search merchant_uid", "?q=order-waiting", []string{`data-merchant-uid="order-waiting"`}, []string{`data-merchant-uid="order-paid"`}},
		{"search imp_uid", "?q=imp_111122223333", []string{`data-merchant-uid="order-paid"`}, []string{`data-merchant-uid="order-waiting"`}},
		{"search unknown", "?q=nothing-like-it", []string{"No orders with that merchant_uid or imp_uid"}, []string{`data-merchant-uid=`}},
		{"awaiting a refund account, none", "?awaiting=account", []string{`data-filter="awaiting-account" class="on"`, "No orders"}, []string{`data-merchant-uid=`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := f.get(t, "/admin/"+tt.query, admin.User, password)
			if code != http.StatusOK {
				t.Fatalf("GET = %d, want 200:\n%s", code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("page shows %q", n)
				}
			}
		})
	}
	if code, _ := f.get(t, "/admin/?status=bogus", admin.User, password); code != http.StatusBadRequest {
		t.Errorf("unknown status filter = %d, want 400", code)
	}
}

func TestDashboardChartAndReconciler(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		o := f.order(t, fmt.Sprintf("order-%d", i), f.now.Add(-30*time.Minute))
		f.pay(t, o, fmt.Sprintf("imp_00000000000%d", i), f.now.Add(-time.Duration(i)*time.Minute))
	}
	old := f.order(t, "order-old", f.now.Add(-3*time.Hour))
	f.pay(t, old, "imp_999999999999", f.now.Add(-2*time.Hour)) // outside the chart's hour
	f.order(t, "order-due", f.now.Add(-5*time.Minute))         // its check was due 4 minutes ago
	_, body := f.get(t, "/admin/", admin.User, password)
	for _, want := range []string{
		"결제 완료 · paid 3</li>", // the legend counts the last hour only
		`aria-label="payments per minute by outcome over the last 60 minutes: 3 in all"`,
		`data-reconciler="due">1<`,
		// The one order waiting for a check, and the sweeps' progress.
		`orders waiting for a check: <strong>1</strong>`,
		`sweeps: round 2, windows 3/7, 41 pages, 4012 payments listed`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if got := strings.Count(body, "<rect "); got != 3 {
		t.Errorf("chart has %d bars, want 3 (one per minute with a payment)", got)
	}
}

func TestOrderPageShowsTimeline(t *testing.T) {
	f := newFixture(t)
	o := f.order(t, "order-1", f.now.Add(-time.Minute))
	ctx := context.Background()
	if err := f.store.Apply(ctx, &payresult.Change{Notes: []payresult.Note{
		{MerchantUID: "order-1", ImpUID: "imp_123412341234", Source: payresult.SourceWebhook, Kind: "notice", Detail: "webhook notice: paid", At: f.now.Add(-40 * time.Second)},
		{MerchantUID: "order-1", ImpUID: "imp_123412341234", Source: payresult.SourceWebhook, Kind: "transition", Detail: "pending → paid", At: f.now.Add(-30 * time.Second)},
	}}); err != nil {
		t.Fatalf("Apply(notes): %v", err)
	}
	ev := f.pay(t, o, "imp_123412341234", f.now.Add(-30*time.Second))
	code, body := f.get(t, "/admin/orders/order-1", admin.User, password)
	if code != http.StatusOK {
		t.Fatalf("GET order = %d", code)
	}
	for _, want := range []string{
		`data-status="paid">결제 완료 · Paid<`, "webhook notice: paid", "pending → paid", ev.ID,
		"order.paid (" + ev.ID + ") for the app", `data-delivery="pending"`, "전달 대기 · Pending",
		"<code>imp_123412341234</code></td><td data-label=\"PortOne\">paid</td>", "웹훅 · webhook", "상태 변경 · transition",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	if i, j := strings.Index(body, "webhook notice: paid"), strings.Index(body, "pending → paid"); i > j {
		t.Error("timeline is not in time order")
	}
	if code, _ := f.get(t, "/admin/orders/no-such-order", admin.User, password); code != http.StatusNotFound {
		t.Errorf("unknown order = %d, want 404", code)
	}
}

func TestResendDeadEvent(t *testing.T) {
	f := newFixture(t)
	o := f.order(t, "order-1", f.now.Add(-5*24*time.Hour))
	ev := f.pay(t, o, "imp_555566667777", f.now.Add(-5*24*time.Hour))
	err := f.store.UpdateDelivery(context.Background(), &payresult.Delivery{EventID: ev.ID, State: payresult.DeliveryDead, Attempts: 20, LastError: "app answered 500"})
	if err != nil {
		t.Fatal(err)
	}
	_, body := f.get(t, "/admin/", admin.User, password)
	token := between(body, `name="token" value="`, `"`)
	if !strings.Contains(body, `data-event-id="`+ev.ID+`"`) || token == "" || !strings.Contains(body, `data-confirm="order-1의 order.paid 이벤트를 앱에 다시 보낼까요?`) {
		t.Fatalf("dashboard does not list the dead event with a resend form")
	}
	post := func(form url.Values, header map[string]string) int {
		req, err := http.NewRequest("POST", f.srv.URL+"/admin/events/"+ev.ID+"/resend", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(admin.User, password)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		code, _ := do(t, req)
		return code
	}
	good := url.Values{"token": {token}, "merchant_uid": {"order-1"}}
	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"cross-site", good, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign origin", good, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"no token", url.Values{"merchant_uid": {"order-1"}}, nil, http.StatusForbidden},
		{"wrong order", url.Values{"token": {token}, "merchant_uid": {"order-2"}}, nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(tt.form, tt.header); got != tt.want {
				t.Errorf("POST resend = %d, want %d", got, tt.want)
			}
			if st := eventState(t, f.store, ev.ID); st != payresult.DeliveryDead {
				t.Errorf("refused resend changed the event to %s", st)
			}
		})
	}
	good.Set("back", "dashboard")
	if got := post(good, map[string]string{"Sec-Fetch-Site": "same-origin"}); got != http.StatusSeeOther {
		t.Fatalf("POST resend = %d, want 303", got)
	}
	if st := eventState(t, f.store, ev.ID); st != payresult.DeliveryPending {
		t.Errorf("after resend the event is %s, want pending", st)
	}
	if got := post(good, nil); got != http.StatusConflict {
		t.Errorf("second resend = %d, want 409", got)
	}
}

func eventState(t *testing.T, s payresult.Store, id string) payresult.DeliveryState {
	t.Helper()
	evs, err := s.Events(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.ID == id {
			return ev.State
		}
	}
	t.Fatalf("no event %s", id)
	return ""
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

// TestPagesSayTheAPI: the order list and an order's page say which
// PortOne API each order's payment comes through; an order stored before
// orders knew their API is V1's.
func TestPagesSayTheAPI(t *testing.T) {
	f := newFixture(t)
	f.order(t, "old-v1", f.now)
	v2 := &payresult.Order{MerchantUID: "new-v2", API: payresult.APIV2, Name: "mug", Amount: portone.Won(12000), Currency: "KRW",
		Status: payresult.StatusPending, CreatedAt: f.now, UpdatedAt: f.now, NextCheckAt: f.now.Add(time.Minute)}
	if err := f.store.Apply(context.Background(), &payresult.Change{Order: v2}); err != nil {
		t.Fatalf("registering a V2 order: %v", err)
	}
	_, list := f.get(t, "/admin/", admin.User, password)
	for m, api := range map[string]string{"old-v1": "v1", "new-v2": "v2"} {
		row := list[strings.Index(list, `data-merchant-uid="`+m+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, `data-api="`+api+`">`+strings.ToUpper(api)+`<`) {
			t.Errorf("the order list's row of %s does not say %s:\n%s", m, api, row)
		}
		_, page := f.get(t, "/admin/orders/"+m, admin.User, password)
		if !strings.Contains(page, `id="order-api" data-api="`+api+`">`+strings.ToUpper(api)) {
			t.Errorf("the page of %s does not say %s", m, api)
		}
	}
}
