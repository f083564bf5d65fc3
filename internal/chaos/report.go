package chaos

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// maxListed bounds how many violations a report spells out; the counts
// are always complete.
const maxListed = 25

// Report is what a soak did and what it found. A run passes when
// Violations is empty.
type Report struct {
	Seed      int64
	Database  string // "sqlite" or "postgres"
	Instances int

	Payments int          // flows driven
	ByKind   map[Kind]int // flows by kind
	// ByAPI counts flows by the PortOne API of their order and kind
	// ("v2 tampered"), and by API alone ("v2").
	ByAPI  map[string]int
	Faults map[string]int // flows started under each fault, and webhook faults as they happened
	Kills  int            // SIGKILLs sent (each followed by a restart)
	// KillsByInstance splits Kills by serve instance when there are several.
	KillsByInstance []int
	Crashes         int // exits nobody asked for

	// The promises. Each counts orders; all must be zero.
	Lost                  int // paid at PortOne, not paid (or no order.paid event) at payresult
	Duplicated            int // an event of one kind announced twice for one order
	ForgeriesAccepted     int // a tampered payment made its order paid
	ForgeriesNotCancelled int // a tampered payment not cancelled at PortOne exactly once
	HonestCancelled       int // a payment that was not tampered with was cancelled
	ReplaysAccepted       int // another order's imp_uid settled this order
	Phantom               int // paid at payresult with no paid payment at PortOne
	Unsettled             int // any other order not in the state PortOne's ledger implies
	NotPlayed             int // flows the harness could not play (order never registered, ...)

	// Convergence is, per settled payment, the time from PortOne's final
	// state to payresult's, by the order's updated_at.
	ConvergeP50, ConvergeP99, ConvergeMax time.Duration
	// Settle is how long the reconciler took, after the last payment, to
	// bring every order to its expected state.
	Settle  time.Duration
	Elapsed time.Duration
	// Slowest names the flows that took longest to converge, with the
	// faults they met, as leads for reading serve's logs.
	Slowest []string

	Violations []string // the first violations, spelled out
	violations int
}

// OK reports whether the run kept every promise.
func (r *Report) OK() bool { return r.violations == 0 }

// violate counts one violation and keeps its description if there is
// room.
func (r *Report) violate(counter *int, format string, args ...any) {
	*counter++
	r.violations++
	if len(r.Violations) < maxListed {
		r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
	}
}

// check compares one flow's order with the ledger and counts what is
// wrong with it.
func (r *Report) check(f *flow, od *orderDetail, ledger ledger) {
	e := expect(f, ledger)
	if od == nil || od.Order == nil {
		if e.status == payresult.StatusPaid {
			r.violate(&r.Lost, "%s: paid at PortOne (%s) but payresult has no order", f.merchantUID, e.impUID)
		} else {
			r.violate(&r.Unsettled, "%s: payresult has no order", f.merchantUID)
		}
		return
	}
	o := od.Order
	events := map[payresult.EventType]int{}
	for _, ev := range od.Events {
		events[ev.Type]++
	}
	r.checkStatus(f, o, e)
	r.checkEvents(f, o, e, events)
	r.checkCancels(f, o, e)
	if f.replayed != "" && o.ImpUID == f.replayed {
		r.violate(&r.ReplaysAccepted, "%s: settled by %s, which belongs to another order", f.merchantUID, f.replayed)
	}
	for _, a := range od.Attempts {
		if f.replayed != "" && a.ImpUID == f.replayed {
			r.violate(&r.ReplaysAccepted, "%s: recorded %s, which belongs to another order, as its attempt", f.merchantUID, f.replayed)
		}
	}
}

func (r *Report) checkStatus(f *flow, o *payresult.Order, e expectation) {
	if e.converged(o) {
		return
	}
	paidish := o.Status == payresult.StatusPaid || o.Status == payresult.StatusPartiallyRefunded || o.Status == payresult.StatusRefunded
	switch {
	case e.status == payresult.StatusPaid:
		r.violate(&r.Lost, "%s: PortOne has %s paid, payresult has %s (imp_uid %q)", f.merchantUID, e.impUID, o.Status, o.ImpUID)
	case paidish && f.kind == KindTampered:
		r.violate(&r.ForgeriesAccepted, "%s: tampered payment %s accepted as %s", f.merchantUID, e.impUID, o.Status)
	case paidish:
		r.violate(&r.Phantom, "%s: %s at payresult, but PortOne's payment is %s", f.merchantUID, o.Status, paymentState(e.pay))
	case e.status == payresult.StatusForged:
		r.violate(&r.ForgeriesNotCancelled, "%s: tampered payment %s; payresult has %s, forgery_cancelled %t", f.merchantUID, e.impUID, o.Status, o.ForgeryCancelled)
	default:
		r.violate(&r.Unsettled, "%s: want %s (PortOne: %s), payresult has %s", f.merchantUID, e.status, paymentState(e.pay), o.Status)
	}
}

func (r *Report) checkEvents(f *flow, o *payresult.Order, e expectation, events map[payresult.EventType]int) {
	paid := events[payresult.EventPaid]
	switch {
	case e.status == payresult.StatusPaid && paid == 0:
		r.violate(&r.Lost, "%s: paid, but no order.paid event", f.merchantUID)
	case e.status != payresult.StatusPaid && paid > 0 && f.kind == KindTampered:
		r.violate(&r.ForgeriesAccepted, "%s: tampered payment announced as order.paid", f.merchantUID)
	case e.status != payresult.StatusPaid && paid > 0:
		r.violate(&r.Phantom, "%s: order.paid announced, but PortOne's payment is %s", f.merchantUID, paymentState(e.pay))
	}
	for t, n := range events {
		if n > 1 && t != payresult.EventPartiallyRefunded {
			r.violate(&r.Duplicated, "%s: %d %s events", f.merchantUID, n, t)
		}
	}
}

// checkCancels checks PortOne's cancel history: a forgery cancelled in
// full exactly once, an honest payment never.
func (r *Report) checkCancels(f *flow, o *payresult.Order, e expectation) {
	p := e.pay
	if p == nil {
		return
	}
	if f.kind != KindTampered {
		if p.CancelAmount.Sign() > 0 || len(p.CancelHistory) > 0 {
			r.violate(&r.HonestCancelled, "%s: honest payment %s cancelled (%s, %d cancels)", f.merchantUID, p.ImpUID, p.CancelAmount, len(p.CancelHistory))
		}
		return
	}
	if p.PaidAt.IsZero() {
		return
	}
	n := 0
	for _, c := range p.CancelHistory {
		if c.Reason == payresult.ForgeryCancelReason {
			n++
		}
	}
	if n != 1 || len(p.CancelHistory) != 1 || p.CancelAmount != p.Amount {
		r.violate(&r.ForgeriesNotCancelled, "%s: tampered payment %s cancelled %d times for %s of %s",
			f.merchantUID, p.ImpUID, len(p.CancelHistory), p.CancelAmount, p.Amount)
	}
}

func paymentState(p *portone.Payment) string {
	if p == nil {
		return "absent"
	}
	return fmt.Sprintf("%s %s (cancelled %s)", p.ImpUID, p.Status, p.CancelAmount)
}

// countWebhooks adds what happened to PortOne's webhooks to the faults.
func (r *Report) countWebhooks(hooks []emulator.WebhookDelivery) {
	for _, h := range hooks {
		if h.API == "v2" && h.Attempt == 1 && h.Copy <= 1 {
			r.Faults["V2 webhooks sent (first attempts)"]++
		}
		switch {
		case h.Dropped:
			r.Faults["webhook deliveries dropped"]++
		case h.Copy > 1 && h.Attempt == 1:
			r.Faults["webhook deliveries duplicated"]++
		case h.Error != "":
			r.Faults["webhook attempts unanswered (service down)"]++
		case h.StatusCode >= 500:
			r.Faults["webhook attempts answered 5xx"]++
		}
		if h.Attempt > 1 {
			r.Faults["webhook retries by PortOne"]++
		}
	}
}

// flowTime is how long one flow took to converge.
type flowTime struct {
	f *flow
	d time.Duration
}

// convergence sets the percentiles and the slowest flows.
func (r *Report) convergence(times []flowTime) {
	if len(times) == 0 {
		return
	}
	sort.Slice(times, func(i, j int) bool { return times[i].d < times[j].d })
	at := func(q float64) time.Duration { return times[min(int(q*float64(len(times))), len(times)-1)].d }
	r.ConvergeP50, r.ConvergeP99, r.ConvergeMax = at(0.50), at(0.99), times[len(times)-1].d
	for i := len(times) - 1; i >= 0 && i >= len(times)-3; i-- {
		ft := times[i]
		r.Slowest = append(r.Slowest, fmt.Sprintf("%s %s (%s, under %s): %s", ft.f.merchantUID, ft.f.impUID, ft.f.kind, ft.f.phase, round(ft.d)))
	}
}

// WriteTo prints the report for people.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "payresult chaos: %s (seed %d, %s, %d instance(s), %s)\n", verdict, r.Seed, r.Database, r.Instances, r.Elapsed.Round(time.Second))
	fmt.Fprintf(&b, "  payments      %d  (%s)\n", r.Payments, joinCounts(kindCounts(r.ByKind)))
	if len(r.ByAPI) > 0 {
		fmt.Fprintf(&b, "  by API        v1 %d, v2 %d (v2: %s)\n", r.ByAPI["v1"], r.ByAPI["v2"], joinCounts(apiKindCounts(r.ByAPI, "v2")))
	}
	fmt.Fprintf(&b, "  kills         %d SIGKILLs, %d unexpected exits", r.Kills, r.Crashes)
	for i, n := range r.KillsByInstance {
		fmt.Fprintf(&b, "; instance #%d killed %d times", i, n)
	}
	b.WriteString("\n")
	b.WriteString("  faults\n")
	for _, kv := range sortedCounts(r.Faults) {
		fmt.Fprintf(&b, "    %-46s %d\n", kv.k, kv.v)
	}
	fmt.Fprintf(&b, "  lost %d, duplicated %d, forgeries accepted %d, forgeries not cancelled once %d,\n", r.Lost, r.Duplicated, r.ForgeriesAccepted, r.ForgeriesNotCancelled)
	fmt.Fprintf(&b, "  honest payments cancelled %d, replays accepted %d, phantom paid %d, unsettled %d, not played %d\n",
		r.HonestCancelled, r.ReplaysAccepted, r.Phantom, r.Unsettled, r.NotPlayed)
	fmt.Fprintf(&b, "  convergence   p50 %s, p99 %s, max %s; all settled %s after the last payment\n",
		round(r.ConvergeP50), round(r.ConvergeP99), round(r.ConvergeMax), round(r.Settle))
	for _, s := range r.Slowest {
		fmt.Fprintf(&b, "    slowest: %s\n", s)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  VIOLATION %s\n", v)
	}
	if n := r.violations - len(r.Violations); n > 0 {
		fmt.Fprintf(&b, "  ... and %d more violations\n", n)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

type countKV struct {
	k string
	v int
}

func sortedCounts(m map[string]int) []countKV {
	out := make([]countKV, 0, len(m))
	for k, v := range m {
		out = append(out, countKV{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].k < out[j].k })
	return out
}

func kindCounts(m map[Kind]int) []countKV {
	out := make([]countKV, 0, len(m))
	for _, w := range kindWeights {
		if m[w.kind] > 0 {
			out = append(out, countKV{string(w.kind), m[w.kind]})
		}
	}
	return out
}

// apiKindCounts lists the counts of api's flows by kind.
func apiKindCounts(m map[string]int, api string) []countKV {
	var out []countKV
	for _, w := range kindWeights {
		if n := m[api+" "+string(w.kind)]; n > 0 {
			out = append(out, countKV{string(w.kind), n})
		}
	}
	return out
}

func joinCounts(kvs []countKV) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = fmt.Sprintf("%s %d", kv.k, kv.v)
	}
	return strings.Join(parts, ", ")
}
