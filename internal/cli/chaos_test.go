package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestChaosFlags checks the chaos command's flags: help, a bad flag, a
// stray argument, and a run that is refused before it starts anything.
func TestChaosFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantErr    error
		wantStderr string
	}{
		{"help", []string{"--help"}, nil, ""},
		{"unknown flag", []string{"--paymentz", "3"}, ErrUsage, "flag provided but not defined"},
		{"stray argument", []string{"now"}, ErrUsage, `unexpected argument "now"`},
		{"sqlite with two instances", []string{"--instances", "2", "--seed", "4"}, errAny, "seed 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := Run(context.Background(), append([]string{"chaos"}, tt.args...), func(string) string { return "" }, &stdout, &stderr)
			switch {
			case tt.wantErr == errAny && err == nil:
				t.Errorf("Run = nil, want an error")
			case tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Errorf("Run = %v, want %v", err, tt.wantErr)
			}
			if tt.name == "help" && !strings.Contains(stdout.String(), "Usage:\n  payresult chaos [flags]") {
				t.Errorf("chaos --help printed %q, want its usage on stdout", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// errAny stands for "some error" in TestChaosFlags.
var errAny = errors.New("any error")

// TestReconcileSettings checks serve's reconciler tuning, which the soak
// relies on to see convergence within seconds.
func TestReconcileSettings(t *testing.T) {
	live := map[string]string{"PORTONE_API_KEY": "k", "PORTONE_API_SECRET": "s", "PAYRESULT_API_KEY": "0123456789abcdef0123"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for k, v := range live {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		check   func(c *serveConfig) bool
		wantErr string
	}{
		{"defaults", live, func(c *serveConfig) bool {
			return c.ReconcileSchedule == nil && c.ReconcileInterval == 0 && c.ReconcileLease == 0 && c.ReconcileRate == 0
		}, ""},
		{"schedule", with("PAYRESULT_RECONCILE_SCHEDULE", "250ms, 1s,30s"), func(c *serveConfig) bool {
			return len(c.ReconcileSchedule) == 3 && c.ReconcileSchedule[0] == 250*time.Millisecond && c.ReconcileSchedule[2] == 30*time.Second
		}, ""},
		{"interval", with("PAYRESULT_RECONCILE_INTERVAL", "200ms"), func(c *serveConfig) bool {
			return c.ReconcileInterval == 200*time.Millisecond
		}, ""},
		{"no cap", with("PAYRESULT_RECONCILE_RATE", "-1"), func(c *serveConfig) bool { return c.ReconcileRate == -1 }, ""},
		{"bad schedule step", with("PAYRESULT_RECONCILE_SCHEDULE", "1s,soon"), nil, "PAYRESULT_RECONCILE_SCHEDULE"},
		{"zero schedule step", with("PAYRESULT_RECONCILE_SCHEDULE", "0s"), nil, "PAYRESULT_RECONCILE_SCHEDULE"},
		{"negative lease", with("PAYRESULT_RECONCILE_LEASE", "-1s"), nil, "PAYRESULT_RECONCILE_LEASE"},
		{"zero rate", with("PAYRESULT_RECONCILE_RATE", "0"), nil, "PAYRESULT_RECONCILE_RATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			c, err := loadServeConfig(Env{Getenv: func(k string) string { return tt.env[k] }, Stdout: &stderr, Stderr: &stderr})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadServeConfig: %v", err)
			}
			if !tt.check(c) {
				t.Errorf("config %+v does not hold the settings", *c)
			}
		})
	}
}
