package admin

import (
	"context"
	"sort"
	"time"

	"github.com/payresult/payresult"
)

// The reconciler view reads at most reconcilerPages pages of orders of
// each unsettled status, and lists the next nextChecks checks.
const (
	reconcilerPages = 4
	nextChecks      = 10
)

// ReconcilerState is what the reconciler has left to do, read from the
// store: the orders that still need a check and when each is next due.
type ReconcilerState struct {
	Due     int                // checks due now
	Waiting int                // orders with a check scheduled later
	Stopped int                // pending orders whose checks ran out: only a notice settles them now
	Next    []*payresult.Order // the earliest scheduled checks
	// Truncated is set when there were more orders than were read.
	Truncated bool
}

// reconcilerState reads the unsettled orders and sorts out their checks.
func reconcilerState(ctx context.Context, s payresult.Store, now time.Time) (ReconcilerState, error) {
	var st ReconcilerState
	var scheduled []*payresult.Order
	for _, status := range []payresult.Status{payresult.StatusPending, payresult.StatusVbankIssued, payresult.StatusForged} {
		orders, truncated, err := ordersWith(ctx, s, status, reconcilerPages)
		if err != nil {
			return st, err
		}
		st.Truncated = st.Truncated || truncated
		for _, o := range orders {
			switch {
			case !o.NeedsCheck():
			case o.NextCheckAt.IsZero():
				st.Stopped++
			case !o.NextCheckAt.After(now):
				st.Due++
				scheduled = append(scheduled, o)
			default:
				st.Waiting++
				scheduled = append(scheduled, o)
			}
		}
	}
	sort.Slice(scheduled, func(i, j int) bool { return scheduled[i].NextCheckAt.Before(scheduled[j].NextCheckAt) })
	st.Next = scheduled[:min(len(scheduled), nextChecks)]
	return st, nil
}

// ordersWith reads up to pages pages of the orders with status, newest
// first, and reports whether more remained.
func ordersWith(ctx context.Context, s payresult.Store, status payresult.Status, pages int) ([]*payresult.Order, bool, error) {
	const page = 500
	var (
		out    []*payresult.Order
		before string
	)
	for range pages {
		got, err := s.Orders(ctx, payresult.OrderFilter{Status: status, Limit: page, Before: before})
		if err != nil {
			return nil, false, err
		}
		out = append(out, got...)
		if len(got) < page {
			return out, false, nil
		}
		before = got[len(got)-1].MerchantUID
	}
	return out, true, nil
}
