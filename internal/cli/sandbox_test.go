package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// TestSandboxRestartKeepsState restarts serve in sandbox mode on the same
// database: the payment made before the restart can still be looked up
// and refunded, and the next payment gets a new imp_uid, so its order is
// paid rather than refused as bound to another order.
func TestSandboxRestartKeepsState(t *testing.T) {
	for _, tt := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "payresult.db") }},
		{"postgres", func(t *testing.T) string { return testdb.PostgresURL(t) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"PAYRESULT_DB": tt.db(t)}
			first := startServe(t, env)
			before := payOrder(t, first, "restart-before")
			if err := first.stop(); err != nil {
				t.Fatalf("stopping serve: %v", err)
			}

			second := startServe(t, env)
			if res, body := second.get("/sandbox/__emulator/payments/" + before); res.StatusCode != http.StatusOK {
				t.Errorf("the payment made before the restart: %d %s", res.StatusCode, body)
			}
			var refunded orderView
			if st := second.api("POST", "/api/orders/restart-before/refund", map[string]any{"amount": 5000}, &refunded); st != http.StatusOK {
				t.Errorf("refunding the order paid before the restart: status %d", st)
			} else if refunded.RefundedAmount.String() != "5000" {
				t.Errorf("refunded_amount = %s, want 5000", refunded.RefundedAmount)
			}
			after := payOrder(t, second, "restart-after")
			if after == before {
				t.Errorf("the sandbox handed out imp_uid %s again after a restart", after)
			}
		})
	}
}

// payOrder registers an order of 15,000 won, pays it in the sandbox,
// follows the redirect and checks the order is paid. It returns the
// payment's imp_uid.
func payOrder(t *testing.T, s *served, merchantUID string) string {
	t.Helper()
	s.createOrder(merchantUID, 15000, "", "")
	a, st := s.pay(merchantUID, 15000, "html5_inicis", "card", "paid")
	if st != http.StatusCreated {
		t.Fatalf("paying %s: status %d %+v", merchantUID, st, a)
	}
	s.follow(a.RedirectURL)
	if got := s.order(merchantUID).Order; got.Status != "paid" || got.ImpUID != a.Payment.ImpUID {
		t.Fatalf("order %s after paying %s: %+v, want paid with that imp_uid", merchantUID, a.Payment.ImpUID, got)
	}
	return a.Payment.ImpUID
}

// startEmulator runs `payresult emulator` with args on a free port and
// returns its URL; the test's end stops it.
func startEmulator(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, &out, io.Discard)
	}()
	t.Cleanup(func() {
		// Connections the client dialled but never used would hold the
		// server's shutdown for up to 5 s.
		emulatorClient.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("emulator returned %v after cancel, want nil", err)
		}
	})
	return waitEmulator(t, &out, done)
}

// emulatorClient is the HTTP client of the tests that run the emulator
// command.
var emulatorClient = &http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}

// controlPay pays merchantUID through an emulator's control API and
// returns the imp_uid.
func controlPay(t *testing.T, base, merchantUID string) string {
	t.Helper()
	res, err := emulatorClient.Post(base+"/__emulator/payments", "application/json",
		strings.NewReader(`{"merchant_uid":"`+merchantUID+`","amount":1000,"outcome":"paid"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a payAnswer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("paying %s: %d %v", merchantUID, res.StatusCode, err)
	}
	return a.Payment.ImpUID
}

// TestEmulatorCommandDB restarts `payresult emulator --db` on one SQLite
// file: the payment made before is still there and the next id is new.
// Without --db, two starts hand out different ids.
func TestEmulatorCommandDB(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sandbox.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"emulator", "--addr", "127.0.0.1:0", "--db", db, "--seed", "5"}, func(string) string { return "" }, &out, io.Discard)
	}()
	base := waitEmulator(t, &out, done)
	first := controlPay(t, base, "db-1")
	emulatorClient.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("emulator: %v", err)
	}

	again := startEmulator(t, "--db", db, "--seed", "5")
	res, err := emulatorClient.Get(again + "/__emulator/payments/" + first)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("payment %s after a restart on --db: HTTP %d, want 200", first, res.StatusCode)
	}
	if second := controlPay(t, again, "db-2"); second == first {
		t.Errorf("imp_uid %s handed out again after a restart on --db", first)
	}

	a, b := startEmulator(t), startEmulator(t)
	if idA, idB := controlPay(t, a, "m-1"), controlPay(t, b, "m-1"); idA == idB {
		t.Errorf("two emulators without --db or --seed both handed out %s", idA)
	}
}

// waitEmulator waits for the start-up line of an emulator run through Run.
func waitEmulator(t *testing.T, out *syncBuffer, done chan error) string {
	t.Helper()
	re := regexp.MustCompile(`sandbox at (http://127\.0\.0\.1:\d+) `)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start-up line; output %q", out.String())
		}
		select {
		case err := <-done:
			t.Fatalf("emulator stopped early: %v; output %q", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestEmulatorHelp checks that --help explains every control endpoint.
func TestEmulatorHelp(t *testing.T) {
	var stdout bytes.Buffer
	if err := Run(context.Background(), []string{"emulator", "--help"}, func(string) string { return "" }, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, c := range emulator.ControlAPI() {
		if !strings.Contains(stdout.String(), c.Method+" "+c.Path+"\n") {
			t.Errorf("emulator --help does not list %s %s:\n%s", c.Method, c.Path, stdout.String())
		}
	}
	if !strings.Contains(stdout.String(), "--db") {
		t.Errorf("emulator --help does not explain --db")
	}
}

// TestSandboxRESTAtRoot: in sandbox mode PortOne's REST APIs answer at the
// root of serve's origin as well as under /sandbox/, so that clients that
// keep only the scheme and host of their base URL work: payresult's V2
// client (like PortOne's own V2 SDK) and its V1 client, side by side.
func TestSandboxRESTAtRoot(t *testing.T) {
	s := startServe(t, map[string]string{})
	ctx := context.Background()
	body := `{"storeId":"` + emulator.DefaultV2StoreID + `","channelKey":"` + emulator.DefaultV2ChannelKey +
		`","paymentId":"root-v2","orderName":"V2 주문","totalAmount":9000,"currency":"KRW","payMethod":"CARD","outcome":"paid"}`
	if res, b := s.do("POST", "/sandbox/__emulator/v2/payments", "application/json", strings.NewReader(body), nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("V2 payment: %d %s", res.StatusCode, b)
	}
	v2 := &portonev2.Client{BaseURL: s.url, Secret: emulator.DefaultV2APISecret}
	p, err := v2.Payment(ctx, "root-v2")
	if err != nil || p.Status != portonev2.StatusPaid || p.Amount.Total != 9000 {
		t.Fatalf("V2 payment at the root: %+v, %v", p, err)
	}
	s.createOrder("root-v1", 4000, "", "")
	a, st := s.pay("root-v1", 4000, "html5_inicis", "card", "paid")
	if st != http.StatusCreated {
		t.Fatalf("V1 payment: %d", st)
	}
	v1 := &portone.Client{BaseURL: s.url, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
	got, err := v1.Payment(ctx, a.Payment.ImpUID, false)
	if err != nil || got.Status != portone.StatusPaid {
		t.Fatalf("V1 payment at the root: %+v, %v", got, err)
	}
	if _, err := v2.Payment(ctx, a.Payment.ImpUID); !portonev2.IsNotFound(err) {
		t.Errorf("a V1 imp_uid asked of V2: %v, want PAYMENT_NOT_FOUND", err)
	}
}
