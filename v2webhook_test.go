package payresult_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// countingGateway counts the look-ups made through it.
type countingGateway struct {
	payresult.Gateway
	lookups atomic.Int64
}

func (g *countingGateway) Payment(ctx context.Context, impUID string, includeSandbox bool) (*portone.Payment, error) {
	g.lookups.Add(1)
	return g.Gateway.Payment(ctx, impUID, includeSandbox)
}

func (g *countingGateway) FindPayment(ctx context.Context, merchantUID string, status portone.Status) (*portone.Payment, error) {
	g.lookups.Add(1)
	return g.Gateway.FindPayment(ctx, merchantUID, status)
}

// signedV2 returns a V2 webhook request for body, signed with secret as
// of ts under webhook-id id.
func signedV2(t *testing.T, secret, id string, ts time.Time, body string) *http.Request {
	t.Helper()
	sig, err := portonev2.SignWebhook(secret, id, ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/portone/v2/webhook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("webhook-id", id)
	r.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("webhook-signature", sig)
	return r
}

func paidV2Body(m string) string {
	return `{"type":"Transaction.Paid","timestamp":"2026-12-07T10:00:00.000Z","data":{"paymentId":"` + m +
		`","storeId":"` + emulator.DefaultV2StoreID + `","transactionId":"4c3e2c1a-0000-4000-8000-000000000001"}}`
}

// TestV2WebhookSignature: every request that is not signed by PortOne
// with the configured secret, within five minutes of payresult's clock, is
// refused with 400 before payresult looks anything up or changes anything;
// a signed webhook confirms the order, and replaying it changes nothing
// more.
func TestV2WebhookSignature(t *testing.T) {
	t.Parallel()
	s := newAPISandbox(t, testdb.OpenSQLite(t))
	gw := &countingGateway{Gateway: s.v2}
	p := s.processor(payresult.APIV2)
	p.PortOneV2 = gw
	createOrder(t, p, s.driver(payresult.APIV2), "order-a")
	s.driver(payresult.APIV2).pay(t, "order-a", emulator.OutcomePaid)
	now := s.clock.Now()
	h := &payresult.V2WebhookHandler{Processor: p, Secret: emulator.DefaultV2WebhookSecret, Now: s.clock.Now}
	body := paidV2Body("order-a")
	const otherSecret = "whsec_b3RoZXItc2VjcmV0LW9mLWFub3RoZXItc3RvcmU="

	refused := []struct {
		name string
		req  func() *http.Request
	}{
		{"unsigned", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/portone/v2/webhook", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{"tampered body", func() *http.Request {
			r := signedV2(t, emulator.DefaultV2WebhookSecret, "msg_1", now, paidV2Body("order-b"))
			r.Body = http.NoBody
			r2 := httptest.NewRequest(http.MethodPost, "/portone/v2/webhook", strings.NewReader(body))
			r2.Header = r.Header
			return r2
		}},
		{"wrong secret", func() *http.Request { return signedV2(t, otherSecret, "msg_1", now, body) }},
		{"stale timestamp", func() *http.Request {
			return signedV2(t, emulator.DefaultV2WebhookSecret, "msg_1", now.Add(-portonev2.WebhookTolerance-time.Second), body)
		}},
		{"future timestamp", func() *http.Request {
			return signedV2(t, emulator.DefaultV2WebhookSecret, "msg_1", now.Add(portonev2.WebhookTolerance+time.Second), body)
		}},
		{"signature given twice", func() *http.Request {
			r := signedV2(t, emulator.DefaultV2WebhookSecret, "msg_1", now, body)
			r.Header.Add("webhook-signature", r.Header.Get("webhook-signature"))
			return r
		}},
		{"webhook-id changed", func() *http.Request {
			r := signedV2(t, emulator.DefaultV2WebhookSecret, "msg_1", now, body)
			r.Header.Set("webhook-id", "msg_2")
			return r
		}},
		{"a V1 webhook", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/portone/v2/webhook", strings.NewReader(`{"imp_uid":"imp_1","merchant_uid":"order-a","status":"paid"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
	}
	for _, tt := range refused {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tt.req())
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tt.name, w.Code, w.Body)
		}
	}
	if n := gw.lookups.Load(); n != 0 {
		t.Fatalf("refused webhooks made %d PortOne look-ups, want 0", n)
	}
	if o, _ := s.store.Order(context.Background(), "order-a"); o.Status != payresult.StatusPending {
		t.Fatalf("order after refused webhooks: %s, want pending", o.Status)
	}

	// The genuine webhook, then the same one replayed (PortOne's retry, or
	// someone who captured it) within the tolerance.
	for i := range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedV2(t, emulator.DefaultV2WebhookSecret, "msg_1", now, body))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"status":"paid"`) {
			t.Fatalf("signed webhook #%d: %d %s, want 200 paid", i, w.Code, w.Body)
		}
		s.clock.Advance(time.Minute)
	}
	wantEvents(t, s.store, "order-a", payresult.EventPaid)
	// Replayed once the tolerance has passed: refused.
	s.clock.Advance(portonev2.WebhookTolerance)
	w := httptest.NewRecorder()
	before := gw.lookups.Load()
	h.ServeHTTP(w, signedV2(t, emulator.DefaultV2WebhookSecret, "msg_1", now, body))
	if w.Code != http.StatusBadRequest || gw.lookups.Load() != before {
		t.Errorf("stale replay: %d %s, %d look-ups; want 400 and none", w.Code, w.Body, gw.lookups.Load()-before)
	}
}

// TestV2WebhookPayloads: both payload versions confirm; other kinds of
// webhook and payments of unknown orders are answered 200 and ignored.
func TestV2WebhookPayloads(t *testing.T) {
	t.Parallel()
	s := newAPISandbox(t, testdb.OpenSQLite(t))
	p := s.processor(payresult.APIV2)
	d := s.driver(payresult.APIV2)
	for _, m := range []string{"order-a", "order-b"} {
		createOrder(t, p, d, m)
		d.pay(t, m, emulator.OutcomePaid)
	}
	h := &payresult.V2WebhookHandler{Processor: p, Secret: emulator.DefaultV2WebhookSecret, Now: s.clock.Now}
	tests := []struct {
		name, contentType, body string
		want                    map[string]string
	}{
		{"2024-04-25", "application/json", paidV2Body("order-a"), map[string]string{"merchant_uid": "order-a", "status": "paid"}},
		{"2024-01-01 JSON", "application/json", `{"payment_id":"order-b","tx_id":"tx-1","status":"Paid"}`, map[string]string{"merchant_uid": "order-b", "status": "paid"}},
		{"2024-01-01 form", "application/x-www-form-urlencoded", `payment_id=order-b&tx_id=tx-1&status=Paid`, map[string]string{"merchant_uid": "order-b", "status": "paid"}},
		{"billing key", "application/json", `{"type":"BillingKey.Issued","timestamp":"2026-12-07T10:00:00.000Z","data":{"billingKey":"bk-1"}}`, map[string]string{"ignored": "not a payment webhook"}},
		{"unknown order", "application/json", paidV2Body("order-zz"), map[string]string{"merchant_uid": "order-zz", "ignored": "no such order"}},
	}
	for i, tt := range tests {
		r := signedV2(t, emulator.DefaultV2WebhookSecret, "msg_"+strconv.Itoa(i), s.clock.Now(), tt.body)
		r.Header.Set("Content-Type", tt.contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var got map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusOK || err != nil {
			t.Errorf("%s: %d %s, want 200", tt.name, w.Code, w.Body)
			continue
		}
		if !equalMaps(got, tt.want) {
			t.Errorf("%s: answered %v, want %v", tt.name, got, tt.want)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestV2EndToEnd: the emulator delivers its own signed V2 webhooks to the
// V2 webhook handler and sends the buyer to the V2 redirect handler: a
// card payment, a failed one and a virtual account with its deposit.
func TestV2EndToEnd(t *testing.T) {
	t.Parallel()
	store := testdb.OpenSQLite(t)
	var p *payresult.Processor
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	em := emulator.New(emulator.Config{Seed: 1, V2: emulator.V2Config{WebhookURL: srv.URL + "/portone/v2/webhook"}})
	emSrv := httptest.NewServer(em)
	t.Cleanup(func() {
		emSrv.Close()
		em.Close()
	})
	p = &payresult.Processor{Store: store, DefaultAPI: payresult.APIV2,
		PortOneV2: &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: emSrv.URL, Secret: emulator.DefaultV2APISecret, MaxRetries: -1}}}
	mux.Handle("/portone/v2/webhook", &payresult.V2WebhookHandler{Processor: p, Secret: emulator.DefaultV2WebhookSecret})
	mux.Handle("/portone/v2/redirect", &payresult.RedirectHandler{Processor: p, API: payresult.APIV2})
	ctx := context.Background()

	pay := func(m, method string, outcome emulator.Outcome) *emulator.V2Result {
		t.Helper()
		if _, _, err := p.CreateOrder(ctx, payresult.NewOrder{MerchantUID: m, Name: "coffee beans", Amount: portone.Won(10000)}); err != nil {
			t.Fatal(err)
		}
		r, err := em.PayV2(emulator.V2PaymentRequest{StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2LiveChannelKey,
			PaymentID: m, OrderName: "coffee beans", TotalAmount: 10000, Currency: "KRW", PayMethod: method,
			RedirectURL: srv.URL + "/portone/v2/redirect"}, outcome)
		if err != nil {
			t.Fatalf("PayV2(%s): %v", m, err)
		}
		r.Release()
		return r
	}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, b.String()
	}
	status := func(m string) payresult.Status {
		o, err := store.Order(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return o.Status
	}

	card := pay("card-1", "CARD", emulator.OutcomePaid)
	<-card.Webhooks
	if got := status("card-1"); got != payresult.StatusPaid {
		t.Errorf("card after its webhook: %s, want paid", got)
	}
	if code, _ := get(card.RedirectURL); code != http.StatusOK {
		t.Errorf("card redirect: %d", code)
	}

	failed := pay("card-2", "CARD", emulator.OutcomeFailed)
	<-failed.Webhooks
	if !strings.Contains(failed.RedirectURL, "code=") {
		t.Errorf("failed redirect %q carries no code", failed.RedirectURL)
	}
	if code, _ := get(failed.RedirectURL); code != http.StatusOK || status("card-2") != payresult.StatusFailed {
		t.Errorf("failed redirect: %d, order %s; want 200, failed", code, status("card-2"))
	}

	vb := pay("vbank-1", "VIRTUAL_ACCOUNT", emulator.OutcomeVbankIssued)
	<-vb.Webhooks
	if code, _ := get(vb.RedirectURL); code != http.StatusOK || status("vbank-1") != payresult.StatusVbankIssued {
		t.Errorf("vbank redirect: %d, order %s; want 200, vbank_issued", code, status("vbank-1"))
	}
	if _, err := em.DepositV2("vbank-1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for status("vbank-1") != payresult.StatusPaid && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := status("vbank-1"); got != payresult.StatusPaid {
		t.Errorf("vbank after the deposit's webhook: %s, want paid", got)
	}
	for _, d := range em.Webhooks() {
		if d.API == "v2" && d.StatusCode != http.StatusOK {
			t.Errorf("webhook %+v not answered 200", d)
		}
	}
	// A redirect without a paymentId is refused.
	if code, _ := get(srv.URL + "/portone/v2/redirect?code=X"); code != http.StatusBadRequest {
		t.Errorf("redirect without paymentId: %d, want 400", code)
	}
}
