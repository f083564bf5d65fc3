package payresult

import (
	"context"
	"fmt"
	"strings"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// V2Gateway is the Gateway of orders registered for PortOne V2: it speaks
// V2's REST API through a *portonev2.Client and shows each V2 payment to
// the processor as the payment V1 would report, so that one Confirm, one
// decide and one set of checks serve both APIs.
//
// Under V2 the merchant names the payment: its paymentId is the order's
// merchant_uid, and the payment's imp_uid, as the processor sees it, is
// that paymentId too. The mapping of V2's states:
//
//   - READY and PAY_PENDING: ready (still waiting);
//   - VIRTUAL_ACCOUNT_ISSUED: ready with the virtual account (vbank issued);
//   - PAID and PARTIAL_CANCELLED: paid, with cancel_amount from
//     amount.cancelled (a partial refund);
//   - CANCELLED: cancelled, with cancel_amount from amount.cancelled;
//   - FAILED: failed; anything else is kept as an unknown status, which
//     Confirm records and ignores.
//
// The amount is amount.total and the currency V2's ISO code; V2 counts
// amounts in minor units, converted here to the currency's major unit as
// payresult's orders count. A payment on a TEST channel is a sandbox
// payment. A cancel sends the caller's checksum as
// currentCancellableAmount, with one Idempotency-Key for all of the
// client's retries, so that it never cancels twice.
type V2Gateway struct {
	Client *portonev2.Client
}

// The statuses a V2 payment is shown with when no V1 status fits: the
// processor ignores them.
const v2UnknownStatusPrefix = "v2:"

// Payment looks the V2 payment paymentID up (impUID is the paymentId).
// includeSandbox is ignored: V2 always answers, and Confirm checks the
// test-channel flag itself.
func (g *V2Gateway) Payment(ctx context.Context, impUID string, includeSandbox bool) (*portone.Payment, error) {
	p, err := g.Client.Payment(ctx, impUID)
	if err != nil {
		return nil, err
	}
	return V1PaymentOf(p)
}

// FindPayment looks up the payment of merchantUID, V2's paymentId. With a
// status, a payment in another state is reported as not found, as V1's
// find does.
func (g *V2Gateway) FindPayment(ctx context.Context, merchantUID string, status portone.Status) (*portone.Payment, error) {
	pay, err := g.Payment(ctx, merchantUID, true)
	if err != nil {
		return nil, err
	}
	if status != "" && pay.Status != status {
		return nil, &portonev2.Error{HTTPStatus: 404, Type: portonev2.ErrTypePaymentNotFound,
			Message: fmt.Sprintf("payment %s is %s, not %s", merchantUID, pay.Status, status), Endpoint: "GET /payments/" + merchantUID}
	}
	return pay, nil
}

// Prepare pre-registers the amount and currency of merchantUID with V2's
// pre-register call.
func (g *V2Gateway) Prepare(ctx context.Context, merchantUID string, amount portone.Amount, currency string) (*portone.Prepared, error) {
	total, err := minorUnits(amount, currency)
	if err != nil {
		return nil, err
	}
	if err := g.Client.PreRegister(ctx, merchantUID, portonev2.PreRegistration{TotalAmount: total, Currency: currency}); err != nil {
		return nil, err
	}
	return &portone.Prepared{MerchantUID: merchantUID, Amount: amount, Currency: currency}, nil
}

// Cancel cancels req.Amount (all that remains when nil) of the payment
// req.ImpUID (or req.MerchantUID), with req.Checksum as
// currentCancellableAmount, and returns the payment as PortOne then
// reports it. A refund account's bank must be V2's bank code (such as
// SHINHAN). An asynchronous cancel (a virtual account's refund) leaves
// the payment's cancelled amount as it was until PortOne completes it.
func (g *V2Gateway) Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error) {
	id := req.ImpUID
	if id == "" {
		id = req.MerchantUID
	}
	// The amounts are in the payment's currency, which a V1 cancel
	// request does not carry.
	before, err := g.Client.Payment(ctx, id)
	if err != nil {
		return nil, err
	}
	c := portonev2.CancelRequest{Reason: req.Reason, Requester: "ADMIN"}
	for _, f := range []struct {
		from *portone.Amount
		to   **int64
	}{{req.Amount, &c.Amount}, {req.TaxFree, &c.TaxFreeAmount}, {req.VatAmount, &c.VatAmount}, {req.Checksum, &c.CurrentCancellableAmount}} {
		if f.from == nil {
			continue
		}
		v, err := minorUnits(*f.from, before.Currency)
		if err != nil {
			return nil, err
		}
		*f.to = &v
	}
	if req.RefundAccount != "" {
		c.RefundAccount = &portonev2.RefundAccount{Bank: req.RefundBank, Number: req.RefundAccount,
			HolderName: req.RefundHolder, HolderPhoneNumber: req.RefundTel}
	}
	if _, err := g.Client.Cancel(ctx, id, c); err != nil {
		return nil, err
	}
	return g.Payment(ctx, id, true)
}

// PaymentsByStatus lists V2 payments in the state V1 calls status, whose
// state changed between q.From and q.To, a page of q.Limit at a time
// (q.Page from 1), as the reconciler's sweeps read V1's
// GET /payments/status: "paid" lists V2's PAID and PARTIAL_CANCELLED
// payments (V1 reports a partial cancel as paid), "cancelled" its
// CANCELLED and PARTIAL_CANCELLED ones (so that the cancel sweep, which
// looks days back, finds partial refunds too; they are shown as paid with
// their cancelled amount), "ready" its issued virtual accounts, "failed"
// its FAILED ones.
func (g *V2Gateway) PaymentsByStatus(ctx context.Context, status string, q portone.ListQuery) (*portone.PaymentPage, error) {
	var states []portonev2.Status
	switch portone.Status(status) {
	case portone.StatusCancelled:
		states = []portonev2.Status{portonev2.StatusCancelled, portonev2.StatusPartialCancelled}
	case portone.StatusPaid:
		states = []portonev2.Status{portonev2.StatusPaid, portonev2.StatusPartialCancelled}
	case portone.StatusReady:
		states = []portonev2.Status{portonev2.StatusVirtualAccountIssued}
	case portone.StatusFailed:
		states = []portonev2.Status{portonev2.StatusFailed}
	default:
		return nil, &portone.InputError{Field: "status", Reason: "must be paid, ready, failed or cancelled for PortOne V2"}
	}
	page, limit := max(q.Page, 1), q.Limit
	if limit <= 0 {
		limit = 20
	}
	got, err := g.Client.Payments(ctx, portonev2.PaymentFilter{TimestampType: "STATUS_CHANGED_AT", From: q.From, Until: q.To,
		Status: states, SortBy: "STATUS_CHANGED_AT", SortOrder: "ASC"}, portonev2.PageInput{Number: int32(page - 1), Size: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := &portone.PaymentPage{Total: int(got.Page.TotalCount), Previous: page - 1}
	if page*limit < int(got.Page.TotalCount) {
		out.Next = page + 1
	}
	for i := range got.Items {
		pay, err := V1PaymentOf(&got.Items[i])
		if err != nil {
			return nil, err
		}
		out.List = append(out.List, *pay)
	}
	return out, nil
}

// V1PaymentOf shows the V2 payment p as the processor sees payments: in
// V1's shape, as V2Gateway describes.
func V1PaymentOf(p *portonev2.Payment) (*portone.Payment, error) {
	if p == nil || p.ID == "" {
		return nil, fmt.Errorf("portonev2: a payment without its paymentId")
	}
	pay := &portone.Payment{
		ImpUID:      p.ID,
		MerchantUID: p.ID,
		Amount:      fromMinorUnits(p.Amount.Total, p.Currency),
		// A full cancel's amount, whatever discounts reduced what was
		// paid: refunds are counted against the order's amount.
		CancelAmount: fromMinorUnits(p.Amount.Cancelled, p.Currency),
		Currency:     p.Currency,
		Name:         portone.NewNullString(p.OrderName),
		Sandbox:      p.IsTest(),
		StartedAt:    portone.TimeOf(p.RequestedAt),
		PaidAt:       portone.TimeOf(p.PaidAt),
		FailedAt:     portone.TimeOf(p.FailedAt),
		CancelledAt:  portone.TimeOf(p.CancelledAt),
		PayMethod:    v1Method(p.Method),
		PGTID:        nullString(p.PgTxID),
		ReceiptURL:   nullString(p.ReceiptURL),
	}
	if p.Channel != nil {
		pay.PGProvider = nullString(p.Channel.PgProvider)
	}
	if n := len(p.Cancellations); n > 0 {
		pay.CancelReason = nullString(p.Cancellations[n-1].Reason)
	}
	if p.Failure != nil {
		reason := p.Failure.Reason
		if reason == "" {
			reason = p.Failure.PgMessage
		}
		pay.FailReason = nullString(reason)
	}
	if m := p.Method; m != nil && m.Type == portonev2.MethodVirtualAccount {
		pay.VbankCode, pay.VbankName = nullString(m.Bank), nullString(m.Bank)
		pay.VbankNum, pay.VbankHolder = nullString(m.AccountNumber), nullString(m.RemitteeName)
		pay.VbankDate, pay.VbankIssuedAt = portone.TimeOf(m.ExpiredAt), portone.TimeOf(m.IssuedAt)
	}
	switch p.Status {
	case portonev2.StatusReady, portonev2.StatusPayPending, portonev2.StatusVirtualAccountIssued:
		pay.Status = portone.StatusReady
		if p.Status != portonev2.StatusVirtualAccountIssued {
			// Only an issued account waits for a deposit; a window left
			// open on the virtual-account method has none yet.
			pay.VbankNum = portone.NullString{}
		}
	case portonev2.StatusPaid, portonev2.StatusPartialCancelled:
		pay.Status = portone.StatusPaid
	case portonev2.StatusCancelled:
		pay.Status = portone.StatusCancelled
	case portonev2.StatusFailed:
		pay.Status = portone.StatusFailed
	default:
		pay.Status = portone.Status(v2UnknownStatusPrefix + strings.ToLower(string(p.Status)))
	}
	return pay, nil
}

// v1Method maps V2's payment method onto V1's pay_method.
func v1Method(m *portonev2.PaymentMethod) portone.PayMethod {
	if m == nil {
		return ""
	}
	switch m.Type {
	case portonev2.MethodCard:
		return portone.PayMethodCard
	case portonev2.MethodVirtualAccount:
		return portone.PayMethodVbank
	case portonev2.MethodTransfer:
		return portone.PayMethodTrans
	case portonev2.MethodMobile:
		return portone.PayMethodPhone
	case portonev2.MethodEasyPay:
		return portone.PayMethod(strings.ToLower(m.Provider))
	}
	return portone.PayMethod(strings.ToLower(strings.TrimPrefix(m.Type, "PaymentMethod")))
}

func nullString(s string) portone.NullString {
	if s == "" {
		return portone.NullString{}
	}
	return portone.NewNullString(s)
}

// minorUnits converts a, in currency's major unit, into the minor units V2
// counts in (cents for USD, won for KRW).
func minorUnits(a portone.Amount, currency string) (int64, error) {
	if err := a.CheckMinorUnit(currency); err != nil {
		return 0, err
	}
	d, _ := portone.MinorUnit(currency)
	scale := int64(1)
	for range 4 - d {
		scale *= 10
	}
	return a.Scaled() / scale, nil
}

// fromMinorUnits is the inverse of minorUnits. A currency ISO 4217 does
// not list is taken to have no minor unit: such a payment never matches
// an order anyway.
func fromMinorUnits(n int64, currency string) portone.Amount {
	d, ok := portone.MinorUnit(currency)
	if !ok {
		d = 0
	}
	scale := int64(1)
	for range 4 - d {
		scale *= 10
	}
	return portone.AmountFromScaled(n * scale)
}
