package payresult

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// DefaultFirstCheckDelay is how long after an order is created (or left
// waiting) the reconciler first looks at it, when Processor.FirstCheckDelay
// is zero. A minute gives the webhook time to arrive first.
const DefaultFirstCheckDelay = time.Minute

// maxApplyTries bounds Confirm's reload-and-decide loop after lost
// compare-and-sets. Each retry follows a change someone else stored, and
// an order has only a handful of states to pass through.
const maxApplyTries = 8

// Processor is payresult's processing core: every change to an order goes
// through it. Store and PortOne are required; the other fields have
// working zero values. A Processor is safe for concurrent use; do not copy
// it after first use.
type Processor struct {
	// Store keeps the orders: a *sqlite.Store, a *postgres.Store, or any
	// other OrderStore.
	Store OrderStore
	// PortOne answers for the payments of V1 orders; a *portone.Client
	// in production.
	PortOne Gateway
	// PortOneV2 answers for the payments of V2 orders (Order.API): a
	// *V2Gateway in production. Nil refuses V2 orders.
	PortOneV2 Gateway
	// DefaultAPI is the API of an order registered without one; empty
	// means APIV1.
	DefaultAPI API
	// AcceptTestPayments lets payments made on PortOne test channels
	// (sandbox) decide orders. Without it (the zero value) such a payment
	// never settles an order: it is refused, as a buyer paying on a test
	// channel has paid nothing. The sandbox sets it.
	AcceptTestPayments bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default(), as the handlers' loggers do.
	Logger *slog.Logger
	// FirstCheckDelay is how long a new or still-waiting order waits for
	// its first reconciler check; zero means DefaultFirstCheckDelay.
	FirstCheckDelay time.Duration
	// Metrics, when set, is told how every Confirm ended and how long it
	// took; nil records nothing.
	Metrics ConfirmObserver

	// cancels makes concurrent Confirms of one forged payment in this
	// process share a single cancel call. Correctness across processes
	// comes from PortOne's checksum; this only saves calls.
	cancels singleflight.Group
	// idempotency is the state of keyed requests (idempotency.go).
	idempotency idempotencyState
}

// ConfirmObserver is told how each Confirm ended, for metrics. It runs on
// Confirm's path, from many goroutines: it must be quick and safe for
// concurrent use.
type ConfirmObserver interface {
	// ObserveConfirm gets the notice's source, Confirm's result (nil when
	// it failed before deciding) and error, and how long it took.
	ObserveConfirm(src NoticeSource, res *Result, err error, elapsed time.Duration)
}

// Result is what Confirm found and did.
type Result struct {
	// Order is the order after Confirm; nil when no order was found.
	Order *Order
	// Payment is PortOne's payment the decision was made from; nil when
	// PortOne has no payment for the order yet.
	Payment *portone.Payment
	// Changed reports whether this call stored a change to the order.
	Changed bool
	// Outcome says what the payment meant for the order.
	Outcome Outcome
	// Reason explains Outcome in a sentence, for logs and operators.
	Reason string
	// CancelErr is set when the order is forged but PortOne could not be
	// made to cancel the payment yet. The order needs no more than another
	// Confirm later (the reconciler does it; see Order.NeedsCheck), except
	// when the money was deposited into a virtual account
	// (ErrRefundAccountNeeded): then it waits for Refund with the buyer's
	// bank account.
	CancelErr error
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Processor) logger() *slog.Logger { return loggerOr(p.Logger) }

func (p *Processor) firstCheckDelay() time.Duration {
	if p.FirstCheckDelay > 0 {
		return p.FirstCheckDelay
	}
	return DefaultFirstCheckDelay
}

// Confirm turns a notice into verified order state. It looks the payment
// up at PortOne (never trusting what the notice says about it), loads the
// order named by the payment, checks that the payment may decide that
// order, and stores the resulting transition with the payment attempt
// and the event for the app in one compare-and-set. Running it twice, or
// concurrently from several sources, has the effect of running it once.
//
// A forged payment (paid with another amount or currency than the order)
// makes the order forged, and Confirm then cancels the payment at PortOne.
//
// Errors are *Error: KindInvalid for a malformed notice, KindNotFound for
// an unknown order or payment, KindMismatch when the payment may not
// decide the order (a refusal: nothing changed), KindTransient when
// PortOne or the database could not answer (try again later). With a
// KindMismatch error the Result is still returned, describing the refusal.
func (p *Processor) Confirm(ctx context.Context, n Notice) (res *Result, err error) {
	if p.Metrics != nil {
		start := time.Now() // real time even under a fake clock: this is latency
		defer func() { p.Metrics.ObserveConfirm(n.Source, res, err, time.Since(start)) }()
	}
	if err := n.validate(); err != nil {
		return nil, err
	}
	api, err := p.noticeAPI(ctx, n)
	if err != nil {
		return nil, err
	}
	n.API = api
	pay, err := p.lookup(ctx, n)
	if err != nil {
		p.note(ctx, n.MerchantUID, n.ImpUID, n.Source, noteError, "PortOne look-up failed: %v", err)
		return nil, err
	}
	if pay == nil {
		return p.noPayment(ctx, n)
	}
	return p.confirmPayment(ctx, n, pay)
}

// ConfirmListed is Confirm for a payment that payresult itself has just
// read from PortOne's REST API in a list (the reconciler's sweeps: GET
// /payments/status/{status}), so it makes no look-up of its own: the
// list's items are the same full Payment record that GET
// /payments/{imp_uid} answers (PortOne's PagedPaymentAnnotation lists
// PaymentAnnotation), fetched over the same authenticated client, and
// nothing of them comes from a buyer or a webhook. Deciding from it is
// as safe as deciding from a look-up made a moment earlier: a record
// that has changed since only moves the order less far forward than it
// may go, never backward (transitions only move forward, under the
// store's compare-and-set), and the newer state arrives by its webhook
// or the next sweep or check. A forged payment's cancel goes out with
// the record's balance as checksum: when the record is stale PortOne
// refuses that cancel, and the cancel looks the payment up afresh before
// it tries again (cancelForged), so money is never cancelled twice.
//
// api is the API whose list pay came from: a payment listed by V2 (a
// V2Gateway's PaymentsByStatus) decides only V2 orders.
func (p *Processor) ConfirmListed(ctx context.Context, src NoticeSource, api API, pay *portone.Payment) (res *Result, err error) {
	if api == "" {
		api = APIV1
	}
	n := Notice{Source: src, API: api}
	if pay != nil {
		n.ImpUID, n.MerchantUID = pay.ImpUID, pay.MerchantUID
	}
	if p.Metrics != nil {
		start := time.Now() // real time even under a fake clock: this is latency
		defer func() { p.Metrics.ObserveConfirm(n.Source, res, err, time.Since(start)) }()
	}
	if _, err := checkPayment(pay, ""); err != nil {
		return nil, err
	}
	if err := n.validate(); err != nil {
		return nil, err
	}
	return p.confirmPayment(ctx, n, pay)
}

// confirmPayment is Confirm once PortOne's payment for n is in hand.
func (p *Processor) confirmPayment(ctx context.Context, n Notice, pay *portone.Payment) (*Result, error) {
	notes := p.receivedNotes(n, pay)
	if n.MerchantUID != "" && n.MerchantUID != pay.MerchantUID {
		p.writeNotes(ctx, notes)
		return p.refuseForeign(ctx, n, pay)
	}
	res, err := p.settle(ctx, n.Source, n.API, pay, notes, nil)
	if err != nil {
		return res, err
	}
	if needsForgeryCancel(res.Order, pay) {
		p.cancelForgery(ctx, n.Source, res)
	}
	return res, nil
}

// noticeAPI returns the API whose payment n names: the notice's own (the
// V2 endpoints say V2), V1 for one naming an imp_uid, or else the API of
// the order it names (the reconciler's and the app's notices name only
// the order).
func (p *Processor) noticeAPI(ctx context.Context, n Notice) (API, error) {
	switch {
	case n.API != "":
		if !n.API.Valid() {
			return "", Errorf(KindInvalid, "unknown PortOne API %q", n.API)
		}
		return n.API, nil
	case n.ImpUID != "":
		return APIV1, nil
	}
	o, err := p.Store.Order(ctx, n.MerchantUID)
	switch {
	case IsNotFound(err):
		return APIV1, nil // Confirm answers that the order is unknown
	case err != nil:
		return "", err
	}
	return o.PortOneAPI(), nil
}

// gateway returns the Gateway of api.
func (p *Processor) gateway(api API) (Gateway, error) {
	switch api {
	case APIV1, "":
		if p.PortOne == nil {
			return nil, Errorf(KindInvalid, "payresult is not configured for PortOne V1")
		}
		return p.PortOne, nil
	case APIV2:
		if p.PortOneV2 == nil {
			return nil, Errorf(KindInvalid, "payresult is not configured for PortOne V2")
		}
		return p.PortOneV2, nil
	}
	return nil, Errorf(KindInvalid, "unknown PortOne API %q", api)
}

// lookup fetches the payment a notice names, through the gateway of the
// notice's API: by imp_uid, test channels included (Confirm checks the
// sandbox flag itself), or else the latest attempt for the merchant_uid.
// It returns nil, nil when PortOne has no payment for the merchant_uid
// yet.
func (p *Processor) lookup(ctx context.Context, n Notice) (*portone.Payment, error) {
	gw, err := p.gateway(n.API)
	if err != nil {
		return nil, err
	}
	if n.ImpUID != "" {
		pay, err := gw.Payment(ctx, n.ImpUID, true)
		if err != nil {
			return nil, gatewayError(err, "looking up payment %s", n.ImpUID)
		}
		return checkPayment(pay, n.ImpUID)
	}
	pay, err := gw.FindPayment(ctx, n.MerchantUID, "")
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, gatewayError(err, "looking up the payments of %s", n.MerchantUID)
	}
	return checkPayment(pay, "")
}

// checkPayment refuses an answer that cannot be PortOne's payment for the
// request: a wrong imp_uid or no merchant_uid.
func checkPayment(pay *portone.Payment, impUID string) (*portone.Payment, error) {
	switch {
	case pay == nil:
		return nil, Errorf(KindTransient, "PortOne answered without a payment")
	case impUID != "" && pay.ImpUID != impUID:
		return nil, Errorf(KindTransient, "PortOne answered with payment %s for %s", pay.ImpUID, impUID)
	case pay.ImpUID == "" || pay.MerchantUID == "":
		return nil, Errorf(KindTransient, "PortOne answered with a payment without imp_uid or merchant_uid")
	}
	return pay, nil
}

// gatewayError classifies a PortOne failure. Anything but a clear "not
// found" or a refused request is the caller's cue to try again later:
// the notice itself is not at fault when PortOne cannot answer, and an
// operator can fix refused credentials.
func gatewayError(err error, format string, args ...any) error {
	var input *portone.InputError
	switch {
	case isNotFound(err):
		return WrapError(KindNotFound, err, format+": PortOne has no such payment", args...)
	case errors.As(err, &input), errors.Is(err, portonev2.ErrInput):
		return WrapError(KindInvalid, err, format, args...)
	case portone.IsUnauthorized(err), portonev2.IsUnauthorized(err), portonev2.IsForbidden(err):
		return WrapError(KindTransient, err, format+": PortOne refused payresult's API credentials", args...)
	case portone.IsTransient(err), portonev2.IsTransient(err), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return WrapError(KindTransient, err, format+": PortOne unreachable", args...)
	}
	return WrapError(KindInternal, err, format, args...)
}

// isNotFound reports whether PortOne, V1 or V2, said it has no such
// payment.
func isNotFound(err error) bool { return portone.IsNotFound(err) || portonev2.IsNotFound(err) }

// noPayment answers a merchant_uid-only notice for which PortOne has no
// payment: the buyer never got as far as a payment window.
func (p *Processor) noPayment(ctx context.Context, n Notice) (*Result, error) {
	o, err := p.Store.Order(ctx, n.MerchantUID)
	if IsNotFound(err) {
		return nil, Errorf(KindNotFound, "no order %q", n.MerchantUID)
	}
	if err != nil {
		return nil, err
	}
	p.note(ctx, n.MerchantUID, "", n.Source, noteNotice, "%s notice without imp_uid (error %s %q); PortOne has no payment yet", n.Source, n.ErrorCode, n.ErrorMsg)
	return &Result{Order: o, Outcome: OutcomePending, Reason: "PortOne has no payment for the order yet"}, nil
}

// refuseForeign refuses a notice that names one order and a payment of
// another, as when a payment made for order A is presented for order B.
func (p *Processor) refuseForeign(ctx context.Context, n Notice, pay *portone.Payment) (*Result, error) {
	why := "payment " + pay.ImpUID + " belongs to " + pay.MerchantUID + ", not to " + n.MerchantUID
	p.note(ctx, n.MerchantUID, pay.ImpUID, n.Source, noteError, "refused: %s", why)
	p.note(ctx, pay.MerchantUID, pay.ImpUID, n.Source, noteError, "refused: presented for order %s", n.MerchantUID)
	p.logger().Warn("notice refused: payment of another order", "imp_uid", pay.ImpUID, "merchant_uid", n.MerchantUID, "payment_merchant_uid", pay.MerchantUID)
	var o *Order
	if got, err := p.Store.Order(ctx, n.MerchantUID); err == nil {
		o = got
	}
	return &Result{Order: o, Payment: pay, Outcome: OutcomeRefused, Reason: why}, Errorf(KindMismatch, "%s", why)
}

// settle applies what pay means to its order: load, check, decide, and
// compare-and-set, again from the top when another writer got there
// first. The notes gathered so far, and the decision's, are stored with
// the change; without a change they are written on their own. The
// answer to a keyed request, ans, is stored with the change (nil for
// none).
func (p *Processor) settle(ctx context.Context, src NoticeSource, api API, pay *portone.Payment, notes []Note, ans *keyAnswer) (*Result, error) {
	for try := range maxApplyTries {
		now := p.now()
		// The first try leaves the imp_uid's binding to Apply, which refuses
		// a payment bound to another order as a conflict in the same
		// transaction; the retry then looks the binding up and tells that
		// refusal apart from a lost compare-and-set. So the common case
		// costs no read for it.
		res, d, err := p.evaluate(ctx, api, pay, now, try > 0)
		if err != nil {
			if res != nil {
				notes = append(notes, p.newNote(pay.MerchantUID, pay.ImpUID, src, noteError, "refused: %s", d.reason))
				p.logger().Warn("payment refused", "merchant_uid", pay.MerchantUID, "imp_uid", pay.ImpUID, "reason", d.reason)
			}
			p.writeNotes(ctx, notes)
			return res, err
		}
		next, err := p.apply(ctx, res.Order, pay, d, now, append(notes, p.decisionNote(src, pay, d)), ans)
		if IsConflict(err) {
			continue
		}
		if err != nil {
			p.writeNotes(ctx, notes)
			return nil, err
		}
		p.logDecision(res.Order, pay, d)
		res.Order, res.Changed = next, d.changes()
		return res, nil
	}
	p.writeNotes(ctx, notes)
	return nil, Errorf(KindTransient, "order %s kept changing under Confirm; try again", pay.MerchantUID)
}

// evaluate loads the order pay belongs to, checks that pay may decide it,
// and decides. A refusal comes back as a Result (the order unchanged), a
// decision with the reason, and a KindMismatch error. Without checkBound
// the binding of pay's imp_uid to another order is left to Apply. A
// payment looked up through api may decide only an order of that API.
func (p *Processor) evaluate(ctx context.Context, api API, pay *portone.Payment, now time.Time, checkBound bool) (*Result, decision, error) {
	o, err := p.Store.Order(ctx, pay.MerchantUID)
	if IsNotFound(err) {
		return nil, decision{}, Errorf(KindNotFound, "no order %q", pay.MerchantUID)
	}
	if err != nil {
		return nil, decision{}, err
	}
	res := &Result{Order: o, Payment: pay}
	d := decision{outcome: OutcomeRefused}
	var bindErr error
	switch {
	case o.PortOneAPI() != api:
		bindErr = Errorf(KindMismatch, "order %s is registered for PortOne %s; a payment of PortOne %s may not decide it", o.MerchantUID, o.PortOneAPI(), api)
	case checkBound:
		bindErr = p.checkBinding(ctx, o, pay)
	}
	if bindErr != nil {
		d.reason = bindErr.Error()
	} else {
		d = decide(o, pay, now, p.AcceptTestPayments)
	}
	res.Outcome, res.Reason = d.outcome, d.reason
	if d.outcome == OutcomeRefused {
		return res, d, Errorf(KindMismatch, "%s", d.reason)
	}
	return res, d, nil
}

// checkBinding refuses a payment whose imp_uid is already bound to a
// different order. Apply checks it again inside its transaction; this
// look-up tells that refusal apart from a lost compare-and-set.
func (p *Processor) checkBinding(ctx context.Context, o *Order, pay *portone.Payment) error {
	if o.ImpUID == pay.ImpUID {
		return nil // bound to o by the Apply that set o.ImpUID
	}
	bound, err := p.Store.OrderByImpUID(ctx, pay.ImpUID)
	switch {
	case IsNotFound(err):
		return nil
	case err != nil:
		return err
	case bound.MerchantUID != o.MerchantUID:
		return Errorf(KindMismatch, "payment %s is already bound to another order", pay.ImpUID)
	}
	return nil
}

// apply stores decision d about pay, computed from o, with the notes and
// the answer ans, and returns the order as stored. A decision that
// changes nothing still records the attempt, unless it is a plain
// duplicate of what is stored: then only the notes are written (and the
// answer).
func (p *Processor) apply(ctx context.Context, o *Order, pay *portone.Payment, d decision, now time.Time, notes []Note, ans *keyAnswer) (*Order, error) {
	c := &Change{FromVersion: o.Version, Attempt: attemptOf(pay, now), Notes: notes}
	if !d.changes() {
		if d.outcome == OutcomeDuplicate {
			if ans == nil {
				p.writeNotes(ctx, notes)
				return o, nil
			}
			c = &Change{Notes: notes}
		}
		return o, ans.apply(ctx, p.Store, c, o)
	}
	next := d.next
	next.Version = o.Version + 1
	p.schedule(next, now)
	c.Order = next
	if d.outcome != OutcomeForgeryCancelled {
		ev, err := eventFor(next, now)
		if err != nil {
			return nil, err
		}
		c.Events = []Event{ev}
	}
	if err := ans.apply(ctx, p.Store, c, next); err != nil {
		return nil, err
	}
	return next, nil
}

// schedule sets when the reconciler should next look at o: soon while it
// still waits for a result, never once it is settled.
func (p *Processor) schedule(o *Order, now time.Time) {
	if !o.NeedsCheck() {
		o.NextCheckAt = time.Time{}
		return
	}
	if o.NextCheckAt.IsZero() || o.NextCheckAt.Before(now) {
		o.NextCheckAt = now.Add(p.firstCheckDelay())
	}
}

// eventFor returns the event announcing o's new state. Its id derives from
// the order and version, so the same change can never be announced twice.
func eventFor(o *Order, now time.Time) (Event, error) {
	t, ok := EventTypeFor(o.Status)
	if !ok {
		return Event{}, Errorf(KindInternal, "no event for status %q", o.Status)
	}
	data, err := EventData(o)
	if err != nil {
		return Event{}, err
	}
	return Event{
		ID:          EventID(o.MerchantUID, o.Version, t),
		Type:        t,
		MerchantUID: o.MerchantUID,
		CreatedAt:   now,
		Data:        data,
		State:       DeliveryPending,
		NextAttempt: now,
	}, nil
}

// logDecision logs a decision, loudly when money moved but the order
// will not be fulfilled for it.
func (p *Processor) logDecision(o *Order, pay *portone.Payment, d decision) {
	attrs := []any{"merchant_uid", o.MerchantUID, "imp_uid", pay.ImpUID, "outcome", string(d.outcome), "reason", d.reason}
	switch {
	case d.outcome == OutcomeForged:
		p.logger().Warn("forged payment", attrs...)
	case (d.outcome == OutcomeIgnored || d.outcome == OutcomeIgnoredLate) && payStateOf(pay) == payPaid:
		p.logger().Warn("paid payment does not change its order; check it by hand", attrs...)
	default:
		p.logger().Debug("notice decided", attrs...)
	}
}
