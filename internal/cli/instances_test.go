package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/postgres"
)

// TestTwoInstancesOnePostgres runs two payresult serve processes on one
// PostgreSQL database and one PortOne. Buyers have paid for every order;
// PortOne's webhook for most payments reaches both instances at the same
// moment, the rest get no webhook at all, and both instances' reconcilers
// run over the same orders. Every order must end paid with exactly one
// order.paid event: the app fulfils each order once.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dbURL := postgresSchema(t)
	emu := emulator.New(emulator.Config{})
	pg := httptest.NewServer(emu)
	t.Cleanup(func() {
		pg.Close()
		emu.Close()
	})

	// Orders registered an hour ago, so that both reconcilers find them
	// due as soon as they start.
	const orders, withWebhook = 30, 20
	store, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client := &portone.Client{BaseURL: pg.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
	proc := &payresult.Processor{Store: store, PortOne: client, Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	payments := make([]portone.Payment, orders)
	for i := range orders {
		m := fmt.Sprintf("shared-%03d", i)
		if _, _, err := proc.CreateOrder(context.Background(), payresult.NewOrder{MerchantUID: m, Name: "tea", Amount: portone.Won(5000)}); err != nil {
			t.Fatalf("CreateOrder: %v", err)
		}
		res, err := emu.Pay(emulator.PaymentRequest{MerchantUID: m, Name: "tea", Amount: portone.Won(5000)}, emulator.OutcomePaid)
		if err != nil {
			t.Fatalf("Pay(%s): %v", m, err)
		}
		payments[i] = *res.Payment
	}

	env := func() map[string]string {
		return map[string]string{
			"PAYRESULT_DB": dbURL, "PAYRESULT_API_KEY": "test-api-key-0123456789",
			"PORTONE_API_KEY": emulator.DefaultAPIKey, "PORTONE_API_SECRET": emulator.DefaultAPISecret,
			"PORTONE_API_URL": pg.URL,
		}
	}
	bin := buildPayresult(t)
	instances := []*served{startServeProcess(t, bin, env()), startServeProcess(t, bin, env())}
	started := time.Now()
	sendWebhooksToBoth(t, instances, payments[:withWebhook])

	eventually(t, 30*time.Second, "every order paid", func() bool {
		counts, err := store.CountByStatus(context.Background())
		return err == nil && counts[payresult.StatusPaid] == orders
	})
	// The reconcilers' PortOne rate cap (reconcile.DefaultRateLimit per
	// instance) sets the pace here.
	t.Logf("all %d orders paid %s after the instances started", orders, time.Since(started).Round(time.Millisecond))
	paidEvents := map[string]int{}
	var after int64
	for {
		evs, err := store.Events(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.Type == payresult.EventPaid {
				paidEvents[ev.MerchantUID]++
			}
		}
		after = evs[len(evs)-1].Seq
	}
	for _, p := range payments {
		if n := paidEvents[p.MerchantUID]; n != 1 {
			t.Errorf("order %s has %d order.paid events, want exactly 1", p.MerchantUID, n)
		}
	}
}

// sendWebhooksToBoth posts PortOne's paid webhook for each payment to every
// instance at once, and checks that each answers 200.
func sendWebhooksToBoth(t *testing.T, instances []*served, payments []portone.Payment) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range payments {
		body := fmt.Sprintf(`{"imp_uid":%q,"merchant_uid":%q,"status":"paid"}`, p.ImpUID, p.MerchantUID)
		for i, s := range instances {
			wg.Go(func() {
				<-start
				res, err := http.Post(s.url+"/portone/webhook", "application/json", bytes.NewBufferString(body))
				if err != nil {
					t.Errorf("webhook for %s to instance %d: %v", p.ImpUID, i, err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("webhook for %s to instance %d answered %d, want 200", p.ImpUID, i, res.StatusCode)
				}
			})
		}
	}
	close(start)
	wg.Wait()
}

// postgresSchema returns the URL of a fresh schema in the test PostgreSQL
// database, dropped when the test ends; it skips the test without one.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv(testdb.PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL test", testdb.PostgresEnv)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	exec := func(sql string) {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to %s: %v", testdb.PostgresEnv, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// buildPayresult builds the payresult command into a temporary directory,
// so that a test can run it as separate processes.
func buildPayresult(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "payresult")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/payresult/payresult/cmd/payresult").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServeProcess runs "payresult serve" as a child process with env
// added to this process's environment, until the test ends (then it is
// sent SIGTERM and must exit cleanly).
func startServeProcess(t *testing.T, bin string, env map[string]string) *served {
	t.Helper()
	if _, ok := env["PAYRESULT_ADDR"]; !ok {
		env["PAYRESULT_ADDR"] = "127.0.0.1:0"
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &served{t: t, key: env["PAYRESULT_API_KEY"], stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s serve: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var once sync.Once
	var waitErr error
	s.stop = func() error {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case waitErr = <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				waitErr = errors.New("serve did not exit within 15s of SIGTERM")
			}
		})
		return waitErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("serve process exited with %v after SIGTERM, want a clean exit", err)
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.stderr)
		}
	})
	s.url = s.waitListening(done)
	return s
}
