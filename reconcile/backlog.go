package reconcile

import (
	"context"
	"sort"
	"time"

	"github.com/payresult/payresult"
)

// OrderLister lists orders by status, newest first; payresult.Store is
// one.
type OrderLister interface {
	Orders(ctx context.Context, f payresult.OrderFilter) ([]*payresult.Order, error)
}

// listPage is how many orders OpenOrders reads at a time.
const listPage = 500

// OpenOrders returns the orders that still need a check (pending, a
// virtual account waiting for its deposit, a forged payment whose cancel
// PortOne has not confirmed), newest first within each status. It reads
// at most perStatus orders of each status (0 for no bound) and reports
// whether some were left unread.
func OpenOrders(ctx context.Context, s OrderLister, perStatus int) ([]*payresult.Order, bool, error) {
	var (
		out       []*payresult.Order
		truncated bool
	)
	for _, status := range []payresult.Status{payresult.StatusPending, payresult.StatusVbankIssued, payresult.StatusForged} {
		read, before := 0, ""
		for {
			limit := listPage
			if perStatus > 0 {
				limit = min(limit, perStatus-read)
			}
			got, err := s.Orders(ctx, payresult.OrderFilter{Status: status, Limit: limit, Before: before})
			if err != nil {
				return nil, false, err
			}
			for _, o := range got {
				if o.NeedsCheck() {
					out = append(out, o)
				}
			}
			read += len(got)
			if len(got) < limit {
				break
			}
			if perStatus > 0 && read >= perStatus {
				truncated = true
				break
			}
			before = got[len(got)-1].MerchantUID
		}
	}
	return out, truncated, nil
}

// Backlog is what the reconciler has left to do, read from the store:
// the orders that still need a check and when each is next due.
type Backlog struct {
	Due     int // checks due now
	Waiting int // orders with a check scheduled later
	// Stopped counts pending orders whose checks ran out: only a notice
	// (or an operator's check now) settles them.
	Stopped int
	// Next are the earliest scheduled checks, due ones first.
	Next []*payresult.Order
	// Truncated is set when there were more open orders than were read.
	Truncated bool
}

// Open is how many orders still need a check.
func (b Backlog) Open() int { return b.Due + b.Waiting + b.Stopped }

// ReadBacklog reads the open orders (at most perStatus of each status, 0
// for no bound) and sorts out their checks at now, keeping the next
// earliest ones.
func ReadBacklog(ctx context.Context, s OrderLister, now time.Time, perStatus, next int) (Backlog, error) {
	orders, truncated, err := OpenOrders(ctx, s, perStatus)
	if err != nil {
		return Backlog{}, err
	}
	b := Backlog{Truncated: truncated}
	var scheduled []*payresult.Order
	for _, o := range orders {
		switch {
		case o.NextCheckAt.IsZero():
			b.Stopped++
			continue
		case !o.NextCheckAt.After(now):
			b.Due++
		default:
			b.Waiting++
		}
		scheduled = append(scheduled, o)
	}
	sort.Slice(scheduled, func(i, j int) bool { return scheduled[i].NextCheckAt.Before(scheduled[j].NextCheckAt) })
	b.Next = scheduled[:min(len(scheduled), next)]
	return b, nil
}
