package portonev2_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// sandbox is the V2 sandbox over HTTP with a client pointed at it.
type sandbox struct {
	em     *emulator.Emulator
	url    string
	client *portonev2.Client
}

func newSandbox(t *testing.T, cfg emulator.Config) *sandbox {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 5
	}
	em := emulator.New(cfg)
	srv := httptest.NewServer(em)
	t.Cleanup(func() { srv.Close(); em.Close() })
	return &sandbox{em: em, url: srv.URL, client: &portonev2.Client{BaseURL: srv.URL, Secret: emulator.DefaultV2APISecret,
		RetryWait: time.Millisecond, MaxRetryWait: 5 * time.Millisecond}}
}

// pay completes a card payment of amount won through the sandbox.
func (s *sandbox) pay(t *testing.T, paymentID string, amount int64, outcome emulator.Outcome) *portonev2.Payment {
	t.Helper()
	res, err := s.em.PayV2(emulator.V2PaymentRequest{StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2ChannelKey,
		PaymentID: paymentID, OrderName: "머그컵", TotalAmount: amount, Currency: "KRW", PayMethod: "CARD"}, outcome)
	if err != nil {
		t.Fatalf("PayV2 %s: %v", paymentID, err)
	}
	return res.Payment
}

func ptr[T any](v T) *T { return &v }

// TestPaymentAndCancel walks the client through a payment's life:
// look-up, list, pre-registration, a partial cancel guarded by
// currentCancellableAmount, a stale guard refused, the rest cancelled, and
// each error kind.
func TestPaymentAndCancel(t *testing.T) {
	s := newSandbox(t, emulator.Config{})
	ctx := context.Background()
	s.pay(t, "order-1", 15000, emulator.OutcomePaid)
	s.pay(t, "order-2", 3000, emulator.OutcomeFailed)

	p, err := s.client.Payment(ctx, "order-1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != portonev2.StatusPaid || p.Amount.Total != 15000 || p.Currency != "KRW" || !p.IsTest() || len(p.Raw) == 0 {
		t.Fatalf("payment = %+v, want PAID 15000 KRW on a test channel", p)
	}
	page, err := s.client.Payments(ctx, portonev2.PaymentFilter{Status: []portonev2.Status{portonev2.StatusFailed}}, portonev2.PageInput{Size: 10})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != "order-2" || page.Page.TotalCount != 1 {
		t.Fatalf("failed payments = %+v, %v; want order-2 alone", page, err)
	}

	if err := s.client.PreRegister(ctx, "order-3", portonev2.PreRegistration{TotalAmount: 5000, Currency: "KRW"}); err != nil {
		t.Errorf("PreRegister: %v", err)
	}
	if err := s.client.PreRegister(ctx, "order-1", portonev2.PreRegistration{TotalAmount: 15000, Currency: "KRW"}); !portonev2.IsAlreadyPaid(err) {
		t.Errorf("PreRegister of a paid payment: %v, want ALREADY_PAID", err)
	}

	c, err := s.client.Cancel(ctx, "order-1", portonev2.CancelRequest{Amount: ptr[int64](4000), Reason: "부분 환불",
		CurrentCancellableAmount: ptr(p.Cancellable())})
	if err != nil || c.Status != portonev2.CancellationSucceeded || c.TotalAmount != 4000 {
		t.Fatalf("partial cancel = %+v, %v", c, err)
	}
	_, err = s.client.Cancel(ctx, "order-1", portonev2.CancelRequest{Amount: ptr[int64](4000), Reason: "again",
		CurrentCancellableAmount: ptr(p.Cancellable())})
	if !portonev2.IsCancellableAmountMismatch(err) {
		t.Errorf("a cancel with a stale currentCancellableAmount: %v, want CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN", err)
	}
	if _, err := s.client.Cancel(ctx, "order-1", portonev2.CancelRequest{Reason: "나머지", CurrentCancellableAmount: ptr[int64](11000)}); err != nil {
		t.Errorf("cancelling the rest: %v", err)
	}
	if _, err := s.client.Cancel(ctx, "order-1", portonev2.CancelRequest{Reason: "again"}); !portonev2.IsAlreadyCancelled(err) {
		t.Errorf("a cancel of a cancelled payment: %v, want PAYMENT_ALREADY_CANCELLED", err)
	}
	if p, _ := s.client.Payment(ctx, "order-1"); p.Status != portonev2.StatusCancelled || p.Amount.Cancelled != 15000 {
		t.Errorf("after both cancels: %s, cancelled %d; want CANCELLED 15000", p.Status, p.Amount.Cancelled)
	}

	if _, err := s.client.Payment(ctx, "no-such"); !portonev2.IsNotFound(err) {
		t.Errorf("unknown payment: %v, want PAYMENT_NOT_FOUND", err)
	}
	bad := *s.client
	bad.Secret = "wrong"
	if _, err := bad.Payment(ctx, "order-1"); !portonev2.IsUnauthorized(err) {
		t.Errorf("wrong secret: %v, want UNAUTHORIZED", err)
	}
	other := *s.client
	other.StoreID = "store-of-someone-else"
	if _, err := other.Payment(ctx, "order-1"); !portonev2.IsForbidden(err) {
		t.Errorf("another store: %v, want FORBIDDEN", err)
	}
}

// lossyTransport loses the answer of the first request that matches: the
// sandbox processed it, the client never hears.
type lossyTransport struct {
	match    func(*http.Request) bool
	lost     atomic.Bool
	requests atomic.Int32
	keys     sync.Map // Idempotency-Key -> times seen
}

func (l *lossyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	l.requests.Add(1)
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		n, _ := l.keys.LoadOrStore(k, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && l.match(r) && l.lost.CompareAndSwap(false, true) {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("connection reset by peer (test)")
	}
	return resp, err
}

// TestCancelRetryRefundsOnce loses the answer of a cancel: the client
// sends it again with the same Idempotency-Key, and the sandbox answers
// the first result instead of refunding twice.
func TestCancelRetryRefundsOnce(t *testing.T) {
	s := newSandbox(t, emulator.Config{})
	s.pay(t, "order-r", 10000, emulator.OutcomePaid)
	lossy := &lossyTransport{match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/cancel") }}
	s.client.HTTPClient = &http.Client{Transport: lossy}
	c, err := s.client.Cancel(context.Background(), "order-r", portonev2.CancelRequest{Amount: ptr[int64](3000), Reason: "retry"})
	if err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	p, _ := s.em.PaymentV2("order-r")
	if p.Amount.Cancelled != 3000 || len(p.Cancellations) != 1 || p.Cancellations[0].ID != c.ID {
		t.Errorf("after a retried cancel: cancelled %d in %d cancellations, want 3000 in one (%s)", p.Amount.Cancelled, len(p.Cancellations), c.ID)
	}
	var sends []int32
	lossy.keys.Range(func(_, v any) bool { sends = append(sends, v.(*atomic.Int32).Load()); return true })
	if len(sends) != 1 || sends[0] != 2 {
		t.Errorf("Idempotency-Keys sent %v times, want one key sent twice", sends)
	}
}

// TestReadsRetried checks the retry discipline: a read is retried on 5xx
// up to MaxRetries, a refusal is not, and a hung answer fails each attempt
// after AttemptTimeout.
func TestReadsRetried(t *testing.T) {
	s := newSandbox(t, emulator.Config{})
	s.pay(t, "order-x", 1000, emulator.OutcomePaid)
	counting := &lossyTransport{match: func(*http.Request) bool { return false }}
	s.client.HTTPClient = &http.Client{Transport: counting}
	s.client.MaxRetries = 2
	if err := s.em.SetFaults(emulator.Faults{APIErrorRate: 1, APIErrorStatus: 503}); err != nil {
		t.Fatal(err)
	}
	_, err := s.client.Payment(context.Background(), "order-x")
	if !portonev2.IsTransient(err) || counting.requests.Load() != 3 {
		t.Errorf("503 every time: %v after %d requests, want a transient error after 3", err, counting.requests.Load())
	}
	s.em.SetFaults(emulator.Faults{})
	counting.requests.Store(0)
	if _, err := s.client.Payment(context.Background(), "nope"); !portonev2.IsNotFound(err) || counting.requests.Load() != 1 {
		t.Errorf("404: %v after %d requests, want PAYMENT_NOT_FOUND after 1", err, counting.requests.Load())
	}

	s.em.SetFaults(emulator.Faults{APIHang: true})
	s.client.MaxRetries, s.client.AttemptTimeout = 1, 100*time.Millisecond
	start := time.Now()
	_, err = s.client.Payment(context.Background(), "order-x")
	if !portonev2.IsTransient(err) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 200*time.Millisecond {
		t.Errorf("hung answers: %v after %v, want a deadline error after two attempts of 100ms", err, time.Since(start))
	}
}

// delivery is one webhook as the merchant's endpoint received it.
type delivery struct {
	header http.Header
	body   []byte
}

// hookReceiver records the webhooks it receives.
type hookReceiver struct {
	url string
	mu  sync.Mutex
	got []delivery
	ch  chan struct{}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{ch: make(chan struct{}, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{r.Header.Clone(), body})
		rc.mu.Unlock()
		rc.ch <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL
	return rc
}

// wait returns the next n webhooks.
func (rc *hookReceiver) wait(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for range n {
		select {
		case <-rc.ch:
		case <-deadline:
			t.Fatalf("waited 10s for %d webhooks", n)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := rc.got
	rc.got = nil
	return out
}

// TestSandboxWebhooks verifies the sandbox's V2 webhooks with
// VerifyWebhook: good ones pass in both payload versions, a tampered body
// and the bad-signature and stale-timestamp faults are refused.
func TestSandboxWebhooks(t *testing.T) {
	rc := newHookReceiver(t)
	s := newSandbox(t, emulator.Config{V2: emulator.V2Config{WebhookURL: rc.url}})
	s.pay(t, "order-w", 1000, emulator.OutcomePaid)
	got := rc.wait(t, 2) // Transaction.Ready, Transaction.Paid
	var types []string
	for _, d := range got {
		w, err := portonev2.VerifyWebhook(emulator.DefaultV2WebhookSecret, d.header, d.body, time.Now())
		if err != nil {
			t.Fatalf("VerifyWebhook(%s): %v", d.body, err)
		}
		if w.PaymentID != "order-w" || w.StoreID != emulator.DefaultV2StoreID || w.Version != portonev2.WebhookVersionCurrent || w.ID == "" {
			t.Errorf("webhook = %+v", w)
		}
		types = append(types, w.Type)
	}
	if strings.Join(types, ",") != "Transaction.Ready,Transaction.Paid" && strings.Join(types, ",") != "Transaction.Paid,Transaction.Ready" {
		t.Errorf("webhook types %v, want Transaction.Ready and Transaction.Paid", types)
	}
	tampered := append([]byte(nil), got[0].body...)
	tampered[len(tampered)-3] ^= 1
	if _, err := portonev2.VerifyWebhook(emulator.DefaultV2WebhookSecret, got[0].header, tampered, time.Now()); !errors.Is(err, portonev2.ErrWebhookSignature) {
		t.Errorf("tampered webhook: %v, want ErrWebhookSignature", err)
	}

	for _, tt := range []struct {
		name   string
		faults emulator.Faults
		want   error
	}{
		{"bad signature", emulator.Faults{WebhookBadSignature: true}, portonev2.ErrWebhookSignature},
		{"stale timestamp", emulator.Faults{WebhookStaleTimestamp: true}, portonev2.ErrWebhookTooOld},
	} {
		if err := s.em.SetFaults(tt.faults); err != nil {
			t.Fatal(err)
		}
		s.pay(t, "order-"+strings.ReplaceAll(tt.name, " ", "-"), 1000, emulator.OutcomeFailed)
		for _, d := range rc.wait(t, 2) {
			if _, err := portonev2.VerifyWebhook(emulator.DefaultV2WebhookSecret, d.header, d.body, time.Now()); !errors.Is(err, tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
	}

	legacy := newHookReceiver(t)
	ls := newSandbox(t, emulator.Config{V2: emulator.V2Config{WebhookURL: legacy.url, WebhookVersion: portonev2.WebhookVersionLegacy,
		WebhookContentType: "application/x-www-form-urlencoded"}})
	ls.pay(t, "order-l", 1000, emulator.OutcomeVbankIssued)
	for _, d := range legacy.wait(t, 2) {
		w, err := portonev2.VerifyWebhook(emulator.DefaultV2WebhookSecret, d.header, d.body, time.Now())
		if err != nil || w.Version != portonev2.WebhookVersionLegacy || w.PaymentID != "order-l" ||
			d.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("legacy webhook %s (%s): %+v, %v", d.body, d.header.Get("Content-Type"), w, err)
		}
	}
}

// TestConnectionsReused: a client with the default HTTP client keeps as
// many connections open as it had calls in flight, so that rounds of
// concurrent look-ups reuse them instead of dialing new ones (with
// http.DefaultClient's two idle connections per host, each round of 32
// dialed about 30 again).
func TestConnectionsReused(t *testing.T) {
	em := emulator.New(emulator.Config{Seed: 5})
	var dialed atomic.Int64
	srv := httptest.NewUnstartedServer(em)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			dialed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(func() { srv.Close(); em.Close() })
	s := &sandbox{em: em, url: srv.URL, client: &portonev2.Client{BaseURL: srv.URL, Secret: emulator.DefaultV2APISecret}}
	s.pay(t, "pay-reused", 1000, emulator.OutcomePaid)

	const inFlight, rounds = 32, 3
	for range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, inFlight)
		for range inFlight {
			wg.Go(func() {
				if _, err := s.client.Payment(context.Background(), "pay-reused"); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	// The first round dials up to 32; later rounds reuse them (a call
	// that starts before an earlier one's connection is back in the pool
	// may still dial one).
	if n := dialed.Load(); n > 2*inFlight {
		t.Errorf("%d rounds of %d concurrent calls dialed %d connections; want at most %d", rounds, inFlight, n, 2*inFlight)
	}
}
