// Package reconcile re-checks orders that have no final result, so that a
// payment is never missed when both the buyer's redirect and PortOne's
// webhook are lost (PortOne sends a V1 webhook once by default, and never
// for failures).
//
// Each pass claims the orders whose next check is due (Store.DueOrders:
// FOR UPDATE SKIP LOCKED on PostgreSQL, so several instances share the
// work), looks each one up at PortOne and runs it through
// Processor.Confirm, the same code path as the redirect and the webhook.
// Correctness never depends on the claim: Confirm's compare-and-set makes
// a check that races a webhook, or another instance, harmless.
//
// Virtual accounts past their deadline without a deposit become expired
// through Confirm too: it decides expiry from PortOne's vbank_date and the
// processor's clock, after PortOne has confirmed that nothing was
// deposited.
package reconcile

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// Defaults for the optional fields of Reconciler.
const (
	DefaultRateLimit   = 10 // PortOne requests per second
	DefaultBatchSize   = 100
	DefaultLease       = 2 * time.Minute
	DefaultConcurrency = 4
	DefaultInterval    = 10 * time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultExpiryGrace = time.Minute
	// DefaultCheckTimeout bounds the checks of one order. PortOne that
	// hangs would otherwise hold a whole pass for the client's own timeouts
	// and retries; one slow order must not stall every other.
	DefaultCheckTimeout = 10 * time.Second
)

// DefaultSchedule is the wait before each check of an order, counted from
// the previous check (the first from creation: use DefaultSchedule[0] as
// the processor's FirstCheckDelay). Quick at first, when a lost webhook is
// most likely and the buyer is still waiting, then spacing out; about four
// days in all.
var DefaultSchedule = []time.Duration{
	time.Minute,
	2 * time.Minute,
	5 * time.Minute,
	10 * time.Minute,
	30 * time.Minute,
	time.Hour,
	2 * time.Hour,
	6 * time.Hour,
	12 * time.Hour,
	24 * time.Hour,
	24 * time.Hour,
	24 * time.Hour,
}

// Store is what the reconciler needs from payresult's store: the orders
// due for a check, leased so that several instances share them, and
// their attempts. payresult's sqlite and postgres stores are Stores.
type Store interface {
	// DueOrders leases up to limit orders whose next check is due at now
	// (see payresult.Store).
	DueOrders(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*payresult.Order, error)
	// ScheduleCheck sets an order's next check and check count.
	ScheduleCheck(ctx context.Context, merchantUID string, next time.Time, checks int) error
	// Order returns the order with the given merchant_uid.
	Order(ctx context.Context, merchantUID string) (*payresult.Order, error)
	// Attempts lists the payment attempts of an order, oldest first.
	Attempts(ctx context.Context, merchantUID string) ([]payresult.Attempt, error)
}

// PaymentFinder finds the latest payment of a merchant_uid at PortOne
// (GET /payments/find); *portone.Client is one.
type PaymentFinder interface {
	FindPayment(ctx context.Context, merchantUID string, status portone.Status) (*portone.Payment, error)
}

// Reconciler re-checks orders without a final result. Store and Processor
// are required; the other fields have defaults. A Reconciler must not be
// changed after its first Pass or Run.
//
// The first check of a new order is the Processor's FirstCheckDelay after
// its creation; give it Schedule[0] (DefaultSchedule[0] when Schedule is
// nil), as serve does, so that the schedule reads as one.
type Reconciler struct {
	// Store holds the orders; usually the Processor's own store.
	Store Store
	// Processor confirms what the reconciler finds, as the redirect and the
	// webhook do.
	Processor *payresult.Processor
	// PortOne is used for the reconciler's own look-ups of V1 orders; nil
	// means the Processor's V1 gateway. V2 orders are looked up through
	// the Processor's V2 gateway, by Confirm itself.
	PortOne PaymentFinder
	// Now defaults to time.Now; tests drive passes with a fake clock.
	Now func() time.Time
	// Schedule is the wait before each check, counted from the previous
	// one (DefaultSchedule when nil). Once it is used up, an order that is
	// still pending is no longer checked (a later redirect, webhook or
	// "payresult verify --apply" still settles it); an issued virtual
	// account is checked until its deadline has passed, and a forged
	// payment until PortOne confirms its cancel, at the last interval.
	Schedule []time.Duration
	// RateLimit caps the PortOne requests of a pass per second (each
	// look-up, and each Confirm counted as one): zero means
	// DefaultRateLimit, a negative value no cap.
	RateLimit float64
	Logger    *slog.Logger

	// BatchSize is how many orders one claim takes.
	BatchSize int
	// Lease keeps other instances off a claimed order while it is checked.
	Lease time.Duration
	// Concurrency is how many orders of a batch are checked at once.
	Concurrency int
	// ExpiryGrace is how long after a virtual account's deadline it is
	// checked, so that a deposit made at the last minute has reached
	// PortOne.
	ExpiryGrace time.Duration
	// CheckTimeout bounds the PortOne look-ups and Confirms of one order;
	// an order that runs out of it counts as a transient failure (the pass
	// stops early and backs off, the order stays due).
	CheckTimeout time.Duration
	// Interval is Run's wait between passes; after a pass that PortOne
	// cut short, the wait doubles up to MaxBackoff.
	Interval, MaxBackoff time.Duration
	// OnProgress, when set, is called after each order with the running
	// summary (from several goroutines, one call at a time).
	OnProgress func(Summary)

	// Listers list PortOne's payments for the sweeps (see SweepRound),
	// one per API. Nil means one for each API the Processor serves whose
	// gateway can list payments: V1Lister over the V1 gateway (PortOne,
	// else the Processor's), as *portone.Client can, and V2Lister over the
	// Processor's V2 gateway, as *payresult.V2Gateway can. An empty,
	// non-nil slice turns the sweeps off.
	Listers []Lister
	// SweepInterval is how often Run starts a round of sweeps, and how
	// long a window that can still receive payments rests between two
	// sweeps; a negative value turns the sweeps off. SweepOverlap is how
	// much of its last sweep the next sweep of a window reads again, and
	// how long after its end a window is swept one last time.
	// CancelLookback is how far back the sweep of cancelled payments
	// reaches. Zero values mean the defaults.
	SweepInterval  time.Duration
	SweepOverlap   time.Duration
	CancelLookback time.Duration
	// Owner names this reconciler in the leases of sweep windows; empty
	// means a name made from the host and a random part.
	Owner string

	mu    sync.Mutex
	state *state // made on first use (state.go)
}

// Summary counts what one pass did.
type Summary struct {
	Checked  int `json:"checked"`   // orders looked at
	Changed  int `json:"changed"`   // orders whose state the pass changed
	PaidLate int `json:"paid_late"` // orders found paid by the pass
	Expired  int `json:"expired"`   // virtual accounts expired by the pass
	Refunded int `json:"refunded"`  // orders found refunded by a cancel sweep
	Errors   int `json:"errors"`    // orders whose check failed
}

// Add returns the sum of s and t.
func (s Summary) Add(t Summary) Summary {
	return Summary{
		Checked:  s.Checked + t.Checked,
		Changed:  s.Changed + t.Changed,
		PaidLate: s.PaidLate + t.PaidLate,
		Expired:  s.Expired + t.Expired,
		Refunded: s.Refunded + t.Refunded,
		Errors:   s.Errors + t.Errors,
	}
}

// Run runs passes until ctx is done, then returns nil. A pass cut short
// because PortOne failed is followed by a growing wait.
func (r *Reconciler) Run(ctx context.Context) error {
	if err := r.check(); err != nil {
		return err
	}
	wait := r.interval()
	var nextRound time.Time
	for {
		// Sweeps first: a backlog they settle costs the checks nothing.
		if r.SweepInterval >= 0 && !r.now().Before(nextRound) {
			nextRound = r.now().Add(r.sweepInterval())
			r.runRound(ctx)
		}
		sum, err := r.Pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case payresult.IsTransient(err):
			wait = min(2*wait, r.maxBackoff())
			r.logger().Warn("reconciler pass cut short; backing off", "err", err, "wait", wait)
		case err != nil:
			wait = r.interval()
			r.logger().Error("reconciler pass failed", "err", err)
		default:
			wait = r.interval()
		}
		if sum.Checked > 0 {
			r.logger().Info("reconciler pass", "checked", sum.Checked, "changed", sum.Changed,
				"paid_late", sum.PaidLate, "expired", sum.Expired, "errors", sum.Errors)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// check validates the configuration.
func (r *Reconciler) check() error {
	switch {
	case r.Store == nil:
		return payresult.Errorf(payresult.KindInvalid, "reconcile: no store")
	case r.Processor == nil:
		return payresult.Errorf(payresult.KindInvalid, "reconcile: no processor")
	case r.finder() == nil && r.Processor.PortOneV2 == nil:
		return payresult.Errorf(payresult.KindInvalid, "reconcile: no PortOne gateway")
	}
	for i, d := range r.Schedule {
		if d <= 0 {
			return payresult.Errorf(payresult.KindInvalid, "reconcile: schedule step %d is %s; steps must be positive", i+1, d)
		}
	}
	return nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Reconciler) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// finder returns the gateway of the reconciler's look-ups.
func (r *Reconciler) finder() PaymentFinder {
	if r.PortOne != nil {
		return r.PortOne
	}
	if r.Processor != nil && r.Processor.PortOne != nil {
		return r.Processor.PortOne
	}
	return nil
}

// runRound runs a round of sweeps for Run and logs how it ended; a
// round cut short leaves its windows due for the next one.
func (r *Reconciler) runRound(ctx context.Context) {
	sum, err := r.SweepRound(ctx)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		r.logger().Warn("sweep round cut short; its windows are swept again next round", "err", err)
	case sum.Checked > 0:
		r.logger().Info("sweep round", "confirmed", sum.Checked, "changed", sum.Changed,
			"paid_late", sum.PaidLate, "refunded", sum.Refunded, "errors", sum.Errors)
	}
}

func (r *Reconciler) schedule() []time.Duration {
	if len(r.Schedule) > 0 {
		return r.Schedule
	}
	return DefaultSchedule
}

func (r *Reconciler) rateLimit() float64 {
	if r.RateLimit == 0 {
		return DefaultRateLimit
	}
	return r.RateLimit
}

func (r *Reconciler) batchSize() int             { return positive(r.BatchSize, DefaultBatchSize) }
func (r *Reconciler) lease() time.Duration       { return positive(r.Lease, DefaultLease) }
func (r *Reconciler) concurrency() int           { return positive(r.Concurrency, DefaultConcurrency) }
func (r *Reconciler) expiryGrace() time.Duration { return positive(r.ExpiryGrace, DefaultExpiryGrace) }
func (r *Reconciler) checkTimeout() time.Duration {
	return positive(r.CheckTimeout, DefaultCheckTimeout)
}
func (r *Reconciler) interval() time.Duration { return positive(r.Interval, DefaultInterval) }
func (r *Reconciler) cancelLookback() time.Duration {
	return positive(r.CancelLookback, DefaultCancelLookback)
}
func (r *Reconciler) maxBackoff() time.Duration { return positive(r.MaxBackoff, DefaultMaxBackoff) }

func positive[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
