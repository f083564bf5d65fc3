package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
)

// ResendEvent puts a delivered or dead event back in the outbox, pending
// and due at at; see payresult.Store. The update is its own
// compare-and-set on the state, so that a delivery in flight is never
// undone; when it changes nothing, one read says why.
func (s *Store) ResendEvent(ctx context.Context, eventID string, at time.Time) error {
	if eventID == "" || at.IsZero() {
		return payresult.Errorf(payresult.KindInvalid, "postgres: resend event: an event id and a time are required")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE events SET state = 'pending', next_attempt_at = $1
		WHERE id = $2 AND state IN ('delivered', 'dead')`, ts(at), eventID)
	if err != nil {
		return classify(err, "postgres: resend event %q", eventID)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var state string
	err = s.pool.QueryRow(ctx, `SELECT state FROM events WHERE id = $1`, eventID).Scan(&state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound("event %q not found", eventID)
	case err != nil:
		return classify(err, "postgres: resend event %q", eventID)
	}
	return payresult.Errorf(payresult.KindConflict, "postgres: event %s is %s: it waits for delivery already", eventID, state)
}

// OutboxBacklog counts the pending and dead events; see payresult.Store.
// Both counts read partial indexes (events_due, events_dead).
func (s *Store) OutboxBacklog(ctx context.Context) (payresult.OutboxBacklog, error) {
	var (
		b             payresult.OutboxBacklog
		pending, dead int64
		oldest        *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM events WHERE state = 'pending'),
			(SELECT COUNT(*) FROM events WHERE state = 'dead'),
			(SELECT created_at FROM events WHERE seq = (SELECT MIN(seq) FROM events WHERE state = 'pending'))`).
		Scan(&pending, &dead, &oldest)
	if err != nil {
		return b, classify(err, "postgres: outbox backlog")
	}
	b.Pending, b.Dead, b.OldestPending = int(pending), int(dead), fromTS(oldest)
	return b, nil
}
