package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/payresult/payresult"
)

var _ payresult.SweepStore = (*Store)(nil)

// SweepWindows returns the stored windows of kind whose start is in
// [from, to), by start.
func (s *Store) SweepWindows(ctx context.Context, kind string, from, to time.Time) ([]payresult.SweepWindow, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT kind, start_at, end_at, owner, lease_until, swept_at, final
		FROM sweep_windows WHERE kind = ? AND start_at >= ? AND start_at < ? ORDER BY start_at`,
		kind, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, classify(err, "sqlite: sweep windows")
	}
	defer rows.Close()
	var out []payresult.SweepWindow
	for rows.Next() {
		var (
			w                 payresult.SweepWindow
			start, end, lease int64
			swept             sql.NullInt64
		)
		if err := rows.Scan(&w.Kind, &start, &end, &w.Owner, &lease, &swept, &w.Final); err != nil {
			return nil, classify(err, "sqlite: sweep windows")
		}
		w.Start, w.End = time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC()
		w.LeaseUntil, w.SweptAt = time.UnixMicro(lease).UTC(), fromMicros(swept)
		out = append(out, w)
	}
	return out, classify(rows.Err(), "sqlite: sweep windows")
}

// ClaimSweepWindow leases a window to owner in one upsert whose update
// only happens when the window may be claimed; the single writer makes
// it a compare-and-set.
func (s *Store) ClaimSweepWindow(ctx context.Context, w payresult.SweepWindow, owner string, now, leaseUntil, sweptBefore time.Time) (bool, error) {
	if err := checkWindow(w, owner); err != nil {
		return false, err
	}
	var claimed bool
	err := s.write(ctx, "claim sweep window", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sweep_windows (kind, start_at, end_at, owner, lease_until)
			VALUES (?1, ?2, ?3, ?4, ?5)
			ON CONFLICT (kind, start_at) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
			WHERE NOT sweep_windows.final
			  AND (sweep_windows.lease_until <= ?6 OR sweep_windows.owner = excluded.owner)
			  AND (sweep_windows.swept_at IS NULL OR sweep_windows.swept_at <= ?7)`,
			w.Kind, w.Start.UnixMicro(), w.End.UnixMicro(), owner, leaseUntil.UnixMicro(), now.UnixMicro(), sweptBefore.UnixMicro())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// FinishSweepWindow records a complete sweep by the lease's owner.
func (s *Store) FinishSweepWindow(ctx context.Context, w payresult.SweepWindow, owner string, sweptAt time.Time, final bool) (bool, error) {
	if err := checkWindow(w, owner); err != nil {
		return false, err
	}
	var done bool
	err := s.write(ctx, "finish sweep window", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sweep_windows SET swept_at = ?, final = ?, lease_until = 0
			WHERE kind = ? AND start_at = ? AND owner = ? AND NOT final`,
			sweptAt.UnixMicro(), final, w.Kind, w.Start.UnixMicro(), owner)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		done = n == 1
		return err
	})
	return done, err
}

// WaitingOrders counts the orders with a check scheduled and finds the
// oldest one's creation.
func (s *Store) WaitingOrders(ctx context.Context) (int, time.Time, error) {
	var (
		n      int
		oldest sql.NullInt64
	)
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM orders
		WHERE next_check_at IS NOT NULL`).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, classify(err, "sqlite: waiting orders")
	}
	return n, fromMicros(oldest), nil
}

// checkWindow refuses a window or owner no sweep can have.
func checkWindow(w payresult.SweepWindow, owner string) error {
	if w.Kind == "" || owner == "" || !w.End.After(w.Start) {
		return payresult.Errorf(payresult.KindInvalid, "sqlite: sweep window %q [%v, %v) of owner %q", w.Kind, w.Start, w.End, owner)
	}
	return nil
}
