package cli

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
	"github.com/payresult/payresult/reconcile"
	"github.com/payresult/payresult/sqlite"
)

// toolEnv is a live-mode configuration against the PortOne emulator, with
// a SQLite file that the test fills through its own processor.
type toolEnv struct {
	env   map[string]string
	emu   *emulator.Emulator
	store payresult.Store
	proc  *payresult.Processor
}

// registeredAgo is how long before the test its orders were registered,
// so that their first reconciler check is due when the command runs.
const registeredAgo = time.Hour

// newToolEnv is a toolEnv configured for PortOne V1.
func newToolEnv(t *testing.T) *toolEnv {
	t.Helper()
	e, url := newToolBase(t)
	e.env["PORTONE_API_KEY"], e.env["PORTONE_API_SECRET"], e.env["PORTONE_API_URL"] = emulator.DefaultAPIKey, emulator.DefaultAPISecret, url
	e.proc.PortOne = &portone.Client{BaseURL: url, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
	return e
}

// newToolEnvV2 is a toolEnv configured for PortOne V2 alone.
func newToolEnvV2(t *testing.T) *toolEnv {
	t.Helper()
	e, url := newToolBase(t)
	e.env["PORTONE_V2_API_SECRET"], e.env["PORTONE_V2_STORE_ID"] = emulator.DefaultV2APISecret, emulator.DefaultV2StoreID
	e.env["PORTONE_V2_WEBHOOK_SECRET"], e.env["PORTONE_V2_API_URL"] = emulator.DefaultV2WebhookSecret, url
	e.proc.DefaultAPI = payresult.APIV2
	e.proc.PortOneV2 = &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: url, Secret: emulator.DefaultV2APISecret}}
	return e
}

// newToolBase starts the emulator and opens the SQLite file, and returns
// a toolEnv configured for neither API yet, with the emulator's URL.
func newToolBase(t *testing.T) (*toolEnv, string) {
	t.Helper()
	emu := emulator.New(emulator.Config{})
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		emu.Close()
	})
	db := filepath.Join(t.TempDir(), "payresult.db")
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &toolEnv{
		env:   map[string]string{"PAYRESULT_DB": db, "PAYRESULT_API_KEY": "test-api-key-0123456789"},
		emu:   emu,
		store: store,
		proc: &payresult.Processor{Store: store,
			Now: func() time.Time { return time.Now().Add(-registeredAgo) }},
	}, srv.URL
}

// run runs the payresult command with args.
func (e *toolEnv) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = Run(context.Background(), args, func(k string) string { return e.env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// order registers an order of amount won.
func (e *toolEnv) order(t *testing.T, merchantUID string, amount int64) {
	t.Helper()
	if _, _, err := e.proc.CreateOrder(context.Background(), payresult.NewOrder{MerchantUID: merchantUID, Name: "tea", Amount: portone.Won(amount)}); err != nil {
		t.Fatalf("CreateOrder(%s): %v", merchantUID, err)
	}
}

// put records a payment at the emulator without telling payresult.
func (e *toolEnv) put(t *testing.T, p portone.Payment) portone.Payment {
	t.Helper()
	p.Currency, p.PGProvider = "KRW", portone.NewNullString("html5_inicis")
	if p.PayMethod == "" {
		p.PayMethod = portone.PayMethodCard
	}
	got, err := e.emu.Put(p)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return got
}

// paid has the buyer pay amount won for merchantUID in the emulator's
// window; with no webhook URL and the redirect dropped, payresult is not
// told.
func (e *toolEnv) paid(t *testing.T, merchantUID string, amount int64) portone.Payment {
	t.Helper()
	res, err := e.emu.Pay(emulator.PaymentRequest{MerchantUID: merchantUID, Name: "tea", Amount: portone.Won(amount)}, emulator.OutcomePaid)
	if err != nil {
		t.Fatalf("Pay(%s): %v", merchantUID, err)
	}
	return *res.Payment
}

func (e *toolEnv) status(t *testing.T, merchantUID string) payresult.Status {
	t.Helper()
	o, err := e.store.Order(context.Background(), merchantUID)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

func TestReconcileCommand(t *testing.T) {
	e := newToolEnv(t)
	for _, m := range []string{"paid-1", "paid-2", "paid-3"} {
		e.order(t, m, 1000)
		e.paid(t, m, 1000)
	}
	e.order(t, "abandoned", 1000)
	e.order(t, "vbank", 1000)
	e.put(t, portone.Payment{MerchantUID: "vbank", Amount: portone.Won(1000), Status: portone.StatusReady,
		PayMethod: portone.PayMethodVbank, VbankNum: portone.NewNullString("79959078731512"),
		VbankName: portone.NewNullString("KB국민은행"), VbankDate: portone.TimeOf(time.Now().Add(-time.Minute))})
	// Paid and confirmed, then refunded in PortOne's console; the
	// cancelled webhook is lost.
	e.order(t, "refunded", 1000)
	p := e.paid(t, "refunded", 1000)
	if _, err := e.proc.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: p.ImpUID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.emu.ConsoleCancel(p.ImpUID, portone.Won(1000)); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, err := e.run(t, "reconcile")
	if err != nil {
		t.Fatalf("reconcile: %v\nstderr:\n%s", err, stderr)
	}
	want := "checked    6\nchanged    5\npaid late  3\nexpired    1\nrefunded   1\nerrors     0\n"
	if stdout != want {
		t.Errorf("summary:\n%s\nwant:\n%s", stdout, want)
	}
	if !strings.Contains(stderr, "reconcile: done, checked 6 orders (5 changed, 0 errors)") {
		t.Errorf("stderr has no plain progress line:\n%s", stderr)
	}
	for m, want := range map[string]payresult.Status{"paid-1": payresult.StatusPaid, "abandoned": payresult.StatusPending,
		"vbank": payresult.StatusExpired, "refunded": payresult.StatusRefunded} {
		if got := e.status(t, m); got != want {
			t.Errorf("order %s is %s, want %s", m, got, want)
		}
	}

	stdout, _, err = e.run(t, "reconcile", "--json")
	want = `{"checked":0,"changed":0,"paid_late":0,"expired":0,"refunded":0,"errors":0,"why":"Nothing was due. 1 order waits for a later check: the first, order abandoned, is due at `
	if err != nil || !strings.HasPrefix(stdout, want) {
		t.Errorf("second reconcile = %q, %v; want nothing due, and why", stdout, err)
	}
}

func TestReconcileCommandUsage(t *testing.T) {
	e := newToolEnv(t)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr error
		wantOut string
	}{
		{name: "help", args: []string{"reconcile", "--help"}, wantOut: "Usage:\n  payresult reconcile"},
		{name: "now and one order", args: []string{"reconcile", "--now", "--order", "x"}, wantErr: ErrUsage},
		{name: "stray argument", args: []string{"reconcile", "now"}, wantErr: ErrUsage},
		{name: "to without from", args: []string{"reconcile", "--to", "2026-03-01T09:00:00Z"}, wantErr: ErrUsage},
		{name: "from with now", args: []string{"reconcile", "--now", "--from", "2026-03-01T09:00:00Z"}, wantErr: ErrUsage},
		{name: "from after to", args: []string{"reconcile", "--from", "2026-03-01T10:00:00Z", "--to", "2026-03-01T09:00:00Z"}, wantErr: ErrUsage},
		{name: "from not a time", args: []string{"reconcile", "--from", "yesterday"}, wantErr: ErrUsage},
		{name: "unknown flag", args: []string{"reconcile", "--fast"}, wantErr: ErrUsage},
		{name: "bad configuration", args: []string{"reconcile"}, env: map[string]string{"PORTONE_API_SECRET": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				old := e.env[k]
				e.env[k] = v
				t.Cleanup(func() { e.env[k] = old })
			}
			stdout, _, err := e.run(t, tt.args...)
			switch {
			case tt.wantOut != "":
				if err != nil || !strings.Contains(stdout, tt.wantOut) {
					t.Errorf("got %q, %v; want %q on stdout", stdout, err, tt.wantOut)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got %v, want %v", err, tt.wantErr)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), "invalid configuration") {
					t.Errorf("got %v, want a configuration error", err)
				}
			}
		})
	}
}

func TestProgressBar(t *testing.T) {
	p := &progress{tty: true, total: 200}
	tests := []struct {
		sum  reconcile.Summary
		want string
	}{
		{reconcile.Summary{}, "[------------------------------]     0/200 checked, 0 changed, 0 errors"},
		{reconcile.Summary{Checked: 100, Changed: 3}, "[###############---------------]   100/200 checked, 3 changed, 0 errors"},
		{reconcile.Summary{Checked: 250, Errors: 1}, "[##############################]   250/250 checked, 0 changed, 1 errors"},
	}
	for _, tt := range tests {
		if got := p.bar(tt.sum); got != tt.want {
			t.Errorf("bar(%+v) = %q, want %q", tt.sum, got, tt.want)
		}
	}
}

func TestSandboxURL(t *testing.T) {
	tests := map[string]string{
		":8080":          "http://127.0.0.1:8080/sandbox",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/sandbox",
		"[::]:9000":      "http://127.0.0.1:9000/sandbox",
		"127.0.0.2:8080": "http://127.0.0.2:8080/sandbox",
		"[::1]:8080":     "http://[::1]:8080/sandbox",
	}
	for addr, want := range tests {
		if got := sandboxURL(addr); got != want {
			t.Errorf("sandboxURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestReconcileNowAndOrder: orders whose first check is not due yet are
// left alone, and the command says why it checked nothing; --order checks
// one now, --now all of them, and an order with its final result is not
// checked, with the reason.
func TestReconcileNowAndOrder(t *testing.T) {
	e := newToolEnv(t)
	e.proc.Now = time.Now // registered just now: the first check is a minute away

	stdout, _, err := e.run(t, "reconcile")
	if err != nil || !strings.Contains(stdout, "checked    0\n") || !strings.Contains(stdout, "No order waits for a result") {
		t.Fatalf("reconcile on an empty store = %q, %v; want 0 checked and why", stdout, err)
	}
	for _, m := range []string{"paid-1", "paid-2", "never-paid"} {
		e.order(t, m, 1000)
	}
	e.paid(t, "paid-1", 1000)
	e.paid(t, "paid-2", 1000)

	stdout, _, err = e.run(t, "reconcile")
	for _, want := range []string{"checked    0\n", "Nothing was due. 3 orders wait for a later check: the first, order", "KST (in ", "Run with --now"} {
		if err != nil || !strings.Contains(stdout, want) {
			t.Errorf("reconcile with nothing due = %q, %v; want %q", stdout, err, want)
		}
	}
	stdout, _, err = e.run(t, "reconcile", "--order", "paid-1")
	if err != nil || !strings.HasPrefix(stdout, "checked    1\nchanged    1\npaid late  1\n") || e.status(t, "paid-1") != payresult.StatusPaid {
		t.Errorf("reconcile --order paid-1 = %q, %v; order %s; want it checked and paid", stdout, err, e.status(t, "paid-1"))
	}
	stdout, _, err = e.run(t, "reconcile", "--order", "paid-1")
	if err != nil || !strings.Contains(stdout, "Order paid-1 is paid: it has its final result") {
		t.Errorf("reconcile --order of a paid order = %q, %v; want why nothing was checked", stdout, err)
	}
	if _, _, err = e.run(t, "reconcile", "--order", "no-such-order"); err == nil || !strings.Contains(err.Error(), `no order "no-such-order"`) {
		t.Errorf("reconcile --order of an unknown order = %v, want it named", err)
	}
	stdout, _, err = e.run(t, "reconcile", "--now", "--json")
	if err != nil || stdout != `{"checked":2,"changed":1,"paid_late":1,"expired":0,"refunded":0,"errors":0}`+"\n" {
		t.Errorf("reconcile --now = %q, %v; want the two open orders checked", stdout, err)
	}
	if got := e.status(t, "paid-2"); got != payresult.StatusPaid {
		t.Errorf("paid-2 is %s after --now, want paid", got)
	}
}

// TestToolsSayWhenServeIsNotRunning: in sandbox mode the tools talk to
// the sandbox of a running serve; when none answers they say to start it
// or pass --addr, and warn about sandbox mode once.
func TestToolsSayWhenServeIsNotRunning(t *testing.T) {
	closed := httptest.NewServer(nil)
	addr := strings.TrimPrefix(closed.URL, "http://")
	closed.Close()
	tool := &toolEnv{env: map[string]string{"PAYRESULT_DB": filepath.Join(t.TempDir(), "payresult.db"), "PAYRESULT_ADDR": addr}}
	for _, args := range [][]string{{"verify", "order-1"}, {"verify", "imp_123412341234"}, {"reconcile", "--now"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, stderr, err := tool.run(t, args...)
			if err == nil || !strings.Contains(err.Error(), "start payresult serve first") || !strings.Contains(err.Error(), "--addr") {
				t.Errorf("%v = %v; want it to say to start serve or pass --addr", args, err)
			}
			if n := strings.Count(stderr, "SANDBOX MODE"); n != 1 {
				t.Errorf("stderr warns about sandbox mode %d times, want once:\n%s", n, stderr)
			}
		})
	}
}

// TestReconcileWindow: --from/--to sweeps that window of PortOne's
// payments, paying the orders whose payments it lists, and nothing
// outside it.
func TestReconcileWindow(t *testing.T) {
	e := newToolEnv(t)
	e.proc.Now = time.Now
	for _, m := range []string{"in-window-1", "in-window-2"} {
		e.order(t, m, 1000)
		e.paid(t, m, 1000)
	}
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	stdout, stderr, err := e.run(t, "reconcile", "--from", from, "--json")
	if err != nil || !strings.HasPrefix(stdout, `{"checked":2,"changed":2,"paid_late":2,`) {
		t.Fatalf("reconcile --from = %q, %v; want both orders paid\n%s", stdout, err, stderr)
	}
	stdout, _, err = e.run(t, "reconcile", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-02T00:00:00Z", "--json")
	if err != nil || !strings.HasPrefix(stdout, `{"checked":0,`) {
		t.Errorf("reconcile over an empty window = %q, %v; want nothing checked", stdout, err)
	}
}
