package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// The statements of idempotency keys.
const (
	keyColumns = `key, fingerprint, created_at, token, lease_until, basis, status, body`
	// The upsert takes a record over only for the same fingerprint,
	// unanswered, with its claim released or its lease ended; it returns
	// no row when it leaves the record as it is.
	sqlClaimKey = `INSERT INTO idempotency_keys AS k (key, fingerprint, created_at, token, lease_until)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE SET token = excluded.token, lease_until = excluded.lease_until
		WHERE k.fingerprint = excluded.fingerprint AND k.status = 0
			AND (k.token = '' OR k.lease_until <= $3)
		RETURNING ` + keyColumns
	sqlKey        = `SELECT ` + keyColumns + ` FROM idempotency_keys WHERE key = $1`
	sqlReleaseKey = `UPDATE idempotency_keys SET token = '' WHERE key = $1 AND token = $2 AND status = 0`
	sqlPruneKeys  = `DELETE FROM idempotency_keys WHERE key IN (
		SELECT key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2
		FOR UPDATE SKIP LOCKED)`
	sqlWriteKey = `UPDATE idempotency_keys SET basis = COALESCE($1, basis), status = $2, body = $3
		WHERE key = $4 AND token = $5 AND status = 0`
	// sqlGroupKeys is sqlWriteKey for a group, its rows as arrays.
	sqlGroupKeys = `UPDATE idempotency_keys k SET basis = COALESCE(v.basis, k.basis),
			status = v.status, body = v.body
		FROM unnest($1::text[], $2::text[], $3::bytea[], $4::integer[], $5::bytea[])
			AS v(key, token, basis, status, body)
		WHERE k.key = v.key AND k.token = v.token AND k.status = 0`
)

// maxClaimReads bounds ClaimIdempotencyKey's tries when the record it
// found is pruned before it reads it (only a record older than the
// retention can be).
const maxClaimReads = 3

// ClaimIdempotencyKey claims c.Key for a request (see
// payresult.IdempotencyStore). The upsert is atomic: of concurrent
// claims, on any number of instances, one inserts or takes the record
// over and the others wait for its row and then find it held. A claim
// that changed nothing reads the record as it is after the upsert, in a
// statement of its own, whose snapshot sees the row the upsert waited
// for.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c payresult.IdempotencyClaim) (*payresult.IdempotencyRecord, error) {
	if err := sqlstore.CheckClaim(c, "postgres: claim idempotency key"); err != nil {
		return nil, err
	}
	for range maxClaimReads {
		rec, err := scanKey(s.pool.QueryRow(ctx, sqlClaimKey, c.Key, c.Fingerprint, ts(c.Now), c.Token, ts(c.LeaseUntil)))
		if isNoRows(err) {
			rec, err = scanKey(s.pool.QueryRow(ctx, sqlKey, c.Key))
		}
		if !isNoRows(err) {
			return rec, classify(err, "postgres: claim idempotency key")
		}
	}
	return nil, payresult.Errorf(payresult.KindTransient, "postgres: claim idempotency key %q: its record kept changing", c.Key)
}

// ReleaseIdempotencyKey ends token's claim on key without an answer.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, key, token string) error {
	_, err := s.pool.Exec(ctx, sqlReleaseKey, key, token)
	return classify(err, "postgres: release idempotency key")
}

// PruneIdempotencyKeys deletes up to limit records created before before,
// oldest first, skipping any row another transaction is writing.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := sqlstore.CheckPruneLimit(limit, "postgres: prune idempotency keys")
	if err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, sqlPruneKeys, ts(before), limit)
	if err != nil {
		return 0, classify(err, "postgres: prune idempotency keys")
	}
	return int(tag.RowsAffected()), nil
}

// queueIdempotency queues a change's write to its key's record.
func queueIdempotency(b *pgx.Batch, w *payresult.IdempotencyWrite) {
	b.Queue(sqlWriteKey, sqlstore.NullBytes(w.Basis), w.Status, sqlstore.NullBytes(w.Body), w.Key, w.Token)
}

// readIdempotency reads the answer of queueIdempotency: no row written
// refuses the change, whose claim no longer holds the key.
func readIdempotency(br pgx.BatchResults, w *payresult.IdempotencyWrite) error {
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return sqlstore.NotHeld("postgres", w.Key)
	}
	return nil
}

// idempotencyRows are a group's writes to idempotency keys' records, as
// columns.
type idempotencyRows struct {
	key, token  []string
	basis, body [][]byte
	status      []int32
}

// add appends w, if any.
func (r *idempotencyRows) add(w *payresult.IdempotencyWrite) {
	if w == nil {
		return
	}
	r.key = append(r.key, w.Key)
	r.token = append(r.token, w.Token)
	r.basis = append(r.basis, w.Basis)
	r.status = append(r.status, int32(w.Status))
	r.body = append(r.body, w.Body)
}

// queue queues the group's writes, if any; each must write its row.
func (r *idempotencyRows) queue(b *pgx.Batch) {
	if len(r.key) > 0 {
		b.Queue(sqlGroupKeys, r.key, r.token, r.basis, r.status, r.body)
	}
}

// scanKey reads one row of keyColumns.
func scanKey(row pgx.Row) (*payresult.IdempotencyRecord, error) {
	var r payresult.IdempotencyRecord
	if err := row.Scan(&r.Key, &r.Fingerprint, &r.CreatedAt, &r.Token, &r.LeaseUntil, &r.Basis, &r.Status, &r.Body); err != nil {
		return nil, err
	}
	r.CreatedAt, r.LeaseUntil = r.CreatedAt.UTC(), r.LeaseUntil.UTC()
	return &r, nil
}
