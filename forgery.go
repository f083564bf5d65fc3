package payresult

import (
	"context"
	"fmt"

	"github.com/payresult/payresult/portone"
)

// ForgeryCancelReason is the reason sent to PortOne with the cancel of a
// forged payment; it shows in PortOne's console and on the buyer's
// statement.
const ForgeryCancelReason = "payresult: amount mismatch (forgery)"

// ErrRefundAccountNeeded is the cancel error of a forged payment that was
// deposited into a virtual account: PortOne returns such money only to
// the buyer's bank account, which payresult cannot know. payresult does
// not ask PortOne (it would refuse); the order stays forged and
// uncancelled until the app refunds it with the buyer's account (see
// Processor.Refund), or the money leaves PortOne some other way.
// It is KindInvalid: the request that meets it lacks the account.
var ErrRefundAccountNeeded error = &Error{Kind: KindInvalid,
	Message: "a forged payment deposited into a virtual account goes back only to the buyer's bank account: refund the order with refund_holder, refund_bank and refund_account"}

// maxCancelTries bounds the cancel attempts of one Confirm. Each attempt
// carries the checksum PortOne last reported, so none can cancel twice;
// the reconciler's next Confirm tries again if all fail.
const maxCancelTries = 3

// needsForgeryCancel reports whether o is forged by pay and pay still
// holds money to give back. It is deliberately narrow: only the very
// payment that made the order forged, and only while its amount or
// currency differ from the order's, so that an honest payment is never
// cancelled.
func needsForgeryCancel(o *Order, pay *portone.Payment) bool {
	if o == nil || o.Status != StatusForged || o.ForgeryCancelled || o.ImpUID != pay.ImpUID || sameMoney(o, pay) {
		return false
	}
	return needsMoneyBack(pay)
}

// cancelForgery cancels the forged payment of res at PortOne and records
// the cancel on the order. Concurrent Confirms of the same payment in this
// process share one attempt. A failure is left in res.CancelErr: the order
// is forged either way, and stays due for the reconciler until PortOne
// confirms the cancel. A deposit into a virtual account is not sent to
// PortOne at all: it can only be returned to the buyer's bank account,
// which the app gives through Refund.
func (p *Processor) cancelForgery(ctx context.Context, src NoticeSource, res *Result) {
	pay := res.Payment
	api := res.Order.PortOneAPI()
	v, err, _ := p.cancels.Do(string(api)+" "+pay.ImpUID, func() (any, error) {
		return p.cancelForged(ctx, src, api, pay, nil, nil)
	})
	if err != nil {
		res.CancelErr = err
		p.note(ctx, pay.MerchantUID, pay.ImpUID, src, noteError, "forged payment not cancelled yet: %v", err)
		p.logger().Warn("forged payment not cancelled yet", "merchant_uid", pay.MerchantUID, "imp_uid", pay.ImpUID, "err", err)
		return
	}
	done := v.(*Result)
	res.Order, res.Payment = done.Order, done.Payment
	res.Changed = res.Changed || done.Changed
}

// cancelForged asks PortOne to cancel all that remains of pay, with the
// remaining balance as checksum, into the bank account to when it is not
// nil. A refusal (the payment was cancelled already, or its balance
// changed) is followed by a fresh look-up: the cancel is done when
// PortOne's cancel_amount covers the whole amount. A virtual account's
// deposit without to is refused here with ErrRefundAccountNeeded, as
// PortOne would refuse it. The change that records the cancel stores ans,
// the answer to a keyed refund (nil for none).
func (p *Processor) cancelForged(ctx context.Context, src NoticeSource, api API, pay *portone.Payment, to *RefundAccount, ans *keyAnswer) (*Result, error) {
	gw, err := p.gateway(api)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for try := 0; ; try++ {
		if !needsMoneyBack(pay) {
			// Cancelled in full now, or never paid: nothing left to cancel.
			return p.settle(ctx, src, api, pay, nil, ans)
		}
		if to == nil && pay.PayMethod == portone.PayMethodVbank {
			return nil, fmt.Errorf("forged payment %s: %w", pay.ImpUID, ErrRefundAccountNeeded)
		}
		if try == maxCancelTries {
			return nil, WrapError(KindTransient, lastErr, "PortOne has not cancelled forged payment %s", pay.ImpUID)
		}
		req := &portone.CancelRequest{
			ImpUID:   pay.ImpUID,
			Checksum: portone.AmountPtr(pay.Cancellable()),
			Reason:   ForgeryCancelReason,
		}
		if to != nil {
			req.RefundHolder, req.RefundBank, req.RefundAccount, req.RefundTel = to.Holder, to.Bank, to.Number, to.Tel
		}
		got, err := gw.Cancel(ctx, req)
		if err == nil && got != nil && got.ImpUID == pay.ImpUID {
			into := ""
			if to != nil {
				into = " into " + to.masked()
			}
			p.note(ctx, pay.MerchantUID, pay.ImpUID, src, noteForgeryCancel, "PortOne cancelled %s%s (cancel_amount now %s of %s)", req.Checksum, into, got.CancelAmount, got.Amount)
			if payStateOf(got) != payCancelled {
				// Accepted but not (yet) done, as with PayPal's pending
				// cancels: never send a second cancel on top of it.
				return nil, Errorf(KindTransient, "PortOne accepted the cancel of %s but reports cancel_amount %s of %s", pay.ImpUID, got.CancelAmount, got.Amount)
			}
			return p.settle(ctx, src, api, got, nil, ans)
		}
		if err == nil {
			err = Errorf(KindTransient, "PortOne answered the cancel of %s without its payment", pay.ImpUID)
		}
		lastErr = err
		p.note(ctx, pay.MerchantUID, pay.ImpUID, src, noteForgeryCancel, "cancel refused or unanswered: %v", err)
		// Whatever the refusal (already cancelled, checksum mismatch, the
		// PG said no), PortOne's payment tells what is left to do.
		fresh, ferr := gw.Payment(ctx, pay.ImpUID, true)
		if ferr != nil {
			return nil, gatewayError(ferr, "looking up forged payment %s after its cancel", pay.ImpUID)
		}
		if pay, ferr = checkPayment(fresh, pay.ImpUID); ferr != nil {
			return nil, ferr
		}
	}
}

// needsMoneyBack reports whether pay holds money PortOne could cancel.
func needsMoneyBack(pay *portone.Payment) bool {
	switch payStateOf(pay) {
	case payPaid, payPartlyCancelled:
		return pay.Cancellable().Sign() > 0
	}
	return false
}
