package chaos

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult/internal/testdb"
)

// buildOnce builds the payresult binary once per test binary: the soak
// runs it as `payresult serve` child processes, without the race
// detector (the harness itself runs under it).
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "payresult-chaos-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "payresult")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/payresult/payresult/cmd/payresult").CombinedOutput()
	if err != nil {
		return "", &buildError{err: err, out: string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func payresultBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the chaos soak builds payresult and runs it; skipped with -short")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatalf("building payresult: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(bin)) })
	return bin
}

// logWriter sends the soak's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestSoak runs short soaks on SQLite and, when the test environment
// has one, on PostgreSQL with two instances, and requires every promise
// kept and every kind of trouble to have actually happened.
func TestSoak(t *testing.T) {
	bin := payresultBinary(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"sqlite", Config{Payments: 250, Kills: 4, Seed: 20261125}},
		{"postgres two instances", Config{Payments: 200, Kills: 4, Seed: 7, DB: os.Getenv(testdb.PostgresEnv)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.name, "postgres") && tt.cfg.DB == "" {
				t.Skipf("%s is not set", testdb.PostgresEnv)
			}
			t.Parallel()
			cfg := tt.cfg
			cfg.Binary, cfg.Dir, cfg.Progress = bin, t.TempDir(), logWriter{t}
			cfg.ProgressEvery = 5 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			rep, err := Run(ctx, cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var b bytes.Buffer
			rep.WriteTo(&b)
			t.Log("\n" + b.String())
			if !rep.OK() {
				t.Fatalf("promises broken: %d lost, %d duplicated, %d forgeries accepted, %d honest cancelled",
					rep.Lost, rep.Duplicated, rep.ForgeriesAccepted, rep.HonestCancelled)
			}
			checkExercised(t, rep, cfg)
		})
	}
}

// checkExercised fails a soak that passed without the trouble it is
// meant to survive: a harness that never kills or never forges proves
// nothing.
func checkExercised(t *testing.T, rep *Report, cfg Config) {
	t.Helper()
	if rep.Kills < cfg.Kills {
		t.Errorf("kills = %d, want %d", rep.Kills, cfg.Kills)
	}
	for i, n := range rep.KillsByInstance {
		if n == 0 {
			t.Errorf("instance #%d was never killed", i)
		}
	}
	for _, k := range []Kind{KindPaid, KindTampered, KindReplayed, KindVbankDeposit, KindFailed, KindAbandoned} {
		if rep.ByKind[k] == 0 {
			t.Errorf("no %s payments were played", k)
		}
	}
	for _, k := range []Kind{KindPaid, KindTampered, KindReplayed, KindVbankDeposit, KindFailed} {
		if rep.ByAPI["v2 "+string(k)] == 0 {
			t.Errorf("no %s payments were played through PortOne V2", k)
		}
		if rep.ByAPI["v1 "+string(k)] == 0 {
			t.Errorf("no %s payments were played through PortOne V1", k)
		}
	}
	if rep.Faults["V2 webhooks sent (first attempts)"] == 0 {
		t.Errorf("PortOne V2 sent no webhooks")
	}
	for _, f := range []string{"webhook deliveries dropped", "webhook deliveries duplicated", "redirects lost (browser closed)",
		"payments under " + outageName} {
		if rep.Faults[f] == 0 {
			t.Errorf("fault %q never happened", f)
		}
	}
	if rep.ConvergeMax <= 0 {
		t.Errorf("no convergence time was measured")
	}
}

// TestPlanIsSeeded checks that a seed fixes the plan and that another
// seed changes it.
func TestPlanIsSeeded(t *testing.T) {
	cfg, err := Config{Binary: "x", Payments: 200, Seed: 5}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	a, b := newPlan(cfg), newPlan(cfg)
	cfg.Seed = 6
	c := newPlan(cfg)
	if got, want := describe(a), describe(b); got != want {
		t.Errorf("same seed, different plans:\n%s\n%s", got, want)
	}
	if describe(a) == describe(c) {
		t.Errorf("seeds 5 and 6 gave the same plan")
	}
	if len(a.kills) != cfg.Kills || len(a.flows) != cfg.Payments {
		t.Errorf("plan has %d kills and %d flows, want %d and %d", len(a.kills), len(a.flows), cfg.Kills, cfg.Payments)
	}
}

func describe(p *plan) string {
	var b strings.Builder
	for _, f := range p.flows {
		b.WriteString(f.merchantUID + string(f.kind) + string(f.api) + f.pg)
	}
	for _, ph := range p.phases {
		b.WriteString(ph.name)
	}
	for _, k := range p.kills {
		b.WriteString(k.delay.String())
	}
	return b.String()
}

// TestConfigRefuses checks the configurations Run refuses before
// starting anything.
func TestConfigRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no binary", Config{}, "no payresult binary"},
		{"not postgres", Config{Binary: "x", DB: "mysql://db"}, "not a postgres:// URL"},
		{"two instances on sqlite", Config{Binary: "x", Instances: 2}, "need PostgreSQL"},
		{"negative payments", Config{Binary: "x", Payments: -1}, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
