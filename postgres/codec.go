package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
	"github.com/payresult/payresult/portone"
)

// ts prepares a time for a TIMESTAMPTZ column: truncated to the
// microsecond (PostgreSQL would round) and NULL for the zero time.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Truncate(time.Microsecond)
}

// fromTS reads a nullable TIMESTAMPTZ in UTC.
func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// orderColumns lists the orders columns in the order scanOrder reads them.
const orderColumns = `merchant_uid, name, amount, currency, status, imp_uid,
	paid_amount, refunded_amount, fail_reason, vbank, forgery_cancelled,
	success_url, fail_url, created_at, updated_at, paid_at, next_check_at,
	checks, version, api`

// scanOrder reads one row of orderColumns.
func scanOrder(row pgx.Row) (*payresult.Order, error) {
	var (
		o                      payresult.Order
		amount, paid, refunded int64
		vbank                  []byte
		paidAt, nextCheck      *time.Time
	)
	err := row.Scan(&o.MerchantUID, &o.Name, &amount, &o.Currency, &o.Status, &o.ImpUID,
		&paid, &refunded, &o.FailReason, &vbank, &o.ForgeryCancelled,
		&o.SuccessURL, &o.FailURL, &o.CreatedAt, &o.UpdatedAt, &paidAt, &nextCheck,
		&o.Checks, &o.Version, &o.API)
	if err != nil {
		return nil, err
	}
	o.Amount = portone.AmountFromScaled(amount)
	o.PaidAmount = portone.AmountFromScaled(paid)
	o.RefundedAmount = portone.AmountFromScaled(refunded)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	o.PaidAt = fromTS(paidAt)
	o.NextCheckAt = fromTS(nextCheck)
	if o.Vbank, err = sqlstore.ParseVbank(vbank); err != nil {
		return nil, err
	}
	return &o, nil
}

// scanAttempt reads one row of sqlstore.AttemptColumns.
func scanAttempt(row pgx.Row) (payresult.Attempt, error) {
	var (
		a              payresult.Attempt
		amount, cancel int64
	)
	err := row.Scan(&a.ImpUID, &a.MerchantUID, &a.Status, &a.PayMethod, &a.PGProvider,
		&amount, &cancel, &a.Currency, &a.Sandbox, &a.FailReason, &a.CreatedAt, &a.UpdatedAt)
	a.Amount = portone.AmountFromScaled(amount)
	a.CancelAmount = portone.AmountFromScaled(cancel)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

// eventColumns lists the events columns in the order scanEvent reads them.
const eventColumns = `seq, id, type, merchant_uid, created_at, data, state,
	attempts, next_attempt_at, last_error, delivered_at`

// scanEvent reads one row of eventColumns.
func scanEvent(row pgx.Row) (payresult.Event, error) {
	var (
		e               payresult.Event
		data            []byte
		next, delivered *time.Time
	)
	err := row.Scan(&e.Seq, &e.ID, &e.Type, &e.MerchantUID, &e.CreatedAt, &data, &e.State,
		&e.Attempts, &next, &e.LastError, &delivered)
	e.CreatedAt = e.CreatedAt.UTC()
	e.Data = data
	e.NextAttempt = fromTS(next)
	e.DeliveredAt = fromTS(delivered)
	return e, err
}
