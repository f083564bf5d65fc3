package payresult

import (
	"context"
	"fmt"
)

// Preview reports what Confirm would decide for a notice, without
// changing anything: it looks the payment up at PortOne and runs the same
// decision against the stored order, but stores no change, no attempt, no
// event and no note, and cancels nothing at PortOne. Operators
// use it (payresult verify) to see why an order is in the state it is.
//
// The Result's Order is the order as Confirm would leave it (the stored
// order when nothing would change), with Changed reporting whether it
// would change; its Version is not bumped. Errors are those of Confirm:
// KindInvalid, KindNotFound, KindMismatch (with the Result describing the
// refusal) and KindTransient.
func (p *Processor) Preview(ctx context.Context, n Notice) (*Result, error) {
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
		return nil, err
	}
	if pay == nil {
		o, err := p.Store.Order(ctx, n.MerchantUID)
		if IsNotFound(err) {
			return nil, Errorf(KindNotFound, "no order %q", n.MerchantUID)
		}
		if err != nil {
			return nil, err
		}
		return &Result{Order: o, Outcome: OutcomePending, Reason: "PortOne has no payment for the order yet"}, nil
	}
	if n.MerchantUID != "" && n.MerchantUID != pay.MerchantUID {
		why := fmt.Sprintf("payment %s belongs to %s, not to %s", pay.ImpUID, pay.MerchantUID, n.MerchantUID)
		return &Result{Payment: pay, Outcome: OutcomeRefused, Reason: why}, Errorf(KindMismatch, "%s", why)
	}
	res, d, err := p.evaluate(ctx, api, pay, p.now(), true)
	if err != nil {
		return res, err
	}
	if d.changes() {
		res.Order, res.Changed = d.next, true
	}
	return res, nil
}
