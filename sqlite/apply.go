package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Apply stores one change, with the meaning of payresult.Change.
// Concurrent Applies share transactions and fsyncs through the store's
// batch.Writer: on one SQLite file every write waits for the single
// writer, and the commit's fsync, not the statements, is most of a
// write's time.
func (s *Store) Apply(ctx context.Context, c *payresult.Change) error {
	return s.writes.Apply(ctx, c)
}

// ApplyMany applies cs in one transaction, and answers each change as if
// it had been applied alone (see payresult.Store.ApplyMany).
func (s *Store) ApplyMany(ctx context.Context, cs []*payresult.Change) []error {
	return s.writes.ApplyMany(ctx, cs)
}

// writeWithSavepoints is the store's batch.WriteFunc: one write
// transaction in which a refused change (a lost compare-and-set, an
// imp_uid bound elsewhere, an event that exists, a missing or existing
// order) is rolled back alone with its own error while the others commit.
// A lone change needs no savepoint: its refusal rolls the transaction
// back. Several are first written without savepoints, which would be a
// third of their statements, as most groups have no refused change; a
// refusal rolls that attempt back whole, and the group is written again
// with a savepoint around each change.
func (s *Store) writeWithSavepoints(ctx context.Context, cs []*payresult.Change, refused []error) error {
	err := s.write(ctx, "apply", func(tx *sql.Tx) error {
		w := wtx{ctx, tx, s}
		for _, c := range cs {
			if err := writeChange(w, c); err != nil {
				if len(cs) == 1 {
					return err
				}
				return errRefusedInGroup
			}
		}
		return nil
	})
	if !errors.Is(err, errRefusedInGroup) {
		return err
	}
	return s.write(ctx, "apply", func(tx *sql.Tx) error {
		w := wtx{ctx, tx, s}
		for i, c := range cs {
			err := inSavepoint(w, func() error { return writeChange(w, c) })
			if isRollbackFailure(err) {
				return err
			}
			refused[i] = classify(err, "sqlite: apply")
		}
		return nil
	})
}

// errRefusedInGroup stops the writing of a group without savepoints at
// its first refused change.
var errRefusedInGroup = errors.New("sqlite: a change of the group was refused")

// writeChange writes c in w: the order (inserted from version 0, or its
// compare-and-set), the attempt, the events with their seqs, the notes,
// the write to its idempotency key's record.
func writeChange(w wtx, c *payresult.Change) error {
	if o := c.Order; o != nil {
		insert := insertOrder
		if c.FromVersion > 0 {
			insert = func(w wtx, o *payresult.Order) error { return updateOrder(w, o, c.FromVersion) }
		}
		if err := insert(w, o); err != nil {
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
		c.Events[i].Seq = seq
	}
	if err := insertNotes(w, c.Notes); err != nil {
		return err
	}
	if c.Idempotency != nil {
		return writeIdempotency(w, c.Idempotency)
	}
	return nil
}

// The statements of writeChange, prepared when the store opens.
const (
	sqlInsertOrder = `INSERT INTO orders (
			merchant_uid, name, amount, currency, status, imp_uid, paid_amount,
			refunded_amount, fail_reason, vbank, forgery_cancelled, success_url,
			fail_url, created_at, updated_at, paid_at, next_check_at, checks, api, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (merchant_uid) DO NOTHING`
	sqlUpdateOrder = `UPDATE orders SET
			status = ?, imp_uid = ?, paid_amount = ?, refunded_amount = ?,
			fail_reason = ?, vbank = ?, forgery_cancelled = ?, updated_at = ?,
			paid_at = ?, next_check_at = ?, checks = ?, version = version + 1
		WHERE merchant_uid = ? AND version = ?`
	sqlOrderVersion  = `SELECT version FROM orders WHERE merchant_uid = ?`
	sqlUpsertAttempt = `INSERT INTO attempts (` + sqlstore.AttemptColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` + sqlstore.AttemptConflict
	sqlInsertEvent = `INSERT INTO events (id, type, merchant_uid, created_at,
			data, state, attempts, next_attempt_at, last_error, delivered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// writeStatements are the statements writeWithSavepoints runs.
func writeStatements() []string {
	qs := []string{sqlInsertOrder, sqlUpdateOrder, sqlOrderVersion, sqlUpsertAttempt, sqlInsertEvent,
		sqlSavepoint, sqlRollbackToSavepoint, sqlReleaseSavepoint}
	for n := 1; n <= maxPreparedNotes; n++ {
		qs = append(qs, insertNotesSQL(n))
	}
	return qs
}

// insertOrder inserts a new order at version 1, or refuses with
// KindConflict when its merchant_uid exists.
func insertOrder(w wtx, o *payresult.Order) error {
	vbank, err := sqlstore.VbankJSON(o.Vbank)
	if err != nil {
		return payresult.WrapError(payresult.KindInvalid, err, "sqlite: new order: virtual account")
	}
	res, err := w.exec(sqlInsertOrder,
		o.MerchantUID, o.Name, o.Amount.Scaled(), o.Currency, o.Status, o.ImpUID,
		o.PaidAmount.Scaled(), o.RefundedAmount.Scaled(), o.FailReason, vbank,
		o.ForgeryCancelled, o.SuccessURL, o.FailURL, sqlstore.NowOr(o.CreatedAt).UnixMicro(),
		sqlstore.NowOr(o.UpdatedAt).UnixMicro(), micros(o.PaidAt), micros(o.NextCheckAt), o.Checks, o.API)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return payresult.Errorf(payresult.KindConflict, "sqlite: order %q exists", o.MerchantUID)
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
// changes no row and becomes a KindConflict.
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

// maxPreparedNotes is the most notes one prepared insert takes: Confirm
// writes two to four with a change; longer runs are parsed each time.
const maxPreparedNotes = 4

// insertNotesSQL is the insert of n notes in one statement.
func insertNotesSQL(n int) string {
	return "INSERT INTO notes (merchant_uid, imp_uid, source, kind, detail, at) VALUES " +
		strings.Repeat("(?, ?, ?, ?, ?, ?), ", n-1) + "(?, ?, ?, ?, ?, ?)"
}

// insertNotes appends a change's notes to their orders' timelines with
// one statement.
func insertNotes(w wtx, notes []payresult.Note) error {
	if len(notes) == 0 {
		return nil
	}
	args := make([]any, 0, 6*len(notes))
	for _, n := range notes {
		args = append(args, n.MerchantUID, n.ImpUID, n.Source, n.Kind, n.Detail, sqlstore.NowOr(n.At).UnixMicro())
	}
	_, err := w.exec(insertNotesSQL(len(notes)), args...)
	return err
}

// The savepoint of one change among several.
const (
	sqlSavepoint           = "SAVEPOINT change"
	sqlRollbackToSavepoint = "ROLLBACK TO change"
	sqlReleaseSavepoint    = "RELEASE change"
)

// rollbackFailure marks a savepoint that could not be set or rolled back:
// the transaction is then in an unknown state and must not commit.
type rollbackFailure struct{ err error }

func (r rollbackFailure) Error() string { return "sqlite: rolling back a change: " + r.err.Error() }
func (r rollbackFailure) Unwrap() error { return r.err }

func isRollbackFailure(err error) bool {
	var rf rollbackFailure
	return errors.As(err, &rf)
}

// inSavepoint runs fn inside a savepoint of w, rolled back alone when fn
// fails.
func inSavepoint(w wtx, fn func() error) error {
	if _, err := w.exec(sqlSavepoint); err != nil {
		return rollbackFailure{err}
	}
	err := fn()
	if err != nil {
		if _, rerr := w.exec(sqlRollbackToSavepoint); rerr != nil {
			return rollbackFailure{rerr}
		}
	}
	if _, rerr := w.exec(sqlReleaseSavepoint); rerr != nil {
		return rollbackFailure{rerr}
	}
	return err
}
