package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Order returns the order with the given merchant_uid.
func (s *Store) Order(ctx context.Context, merchantUID string) (*payresult.Order, error) {
	o, err := scanOrder(s.pool.QueryRow(ctx,
		`SELECT `+orderColumns+` FROM orders WHERE merchant_uid = $1`, merchantUID))
	if isNoRows(err) {
		return nil, notFound("order %q not found", merchantUID)
	}
	return o, classify(err, "postgres: order %q", merchantUID)
}

// OrderByImpUID returns the order an imp_uid is bound to.
func (s *Store) OrderByImpUID(ctx context.Context, impUID string) (*payresult.Order, error) {
	o, err := scanOrder(s.pool.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE merchant_uid = (SELECT merchant_uid FROM attempts WHERE imp_uid = $1)`, impUID))
	if isNoRows(err) {
		return nil, notFound("no order for imp_uid %q", impUID)
	}
	return o, classify(err, "postgres: order by imp_uid %q", impUID)
}

// Orders lists orders newest first. Search matches a merchant_uid or any
// imp_uid of the order exactly; Before pages past the given merchant_uid.
func (s *Store) Orders(ctx context.Context, f payresult.OrderFilter) ([]*payresult.Order, error) {
	limit, err := sqlstore.ListLimit(f.Limit, 50, "postgres")
	if err != nil {
		return nil, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, payresult.Errorf(payresult.KindInvalid, "postgres: orders: unknown status %q", f.Status)
	}
	return queryOrders(ctx, s.pool, "orders", `SELECT `+orderColumns+` FROM orders
		WHERE ($1 = '' OR status = $1)
		  AND ($2 = '' OR merchant_uid = $2
		       OR merchant_uid = (SELECT merchant_uid FROM attempts WHERE imp_uid = $2))
		  AND ($3 = '' OR id < (SELECT id FROM orders WHERE merchant_uid = $3))
		ORDER BY id DESC LIMIT $4`, string(f.Status), f.Search, f.Before, limit)
}

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryOrders runs a query returning orderColumns.
func queryOrders(ctx context.Context, q querier, what, query string, args ...any) ([]*payresult.Order, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, classify(err, "postgres: %s", what)
	}
	defer rows.Close()
	var out []*payresult.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, classify(err, "postgres: %s", what)
		}
		out = append(out, o)
	}
	return out, classify(rows.Err(), "postgres: %s", what)
}

// CountByStatus counts all orders by status; every known status is present.
func (s *Store) CountByStatus(ctx context.Context) (map[payresult.Status]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, COUNT(*) FROM orders GROUP BY status`)
	if err != nil {
		return nil, classify(err, "postgres: count orders")
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
			return nil, classify(err, "postgres: count orders")
		}
		counts[st] = n
	}
	return counts, classify(rows.Err(), "postgres: count orders")
}

// DueOrders leases up to limit orders whose next check is due at now,
// pushing their NextCheckAt to now+lease; the returned orders carry the
// pushed time. SKIP LOCKED lets concurrent instances pass over rows
// another one is claiming instead of waiting for them and claiming them
// again; the statement is its own transaction.
func (s *Store) DueOrders(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*payresult.Order, error) {
	if limit <= 0 || lease <= 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "postgres: due orders: limit %d and lease %s must be positive", limit, lease)
	}
	return queryOrders(ctx, s.pool, "due orders", `WITH due AS (
			SELECT id FROM orders
			WHERE next_check_at IS NOT NULL AND next_check_at <= $1
			ORDER BY next_check_at, id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE orders SET next_check_at = $3 FROM due WHERE orders.id = due.id
		RETURNING `+orderColumns,
		ts(now), min(limit, sqlstore.MaxListLimit), ts(now.Add(lease)))
}

// ScheduleCheck sets an order's next reconciler check (zero for none) and
// check count without touching its version.
func (s *Store) ScheduleCheck(ctx context.Context, merchantUID string, next time.Time, checks int) error {
	if checks < 0 {
		return payresult.Errorf(payresult.KindInvalid, "postgres: schedule check: negative checks %d", checks)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE orders SET next_check_at = $1, checks = $2
		WHERE merchant_uid = $3`, ts(next), checks, merchantUID)
	if err != nil {
		return classify(err, "postgres: schedule check %q", merchantUID)
	}
	return oneRow(tag, "order %q not found", merchantUID)
}

// Attempts lists the payment attempts of an order, oldest first.
func (s *Store) Attempts(ctx context.Context, merchantUID string) ([]payresult.Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sqlstore.AttemptColumns+` FROM attempts
		WHERE merchant_uid = $1 ORDER BY created_at, imp_uid`, merchantUID)
	if err != nil {
		return nil, classify(err, "postgres: attempts %q", merchantUID)
	}
	defer rows.Close()
	var out []payresult.Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, classify(err, "postgres: attempts %q", merchantUID)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "postgres: attempts %q", merchantUID)
	}
	if len(out) == 0 {
		return nil, s.mustExist(ctx, merchantUID)
	}
	return out, nil
}
