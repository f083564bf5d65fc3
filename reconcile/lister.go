package reconcile

import (
	"context"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// Lister is one PortOne API's list of payments by status over a time
// window: what a sweep reads. Windows are kept per API and status
// ("v1/paid"), so the listers of several APIs sweep side by side (see
// Reconciler.Listers). V1Lister is V1's (GET /payments/status/{status});
// V2Lister is V2's (GET /payments), which shows V2's payments in V1's
// shape, as the Processor confirms them.
type Lister interface {
	// API names the API in the kinds of sweep windows ("v1").
	API() string
	// Statuses are the statuses a sweep lists, each with the width of
	// its windows.
	Statuses() []SweptStatus
	// List returns the page-th page (from 1) of the payments in status
	// whose time for that status lies in [from, to), and the number of the
	// next page (0 after the last).
	List(ctx context.Context, status string, from, to time.Time, page int) ([]portone.Payment, int, error)
}

// SweptStatus is a status a sweep lists and the width of its windows.
type SweptStatus struct {
	Status string
	Width  time.Duration
}

// StatusLister lists PortOne V1's payments by final status (GET
// /payments/status/{status}); *portone.Client is one.
type StatusLister interface {
	PaymentsByStatus(ctx context.Context, status string, q portone.ListQuery) (*portone.PaymentPage, error)
}

// Widths of V1's sweep windows. Windows of payments that settle orders
// are narrow, so that a backlog is split between instances in many
// pieces; cancels are fewer, and their sweep looks three days back, so
// their windows are wide.
const (
	DefaultSweepWidth  = 10 * time.Minute
	DefaultCancelWidth = 6 * time.Hour
	// sweepPageLimit is how many payments a sweep asks for per page.
	sweepPageLimit = 100
)

// V1Lister sweeps PortOne V1: paid payments (by paid_at), ready ones (by
// started_at; issued virtual accounts), failed ones (by failed_at) and
// cancelled ones (by cancelled_at), a hundred to a page.
type V1Lister struct {
	Client StatusLister
}

// API is "v1".
func (V1Lister) API() string { return "v1" }

// Statuses are paid, ready, failed and cancelled.
func (V1Lister) Statuses() []SweptStatus {
	return []SweptStatus{
		{string(portone.StatusPaid), DefaultSweepWidth},
		{string(portone.StatusReady), DefaultSweepWidth},
		{string(portone.StatusFailed), DefaultSweepWidth},
		{string(portone.StatusCancelled), DefaultCancelWidth},
	}
}

// V2Lister sweeps PortOne V2 (GET /payments, filtered by status and by
// the time of the status change) through a V2Gateway, which shows V2's
// payments in V1's shape: paid ones (PAID and PARTIAL_CANCELLED), issued
// virtual accounts, failed ones and cancelled ones, a hundred to a page.
type V2Lister struct {
	Client StatusLister // a *payresult.V2Gateway
}

// API is "v2".
func (V2Lister) API() string { return string(payresult.APIV2) }

// Statuses are those of V1Lister.
func (V2Lister) Statuses() []SweptStatus { return V1Lister{}.Statuses() }

// List asks for one page.
func (l V2Lister) List(ctx context.Context, status string, from, to time.Time, page int) ([]portone.Payment, int, error) {
	return V1Lister(l).List(ctx, status, from, to, page)
}

// List asks GET /payments/status/{status} for one page. PortOne's from
// and to are whole seconds, both inclusive, so a payment in the second at
// to is listed in this window and the next: listing it twice is
// harmless, missing it would not be.
func (l V1Lister) List(ctx context.Context, status string, from, to time.Time, page int) ([]portone.Payment, int, error) {
	p, err := l.Client.PaymentsByStatus(ctx, status, portone.ListQuery{
		Page: page, Limit: sweepPageLimit, From: from, To: to, Sorting: portone.SortStartedAsc,
	})
	if err != nil {
		return nil, 0, err
	}
	next := p.Next
	if next <= page {
		next = 0 // a next page that does not move on would loop forever
	}
	return p.List, next, nil
}
