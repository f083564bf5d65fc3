// Package storagetest is the conformance suite of emulator.Storage: Run
// checks the contract of its five methods and then restarts an emulator
// on the Storage, so that a database adapter shows it keeps a sandbox
// across restarts. payresult runs it against MemoryStorage, SQLite and
// PostgreSQL.
package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// Open returns a new handle on one database each time it is called in a
// test: the same entries and counters, as a process restarted on the same
// database would see them. The caller closes the handle when the test
// ends.
type Open func(t *testing.T) emulator.Storage

// Run runs the suite. Each subtest calls open on a database of its own.
func Run(t *testing.T, newDB func(t *testing.T) Open) {
	t.Run("Contract", func(t *testing.T) { testContract(t, newDB(t)) })
	t.Run("Restart", func(t *testing.T) { testRestart(t, newDB(t)) })
	t.Run("ResetKeepsIDsFresh", func(t *testing.T) { testReset(t, newDB(t)) })
	t.Run("RestartV2", func(t *testing.T) { testRestartV2(t, newDB(t)) })
}

func testContract(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	if ok, err := s.Insert(ctx, "a", "1", []byte("one")); !ok || err != nil {
		t.Fatalf("Insert new = %v, %v; want true, nil", ok, err)
	}
	if ok, err := s.Insert(ctx, "a", "1", []byte("uno")); ok || err != nil {
		t.Fatalf("Insert taken = %v, %v; want false, nil", ok, err)
	}
	if ok, err := s.Insert(ctx, "b", "1", []byte("other kind")); !ok || err != nil {
		t.Fatalf("Insert same id, other kind = %v, %v; want true, nil", ok, err)
	}
	if err := s.Put(ctx, "a", "2", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a", "2", []byte{0, 0xff, '"'}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"x": 1, "y": 1} {
		if got, err := s.Next(ctx, name); got != want || err != nil {
			t.Fatalf("Next(%s) = %d, %v; want %d", name, got, err, want)
		}
	}
	// A second handle sees the same entries and goes on with the counters.
	s2 := open(t)
	wantEntries(t, s2, "a", map[string]string{"1": "one", "2": "\x00\xff\""})
	wantEntries(t, s2, "b", map[string]string{"1": "other kind"})
	if got, err := s2.Next(ctx, "x"); got != 2 || err != nil {
		t.Fatalf("Next(x) on a new handle = %d, %v; want 2", got, err)
	}
	if err := s2.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, s, "a", map[string]string{})
	if got, err := s.Next(ctx, "x"); got != 3 || err != nil {
		t.Fatalf("Next(x) after Clear = %d, %v; want 3: counters survive Clear", got, err)
	}
}

func wantEntries(t *testing.T, s emulator.Storage, kind string, want map[string]string) {
	t.Helper()
	got, err := s.Load(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	gotText := map[string]string{}
	for id, v := range got {
		gotText[id] = string(v)
	}
	if len(gotText) != len(want) {
		t.Errorf("Load(%s) = %q, want %q", kind, gotText, want)
		return
	}
	for id, v := range want {
		if gotText[id] != v {
			t.Errorf("Load(%s)[%s] = %q, want %q", kind, id, gotText[id], v)
		}
	}
}

// sandbox is one run of an emulator on a Storage, served over HTTP with
// payresult's V1 client pointed at it.
type sandbox struct {
	em     *emulator.Emulator
	srv    *httptest.Server
	client *portone.Client
}

// clock is the time both runs share, so that tokens stay valid across
// the restart.
var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func start(t *testing.T, s emulator.Storage) *sandbox {
	t.Helper()
	em, err := emulator.Open(context.Background(), emulator.Config{Seed: 1, Now: func() time.Time { return t0 }}, s)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	srv := httptest.NewServer(em)
	sb := &sandbox{em: em, srv: srv, client: &portone.Client{BaseURL: srv.URL, Key: emulator.DefaultAPIKey,
		Secret: emulator.DefaultAPISecret, Now: func() time.Time { return t0 }, MaxRetries: -1}}
	var once sync.Once
	t.Cleanup(func() { once.Do(sb.stop) })
	return sb
}

func (sb *sandbox) stop() {
	sb.srv.Close()
	sb.em.Close()
}

func pay(t *testing.T, em *emulator.Emulator, merchantUID string, outcome emulator.Outcome, method portone.PayMethod) *portone.Payment {
	t.Helper()
	res, err := em.Pay(emulator.PaymentRequest{MerchantUID: merchantUID, Amount: portone.Won(10000), PayMethod: method}, outcome)
	if err != nil {
		t.Fatalf("Pay %s: %v", merchantUID, err)
	}
	return res.Payment
}

// testRestart runs a sandbox, stops it and starts another on the same
// database: payments, prepared amounts, the token in force and an open
// window carry over, and new ids differ from every earlier one.
func testRestart(t *testing.T, open Open) {
	ctx := context.Background()
	first := start(t, open(t))
	paid := pay(t, first.em, "order-paid", emulator.OutcomePaid, portone.PayMethodCard)
	vbank := pay(t, first.em, "order-vbank", emulator.OutcomeVbankIssued, portone.PayMethodVbank)
	if _, err := first.client.Prepare(ctx, "order-prepared", portone.Won(5000), "KRW"); err != nil {
		t.Fatal(err)
	}
	tok, err := first.client.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	windowID := openWindow(t, first.srv.URL, "order-window")
	before, err := first.client.Payment(ctx, paid.ImpUID, false)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{paid.ImpUID, vbank.ImpUID, windowID}
	first.stop()

	second := start(t, open(t))
	// The token handed out before the restart is still good.
	req, _ := http.NewRequest("GET", second.srv.URL+"/payments/"+paid.ImpUID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the old token after a restart: HTTP %d, want 200", resp.StatusCode)
	}
	after, err := second.client.Payment(ctx, paid.ImpUID, false)
	if err != nil {
		t.Fatalf("the paid payment after a restart: %v", err)
	}
	if after.Status != before.Status || after.Amount != before.Amount || after.PGTID != before.PGTID || after.PaidAt != before.PaidAt {
		t.Errorf("after a restart the payment is %+v, want %+v", after, before)
	}
	if _, err := second.client.Cancel(ctx, &portone.CancelRequest{ImpUID: paid.ImpUID, Amount: ptr(portone.Won(4000)), Checksum: ptr(portone.Won(10000))}); err != nil {
		t.Errorf("a partial cancel after a restart: %v", err)
	}
	if _, err := second.em.Deposit(vbank.ImpUID); err != nil {
		t.Errorf("a deposit after a restart: %v", err)
	}
	if _, err := second.em.Pay(emulator.PaymentRequest{MerchantUID: "order-prepared", Amount: portone.Won(6000)}, emulator.OutcomePaid); err == nil {
		t.Errorf("a payment of 6000 for a merchant_uid prepared at 5000 was accepted after a restart")
	}
	if loc := finishWindow(t, second.srv.URL, windowID); !strings.Contains(loc, "imp_uid="+windowID) {
		t.Errorf("the window opened before the restart redirected to %q", loc)
	}
	for i := range 5 {
		p := pay(t, second.em, "order-new-"+string(rune('a'+i)), emulator.OutcomePaid, portone.PayMethodCard)
		if slices.Contains(ids, p.ImpUID) {
			t.Errorf("imp_uid %s handed out again after a restart (earlier: %v)", p.ImpUID, ids)
		}
		ids = append(ids, p.ImpUID)
	}
	second.stop()

	third := start(t, open(t))
	got, err := third.client.Payment(ctx, paid.ImpUID, false)
	if err != nil || got.CancelAmount != portone.Won(4000) {
		t.Errorf("after a second restart the payment's cancel_amount is %v (%v), want 4000", got, err)
	}
	if n := len(third.em.Payments()); n != len(ids) {
		t.Errorf("after a second restart the ledger has %d payments, want %d", n, len(ids))
	}
}

// testReset resets a sandbox: its payments are gone, but the ids it
// hands out afterwards, also after a restart, are still new.
func testReset(t *testing.T, open Open) {
	first := start(t, open(t))
	var ids []string
	for _, m := range []string{"r-1", "r-2"} {
		ids = append(ids, pay(t, first.em, m, emulator.OutcomePaid, portone.PayMethodCard).ImpUID)
	}
	if err := first.em.Reset(); err != nil {
		t.Fatal(err)
	}
	if n := len(first.em.Payments()); n != 0 {
		t.Errorf("after Reset the ledger has %d payments", n)
	}
	for _, m := range []string{"r-1", "r-2"} {
		p := pay(t, first.em, m, emulator.OutcomePaid, portone.PayMethodCard)
		if slices.Contains(ids, p.ImpUID) {
			t.Errorf("imp_uid %s handed out again after a Reset (earlier: %v)", p.ImpUID, ids)
		}
		ids = append(ids, p.ImpUID)
	}
	first.stop()
	second := start(t, open(t))
	if n := len(second.em.Payments()); n != 2 {
		t.Errorf("a restart after Reset loaded %d payments, want the 2 made since", n)
	}
}

// openWindow opens a payment window in the redirect flow, as iamport.js
// does, and returns its imp_uid.
func openWindow(t *testing.T, base, merchantUID string) string {
	t.Helper()
	body := `{"merchant_uid":"` + merchantUID + `","amount":3000,"m_redirect_url":"https://shop.example/done","mode":"redirect"}`
	resp, err := http.Post(base+"/window/open", "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		OK     bool   `json:"ok"`
		ImpUID string `json:"imp_uid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || !ans.OK {
		t.Fatalf("window/open: %v %+v", err, ans)
	}
	return ans.ImpUID
}

// finishWindow approves the payment in its window and returns where the
// browser is sent.
func finishWindow(t *testing.T, base, impUID string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/window/"+impUID, url.Values{"outcome": {"paid"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("window %s: HTTP %d, want 302", impUID, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func ptr[T any](v T) *T { return &v }

// v2Call makes one request to the V2 REST API with the API secret (or
// token) and returns the status and body.
func v2Call(t *testing.T, base, method, path, auth, idemKey, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", `"`+idemKey+`"`)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// testRestartV2 restarts a sandbox with V2 state: payments, the access
// token, a pre-registration and an Idempotency-Key all carry over, and
// new transaction ids differ from every earlier one.
func testRestartV2(t *testing.T, open Open) {
	first := start(t, open(t))
	req := emulator.V2PaymentRequest{StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2ChannelKey,
		PaymentID: "v2-paid", OrderName: "머그컵", TotalAmount: 12000, Currency: "KRW", PayMethod: "CARD"}
	paid, err := first.em.PayV2(req, emulator.OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	secret := "PortOne " + emulator.DefaultV2APISecret
	status, body := v2Call(t, first.srv.URL, "POST", "/login/api-secret", "", "", `{"apiSecret":"`+emulator.DefaultV2APISecret+`"}`)
	var tok struct{ AccessToken string }
	if err := json.Unmarshal([]byte(body), &tok); err != nil || status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	const key = "restart-idempotency-key-1"
	cancelBody := `{"amount":2000,"reason":"partial","currentCancellableAmount":12000}`
	_, firstCancel := v2Call(t, first.srv.URL, "POST", "/payments/v2-paid/cancel", secret, key, cancelBody)
	if s, b := v2Call(t, first.srv.URL, "POST", "/payments/v2-prepared/pre-register", secret, "", `{"totalAmount":5000,"currency":"KRW"}`); s != http.StatusOK {
		t.Fatalf("pre-register: %d %s", s, b)
	}
	txIDs := []string{paid.Payment.TransactionID}
	first.stop()

	second := start(t, open(t))
	status, got := v2Call(t, second.srv.URL, "GET", "/payments/v2-paid", "Bearer "+tok.AccessToken, "", "")
	if status != http.StatusOK || !strings.Contains(got, `"status":"PARTIAL_CANCELLED"`) || !strings.Contains(got, `"cancelled":2000`) {
		t.Errorf("the V2 payment after a restart, with the token issued before it: %d %s", status, got)
	}
	if status, again := v2Call(t, second.srv.URL, "POST", "/payments/v2-paid/cancel", secret, key, cancelBody); status != http.StatusOK || again != firstCancel {
		t.Errorf("a cancel repeated with its Idempotency-Key after a restart: %d %s, want the first answer %s", status, again, firstCancel)
	}
	if p, _ := second.em.PaymentV2("v2-paid"); p == nil || p.Amount.Cancelled != 2000 {
		t.Errorf("after the repeat the payment has cancelled %v, want 2000 once", p)
	}
	wrong := req
	wrong.PaymentID, wrong.TotalAmount = "v2-prepared", 6000
	if _, err := second.em.PayV2(wrong, emulator.OutcomePaid); !errors.Is(err, emulator.ErrV2Refused) {
		t.Errorf("6000 for a payment pre-registered at 5000, after a restart: %v, want refused", err)
	}
	for i := range 3 {
		r := req
		r.PaymentID = "v2-new-" + string(rune('a'+i))
		res, err := second.em.PayV2(r, emulator.OutcomePaid)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(txIDs, res.Payment.TransactionID) {
			t.Errorf("transactionId %s handed out again after a restart", res.Payment.TransactionID)
		}
		txIDs = append(txIDs, res.Payment.TransactionID)
	}
}
