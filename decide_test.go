package payresult

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult/portone"
)

var (
	testNow    = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	testAmount = portone.Won(10000)
)

const (
	impA = "imp_100000000001"
	impB = "imp_100000000002"
)

// testOrder returns the order "order-1" for 10,000 KRW in status s,
// decided by impA unless it is pending.
func testOrder(s Status) *Order {
	o := &Order{
		MerchantUID: "order-1", Name: "coffee beans", Amount: testAmount, Currency: "KRW",
		Status: s, ImpUID: impA, CreatedAt: testNow.Add(-time.Hour), Version: 3,
	}
	switch s {
	case StatusPending:
		o.ImpUID = ""
	case StatusPaid:
		o.PaidAmount = testAmount
	case StatusPartiallyRefunded:
		o.PaidAmount, o.RefundedAmount = testAmount, portone.Won(3000)
	case StatusRefunded:
		o.PaidAmount, o.RefundedAmount = testAmount, testAmount
	case StatusVbankIssued, StatusExpired:
		o.Vbank = &VirtualAccount{BankName: "KB 국민은행", Number: "79959078731512", Deadline: testNow.Add(24 * time.Hour)}
	case StatusForged:
		o.PaidAmount = portone.Won(9000)
	}
	return o
}

// payOpt changes a test payment.
type payOpt func(*portone.Payment)

// testPay returns impA for order-1, 10,000 KRW, in status s.
func testPay(s portone.Status, opts ...payOpt) *portone.Payment {
	p := &portone.Payment{
		ImpUID: impA, MerchantUID: "order-1", Amount: testAmount, Currency: "KRW",
		Status: s, PayMethod: portone.PayMethodCard, StartedAt: portone.TimeOf(testNow.Add(-10 * time.Minute)),
	}
	switch s {
	case portone.StatusPaid:
		p.PaidAt = portone.TimeOf(testNow.Add(-5 * time.Minute))
	case portone.StatusFailed:
		p.FailReason = portone.NewNullString("카드 한도초과")
		p.FailedAt = portone.TimeOf(testNow.Add(-5 * time.Minute))
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withAmount(a portone.Amount) payOpt {
	return func(p *portone.Payment) { p.Amount = a }
}
func withCurrency(c string) payOpt { return func(p *portone.Payment) { p.Currency = c } }
func sandbox(p *portone.Payment)   { p.Sandbox = true }

// cancelled makes p paid and then cancelled by amount c.
func cancelled(c portone.Amount) payOpt {
	return func(p *portone.Payment) {
		p.PaidAt = portone.TimeOf(testNow.Add(-5 * time.Minute))
		p.CancelAmount = c
		p.CancelledAt = portone.TimeOf(testNow.Add(-time.Minute))
	}
}

// vbank makes p a virtual account with the deadline at d.
func vbank(deadline time.Time) payOpt {
	return func(p *portone.Payment) {
		p.PayMethod = portone.PayMethodVbank
		p.VbankCode = portone.NewNullString("004")
		p.VbankName = portone.NewNullString("KB 국민은행")
		p.VbankNum = portone.NewNullString("79959078731512")
		p.VbankHolder = portone.NewNullString("（주）케이지이니시")
		p.VbankDate = portone.TimeOf(deadline)
		p.VbankIssuedAt = portone.TimeOf(testNow.Add(-9 * time.Minute))
	}
}

// The payments of the state machine table, all for impA of order-1.
var tablePayments = map[string]*portone.Payment{
	"ready":               testPay(portone.StatusReady),
	"vbank":               testPay(portone.StatusReady, vbank(testNow.Add(24*time.Hour))),
	"vbank_past_deadline": testPay(portone.StatusReady, vbank(testNow.Add(-time.Hour))),
	"paid":                testPay(portone.StatusPaid),
	"vbank_deposit":       testPay(portone.StatusPaid, vbank(testNow.Add(24*time.Hour))),
	"partly_cancelled":    testPay(portone.StatusCancelled, cancelled(portone.Won(3000))),
	"partly_kept_paid":    testPay(portone.StatusPaid, cancelled(portone.Won(3000))),
	"cancelled":           testPay(portone.StatusCancelled, cancelled(testAmount)),
	"failed":              testPay(portone.StatusFailed),
	"paid_lower":          testPay(portone.StatusPaid, withAmount(portone.Won(9000))),
	"paid_higher":         testPay(portone.StatusPaid, withAmount(portone.Won(11000))),
	"paid_usd":            testPay(portone.StatusPaid, withCurrency("USD")),
	"vbank_lower":         testPay(portone.StatusReady, vbank(testNow.Add(24*time.Hour)), withAmount(portone.Won(9000))),
	"paid_test_channel":   testPay(portone.StatusPaid, sandbox),
}

// amountEqual lets cmp compare amounts, whose value is unexported.
var amountEqual = cmp.Comparer(func(a, b portone.Amount) bool { return a == b })

// want is the part of a decision a table row states.
type want struct {
	Outcome Outcome
	Status  Status // the order's status after the decision
}

// TestDecideTable checks every (order status, PortOne payment) pair
// against the documented state machine.
func TestDecideTable(t *testing.T) {
	t.Parallel()
	type row map[string]want
	w := func(o Outcome, s Status) want { return want{o, s} }
	forgedFrom := func(s Status) row {
		return row{"paid_lower": w(OutcomeForged, StatusForged), "paid_higher": w(OutcomeForged, StatusForged),
			"paid_usd": w(OutcomeForged, StatusForged), "vbank_lower": w(OutcomeForged, StatusForged)}
	}
	table := map[Status]row{
		StatusPending: merge(forgedFrom(StatusPending), row{
			"ready":               w(OutcomePending, StatusPending),
			"vbank":               w(OutcomeVbankIssued, StatusVbankIssued),
			"vbank_past_deadline": w(OutcomeExpired, StatusExpired),
			"paid":                w(OutcomePaid, StatusPaid),
			"vbank_deposit":       w(OutcomePaid, StatusPaid),
			"partly_cancelled":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"partly_kept_paid":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"cancelled":           w(OutcomeRefunded, StatusRefunded),
			"failed":              w(OutcomeFailed, StatusFailed),
			"paid_test_channel":   w(OutcomeRefused, StatusPending),
		}),
		StatusVbankIssued: merge(forgedFrom(StatusVbankIssued), row{
			"ready":               w(OutcomePending, StatusVbankIssued),
			"vbank":               w(OutcomeDuplicate, StatusVbankIssued),
			"vbank_past_deadline": w(OutcomeExpired, StatusExpired),
			"paid":                w(OutcomePaid, StatusPaid),
			"vbank_deposit":       w(OutcomePaid, StatusPaid),
			"partly_cancelled":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"partly_kept_paid":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"cancelled":           w(OutcomeRefunded, StatusRefunded),
			"failed":              w(OutcomeFailed, StatusFailed),
			"paid_test_channel":   w(OutcomeRefused, StatusVbankIssued),
		}),
		StatusFailed: merge(forgedFrom(StatusFailed), row{
			"ready":               w(OutcomePending, StatusFailed),
			"vbank":               w(OutcomeVbankIssued, StatusVbankIssued),
			"vbank_past_deadline": w(OutcomeIgnoredLate, StatusFailed),
			"paid":                w(OutcomePaid, StatusPaid), // a late approval (PayPal)
			"vbank_deposit":       w(OutcomePaid, StatusPaid),
			"partly_cancelled":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"partly_kept_paid":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"cancelled":           w(OutcomeRefunded, StatusRefunded),
			"failed":              w(OutcomeDuplicate, StatusFailed),
			"paid_test_channel":   w(OutcomeRefused, StatusFailed),
		}),
		StatusPaid: {
			"ready":               w(OutcomeIgnoredLate, StatusPaid),
			"vbank":               w(OutcomeIgnoredLate, StatusPaid),
			"vbank_past_deadline": w(OutcomeIgnoredLate, StatusPaid),
			"paid":                w(OutcomeDuplicate, StatusPaid),
			"vbank_deposit":       w(OutcomeDuplicate, StatusPaid),
			"partly_cancelled":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"partly_kept_paid":    w(OutcomePartiallyRefunded, StatusPartiallyRefunded),
			"cancelled":           w(OutcomeRefunded, StatusRefunded),
			"failed":              w(OutcomeIgnoredLate, StatusPaid),
			"paid_lower":          w(OutcomeIgnored, StatusPaid),
			"paid_higher":         w(OutcomeIgnored, StatusPaid),
			"paid_usd":            w(OutcomeIgnored, StatusPaid),
			"vbank_lower":         w(OutcomeIgnored, StatusPaid),
			"paid_test_channel":   w(OutcomeRefused, StatusPaid),
		},
		StatusPartiallyRefunded: {
			"ready":               w(OutcomeIgnoredLate, StatusPartiallyRefunded),
			"vbank":               w(OutcomeIgnoredLate, StatusPartiallyRefunded),
			"vbank_past_deadline": w(OutcomeIgnoredLate, StatusPartiallyRefunded),
			"paid":                w(OutcomeIgnoredLate, StatusPartiallyRefunded),
			"vbank_deposit":       w(OutcomeIgnoredLate, StatusPartiallyRefunded),
			"partly_cancelled":    w(OutcomeDuplicate, StatusPartiallyRefunded),
			"partly_kept_paid":    w(OutcomeDuplicate, StatusPartiallyRefunded),
			"cancelled":           w(OutcomeRefunded, StatusRefunded),
			"failed":              w(OutcomeIgnoredLate, StatusPartiallyRefunded),
			"paid_lower":          w(OutcomeIgnored, StatusPartiallyRefunded),
			"paid_higher":         w(OutcomeIgnored, StatusPartiallyRefunded),
			"paid_usd":            w(OutcomeIgnored, StatusPartiallyRefunded),
			"vbank_lower":         w(OutcomeIgnored, StatusPartiallyRefunded),
			"paid_test_channel":   w(OutcomeRefused, StatusPartiallyRefunded),
		},
		StatusRefunded: {
			"ready":               w(OutcomeIgnoredLate, StatusRefunded),
			"vbank":               w(OutcomeIgnoredLate, StatusRefunded),
			"vbank_past_deadline": w(OutcomeIgnoredLate, StatusRefunded),
			"paid":                w(OutcomeIgnoredLate, StatusRefunded),
			"vbank_deposit":       w(OutcomeIgnoredLate, StatusRefunded),
			"partly_cancelled":    w(OutcomeIgnoredLate, StatusRefunded),
			"partly_kept_paid":    w(OutcomeIgnoredLate, StatusRefunded),
			"cancelled":           w(OutcomeDuplicate, StatusRefunded),
			"failed":              w(OutcomeIgnoredLate, StatusRefunded),
			"paid_lower":          w(OutcomeIgnored, StatusRefunded),
			"paid_higher":         w(OutcomeIgnored, StatusRefunded),
			"paid_usd":            w(OutcomeIgnored, StatusRefunded),
			"vbank_lower":         w(OutcomeIgnored, StatusRefunded),
			"paid_test_channel":   w(OutcomeRefused, StatusRefunded),
		},
		// The forged order of the table was forged by impA at 9,000 KRW;
		// only news that no money is held any more changes it.
		StatusForged: {
			"ready":               w(OutcomeDuplicate, StatusForged),
			"vbank":               w(OutcomeDuplicate, StatusForged),
			"vbank_past_deadline": w(OutcomeForgeryCancelled, StatusForged),
			"paid":                w(OutcomeDuplicate, StatusForged),
			"vbank_deposit":       w(OutcomeDuplicate, StatusForged),
			"partly_cancelled":    w(OutcomeDuplicate, StatusForged),
			"partly_kept_paid":    w(OutcomeDuplicate, StatusForged),
			"cancelled":           w(OutcomeForgeryCancelled, StatusForged),
			"failed":              w(OutcomeForgeryCancelled, StatusForged),
			"paid_lower":          w(OutcomeDuplicate, StatusForged),
			"paid_higher":         w(OutcomeDuplicate, StatusForged),
			"paid_usd":            w(OutcomeDuplicate, StatusForged),
			"vbank_lower":         w(OutcomeDuplicate, StatusForged),
			"paid_test_channel":   w(OutcomeRefused, StatusForged),
		},
		StatusExpired: {},
	}
	for name := range tablePayments {
		table[StatusExpired][name] = w(OutcomeIgnored, StatusExpired)
	}
	table[StatusExpired]["paid_test_channel"] = w(OutcomeRefused, StatusExpired)
	// Money PortOne took after payresult's own deadline is never lost: it
	// pays the order, or is refused as a forgery when the amount is wrong.
	table[StatusExpired]["paid"] = w(OutcomePaid, StatusPaid)
	table[StatusExpired]["vbank_deposit"] = w(OutcomePaid, StatusPaid)
	for _, name := range []string{"paid_lower", "paid_higher", "paid_usd", "vbank_lower"} {
		table[StatusExpired][name] = w(OutcomeForged, StatusForged)
	}

	for _, s := range Statuses {
		for name, pay := range tablePayments {
			exp, ok := table[s][name]
			if !ok {
				t.Errorf("table has no row for (%s, %s)", s, name)
				continue
			}
			t.Run(string(s)+"/"+name, func(t *testing.T) {
				o := testOrder(s)
				before := *o
				d := decide(o, pay, testNow, false)
				got := want{Outcome: d.outcome, Status: o.Status}
				if d.next != nil {
					got.Status = d.next.Status
				}
				if diff := cmp.Diff(exp, got); diff != "" {
					t.Errorf("decide(%s order, %s payment) mismatch (-want +got):\n%s\nreason: %s", s, name, diff, d.reason)
				}
				if diff := cmp.Diff(&before, o, amountEqual); diff != "" {
					t.Errorf("decide changed its input order (-before +after):\n%s", diff)
				}
				checkDecisionShape(t, o, pay, d)
			})
		}
	}
}

// checkDecisionShape checks what every decision must satisfy: forward
// moves only, an outcome naming the new status, and no version bump.
func checkDecisionShape(t *testing.T, o *Order, pay *portone.Payment, d decision) {
	t.Helper()
	if d.reason == "" {
		t.Errorf("decision %s has no reason", d.outcome)
	}
	if d.next == nil {
		return
	}
	n := d.next
	switch {
	case d.outcome == OutcomeForgeryCancelled:
		if n.Status != StatusForged || !n.ForgeryCancelled {
			t.Errorf("forgery_cancelled decision left status %s, ForgeryCancelled %t", n.Status, n.ForgeryCancelled)
		}
	case !CanTransition(o.Status, n.Status):
		t.Errorf("decision moves %s to %s, which CanTransition refuses", o.Status, n.Status)
	case string(d.outcome) != string(n.Status):
		t.Errorf("outcome %s but new status %s", d.outcome, n.Status)
	}
	if n.Version != o.Version {
		t.Errorf("decision set Version %d; the processor sets it", n.Version)
	}
	if n.ImpUID != pay.ImpUID {
		t.Errorf("new ImpUID %q, want the deciding payment %q", n.ImpUID, pay.ImpUID)
	}
	if n.Status == StatusPaid && !sameMoney(n, pay) {
		t.Errorf("paid by a payment of %s %s for an order of %s %s", pay.Amount, pay.Currency, n.Amount, n.Currency)
	}
}

func merge[M ~map[K]V, K comparable, V any](ms ...M) M {
	out := M{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
