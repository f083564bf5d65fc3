package payresult

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/payresult/payresult/portone"
)

// DefaultRefundReason is sent to PortOne when a refund request gives none
// (some PGs, NaverPay among them, require a reason).
const DefaultRefundReason = "payresult: refund requested by the merchant"

// maxReasonLen is PortOne's limit for a cancel reason, in characters.
const maxReasonLen = 256

// RefundRequest asks Refund for a refund of one order.
type RefundRequest struct {
	MerchantUID string
	// Amount to refund; zero means all that remains.
	Amount portone.Amount
	// Reason is sent to PortOne (some PGs require one); DefaultRefundReason
	// when empty.
	Reason string
	// Account is the buyer's bank account the PG pays the refund into. A
	// payment deposited into a virtual account has no card to reverse:
	// PortOne refuses its refund without one (and the PG pays it out
	// about a business day later). Other payments leave it nil.
	Account *RefundAccount
}

// RefundAccount is a buyer's bank account for a refund, in PortOne's
// refund_* fields.
type RefundAccount struct {
	Holder string // refund_holder: the account holder's name
	// Bank is refund_bank, the bank's code in the PG's own code set (KG
	// Inicis "88" and KCP "BK88" are both Shinhan, for example).
	Bank   string
	Number string // refund_account: the account number
	Tel    string // refund_tel: the holder's phone, which some PGs (Smartro) require
}

// Bounds of a refund account's fields. PortOne's older documentation
// limits holder and number to 16 characters and the bank code to 4; the
// bounds here are looser, so that only what cannot be an account is
// refused before PortOne sees it.
const (
	maxRefundHolderLen = 32
	maxRefundBankLen   = 8
	maxRefundNumberLen = 32
	maxRefundTelLen    = 20
)

// check refuses an account that cannot be one, saying which field is wrong.
func (a *RefundAccount) check() error {
	switch {
	case a.Holder == "" || a.Bank == "" || a.Number == "":
		return Errorf(KindInvalid, "a refund account needs refund_holder, refund_bank and refund_account")
	case strings.TrimSpace(a.Holder) != a.Holder:
		return Errorf(KindInvalid, "refund_holder must not start or end with spaces")
	case len(a.Bank) > maxRefundBankLen || strings.IndexFunc(a.Bank, notAlnum) >= 0:
		return Errorf(KindInvalid, "refund_bank must be the PG's bank code: at most %d ASCII letters and digits", maxRefundBankLen)
	case len(a.Number) > maxRefundNumberLen || !phoneLike(a.Number, false):
		return Errorf(KindInvalid, "refund_account must be an account number: at most %d digits and hyphens", maxRefundNumberLen)
	case len(a.Tel) > maxRefundTelLen || (a.Tel != "" && !phoneLike(a.Tel, true)):
		return Errorf(KindInvalid, "refund_tel must be a phone number: at most %d digits and hyphens", maxRefundTelLen)
	}
	return checkNoticeID("refund_holder", a.Holder, maxRefundHolderLen)
}

func notAlnum(r rune) bool {
	return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
}

// phoneLike reports whether s is digits with hyphens between them (and a
// leading '+' when plus is set).
func phoneLike(s string, plus bool) bool {
	if plus {
		s = strings.TrimPrefix(s, "+")
	}
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			digits++
		case r != '-':
			return false
		}
	}
	return digits > 0
}

// masked describes the account for the timeline without its number: the
// bank code and the number's last four digits.
func (a *RefundAccount) masked() string {
	digits := strings.ReplaceAll(a.Number, "-", "")
	return fmt.Sprintf("bank %s, account ending %s", a.Bank, digits[max(len(digits)-4, 0):])
}

// Refund cancels r.Amount of a paid order's payment at PortOne (zero means
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
// An order paid into a virtual account is refunded only with r.Account;
// the account's number is sent to PortOne and never stored (the timeline
// keeps its last four digits).
//
// A forged order whose payment was not cancelled yet (see
// ErrRefundAccountNeeded) is given back in full, with the forgery's own
// reason: r.Amount must be zero, and r.Account is needed when the money
// was deposited into a virtual account.
//
// Errors: KindInvalid for a bad amount, reason or account, or a virtual
// account's refund without an account; KindNotFound for an unknown order;
// KindConflict when the order is not refundable or PortOne's balance
// changed under the request (read the order and decide again).
func (p *Processor) Refund(ctx context.Context, r RefundRequest) (*Order, error) {
	if r.MerchantUID == "" {
		return nil, Errorf(KindInvalid, "merchant_uid is required")
	}
	if err := checkNoticeID("merchant_uid", r.MerchantUID, maxMerchantUIDLen); err != nil {
		return nil, err
	}
	reason := r.Reason
	if reason == "" {
		reason = DefaultRefundReason
	}
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxReasonLen {
		return nil, Errorf(KindInvalid, "reason must be at most %d characters of valid UTF-8", maxReasonLen)
	}
	if r.Account != nil {
		if err := r.Account.check(); err != nil {
			return nil, err
		}
	}
	o, err := p.Store.Order(ctx, r.MerchantUID)
	if IsNotFound(err) {
		return nil, Errorf(KindNotFound, "no order %q", r.MerchantUID)
	}
	if err != nil {
		return nil, err
	}
	if o.Status == StatusForged {
		return p.refundForgery(ctx, o, r)
	}
	req, err := refundRequest(o, r.Amount, reason, r.Account)
	if err != nil {
		return nil, err
	}
	to := ""
	if r.Account != nil {
		to = " to " + r.Account.masked()
	}
	p.note(ctx, o.MerchantUID, o.ImpUID, SourceApp, noteRefund, "refund of %s requested (refundable %s)%s: %s", *req.Amount, *req.Checksum, to, reason)
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

// refundForgery gives back the forged payment of o in full: the cancel
// Confirm makes by itself (cancelForged), here with the buyer's bank
// account, without which a virtual account's deposit cannot be returned.
func (p *Processor) refundForgery(ctx context.Context, o *Order, r RefundRequest) (*Order, error) {
	switch {
	case o.ForgeryCancelled:
		return nil, Errorf(KindConflict, "order %s is forged and its payment was cancelled already", o.MerchantUID)
	case !r.Amount.IsZero():
		return nil, Errorf(KindInvalid, "order %s is forged: its payment is given back in full; leave the amount out", o.MerchantUID)
	case o.ImpUID == "":
		return nil, Errorf(KindConflict, "order %s is forged without a payment to give back", o.MerchantUID)
	}
	pay, err := p.lookup(ctx, Notice{ImpUID: o.ImpUID})
	if err != nil {
		return nil, err
	}
	if pay.MerchantUID != o.MerchantUID {
		return nil, Errorf(KindTransient, "PortOne answered with payment %s of order %s, not of %s", pay.ImpUID, pay.MerchantUID, o.MerchantUID)
	}
	var res *Result
	if needsForgeryCancel(o, pay) {
		res, err = p.cancelForged(ctx, SourceApp, pay, r.Account)
	} else {
		// Nothing left to give back: bring the order up to date with
		// what PortOne has.
		res, err = p.settle(ctx, SourceApp, pay, nil)
	}
	if err != nil {
		return nil, err
	}
	return res.Order, nil
}

// refundRequest builds the cancel for a refund of amount from o.
func refundRequest(o *Order, amount portone.Amount, reason string, to *RefundAccount) (*portone.CancelRequest, error) {
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return nil, Errorf(KindConflict, "order %s is %s; only a paid order can be refunded", o.MerchantUID, o.Status)
	}
	remaining := o.PaidAmount.Sub(o.RefundedAmount)
	if remaining.Sign() <= 0 {
		return nil, Errorf(KindConflict, "order %s has nothing left to refund", o.MerchantUID)
	}
	if err := checkMinorUnit("refund amount", amount, o.Currency); err != nil {
		return nil, err
	}
	switch {
	case amount.Sign() < 0:
		return nil, Errorf(KindInvalid, "refund amount %s is negative", amount)
	case amount.IsZero():
		amount = remaining
	case amount.Cmp(remaining) > 0:
		return nil, Errorf(KindInvalid, "refund amount %s is more than the refundable %s", amount, remaining)
	}
	if o.Vbank != nil && to == nil {
		return nil, Errorf(KindInvalid, "order %s was paid into a virtual account: its refund needs the buyer's refund_holder, refund_bank and refund_account", o.MerchantUID)
	}
	req := &portone.CancelRequest{
		ImpUID:   o.ImpUID,
		Amount:   portone.AmountPtr(amount),
		Checksum: portone.AmountPtr(remaining),
		Reason:   reason,
	}
	if to != nil {
		req.RefundHolder, req.RefundBank, req.RefundAccount, req.RefundTel = to.Holder, to.Bank, to.Number, to.Tel
	}
	return req, nil
}

// refundRefused handles a cancel that PortOne refused or did not answer.
func (p *Processor) refundRefused(ctx context.Context, o *Order, req *portone.CancelRequest, cancelErr error) (*Order, error) {
	p.note(ctx, o.MerchantUID, o.ImpUID, SourceApp, noteRefund, "cancel refused or unanswered: %v", cancelErr)
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
