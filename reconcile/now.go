package reconcile

import (
	"context"

	"github.com/payresult/payresult"
)

// CheckNow checks the given orders at once, whatever their schedule, as a
// pass checks the orders that are due: each is looked up at PortOne and
// run through Confirm, counted in the summary, and its next check is
// scheduled from its state afterwards (a check now counts as one of its
// checks). An operator uses it to settle orders without waiting, such as
// pending orders whose checks ran out. The orders are not leased: a
// reconciler of another instance may check one at the same moment, which
// Confirm's compare-and-set makes harmless. Like Pass, it stops early
// with a KindTransient error when PortOne fails.
func (r *Reconciler) CheckNow(ctx context.Context, orders []*payresult.Order) (Summary, error) {
	if err := r.check(); err != nil {
		return Summary{}, err
	}
	p := &pass{r: r, lim: r.limiter()}
	for start := 0; start < len(orders); start += r.batchSize() {
		end := min(start+r.batchSize(), len(orders))
		if err := p.batch(ctx, orders[start:end]); err != nil {
			return p.summary(), err
		}
	}
	return p.summary(), nil
}
