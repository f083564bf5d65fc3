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
		}}, map[string]bool{"c=1: e2e": true, "c=32, sqlite": true}},
		{"one path misses", Report{Store: "sqlite", Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.2, RedirectOverFloorP50: 1.51},
			{Concurrency: 32, WebhookShare: 0.69, RedirectShare: 0.9},
		}}, map[string]bool{"c=1: e2e": false, "c=32, sqlite": false}},
		{"postgres has its own threshold and no c=1 goal", Report{Store: "postgres", Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.2, RedirectOverFloorP50: 1.2},
			{Concurrency: 32, WebhookShare: 0.61, RedirectShare: 0.6},
		}}, map[string]bool{"c=32, postgres": true}},
		{"latency: only c=128 is judged", Report{Store: "sqlite", PortOneLatencyMs: 30, Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.03, RedirectOverFloorP50: 1.03},
			{Concurrency: 32, WebhookShare: 0.9, RedirectShare: 0.9},
			{Concurrency: 128, WebhookHidden: 0.81, RedirectHidden: 0.79},
		}}, map[string]bool{"c=128, PortOne 30 ms": false}},
		{"c=1 parts goal, on either store, only with a local phase", Report{Store: "postgres", Levels: []Level{
			{Concurrency: 1, WebhookOverPartsP50: 1.25, Local: Stats{Count: 10}},
		}}, map[string]bool{"c=1: webhook p50 ≤ 1.25": true}},
		{"c=1 parts goal missed", Report{Store: "sqlite", Levels: []Level{
			{Concurrency: 1, WebhookOverFloorP50: 1.4, RedirectOverFloorP50: 1.4, WebhookOverPartsP50: 1.26, Local: Stats{Count: 10}},
		}}, map[string]bool{"c=1: e2e": true, "c=1: webhook p50 ≤ 1.25": false}},
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
	if text := reportText(t, &r); !strings.Contains(text, "goals (same run)") || !strings.Contains(text, "NOT met") {
		t.Errorf("text report lacks the goals:\n%s", text)
	}
}

// TestGoalReach checks the best figure each goal's parts allow, and that
// the parts are said to miss a goal only when that figure misses it.
func TestGoalReach(t *testing.T) {
	r := Report{Store: "postgres", CPUs: 2, Levels: []Level{
		{Concurrency: 32,
			Lookup:  Stats{PerSec: 10000, MachineCPUMicrosPerOp: 170},
			Hop:     Stats{PerSec: 20000, MachineCPUMicrosPerOp: 90},
			Commit:  Stats{PerSec: 8000, MachineCPUMicrosPerOp: 240},
			Webhook: Stats{PerSec: 2000}, Redirect: Stats{PerSec: 2000}},
	}}
	r.compute()
	// 2 CPUs / 500 µs = 4,000/s, half the 8,000/s floor: below 0.60.
	lv := r.Levels[0]
	if lv.PartsCapPerSec != 4000 {
		t.Fatalf("parts cap = %v/s, want 4000", lv.PartsCapPerSec)
	}
	if g := r.Goals[0]; g.Met || g.Reach != 0.5 || !g.PartsMiss {
		t.Errorf("goal = %+v, want not met, reach 0.5, missed by the parts too", g)
	}
	r.Levels[0].Commit.MachineCPUMicrosPerOp = 60 // 2e6/320 = 6,250/s: 0.78 of the floor
	r.compute()
	if g := r.Goals[0]; g.Met || g.PartsMiss || g.Reach < 0.78 || g.Reach > 0.79 {
		t.Errorf("goal = %+v, want not met, reach 0.78, not missed by the parts", g)
	}
	// The local phase's CPU, when it ran, stands for the commit's:
	// 2e6 / (90 + 170 + 140) = 5,000/s, 0.625 of the floor.
	r.Levels[0].Local = Stats{Count: 10, PerSec: 7000, MachineCPUMicrosPerOp: 140}
	r.compute()
	if g := r.Goals[0]; r.Levels[0].PartsCapPerSec != 5000 || g.Reach != 0.625 || g.PartsMiss {
		t.Errorf("goal = %+v, parts cap %v/s; want reach 0.625 from the local phase's CPU", g, r.Levels[0].PartsCapPerSec)
	}
	r.Levels[0].Local = Stats{}
	r.Levels[0].Commit.MachineCPUMicrosPerOp = 0 // the machine did not say
	r.compute()
	if g := r.Goals[0]; g.Reach != 0 || g.PartsMiss || r.Levels[0].PartsCapPerSec != 0 {
		t.Errorf("goal = %+v, parts cap %v; want no reach without the machine's CPU", g, r.Levels[0].PartsCapPerSec)
	}

	lat := Report{Store: "sqlite", Levels: []Level{
		{Concurrency: 1, Hop: Stats{P50Ms: 0.1}, Lookup: Stats{P50Ms: 0.1}, Commit: Stats{P50Ms: 0.3},
			Webhook: Stats{P50Ms: 1}, Redirect: Stats{P50Ms: 1}},
	}}
	lat.compute()
	// (0.1 + 0.1 + 0.3) / (0.1 + 0.3) = 1.25, under the goal.
	if g := lat.Goals[0]; g.Met || g.PartsMiss || g.Reach < 1.249 || g.Reach > 1.251 {
		t.Errorf("latency goal = %+v, want not met, reach 1.25, not missed by the parts", g)
	}
	// A measured local phase is the store's part in place of the commit:
	// (0.1 + 0.1 + 0.5) / (0.1 + 0.3) = 1.75, over the goal.
	lat.Levels[0].Local = Stats{Count: 10, P50Ms: 0.5}
	lat.compute()
	if g := lat.Goals[0]; !g.PartsMiss || g.Reach < 1.749 || g.Reach > 1.751 {
		t.Errorf("latency goal with a local phase = %+v, want reach 1.75, missed by the parts", g)
	}
	lat.Levels[0].Local = Stats{}
	lat.Levels[0].Hop.P50Ms = 0.4
	lat.compute()
	if g := lat.Goals[0]; !g.PartsMiss {
		t.Errorf("latency goal = %+v, want the parts to miss it with a hop as long as look-up + commit", g)
	}

	// With PortOne latency, the look-up floor bounds the confirms.
	hid := Report{Store: "sqlite", PortOneLatencyMs: 30, CommitAlone: &Stats{P50Ms: 2}, Levels: []Level{
		{Concurrency: 128, Lookup: Stats{PerSec: 3000, P50Ms: 40}, Commit: Stats{P50Ms: 30, PerSec: 3000},
			Webhook: Stats{PerSec: 2500}, Redirect: Stats{PerSec: 2500}},
	}}
	hid.compute()
	// 128 / 32 ms = 4,000/s: confirms reach 0.625, the look-up floor 0.75.
	if g := hid.Goals[0]; g.Met || !g.PartsMiss || g.Reach != 0.75 || g.Figure != "webhook 0.62, redirect 0.62" {
		t.Errorf("hidden goal = %+v, want not met at 0.62, reach 0.75, missed by the parts too", g)
	}
	if text := reportText(t, &hid); !strings.Contains(text, "parts allow 0.75") || !strings.Contains(text, "nor by the parts alone") {
		t.Errorf("text report lacks the reach:\n%s", text)
	}
}

// TestHiddenTargetTakesCommitAlone checks that the hidden-latency target
// takes one commit as it costs alone: level 1's when the run has one,
// else the commit measured apart, never a queued level's.
func TestHiddenTargetTakesCommitAlone(t *testing.T) {
	r := Report{Store: "sqlite", PortOneLatencyMs: 30, CommitAlone: &Stats{P50Ms: 2}, Levels: []Level{
		{Concurrency: 128, Commit: Stats{P50Ms: 34, PerSec: 3000}},
	}}
	r.compute()
	if got := r.Levels[0].HiddenPerSec; got != 4000 {
		t.Errorf("hidden target = %v/s, want 128 / 32 ms = 4000", got)
	}
	r.Levels = append([]Level{{Concurrency: 1, Commit: Stats{P50Ms: 2.0}}}, r.Levels...)
	r.CommitAlone = nil
	r.compute()
	if got := r.Levels[1].HiddenPerSec; got != 4000 {
		t.Errorf("hidden target with level 1 = %v/s, want 4000", got)
	}
}

// reportText is r's text report.
func reportText(t *testing.T, r *Report) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestV2Goal checks the goal on PortOne V2's webhook: its throughput at
// every level at least 0.90 of V1's in the same run, judged only when the
// run measured it.
func TestV2Goal(t *testing.T) {
	tests := []struct {
		name   string
		v2     []float64 // V2 webhooks per second at c=1 and c=8; V1's are 1000
		met    bool
		figure string
	}{
		{"within 10%", []float64{950, 900}, true, "c=1 0.95, c=8 0.90"},
		{"faster", []float64{1200, 1100}, true, "c=1 1.20, c=8 1.10"},
		{"one level slower", []float64{950, 850}, false, "c=1 0.95, c=8 0.85"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Report{Store: "postgres", Levels: []Level{
				{Concurrency: 1, Webhook: Stats{PerSec: 1000}, WebhookV2: Stats{Count: 10, PerSec: tt.v2[0]}},
				{Concurrency: 8, Webhook: Stats{PerSec: 1000}, WebhookV2: Stats{Count: 10, PerSec: tt.v2[1]}},
			}}
			r.compute()
			var g *Goal
			for i := range r.Goals {
				if strings.HasPrefix(r.Goals[i].Goal, "V2 webhook") {
					g = &r.Goals[i]
				}
			}
			if g == nil || g.Met != tt.met || g.Figure != tt.figure {
				t.Fatalf("V2 goal = %+v, want met %t, figure %q", g, tt.met, tt.figure)
			}
			if text := reportText(t, &r); !strings.Contains(text, "v2webhook") || !strings.Contains(text, "v2/v1 webhook") {
				t.Errorf("text report lacks V2's webhook:\n%s", text)
			}
		})
	}
	r := Report{Store: "sqlite", Levels: []Level{{Concurrency: 8, Webhook: Stats{PerSec: 1000}}}}
	r.compute()
	for _, g := range r.Goals {
		if strings.HasPrefix(g.Goal, "V2 webhook") {
			t.Errorf("a run without V2's webhook judged %+v", g)
		}
	}
}
