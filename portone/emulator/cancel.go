package emulator

import (
	"errors"
	"net/http"

	"github.com/payresult/payresult/portone"
)

// consoleCancelReason is what PortOne writes as the reason of a cancel
// made in its admin console.
const consoleCancelReason = "관리자페이지취소"

// cancelArgs is one cancellation request, from the API or the console.
type cancelArgs struct {
	impUID, merchantUID string
	amount              *portone.Amount // nil or zero: all that remains
	checksum            *portone.Amount
	reason              string
	refundAccount       string // required for virtual-account refunds
	enableWebhook       bool
	console             bool
}

// CancelError is a cancellation PortOne refuses: HTTP 200 with a non-zero
// code and one of PortOne's messages.
type CancelError struct {
	Code    int
	Message string
	// Invalid is set when the request itself is wrong (an amount that is
	// not a number of the currency's minor unit), not the payment's state.
	Invalid bool
}

// Error returns the refusal with PortOne's message.
func (e *CancelError) Error() string { return "emulator: cancel refused: " + e.Message }

func refuse(code int, msg string) *CancelError { return &CancelError{Code: code, Message: msg} }

// cancel applies one cancellation, exactly as PortOne would, and sends
// the cancelled webhook for console cancels and for API cancels that ask
// for it.
func (e *Emulator) cancel(a cancelArgs) (portone.Payment, error) {
	e.mu.Lock()
	rec, cerr := e.cancelTarget(a)
	if cerr != nil {
		e.mu.Unlock()
		return portone.Payment{}, cerr
	}
	p := clonePayment(rec.p)
	amt, cerr := cancelAmount(&p, a)
	if cerr != nil {
		e.mu.Unlock()
		return portone.Payment{}, cerr
	}
	now := e.nowUnix()
	c := portone.Cancellation{
		PGTID:          p.PGTID.String,
		Amount:         amt,
		CancelledAt:    now,
		Reason:         a.reason,
		CancellationID: e.alnum(20),
		ReceiptURL:     p.ReceiptURL,
	}
	p.CancelAmount = p.CancelAmount.Add(amt)
	p.CancelHistory = append(p.CancelHistory, c)
	if c.ReceiptURL.Valid {
		p.CancelReceiptURLs = append(p.CancelReceiptURLs, c.ReceiptURL.String)
	}
	p.CancelledAt = now
	p.CancelReason = portone.NewNullString(a.reason)
	p.Status = portone.StatusCancelled
	if e.cfg.PartialCancelKeepsPaid && p.CancelAmount.Cmp(p.Amount) < 0 {
		p.Status = portone.StatusPaid
	}
	err := e.update(rec, p, func(r *record) {
		if !a.console {
			r.apiCancels++
		}
	})
	hook := rec.hook
	out := clonePayment(rec.p)
	e.mu.Unlock()
	if err != nil {
		return portone.Payment{}, err
	}
	if a.console || (a.enableWebhook && len(hook.urls) > 0) {
		e.hooks.send(hook, notice{ImpUID: p.ImpUID, MerchantUID: p.MerchantUID, Status: portone.StatusCancelled, CancellationID: c.CancellationID}, nil)
	}
	return out, nil
}

// cancelTarget finds the payment to cancel: imp_uid wins over
// merchant_uid, and an unknown imp_uid fails even if merchant_uid is
// good. Callers hold mu.
func (e *Emulator) cancelTarget(a cancelArgs) (*record, *CancelError) {
	var rec *record
	switch {
	case a.impUID != "":
		rec = e.ledger.byImpUID[a.impUID]
	case a.merchantUID != "":
		// The paid attempt if there is one, else a cancelled one, so
		// that a repeated cancel hears "already cancelled".
		for _, r := range e.ledger.byMerchant[a.merchantUID] {
			if r.p.Status == portone.StatusPaid {
				rec = r
				break
			}
			if r.p.Status == portone.StatusCancelled {
				rec = r
			}
		}
	default:
		return nil, refuse(1, portone.MsgCancelIDRequired)
	}
	switch {
	case rec == nil:
		return nil, refuse(1, portone.MsgCancelNotFound)
	case rec.p.Status == portone.StatusCancelled && rec.p.Cancellable().Sign() <= 0:
		return nil, refuse(1, portone.MsgAlreadyCancelled)
	case rec.p.Status != portone.StatusPaid && rec.p.Status != portone.StatusCancelled:
		return nil, refuse(1, portone.MsgCancelNotFound)
	}
	return rec, nil
}

// cancelAmount checks the checksum and the amount against what remains.
func cancelAmount(p *portone.Payment, a cancelArgs) (portone.Amount, *CancelError) {
	for _, f := range []struct {
		name string
		v    *portone.Amount
	}{{"amount", a.amount}, {"checksum", a.checksum}} {
		if f.v == nil {
			continue
		}
		if err := checkAmount(f.name, *f.v, p.Currency); err != nil {
			ce := refuse(-1, portone.MsgCancelBadAmount+" "+err.Error())
			ce.Invalid = true
			return portone.Amount{}, ce
		}
	}
	remaining := p.Cancellable()
	if remaining.Sign() <= 0 {
		return portone.Amount{}, refuse(1, portone.MsgAlreadyCancelled)
	}
	if a.checksum != nil && a.checksum.Cmp(remaining) != 0 {
		return portone.Amount{}, refuse(1, portone.MsgChecksumMismatch)
	}
	amt := remaining
	if a.amount != nil && !a.amount.IsZero() {
		amt = *a.amount
	}
	switch {
	case amt.Sign() < 0:
		return portone.Amount{}, refuse(-1, portone.MsgCancelBadAmount)
	case amt.Cmp(remaining) > 0:
		return portone.Amount{}, refuse(-1, portone.MsgCancelExceeds)
	case !a.console && p.PayMethod == portone.PayMethodVbank && a.refundAccount == "":
		return portone.Amount{}, refuse(-1, portone.MsgCancelRefundAccount)
	}
	return amt, nil
}

// handleCancel serves POST /payments/cancel. Every refusal is HTTP 200
// with a non-zero code and response null, as PortOne does.
func (e *Emulator) handleCancel(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeFail(w, http.StatusBadRequest, -1, err.Error())
		return
	}
	a := cancelArgs{
		impUID:        p.get("imp_uid"),
		merchantUID:   p.get("merchant_uid"),
		reason:        p.get("reason"),
		refundAccount: p.get("refund_account"),
		enableWebhook: p.flag("enable_webhook"),
	}
	for key, dst := range map[string]**portone.Amount{"amount": &a.amount, "checksum": &a.checksum} {
		v, ok, err := p.amount(key)
		if err != nil {
			writeFail(w, http.StatusOK, -1, portone.MsgCancelBadAmount+" "+err.Error())
			return
		}
		if ok {
			*dst = &v
		}
	}
	pay, err := e.cancel(a)
	var ce *CancelError
	switch {
	case errors.As(err, &ce):
		writeFail(w, http.StatusOK, ce.Code, ce.Message)
	case err != nil:
		writeFail(w, http.StatusInternalServerError, -1, err.Error())
	default:
		writeOK(w, &pay)
	}
}

// ConsoleCancel cancels amount of the payment impUID (zero: all that
// remains) as if done in PortOne's admin console: the reason is
// 관리자페이지취소 and a cancelled webhook with cancellation_id is sent.
func (e *Emulator) ConsoleCancel(impUID string, amount portone.Amount) (*portone.Payment, error) {
	p, err := e.cancel(cancelArgs{impUID: impUID, amount: &amount, reason: consoleCancelReason, console: true})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
