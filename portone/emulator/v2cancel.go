package emulator

import (
	"fmt"
	"net/http"
	"time"

	"github.com/payresult/payresult/portone/portonev2"
)

// V2CancelError is a V2 cancel PortOne refuses: the HTTP status and the
// error type and message of V2's envelope.
type V2CancelError struct {
	Status  int
	Type    string
	Message string
}

// Error returns the refusal with its type and message.
func (e *V2CancelError) Error() string {
	return "emulator: V2 cancel refused: " + e.Type + ": " + e.Message
}

func v2Refuse(status int, typ, format string, args ...any) *V2CancelError {
	return &V2CancelError{Status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// V2CancelRequest is one V2 cancel, from the API or the console.
type V2CancelRequest struct {
	Amount                   *int64 // nil: all that remains
	TaxFreeAmount            *int64
	Reason                   string
	CurrentCancellableAmount *int64
	RefundAccount            *portonev2.RefundAccount
	SkipWebhook              bool
	// Console marks a cancel made in PortOne's console: it needs no
	// refund account and is reported with trigger CONSOLE.
	Console bool
}

// cancellable is what p can still cancel: paid, less what is cancelled or
// being cancelled.
func v2Cancellable(p *portonev2.Payment) int64 {
	c := p.Amount.Paid - p.Amount.Cancelled
	for _, x := range p.Cancellations {
		if x.Status == portonev2.CancellationRequested {
			c -= x.TotalAmount
		}
	}
	return c
}

// CancelV2 cancels (part of) paymentID as PortOne V2 does. A refund of a
// virtual-account payment is asynchronous: the cancellation is REQUESTED
// (Transaction.CancelPending) until SettleV2Refunds completes it; every
// other cancel SUCCEEDS at once (Transaction.Cancelled or
// Transaction.PartialCancelled, unless SkipWebhook).
func (e *Emulator) CancelV2(paymentID string, req V2CancelRequest) (*portonev2.Cancellation, error) {
	e.mu.Lock()
	rec, ok := e.ledger.v2.byPaymentID[paymentID]
	if !ok {
		e.mu.Unlock()
		return nil, v2Refuse(http.StatusNotFound, "PAYMENT_NOT_FOUND", "결제 건이 존재하지 않습니다: %s", paymentID)
	}
	p := rec.p
	amt, cerr := v2CancelAmount(&p, req)
	if cerr != nil {
		e.mu.Unlock()
		return nil, cerr
	}
	now := e.v2Now()
	prof, _, _ := lookupPG(rec.channel.PG)
	c := portonev2.Cancellation{Status: portonev2.CancellationSucceeded, ID: e.uuid(), PgCancellationID: e.pgTID(prof, rec.v1Method()),
		TotalAmount: amt, Reason: req.Reason, RequestedAt: now, Trigger: "API"}
	if req.Console {
		c.Trigger = "CONSOLE"
	}
	if req.TaxFreeAmount != nil {
		c.TaxFreeAmount = *req.TaxFreeAmount
	}
	c.VatAmount = (amt - c.TaxFreeAmount) / 11
	async := rec.payMethod == "VIRTUAL_ACCOUNT" && !req.Console
	hook := "Transaction.CancelPending"
	if async {
		c.Status = portonev2.CancellationRequested
		p.Cancellations = append(append([]portonev2.Cancellation{}, p.Cancellations...), c)
		p.UpdatedAt = now
	} else {
		c.CancelledAt, c.ReceiptURL = now, prof.receipt+c.PgCancellationID
		hook = completeV2Cancel(&p, c, now)
	}
	err := e.updateV2(rec, p, func(r *v2record) {
		if !req.Console {
			r.apiCancels++
		}
	})
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !req.SkipWebhook || req.Console {
		e.sendV2(rec, hook, c.ID, nil)
	}
	return &c, nil
}

// completeV2Cancel applies a succeeded cancellation to p and returns the
// webhook it calls for.
func completeV2Cancel(p *portonev2.Payment, c portonev2.Cancellation, now time.Time) string {
	list := make([]portonev2.Cancellation, 0, len(p.Cancellations)+1)
	for _, x := range p.Cancellations {
		if x.ID != c.ID {
			list = append(list, x)
		}
	}
	p.Cancellations = append(list, c)
	p.Amount.Cancelled += c.TotalAmount
	p.Amount.CancelledTaxFree += c.TaxFreeAmount
	p.CancelledAt, p.UpdatedAt, p.StatusChangedAt = now, now, now
	p.Disputes = nil
	if p.Amount.Cancelled >= p.Amount.Paid {
		p.Status = portonev2.StatusCancelled
		return "Transaction.Cancelled"
	}
	p.Status = portonev2.StatusPartialCancelled
	return "Transaction.PartialCancelled"
}

// v2CancelAmount checks a cancel against p, as PortOne V2 does, and
// returns the amount it cancels.
func v2CancelAmount(p *portonev2.Payment, req V2CancelRequest) (int64, *V2CancelError) {
	switch p.Status {
	case portonev2.StatusCancelled:
		return 0, v2Refuse(http.StatusConflict, "PAYMENT_ALREADY_CANCELLED", "이미 전액 취소된 결제입니다.")
	case portonev2.StatusPaid, portonev2.StatusPartialCancelled:
	default:
		return 0, v2Refuse(http.StatusConflict, "PAYMENT_NOT_PAID", "결제 완료 상태가 아닌 결제 건입니다: %s", p.Status)
	}
	if req.Reason == "" && !req.Console {
		return 0, v2Refuse(http.StatusBadRequest, "INVALID_REQUEST", "reason is required")
	}
	remaining := v2Cancellable(p)
	if req.CurrentCancellableAmount != nil && *req.CurrentCancellableAmount != remaining {
		return 0, v2Refuse(http.StatusConflict, "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
			"취소 가능 금액(%d)이 요청의 currentCancellableAmount(%d)와 다릅니다.", remaining, *req.CurrentCancellableAmount)
	}
	if remaining <= 0 {
		return 0, v2Refuse(http.StatusConflict, "PAYMENT_ALREADY_CANCELLED", "취소할 수 있는 금액이 남아 있지 않습니다.")
	}
	amt := remaining
	if req.Amount != nil {
		amt = *req.Amount
	}
	taxFreeLeft := p.Amount.TaxFree - p.Amount.CancelledTaxFree
	switch {
	case amt <= 0:
		return 0, v2Refuse(http.StatusBadRequest, "INVALID_REQUEST", "amount must be positive")
	case amt > remaining:
		return 0, v2Refuse(http.StatusConflict, "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT", "취소 금액(%d)이 취소 가능 금액(%d)을 초과합니다.", amt, remaining)
	case req.TaxFreeAmount != nil && (*req.TaxFreeAmount < 0 || *req.TaxFreeAmount > taxFreeLeft):
		return 0, v2Refuse(http.StatusConflict, "CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT",
			"면세 취소 금액이 취소 가능 면세 금액(%d)을 초과합니다.", taxFreeLeft)
	case req.TaxFreeAmount != nil && *req.TaxFreeAmount > amt:
		return 0, v2Refuse(http.StatusConflict, "SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT", "면세 금액이 취소 금액을 초과합니다.")
	case p.Method != nil && p.Method.Type == portonev2.MethodVirtualAccount && !req.Console &&
		(req.RefundAccount == nil || req.RefundAccount.Bank == "" || req.RefundAccount.Number == "" || req.RefundAccount.HolderName == ""):
		return 0, v2Refuse(http.StatusBadRequest, "INVALID_REQUEST", "가상계좌 결제의 환불에는 환불 계좌(refundAccount: bank, number, holderName)가 필요합니다.")
	}
	return amt, nil
}

// SettleV2Refunds completes the REQUESTED cancellations of paymentID, as
// the bank does a day or two after a virtual-account refund is asked
// for, and sends their webhooks.
func (e *Emulator) SettleV2Refunds(paymentID string) (*portonev2.Payment, error) {
	e.mu.Lock()
	rec, ok := e.ledger.v2.byPaymentID[paymentID]
	if !ok {
		e.mu.Unlock()
		return nil, fmt.Errorf("emulator: no V2 payment %s", paymentID)
	}
	p := rec.p
	now := e.v2Now()
	prof, _, _ := lookupPG(rec.channel.PG)
	type sent struct{ hook, id string }
	var hooks []sent
	for _, c := range rec.p.Cancellations {
		if c.Status != portonev2.CancellationRequested {
			continue
		}
		c.Status, c.CancelledAt, c.ReceiptURL = portonev2.CancellationSucceeded, now, prof.receipt+c.PgCancellationID
		hooks = append(hooks, sent{completeV2Cancel(&p, c, now), c.ID})
	}
	if len(hooks) == 0 {
		e.mu.Unlock()
		return nil, fmt.Errorf("emulator: V2 payment %s has no refund waiting", paymentID)
	}
	err := e.updateV2(rec, p, nil)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		e.sendV2(rec, h.hook, h.id, nil)
	}
	return &p, nil
}
