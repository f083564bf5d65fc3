package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Events returns up to limit events with Seq > after, in Seq order (limit
// 0 means 100). Seq is handed out by the single writer in commit order, so
// a reader that saw seq n never later finds a new event below n.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]payresult.Event, error) {
	limit, err := sqlstore.ListLimit(limit, 100, "sqlite")
	if err != nil {
		return nil, err
	}
	return queryEvents(ctx, s.reader, "events", `SELECT `+eventColumns+` FROM events
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// OrderEvents returns the events of one order in Seq order.
func (s *Store) OrderEvents(ctx context.Context, merchantUID string) ([]payresult.Event, error) {
	evs, err := queryEvents(ctx, s.reader, "order events", `SELECT `+eventColumns+` FROM events
		WHERE merchant_uid = ? ORDER BY seq`, merchantUID)
	if err == nil && len(evs) == 0 {
		err = s.mustExist(ctx, merchantUID)
	}
	return evs, err
}

// ClaimEvents leases up to limit pending events due at now, oldest first,
// by pushing their next attempt to now+lease in one write transaction.
func (s *Store) ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]payresult.Event, error) {
	if limit <= 0 || lease <= 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "sqlite: claim events: limit %d and lease %s must be positive", limit, lease)
	}
	var evs []payresult.Event
	err := s.write(ctx, "claim events", func(tx *sql.Tx) error {
		var err error
		evs, err = queryEvents(ctx, tx, "claim events", `UPDATE events SET next_attempt_at = ?
			WHERE seq IN (SELECT seq FROM events
				WHERE state = 'pending' AND next_attempt_at <= ?
				ORDER BY next_attempt_at, seq LIMIT ?)
			RETURNING `+eventColumns,
			now.Add(lease).UnixMicro(), now.UnixMicro(), min(limit, sqlstore.MaxListLimit))
		return err
	})
	sortBySeq(evs)
	return evs, err
}

// UpdateDelivery records the outcome of one delivery attempt.
func (s *Store) UpdateDelivery(ctx context.Context, d *payresult.Delivery) error {
	if d == nil || d.EventID == "" || !sqlstore.ValidDeliveryState(d.State) || d.Attempts < 0 {
		return payresult.Errorf(payresult.KindInvalid, "sqlite: update delivery: bad delivery %+v", d)
	}
	return s.write(ctx, "update delivery", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE events SET state = ?, attempts = ?,
				next_attempt_at = ?, last_error = ?, delivered_at = ?
			WHERE id = ?`,
			d.State, d.Attempts, micros(d.NextAttempt), d.LastError, micros(d.DeliveredAt), d.EventID)
		if err != nil {
			return err
		}
		return oneRow(res, "event %q not found", d.EventID)
	})
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryEvents runs a query returning eventColumns.
func queryEvents(ctx context.Context, q querier, what, query string, args ...any) ([]payresult.Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, classify(err, "sqlite: %s", what)
	}
	defer rows.Close()
	var evs []payresult.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, classify(err, "sqlite: %s", what)
		}
		evs = append(evs, e)
	}
	return evs, classify(rows.Err(), "sqlite: %s", what)
}

// sortBySeq orders events by Seq: RETURNING promises no order.
func sortBySeq(evs []payresult.Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Seq < evs[j-1].Seq; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// mustExist returns a KindNotFound error when the order does not exist.
func (s *Store) mustExist(ctx context.Context, merchantUID string) error {
	var one int
	err := s.reader.QueryRowContext(ctx, `SELECT 1 FROM orders WHERE merchant_uid = ?`, merchantUID).Scan(&one)
	if err == sql.ErrNoRows {
		return notFound("order %q not found", merchantUID)
	}
	return classify(err, "sqlite: order %q", merchantUID)
}
