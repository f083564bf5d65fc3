package payresult

import (
	"fmt"
	"strings"
	"time"

	"github.com/payresult/payresult/portone"
)

// Outcome says what Confirm made of a notice.
type Outcome string

// Outcomes of Confirm. The first group moves the order to the status of
// the same name; the others leave its status as it was.
const (
	OutcomePaid              Outcome = "paid"
	OutcomeVbankIssued       Outcome = "vbank_issued"
	OutcomeFailed            Outcome = "failed"
	OutcomePartiallyRefunded Outcome = "partially_refunded"
	OutcomeRefunded          Outcome = "refunded"
	OutcomeForged            Outcome = "forged"
	OutcomeExpired           Outcome = "expired"

	// OutcomePending: PortOne has no final result yet (window open or no
	// payment at all); the order keeps waiting.
	OutcomePending Outcome = "pending"
	// OutcomeDuplicate: the payment's state is already applied.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeIgnoredLate: the payment's state would move the order
	// backwards (a late ready or failed after paid); recorded and ignored.
	OutcomeIgnoredLate Outcome = "ignored_late"
	// OutcomeIgnored: another attempt of an order that is already decided
	// by a different payment; recorded and ignored.
	OutcomeIgnored Outcome = "ignored"
	// OutcomeForgeryCancelled: PortOne confirmed the cancel of the forged
	// payment; the order stays forged.
	OutcomeForgeryCancelled Outcome = "forgery_cancelled"
	// OutcomeRefused: the payment may not decide this order (merchant_uid
	// mismatch, imp_uid bound elsewhere, a test-channel payment not accepted).
	OutcomeRefused Outcome = "refused"
)

// decision is what one PortOne payment means for one order. It is computed
// by decide, a pure function, so the whole state machine is table-tested
// without a database or PortOne.
type decision struct {
	outcome Outcome
	// next is the order after the change, or nil when the order stays as
	// it is. Its Version is not yet bumped.
	next *Order
	// reason is the human-readable why, for the timeline.
	reason string
}

// changes reports whether d alters the stored order.
func (d decision) changes() bool { return d.next != nil }

// payState is a PortOne payment reduced to what decides an order. The
// refund state comes from cancel_amount, never from status alone: a
// partial cancel may leave status paid or cancelled depending on the PG.
type payState int

const (
	payUnknown         payState = iota
	payReady                    // window opened, nothing paid
	payVbank                    // virtual account issued, waiting for the deposit
	payFailed                   // declined, or cancelled before any money moved
	payPaid                     // paid, nothing cancelled
	payPartlyCancelled          // paid, then part of it cancelled
	payCancelled                // paid, then all of it cancelled
)

// payStateOf reduces pay to its payState.
func payStateOf(pay *portone.Payment) payState {
	switch pay.Status {
	case portone.StatusReady:
		if pay.IsVbankIssued() {
			return payVbank
		}
		return payReady
	case portone.StatusFailed:
		return payFailed
	case portone.StatusPaid, portone.StatusCancelled:
		if pay.Status == portone.StatusCancelled && pay.PaidAt.IsZero() && pay.CancelAmount.IsZero() {
			// Revoked before any money moved (a virtual account withdrawn,
			// a window cancelled on some PGs): nothing was paid.
			return payFailed
		}
		switch {
		case pay.CancelAmount.Sign() <= 0:
			return payPaid
		case pay.CancelAmount.Cmp(pay.Amount) >= 0:
			return payCancelled
		}
		return payPartlyCancelled
	}
	return payUnknown
}

// moneyMoved reports whether st is a payment that took the buyer's money
// (or, for a virtual account, will take it on deposit): the states whose
// amount must equal the order's.
func (st payState) moneyMoved() bool {
	switch st {
	case payVbank, payPaid, payPartlyCancelled, payCancelled:
		return true
	}
	return false
}

// sameMoney reports whether pay is for exactly the order's amount and currency.
func sameMoney(o *Order, pay *portone.Payment) bool {
	return pay.Amount == o.Amount && strings.EqualFold(pay.Currency, o.Currency)
}

// decide returns what pay means for o at now. A test-channel payment is
// refused unless acceptTest. It never looks at anything a notice claims: pay comes from
// PortOne's API.
func decide(o *Order, pay *portone.Payment, now time.Time, acceptTest bool) decision {
	switch {
	case pay.MerchantUID != o.MerchantUID:
		return decision{outcome: OutcomeRefused, reason: fmt.Sprintf("payment %s belongs to merchant_uid %q", pay.ImpUID, pay.MerchantUID)}
	case pay.Sandbox && !acceptTest:
		return decision{outcome: OutcomeRefused, reason: fmt.Sprintf("payment %s was made on a test channel; payresult accepts only live payments", pay.ImpUID)}
	}
	st := payStateOf(pay)
	if st == payUnknown {
		return decision{outcome: OutcomeIgnored, reason: fmt.Sprintf("payment %s has unknown status %q", pay.ImpUID, pay.Status)}
	}
	if o.ImpUID != "" && o.ImpUID != pay.ImpUID && o.Status != StatusPending && o.Status != StatusFailed && o.Status != StatusExpired {
		return decideOtherAttempt(o, pay, st, now)
	}
	if st.moneyMoved() && !sameMoney(o, pay) {
		return decideMismatch(o, pay, st, now)
	}
	switch o.Status {
	case StatusPending, StatusFailed, StatusVbankIssued:
		return decideOpen(o, pay, st, now)
	case StatusPaid, StatusPartiallyRefunded, StatusRefunded:
		return decideRefund(o, pay, st, now)
	case StatusForged:
		return decideForged(o, pay, st, now)
	case StatusExpired:
		// The deadline is payresult's own decision; PortOne and the bank have
		// the last word. Money that did arrive is never lost.
		if st == payPaid {
			return moveTo(o, pay, StatusPaid, now, "paid after payresult expired the order")
		}
	}
	return decision{outcome: OutcomeIgnored, reason: fmt.Sprintf("order is %s: final", o.Status)}
}

// decideOtherAttempt handles a payment other than the one that decided an
// order which is no longer open to new attempts, except that a virtual
// account order still accepts another attempt that is paid outright.
func decideOtherAttempt(o *Order, pay *portone.Payment, st payState, now time.Time) decision {
	if o.Status == StatusVbankIssued && st == payPaid && sameMoney(o, pay) {
		return moveTo(o, pay, StatusPaid, now, "another attempt paid while a virtual account was open")
	}
	if o.Status == StatusVbankIssued && st == payPaid {
		return decideMismatch(o, pay, st, now)
	}
	return decision{outcome: OutcomeIgnored, reason: fmt.Sprintf("order is %s by payment %s; payment %s (%s) does not change it", o.Status, o.ImpUID, pay.ImpUID, pay.Status)}
}

// decideMismatch handles a payment whose amount or currency differs from
// the order's: a forgery, never fulfilled.
func decideMismatch(o *Order, pay *portone.Payment, st payState, now time.Time) decision {
	why := fmt.Sprintf("payment %s is %s %s, order is %s %s", pay.ImpUID, pay.Amount, pay.Currency, o.Amount, o.Currency)
	if !CanTransition(o.Status, StatusForged) {
		if o.Status == StatusForged && o.ImpUID == pay.ImpUID {
			return decideForged(o, pay, st, now)
		}
		return decision{outcome: OutcomeIgnored, reason: why + "; order is already " + string(o.Status)}
	}
	d := moveTo(o, pay, StatusForged, now, why)
	d.next.PaidAt = time.Time{}
	d.next.ForgeryCancelled = st == payCancelled
	return d
}

// decideOpen handles an order still waiting for its result: pending,
// failed (a later attempt may pay) or with a virtual account issued.
func decideOpen(o *Order, pay *portone.Payment, st payState, now time.Time) decision {
	switch st {
	case payPaid:
		return moveTo(o, pay, StatusPaid, now, "PortOne says paid")
	case payPartlyCancelled:
		return moveTo(o, pay, StatusPartiallyRefunded, now, "paid and partly cancelled before payresult saw it")
	case payCancelled:
		return moveTo(o, pay, StatusRefunded, now, "paid and cancelled before payresult saw it")
	case payVbank:
		if deadline := pay.VbankDate.Time(); !deadline.IsZero() && now.After(deadline) {
			return moveTo(o, pay, StatusExpired, now, "virtual account deadline "+deadline.UTC().Format(time.RFC3339)+" passed without a deposit")
		}
		if o.Status == StatusVbankIssued {
			return decision{outcome: OutcomeDuplicate, reason: "virtual account already issued"}
		}
		return moveTo(o, pay, StatusVbankIssued, now, "virtual account issued")
	case payFailed:
		if o.Status == StatusFailed && o.ImpUID == pay.ImpUID {
			return decision{outcome: OutcomeDuplicate, reason: "failure already recorded"}
		}
		if o.Status == StatusFailed {
			return decision{outcome: OutcomeIgnored, reason: "another attempt failed too"}
		}
		return moveTo(o, pay, StatusFailed, now, "PortOne says failed: "+pay.FailReason.String)
	}
	return decision{outcome: OutcomePending, reason: "payment window opened, not paid"}
}

// decideRefund handles an order that was paid by pay: only a larger
// cancel_amount moves it on.
func decideRefund(o *Order, pay *portone.Payment, st payState, now time.Time) decision {
	var to Status
	switch st {
	case payPartlyCancelled:
		to = StatusPartiallyRefunded
	case payCancelled:
		to = StatusRefunded
	case payPaid:
		if o.Status == StatusPaid {
			return decision{outcome: OutcomeDuplicate, reason: "already paid"}
		}
		return decision{outcome: OutcomeIgnoredLate, reason: "PortOne reports less cancelled than already recorded"}
	default:
		return decision{outcome: OutcomeIgnoredLate, reason: fmt.Sprintf("late %s after %s", pay.Status, o.Status)}
	}
	switch pay.CancelAmount.Cmp(o.RefundedAmount) {
	case 0:
		return decision{outcome: OutcomeDuplicate, reason: "refund already recorded"}
	case -1:
		return decision{outcome: OutcomeIgnoredLate, reason: "PortOne reports less cancelled than already recorded"}
	}
	return moveTo(o, pay, to, now, fmt.Sprintf("cancel_amount %s of %s", pay.CancelAmount, pay.Amount))
}

// decideForged handles the forged payment of a forged order: the only
// change left is learning that PortOne cancelled it.
func decideForged(o *Order, pay *portone.Payment, st payState, now time.Time) decision {
	if o.ImpUID != pay.ImpUID {
		return decision{outcome: OutcomeIgnored, reason: "order is forged by payment " + o.ImpUID}
	}
	if o.ForgeryCancelled {
		return decision{outcome: OutcomeDuplicate, reason: "already forged and cancelled"}
	}
	why := ""
	switch {
	case st == payCancelled:
		why = "PortOne cancelled the forged payment"
	case st == payFailed:
		why = "PortOne says the forged payment never took money"
	case st == payVbank && !pay.VbankDate.IsZero() && now.After(pay.VbankDate.Time()):
		why = "the forged virtual account expired without a deposit"
	default:
		return decision{outcome: OutcomeDuplicate, reason: "already forged"}
	}
	next := *o
	next.ForgeryCancelled = true
	next.RefundedAmount = pay.CancelAmount
	next.UpdatedAt = now
	return decision{outcome: OutcomeForgeryCancelled, next: &next, reason: why}
}

// moveTo returns the decision to move o to status to because of pay.
func moveTo(o *Order, pay *portone.Payment, to Status, now time.Time, why string) decision {
	if !CanTransition(o.Status, to) {
		return decision{outcome: OutcomeIgnoredLate, reason: fmt.Sprintf("%s cannot move to %s", o.Status, to)}
	}
	next := *o
	next.Status = to
	next.ImpUID = pay.ImpUID
	next.UpdatedAt = now
	switch to {
	case StatusVbankIssued:
		next.Vbank = vbankOf(pay)
	case StatusFailed:
		next.FailReason = pay.FailReason.String
		if next.FailReason == "" {
			next.FailReason = pay.CancelReason.String
		}
	case StatusPaid, StatusPartiallyRefunded, StatusRefunded, StatusForged:
		next.PaidAmount = pay.Amount
		next.RefundedAmount = pay.CancelAmount
		next.PaidAt = pay.PaidAt.Time().UTC()
		next.FailReason = ""
	}
	if pay.PayMethod == portone.PayMethodVbank && next.Vbank == nil {
		next.Vbank = vbankOf(pay)
	}
	return decision{outcome: Outcome(to), next: &next, reason: why}
}

// vbankOf returns the virtual account of pay, or nil when it has none.
func vbankOf(pay *portone.Payment) *VirtualAccount {
	if !pay.VbankNum.Valid || pay.VbankNum.String == "" {
		return nil
	}
	return &VirtualAccount{
		BankCode: pay.VbankCode.String,
		BankName: pay.VbankName.String,
		Number:   pay.VbankNum.String,
		Holder:   pay.VbankHolder.String,
		Deadline: pay.VbankDate.Time().UTC(),
		IssuedAt: pay.VbankIssuedAt.Time().UTC(),
	}
}

// attemptOf returns the attempt record of pay as seen at now.
func attemptOf(pay *portone.Payment, now time.Time) *Attempt {
	created := pay.StartedAt.Time().UTC()
	if created.IsZero() {
		created = now
	}
	return &Attempt{
		ImpUID:       pay.ImpUID,
		MerchantUID:  pay.MerchantUID,
		Status:       pay.Status,
		PayMethod:    pay.PayMethod,
		PGProvider:   pay.PGProvider.String,
		Amount:       pay.Amount,
		CancelAmount: pay.CancelAmount,
		Currency:     pay.Currency,
		Sandbox:      pay.Sandbox,
		FailReason:   pay.FailReason.String,
		CreatedAt:    created,
		UpdatedAt:    now,
	}
}
