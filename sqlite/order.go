package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// The reads of Confirm, prepared when the store opens.
const (
	sqlOrder         = `SELECT ` + orderColumns + ` FROM orders WHERE merchant_uid = ?`
	sqlOrderByImpUID = `SELECT ` + orderColumns + ` FROM orders
		WHERE merchant_uid = (SELECT merchant_uid FROM attempts WHERE imp_uid = ?)`
)

// Order returns the order with the given merchant_uid.
func (s *Store) Order(ctx context.Context, merchantUID string) (*payresult.Order, error) {
	o, err := scanOrder(s.readRow(ctx, sqlOrder, merchantUID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("order %q not found", merchantUID)
	}
	return o, classify(err, "sqlite: order %q", merchantUID)
}

// OrderByImpUID returns the order an imp_uid is bound to.
func (s *Store) OrderByImpUID(ctx context.Context, impUID string) (*payresult.Order, error) {
	o, err := scanOrder(s.readRow(ctx, sqlOrderByImpUID, impUID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no order for imp_uid %q", impUID)
	}
	return o, classify(err, "sqlite: order by imp_uid %q", impUID)
}

// Orders lists orders newest first. Search matches a merchant_uid or any
// imp_uid of the order exactly; Before pages past the given merchant_uid.
func (s *Store) Orders(ctx context.Context, f payresult.OrderFilter) ([]*payresult.Order, error) {
	limit, err := sqlstore.ListLimit(f.Limit, 50, "sqlite")
	if err != nil {
		return nil, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, payresult.Errorf(payresult.KindInvalid, "sqlite: orders: unknown status %q", f.Status)
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE (?1 = '' OR status = ?1)
		  AND (?2 = '' OR merchant_uid = ?2
		       OR merchant_uid = (SELECT merchant_uid FROM attempts WHERE imp_uid = ?2))
		  AND (?3 = '' OR id < (SELECT id FROM orders WHERE merchant_uid = ?3))
		ORDER BY id DESC LIMIT ?4`, string(f.Status), f.Search, f.Before, limit)
	if err != nil {
		return nil, classify(err, "sqlite: orders")
	}
	defer rows.Close()
	var out []*payresult.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, classify(err, "sqlite: orders")
		}
		out = append(out, o)
	}
	return out, classify(rows.Err(), "sqlite: orders")
}

// CountByStatus counts all orders by status; every known status is present.
func (s *Store) CountByStatus(ctx context.Context) (map[payresult.Status]int, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT status, COUNT(*) FROM orders GROUP BY status`)
	if err != nil {
		return nil, classify(err, "sqlite: count orders")
	}
	defer rows.Close()
	counts := make(map[payresult.Status]int, len(payresult.Statuses))
	for _, st := range payresult.Statuses {
		counts[st] = 0
	}
	for rows.Next() {
		var st payresult.Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, classify(err, "sqlite: count orders")
		}
		counts[st] = n
	}
	return counts, classify(rows.Err(), "sqlite: count orders")
}

// DueOrders leases up to limit orders whose next check is due at now,
// pushing their NextCheckAt to now+lease in the same statement; the
// returned orders carry the pushed time. The single writer makes the
// claim exclusive.
func (s *Store) DueOrders(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*payresult.Order, error) {
	if limit <= 0 || lease <= 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "sqlite: due orders: limit %d and lease %s must be positive", limit, lease)
	}
	var out []*payresult.Order
	err := s.write(ctx, "due orders", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE orders SET next_check_at = ?
			WHERE id IN (SELECT id FROM orders
				WHERE next_check_at IS NOT NULL AND next_check_at <= ?
				ORDER BY next_check_at, id LIMIT ?)
			RETURNING `+orderColumns,
			now.Add(lease).UnixMicro(), now.UnixMicro(), min(limit, sqlstore.MaxListLimit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, err
}

// ScheduleCheck sets an order's next reconciler check (zero for none) and
// check count without touching its version.
func (s *Store) ScheduleCheck(ctx context.Context, merchantUID string, next time.Time, checks int) error {
	if checks < 0 {
		return payresult.Errorf(payresult.KindInvalid, "sqlite: schedule check: negative checks %d", checks)
	}
	return s.write(ctx, "schedule check", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orders SET next_check_at = ?, checks = ?
			WHERE merchant_uid = ?`, micros(next), checks, merchantUID)
		if err != nil {
			return err
		}
		return oneRow(res, "order %q not found", merchantUID)
	})
}

// Attempts lists the payment attempts of an order, oldest first.
func (s *Store) Attempts(ctx context.Context, merchantUID string) ([]payresult.Attempt, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+sqlstore.AttemptColumns+` FROM attempts
		WHERE merchant_uid = ? ORDER BY created_at, imp_uid`, merchantUID)
	if err != nil {
		return nil, classify(err, "sqlite: attempts %q", merchantUID)
	}
	defer rows.Close()
	var out []payresult.Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, classify(err, "sqlite: attempts %q", merchantUID)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "sqlite: attempts %q", merchantUID)
	}
	if len(out) == 0 {
		return nil, s.mustExist(ctx, merchantUID)
	}
	return out, nil
}
