package chaos

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// paid returns a payment PortOne has as paid for amount, with the given
// cancels.
func paid(impUID, merchantUID string, amount int64, cancels ...portone.Cancellation) *portone.Payment {
	p := &portone.Payment{ImpUID: impUID, MerchantUID: merchantUID, Amount: portone.Won(amount),
		Currency: "KRW", Status: portone.StatusPaid, PaidAt: portone.Time(1_790_000_000)}
	for _, c := range cancels {
		p.CancelHistory = append(p.CancelHistory, c)
		p.CancelAmount = p.CancelAmount.Add(c.Amount)
		p.Status = portone.StatusCancelled
	}
	return p
}

func forgeryCancel(amount int64) portone.Cancellation {
	return portone.Cancellation{Amount: portone.Won(amount), Reason: payresult.ForgeryCancelReason}
}

func order(status payresult.Status, impUID string, forgeryCancelled bool, events ...payresult.EventType) *orderDetail {
	od := &orderDetail{Order: &payresult.Order{MerchantUID: "m1", Status: status, ImpUID: impUID,
		ForgeryCancelled: forgeryCancelled, UpdatedAt: time.Now()}}
	for _, t := range events {
		od.Events = append(od.Events, payresult.Event{Type: t})
	}
	return od
}

// TestReportCatches feeds the checker orders that break each promise and
// requires it to count exactly that breach; the soak's verdict rests on it.
func TestReportCatches(t *testing.T) {
	honest := &flow{merchantUID: "m1", kind: KindPaid, impUID: "imp_1"}
	tampered := &flow{merchantUID: "m1", kind: KindTampered, impUID: "imp_1"}
	replayed := &flow{merchantUID: "m1", kind: KindReplayed, impUID: "imp_1", replayed: "imp_9"}
	tests := []struct {
		name    string
		flow    *flow
		pay     *portone.Payment
		order   *orderDetail
		counter func(r *Report) int
	}{
		{"honest paid, all well", honest, paid("imp_1", "m1", 1000), order(payresult.StatusPaid, "imp_1", false, payresult.EventPaid), nil},
		{"lost: still pending", honest, paid("imp_1", "m1", 1000), order(payresult.StatusPending, "", false), func(r *Report) int { return r.Lost }},
		{"lost: no order at all", honest, paid("imp_1", "m1", 1000), nil, func(r *Report) int { return r.Lost }},
		{"lost: paid without its event", honest, paid("imp_1", "m1", 1000), order(payresult.StatusPaid, "imp_1", false), func(r *Report) int { return r.Lost }},
		{"duplicated order.paid", honest, paid("imp_1", "m1", 1000), order(payresult.StatusPaid, "imp_1", false, payresult.EventPaid, payresult.EventPaid), func(r *Report) int { return r.Duplicated }},
		{"honest payment cancelled", honest, paid("imp_1", "m1", 1000, forgeryCancel(1000)), order(payresult.StatusPaid, "imp_1", false, payresult.EventPaid), func(r *Report) int { return r.HonestCancelled }},
		{"forgery caught", tampered, paid("imp_1", "m1", 10, forgeryCancel(10)), order(payresult.StatusForged, "imp_1", true, payresult.EventForged), nil},
		{"forgery accepted", tampered, paid("imp_1", "m1", 10, forgeryCancel(10)), order(payresult.StatusPaid, "imp_1", false, payresult.EventPaid), func(r *Report) int { return r.ForgeriesAccepted }},
		{"forgery never cancelled", tampered, paid("imp_1", "m1", 10), order(payresult.StatusForged, "imp_1", false, payresult.EventForged), func(r *Report) int { return r.ForgeriesNotCancelled }},
		{"forgery cancelled twice", tampered, paid("imp_1", "m1", 10, forgeryCancel(5), forgeryCancel(5)), order(payresult.StatusForged, "imp_1", true, payresult.EventForged), func(r *Report) int { return r.ForgeriesNotCancelled }},
		{"replay accepted", replayed, nil, order(payresult.StatusPaid, "imp_9", false, payresult.EventPaid), func(r *Report) int { return r.ReplaysAccepted }},
		{"phantom paid", honest, nil, order(payresult.StatusPaid, "imp_1", false, payresult.EventPaid), func(r *Report) int { return r.Phantom }},
		{"failed left pending", &flow{merchantUID: "m1", kind: KindFailed}, &portone.Payment{ImpUID: "imp_1", MerchantUID: "m1", Status: portone.StatusFailed},
			order(payresult.StatusPending, "", false), func(r *Report) int { return r.Unsettled }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ledger{}
			if tt.pay != nil {
				l["m1"] = []*portone.Payment{tt.pay}
			}
			r := &Report{}
			r.check(tt.flow, tt.order, l)
			if tt.counter == nil {
				if !r.OK() {
					t.Fatalf("violations %v, want none", r.Violations)
				}
				return
			}
			if got := tt.counter(r); got < 1 {
				t.Errorf("counter = %d, want at least 1; violations: %v", got, r.Violations)
			}
			if r.OK() {
				t.Errorf("OK() = true, want false")
			}
		})
	}
}

// TestReportPrints checks that the printed report carries the figures
// the README quotes.
func TestReportPrints(t *testing.T) {
	r := &Report{Seed: 3, Database: "sqlite", Instances: 1, Payments: 10, ByKind: map[Kind]int{KindPaid: 10},
		ByAPI:  map[string]int{"v1": 6, "v1 paid": 6, "v2": 4, "v2 paid": 4},
		Faults: map[string]int{"webhook deliveries dropped": 2}, Kills: 4}
	f := &flow{merchantUID: "m9", kind: KindPaid}
	r.convergence([]flowTime{{f, 3 * time.Millisecond}, {f, time.Millisecond}, {f, 2 * time.Millisecond}})
	var b strings.Builder
	r.WriteTo(&b)
	for _, want := range []string{"PASS (seed 3, sqlite", "payments      10", "by API        v1 6, v2 4 (v2: paid 4)", "4 SIGKILLs", "webhook deliveries dropped", "lost 0, duplicated 0, forgeries accepted 0", "max 3ms", "slowest: m9"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// TestReportJSON: the report a script reads (payresult chaos --json) has
// snake_case keys, durations in seconds and the verdict.
func TestReportJSON(t *testing.T) {
	r := &Report{Seed: 505, Database: "sqlite", Instances: 1, Payments: 3, ConvergeP99: 1500 * time.Millisecond,
		ByKind: map[Kind]int{KindTampered: 1}, ByAPI: map[string]int{"v2": 1, "v2 tampered": 1},
		Faults: map[string]int{"webhook deliveries dropped": 2}}
	r.violate(&r.Lost, "m1: paid at PortOne but payresult has no order")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"ok": false, "seed": 505.0, "lost": 1.0, "violations_total": 1.0, "converge_p99_seconds": 1.5,
		"database": "sqlite", "payments": 3.0,
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v (in %s)", k, got[k], want, b)
		}
	}
	if byAPI, _ := got["by_api"].(map[string]any); byAPI["v2 tampered"] != 1.0 {
		t.Errorf("by_api = %v, want v2 tampered 1", got["by_api"])
	}
	if v, _ := got["violations"].([]any); len(v) != 1 {
		t.Errorf("violations = %v, want the one", got["violations"])
	}
}
