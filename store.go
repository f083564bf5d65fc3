package payresult

import (
	"context"
	"time"
)

// OrderStore is what the Processor needs from a store, and so all that
// Confirm and the redirect and webhook handlers need: reading an order,
// finding the order an imp_uid is bound to, and applying a change with a
// compare-and-set. A custom store for the handlers alone implements these
// three methods; the stores in package sqlite and postgres implement the
// whole Store. A CreateOrder or Refund with an idempotency key needs the
// store's IdempotencyStore too (Store has both).
//
// Methods that find nothing return an *Error of KindNotFound.
type OrderStore interface {
	// Order returns the order with the given merchant_uid.
	Order(ctx context.Context, merchantUID string) (*Order, error)
	// OrderByImpUID returns the order an imp_uid is bound to.
	OrderByImpUID(ctx context.Context, impUID string) (*Order, error)
	// Apply stores one verified change atomically, as described at Change.
	// It fails with a KindConflict *Error when the order's version has
	// moved on (or an imp_uid is bound to another order), and then
	// changes nothing, so that concurrent Confirms never both win. A
	// change under an idempotency key no longer held by its claim is
	// refused with KindIdempotencyKeyInUse (see Change.Idempotency).
	Apply(ctx context.Context, c *Change) error
}

// Store is the whole of what payresult keeps: orders, their payment
// attempts, their timeline notes, and the outbox of events for the app.
// `payresult serve` runs on one; the conformance suite (package
// storetest) says what each method must do.
type Store interface {
	OrderStore
	IdempotencyStore

	// ApplyMany is the batch contract: it applies every change of cs and
	// answers each one, errs[i] for cs[i]. Each change keeps its own
	// compare-and-set and its own answer, exactly as if it had been
	// applied alone by Apply: one refused change never fails the others,
	// and a refused change leaves nothing behind. A store may write the
	// changes in one transaction (then a failed commit fails all of them).
	ApplyMany(ctx context.Context, cs []*Change) (errs []error)

	// Orders lists orders, newest first, matching the filter.
	Orders(ctx context.Context, f OrderFilter) ([]*Order, error)
	// CountByStatus counts all orders by status.
	CountByStatus(ctx context.Context) (map[Status]int, error)
	// Attempts lists the payment attempts of an order, oldest first.
	Attempts(ctx context.Context, merchantUID string) ([]Attempt, error)
	// Notes returns an order's timeline notes, oldest first.
	Notes(ctx context.Context, merchantUID string) ([]Note, error)

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
	// ResendEvent puts an event that was delivered, or that delivery gave
	// up on (dead), back in the outbox: pending and due at at, its attempt
	// count kept. It changes nothing and fails with KindConflict when the
	// event already waits for delivery, and with KindNotFound when there
	// is no such event.
	ResendEvent(ctx context.Context, eventID string, at time.Time) error
	// OutboxBacklog counts the events that wait for delivery and those
	// delivery gave up on, for the operator's gauges.
	OutboxBacklog(ctx context.Context) (OutboxBacklog, error)

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

// OutboxBacklog is what the outbox holds undelivered.
type OutboxBacklog struct {
	Pending int // events waiting for delivery (or retrying)
	Dead    int // events delivery gave up on
	// OldestPending is when the oldest pending event was created; zero
	// when none is pending.
	OldestPending time.Time
}

// OrderFilter selects orders for listing.
type OrderFilter struct {
	Status Status // empty for all
	Search string // a merchant_uid or imp_uid, matched exactly
	Limit  int    // 0 means 50
	Before string // merchant_uid to page after, newest first; empty for the first page
}

// Change is one verified change to an order, applied atomically by
// Store.Apply (or beside others by Store.ApplyMany): all of it is stored
// in one transaction, or none of it.
type Change struct {
	// FromVersion is the order version the change was computed from. The
	// order is written only if its stored version still equals it; the
	// stored version becomes FromVersion+1. Zero registers a new order:
	// Order is inserted at version 1, and a merchant_uid that exists
	// refuses the change with KindConflict. Without an Order it is not
	// used.
	FromVersion int64
	// Order is the new state of the order; on success its Version is the
	// stored one. An update writes the order's state, never its terms:
	// name, amount, currency, URLs and created_at stay as the order was
	// registered. Nil when only the attempt, events or notes are stored:
	// the attempt's imp_uid binding is still checked.
	Order *Order
	// Attempt is the payment attempt to insert or update. Optional. An
	// imp_uid bound to another order refuses the change with KindConflict.
	Attempt *Attempt
	// Events are appended to the outbox in order; on success each gets
	// its Seq.
	Events []Event
	// Notes are appended to the order's timeline in order, in the same
	// transaction as the rest. A change of notes alone is valid.
	Notes []Note
	// Idempotency, when set, writes to the record of the idempotency key
	// the change is made under, in the same transaction as the rest: the
	// basis the request pinned, or its answer. A change of it alone is
	// valid. The write needs the claim (see IdempotencyWrite.Token): when
	// the key is no longer held by it, the whole change is refused with
	// KindIdempotencyKeyInUse.
	Idempotency *IdempotencyWrite
}

// MerchantUID returns the order c is about: its Order's, else its
// Attempt's, else its first event's; "" for a change of notes alone.
func (c *Change) MerchantUID() string {
	switch {
	case c.Order != nil:
		return c.Order.MerchantUID
	case c.Attempt != nil:
		return c.Attempt.MerchantUID
	case len(c.Events) > 0:
		return c.Events[0].MerchantUID
	}
	return ""
}
