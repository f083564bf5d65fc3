package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Apply stores one change, with the meaning of payresult.Change.
// Concurrent Applies share transactions, WAL flushes and the event_seq
// lock through the store's batch.Writer (see writeWithArrays).
func (s *Store) Apply(ctx context.Context, c *payresult.Change) error {
	return s.writes.Apply(ctx, c)
}

// ApplyMany applies cs in one transaction, and answers each change as if
// it had been applied alone (see payresult.Store.ApplyMany).
func (s *Store) ApplyMany(ctx context.Context, cs []*payresult.Change) []error {
	return s.writes.ApplyMany(ctx, cs)
}

// writeWithArrays is the store's batch.WriteFunc. A lone change is written
// with its own statements in one round trip and a COMMIT. Several are
// written in one transaction with one array statement per table for them
// all (see groupRows), whatever their number: PostgreSQL runs a
// transaction's statements one after another, so their number, not their
// rows, bounds how fast groups go. Should any change be refused (a row
// count short of the group's, or an error), that attempt is rolled back
// whole and the group is written again change by change, each in a
// savepoint, so that each gets its own answer (see applyEach). A failed
// commit is never retried: it may have committed.
//
// Every transaction with events holds the one event_seq row from taking
// its seqs to its commit, so that seq order is commit order (see
// queueTakeSeqs): a group takes the counter once for all its events. Two
// instances' groups touching the same orders lock them in the same
// order, merchant_uid's, so as not to deadlock; the rare group written
// again change by change takes event_seq before its later changes' rows,
// and should that meet another instance's group holding one of those
// rows, PostgreSQL's deadlock check aborts one change, which is reported
// as the lost race it is (see applyError).
func (s *Store) writeWithArrays(ctx context.Context, cs []*payresult.Change, refused []error) error {
	if len(cs) == 1 {
		return applyError(s.inBatchTx(ctx, "apply", func(tx batcher) error { return applyOne(ctx, tx, cs[0]) }))
	}
	s.arrayGroups.Add(1)
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cs[a].MerchantUID(), cs[b].MerchantUID()) })
	sorted := make([]*payresult.Change, len(cs))
	for i, j := range order {
		sorted[i] = cs[j]
	}
	err := s.inBatchTx(ctx, "apply", func(tx batcher) error { return applyArrays(ctx, tx, sorted) })
	if !errors.Is(err, errRefused) {
		return applyError(err)
	}
	sortedRefused := make([]error, len(cs))
	err = s.inTx(ctx, "apply", func(tx pgx.Tx) error { return applyEach(ctx, tx, sorted, sortedRefused) })
	for i, j := range order {
		refused[j] = sortedRefused[i]
	}
	return applyError(err)
}

// applyError reports a change PostgreSQL aborted to break a deadlock (or
// for a serialization failure) as the lost race it is, KindConflict:
// nothing of the change was written, and its caller computes it again
// from the order as it is now, as after a lost compare-and-set. As a
// transient error it would fail its notice with a 503 instead.
func applyError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001") {
		return payresult.WrapError(payresult.KindConflict, err, "postgres: apply: lost a lock race with another writer; nothing was written")
	}
	return err
}

// applyOne writes c in tx with one round trip: its statements in one
// pgx.Batch, the answers read in order, so that the first refusal (a
// lost compare-and-set, an imp_uid bound elsewhere, an event that
// exists, an order that exists or is missing) is the one reported, as if
// the statements had run one by one. The caller rolls back on any error.
func applyOne(ctx context.Context, tx batcher, c *payresult.Change) error {
	b := &pgx.Batch{}
	if err := queueChange(b, c); err != nil {
		return err
	}
	br := tx.SendBatch(ctx, b)
	err := readChange(br, c)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// The savepoint of one change in a group.
const (
	sqlSavepoint           = "SAVEPOINT change"
	sqlRollbackToSavepoint = "ROLLBACK TO SAVEPOINT change"
	sqlReleaseSavepoint    = "RELEASE SAVEPOINT change"
)

// applyEach writes every change of cs in tx, each in a savepoint of its
// own with its own taking of seqs, so that a refused change is rolled
// back alone, seqs included, with its own error in refused. An error that
// leaves the transaction unusable (a savepoint that cannot be set or
// rolled back) fails the whole group.
func applyEach(ctx context.Context, tx pgx.Tx, cs []*payresult.Change, refused []error) error {
	for i, c := range cs {
		refused[i] = nil
		// A change's statements are pipelined: one refused by its answer
		// (a lost compare-and-set is no SQL error) has had its later
		// statements run too. So the savepoint stays until the next
		// change's batch, which releases it first, and the rollback can
		// always find it.
		b := &pgx.Batch{}
		if i > 0 {
			b.Queue(sqlReleaseSavepoint)
		}
		b.Queue(sqlSavepoint)
		if err := queueChange(b, c); err != nil {
			return err
		}
		br := tx.SendBatch(ctx, b)
		if err := execN(br, 1+min(i, 1)); err != nil { // the release and the savepoint
			br.Close()
			return err
		}
		refusal := readChange(br, c)
		if cerr := br.Close(); refusal == nil {
			refusal = cerr
		}
		if refusal != nil {
			if _, err := tx.Exec(ctx, sqlRollbackToSavepoint); err != nil {
				return err
			}
			refused[i] = applyError(classify(refusal, "postgres: apply"))
		}
	}
	return nil
}

// execN reads the answers of n statements that must all succeed.
func execN(br pgx.BatchResults, n int) error {
	for range n {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// queueChange queues c's statements: the order's insert (from version
// 0) or compare-and-set, the attempt, the notes, the write to its
// idempotency key's record and, last, the taking of
// seqs and the events, so that the event_seq lock is held as briefly as
// possible: from this batch to the commit.
func queueChange(b *pgx.Batch, c *payresult.Change) error {
	if o := c.Order; o != nil {
		queue := queueInsertOrder
		if c.FromVersion > 0 {
			queue = func(b *pgx.Batch, o *payresult.Order) error { return queueUpdateOrder(b, o, c.FromVersion) }
		}
		if err := queue(b, o); err != nil {
			return err
		}
	}
	if c.Attempt != nil {
		queueUpsertAttempt(b, c.Attempt)
	}
	queueNotes(b, c.Notes)
	if c.Idempotency != nil {
		queueIdempotency(b, c.Idempotency)
	}
	if n := int64(len(c.Events)); n > 0 {
		queueTakeSeqs(b, n)
		for i := range c.Events {
			queueEvent(b, &c.Events[i], n-1-int64(i))
		}
	}
	return nil
}

// readChange reads the answers of queueChange's statements in order, so
// that the first refusal is the one reported, and sets the events' seqs.
func readChange(br pgx.BatchResults, c *payresult.Change) error {
	if o := c.Order; o != nil {
		read := readInsertOrder
		if c.FromVersion > 0 {
			read = func(br pgx.BatchResults, o *payresult.Order) error { return readUpdateOrder(br, o, c.FromVersion) }
		}
		if err := read(br, o); err != nil {
			return err
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
	if c.Idempotency != nil {
		if err := readIdempotency(br, c.Idempotency); err != nil {
			return err
		}
	}
	if len(c.Events) == 0 {
		return nil
	}
	var last int64
	if err := br.QueryRow().Scan(&last); err != nil {
		return err
	}
	first := last - int64(len(c.Events)) + 1
	for i := range c.Events {
		e := &c.Events[i]
		_, err := br.Exec()
		switch payresult.KindOf(classify(err, "")) {
		case payresult.KindConflict:
			return payresult.WrapError(payresult.KindConflict, err, "postgres: event %q exists", e.ID)
		case payresult.KindNotFound:
			return notFound("order %q not found for event %q", e.MerchantUID, e.ID)
		}
		if err != nil {
			return err
		}
		e.Seq = first + int64(i)
	}
	return nil
}

// queueInsertOrder queues the insert of a new order at version 1; its
// row is missing when the merchant_uid exists.
func queueInsertOrder(b *pgx.Batch, o *payresult.Order) error {
	vbank, err := sqlstore.VbankJSON(o.Vbank)
	if err != nil {
		return payresult.WrapError(payresult.KindInvalid, err, "postgres: new order: virtual account")
	}
	b.Queue(`INSERT INTO orders (
			merchant_uid, name, amount, currency, status, imp_uid, paid_amount,
			refunded_amount, fail_reason, vbank, forgery_cancelled, success_url,
			fail_url, created_at, updated_at, paid_at, next_check_at, checks, api, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1)
		ON CONFLICT (merchant_uid) DO NOTHING RETURNING 1`,
		o.MerchantUID, o.Name, o.Amount.Scaled(), o.Currency, o.Status, o.ImpUID,
		o.PaidAmount.Scaled(), o.RefundedAmount.Scaled(), o.FailReason, vbank,
		o.ForgeryCancelled, o.SuccessURL, o.FailURL, ts(sqlstore.NowOr(o.CreatedAt)),
		ts(sqlstore.NowOr(o.UpdatedAt)), ts(o.PaidAt), ts(o.NextCheckAt), o.Checks, string(o.API))
	return nil
}

// readInsertOrder reads the answer of queueInsertOrder.
func readInsertOrder(br pgx.BatchResults, o *payresult.Order) error {
	var one int
	err := br.QueryRow().Scan(&one)
	if isNoRows(err) {
		return payresult.Errorf(payresult.KindConflict, "postgres: order %q exists", o.MerchantUID)
	}
	return err
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

// readUpdateOrder reads the answer of queueUpdateOrder.
func readUpdateOrder(br pgx.BatchResults, o *payresult.Order, from int64) error {
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
			"postgres: order %q is at version %d, not %d", o.MerchantUID, *version, from)
	}
	return nil
}

// queueUpsertAttempt queues the insert or update of an attempt. The
// conflict clause updates only a row of the same order, so an imp_uid
// bound to another order returns no row and becomes a KindConflict.
func queueUpsertAttempt(b *pgx.Batch, a *payresult.Attempt) {
	b.Queue(`INSERT INTO attempts (`+sqlstore.AttemptColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) `+
		sqlstore.AttemptConflict+` RETURNING imp_uid`,
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
