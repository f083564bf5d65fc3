package sqlite

import (
	"database/sql"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
	"github.com/payresult/payresult/portone"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// micros stores a time as Unix microseconds; the zero time is NULL.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros.
func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// orderColumns lists the orders columns in the order scanOrder reads them.
const orderColumns = `merchant_uid, name, amount, currency, status, imp_uid,
	paid_amount, refunded_amount, fail_reason, vbank, forgery_cancelled,
	success_url, fail_url, created_at, updated_at, paid_at, next_check_at,
	checks, version, api`

// scanOrder reads one row of orderColumns.
func scanOrder(row scanner) (*payresult.Order, error) {
	var (
		o                      payresult.Order
		amount, paid, refunded int64
		vbank                  []byte
		created, updated       int64
		paidAt, nextCheck      sql.NullInt64
	)
	err := row.Scan(&o.MerchantUID, &o.Name, &amount, &o.Currency, &o.Status, &o.ImpUID,
		&paid, &refunded, &o.FailReason, &vbank, &o.ForgeryCancelled,
		&o.SuccessURL, &o.FailURL, &created, &updated, &paidAt, &nextCheck,
		&o.Checks, &o.Version, &o.API)
	if err != nil {
		return nil, err
	}
	o.Amount = portone.AmountFromScaled(amount)
	o.PaidAmount = portone.AmountFromScaled(paid)
	o.RefundedAmount = portone.AmountFromScaled(refunded)
	o.CreatedAt = time.UnixMicro(created).UTC()
	o.UpdatedAt = time.UnixMicro(updated).UTC()
	o.PaidAt = fromMicros(paidAt)
	o.NextCheckAt = fromMicros(nextCheck)
	if o.Vbank, err = sqlstore.ParseVbank(vbank); err != nil {
		return nil, err
	}
	return &o, nil
}

// scanAttempt reads one row of sqlstore.AttemptColumns.
func scanAttempt(row scanner) (payresult.Attempt, error) {
	var (
		a                payresult.Attempt
		amount, cancel   int64
		created, updated int64
	)
	err := row.Scan(&a.ImpUID, &a.MerchantUID, &a.Status, &a.PayMethod, &a.PGProvider,
		&amount, &cancel, &a.Currency, &a.Sandbox, &a.FailReason, &created, &updated)
	a.Amount = portone.AmountFromScaled(amount)
	a.CancelAmount = portone.AmountFromScaled(cancel)
	a.CreatedAt = time.UnixMicro(created).UTC()
	a.UpdatedAt = time.UnixMicro(updated).UTC()
	return a, err
}

// eventColumns lists the events columns in the order scanEvent reads them.
const eventColumns = `seq, id, type, merchant_uid, created_at, data, state,
	attempts, next_attempt_at, last_error, delivered_at`

// scanEvent reads one row of eventColumns.
func scanEvent(row scanner) (payresult.Event, error) {
	var (
		e               payresult.Event
		created         int64
		data            []byte
		next, delivered sql.NullInt64
	)
	err := row.Scan(&e.Seq, &e.ID, &e.Type, &e.MerchantUID, &created, &data, &e.State,
		&e.Attempts, &next, &e.LastError, &delivered)
	e.CreatedAt = time.UnixMicro(created).UTC()
	e.Data = data
	e.NextAttempt = fromMicros(next)
	e.DeliveredAt = fromMicros(delivered)
	return e, err
}
