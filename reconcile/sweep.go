package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// Defaults of the sweeps.
const (
	// DefaultSweepInterval is how often a window that may still receive
	// payments is swept again, and how often Run starts a round.
	DefaultSweepInterval = time.Minute
	// DefaultSweepOverlap is how far back of where the last sweep of a
	// window began the next one reads again: PortOne may record a payment
	// with a time just before a listing and show it only after, and its
	// clock and payresult's differ a little. A window swept this long
	// after its end is final.
	DefaultSweepOverlap = 2 * time.Minute
	// DefaultCancelLookback is how far back the sweep of cancelled
	// payments reaches: refunds made while payresult was down are found
	// too.
	DefaultCancelLookback = 72 * time.Hour
	// sweepConcurrency is how many listed payments are confirmed at once:
	// as many as the stores group into one transaction (batch.MaxGroup).
	sweepConcurrency = 64
)

// SweepRound sweeps every window that is due now, newest first, and
// returns what it did. Windows cover the time since the oldest order
// still waiting for a check (for paid, ready and failed payments) and the
// last CancelLookback (for cancelled ones); a window is due when nobody
// else holds it, it is not final, and it was not swept in the last
// SweepInterval. Each window is claimed in the store before it is swept
// (so that several instances split the windows, and one window is swept
// by one instance at a time) and recorded when it is done (so that a
// restart resumes). A transient PortOne failure stops the round with a
// KindTransient error; the window it was in stays due.
//
// Each listed payment whose order it would change goes through
// Processor.ConfirmListed, which decides from the listed record without
// a look-up of its own (see there why that is safe); payments of orders
// payresult does not know, and of orders already up to date, cost
// nothing.
func (r *Reconciler) SweepRound(ctx context.Context) (Summary, error) {
	if err := r.check(); err != nil {
		return Summary{}, err
	}
	ls := r.listers()
	if len(ls) == 0 {
		return Summary{}, nil
	}
	ws := r.windows()
	now := r.now()
	waiting, oldest, err := ws.WaitingOrders(ctx)
	if err != nil {
		return Summary{}, err
	}
	r.progressOf().backlog(waiting, oldest, now)
	p := &pass{r: r, lim: r.limiter()}
	type dueWindow struct {
		l Lister
		w payresult.SweepWindow
	}
	var due []dueWindow
	for _, l := range ls {
		for _, st := range l.Statuses() {
			from := now.Add(-r.cancelLookback())
			if st.Status != string(portone.StatusCancelled) {
				if waiting == 0 {
					continue
				}
				from = oldest.Add(-r.sweepOverlap())
			}
			ws, err := r.dueWindows(ctx, l.API()+"/"+st.Status, st.Width, from, now)
			if err != nil {
				return p.summary(), err
			}
			for _, w := range ws {
				due = append(due, dueWindow{l, w})
			}
		}
	}
	// Newest first, whatever the API and status: a backlog's latest
	// orders are the ones whose buyers are still waiting.
	slices.SortStableFunc(due, func(a, b dueWindow) int { return b.w.Start.Compare(a.w.Start) })
	r.progressOf().round(len(due))
	for _, d := range due {
		if err := p.sweepClaimed(ctx, d.l, d.w); err != nil {
			return p.summary(), err
		}
	}
	return p.summary(), nil
}

// dueWindows lists the windows of kind, on the grid of width, from the
// one holding from to the one holding now, that are due for a sweep.
func (r *Reconciler) dueWindows(ctx context.Context, kind string, width time.Duration, from, now time.Time) ([]payresult.SweepWindow, error) {
	first := from.Truncate(width)
	stored, err := r.windows().SweepWindows(ctx, kind, first, now.Add(width))
	if err != nil {
		return nil, err
	}
	byStart := make(map[time.Time]payresult.SweepWindow, len(stored))
	for _, w := range stored {
		byStart[w.Start] = w
	}
	var due []payresult.SweepWindow
	for start := first; !start.After(now); start = start.Add(width) {
		w, ok := byStart[start]
		if !ok {
			w = payresult.SweepWindow{Kind: kind, Start: start, End: start.Add(width)}
		}
		if r.isDue(w, now) {
			due = append(due, w)
		}
	}
	return due, nil
}

// isDue reports whether w may be swept at now.
func (r *Reconciler) isDue(w payresult.SweepWindow, now time.Time) bool {
	switch {
	case w.Final:
		return false
	case w.Owner != "" && w.Owner != r.owner() && w.LeaseUntil.After(now):
		return false // another instance is sweeping it
	case !w.SweptAt.IsZero() && w.SweptAt.After(now.Add(-r.sweepInterval())):
		return false
	}
	return true
}

// sweepClaimed claims w and, when it gets it, sweeps it and records the
// sweep.
func (p *pass) sweepClaimed(ctx context.Context, l Lister, w payresult.SweepWindow) error {
	r := p.r
	ok, err := r.claim(ctx, w)
	if err != nil || !ok {
		r.progressOf().windowDone()
		return err
	}
	began := r.now()
	if err := p.sweep(ctx, l, w, r.sweepFrom(w), true); err != nil {
		return fmt.Errorf("reconcile: sweep of %s from %s stopped: %w", w.Kind, w.Start.Format(time.RFC3339), err)
	}
	final := !began.Before(w.End.Add(r.sweepOverlap()))
	if _, err := r.windows().FinishSweepWindow(ctx, w, r.owner(), began, final); err != nil {
		return err
	}
	r.progressOf().windowDone()
	return nil
}

// claim leases w to this reconciler, or renews its lease.
func (r *Reconciler) claim(ctx context.Context, w payresult.SweepWindow) (bool, error) {
	now := r.now()
	return r.windows().ClaimSweepWindow(ctx, w, r.owner(), now, now.Add(r.lease()), now.Add(-r.sweepInterval()))
}

// sweepFrom is where a sweep of w begins: w's start, or a little
// before where its last sweep began, when that is later.
func (r *Reconciler) sweepFrom(w payresult.SweepWindow) time.Time {
	if !w.SweptAt.IsZero() {
		if again := w.SweptAt.Add(-r.sweepOverlap()).Truncate(time.Second); again.After(w.Start) {
			return again
		}
	}
	return w.Start
}

// sweep lists w's payments from from to w.End page by page (renewing the
// claim of w with each page when claimed is set) and confirms what it
// lists, sweepConcurrency payments at a time while the next page is
// fetched.
func (p *pass) sweep(ctx context.Context, l Lister, w payresult.SweepWindow, from time.Time, claimed bool) error {
	status := w.Kind[len(l.API())+1:]
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan *portone.Payment, 2*sweepPageLimit)
	var wg sync.WaitGroup
	for range sweepConcurrency {
		wg.Go(func() {
			for pay := range work {
				if err := p.listed(ctx, payresult.API(l.API()), pay); err != nil {
					cancel(err)
				}
			}
		})
	}
	err := p.listPages(ctx, l, w, status, from, claimed, work)
	close(work)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// listPages fetches the pages of status in [from, w.End) into work.
func (p *pass) listPages(ctx context.Context, l Lister, w payresult.SweepWindow, status string, from time.Time, claimed bool, work chan<- *portone.Payment) error {
	for page := 1; page != 0; {
		if claimed && page > 1 {
			if ok, err := p.r.claim(ctx, w); err != nil || !ok {
				return errors.Join(err, payresult.Errorf(payresult.KindTransient, "lost the claim of %s from %s", w.Kind, w.Start))
			}
		}
		if err := p.lim.wait(ctx); err != nil {
			return err
		}
		list, next, err := l.List(ctx, status, from, w.End, page)
		if err != nil {
			return payresult.WrapError(payresult.KindTransient, err, "listing PortOne's %s payments", status)
		}
		p.r.progressOf().page(len(list))
		for i := range list {
			select {
			case work <- &list[i]:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		page = next
	}
	return nil
}

// listed confirms one payment that api listed when it would change its
// order. The payment is judged by its own status, whichever list held
// it: V2's list of cancels holds partial ones, which show as paid.
func (p *pass) listed(ctx context.Context, api payresult.API, pay *portone.Payment) error {
	if pay.MerchantUID == "" || pay.ImpUID == "" {
		return nil // not a payment of an order; a per-order check will see it
	}
	o, err := p.r.Store.Order(ctx, pay.MerchantUID)
	if payresult.IsNotFound(err) {
		return nil // not an order of payresult's
	}
	if err != nil {
		return err
	}
	if !differs(o, pay) || p.r.st().seen.has(pay) {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, p.r.checkTimeout())
	res, err := p.r.Processor.ConfirmListed(cctx, payresult.SourceReconciler, api, pay)
	cancel()
	if payresult.IsTransient(err) {
		p.mu.Lock()
		p.sum.Errors++
		p.mu.Unlock()
		return fmt.Errorf("order %s: %w", o.MerchantUID, err)
	}
	if err != nil && payresult.KindOf(err) != payresult.KindMismatch {
		p.r.logger().Warn("reconciler could not apply a listed payment", "merchant_uid", o.MerchantUID, "imp_uid", pay.ImpUID, "err", err)
	}
	if res == nil || !res.Changed {
		p.r.st().seen.add(pay) // the same record again would change nothing either
	}
	p.countListed(o, res, err)
	return nil
}

// countListed adds one confirmed listed payment to the summary.
func (p *pass) countListed(before *payresult.Order, res *payresult.Result, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sum.Checked++
	if err != nil && payresult.KindOf(err) != payresult.KindMismatch {
		p.sum.Errors++
	}
	if res != nil && res.Changed && res.Order != nil {
		p.sum.Changed++
		if open(before.Status) && paidStatus(res.Order.Status) {
			p.sum.PaidLate++
		}
		if res.Order.RefundedAmount.Cmp(before.RefundedAmount) > 0 {
			p.sum.Refunded++
		}
	}
	if p.r.OnProgress != nil {
		p.r.OnProgress(p.sum)
	}
}

// differs reports whether the listed payment pay could change o: a paid
// payment of an order still waiting for one, or one partly cancelled
// beyond what its order holds (see behind); an issued virtual account
// or a failure of an order that has nothing yet; a cancel the order does
// not hold yet (see behind), or one of a payment that was paid for an
// order that never learnt of it. Anything else (an order already settled
// by this payment, a second payment of a paid order, a forged payment,
// whose cancel the per-order checks see through) is left alone.
func differs(o *payresult.Order, pay *portone.Payment) bool {
	switch pay.Status {
	case portone.StatusPaid:
		return open(o.Status) || behind(o, pay)
	case portone.StatusReady:
		return pay.PayMethod == portone.PayMethodVbank &&
			(o.Status == payresult.StatusPending || o.Status == payresult.StatusFailed)
	case portone.StatusFailed:
		return o.Status == payresult.StatusPending
	case portone.StatusCancelled:
		return behind(o, pay) || (open(o.Status) && pay.PaidAt != 0)
	}
	return false
}

// behind reports whether o, paid by pay, holds less refunded than PortOne
// has cancelled of pay.
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

// SweepRange lists PortOne's payments in the given statuses (all that
// each lister sweeps when none are given), of every API the reconciler
// sweeps, between from and to, and confirms
// each one that would change its order, as a round does, but without
// claiming or recording windows: an operator's sweep of a stretch of
// time (payresult reconcile --from --to). Sweeping a range twice is safe.
func (r *Reconciler) SweepRange(ctx context.Context, from, to time.Time, statuses ...string) (Summary, error) {
	if err := r.check(); err != nil {
		return Summary{}, err
	}
	ls := r.listers()
	if len(ls) == 0 {
		return Summary{}, payresult.Errorf(payresult.KindInvalid, "reconcile: PortOne's gateway cannot list payments")
	}
	p := &pass{r: r, lim: r.limiter()}
	for _, l := range ls {
		sts := statuses
		if len(sts) == 0 {
			for _, st := range l.Statuses() {
				sts = append(sts, st.Status)
			}
		}
		for _, status := range sts {
			for start := from; start.Before(to); start = start.Add(portone.MaxStatusRange) {
				end := start.Add(portone.MaxStatusRange)
				if end.After(to) {
					end = to
				}
				w := payresult.SweepWindow{Kind: l.API() + "/" + status, Start: start, End: end}
				if err := p.sweep(ctx, l, w, w.Start, false); err != nil {
					return p.summary(), err
				}
			}
		}
	}
	return p.summary(), nil
}
