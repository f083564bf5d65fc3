package emulator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult/portone"
)

// payWith runs a paid card payment whose notice_url is rc.
func payWith(t *testing.T, e *Emulator, rc *receiver, merchantUID string) *Result {
	t.Helper()
	res, err := e.Pay(PaymentRequest{MerchantUID: merchantUID, Amount: portone.Won(1000), NoticeURLs: []string{rc.URL},
		RedirectURL: "https://shop.example/r"}, OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func setFaults(t *testing.T, e *Emulator, f Faults) {
	t.Helper()
	if err := e.SetFaults(f); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookFaults checks drop, duplicate and the retry policy.
func TestWebhookFaults(t *testing.T) {
	tests := []struct {
		name         string
		faults       Faults
		answers      []int // the receiver's answers in turn; 200 after
		wantArrived  int
		wantAttempts []int // Attempt of each log entry
		wantDropped  bool
	}{
		{"dropped is logged and never arrives", Faults{WebhookDrop: true}, nil, 0, []int{1}, true},
		{"duplicate arrives twice", Faults{WebhookDuplicate: true}, nil, 2, []int{1, 1}, false},
		{"no retry by default", Faults{}, []int{503}, 1, []int{1}, false},
		{"retries stop on 2xx", Faults{WebhookRetries: 5, WebhookRetryInterval: Duration(time.Millisecond)}, []int{500, 503}, 3, []int{1, 2, 3}, false},
		{"retries stop on 4xx", Faults{WebhookRetries: 5, WebhookRetryInterval: Duration(time.Millisecond)}, []int{500, 404}, 2, []int{1, 2}, false},
		{"at most five retries", Faults{WebhookRetries: 5, WebhookRetryInterval: Duration(time.Millisecond)}, []int{500, 500, 500, 500, 500, 500, 500}, 6, []int{1, 2, 3, 4, 5, 6}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, func(n int) int {
				if n <= len(tt.answers) {
					return tt.answers[n-1]
				}
				return http.StatusOK
			})
			e, _ := newTestEmulator(t, Config{})
			setFaults(t, e, tt.faults)
			res := payWith(t, e, rc, "f-1")
			waitClosed(t, res.Webhooks)
			if got := len(rc.bodies()); got != tt.wantArrived {
				t.Errorf("%d webhooks arrived, want %d", got, tt.wantArrived)
			}
			log := e.Webhooks()
			var attempts []int
			for _, d := range log {
				attempts = append(attempts, d.Attempt)
				if d.Dropped != tt.wantDropped {
					t.Errorf("delivery %v: dropped = %v, want %v", d, d.Dropped, tt.wantDropped)
				}
			}
			if len(attempts) != len(tt.wantAttempts) || (len(attempts) > 0 && attempts[len(attempts)-1] != tt.wantAttempts[len(tt.wantAttempts)-1]) {
				t.Errorf("attempts %v, want %v (log %v)", attempts, tt.wantAttempts, log)
			}
		})
	}
}

// TestWebhookRetryOnNetworkError checks that a refused connection counts
// as a failure worth retrying.
func TestWebhookRetryOnNetworkError(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	e, _ := newTestEmulator(t, Config{WebhookURL: deadURL, WebhookRetries: 2, WebhookRetryInterval: time.Millisecond})
	res, err := e.Pay(PaymentRequest{MerchantUID: "net-1", Amount: portone.Won(10)}, OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, res.Webhooks)
	log := e.Webhooks()
	if len(log) != 3 || log[2].Attempt != 3 || log[2].Error == "" || log[2].StatusCode != 0 {
		t.Errorf("log %v, want three failed attempts", log)
	}
}

// TestWebhookOrdering checks webhook_first, redirect_first and the delay.
func TestWebhookOrdering(t *testing.T) {
	t.Run("webhook first has arrived when Pay returns", func(t *testing.T) {
		rc := newReceiver(t, nil)
		e, _ := newTestEmulator(t, Config{})
		setFaults(t, e, Faults{WebhookOrder: OrderWebhookFirst})
		payWith(t, e, rc, "o-1")
		if got := len(rc.bodies()); got != 1 {
			t.Errorf("%d webhooks when Pay returned, want 1", got)
		}
	})
	t.Run("redirect first holds the webhook until released", func(t *testing.T) {
		rc := newReceiver(t, nil)
		e, _ := newTestEmulator(t, Config{})
		setFaults(t, e, Faults{WebhookOrder: OrderRedirectFirst})
		res := payWith(t, e, rc, "o-2")
		select {
		case <-res.Webhooks:
			t.Fatal("webhook delivery ended before the redirect was released")
		default:
		}
		if got := len(rc.bodies()) + len(e.Webhooks()); got != 0 {
			t.Fatalf("%d webhook traces before release, want 0", got)
		}
		res.Release()
		waitClosed(t, res.Webhooks)
		if got := len(rc.bodies()); got != 1 {
			t.Errorf("%d webhooks after release, want 1", got)
		}
	})
	t.Run("delayed webhook is not sent while held", func(t *testing.T) {
		rc := newReceiver(t, nil)
		e, _ := newTestEmulator(t, Config{})
		setFaults(t, e, Faults{WebhookDelay: Duration(time.Hour)})
		res := payWith(t, e, rc, "o-3")
		select {
		case <-res.Webhooks:
			t.Fatal("delayed webhook finished at once")
		default:
		}
		e.Close() // stops the held delivery
		waitClosed(t, res.Webhooks)
		if got := len(rc.bodies()); got != 0 {
			t.Errorf("%d webhooks arrived during the delay, want 0", got)
		}
	})
}

// TestRedirectFaults checks the flavour override and the POST delivery
// with merchant_uid repeated.
func TestRedirectFaults(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	setFaults(t, e, Faults{RedirectFlavour: FlavourSuccess})
	res, _ := e.Pay(PaymentRequest{MerchantUID: "r-1", Amount: portone.Won(10), RedirectURL: "https://s.example/r"}, OutcomePaid)
	if want := "https://s.example/r?imp_uid=" + res.Payment.ImpUID + "&merchant_uid=r-1&success=true"; res.RedirectURL != want {
		t.Errorf("flavour override: %s, want %s", res.RedirectURL, want)
	}
	setFaults(t, e, Faults{RedirectPOST: true})
	srv, c := windowServer(t, e)
	ans := openWindow(t, c, srv.URL, map[string]any{"merchant_uid": "r-2", "amount": 10, "pay_method": "trans",
		"m_redirect_url": "https://s.example/r", "mode": "redirect"})
	resp := choose(t, c, srv.URL, ans["imp_uid"].(string), OutcomePaid)
	body := readAll(t, resp)
	wantAction := `action="https://s.example/r?imp_uid=` + ans["imp_uid"].(string) + `&amp;merchant_uid=r-2&amp;imp_success=true&amp;merchant_uid=r-2"`
	if resp.StatusCode != 200 || !strings.Contains(body, `method="post"`) || !strings.Contains(body, wantAction) ||
		strings.Count(body, `name="merchant_uid"`) != 2 {
		t.Errorf("POST redirect page:\n%s\nwant a form posting to %s", body, wantAction)
	}
}

// TestAPIFaults checks error rate and status, and that a hang ends when
// the caller gives up.
func TestAPIFaults(t *testing.T) {
	e, _ := newTestEmulator(t, Config{})
	tok := token(t, e)
	setFaults(t, e, Faults{APIErrorRate: 1, APIErrorStatus: 503})
	status, body := serve(t, e, apiCall{method: "GET", path: "/payments/imp_000000000001", header: map[string]string{"Authorization": tok}})
	if status != 503 || !strings.HasPrefix(body, `{"code":-1,"message":`) {
		t.Errorf("error fault: %d %s", status, body)
	}
	if status, _ := serve(t, e, apiCall{method: "GET", path: "/__emulator/faults"}); status != 200 {
		t.Errorf("the control API is subject to API faults: %d", status)
	}
	setFaults(t, e, Faults{APIHang: true})
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "/payments/imp_000000000001", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { e.ServeHTTP(w, r); close(done) }()
	select {
	case <-done:
		t.Fatal("a hanging API answered")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	<-done
	if w.Body.Len() != 0 {
		t.Errorf("hang wrote %q", w.Body.String())
	}
	if err := e.SetFaults(Faults{APIErrorRate: 2}); err == nil || e.Faults().APIHang != true {
		t.Errorf("invalid faults: err %v, faults now %+v; want refusal and no change", err, e.Faults())
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
