package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payresult/payresult/internal/bench"
)

// TestPhaseRecorders checks that each phase gets the recordings the
// flags ask for, in files named after the phase, and none without flags.
func TestPhaseRecorders(t *testing.T) {
	env := Env{Stderr: io.Discard}
	if hook := phaseRecorders(env, benchFlags{}); hook != nil {
		t.Fatal("a phase hook without --phase-profiles or --phase-traces")
	}
	dir := t.TempDir()
	fl := benchFlags{phaseProfiles: filepath.Join(dir, "p"), phaseTraces: filepath.Join(dir, "t")}
	stop := phaseRecorders(env, fl)("c1-webhook")
	stop()
	for _, name := range []string{"p-c1-webhook.pprof", "t-c1-webhook.trace"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Size() == 0 {
			t.Errorf("%s: %v; want a recording", name, err)
		}
	}
}

// TestCheckGoals: with --check-goals a missed goal, or no goal measured at
// all, is an error; goals all met are not.
func TestCheckGoals(t *testing.T) {
	met := bench.Goal{Goal: "c=32: throughput ≥ 0.70 × floor", Figure: "webhook 1.24", Met: true}
	missed := bench.Goal{Goal: "c=1: e2e p50 ≤ 1.5 × (look-up + commit)", Figure: "webhook 1.98", Met: false}
	tests := []struct {
		name  string
		goals []bench.Goal
		want  string // substring of the error; "" for none
	}{
		{"all met", []bench.Goal{met}, ""},
		{"one missed", []bench.Goal{met, missed}, "1 of 2 goals missed: c=1: e2e p50 ≤ 1.5 × (look-up + commit) (webhook 1.98)"},
		{"none measured", nil, "measured none of the goals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkGoals(tt.goals)
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("checkGoals = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestBacklogBench runs the recovery scenario small: every order of the
// backlog is paid by the service's sweeps, with no per-order look-up,
// and the per-order checks' sample is settled too, at two requests an
// order.
func TestBacklogBench(t *testing.T) {
	var out, errOut strings.Builder
	err := Run(context.Background(), []string{"bench", "--backlog", "300", "--checks-sample", "10", "--no-startup", "--json"},
		func(string) string { return "" }, &out, &errOut)
	if err != nil {
		t.Fatalf("bench --backlog: %v\n%s", err, errOut.String())
	}
	var rep bench.BacklogReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	if rep.Sweeps.Paid != 300 || rep.Checks == nil || rep.Checks.Paid != 10 {
		t.Fatalf("report = %+v, want 300 orders paid by sweeps and 10 by checks", rep)
	}
	for _, ep := range []string{"GET /payments/find", "GET /payments"} {
		if n := rep.Sweeps.ByEndpoint[ep]; n != 0 {
			t.Errorf("the sweeps' phase made %d %s requests, want none", n, ep)
		}
	}
	if rep.Checks.PerHundred < 200 {
		t.Errorf("per-order checks made %.0f requests per 100 orders, want at least 200 (a find and a look-up each)", rep.Checks.PerHundred)
	}
}
