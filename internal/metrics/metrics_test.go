package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/metrics"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// rig is a processor on a real SQLite store talking to a real emulator
// over HTTP, instrumented by one Metrics.
type rig struct {
	m     *metrics.Metrics
	store payresult.Store
	emu   *emulator.Emulator
	proc  *payresult.Processor
}

func newRig(t *testing.T) *rig {
	t.Helper()
	store := testdb.OpenSQLite(t)
	emu := emulator.New(emulator.Config{})
	t.Cleanup(func() { emu.Close() })
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	m := metrics.New(metrics.Options{Store: store})
	client := &portone.Client{BaseURL: srv.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
	m.InstrumentPortOne(client)
	proc := &payresult.Processor{Store: store, PortOne: client, Metrics: m}
	return &rig{m: m, store: store, emu: emu, proc: proc}
}

// pay registers an order for amount and has the emulator pay paid instead.
func (r *rig) pay(t *testing.T, merchantUID string, amount, paid int64) string {
	t.Helper()
	ctx := context.Background()
	if _, _, err := r.proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: merchantUID, Name: "mug", Amount: portone.Won(amount)}); err != nil {
		t.Fatalf("registering an order: %v", err)
	}
	if paid != amount {
		// Forget the pre-registered amount, as a shop that skipped it would.
		r.emu.Prepare(portone.Prepared{MerchantUID: merchantUID, Amount: portone.Won(paid), Currency: "KRW"})
	}
	res, err := r.emu.Pay(emulator.PaymentRequest{MerchantUID: merchantUID, Name: "mug", Amount: portone.Won(paid)}, emulator.OutcomePaid)
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	res.Release()
	return res.Payment.ImpUID
}

func TestConfirmMovesCounters(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	imp := r.pay(t, "order-1", 12000, 12000)
	notices := func(src, outcome string) float64 {
		t.Helper()
		return counterValue(t, r.m, "payresult_notices_total", map[string]string{"source": src, "outcome": outcome})
	}
	if got := notices("webhook", "paid"); got != 0 {
		t.Fatalf("notices{webhook,paid} before Confirm = %v, want 0", got)
	}
	if _, err := r.proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceWebhook, ImpUID: imp, MerchantUID: "order-1"}); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if _, err := r.proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceRedirect, ImpUID: imp, MerchantUID: "order-1"}); err != nil {
		t.Fatalf("second Confirm: %v", err)
	}
	_, err := r.proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceRedirect, ImpUID: "imp_000000000000", MerchantUID: "order-1"})
	if !payresult.IsNotFound(err) {
		t.Fatalf("Confirm of an unknown payment: err = %v, want not found", err)
	}
	for _, c := range []struct{ src, outcome string }{{"webhook", "paid"}, {"redirect", "duplicate"}, {"redirect", "error_not_found"}} {
		if got := notices(c.src, c.outcome); got != 1 {
			t.Errorf("notices{%s,%s} = %v, want 1", c.src, c.outcome, got)
		}
	}
	text := scrape(t, r.m)
	for _, want := range []string{
		`payresult_confirm_duration_seconds_count{source="webhook"} 1`,
		`payresult_portone_requests_total{code="200",endpoint="POST /payments/prepare"} 1`,
		`payresult_portone_requests_total{code="200",endpoint="GET /payments/{imp_uid}"} 2`,
		`payresult_portone_requests_total{code="404",endpoint="GET /payments/{imp_uid}"} 1`,
		`payresult_portone_token_refreshes_total 1`,
		`payresult_orders{status="paid"} 1`,
		`payresult_orders{status="pending"} 0`,
		`payresult_oldest_unsettled_order_age_seconds 0`,
		`payresult_forgeries_total 0`,
		`payresult_event_deliveries_total{result="dead"} 0`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestForgeryCounted(t *testing.T) {
	r := newRig(t)
	imp := r.pay(t, "order-forged", 12000, 100)
	res, err := r.proc.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: imp})
	if err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if res.Order.Status != payresult.StatusForged {
		t.Fatalf("order status = %s, want forged", res.Order.Status)
	}
	text := scrape(t, r.m)
	for _, want := range []string{
		"payresult_forgeries_total 1",
		`payresult_notices_total{outcome="forged",source="webhook"} 1`,
		`payresult_portone_requests_total{code="200",endpoint="POST /payments/cancel"} 1`,
		`payresult_orders{status="forged"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestOldestUnsettledAge(t *testing.T) {
	store := testdb.OpenSQLite(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, age := range []time.Duration{3 * time.Hour, 90 * time.Minute, time.Minute} {
		o := &payresult.Order{MerchantUID: "o" + string(rune('a'+i)), Name: "mug", Amount: portone.Won(1000), Currency: "KRW",
			Status: payresult.StatusPending, CreatedAt: now.Add(-age), UpdatedAt: now.Add(-age)}
		if err := store.Apply(ctx, &payresult.Change{Order: o}); err != nil {
			t.Fatalf("registering an order: %v", err)
		}
	}
	m := metrics.New(metrics.Options{Store: store, Now: func() time.Time { return now }})
	if !strings.Contains(scrape(t, m), "payresult_oldest_unsettled_order_age_seconds 10800\n") {
		t.Errorf("oldest unsettled age is not 3h (10800 s):\n%s", grep(scrape(t, m), "oldest"))
	}
}

func TestDeliveryStoreCounts(t *testing.T) {
	store := testdb.OpenSQLite(t)
	m := metrics.New(metrics.Options{})
	ds := m.DeliveryStore(store)
	err := ds.UpdateDelivery(context.Background(), &payresult.Delivery{EventID: "evt_missing", State: payresult.DeliveryDelivered, Attempts: 1})
	if err == nil {
		t.Fatal("UpdateDelivery of an unknown event succeeded")
	}
	if got := scrape(t, m); !strings.Contains(got, `payresult_event_deliveries_total{result="delivered"} 0`) {
		t.Errorf("a failed write was counted:\n%s", grep(got, "deliveries"))
	}
}

func TestEndpointOf(t *testing.T) {
	tests := []struct {
		name, method, path, want string
	}{
		{"token", "POST", "/users/getToken", "POST /users/getToken"},
		{"payment under a prefix", "GET", "/sandbox/payments/imp_123456789012", "GET /payments/{imp_uid}"},
		{"list", "GET", "/payments", "GET /payments"},
		{"find with status", "GET", "/payments/find/order-1/paid", "GET /payments/find/{merchant_uid}"},
		{"findAll", "GET", "/payments/findAll/order-1/", "GET /payments/findAll/{merchant_uid}"},
		{"status", "GET", "/payments/status/paid", "GET /payments/status/{payment_status}"},
		{"prepare", "POST", "/payments/prepare", "POST /payments/prepare"},
		{"prepared amount", "GET", "/payments/prepare/order-1", "GET /payments/prepare/{merchant_uid}"},
		{"cancel", "POST", "/payments/cancel", "POST /payments/cancel"},
		{"unknown", "GET", "/certifications/imp_1", "other"},
		{"deep unknown", "GET", "/payments/imp_1/extra", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metrics.EndpointOf(tt.method, tt.path); got != tt.want {
				t.Errorf("EndpointOf(%s, %s) = %q, want %q", tt.method, tt.path, got, tt.want)
			}
		})
	}
}

func TestPortOneErrorsCounted(t *testing.T) {
	m := metrics.New(metrics.Options{})
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	client := &portone.Client{BaseURL: down.URL, Key: "k", Secret: "s", MaxRetries: 1, RetryWait: time.Millisecond, MaxRetryWait: time.Millisecond}
	m.InstrumentPortOne(client)
	if _, err := client.Token(context.Background()); err == nil {
		t.Fatal("Token against a failing server succeeded")
	}
	text := scrape(t, m)
	for _, want := range []string{
		`payresult_portone_errors_total{endpoint="POST /users/getToken",reason="server_error"} 2`,
		`payresult_portone_retries_total{endpoint="POST /users/getToken"} 1`,
		`payresult_portone_token_refreshes_total 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q; has:\n%s", want, grep(text, "portone"))
		}
	}
}

func TestEndpointOfV2(t *testing.T) {
	tests := []struct {
		name, method, path, want string
	}{
		{"payment", "GET", "/payments/order-1", "v2 GET /payments/{paymentId}"},
		{"payment under a prefix", "GET", "/sandbox/payments/order%2F1", "v2 GET /payments/{paymentId}"},
		{"list", "GET", "/payments", "v2 GET /payments"},
		{"cancel", "POST", "/payments/order-1/cancel", "v2 POST /payments/{paymentId}/cancel"},
		{"pre-register", "POST", "/payments/order-1/pre-register", "v2 POST /payments/{paymentId}/pre-register"},
		{"login", "POST", "/login/api-secret", "v2 POST /login/api-secret"},
		{"refresh", "POST", "/token/refresh", "v2 POST /token/refresh"},
		{"unknown action", "POST", "/payments/order-1/schedule", "v2 other"},
		{"unknown", "GET", "/identity-verifications/x", "v2 other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metrics.EndpointOfV2(tt.method, tt.path); got != tt.want {
				t.Errorf("EndpointOfV2(%s, %s) = %q, want %q", tt.method, tt.path, got, tt.want)
			}
		})
	}
}

// TestPortOneV2Counted: a V2 client's look-ups, answered or not found,
// and its retries against a failing PortOne are counted under V2's
// endpoints, apart from V1's.
func TestPortOneV2Counted(t *testing.T) {
	m := metrics.New(metrics.Options{Store: testdb.OpenSQLite(t)})
	emu := emulator.New(emulator.Config{Seed: 7})
	t.Cleanup(func() { emu.Close() })
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	if _, err := emu.PayV2(emulator.V2PaymentRequest{StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2ChannelKey,
		PaymentID: "order-v2", OrderName: "mug", TotalAmount: 1000, Currency: "KRW", PayMethod: "CARD"}, emulator.OutcomePaid); err != nil {
		t.Fatalf("PayV2: %v", err)
	}
	client := &portonev2.Client{BaseURL: srv.URL, Secret: emulator.DefaultV2APISecret}
	m.InstrumentPortOneV2(client)
	ctx := context.Background()
	if _, err := client.Payment(ctx, "order-v2"); err != nil {
		t.Fatalf("Payment: %v", err)
	}
	if _, err := client.Payment(ctx, "no-such-order"); err == nil {
		t.Fatal("Payment of an unknown paymentId succeeded")
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	failing := &portonev2.Client{BaseURL: down.URL, Secret: "s", MaxRetries: 1, RetryWait: time.Millisecond, MaxRetryWait: time.Millisecond}
	m.InstrumentPortOneV2(failing)
	if _, err := failing.Payment(ctx, "order-v2"); err == nil {
		t.Fatal("Payment against a failing server succeeded")
	}
	text := scrape(t, m)
	for _, want := range []string{
		`payresult_portone_requests_total{code="200",endpoint="v2 GET /payments/{paymentId}"} 1`,
		`payresult_portone_requests_total{code="404",endpoint="v2 GET /payments/{paymentId}"} 1`,
		`payresult_portone_errors_total{endpoint="v2 GET /payments/{paymentId}",reason="server_error"} 2`,
		`payresult_portone_retries_total{endpoint="v2 GET /payments/{paymentId}"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q; has:\n%s", want, grep(text, "portone"))
		}
	}
	if strings.Contains(text, `endpoint="GET /payments/{imp_uid}"`) {
		t.Errorf("V2's look-ups were counted as V1's:\n%s", grep(text, "portone"))
	}
}

// scrape fetches the handler's text exposition.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// grep keeps the lines of text that contain word, for failure messages.
func grep(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// counterValue is the value of one counter series, found by its labels;
// 0 when the series does not exist yet.
func counterValue(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range s.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if cmp.Diff(labels, got) == "" {
				return s.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestOutboxBacklog: with events delivered to an events URL, the scrape
// shows the events waiting and given up on, and the oldest one's age.
func TestOutboxBacklog(t *testing.T) {
	r := newRig(t)
	now := time.Now()
	for i, mu := range []string{"order-1", "order-2"} {
		imp := r.pay(t, mu, 12000, 12000)
		if _, err := r.proc.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: imp}); err != nil {
			t.Fatalf("Confirm: %v", err)
		}
		if i == 0 {
			evs, err := r.store.OrderEvents(context.Background(), mu)
			if err != nil || len(evs) != 1 {
				t.Fatalf("OrderEvents = %d, %v", len(evs), err)
			}
			d := &payresult.Delivery{EventID: evs[0].ID, State: payresult.DeliveryDead, Attempts: 20, LastError: "refused"}
			if err := r.store.UpdateDelivery(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := metrics.New(metrics.Options{Store: r.store, Outbox: true, Now: func() time.Time { return now.Add(time.Hour) }})
	text := scrape(t, m)
	for _, want := range []string{`payresult_outbox_events{state="pending"} 1`, `payresult_outbox_events{state="dead"} 1`} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", want, grep(text, "outbox"))
		}
	}
	age := counterLine(text, "payresult_outbox_oldest_pending_age_seconds")
	if age < 3500 || age > 3700 {
		t.Errorf("oldest pending age = %v s, want about an hour", age)
	}
	if feedOnly := scrape(t, metrics.New(metrics.Options{Store: r.store})); strings.Contains(feedOnly, "payresult_outbox_events") {
		t.Errorf("with no events URL (feed only) the outbox gauges are shown:\n%s", grep(feedOnly, "outbox"))
	}
}

// counterLine is the value of an unlabelled series in a text exposition.
func counterLine(text, name string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}
