package cli

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

func TestVerifyCommand(t *testing.T) {
	e := newToolEnv(t)
	e.order(t, "order-1", 10000)
	good := e.paid(t, "order-1", 10000)
	e.order(t, "order-2", 10000)
	// A payment made without the pre-registered amount (a tampered window
	// on a PG that does not check it): the emulator's window would refuse
	// it, so it is put in PortOne's ledger directly.
	now := portone.TimeOf(time.Now())
	forged := e.put(t, portone.Payment{MerchantUID: "order-2", Amount: portone.Won(100), Status: portone.StatusPaid, StartedAt: now, PaidAt: now})
	e.order(t, "order-3", 10000)

	tests := []struct {
		name       string
		args       []string
		wantOut    []string
		wantKind   payresult.ErrorKind
		wantStatus map[string]payresult.Status // after the command
	}{
		{
			name:       "merchant_uid, paid, no change",
			args:       []string{"verify", "order-1"},
			wantOut:    []string{"stored order", "PortOne payment", "after Confirm", good.ImpUID, "Confirm would decide: paid (would change the order)", "Nothing was changed"},
			wantStatus: map[string]payresult.Status{"order-1": payresult.StatusPending},
		},
		{
			name:       "imp_uid of a forged payment, no change, no cancel",
			args:       []string{"verify", forged.ImpUID},
			wantOut:    []string{"100 KRW", "10000 KRW", "Confirm would decide: forged"},
			wantStatus: map[string]payresult.Status{"order-2": payresult.StatusPending},
		},
		{
			name:       "no payment yet",
			args:       []string{"verify", "order-3"},
			wantOut:    []string{"Confirm would decide: pending (no change)"},
			wantStatus: map[string]payresult.Status{"order-3": payresult.StatusPending},
		},
		{
			name:       "apply, flag after the argument",
			args:       []string{"verify", "order-1", "--apply"},
			wantOut:    []string{"Applied: paid; order order-1 is now paid."},
			wantStatus: map[string]payresult.Status{"order-1": payresult.StatusPaid},
		},
		{
			name:    "apply again changes nothing",
			args:    []string{"verify", "--apply", good.ImpUID},
			wantOut: []string{"Confirm would decide: duplicate (no change)", "Applied: duplicate; order order-1 is now paid."},
		},
		{
			name:     "unknown payment",
			args:     []string{"verify", "imp_000000000000"},
			wantKind: payresult.KindNotFound,
		},
		{
			name:     "unknown order",
			args:     []string{"verify", "no-such-order"},
			wantKind: payresult.KindNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := e.run(t, tt.args...)
			if got := payresult.KindOf(err); got != tt.wantKind {
				t.Fatalf("verify error %v (kind %q), want kind %q\nstdout:\n%s\nstderr:\n%s", err, got, tt.wantKind, stdout, stderr)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout has no %q:\n%s", want, stdout)
				}
			}
			for m, want := range tt.wantStatus {
				if got := e.status(t, m); got != want {
					t.Errorf("order %s is %s after the command, want %s", m, got, want)
				}
			}
		})
	}
	if n := e.emu.CancelCalls(forged.ImpUID); n != 0 {
		t.Errorf("verify without --apply cancelled the forged payment %d times, want never", n)
	}
	evs, err := e.store.OrderEvents(context.Background(), "order-1")
	if err != nil || len(evs) != 1 || evs[0].Type != payresult.EventPaid {
		t.Errorf("order-1 events = %+v, %v; want one order.paid", evs, err)
	}
}

func TestVerifyCommandUsage(t *testing.T) {
	e := newToolEnv(t)
	tests := []struct {
		name string
		args []string
	}{
		{"no argument", []string{"verify"}},
		{"two arguments", []string{"verify", "order-1", "order-2"}},
		{"unknown flag", []string{"verify", "--force", "order-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := e.run(t, tt.args...)
			if !errors.Is(err, ErrUsage) || !strings.Contains(stderr, "Run 'payresult verify --help' for its usage.") {
				t.Errorf("got %v with stderr %q, want ErrUsage and where the usage is", err, stderr)
			}
		})
	}
	stdout, _, err := e.run(t, "verify", "--help")
	if err != nil || !strings.Contains(stdout, "Usage:\n  payresult verify") {
		t.Errorf("verify --help = %q, %v; want the usage", stdout, err)
	}
}

// TestVerifySandbox: with no PortOne credentials, verify talks to the
// emulator inside the running payresult serve, found at PAYRESULT_ADDR.
func TestVerifySandbox(t *testing.T) {
	env := map[string]string{"PAYRESULT_DB": filepath.Join(t.TempDir(), "payresult.db")}
	s := startServe(t, env)
	s.createOrder("sandbox-1", 3000, "", "")
	s.setFaults(`{"webhook_drop": true}`)
	if _, st := s.pay("sandbox-1", 3000, "html5_inicis", "card", "paid"); st != http.StatusCreated {
		t.Fatalf("paying in the sandbox: status %d, want 201", st)
	}

	tool := &toolEnv{env: map[string]string{"PAYRESULT_DB": env["PAYRESULT_DB"], "PAYRESULT_ADDR": strings.TrimPrefix(s.url, "http://")}}
	stdout, stderr, err := tool.run(t, "verify", "--apply", "sandbox-1")
	if err != nil {
		t.Fatalf("verify in sandbox mode: %v\nstderr:\n%s", err, stderr)
	}
	for _, want := range []string{"Confirm would decide: paid", "Applied: paid; order sandbox-1 is now paid."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout has no %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "SANDBOX MODE") {
		t.Errorf("stderr does not say sandbox mode:\n%s", stderr)
	}
}
