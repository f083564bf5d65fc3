package portone

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// Cancel cancels (refunds) a payment in full or in part:
// POST /payments/cancel. It returns the payment as PortOne left it.
//
// PortOne refuses a cancel with HTTP 200 and a non-zero code; Cancel
// returns those refusals as *Error (see IsNotFound, IsAlreadyCancelled,
// IsChecksumMismatch).
//
// A cancel moves money, so it is retried after a network error, 429 or
// 5xx only when req.Checksum is set: PortOne then refuses a repeat whose
// first attempt went through, instead of refunding twice. When a retry is
// refused that way (checksum mismatch, or already fully cancelled), Cancel
// reads the payment back and reports success if its cancellable balance is
// what the earlier attempt would have left (Checksum - Amount, or 0 for a
// full cancel); otherwise it returns the refusal. Without Checksum a
// failed attempt is returned as is and its outcome is unknown: look the
// payment up before trying again.
func (c *Client) Cancel(ctx context.Context, req *CancelRequest) (*Payment, error) {
	if err := checkCancel(req); err != nil {
		return nil, err
	}
	r := &call{method: "POST", path: "/payments/cancel", body: req, auth: true, retry: noRetry}
	if req.Checksum != nil {
		r.retry = retrySafe
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	var p *Payment
	err = decode(r, resp, &p, false)
	if err == nil && p == nil {
		err = fmt.Errorf("portone: %s: success without a payment", r.endpoint())
	}
	if err != nil && resp.attempts > 1 && (IsChecksumMismatch(err) || IsAlreadyCancelled(err)) {
		if done, rerr := c.cancelTookEffect(ctx, req); rerr == nil && done != nil {
			return done, nil
		}
	}
	return p, err
}

// cancelTookEffect reads the payment back after a checksum refusal of a
// retried cancel and returns it when an earlier attempt did the cancel.
func (c *Client) cancelTookEffect(ctx context.Context, req *CancelRequest) (*Payment, error) {
	var p *Payment
	var err error
	if req.ImpUID != "" {
		p, err = c.Payment(ctx, req.ImpUID, true)
	} else {
		p, err = c.FindPayment(ctx, req.MerchantUID, "")
	}
	if err != nil {
		return nil, err
	}
	want := Amount{}
	if req.Amount != nil && !req.Amount.IsZero() {
		want = req.Checksum.Sub(*req.Amount)
	}
	if p.Cancellable() != want {
		return nil, nil
	}
	return p, nil
}

func checkCancel(req *CancelRequest) error {
	if req == nil {
		return &InputError{Field: "request", Reason: "nil"}
	}
	if req.ImpUID == "" && req.MerchantUID == "" {
		return &InputError{Field: "imp_uid", Reason: "one of imp_uid or merchant_uid is required"}
	}
	if req.ImpUID != "" {
		if err := checkImpUID(req.ImpUID); err != nil {
			return err
		}
	}
	if req.MerchantUID != "" {
		if err := checkMerchantUID(req.MerchantUID); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    *Amount
	}{{"amount", req.Amount}, {"tax_free", req.TaxFree}, {"vat_amount", req.VatAmount}, {"checksum", req.Checksum}} {
		if f.v != nil && f.v.Sign() < 0 {
			return &InputError{Field: f.name, Reason: fmt.Sprintf("%s is negative", f.v)}
		}
	}
	amount := Amount{}
	if req.Amount != nil {
		amount = *req.Amount
	}
	if req.Checksum != nil && amount.Cmp(*req.Checksum) > 0 {
		return &InputError{Field: "amount", Reason: fmt.Sprintf("%s is more than the cancellable %s (checksum)", amount, req.Checksum)}
	}
	if req.TaxFree != nil && !amount.IsZero() && req.TaxFree.Cmp(amount) > 0 {
		return &InputError{Field: "tax_free", Reason: fmt.Sprintf("%s is more than amount %s", req.TaxFree, amount)}
	}
	if n := utf8.RuneCountInString(req.Reason); n > maxReasonLen {
		return &InputError{Field: "reason", Reason: fmt.Sprintf("%d characters, more than %d", n, maxReasonLen)}
	}
	return nil
}
