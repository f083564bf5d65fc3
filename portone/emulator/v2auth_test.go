package emulator

import (
	"context"
	"encoding/json"
	"github.com/payresult/payresult/internal/fakeclock"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// v2Tokens logs in (or refreshes) and returns the pair.
func v2Login(t *testing.T, e *Emulator, path, body string) (access, refresh string, status int) {
	t.Helper()
	status, out := serve(t, e, apiCall{method: "POST", path: path, body: body})
	var tok struct{ AccessToken, RefreshToken string }
	json.Unmarshal([]byte(out), &tok)
	return tok.AccessToken, tok.RefreshToken, status
}

// TestV2Tokens checks V2's login: the access token reaches the API for
// 30 minutes, a refresh token is good once, and each login or refresh
// retires the refresh token before it.
func TestV2Tokens(t *testing.T) {
	e, clock := newTestEmulator(t, Config{})
	get := func(token string) int {
		status, _ := serve(t, e, apiCall{method: "GET", path: "/payments/none", header: map[string]string{"Authorization": "Bearer " + token}})
		return status
	}
	access, refresh, status := v2Login(t, e, "/login/api-secret", `{"apiSecret":"`+DefaultV2APISecret+`"}`)
	if status != http.StatusOK || strings.Count(access, ".") != 2 {
		t.Fatalf("login: %d, access token %q", status, access)
	}
	if got := get(access); got != http.StatusNotFound {
		t.Errorf("the access token: %d, want 404 PAYMENT_NOT_FOUND (authorized)", got)
	}
	access2, refresh2, status := v2Login(t, e, "/token/refresh", `{"refreshToken":"`+refresh+`"}`)
	if status != http.StatusOK || access2 == access || refresh2 == refresh {
		t.Fatalf("refresh: %d, new pair %q %q", status, access2, refresh2)
	}
	if _, _, status := v2Login(t, e, "/token/refresh", `{"refreshToken":"`+refresh+`"}`); status != http.StatusUnauthorized {
		t.Errorf("a refresh token used twice: %d, want 401", status)
	}
	if _, _, status := v2Login(t, e, "/login/api-secret", `{"apiSecret":"`+DefaultV2APISecret+`"}`); status != http.StatusOK {
		t.Fatal("second login")
	}
	if _, _, status := v2Login(t, e, "/token/refresh", `{"refreshToken":"`+refresh2+`"}`); status != http.StatusUnauthorized {
		t.Errorf("a refresh token retired by a later login: %d, want 401", status)
	}
	clock.Advance(31 * time.Minute)
	if got := get(access2); got != http.StatusUnauthorized {
		t.Errorf("an access token 31 minutes old: %d, want 401", got)
	}
	if status, body := serve(t, e, apiCall{method: "GET", path: "/payments/none", header: map[string]string{"Authorization": "Bearer " + access2}}); status != 401 || !strings.Contains(body, `"type":"UNAUTHORIZED"`) {
		t.Errorf("an expired V2 token is answered by V2: %d %s", status, body)
	}
}

// blockingStorage holds every Put until released, so that a request can
// be caught in flight.
type blockingStorage struct {
	*MemoryStorage
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStorage) Put(ctx context.Context, kind, id string, v []byte) error {
	if kind == kindV2Payment {
		b.entered <- struct{}{}
		<-b.release
	}
	return b.MemoryStorage.Put(ctx, kind, id, v)
}

// TestV2Idempotency checks Idempotency-Key as PortOne honours it: a repeat
// gets the first answer and changes nothing, a repeat while the first is
// in flight gets 409 IDEMPOTENCY_OUTSTANDING_REQUEST, the key with another
// request is refused, and a malformed key is refused.
func TestV2Idempotency(t *testing.T) {
	block := &blockingStorage{MemoryStorage: NewMemoryStorage(), entered: make(chan struct{}), release: make(chan struct{})}
	e, err := Open(context.Background(), Config{Seed: 1, Now: fakeclock.New(t0).Now}, block)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	go func() { // the PayV2 below saves twice: the window, the outcome
		for range 2 {
			<-block.entered
			block.release <- struct{}{}
		}
	}()
	if _, err := e.PayV2(v2Request("idem-1", 10000), OutcomePaid); err != nil {
		t.Fatal(err)
	}
	secret := map[string]string{"Authorization": "PortOne " + DefaultV2APISecret, "Idempotency-Key": `"refund-idem-1-000001"`}
	cancel := apiCall{method: "POST", path: "/payments/idem-1/cancel", body: `{"amount":1000,"reason":"r"}`, header: secret}

	var wg sync.WaitGroup
	var first string
	wg.Go(func() { _, first = serve(t, e, cancel) })
	<-block.entered // the first cancel is saving
	status, body := serve(t, e, cancel)
	if status != http.StatusConflict || !strings.Contains(body, "IDEMPOTENCY_OUTSTANDING_REQUEST") {
		t.Errorf("a repeat in flight: %d %s, want 409 IDEMPOTENCY_OUTSTANDING_REQUEST", status, body)
	}
	block.release <- struct{}{}
	wg.Wait()
	go func() {
		for range block.entered {
			block.release <- struct{}{}
		}
	}()
	status, again := serve(t, e, cancel)
	if status != http.StatusOK || again != first {
		t.Errorf("a repeat: %d %s, want 200 and the first answer %s", status, again, first)
	}
	if p, _ := e.PaymentV2("idem-1"); p.Amount.Cancelled != 1000 {
		t.Errorf("after a cancel and its repeat, cancelled = %d, want 1000", p.Amount.Cancelled)
	}
	other := cancel
	other.body = `{"amount":2000,"reason":"r"}`
	if status, body := serve(t, e, other); status != http.StatusBadRequest || !strings.Contains(body, "INVALID_REQUEST") {
		t.Errorf("the key with another request: %d %s, want 400", status, body)
	}
	for _, key := range []string{`"short"`, `"` + strings.Repeat("k", 257) + `"`, `"unterminated`} {
		bad := cancel
		bad.header = map[string]string{"Authorization": secret["Authorization"], "Idempotency-Key": key}
		if status, _ := serve(t, e, bad); status != http.StatusBadRequest {
			t.Errorf("Idempotency-Key %.20s: %d, want 400", key, status)
		}
	}
	close(block.entered)
}
