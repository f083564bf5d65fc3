package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/payresult/payresult"
)

// ResendEvent puts a delivered or dead event back in the outbox, pending
// and due at at; see payresult.Store.
func (s *Store) ResendEvent(ctx context.Context, eventID string, at time.Time) error {
	if eventID == "" || at.IsZero() {
		return payresult.Errorf(payresult.KindInvalid, "sqlite: resend event: an event id and a time are required")
	}
	return s.write(ctx, "resend event", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE events SET state = 'pending', next_attempt_at = ?
			WHERE id = ? AND state IN ('delivered', 'dead')`, at.UnixMicro(), eventID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM events WHERE id = ?`, eventID).Scan(&state); err == sql.ErrNoRows {
			return notFound("event %q not found", eventID)
		} else if err != nil {
			return err
		}
		return payresult.Errorf(payresult.KindConflict, "sqlite: event %s is %s: it waits for delivery already", eventID, state)
	})
}

// OutboxBacklog counts the pending and dead events; see payresult.Store.
// Both counts read partial indexes (events_due, events_dead), not the
// table.
func (s *Store) OutboxBacklog(ctx context.Context) (payresult.OutboxBacklog, error) {
	var (
		b      payresult.OutboxBacklog
		oldest sql.NullInt64
	)
	err := s.reader.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM events WHERE state = 'pending'),
			(SELECT COUNT(*) FROM events WHERE state = 'dead'),
			(SELECT created_at FROM events WHERE seq = (SELECT MIN(seq) FROM events WHERE state = 'pending'))`).
		Scan(&b.Pending, &b.Dead, &oldest)
	if err != nil {
		return b, classify(err, "sqlite: outbox backlog")
	}
	b.OldestPending = fromMicros(oldest)
	return b, nil
}
