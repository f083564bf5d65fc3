package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Report is a bench run's figures. All ratios compare numbers measured in
// the same run.
type Report struct {
	Store            string  `json:"store"` // sqlite or postgres
	Orders           int     `json:"orders"`
	PortOneLatencyMs float64 `json:"portone_latency_ms"`
	InProcess        bool    `json:"in_process"`
	CPUs             int     `json:"cpus"`
	GoVersion        string  `json:"go_version"`
	Levels           []Level `json:"levels"`
	// PeakRSSMiB is this process's peak resident set (VmHWM) after the
	// last level: with an in-process run, bench, emulator and service.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// ServiceRSSMiB is the serve child's own peak resident set, when the
	// service ran as a child process (Config.ServeChild).
	ServiceRSSMiB float64  `json:"service_rss_mib,omitempty"`
	Startup       *Startup `json:"startup,omitempty"`
	// CommitAlone is the commit floor at concurrency 1, measured apart
	// when the run has simulated PortOne latency but no level 1: the
	// hidden-latency target takes one commit as it costs alone, not one
	// inflated by queueing.
	CommitAlone *Stats `json:"commit_alone,omitempty"`
	// Goals are the project's performance goals this run measured, each
	// judged on the run's own figures.
	Goals []Goal `json:"goals,omitempty"`
}

// Level is one concurrency level: the two floors, the two paths, and how
// the paths compare with the floors.
type Level struct {
	Concurrency int   `json:"concurrency"`
	Lookup      Stats `json:"lookup"`
	Commit      Stats `json:"commit"`
	// Hop is the round trip from the bench to the service and back
	// (GET /healthz): the part of a confirm's latency that neither floor
	// holds.
	Hop Stats `json:"hop"`
	// Local is Confirm run in the bench's process on payresult's store,
	// PortOne's answer already in memory: the order read, the decision and
	// the durable write of a paid confirm, without either HTTP hop. Empty
	// when the run could not open the store (see Config.OpenStore).
	Local Stats `json:"local"`
	// Register is the registration of new orders through the app API
	// (POST /api/orders: the amount pre-registered at PortOne, the order
	// stored), the other half of every payment; untimed by the goals.
	Register Stats `json:"register"`
	Webhook  Stats `json:"webhook"`
	// WebhookV2 is PortOne V2's webhook path, for orders registered for
	// V2; empty when the run did not measure it.
	WebhookV2 Stats `json:"webhook_v2,omitzero"`
	Redirect  Stats `json:"redirect"`
	// V2OverV1 is the V2 webhook's throughput over V1's.
	V2OverV1 float64 `json:"v2_over_v1,omitempty"`
	// FloorPerSec is the lower of the two floors' throughputs.
	FloorPerSec float64 `json:"floor_per_sec"`
	// WebhookShare and RedirectShare are each path's throughput over
	// FloorPerSec.
	WebhookShare  float64 `json:"webhook_share"`
	RedirectShare float64 `json:"redirect_share"`
	// WebhookOverFloorP50 and RedirectOverFloorP50 are each path's p50
	// latency over (look-up p50 + commit p50).
	WebhookOverFloorP50  float64 `json:"webhook_over_floor_p50"`
	RedirectOverFloorP50 float64 `json:"redirect_over_floor_p50"`
	// WebhookOverPartsP50 is the webhook path's p50 over the sum of its
	// parts' p50s (hop + look-up + local, or the commit floor for local
	// when the local phase did not run): what a confirm costs beyond the
	// parts it cannot do without.
	WebhookOverPartsP50 float64 `json:"webhook_over_parts_p50"`
	// CPUCapPerSec is the throughput at which the webhook path would use
	// every CPU: CPUs over the CPU time a confirm took in the phase (bench
	// driver, emulator and service together). No level gets past it.
	CPUCapPerSec float64 `json:"cpu_cap_per_sec"`
	// PartsCapPerSec is CPUs over the machine's busy CPU time per
	// operation of hop + look-up + the store's part (the local phase, or
	// the commit floor when it did not run): the throughput at which
	// confirms that each cost the machine no more CPU than their three
	// parts cost alone would fill every core, with the load driver, the
	// emulator and the database on the same cores. Zero where the machine's
	// CPU time cannot be read.
	PartsCapPerSec float64 `json:"parts_cap_per_sec,omitempty"`
	// HiddenPerSec is concurrency / (PortOne latency + the p50 of one
	// commit alone, at concurrency 1): the throughput if PortOne's latency
	// hid entirely behind concurrency. Zero without simulated latency.
	HiddenPerSec   float64 `json:"hidden_per_sec,omitempty"`
	WebhookHidden  float64 `json:"webhook_hidden,omitempty"`
	RedirectHidden float64 `json:"redirect_hidden,omitempty"`
}

// compute fills in the ratios.
func (r *Report) compute() {
	commit := r.commitAloneP50()
	for i := range r.Levels {
		lv := &r.Levels[i]
		lv.FloorPerSec = math.Min(lv.Lookup.PerSec, lv.Commit.PerSec)
		lv.WebhookShare = ratio(lv.Webhook.PerSec, lv.FloorPerSec)
		lv.RedirectShare = ratio(lv.Redirect.PerSec, lv.FloorPerSec)
		lv.V2OverV1 = ratio(lv.WebhookV2.PerSec, lv.Webhook.PerSec)
		floorP50 := lv.Lookup.P50Ms + lv.Commit.P50Ms
		lv.WebhookOverFloorP50 = ratio(lv.Webhook.P50Ms, floorP50)
		lv.RedirectOverFloorP50 = ratio(lv.Redirect.P50Ms, floorP50)
		lv.WebhookOverPartsP50 = ratio(lv.Webhook.P50Ms, lv.partsP50())
		if cpu := lv.Webhook.CPUMicrosPerOp + lv.Webhook.ServiceCPUMicrosPerOp; cpu > 0 {
			lv.CPUCapPerSec = float64(r.CPUs) * 1e6 / cpu
		}
		parts := []float64{lv.Hop.MachineCPUMicrosPerOp, lv.Lookup.MachineCPUMicrosPerOp, lv.storePart().MachineCPUMicrosPerOp}
		lv.PartsCapPerSec = 0
		if !slices.Contains(parts, 0) {
			lv.PartsCapPerSec = float64(r.CPUs) * 1e6 / (parts[0] + parts[1] + parts[2])
		}
		if r.PortOneLatencyMs > 0 {
			lv.HiddenPerSec = float64(lv.Concurrency) / ((r.PortOneLatencyMs + commit) / 1000)
			lv.WebhookHidden = ratio(lv.Webhook.PerSec, lv.HiddenPerSec)
			lv.RedirectHidden = ratio(lv.Redirect.PerSec, lv.HiddenPerSec)
		}
	}
	r.Goals = r.goals()
}

// partsP50 is the sum of the p50s of a confirm's parts: the hop, the
// look-up and the store's part.
func (lv *Level) partsP50() float64 {
	return lv.Hop.P50Ms + lv.Lookup.P50Ms + lv.storePart().P50Ms
}

// storePart is what a confirm costs the store: the local phase, which
// makes the write a paid confirm makes, or the commit floor when the
// phase did not run.
func (lv *Level) storePart() Stats {
	if lv.Local.Count > 0 {
		return lv.Local
	}
	return lv.Commit
}

// commitAloneP50 is the p50 of one commit as it costs alone: the level
// 1 commit floor, or CommitAlone when the run has no level 1.
func (r *Report) commitAloneP50() float64 {
	for _, lv := range r.Levels {
		if lv.Concurrency == 1 {
			return lv.Commit.P50Ms
		}
	}
	if r.CommitAlone != nil {
		return r.CommitAlone.P50Ms
	}
	return 0
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// WriteText writes the report as aligned tables.
func (r *Report) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "payresult bench: store %s, %d orders per path and level, PortOne latency %s, %d CPUs, %s\n\n",
		r.Store, r.Orders, fmtMs(r.PortOneLatencyMs), r.CPUs, r.GoVersion)
	child := r.ServiceRSSMiB > 0
	cpuHead := "cpu µs/op"
	if child {
		cpuHead = "bench+emu µs/op  serve µs/op"
	}
	fmt.Fprintf(b, "%-5s %-9s %7s %9s %9s %9s %7s  %s  %s\n", "conc", "phase", "count", "per sec", "p50 ms", "p99 ms", "errors", cpuHead, "machine µs/op")
	for _, lv := range r.Levels {
		for _, ph := range lv.phases() {
			fmt.Fprintf(b, "%-5d %-9s %7d %9.0f %9.2f %9.2f %7d  %9.0f",
				lv.Concurrency, ph.name, ph.st.Count, ph.st.PerSec, ph.st.P50Ms, ph.st.P99Ms, ph.st.Errors, ph.st.CPUMicrosPerOp)
			if child {
				fmt.Fprintf(b, " %19.0f", ph.st.ServiceCPUMicrosPerOp)
			}
			fmt.Fprintf(b, "  %13.0f\n", ph.st.MachineCPUMicrosPerOp)
		}
	}
	b.WriteString("\nratios (same run):\n")
	fmt.Fprintf(b, "%-5s %10s %15s %15s %16s %16s %18s %10s %12s", "conc", "floor/s", "webhook/floor", "redirect/floor",
		"webhook p50/flr", "redirect p50/flr", "webhook p50/parts", "cpu cap/s", "parts cap/s")
	if r.PortOneLatencyMs > 0 {
		fmt.Fprintf(b, " %10s %15s %15s", "hidden/s", "webhook/hidden", "redirect/hidden")
	}
	v2 := r.measuredV2()
	if v2 {
		fmt.Fprintf(b, " %14s", "v2/v1 webhook")
	}
	b.WriteString("\n")
	for _, lv := range r.Levels {
		fmt.Fprintf(b, "%-5d %10.0f %15.2f %15.2f %16.2f %16.2f %18.2f %10.0f %12.0f", lv.Concurrency, lv.FloorPerSec,
			lv.WebhookShare, lv.RedirectShare, lv.WebhookOverFloorP50, lv.RedirectOverFloorP50,
			lv.WebhookOverPartsP50, lv.CPUCapPerSec, lv.PartsCapPerSec)
		if r.PortOneLatencyMs > 0 {
			fmt.Fprintf(b, " %10.0f %15.2f %15.2f", lv.HiddenPerSec, lv.WebhookHidden, lv.RedirectHidden)
		}
		if v2 {
			fmt.Fprintf(b, " %14.2f", lv.V2OverV1)
		}
		b.WriteString("\n")
	}
	if r.ServiceRSSMiB > 0 {
		fmt.Fprintf(b, "\npeak RSS (VmHWM): serve child %.1f MiB; bench driver and emulator %.1f MiB\n", r.ServiceRSSMiB, r.PeakRSSMiB)
	} else {
		fmt.Fprintf(b, "\npeak RSS (VmHWM): %.1f MiB (bench driver, emulator and service in one process)\n", r.PeakRSSMiB)
	}
	if r.Startup != nil {
		fmt.Fprintf(b, "serve start-up to /readyz: p50 %.1f ms, max %.1f ms over %d runs\n", r.Startup.P50Ms, r.Startup.MaxMs, r.Startup.Runs)
	}
	if len(r.Goals) > 0 {
		b.WriteString("\ngoals (same run):\n")
		for _, g := range r.Goals {
			verdict := "met"
			switch {
			case !g.Met && g.PartsMiss:
				verdict = "NOT met (nor by the parts alone)"
			case !g.Met:
				verdict = "NOT met"
			}
			reach := ""
			if g.Reach > 0 {
				reach = fmt.Sprintf("parts allow %.2f", g.Reach)
			}
			fmt.Fprintf(b, "  %-62s %-28s %-18s %s\n", g.Goal, g.Figure, reach, verdict)
		}
	}
	for _, lv := range r.Levels {
		for _, ph := range lv.phases() {
			if ph.st.FirstError != "" {
				fmt.Fprintf(b, "c=%d: %s: first error: %s\n", lv.Concurrency, ph.name, ph.st.FirstError)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// phase is one measured phase of a level, named as the report shows it.
type phase struct {
	name string
	st   Stats
}

// phases lists lv's phases in the order they run; local only when it ran.
func (lv *Level) phases() []phase {
	ps := []phase{{"lookup", lv.Lookup}, {"commit", lv.Commit}, {"hop", lv.Hop}}
	if lv.Local.Count > 0 {
		ps = append(ps, phase{"local", lv.Local})
	}
	ps = append(ps, phase{"register", lv.Register}, phase{"webhook", lv.Webhook})
	if lv.WebhookV2.Count > 0 {
		ps = append(ps, phase{"v2webhook", lv.WebhookV2})
	}
	return append(ps, phase{"redirect", lv.Redirect})
}

// measuredV2 reports whether any level measured V2's webhook.
func (r *Report) measuredV2() bool {
	for _, lv := range r.Levels {
		if lv.WebhookV2.Count > 0 {
			return true
		}
	}
	return false
}

func fmtMs(v float64) string {
	if v == 0 {
		return "none"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " ms"
}

// peakRSSMiB reads this process's VmHWM, the peak resident set.
func peakRSSMiB() float64 { return vmHWM("/proc/self/status") }
