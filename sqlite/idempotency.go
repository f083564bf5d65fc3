package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// The statements of idempotency keys.
const (
	// The upsert takes a record over only for the same fingerprint,
	// unanswered, with its claim released or its lease ended.
	sqlClaimKey = `INSERT INTO idempotency_keys (key, fingerprint, created_at, token, lease_until)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET token = excluded.token, lease_until = excluded.lease_until
		WHERE idempotency_keys.fingerprint = excluded.fingerprint AND idempotency_keys.status = 0
			AND (idempotency_keys.token = '' OR idempotency_keys.lease_until <= ?)`
	sqlKey = `SELECT key, fingerprint, created_at, token, lease_until, basis, status, body
		FROM idempotency_keys WHERE key = ?`
	sqlReleaseKey = `UPDATE idempotency_keys SET token = ''
		WHERE key = ? AND token = ? AND status = 0`
	sqlPruneKeys = `DELETE FROM idempotency_keys WHERE key IN (
		SELECT key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`
	sqlWriteKey = `UPDATE idempotency_keys SET basis = COALESCE(?, basis), status = ?, body = ?
		WHERE key = ? AND token = ? AND status = 0`
)

// ClaimIdempotencyKey claims c.Key for a request (see
// payresult.IdempotencyStore): the upsert and the read of the record in
// one write transaction, which no other claim can come between.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c payresult.IdempotencyClaim) (*payresult.IdempotencyRecord, error) {
	if err := sqlstore.CheckClaim(c, "sqlite: claim idempotency key"); err != nil {
		return nil, err
	}
	var rec *payresult.IdempotencyRecord
	err := s.write(ctx, "claim idempotency key", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, sqlClaimKey, c.Key, c.Fingerprint, c.Now.UnixMicro(), c.Token,
			c.LeaseUntil.UnixMicro(), c.Now.UnixMicro())
		if err != nil {
			return err
		}
		rec, err = scanKey(tx.QueryRowContext(ctx, sqlKey, c.Key))
		return err
	})
	return rec, err
}

// ReleaseIdempotencyKey ends token's claim on key without an answer.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, key, token string) error {
	return s.write(ctx, "release idempotency key", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, sqlReleaseKey, key, token)
		return err
	})
}

// PruneIdempotencyKeys deletes up to limit records created before before,
// oldest first.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := sqlstore.CheckPruneLimit(limit, "sqlite: prune idempotency keys")
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.write(ctx, "prune idempotency keys", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, sqlPruneKeys, before.UnixMicro(), limit)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return int(n), err
}

// writeIdempotency writes a change's basis or answer to its key's record,
// or refuses the change when its claim no longer holds the key.
func writeIdempotency(w wtx, iw *payresult.IdempotencyWrite) error {
	res, err := w.exec(sqlWriteKey, sqlstore.NullBytes(iw.Basis), iw.Status, sqlstore.NullBytes(iw.Body), iw.Key, iw.Token)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return sqlstore.NotHeld("sqlite", iw.Key)
}

// scanKey reads one row of sqlKey.
func scanKey(row scanner) (*payresult.IdempotencyRecord, error) {
	var (
		r              payresult.IdempotencyRecord
		created, lease int64
	)
	if err := row.Scan(&r.Key, &r.Fingerprint, &created, &r.Token, &lease, &r.Basis, &r.Status, &r.Body); err != nil {
		return nil, err
	}
	r.CreatedAt = time.UnixMicro(created).UTC()
	r.LeaseUntil = time.UnixMicro(lease).UTC()
	return &r, nil
}
