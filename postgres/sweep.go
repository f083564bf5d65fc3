package postgres

import (
	"context"
	"time"

	"github.com/payresult/payresult"
)

var _ payresult.SweepStore = (*Store)(nil)

// SweepWindows returns the stored windows of kind whose start is in
// [from, to), by start.
func (s *Store) SweepWindows(ctx context.Context, kind string, from, to time.Time) ([]payresult.SweepWindow, error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, start_at, end_at, owner, lease_until, swept_at, final
		FROM sweep_windows WHERE kind = $1 AND start_at >= $2 AND start_at < $3 ORDER BY start_at`,
		kind, ts(from), ts(to))
	if err != nil {
		return nil, classify(err, "postgres: sweep windows")
	}
	defer rows.Close()
	var out []payresult.SweepWindow
	for rows.Next() {
		var (
			w     payresult.SweepWindow
			swept *time.Time
		)
		if err := rows.Scan(&w.Kind, &w.Start, &w.End, &w.Owner, &w.LeaseUntil, &swept, &w.Final); err != nil {
			return nil, classify(err, "postgres: sweep windows")
		}
		w.Start, w.End, w.LeaseUntil, w.SweptAt = w.Start.UTC(), w.End.UTC(), w.LeaseUntil.UTC(), fromTS(swept)
		out = append(out, w)
	}
	return out, classify(rows.Err(), "postgres: sweep windows")
}

// ClaimSweepWindow leases a window to owner in one upsert whose update
// only happens when the window may be claimed. Two instances inserting
// the same window at once meet at the primary key: the second waits for
// the first and then evaluates the condition against its row, so one of
// them wins.
func (s *Store) ClaimSweepWindow(ctx context.Context, w payresult.SweepWindow, owner string, now, leaseUntil, sweptBefore time.Time) (bool, error) {
	if err := checkWindow(w, owner); err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO sweep_windows (kind, start_at, end_at, owner, lease_until)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, start_at) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE NOT sweep_windows.final
		  AND (sweep_windows.lease_until <= $6 OR sweep_windows.owner = excluded.owner)
		  AND (sweep_windows.swept_at IS NULL OR sweep_windows.swept_at <= $7)`,
		w.Kind, ts(w.Start), ts(w.End), owner, ts(leaseUntil), ts(now), ts(sweptBefore))
	if err != nil {
		return false, classify(err, "postgres: claim sweep window")
	}
	return tag.RowsAffected() == 1, nil
}

// FinishSweepWindow records a complete sweep by the lease's owner.
func (s *Store) FinishSweepWindow(ctx context.Context, w payresult.SweepWindow, owner string, sweptAt time.Time, final bool) (bool, error) {
	if err := checkWindow(w, owner); err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE sweep_windows SET swept_at = $1, final = $2, lease_until = to_timestamp(0)
		WHERE kind = $3 AND start_at = $4 AND owner = $5 AND NOT final`,
		ts(sweptAt), final, w.Kind, ts(w.Start), owner)
	if err != nil {
		return false, classify(err, "postgres: finish sweep window")
	}
	return tag.RowsAffected() == 1, nil
}

// WaitingOrders counts the orders with a check scheduled and finds the
// oldest one's creation.
func (s *Store) WaitingOrders(ctx context.Context) (int, time.Time, error) {
	var (
		n      int
		oldest *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM orders
		WHERE next_check_at IS NOT NULL`).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, classify(err, "postgres: waiting orders")
	}
	return n, fromTS(oldest), nil
}

// checkWindow refuses a window or owner no sweep can have.
func checkWindow(w payresult.SweepWindow, owner string) error {
	if w.Kind == "" || owner == "" || !w.End.After(w.Start) {
		return payresult.Errorf(payresult.KindInvalid, "postgres: sweep window %q [%v, %v) of owner %q", w.Kind, w.Start, w.End, owner)
	}
	return nil
}
