package sqlite

import (
	"context"
	"database/sql"
	"errors"

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
	if err := sqlstore.ValidChange(c, "sqlite: apply"); err != nil {
		return err
	}
	seqs := make([]int64, len(c.Events))
	if err := s.commits.Do(change{ctx: ctx, c: c, seqs: seqs}); err != nil {
		return err
	}
	sqlstore.Applied(c, seqs)
	return nil
}

// ApplyMany applies each change of cs and answers each.
func (s *Store) ApplyMany(ctx context.Context, cs []*payresult.Change) []error {
	return sqlstore.ApplyEach(ctx, s.Apply, cs)
}

// applyInTx writes c in tx and puts the events' seqs in seqs.
func applyInTx(w wtx, c *payresult.Change, seqs []int64) error {
	if c.Order != nil {
		if err := updateOrder(w, c.Order, c.FromVersion); err != nil {
			return err
		}
	}
	if c.Attempt != nil {
		if err := upsertAttempt(w, c.Attempt); err != nil {
			return err
		}
	}
	for i := range c.Events {
		seq, err := insertEvent(w, &c.Events[i])
		if err != nil {
			return err
		}
		seqs[i] = seq
	}
	return insertNotes(w, c.Notes)
}

// Apply's statements, prepared when the store opens.
const (
	sqlUpdateOrder = `UPDATE orders SET
			status = ?, imp_uid = ?, paid_amount = ?, refunded_amount = ?,
			fail_reason = ?, vbank = ?, forgery_cancelled = ?, updated_at = ?,
			paid_at = ?, next_check_at = ?, checks = ?, version = version + 1
		WHERE merchant_uid = ? AND version = ?`
	sqlOrderVersion  = `SELECT version FROM orders WHERE merchant_uid = ?`
	sqlUpsertAttempt = `INSERT INTO attempts (` + attemptColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (imp_uid) DO UPDATE SET
			status = excluded.status, pay_method = excluded.pay_method,
			pg_provider = excluded.pg_provider, amount = excluded.amount,
			cancel_amount = excluded.cancel_amount, currency = excluded.currency,
			sandbox = excluded.sandbox, fail_reason = excluded.fail_reason,
			updated_at = excluded.updated_at
		WHERE attempts.merchant_uid = excluded.merchant_uid`
	sqlInsertEvent = `INSERT INTO events (id, type, merchant_uid, created_at,
			data, state, attempts, next_attempt_at, last_error, delivered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// applyStatements are the statements the writes of Apply and CreateOrder run.
func applyStatements() []string {
	qs := []string{sqlCreateOrder, sqlUpdateOrder, sqlOrderVersion, sqlUpsertAttempt, sqlInsertEvent,
		sqlSavepoint, sqlRollbackToSavepoint, sqlReleaseSavepoint}
	for n := 1; n <= maxPreparedNotes; n++ {
		qs = append(qs, insertNotesSQL(n))
	}
	return qs
}

// updateOrder is the compare-and-set: it writes o only while the stored
// version is from, and tells a lost race (KindConflict) from a missing
// order (KindNotFound).
func updateOrder(w wtx, o *payresult.Order, from int64) error {
	vbank, err := sqlstore.VbankJSON(o.Vbank)
	if err != nil {
		return payresult.WrapError(payresult.KindInvalid, err, "sqlite: apply: virtual account")
	}
	res, err := w.exec(sqlUpdateOrder,
		o.Status, o.ImpUID, o.PaidAmount.Scaled(), o.RefundedAmount.Scaled(),
		o.FailReason, vbank, o.ForgeryCancelled, sqlstore.NowOr(o.UpdatedAt).UnixMicro(),
		micros(o.PaidAt), micros(o.NextCheckAt), o.Checks,
		o.MerchantUID, from)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var version int64
	err = w.queryRow(sqlOrderVersion, o.MerchantUID).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("order %q not found", o.MerchantUID)
	}
	if err != nil {
		return err
	}
	return payresult.Errorf(payresult.KindConflict,
		"sqlite: order %q is at version %d, not %d", o.MerchantUID, version, from)
}

// upsertAttempt inserts or updates an attempt. The conflict clause updates
// only a row of the same order, so an imp_uid bound to another order
// changes no row and becomes a KindConflict. Both statements of Apply
// that add a row run as plain executions, not queries: a query's rows
// cost database/sql and the driver a result set per call.
func upsertAttempt(w wtx, a *payresult.Attempt) error {
	res, err := w.exec(sqlUpsertAttempt,
		a.ImpUID, a.MerchantUID, a.Status, a.PayMethod, a.PGProvider,
		a.Amount.Scaled(), a.CancelAmount.Scaled(), a.Currency, a.Sandbox, a.FailReason,
		sqlstore.NowOr(a.CreatedAt).UnixMicro(), sqlstore.NowOr(a.UpdatedAt).UnixMicro())
	if payresult.KindOf(classify(err, "")) == payresult.KindNotFound {
		return notFound("order %q not found for imp_uid %q", a.MerchantUID, a.ImpUID)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return payresult.Errorf(payresult.KindConflict,
		"sqlite: imp_uid %q is bound to another order than %q", a.ImpUID, a.MerchantUID)
}

// insertEvent appends one event to the outbox and returns its seq. A
// pending event with no next attempt is due at once (at its creation).
func insertEvent(w wtx, e *payresult.Event) (int64, error) {
	created := sqlstore.NowOr(e.CreatedAt)
	state := sqlstore.DeliveryStateOr(e.State)
	next := e.NextAttempt
	if next.IsZero() && state == payresult.DeliveryPending {
		next = created
	}
	res, err := w.exec(sqlInsertEvent,
		e.ID, e.Type, e.MerchantUID, created.UnixMicro(), []byte(e.Data), state,
		e.Attempts, micros(next), e.LastError, micros(e.DeliveredAt))
	switch payresult.KindOf(classify(err, "")) {
	case payresult.KindConflict:
		return 0, payresult.WrapError(payresult.KindConflict, err, "sqlite: event %q exists", e.ID)
	case payresult.KindNotFound:
		return 0, notFound("order %q not found for event %q", e.MerchantUID, e.ID)
	}
	if err != nil {
		return 0, err
	}
	// seq is the rowid, so the row's id is its seq.
	return res.LastInsertId()
}
