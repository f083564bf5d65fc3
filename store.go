package payresult

import (
	"context"
	"time"
)

// Store keeps orders, their payment attempts, the notices received, and the
// outbox of events for the app. Implementations (sqlite,
// postgres) must make Apply atomic and make it fail with a
// KindConflict *Error when the order's version has moved on, so that
// concurrent Confirms never both win.
//
// Methods that find nothing return an *Error of KindNotFound.
type Store interface {
	// CreateOrder stores a new order with Version 1. When an order with the
	// same merchant_uid exists it returns that order and
	// created=false; the caller decides whether the repeat is identical.
	CreateOrder(ctx context.Context, o *Order) (existing *Order, created bool, err error)
	// Order returns the order with the given merchant_uid.
	Order(ctx context.Context, merchantUID string) (*Order, error)
	// OrderByImpUID returns the order an imp_uid is bound to.
	OrderByImpUID(ctx context.Context, impUID string) (*Order, error)
	// Orders lists orders, newest first, matching the filter.
	Orders(ctx context.Context, f OrderFilter) ([]*Order, error)
	// CountByStatus counts all orders by status.
	CountByStatus(ctx context.Context) (map[Status]int, error)
	// Attempts lists the payment attempts of an order, oldest first.
	Attempts(ctx context.Context, merchantUID string) ([]Attempt, error)

	// Apply stores one verified change in one transaction: the order row
	// (only if its version still equals c.FromVersion; the stored version
	// becomes FromVersion+1), the attempt (inserted or updated; an imp_uid
	// bound to another order fails with KindConflict and changes nothing),
	// the events appended to the outbox, and the timeline lines. A nil
	// c.Order records only the attempt and the events' absence: it still
	// checks the imp_uid binding. A change of timeline lines alone is
	// valid: it appends them in one transaction.
	Apply(ctx context.Context, c *Change) error

	// RecordNotice appends a line to an order's timeline (notices received,
	// PortOne look-ups, decisions). It is best-effort history, not state.
	RecordNotice(ctx context.Context, n *NoticeRecord) error
	// Timeline returns an order's notice records, oldest first.
	Timeline(ctx context.Context, merchantUID string) ([]NoticeRecord, error)

	// Events returns up to limit events with Seq > after, in Seq order: the
	// app's feed.
	Events(ctx context.Context, after int64, limit int) ([]Event, error)
	// OrderEvents returns the events of one order in Seq order.
	OrderEvents(ctx context.Context, merchantUID string) ([]Event, error)
	// ClaimEvents leases up to limit undelivered events whose next attempt
	// is due at now, for lease; no other claimer gets them while leased.
	ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Event, error)
	// UpdateDelivery records the outcome of one delivery attempt.
	UpdateDelivery(ctx context.Context, d *Delivery) error

	// DueOrders leases up to limit orders whose NextCheckAt is at or before
	// now, pushing their NextCheckAt to now+lease so that other instances
	// skip them (FOR UPDATE SKIP LOCKED on PostgreSQL).
	DueOrders(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*Order, error)
	// ScheduleCheck sets an order's next reconciler check and check count
	// without touching its version.
	ScheduleCheck(ctx context.Context, merchantUID string, next time.Time, checks int) error

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// OrderFilter selects orders for listing.
type OrderFilter struct {
	Status Status // empty for all
	Search string // a merchant_uid or imp_uid, matched exactly
	Limit  int    // 0 means 50
	Before string // merchant_uid to page after, newest first; empty for the first page
}

// Change is one verified change to an order, applied atomically by
// Store.Apply.
type Change struct {
	// FromVersion is the order version the change was computed from.
	FromVersion int64
	// Order is the new state of the order (Version is set by the store).
	// Nil when only the attempt is recorded.
	Order *Order
	// Attempt is the payment attempt to insert or update. Optional.
	Attempt *Attempt
	// Events are appended to the outbox in order.
	Events []Event
	// Notices are appended to the timeline in order, in the same
	// transaction: Confirm's lines cost no commit of their own. Their IDs
	// are not reported back.
	Notices []NoticeRecord
}
