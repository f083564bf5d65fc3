package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Events returns up to limit events with Seq > after, in Seq order (limit
// 0 means 100). Seqs are handed out in commit order (see insertEvents), so
// a reader that saw seq n never later finds a new event below n.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]payresult.Event, error) {
	limit, err := sqlstore.ListLimit(limit, 100, "postgres")
	if err != nil {
		return nil, err
	}
	return queryEvents(ctx, s.pool, "events", `SELECT `+eventColumns+` FROM events
		WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
}

// OrderEvents returns the events of one order in Seq order.
func (s *Store) OrderEvents(ctx context.Context, merchantUID string) ([]payresult.Event, error) {
	evs, err := queryEvents(ctx, s.pool, "order events", `SELECT `+eventColumns+` FROM events
		WHERE merchant_uid = $1 ORDER BY seq`, merchantUID)
	if err == nil && len(evs) == 0 {
		err = s.mustExist(ctx, merchantUID)
	}
	return evs, err
}

// ClaimEvents leases up to limit pending events due at now, oldest first,
// by pushing their next attempt to now+lease. SKIP LOCKED lets concurrent
// deliverers pass over rows another one is claiming.
func (s *Store) ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]payresult.Event, error) {
	if limit <= 0 || lease <= 0 {
		return nil, payresult.Errorf(payresult.KindInvalid, "postgres: claim events: limit %d and lease %s must be positive", limit, lease)
	}
	evs, err := queryEvents(ctx, s.pool, "claim events", `WITH due AS (
			SELECT seq AS due_seq FROM events
			WHERE state = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, seq LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE events SET next_attempt_at = $3 FROM due WHERE seq = due_seq
		RETURNING `+eventColumns,
		ts(now), min(limit, sqlstore.MaxListLimit), ts(now.Add(lease)))
	sortBySeq(evs)
	return evs, err
}

// UpdateDelivery records the outcome of one delivery attempt.
func (s *Store) UpdateDelivery(ctx context.Context, d *payresult.Delivery) error {
	if d == nil || d.EventID == "" || !sqlstore.ValidDeliveryState(d.State) || d.Attempts < 0 {
		return payresult.Errorf(payresult.KindInvalid, "postgres: update delivery: bad delivery %+v", d)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE events SET state = $1, attempts = $2,
			next_attempt_at = $3, last_error = $4, delivered_at = $5
		WHERE id = $6`,
		d.State, d.Attempts, ts(d.NextAttempt), d.LastError, ts(d.DeliveredAt), d.EventID)
	if err != nil {
		return classify(err, "postgres: update delivery %q", d.EventID)
	}
	return oneRow(tag, "event %q not found", d.EventID)
}

// queryEvents runs a query returning eventColumns.
func queryEvents(ctx context.Context, q querier, what, query string, args ...any) ([]payresult.Event, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, classify(err, "postgres: %s", what)
	}
	defer rows.Close()
	var evs []payresult.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, classify(err, "postgres: %s", what)
		}
		evs = append(evs, e)
	}
	return evs, classify(rows.Err(), "postgres: %s", what)
}

// sortBySeq orders events by Seq: RETURNING promises no order.
func sortBySeq(evs []payresult.Event) {
	slices.SortFunc(evs, func(a, b payresult.Event) int { return cmp.Compare(a.Seq, b.Seq) })
}

// mustExist returns a KindNotFound error when the order does not exist.
func (s *Store) mustExist(ctx context.Context, merchantUID string) error {
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM orders WHERE merchant_uid = $1`, merchantUID).Scan(&one)
	if isNoRows(err) {
		return notFound("order %q not found", merchantUID)
	}
	return classify(err, "postgres: order %q", merchantUID)
}
