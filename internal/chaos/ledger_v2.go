package chaos

import (
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// v1View shows a V2 payment of the emulator's ledger as the soak's checks
// read a V1 one: the paymentId is both its merchant_uid and its imp_uid
// (as payresult's orders record it), amounts are whole won, a paid
// payment keeps its paid_at after a cancel, an issued virtual account is
// a ready vbank payment with its number, and each cancellation is one
// entry of the cancel history with its reason. The soak's payments are
// all in KRW, whose minor unit is the won. It is written apart from
// payresult.V1PaymentOf on purpose: the soak's checks must not share the
// code they check.
func v1View(p *portonev2.Payment) *portone.Payment {
	out := &portone.Payment{
		ImpUID: p.ID, MerchantUID: p.ID,
		Amount: portone.Won(p.Amount.Total), CancelAmount: portone.Won(p.Amount.Cancelled),
		PaidAt: portone.TimeOf(p.PaidAt),
	}
	switch p.Status {
	case portonev2.StatusPaid, portonev2.StatusPartialCancelled:
		out.Status = portone.StatusPaid
	case portonev2.StatusCancelled:
		out.Status = portone.StatusCancelled
	case portonev2.StatusFailed:
		out.Status = portone.StatusFailed
	default:
		out.Status = portone.StatusReady
	}
	if m := p.Method; p.Status == portonev2.StatusVirtualAccountIssued && m != nil && m.AccountNumber != "" {
		out.PayMethod, out.VbankNum = portone.PayMethodVbank, portone.NewNullString(m.AccountNumber)
	}
	for _, c := range p.Cancellations {
		out.CancelHistory = append(out.CancelHistory, portone.Cancellation{Amount: portone.Won(c.TotalAmount), Reason: c.Reason})
	}
	return out
}
