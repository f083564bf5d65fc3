package bench

import (
	"strings"
	"testing"
)

// TestGoalsJudgeOnlyWhatTheRunMeasured checks each goal's threshold on
// both sides and that a run is judged only on the goals its levels and
// options measure.
func TestGoalsJudgeOnlyWhatTheRunMeasured(t *testing.T) {
	tests := []struct {
		name string
		rep  Report
		want map[string]bool // goal prefix → met
	}{
		{"sqlite levels 1 and 32, both met", Report{Store: "sqlite", Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.4, RedirectOverFloorP50: 1.5},
			{Concurrency: 8, WebhookShare: 0.1, RedirectShare: 0.1},
			{Concurrency: 32, WebhookShare: 0.7, RedirectShare: 0.9},
		}}, map[string]bool{"c=1:": true, "c=32, sqlite": true}},
		{"one path misses", Report{Store: "sqlite", Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.2, RedirectOverFloorP50: 1.51},
			{Concurrency: 32, WebhookShare: 0.69, RedirectShare: 0.9},
		}}, map[string]bool{"c=1:": false, "c=32, sqlite": false}},
		{"postgres has its own threshold and no c=1 goal", Report{Store: "postgres", Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.2, RedirectOverFloorP50: 1.2},
			{Concurrency: 32, WebhookShare: 0.61, RedirectShare: 0.6},
		}}, map[string]bool{"c=32, postgres": true}},
		{"latency: only c=128 is judged", Report{Store: "sqlite", PortOneLatencyMs: 30, Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.03, RedirectOverFloorP50: 1.03},
			{Concurrency: 32, WebhookShare: 0.9, RedirectShare: 0.9},
			{Concurrency: 128, WebhookHidden: 0.81, RedirectHidden: 0.79},
		}}, map[string]bool{"c=128, PortOne 30 ms": false}},
		{"memory and start-up", Report{Store: "sqlite", ServiceRSSMiB: 149.9, Startup: &Startup{Runs: 5, P50Ms: 20, MaxMs: 300}},
			map[string]bool{"serve child's peak RSS": true, "serve start-up": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rep.goals()
			if len(got) != len(tt.want) {
				t.Fatalf("goals = %+v, want %d of them", got, len(tt.want))
			}
			for _, g := range got {
				var found bool
				for prefix, met := range tt.want {
					if strings.HasPrefix(g.Goal, prefix) {
						found = true
						if g.Met != met {
							t.Errorf("%q (%s) met = %t, want %t", g.Goal, g.Figure, g.Met, met)
						}
					}
				}
				if !found {
					t.Errorf("unexpected goal %q", g.Goal)
				}
			}
		})
	}
}

// TestComputeFillsGoals checks that the ratios computed from a run's
// figures are the ones the goals judge, and that the text report shows
// them.
func TestComputeFillsGoals(t *testing.T) {
	r := Report{Store: "sqlite", PortOneLatencyMs: 30, Levels: []Level{
		{Concurrency: 1, Commit: Stats{P50Ms: 0.25, PerSec: 4000}, Lookup: Stats{P50Ms: 30, PerSec: 33}},
		{Concurrency: 128, Commit: Stats{P50Ms: 20, PerSec: 4000}, Lookup: Stats{P50Ms: 31, PerSec: 4000},
			Webhook: Stats{PerSec: 3500}, Redirect: Stats{PerSec: 3300}},
	}}
	r.compute()
	// 128 / 30.25 ms = 4,231/s; 3,500/s is 0.83 of it, 3,300/s 0.78.
	if len(r.Goals) != 1 || r.Goals[0].Met || r.Goals[0].Figure != "webhook 0.83, redirect 0.78" {
		t.Fatalf("goals = %+v, want the c=128 goal, not met, at 0.83 and 0.78", r.Goals)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "goals (same run)") || !strings.Contains(b.String(), "NOT met") {
		t.Errorf("text report lacks the goals:\n%s", b.String())
	}
}
