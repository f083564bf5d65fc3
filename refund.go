package payresult

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
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
	// IdempotencyKey makes the request safe to send again: 1 to
	// MaxIdempotencyKeyLen visible ASCII characters, unique per refund
	// (a random UUID). See Refund.
	IdempotencyKey string
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
// refused before PortOne sees it. A V2 bank code is a name such as
// STANDARD_CHARTERED or MIRAE_ASSET_SECURITIES (24 characters at most).
const (
	maxRefundHolderLen = 32
	maxRefundBankLen   = 32
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
	case len(a.Bank) > maxRefundBankLen || strings.IndexFunc(a.Bank, notBankCode) >= 0:
		return Errorf(KindInvalid, "refund_bank must be the PG's bank code (PortOne V2's for a V2 order): at most %d ASCII letters, digits and underscores", maxRefundBankLen)
	case len(a.Number) > maxRefundNumberLen || !phoneLike(a.Number, false):
		return Errorf(KindInvalid, "refund_account must be an account number: at most %d digits and hyphens", maxRefundNumberLen)
	case len(a.Tel) > maxRefundTelLen || (a.Tel != "" && !phoneLike(a.Tel, true)):
		return Errorf(KindInvalid, "refund_tel must be a phone number: at most %d digits and hyphens", maxRefundTelLen)
	}
	return checkNoticeID("refund_holder", a.Holder, maxRefundHolderLen)
}

// notBankCode reports whether r cannot be in a bank code: V1's are
// letters and digits, V2's upper-case words joined by underscores.
func notBankCode(r rune) bool { return r != '_' && notAlnum(r) }

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
// Give every refund an idempotency key (r.IdempotencyKey), and send the
// same request with the same key again when its answer was lost: it is
// answered as the first time and refunds nothing more. The answer is
// stored with the key in the transaction of the change it answers, and
// kept IdempotencyKeyRetention. The key with another request is refused
// with KindIdempotencyMismatch; while a request with the key still runs,
// KindIdempotencyKeyInUse (try again in a moment). A refund without a key
// must not be sent again blindly: should the first have gone through, a
// second one refunds again. Read the order first.
//
// The cancel carries as checksum the refundable balance payresult knows,
// so a cancel PortOne already carried out is refused rather than made
// twice: Refund then reads the payment back, applies what PortOne has
// and, when that is exactly the requested refund, reports success. A
// keyed refund pins its cancel (payment, amount, checksum) before PortOne
// sees it, and every later run of the request sends that same cancel, so
// that even a refund applied meanwhile (by a webhook) cannot make a retry
// refund again. When the outcome cannot be known (PortOne unreachable)
// Refund returns a KindTransient error, changes nothing locally and keeps
// no answer for the key: retry the same request.
//
// An order paid into a virtual account is refunded only with r.Account;
// the account's number is sent to PortOne and never stored (the timeline
// keeps its last four digits, and so does the key's fingerprint).
//
// A forged order whose payment was not cancelled yet (see
// ErrRefundAccountNeeded) is given back in full, with the forgery's own
// reason: r.Amount must be zero, and r.Account is needed when the money
// was deposited into a virtual account.
//
// Errors: KindInvalid for a bad amount, reason, account or key, or a
// virtual account's refund without an account; KindNotFound for an
// unknown order; KindConflict when the order is not refundable or
// PortOne's balance changed under the request (read the order and decide
// again); and the key's refusals above.
func (p *Processor) Refund(ctx context.Context, r RefundRequest) (*Order, error) {
	reason, err := r.check()
	if err != nil {
		return nil, err
	}
	if r.IdempotencyKey == "" {
		return p.refund(ctx, r, reason, nil)
	}
	_, o, err := p.keyed(ctx, r.IdempotencyKey, r.fingerprint(reason), func(k *keyClaim) (int, *Order, error) {
		o, err := p.refund(ctx, r, reason, k)
		return http.StatusOK, o, err
	})
	return o, err
}

// check refuses a request whose own fields are wrong, before anything is
// read or stored, and returns the reason to send PortOne.
func (r *RefundRequest) check() (string, error) {
	if r.MerchantUID == "" {
		return "", Errorf(KindInvalid, "merchant_uid is required")
	}
	if err := checkNoticeID("merchant_uid", r.MerchantUID, maxMerchantUIDLen); err != nil {
		return "", err
	}
	reason := r.Reason
	if reason == "" {
		reason = DefaultRefundReason
	}
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxReasonLen {
		return "", Errorf(KindInvalid, "reason must be at most %d characters of valid UTF-8", maxReasonLen)
	}
	if r.Account != nil {
		if err := r.Account.check(); err != nil {
			return "", err
		}
	}
	return reason, nil
}

// fingerprint identifies the request for its idempotency key. Of the
// account it keeps what the timeline shows, so that the account's number
// is not stored even hashed.
func (r *RefundRequest) fingerprint(reason string) string {
	account := ""
	if r.Account != nil {
		account = r.Account.masked()
	}
	return fingerprintOf(struct {
		Op, MerchantUID string
		Amount          portone.Amount
		Reason, Account string
	}{"refund", r.MerchantUID, r.Amount, reason, account})
}

// refund runs a checked refund request, under the claim k of its
// idempotency key (nil without one).
func (p *Processor) refund(ctx context.Context, r RefundRequest, reason string, k *keyClaim) (*Order, error) {
	o, err := p.Store.Order(ctx, r.MerchantUID)
	if IsNotFound(err) {
		return nil, Errorf(KindNotFound, "no order %q", r.MerchantUID)
	}
	if err != nil {
		return nil, err
	}
	if o.Status == StatusForged {
		return p.refundForgery(ctx, o, r, k)
	}
	gw, err := p.gateway(o.PortOneAPI())
	if err != nil {
		return nil, err
	}
	b, err := p.refundBasis(ctx, o, r, reason, k)
	if err != nil {
		return nil, err
	}
	got, err := gw.Cancel(ctx, b.cancel(reason, r.Account))
	if err == nil {
		res, err := p.settle(ctx, SourceApp, o.PortOneAPI(), got, nil, k.answer(http.StatusOK, nil))
		if err != nil {
			return nil, err
		}
		return res.Order, nil
	}
	return p.refundRefused(ctx, o, b, err, k)
}

// refundBasis is what a refund's cancel is computed from: the payment,
// the amount, and the refunded amount payresult knew, whose complement
// is the cancel's checksum. A keyed refund pins it before PortOne sees
// the cancel (keyClaim.basis), and every later run of the request sends
// the same cancel and judges PortOne's answer against the same refunded
// amount.
type refundBasis struct {
	ImpUID   string         `json:"imp_uid"`
	Amount   portone.Amount `json:"amount"`
	Checksum portone.Amount `json:"checksum"` // the refundable balance: paid minus Refunded
	Refunded portone.Amount `json:"refunded"`
}

// refundBasis returns the basis of r's refund of o: the one an earlier
// run of the keyed request pinned, or else a new one, checked against o
// and pinned now, with the note that the refund was requested.
func (p *Processor) refundBasis(ctx context.Context, o *Order, r RefundRequest, reason string, k *keyClaim) (refundBasis, error) {
	var b refundBasis
	if k != nil && k.basis != nil {
		if err := json.Unmarshal(k.basis, &b); err != nil {
			return b, WrapError(KindInternal, err, "the pinned refund of %s does not decode", o.MerchantUID)
		}
		p.note(ctx, o.MerchantUID, b.ImpUID, SourceApp, noteRefund, "refund of %s requested again with its idempotency key: its first cancel (refundable %s) is sent again", b.Amount, b.Checksum)
		return b, nil
	}
	b, err := newRefundBasis(o, r.Amount, r.Account)
	if err != nil {
		return b, err
	}
	to := ""
	if r.Account != nil {
		to = " to " + r.Account.masked()
	}
	note := p.newNote(o.MerchantUID, o.ImpUID, SourceApp, noteRefund, "refund of %s requested (refundable %s)%s: %s", b.Amount, b.Checksum, to, reason)
	return b, p.pin(ctx, k, b, []Note{note})
}

// refundForgery gives back the forged payment of o in full: the cancel
// Confirm makes by itself (cancelForged), here with the buyer's bank
// account, without which a virtual account's deposit cannot be returned.
func (p *Processor) refundForgery(ctx context.Context, o *Order, r RefundRequest, k *keyClaim) (*Order, error) {
	switch {
	case o.ForgeryCancelled:
		return nil, Errorf(KindConflict, "order %s is forged and its payment was cancelled already", o.MerchantUID)
	case !r.Amount.IsZero():
		return nil, Errorf(KindInvalid, "order %s is forged: its payment is given back in full; leave the amount out", o.MerchantUID)
	case o.ImpUID == "":
		return nil, Errorf(KindConflict, "order %s is forged without a payment to give back", o.MerchantUID)
	}
	api := o.PortOneAPI()
	pay, err := p.lookup(ctx, Notice{ImpUID: o.ImpUID, API: api})
	if err != nil {
		return nil, err
	}
	if pay.MerchantUID != o.MerchantUID {
		return nil, Errorf(KindTransient, "PortOne answered with payment %s of order %s, not of %s", pay.ImpUID, pay.MerchantUID, o.MerchantUID)
	}
	var res *Result
	if needsForgeryCancel(o, pay) {
		res, err = p.cancelForged(ctx, SourceApp, api, pay, r.Account, k.answer(http.StatusOK, nil))
	} else {
		// Nothing left to give back: bring the order up to date with
		// what PortOne has.
		res, err = p.settle(ctx, SourceApp, api, pay, nil, k.answer(http.StatusOK, nil))
	}
	if err != nil {
		return nil, err
	}
	return res.Order, nil
}

// newRefundBasis checks a refund of amount from o (zero for all that
// remains), into the account to, and returns its basis.
func newRefundBasis(o *Order, amount portone.Amount, to *RefundAccount) (refundBasis, error) {
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return refundBasis{}, Errorf(KindConflict, "order %s is %s; only a paid order can be refunded", o.MerchantUID, o.Status)
	}
	remaining := o.PaidAmount.Sub(o.RefundedAmount)
	if remaining.Sign() <= 0 {
		return refundBasis{}, Errorf(KindConflict, "order %s has nothing left to refund", o.MerchantUID)
	}
	if err := checkMinorUnit("refund amount", amount, o.Currency); err != nil {
		return refundBasis{}, err
	}
	switch {
	case amount.Sign() < 0:
		return refundBasis{}, Errorf(KindInvalid, "refund amount %s is negative", amount)
	case amount.IsZero():
		amount = remaining
	case amount.Cmp(remaining) > 0:
		return refundBasis{}, Errorf(KindInvalid, "refund amount %s is more than the refundable %s", amount, remaining)
	}
	if o.Vbank != nil && to == nil {
		return refundBasis{}, Errorf(KindInvalid, "order %s was paid into a virtual account: its refund needs the buyer's refund_holder, refund_bank and refund_account", o.MerchantUID)
	}
	return refundBasis{ImpUID: o.ImpUID, Amount: amount, Checksum: remaining, Refunded: o.RefundedAmount}, nil
}

// cancel returns the cancel request of b, into the account to.
func (b refundBasis) cancel(reason string, to *RefundAccount) *portone.CancelRequest {
	req := &portone.CancelRequest{
		ImpUID:   b.ImpUID,
		Amount:   portone.AmountPtr(b.Amount),
		Checksum: portone.AmountPtr(b.Checksum),
		Reason:   reason,
	}
	if to != nil {
		req.RefundHolder, req.RefundBank, req.RefundAccount, req.RefundTel = to.Holder, to.Bank, to.Number, to.Tel
	}
	return req
}

// refundRefused handles a cancel that PortOne refused or did not answer.
// A refusal is judged by the payment read back, and the answer (success
// or the refusal) is stored with the change that applies that payment.
func (p *Processor) refundRefused(ctx context.Context, o *Order, b refundBasis, cancelErr error, k *keyClaim) (*Order, error) {
	p.note(ctx, o.MerchantUID, b.ImpUID, SourceApp, noteRefund, "cancel refused or unanswered: %v", cancelErr)
	switch classified := gatewayError(cancelErr, "refunding %s", o.MerchantUID); KindOf(classified) {
	case KindTransient:
		// The cancel may or may not have happened. Applying PortOne's
		// balance now would make a retry without a key send a matching
		// checksum and refund again, so leave the order as it was.
		return nil, WrapError(KindTransient, cancelErr, "refunding %s: outcome unknown; retry the same request", o.MerchantUID)
	case KindInvalid:
		return nil, classified
	}
	gw, err := p.gateway(o.PortOneAPI())
	if err != nil {
		return nil, err
	}
	fresh, err := gw.Payment(ctx, b.ImpUID, true)
	if err != nil {
		return nil, gatewayError(err, "looking up payment %s after a refused refund", b.ImpUID)
	}
	if fresh, err = checkPayment(fresh, b.ImpUID); err != nil {
		return nil, err
	}
	verdict := b.judge(fresh, cancelErr, o.MerchantUID)
	res, err := p.settle(ctx, SourceApp, o.PortOneAPI(), fresh, nil, k.answer(http.StatusOK, verdict))
	if err != nil {
		return nil, err
	}
	if verdict != nil {
		return nil, verdict
	}
	return res.Order, nil
}

// judge says what PortOne's payment, read back after it refused the
// cancel of b, means for the refund: nil (done) when its cancel_amount
// moved by exactly b's amount from what b started from, as when an
// earlier run of the request went through and its answer was lost;
// otherwise a KindConflict error.
func (b refundBasis) judge(fresh *portone.Payment, cancelErr error, merchantUID string) error {
	switch {
	case fresh.CancelAmount == b.Refunded.Add(b.Amount):
		return nil
	case fresh.CancelAmount != b.Refunded:
		return WrapError(KindConflict, cancelErr, "the refundable balance of %s changed at PortOne (refunded %s, was %s); read the order and decide again", merchantUID, fresh.CancelAmount, b.Refunded)
	}
	return WrapError(KindConflict, cancelErr, "PortOne refused the refund of %s: %s", merchantUID, portoneMessage(cancelErr))
}

// portoneMessage returns PortOne's own message from err, which is safe to
// show to the merchant, or a generic text.
func portoneMessage(err error) string {
	var e *portone.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	var e2 *portonev2.Error
	if errors.As(err, &e2) && e2.Message != "" {
		return e2.Message
	}
	return "the cancel was refused"
}
