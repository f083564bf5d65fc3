package payresult

import (
	"context"
	"errors"
	"unicode/utf8"

	"payresult/portone"
)

// DefaultRefundReason is sent to PortOne when a refund request gives none
// (some PGs, NaverPay among them, require a reason).
const DefaultRefundReason = "payresult: refund requested by the merchant"

// maxReasonLen is PortOne's limit for a cancel reason, in characters.
const maxReasonLen = 256

// Refund cancels amount of a paid order's payment at PortOne (zero means
// all that remains) and applies the result like Confirm does: the order
// becomes partially_refunded or refunded, with its event.
//
// The cancel carries as checksum the refundable balance payresult knows,
// so a request retried after a lost answer can never refund twice: PortOne
// refuses it, Refund reads the payment back, applies what PortOne has and,
// when that is exactly the requested refund, reports success. When the
// outcome cannot be known (PortOne unreachable) Refund returns a
// KindTransient error and changes nothing locally, so that retrying the
// same request stays safe.
//
// Errors: KindInvalid for a bad amount or reason, KindNotFound for an
// unknown order, KindConflict when the order is not refundable or PortOne's
// balance changed under the request (read the order and decide again).
func (p *Processor) Refund(ctx context.Context, merchantUID string, amount portone.Amount, reason string) (*Order, error) {
	if merchantUID == "" {
		return nil, Errorf(KindInvalid, "merchant_uid is required")
	}
	if err := checkNoticeID("merchant_uid", merchantUID, maxMerchantUIDLen); err != nil {
		return nil, err
	}
	if reason == "" {
		reason = DefaultRefundReason
	}
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxReasonLen {
		return nil, Errorf(KindInvalid, "reason must be at most %d characters of valid UTF-8", maxReasonLen)
	}
	o, err := p.Store.Order(ctx, merchantUID)
	if IsNotFound(err) {
		return nil, Errorf(KindNotFound, "no order %q", merchantUID)
	}
	if err != nil {
		return nil, err
	}
	req, err := refundRequest(o, amount, reason)
	if err != nil {
		return nil, err
	}
	p.note(ctx, o.MerchantUID, o.ImpUID, SourceApp, lineRefund, "refund of %s requested (refundable %s): %s", *req.Amount, *req.Checksum, reason)
	got, err := p.PortOne.Cancel(ctx, req)
	if err == nil {
		res, err := p.settle(ctx, SourceApp, got, nil)
		if err != nil {
			return nil, err
		}
		return res.Order, nil
	}
	return p.refundRefused(ctx, o, req, err)
}

// refundRequest builds the cancel for a refund of amount from o.
func refundRequest(o *Order, amount portone.Amount, reason string) (*portone.CancelRequest, error) {
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return nil, Errorf(KindConflict, "order %s is %s; only a paid order can be refunded", o.MerchantUID, o.Status)
	}
	remaining := o.PaidAmount.Sub(o.RefundedAmount)
	if remaining.Sign() <= 0 {
		return nil, Errorf(KindConflict, "order %s has nothing left to refund", o.MerchantUID)
	}
	switch {
	case amount.Sign() < 0:
		return nil, Errorf(KindInvalid, "refund amount %s is negative", amount)
	case amount.IsZero():
		amount = remaining
	case amount.Cmp(remaining) > 0:
		return nil, Errorf(KindInvalid, "refund amount %s is more than the refundable %s", amount, remaining)
	}
	return &portone.CancelRequest{
		ImpUID:   o.ImpUID,
		Amount:   portone.AmountPtr(amount),
		Checksum: portone.AmountPtr(remaining),
		Reason:   reason,
	}, nil
}

// refundRefused handles a cancel that PortOne refused or did not answer.
func (p *Processor) refundRefused(ctx context.Context, o *Order, req *portone.CancelRequest, cancelErr error) (*Order, error) {
	p.note(ctx, o.MerchantUID, o.ImpUID, SourceApp, lineRefund, "cancel refused or unanswered: %v", cancelErr)
	switch classified := gatewayError(cancelErr, "refunding %s", o.MerchantUID); KindOf(classified) {
	case KindTransient:
		// The cancel may or may not have happened. Applying PortOne's
		// balance now would make a retry of this request send a matching
		// checksum and refund again, so leave the order as it was.
		return nil, WrapError(KindTransient, cancelErr, "refunding %s: outcome unknown; retry the same request", o.MerchantUID)
	case KindInvalid:
		return nil, classified
	}
	fresh, err := p.PortOne.Payment(ctx, o.ImpUID, true)
	if err != nil {
		return nil, gatewayError(err, "looking up payment %s after a refused refund", o.ImpUID)
	}
	if fresh, err = checkPayment(fresh, o.ImpUID); err != nil {
		return nil, err
	}
	res, err := p.settle(ctx, SourceApp, fresh, nil)
	if err != nil {
		return nil, err
	}
	if fresh.CancelAmount.Sub(o.RefundedAmount) == *req.Amount {
		// PortOne's balance moved by exactly this refund: an earlier try
		// of this request went through and its answer was lost.
		return res.Order, nil
	}
	if fresh.CancelAmount != o.RefundedAmount {
		return nil, WrapError(KindConflict, cancelErr, "the refundable balance of %s changed at PortOne (refunded %s, was %s); read the order and decide again", o.MerchantUID, fresh.CancelAmount, o.RefundedAmount)
	}
	return nil, WrapError(KindConflict, cancelErr, "PortOne refused the refund of %s: %s", o.MerchantUID, portoneMessage(cancelErr))
}

// portoneMessage returns PortOne's own message from err, which is safe to
// show to the merchant, or a generic text.
func portoneMessage(err error) string {
	var e *portone.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "the cancel was refused"
}
