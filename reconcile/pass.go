package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// Pass checks every order that is due now, batch by batch, and returns
// what it did. When PortOne fails transiently (unreachable, 5xx, rate
// limited) the pass stops early and returns a KindTransient error; the
// orders it had not finished stay due, for the next pass after a backoff.
// A failure to check one order for any other reason is counted in
// Summary.Errors and logged, and the pass goes on.
func (r *Reconciler) Pass(ctx context.Context) (Summary, error) {
	if err := r.check(); err != nil {
		return Summary{}, err
	}
	p := &pass{r: r, lim: r.limiter()}
	for {
		orders, err := r.Store.DueOrders(ctx, r.now(), r.batchSize(), r.lease())
		if err != nil {
			return p.summary(), err
		}
		if len(orders) == 0 {
			return p.summary(), nil
		}
		if err := p.batch(ctx, orders); err != nil {
			return p.summary(), err
		}
	}
}

// pass is the state of one Pass, shared by its goroutines.
type pass struct {
	r   *Reconciler
	lim *limiter

	mu      sync.Mutex
	sum     Summary
	stopErr error // set when the pass must stop early
}

func (p *pass) summary() Summary {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sum
}

// batch checks the claimed orders, Concurrency at a time. Once one check
// hits a transient PortOne failure, the orders not yet started are given
// back (due now) and batch returns that failure.
func (p *pass) batch(ctx context.Context, orders []*payresult.Order) error {
	sem := make(chan struct{}, p.r.concurrency())
	var wg sync.WaitGroup
	for i, o := range orders {
		sem <- struct{}{}
		if err := p.stopped(ctx); err != nil {
			<-sem
			p.r.release(ctx, orders[i:])
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			p.order(ctx, o)
		})
	}
	wg.Wait()
	return p.stopped(ctx)
}

// stopped returns why the pass must stop, or nil.
func (p *pass) stopped(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopErr
}

// order checks one claimed order, counts the result and schedules its
// next check.
func (p *pass) order(ctx context.Context, o *payresult.Order) {
	cctx, cancel := context.WithTimeout(ctx, p.r.checkTimeout())
	v, err := p.r.checkOrder(cctx, p.lim, o)
	cancel()
	if err != nil && !payresult.IsTransient(err) && cctx.Err() != nil && ctx.Err() == nil {
		err = payresult.WrapError(payresult.KindTransient, err, "PortOne did not answer within %s", p.r.checkTimeout())
	}
	if ctx.Err() != nil {
		return // the lease runs out and the order is due again
	}
	if payresult.IsTransient(err) {
		p.r.release(ctx, []*payresult.Order{o})
		p.mu.Lock()
		if p.stopErr == nil {
			p.stopErr = fmt.Errorf("reconcile: pass stopped early at order %s: %w", o.MerchantUID, err)
		}
		p.sum.Errors++
		p.mu.Unlock()
		return
	}
	if err != nil {
		p.r.logger().Warn("reconciler check failed", "merchant_uid", o.MerchantUID, "err", err)
	}
	p.count(o, v, err)
	p.r.reschedule(ctx, o.MerchantUID)
}

// count adds one checked order to the summary.
func (p *pass) count(before *payresult.Order, v verdict, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sum.Checked++
	if err != nil {
		p.sum.Errors++
	}
	if v.changed && v.order != nil {
		p.sum.Changed++
		if open(before.Status) && paidStatus(v.order.Status) {
			p.sum.PaidLate++
		}
		if before.Status != payresult.StatusExpired && v.order.Status == payresult.StatusExpired {
			p.sum.Expired++
		}
	}
	if p.r.OnProgress != nil {
		p.r.OnProgress(p.sum)
	}
}

// verdict is what the checks of one order did.
type verdict struct {
	changed bool             // some Confirm stored a change
	order   *payresult.Order // the order after the last Confirm
}

// checkOrder looks o up at PortOne and runs what it finds through
// Confirm: a paid payment of the merchant_uid first (it settles the order
// whatever else happened), else the latest payment (a virtual account, a
// failure, a payment paid and already cancelled), and then the known
// attempts that PortOne last reported as ready. A V2 order has one
// payment, named by its merchant_uid, whose look-up tells its latest
// state: one Confirm through the V2 gateway checks it.
func (r *Reconciler) checkOrder(ctx context.Context, lim *limiter, o *payresult.Order) (verdict, error) {
	v := verdict{order: o}
	if !o.NeedsCheck() {
		return v, nil
	}
	confirm := func(impUID string) error {
		if err := lim.wait(ctx); err != nil {
			return err
		}
		res, err := r.Processor.Confirm(ctx, payresult.Notice{
			Source: payresult.SourceReconciler, ImpUID: impUID, MerchantUID: o.MerchantUID, API: o.PortOneAPI(),
		})
		if res != nil && res.Order != nil {
			v.order = res.Order
			v.changed = v.changed || res.Changed
		}
		return err
	}
	if o.PortOneAPI() == payresult.APIV2 {
		return v, confirm("")
	}
	paid, err := r.findPaid(ctx, lim, o.MerchantUID)
	if err != nil {
		return v, err
	}
	if paid != nil {
		return v, confirm(paid.ImpUID)
	}
	if err := confirm(""); err != nil {
		return v, err
	}
	attempts, err := r.Store.Attempts(ctx, o.MerchantUID)
	if err != nil {
		return v, err
	}
	for _, a := range attempts {
		if !v.order.NeedsCheck() {
			break
		}
		if a.Status == portone.StatusReady && a.ImpUID != v.order.ImpUID {
			if err := confirm(a.ImpUID); err != nil {
				return v, err
			}
		}
	}
	return v, nil
}

// findPaid returns the paid payment of merchantUID, or nil when PortOne
// has none.
func (r *Reconciler) findPaid(ctx context.Context, lim *limiter, merchantUID string) (*portone.Payment, error) {
	if r.finder() == nil {
		return nil, payresult.Errorf(payresult.KindInvalid, "order %s is a V1 order, and payresult is not configured for PortOne V1", merchantUID)
	}
	if err := lim.wait(ctx); err != nil {
		return nil, err
	}
	pay, err := r.finder().FindPayment(ctx, merchantUID, portone.StatusPaid)
	switch {
	case err == nil:
		return pay, nil
	case portone.IsNotFound(err):
		return nil, nil
	case portone.IsTransient(err), portone.IsUnauthorized(err),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return nil, payresult.WrapError(payresult.KindTransient, err, "finding the paid payment of %s", merchantUID)
	}
	return nil, payresult.WrapError(payresult.KindInternal, err, "finding the paid payment of %s", merchantUID)
}

// release makes claimed orders due again now, best-effort: if it fails,
// their lease runs out and they are due a little later.
func (r *Reconciler) release(ctx context.Context, orders []*payresult.Order) {
	if ctx.Err() != nil {
		return
	}
	now := r.now()
	for _, o := range orders {
		if err := r.Store.ScheduleCheck(ctx, o.MerchantUID, now, o.Checks); err != nil {
			r.logger().Debug("order not released; its lease will run out", "merchant_uid", o.MerchantUID, "err", err)
		}
	}
}

// reschedule counts a check of the order and sets its next one from its
// state as stored now, which may be newer than what the check saw.
func (r *Reconciler) reschedule(ctx context.Context, merchantUID string) {
	cur, err := r.Store.Order(ctx, merchantUID)
	if err == nil {
		checks := cur.Checks + 1
		err = r.Store.ScheduleCheck(ctx, merchantUID, r.nextCheck(cur, checks, r.now()), checks)
	}
	if err != nil {
		r.logger().Warn("next check not scheduled; the order is due again when its lease runs out", "merchant_uid", merchantUID, "err", err)
	}
}

// nextCheck returns when o should be checked again after its check number
// checks, or the zero time for never.
func (r *Reconciler) nextCheck(o *payresult.Order, checks int, now time.Time) time.Time {
	if !o.NeedsCheck() {
		return time.Time{}
	}
	sched := r.schedule()
	exhausted := checks >= len(sched)
	step := sched[len(sched)-1]
	if !exhausted {
		step = sched[checks]
	}
	next := now.Add(step)
	switch {
	case o.Status == payresult.StatusVbankIssued && o.Vbank != nil && !o.Vbank.Deadline.IsZero():
		// Look right after the deadline, so that expiry is prompt. Once it
		// has passed, keep looking: PortOne has not confirmed it yet.
		due := o.Vbank.Deadline.Add(r.expiryGrace())
		if due.After(now) && (exhausted || due.Before(next)) {
			next = due
		}
	case exhausted && o.Status == payresult.StatusPending:
		return time.Time{}
	}
	return next
}

// open reports whether s still waits for a payment.
func open(s payresult.Status) bool {
	switch s {
	case payresult.StatusPending, payresult.StatusFailed, payresult.StatusVbankIssued:
		return true
	}
	return false
}

// paidStatus reports whether s means money was received for the order.
func paidStatus(s payresult.Status) bool {
	switch s {
	case payresult.StatusPaid, payresult.StatusPartiallyRefunded, payresult.StatusRefunded:
		return true
	}
	return false
}
