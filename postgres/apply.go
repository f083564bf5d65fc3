package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Apply stores one verified change in one transaction: the order's state
// if its version is still c.FromVersion, the attempt, the events and the
// notes.
// Anything refused rolls back everything. On success c.Order.Version is
// the new version and each event's Seq is set.
//
// Apply writes the order's state, never its terms: name, amount,
// currency, URLs and created_at stay as CreateOrder stored them.
func (s *Store) Apply(ctx context.Context, c *payresult.Change) error {
	if sqlstore.IsCreate(c) {
		return sqlstore.CreateByChange(ctx, s, c)
	}
	if err := sqlstore.ValidChange(c, "postgres: apply"); err != nil {
		return err
	}
	seqs := make([]int64, len(c.Events))
	if err := s.commits.Do(change{ctx, c, seqs}); err != nil {
		return applyError(err)
	}
	sqlstore.Applied(c, seqs)
	return nil
}

// ApplyMany applies each change of cs and answers each.
func (s *Store) ApplyMany(ctx context.Context, cs []*payresult.Change) []error {
	return sqlstore.ApplyEach(ctx, s.Apply, cs)
}

// applyError reports a change PostgreSQL aborted to break a deadlock (or
// for a serialization failure) as the lost race it is, KindConflict:
// nothing of the change was written, and its caller computes it again
// from the order as it is now, as after a lost compare-and-set. Two
// instances' groups can deadlock when one is written change by change
// (see pendingChange); as a transient error the change would have failed
// its notice with a 503 instead.
func applyError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001") {
		return payresult.WrapError(payresult.KindConflict, err, "postgres: apply: lost a lock race with another writer; nothing was written")
	}
	return err
}

// applyBatch writes c in tx with one round trip: every statement goes in
// one pgx.Batch, and the answers are read in order, so that the first
// refusal (a lost compare-and-set, an imp_uid bound elsewhere, an event
// that exists) is the one reported, as if the statements had run one by
// one. The events' seqs go in seqs. The caller rolls back (the
// transaction, or the change's savepoint) on any error. The events come
// last, as the
// event_seq lock they take must be held as briefly as possible: from
// this batch to the commit.
func applyBatch(ctx context.Context, tx batcher, c *payresult.Change, seqs []int64) error {
	b := &pgx.Batch{}
	if err := queueChange(b, c); err != nil {
		return err
	}
	if n := int64(len(c.Events)); n > 0 {
		queueTakeSeqs(b, n)
		for i := range c.Events {
			queueEvent(b, &c.Events[i], n-1-int64(i))
		}
	}
	br := tx.SendBatch(ctx, b)
	err := readChange(br, c)
	if err == nil && len(c.Events) > 0 {
		var first int64
		if first, err = takenSeqs(br, int64(len(c.Events))); err == nil {
			err = readEvents(br, c.Events, seqs, first)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// queueChange queues c's statements but its events: the order's
// compare-and-set, the attempt and the notes.
func queueChange(b *pgx.Batch, c *payresult.Change) error {
	if c.Order != nil {
		if err := queueUpdateOrder(b, c.Order, c.FromVersion); err != nil {
			return err
		}
	}
	if c.Attempt != nil {
		queueUpsertAttempt(b, c.Attempt)
	}
	queueNotes(b, c.Notes)
	return nil
}

// readChange reads the answers of queueChange's statements in order, so
// that the first refusal (a lost compare-and-set, an imp_uid bound
// elsewhere) is the one reported, as if the statements had run one by
// one.
func readChange(br pgx.BatchResults, c *payresult.Change) error {
	if o := c.Order; o != nil {
		var updated bool
		var version *int64
		if err := br.QueryRow().Scan(&updated, &version); err != nil {
			return err
		}
		switch {
		case version == nil:
			return notFound("order %q not found", o.MerchantUID)
		case !updated:
			return payresult.Errorf(payresult.KindConflict,
				"postgres: order %q is at version %d, not %d", o.MerchantUID, *version, c.FromVersion)
		}
	}
	if a := c.Attempt; a != nil {
		var imp string
		err := br.QueryRow().Scan(&imp)
		if isNoRows(err) {
			return payresult.Errorf(payresult.KindConflict,
				"postgres: imp_uid %q is bound to another order than %q", a.ImpUID, a.MerchantUID)
		}
		if payresult.KindOf(classify(err, "")) == payresult.KindNotFound {
			return notFound("order %q not found for imp_uid %q", a.MerchantUID, a.ImpUID)
		}
		if err != nil {
			return err
		}
	}
	if len(c.Notes) > 0 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// takenSeqs reads the answer of queueTakeSeqs(n): the first of the n
// seqs taken.
func takenSeqs(br pgx.BatchResults, n int64) (int64, error) {
	var last int64
	if err := br.QueryRow().Scan(&last); err != nil {
		return 0, err
	}
	return last - n + 1, nil
}

// readEvents reads the answers of the inserts of evs, whose seqs are
// first, first+1, ..., and puts those seqs in seqs.
func readEvents(br pgx.BatchResults, evs []payresult.Event, seqs []int64, first int64) error {
	for i := range evs {
		seqs[i] = first + int64(i)
		_, err := br.Exec()
		switch payresult.KindOf(classify(err, "")) {
		case payresult.KindConflict:
			return payresult.WrapError(payresult.KindConflict, err, "postgres: event %q exists", evs[i].ID)
		case payresult.KindNotFound:
			return notFound("order %q not found for event %q", evs[i].MerchantUID, evs[i].ID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// queueUpdateOrder queues the compare-and-set: it writes o only while the
// stored version is from. Its one row tells whether it wrote, and the
// stored version (NULL for a missing order), so that a lost race
// (KindConflict) and a missing order (KindNotFound) are told apart
// without another statement. Under READ COMMITTED an UPDATE that waited
// for a concurrent one re-reads the row and finds the version moved on;
// the version read beside it may be the one before that wait, which is
// still proof that the order exists.
func queueUpdateOrder(b *pgx.Batch, o *payresult.Order, from int64) error {
	vbank, err := sqlstore.VbankJSON(o.Vbank)
	if err != nil {
		return payresult.WrapError(payresult.KindInvalid, err, "postgres: apply: virtual account")
	}
	b.Queue(`WITH u AS (UPDATE orders SET
			status = $1, imp_uid = $2, paid_amount = $3, refunded_amount = $4,
			fail_reason = $5, vbank = $6, forgery_cancelled = $7, updated_at = $8,
			paid_at = $9, next_check_at = $10, checks = $11, version = version + 1
		WHERE merchant_uid = $12 AND version = $13 RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), (SELECT version FROM orders WHERE merchant_uid = $12)`,
		o.Status, o.ImpUID, o.PaidAmount.Scaled(), o.RefundedAmount.Scaled(),
		o.FailReason, vbank, o.ForgeryCancelled, ts(sqlstore.NowOr(o.UpdatedAt)),
		ts(o.PaidAt), ts(o.NextCheckAt), o.Checks,
		o.MerchantUID, from)
	return nil
}

// queueUpsertAttempt queues the insert or update of an attempt. The
// conflict clause updates only a row of the same order, so an imp_uid
// bound to another order returns no row and becomes a KindConflict.
func queueUpsertAttempt(b *pgx.Batch, a *payresult.Attempt) {
	b.Queue(`INSERT INTO attempts (`+attemptColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (imp_uid) DO UPDATE SET
			status = excluded.status, pay_method = excluded.pay_method,
			pg_provider = excluded.pg_provider, amount = excluded.amount,
			cancel_amount = excluded.cancel_amount, currency = excluded.currency,
			sandbox = excluded.sandbox, fail_reason = excluded.fail_reason,
			updated_at = excluded.updated_at
		WHERE attempts.merchant_uid = excluded.merchant_uid
		RETURNING imp_uid`,
		a.ImpUID, a.MerchantUID, a.Status, a.PayMethod, a.PGProvider,
		a.Amount.Scaled(), a.CancelAmount.Scaled(), a.Currency, a.Sandbox, a.FailReason,
		ts(sqlstore.NowOr(a.CreatedAt)), ts(sqlstore.NowOr(a.UpdatedAt)))
}

// queueTakeSeqs queues the taking of n seqs for events.
//
// A sequence would hand out seqs in the order transactions ask, not the
// order they commit: a feed reader could see seq 11 committed, move its
// cursor past it, and never see seq 10 commit a moment later. So seqs
// come from the one-row event_seq counter instead, taken as the last step
// before commit: its row lock makes the next transaction with events wait
// until this one has committed, so seq order is commit order and the
// cursor is stable. Each event insert that follows reads its seq from the
// counter this transaction just moved (see queueEvent).
func queueTakeSeqs(b *pgx.Batch, n int64) {
	b.Queue(`UPDATE event_seq SET last = last + $1 RETURNING last`, n)
}

// queueEvent queues the insert of e with the seq back places before the
// last one queueTakeSeqs took.
func queueEvent(b *pgx.Batch, e *payresult.Event, back int64) {
	created := sqlstore.NowOr(e.CreatedAt)
	state := sqlstore.DeliveryStateOr(e.State)
	next := e.NextAttempt
	if next.IsZero() && state == payresult.DeliveryPending {
		next = created // a pending event with no next attempt is due at once
	}
	b.Queue(`INSERT INTO events (seq, id, type, merchant_uid, created_at,
			data, state, attempts, next_attempt_at, last_error, delivered_at)
		SELECT last - $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM event_seq`,
		back, e.ID, e.Type, e.MerchantUID, ts(created), []byte(e.Data), state,
		e.Attempts, ts(next), e.LastError, ts(e.DeliveredAt))
}
