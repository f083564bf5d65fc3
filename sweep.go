package payresult

import (
	"context"
	"time"
)

// SweepWindow is one stretch of time over which the reconciler lists
// PortOne's payments of one kind: an API and a status, such as "v1/paid".
// Windows lie on a grid, so that every instance names the same ones.
type SweepWindow struct {
	Kind       string
	Start, End time.Time // [Start, End)
	// Owner holds the window's lease until LeaseUntil; "" when nobody
	// ever claimed it.
	Owner      string
	LeaseUntil time.Time
	// SweptAt is when the last complete sweep of the window ended; zero
	// for never.
	SweptAt time.Time
	// Final is set when a sweep ended late enough after End that nothing
	// new can appear in the window: it is never swept again.
	Final bool
}

// SweepStore remembers the reconciler's sweep windows, so that a restart
// resumes where the sweeps were and several instances split the windows
// between them. payresult's sqlite and postgres stores are SweepStores;
// a store that is not one still works, with windows kept in memory.
type SweepStore interface {
	// SweepWindows returns the stored windows of kind whose Start is in
	// [from, to), by Start.
	SweepWindows(ctx context.Context, kind string, from, to time.Time) ([]SweepWindow, error)
	// ClaimSweepWindow leases the window w (Kind, Start, End) to owner
	// until leaseUntil, in one compare-and-set that succeeds only when the
	// window is not final, its lease has run out at now or is owner's
	// own, and it was not swept after sweptBefore (never swept passes). It
	// reports whether owner holds the lease. Claiming again renews it.
	ClaimSweepWindow(ctx context.Context, w SweepWindow, owner string, now, leaseUntil, sweptBefore time.Time) (bool, error)
	// FinishSweepWindow records that owner swept w completely, ending at
	// sweptAt (final when nothing can appear in it any more), and ends the
	// lease. It reports false, and changes nothing, when owner no longer
	// held the lease.
	FinishSweepWindow(ctx context.Context, w SweepWindow, owner string, sweptAt time.Time, final bool) (bool, error)
	// WaitingOrders counts the orders whose next reconciler check is
	// scheduled, and returns the creation time of the oldest of them (zero
	// when there are none).
	WaitingOrders(ctx context.Context) (n int, oldest time.Time, err error)
}
