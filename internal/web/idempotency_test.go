package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/postgres"
)

// post sends an app API POST with body and, when key is not empty, an
// Idempotency-Key.
func post(h http.Handler, path, key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+hardAPIKey)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// wantError checks that rec is the JSON error code with status.
func wantError(t *testing.T, what string, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var body errorBody
	if rec.Code != status || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code != code {
		t.Errorf("%s: %d %.300s; want %d %s", what, rec.Code, rec.Body, status, code)
	}
}

// wantSameAnswer checks that a repeat got the first answer exactly:
// status, body byte for byte, and the headers the app reads.
func wantSameAnswer(t *testing.T, what string, first, again *httptest.ResponseRecorder) {
	t.Helper()
	if again.Code != first.Code || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) ||
		again.Header().Get("Location") != first.Header().Get("Location") {
		t.Errorf("%s: %d %s (Location %q)\nwant the first answer: %d %s (Location %q)", what,
			again.Code, again.Body, again.Header().Get("Location"), first.Code, first.Body, first.Header().Get("Location"))
	}
}

// TestIdempotentRefundOverHTTP: the app's retry of a refund with the same
// key is answered with the first answer, byte for byte, and refunds once;
// the key with another body answers 422; without a key the retry refunds
// again, as the README warns.
func TestIdempotentRefundOverHTTP(t *testing.T) {
	e := newHardEnv(t)
	path := "/api/orders/hard-paid/refund"
	first := post(e.handler, path, "9b1d6c1e-refund-1", `{"amount":2000}`)
	if first.Code != http.StatusOK {
		t.Fatalf("refund: %d %s", first.Code, first.Body)
	}
	again := post(e.handler, path, "9b1d6c1e-refund-1", `{ "amount": 2000.0 }`)
	wantSameAnswer(t, "the same refund with the same key", first, again)
	wantError(t, "the key with another amount", post(e.handler, path, "9b1d6c1e-refund-1", `{"amount":3000}`),
		http.StatusUnprocessableEntity, "idempotency_mismatch")
	wantError(t, "the key on another endpoint", post(e.handler, "/api/orders", "9b1d6c1e-refund-1", `{"merchant_uid":"k-1","name":"n","amount":1000}`),
		http.StatusUnprocessableEntity, "idempotency_mismatch")
	if pay, _ := e.em.Payment(e.paidImp); pay.CancelAmount != portone.Won(2000) || e.em.CancelCalls(e.paidImp) != 1 {
		t.Errorf("PortOne cancelled %s in %d cancels, want 2000 in 1", pay.CancelAmount, e.em.CancelCalls(e.paidImp))
	}

	unkeyed := post(e.handler, path, "", `{"amount":2000}`)
	var o payresult.Order
	if json.Unmarshal(unkeyed.Body.Bytes(), &o) != nil || o.RefundedAmount != portone.Won(4000) {
		t.Errorf("the same refund without a key: %d %s; want it refunded again (4000 in all)", unkeyed.Code, unkeyed.Body)
	}
}

// TestIdempotencyKeyHeader: a header payresult cannot use as a key is
// refused with 400 and changes nothing.
func TestIdempotencyKeyHeader(t *testing.T) {
	e := newHardEnv(t)
	for _, tc := range []struct {
		name string
		keys []string
	}{
		{"empty", []string{""}},
		{"twice", []string{"key-a", "key-b"}},
		{"too long", []string{strings.Repeat("k", payresult.MaxIdempotencyKeyLen+1)}},
		{"with a space", []string{"key a"}},
		{"not ASCII", []string{"키"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(t)
			req := httptest.NewRequest("POST", "/api/orders/hard-paid/refund", strings.NewReader(`{"amount":1000}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+hardAPIKey)
			for _, k := range tc.keys {
				req.Header.Add("Idempotency-Key", k)
			}
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			wantError(t, "refund", rec, http.StatusBadRequest, "invalid")
			if !strings.Contains(rec.Body.String(), "Idempotency-Key") {
				t.Errorf("the message does not name the header: %s", rec.Body)
			}
			if after := e.snapshot(t); after != before {
				t.Errorf("a refused key changed state")
			}
		})
	}
}

// TestEveryAppPOSTHonoursIdempotencyKey walks the routes: every POST of
// the app API must keep its first answer under a key and refuse the key
// with another request. A new POST route fails here until it has a case,
// and then until it honours the key.
func TestEveryAppPOSTHonoursIdempotencyKey(t *testing.T) {
	e := newHardEnv(t)
	cases := map[string]struct{ path, body, other string }{
		"POST /api/orders": {"/api/orders",
			`{"merchant_uid":"k-order","name":"tea","amount":5000}`, `{"merchant_uid":"k-order","name":"tea","amount":6000}`},
		"POST /api/orders/{merchant_uid}/refund": {"/api/orders/hard-paid/refund", `{"amount":1000}`, `{"amount":1001}`},
	}
	for _, rt := range e.handler.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method != "POST" || !strings.HasPrefix(path, "/api/") {
			continue
		}
		t.Run(rt.pattern, func(t *testing.T) {
			tc, ok := cases[rt.pattern]
			if !ok {
				t.Fatalf("no case for %s: give it one, and make it honour Idempotency-Key", rt.pattern)
			}
			key := "key-" + strings.ReplaceAll(rt.pattern, " ", "-")
			first := post(e.handler, tc.path, key, tc.body)
			if first.Code >= 300 {
				t.Fatalf("first request: %d %s", first.Code, first.Body)
			}
			wantSameAnswer(t, "the repeat", first, post(e.handler, tc.path, key, tc.body))
			wantError(t, "the key with another request", post(e.handler, tc.path, key, tc.other),
				http.StatusUnprocessableEntity, "idempotency_mismatch")
		})
	}
}

// holdCancel is a Gateway that holds the first cancel until released.
type holdCancel struct {
	payresult.Gateway
	entered, release chan struct{}
}

func (h *holdCancel) Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	select {
	case h.entered <- struct{}{}:
		<-h.release
	default: // only the first is held
	}
	return h.Gateway.Cancel(ctx, req)
}

// TestIdempotencyKeyInUseAcrossInstances: two serve instances on one
// PostgreSQL database. While instance A runs a keyed refund, B answers
// the same request 409 idempotency_key_in_use with Retry-After and sends
// PortOne nothing; once A has answered, B answers the same, byte for byte.
func TestIdempotencyKeyInUseAcrossInstances(t *testing.T) {
	url := testdb.PostgresURL(t) + "&pool_max_conns=4"
	e := newHardEnv(t) // the emulator and a client to it
	var handlers []*Server
	hold := &holdCancel{Gateway: e.proc.PortOne, entered: make(chan struct{}), release: make(chan struct{})}
	for _, gw := range []payresult.Gateway{hold, e.proc.PortOne} {
		store, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		proc := &payresult.Processor{Store: store, PortOne: gw}
		handlers = append(handlers, New(Config{Processor: proc, Store: store, APIKey: hardAPIKey,
			ResultKey: []byte("result-key"), PublicURL: "https://shop.example", Logger: slog.New(slog.DiscardHandler)}))
	}
	a, b := handlers[0], handlers[1]
	imp := paidOrder(t, e, a.cfg.Processor, "pg-paid")

	path, key, body := "/api/orders/pg-paid/refund", "9b1d6c1e-refund-2", `{"amount":2000}`
	firstDone := make(chan *httptest.ResponseRecorder)
	go func() { firstDone <- post(a, path, key, body) }()
	<-hold.entered
	busy := post(b, path, key, body)
	wantError(t, "the same request on the other instance", busy, http.StatusConflict, "idempotency_key_in_use")
	if busy.Header().Get("Retry-After") == "" {
		t.Errorf("409 without Retry-After")
	}
	close(hold.release)
	first := <-firstDone
	if first.Code != http.StatusOK {
		t.Fatalf("refund on instance A: %d %s", first.Code, first.Body)
	}
	wantSameAnswer(t, "the repeat on instance B", first, post(b, path, key, body))
	if n := e.em.CancelCalls(imp); n != 1 {
		t.Errorf("PortOne cancelled %d times, want 1", n)
	}
}

// paidOrder registers order m of 5,000 KRW with proc, pays it at the
// emulator, confirms it, and returns its imp_uid.
func paidOrder(t *testing.T, e *hardEnv, proc *payresult.Processor, m string) string {
	t.Helper()
	ctx := context.Background()
	if _, _, err := proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: m, Name: "tea", Amount: portone.Won(5000)}); err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	res, err := e.em.Pay(emulator.PaymentRequest{MerchantUID: m, Amount: portone.Won(5000)}, emulator.OutcomePaid)
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	res.Release()
	if _, err := proc.Confirm(ctx, payresult.Notice{Source: payresult.SourceApp, ImpUID: res.Payment.ImpUID}); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	return res.Payment.ImpUID
}

// TestOpenAPIDeclaresIdempotencyKey checks that the document declares the
// Idempotency-Key header on every POST of the app API, with its 409 and
// 422 answers, and the two error codes.
func TestOpenAPIDeclaresIdempotencyKey(t *testing.T) {
	type ref struct {
		Ref string `json:"$ref"`
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []ref                      `json:"parameters"`
			Responses  map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
		Components struct {
			Parameters struct {
				IdempotencyKey struct {
					Name string `json:"name"`
					In   string `json:"in"`
				}
			} `json:"parameters"`
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				}
			} `json:"schemas"`
		} `json:"components"`
	}
	decodeOpenAPI(t, &doc)
	if p := doc.Components.Parameters.IdempotencyKey; p.Name != "Idempotency-Key" || p.In != "header" {
		t.Errorf("the IdempotencyKey parameter is %q in %q, want the Idempotency-Key header", p.Name, p.In)
	}
	posts := 0
	for path, ops := range doc.Paths {
		op, ok := ops["post"]
		if !ok || !strings.HasPrefix(path, "/api/") {
			continue
		}
		posts++
		declared := false
		for _, p := range op.Parameters {
			declared = declared || p.Ref == "#/components/parameters/IdempotencyKey"
		}
		_, conflict := op.Responses["409"]
		_, mismatch := op.Responses["422"]
		if !declared || !conflict || !mismatch {
			t.Errorf("POST %s: Idempotency-Key declared %t, 409 %t, 422 %t; want all", path, declared, conflict, mismatch)
		}
	}
	if posts == 0 {
		t.Error("the document has no POST under /api/")
	}
	codes := strings.Join(doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum, " ")
	for _, kind := range []payresult.ErrorKind{payresult.KindIdempotencyMismatch, payresult.KindIdempotencyKeyInUse} {
		if !strings.Contains(" "+codes+" ", " "+string(kind)+" ") {
			t.Errorf("the Error schema's codes %q lack %q", codes, kind)
		}
	}
}
