package bench

import (
	"fmt"
	"strings"
)

// The project's performance goals, judged on one run's own figures.
const (
	goalLatencyRatio = 1.5  // c=1: end-to-end p50 / (look-up p50 + commit p50), at most
	goalPartsRatio   = 1.25 // c=1: webhook p50 / (hop + look-up + local p50s), at most
	goalShareSQLite  = 0.70 // c=32: throughput / floor, at least
	goalSharePG      = 0.60
	goalHidden       = 0.80 // with PortOne latency, c=128: throughput / (128 / (latency + commit))
	goalServiceRSS   = 150  // MiB, the serve child's peak
	goalStartupMs    = 300  // serve to /readyz, slowest of the runs
	goalV2OverV1     = 0.90 // every level: V2 webhook throughput / V1 webhook throughput, at least
)

// Goal is one of the project's performance goals as this run measured
// it. A run judges only the goals its levels and options measure.
type Goal struct {
	Goal   string `json:"goal"`
	Figure string `json:"figure"`
	Met    bool   `json:"met"`
	// Reach is the best figure the run's own parts allow, in the goal's
	// terms. The parts are the hop, the look-up floor and the store's
	// part of a confirm: the local phase (the order read, the decision and
	// the write a paid confirm makes, with no HTTP), or the commit floor
	// when that phase did not run. For the latency goal Reach is the
	// least ratio a confirm could have, (hop + look-up + store part) /
	// (look-up + commit). For a throughput goal it is the most: the parts'
	// machine-wide CPU (Level.PartsCapPerSec) and, with PortOne latency,
	// the look-up floor's own throughput, which confirms that each make
	// that look-up cannot outrun at the same concurrency. Zero when the
	// run cannot tell.
	Reach float64 `json:"reach,omitempty"`
	// PartsMiss says that Reach itself misses the goal: confirms that cost
	// what their parts cost alone could not meet it on this machine in
	// this run. The local phase shares commits as confirms do; where the
	// store's part is the commit floor instead, confirms that share
	// commits can still get past a throughput reach.
	PartsMiss bool `json:"parts_miss,omitempty"`
}

// goals judges the goals the run measured. Each path must meet a goal
// for the goal to be met.
func (r *Report) goals() []Goal {
	var gs []Goal
	add := func(goal string, met bool, reach float64, reachMisses bool, format string, args ...any) {
		gs = append(gs, Goal{Goal: goal, Figure: fmt.Sprintf(format, args...), Met: met,
			Reach: reach, PartsMiss: reach > 0 && reachMisses})
	}
	for _, lv := range r.Levels {
		switch {
		case lv.Concurrency == 1 && r.PortOneLatencyMs == 0:
			if r.Store == "sqlite" {
				reach := ratio(lv.partsP50(), lv.Lookup.P50Ms+lv.Commit.P50Ms)
				add(fmt.Sprintf("c=1: e2e p50 ≤ %.1f × (look-up + commit)", goalLatencyRatio),
					lv.WebhookOverFloorP50 <= goalLatencyRatio && lv.RedirectOverFloorP50 <= goalLatencyRatio,
					reach, reach > goalLatencyRatio,
					"webhook %.2f, redirect %.2f", lv.WebhookOverFloorP50, lv.RedirectOverFloorP50)
			}
			if lv.Local.Count > 0 {
				add(fmt.Sprintf("c=1: webhook p50 ≤ %.2f × (hop + look-up + local)", goalPartsRatio),
					lv.WebhookOverPartsP50 <= goalPartsRatio, 0, false,
					"webhook %.2f (%.2f ms vs %.2f ms)", lv.WebhookOverPartsP50, lv.Webhook.P50Ms, lv.partsP50())
			}
		case lv.Concurrency == 32 && r.PortOneLatencyMs == 0:
			want := goalShareSQLite
			if r.Store == "postgres" {
				want = goalSharePG
			}
			reach := ratio(lv.PartsCapPerSec, lv.FloorPerSec)
			add(fmt.Sprintf("c=32, %s: throughput ≥ %.2f × floor", r.Store, want),
				lv.WebhookShare >= want && lv.RedirectShare >= want,
				reach, reach < want,
				"webhook %.2f, redirect %.2f", lv.WebhookShare, lv.RedirectShare)
		case lv.Concurrency == 128 && r.PortOneLatencyMs > 0:
			best := lv.Lookup.PerSec
			if lv.PartsCapPerSec > 0 {
				best = min(best, lv.PartsCapPerSec)
			}
			reach := ratio(best, lv.HiddenPerSec)
			add(fmt.Sprintf("c=128, PortOne %s: throughput ≥ %.2f × 128/(latency + commit)", fmtMs(r.PortOneLatencyMs), goalHidden),
				lv.WebhookHidden >= goalHidden && lv.RedirectHidden >= goalHidden,
				reach, reach < goalHidden,
				"webhook %.2f, redirect %.2f", lv.WebhookHidden, lv.RedirectHidden)
		}
	}
	if r.measuredV2() {
		met := true
		var figs []string
		for _, lv := range r.Levels {
			met = met && lv.V2OverV1 >= goalV2OverV1
			figs = append(figs, fmt.Sprintf("c=%d %.2f", lv.Concurrency, lv.V2OverV1))
		}
		add(fmt.Sprintf("V2 webhook throughput ≥ %.2f × V1's, every level", goalV2OverV1), met, 0, false,
			"%s", strings.Join(figs, ", "))
	}
	if r.ServiceRSSMiB > 0 {
		add(fmt.Sprintf("serve child's peak RSS < %d MiB", goalServiceRSS), r.ServiceRSSMiB < goalServiceRSS, 0, false,
			"%.1f MiB", r.ServiceRSSMiB)
	}
	if r.Startup != nil {
		add(fmt.Sprintf("serve start-up < %d ms", goalStartupMs), r.Startup.MaxMs < goalStartupMs, 0, false,
			"max %.1f ms over %d runs", r.Startup.MaxMs, r.Startup.Runs)
	}
	return gs
}
