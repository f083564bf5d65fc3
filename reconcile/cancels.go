package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// CancelLister lists PortOne's payments by final status (GET
// /payments/status/{status}); *portone.Client is one.
type CancelLister interface {
	PaymentsByStatus(ctx context.Context, status string, q portone.ListQuery) (*portone.PaymentPage, error)
}

// Defaults of the cancel sweep.
const (
	DefaultCancelSweepInterval = 10 * time.Minute
	// DefaultCancelLookback is how far back the first sweep after a start
	// looks: refunds made while payresult was down are found too.
	DefaultCancelLookback = 72 * time.Hour
	// cancelOverlap is how much of the previous sweep's window the next
	// one reads again, for cancels PortOne recorded with a time just
	// before the previous listing but made visible only after it.
	cancelOverlap   = 5 * time.Minute
	cancelPageLimit = 100
)

// SweepCancels lists the payments PortOne reports cancelled between from
// and to, and runs through Confirm each one whose order payresult holds as
// refunded by less than PortOne has: a refund made in PortOne's console,
// or by the PG, whose cancelled webhook never arrived (V1 sends it once).
// The order then becomes partially_refunded or refunded, with its event,
// as if the webhook had come. Payments of merchant_uids payresult does not
// know (another system on the same PortOne account) are left alone, and
// orders already up to date cost no Confirm.
//
// PortOne lists a payment by its final status, timed by cancelled_at. A
// PG or channel whose partial cancels leave the payment paid (sources
// disagree on which do) keeps those partial refunds off the list: they
// reach the order by their webhook, or with a later full cancel.
//
// A PortOne failure stops the sweep with a KindTransient error; sweeping
// the same window again is safe.
func (r *Reconciler) SweepCancels(ctx context.Context, from, to time.Time) (Summary, error) {
	if err := r.check(); err != nil {
		return Summary{}, err
	}
	if r.cancels() == nil {
		return Summary{}, payresult.Errorf(payresult.KindInvalid, "reconcile: no cancel lister")
	}
	p := &pass{r: r, lim: newLimiter(r.rateLimit())}
	for start := from; start.Before(to); start = start.Add(portone.MaxStatusRange) {
		end := start.Add(portone.MaxStatusRange)
		if end.After(to) {
			end = to
		}
		if err := p.sweepWindow(ctx, start, end); err != nil {
			return p.summary(), err
		}
	}
	return p.summary(), nil
}

// sweepWindow sweeps one window of at most 90 days, page by page.
func (p *pass) sweepWindow(ctx context.Context, from, to time.Time) error {
	q := portone.ListQuery{Page: 1, Limit: cancelPageLimit, From: from, To: to}
	for {
		if err := p.lim.wait(ctx); err != nil {
			return err
		}
		page, err := p.r.cancels().PaymentsByStatus(ctx, string(portone.StatusCancelled), q)
		if err != nil {
			return payresult.WrapError(payresult.KindTransient, err, "reconcile: listing PortOne's cancelled payments")
		}
		for i := range page.List {
			if err := p.cancelled(ctx, &page.List[i]); err != nil {
				return err
			}
		}
		if page.Next == 0 || page.Next <= q.Page {
			return nil
		}
		q.Page = page.Next
	}
}

// cancelled confirms one cancelled payment when its order is behind.
func (p *pass) cancelled(ctx context.Context, pay *portone.Payment) error {
	o, err := p.r.Store.Order(ctx, pay.MerchantUID)
	if payresult.IsNotFound(err) {
		return nil // not an order of payresult's
	}
	if err != nil {
		return err
	}
	if !behind(o, pay) {
		return nil
	}
	if err := p.lim.wait(ctx); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, p.r.checkTimeout())
	res, err := p.r.Processor.Confirm(cctx, payresult.Notice{
		Source: payresult.SourceReconciler, ImpUID: pay.ImpUID, MerchantUID: pay.MerchantUID,
	})
	cancel()
	if payresult.IsTransient(err) {
		p.mu.Lock()
		p.sum.Errors++
		p.mu.Unlock()
		return fmt.Errorf("reconcile: sweep stopped at order %s: %w", o.MerchantUID, err)
	}
	if err != nil {
		p.r.logger().Warn("reconciler could not apply a cancel", "merchant_uid", o.MerchantUID, "imp_uid", pay.ImpUID, "err", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sum.Checked++
	if err != nil {
		p.sum.Errors++
	}
	if res != nil && res.Changed && res.Order != nil {
		p.sum.Changed++
		if res.Order.RefundedAmount.Cmp(o.RefundedAmount) > 0 {
			p.sum.Refunded++
		}
	}
	if p.r.OnProgress != nil {
		p.r.OnProgress(p.sum)
	}
	return nil
}

// behind reports whether o, paid by pay, holds less refunded than PortOne
// has cancelled of pay. Other orders (forged ones, which the reconciler
// checks anyway until their cancel is confirmed; orders paid by another
// attempt) are left to the regular checks and to Confirm's own notices.
func behind(o *payresult.Order, pay *portone.Payment) bool {
	if o.ImpUID != pay.ImpUID {
		return false
	}
	switch o.Status {
	case payresult.StatusPaid, payresult.StatusPartiallyRefunded:
		return o.RefundedAmount.Cmp(pay.CancelAmount) < 0
	}
	return false
}

// cancelSweep is Run's schedule of cancel sweeps: each one reads from a
// little before where the last successful one ended, so a failed sweep's
// window is read again.
type cancelSweep struct {
	r    *Reconciler
	done time.Time // where the last successful sweep ended
	next time.Time // when the next sweep is due
}

// maybe sweeps when a sweep is due.
func (s *cancelSweep) maybe(ctx context.Context) {
	r := s.r
	if r.cancels() == nil || r.CancelSweepInterval < 0 {
		return
	}
	now := r.now()
	if now.Before(s.next) {
		return
	}
	s.next = now.Add(positive(r.CancelSweepInterval, DefaultCancelSweepInterval))
	from := now.Add(-r.cancelLookback())
	if !s.done.IsZero() {
		from = s.done.Add(-cancelOverlap)
	}
	sum, err := r.SweepCancels(ctx, from, now)
	if err != nil {
		if ctx.Err() == nil {
			r.logger().Warn("cancel sweep cut short; its window is read again next time", "err", err, "from", from)
		}
		return
	}
	s.done = now
	if sum.Checked > 0 {
		r.logger().Info("cancel sweep", "checked", sum.Checked, "refunded", sum.Refunded, "errors", sum.Errors)
	}
}
