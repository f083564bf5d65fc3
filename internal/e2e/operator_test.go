package e2e_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/admin"
)

// payThroughEmulator registers an order through the app API and has the
// sandbox pay it without a browser; PortOne's webhook then reaches serve.
func payThroughEmulator(t *testing.T, s *server, merchantUID string) string {
	t.Helper()
	s.call(t, "POST", "/api/orders", apiKey, map[string]any{"merchant_uid": merchantUID, "name": "머그컵", "amount": 12000}, http.StatusCreated, nil)
	var paid struct {
		Payment struct {
			ImpUID string `json:"imp_uid"`
		} `json:"payment"`
	}
	s.call(t, "POST", "/sandbox/__emulator/payments", nil, map[string]any{
		"merchant_uid": merchantUID, "name": "머그컵", "amount": 12000, "outcome": "paid",
		"m_redirect_url": s.url + "/portone/redirect",
	}, http.StatusCreated, &paid)
	return paid.Payment.ImpUID
}

// TestAdminPage follows an order created through the app API on the admin
// page: listed while pending, its timeline after payment, and nothing
// without the credential.
func TestAdminPage(t *testing.T) {
	s := startServe(t, nil)
	mu := "admin-e2e-1"
	s.call(t, "POST", "/api/orders", apiKey, map[string]any{"merchant_uid": mu, "name": "머그컵", "amount": 12000}, http.StatusCreated, nil)

	for _, c := range []struct{ name, user, pass string }{{"no credential", "", ""}, {"wrong password", admin.User, "guess"}} {
		code, body := s.get(t, "/admin/", c.user, c.pass)
		if code != http.StatusUnauthorized || strings.Contains(body, mu) {
			t.Errorf("%s: GET /admin/ = %d (shows the order: %v), want 401 without it", c.name, code, strings.Contains(body, mu))
		}
		if code, _ := s.get(t, "/admin/orders/"+mu, c.user, c.pass); code != http.StatusUnauthorized {
			t.Errorf("%s: GET the order's admin page = %d, want 401", c.name, code)
		}
	}
	code, body := s.get(t, "/admin/?status=pending", admin.User, adminPassword)
	if code != http.StatusOK || !strings.Contains(body, `data-merchant-uid="`+mu+`"`) {
		t.Fatalf("GET /admin/?status=pending = %d; lists %s: %v", code, mu, strings.Contains(body, mu))
	}

	s.call(t, "POST", "/sandbox/__emulator/payments", nil, map[string]any{
		"merchant_uid": mu, "name": "머그컵", "amount": 12000, "outcome": "paid", "m_redirect_url": s.url + "/portone/redirect",
	}, http.StatusCreated, nil)
	s.waitStatus(t, mu, payresult.StatusPaid)
	code, body = s.get(t, "/admin/orders/"+mu, admin.User, adminPassword)
	if code != http.StatusOK {
		t.Fatalf("GET the order's admin page = %d", code)
	}
	for _, want := range []string{
		`id="order-status" data-status="paid">결제 완료 · Paid<`,
		`data-kind="notice" data-source="app"`,     // registered
		`data-kind="notice" data-source="webhook"`, // PortOne's webhook received
		`data-kind="transition"`,                   // pending → paid
		`data-kind="event" data-source="outbox"`,   // order.paid for the app
		"order.paid",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("order's admin page lacks %q", want)
		}
	}
	if code, body = s.get(t, "/admin/?q="+mu, admin.User, adminPassword); !strings.Contains(body, `<span class="s s-paid" data-status="paid">결제 완료 · Paid</span>`) {
		t.Errorf("search for %s (status %d) does not show it paid", mu, code)
	}
}

// TestAdminPageOffInLiveModeWithoutPassword: a live server with no admin
// password has no admin page at all.
func TestAdminPageOffWithoutPassword(t *testing.T) {
	s := startServe(t, map[string]string{
		"PORTONE_API_KEY": "live-key", "PORTONE_API_SECRET": "live-secret", "PORTONE_API_URL": "http://127.0.0.1:1",
		"PAYRESULT_API_KEY": "a-live-api-key-of-some-length", "PAYRESULT_ADMIN_PASSWORD": "",
	})
	if code, _ := s.get(t, "/admin/", admin.User, adminPassword); code != http.StatusNotFound {
		t.Errorf("GET /admin/ in live mode without a password = %d, want 404", code)
	}
}

// TestMetrics checks that /metrics exposes every family and that the
// counters move when a payment is confirmed.
func TestMetrics(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(app.Close)
	s := startServe(t, map[string]string{
		"PAYRESULT_EVENTS_URL":    app.URL,
		"PAYRESULT_EVENTS_SECRET": "whsec_" + base64.StdEncoding.EncodeToString([]byte("e2e events secret of 32 bytes..")),
	})
	// As it starts, serve's reconciler sweeps PortOne's cancelled payments,
	// fetching an access token. The baseline is taken after that sweep:
	// taken before it, it sometimes held the token and sometimes not.
	sweep := `payresult_portone_requests_total{code="200",endpoint="GET /payments/status/{payment_status}"}`
	if !poll(15*time.Second, func() bool { return value(scrape(t, s), sweep) >= 1 }) {
		t.Fatalf("serve made no start-up cancel sweep (%s) within 15 s", sweep)
	}
	before := scrape(t, s)
	mu := "metrics-e2e-1"
	payThroughEmulator(t, s, mu)
	s.waitStatus(t, mu, payresult.StatusPaid)
	portOneFails(t, s)
	after := scrape(t, s)
	for _, family := range []string{
		"payresult_notices_total", "payresult_confirm_duration_seconds", "payresult_forgeries_total",
		"payresult_portone_requests_total", "payresult_portone_request_duration_seconds", "payresult_portone_errors_total",
		"payresult_portone_retries_total", "payresult_portone_token_refreshes_total", "payresult_event_deliveries_total",
		"payresult_orders", "payresult_oldest_unsettled_order_age_seconds", "go_goroutines", "go_gc_duration_seconds",
		"process_resident_memory_bytes", "payresult_build_info", "payresult_http_requests_total",
		"payresult_http_request_duration_seconds", "payresult_outbox_events", "payresult_outbox_oldest_pending_age_seconds",
		"payresult_reconcile_waiting_orders", "payresult_reconcile_oldest_wait_seconds", "payresult_sweep_rounds_total",
		"payresult_sweep_windows", "payresult_sweep_pages_total", "payresult_sweep_listed_payments_total",
	} {
		if !strings.Contains(after, "# TYPE "+family+" ") {
			t.Errorf("/metrics has no %s", family)
		}
	}
	tests := []struct {
		name, series string
		atLeast      float64
	}{
		{"webhook notice, paid", `payresult_notices_total{outcome="paid",source="webhook"}`, 1},
		{"Confirm latency observed", `payresult_confirm_duration_seconds_count{source="webhook"}`, 1},
		{"payment looked up", `payresult_portone_requests_total{code="200",endpoint="GET /payments/{imp_uid}"}`, 1},
		{"amount pre-registered", `payresult_portone_requests_total{code="200",endpoint="POST /payments/prepare"}`, 1},
		{"paid orders", `payresult_orders{status="paid"}`, 1},
		{"PortOne 5xx counted", `payresult_portone_errors_total{endpoint="GET /payments/{imp_uid}",reason="server_error"}`, 1},
		{"retries counted", `payresult_portone_retries_total{endpoint="GET /payments/{imp_uid}"}`, 1},
		{"failed Confirm counted", `payresult_notices_total{outcome="error_transient",source="webhook"}`, 1},
		{"app API requests by route", `payresult_http_requests_total{code="201",route="POST /api/orders"}`, 1},
		{"webhooks answered 503 by route", `payresult_http_requests_total{code="503",route="POST /portone/webhook"}`, 1},
		{"request latency by route", `payresult_http_request_duration_seconds_count{route="POST /portone/webhook"}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			was, now := value(before, tt.series), value(after, tt.series)
			if now < tt.atLeast || now <= was {
				t.Errorf("%s went from %v to %v, want it to grow to at least %v", tt.series, was, now, tt.atLeast)
			}
		})
	}
	// One token serves the start-up sweep and the whole payment: the
	// reconciler and the processor share the client and its cache.
	for name, text := range map[string]string{"after start-up": before, "after the payment": after} {
		if got := value(text, "payresult_portone_token_refreshes_total"); got != 1 {
			t.Errorf("payresult_portone_token_refreshes_total %s = %v, want 1", name, got)
		}
	}
	if !regexp.MustCompile(`(?m)^payresult_build_info\{goversion="go[^"]+",revision="[^"]*",version="[^"]+"\} 1$`).MatchString(after) {
		t.Errorf("/metrics has no payresult_build_info naming the build:\n%s", grepLines(after, "build_info"))
	}
	promtoolCheck(t, after)
	if got := value(after, "payresult_forgeries_total"); got != 0 {
		t.Errorf("payresult_forgeries_total = %v after an honest payment, want 0", got)
	}
}

// portOneFails has the sandbox answer every REST call with 500 while a
// webhook arrives: serve answers PortOne 5xx, so that it retries.
func portOneFails(t *testing.T, s *server) {
	t.Helper()
	s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{"api_error_rate": 1}, http.StatusOK, nil)
	s.call(t, "POST", "/portone/webhook", nil, map[string]any{"imp_uid": "imp_000000000001", "merchant_uid": "metrics-e2e-2", "status": "paid"},
		http.StatusServiceUnavailable, nil)
	s.call(t, "PUT", "/sandbox/__emulator/faults", nil, map[string]any{}, http.StatusOK, nil)
}

// TestMetricsOwnAddress: with PAYRESULT_METRICS_ADDR, the scrape is served
// on its own listener and no longer on the main one.
func TestMetricsOwnAddress(t *testing.T) {
	s := startServe(t, map[string]string{"PAYRESULT_METRICS_ADDR": "127.0.0.1:0"})
	if s.metricsURL == "" {
		t.Fatal("serve did not announce where /metrics is")
	}
	res, err := http.Get(s.metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "# TYPE payresult_build_info gauge") {
		t.Errorf("GET %s = %d, want the scrape", s.metricsURL, res.StatusCode)
	}
	if code, _ := s.get(t, "/metrics", "", ""); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the main address = %d, want 404", code)
	}
}

// promtoolCheck runs Prometheus's own linter over a scrape, when promtool
// is installed (Debian's prometheus package; CI installs it and sets
// PAYRESULT_TEST_PROMTOOL=required).
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("PAYRESULT_TEST_PROMTOOL") == "required" {
			t.Fatal("PAYRESULT_TEST_PROMTOOL=required, but promtool is not installed")
		}
		t.Log("promtool is not installed; the scrape is not linted")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// grepLines keeps the lines of text that contain word, for messages.
func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func scrape(t *testing.T, s *server) string {
	t.Helper()
	code, body := s.get(t, "/metrics", "", "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	return body
}

// value is the value of one series in a text exposition, 0 when absent.
func value(text, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0
	}
	return v
}
