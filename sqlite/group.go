package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/groupcommit"
)

// maxGroup bounds how many changes share one transaction.
const maxGroup = 64

// pendingChange is one Apply or CreateOrder waiting for its group's
// commit. Concurrent writes share one transaction through a
// groupcommit.Queue, and so one fsync: on one SQLite file every write
// waits for the single writer, and the commit's fsync, not the
// statements, is most of a write's time. A refused change (a lost
// compare-and-set, an imp_uid bound elsewhere) is rolled back alone and
// gets its own error, exactly as if it had had its own transaction; the
// others commit (see writeGroup). A failed commit fails the whole group,
// and each of its changes reports it.
type pendingChange = groupcommit.Item[change]

// change is what one Apply (c, with seqs for its events' seqs) or one
// CreateOrder (create) asks of its group.
type change struct {
	ctx    context.Context
	c      *payresult.Change
	seqs   []int64
	create *newOrder
}

// newOrder is one CreateOrder's order, its virtual account as the
// column's JSON, and, once written, the order as stored: nil when its
// merchant_uid existed and nothing was inserted.
type newOrder struct {
	o, stored *payresult.Order
	vbank     any
}

// write writes the change in w.
func (ch *change) write(w wtx) error {
	if ch.create != nil {
		return insertOrder(w, ch.create)
	}
	return applyInTx(w, ch.c, ch.seqs)
}

// what names the change in errors.
func (ch *change) what() string {
	if ch.create != nil {
		return "create order"
	}
	return "apply"
}

// writeGroup writes one group in one transaction and answers each change.
func (s *Store) writeGroup(group []*pendingChange) {
	if len(group) == 1 {
		p := &group[0].Value
		if err := p.ctx.Err(); err != nil {
			group[0].Err = err
			return
		}
		ctx := uncancelled(p.ctx)
		group[0].Err = s.write(ctx, p.what(), func(tx *sql.Tx) error { return p.write(wtx{ctx, tx, s}) })
		return
	}
	// The group outlives any one caller's context: a caller that gives up
	// must not abort the others' commit.
	ctx := uncancelled(group[0].Value.ctx)
	// Most groups have no refused change, so the group is first written
	// without savepoints, which are a third of its statements. A refusal
	// rolls that attempt back whole, and the group is written again with
	// a savepoint around each change, so that only the refused one fails.
	err := s.write(ctx, "group write", func(tx *sql.Tx) error { return s.applyAll(ctx, tx, group) })
	if errors.Is(err, errRefusedInGroup) {
		for _, p := range group {
			p.Err = nil
		}
		err = s.write(ctx, "group write", func(tx *sql.Tx) error { return s.applyEach(ctx, tx, group) })
	}
	if err != nil {
		for _, p := range group {
			if p.Err == nil {
				p.Err = err
			}
		}
	}
}

// errRefusedInGroup stops the writing of a group without savepoints at
// its first refused change.
var errRefusedInGroup = errors.New("sqlite: a change of the group was refused")

// applyAll writes every change of group in tx, without savepoints, and
// fails with errRefusedInGroup at the first one refused.
func (s *Store) applyAll(ctx context.Context, tx *sql.Tx, group []*pendingChange) error {
	w := wtx{ctx, tx, s}
	for _, p := range group {
		if err := p.Value.ctx.Err(); err != nil {
			p.Err = err
			continue
		}
		if err := p.Value.write(w); err != nil {
			return errRefusedInGroup
		}
	}
	return nil
}

// applyEach writes every change of group in tx, each in a savepoint of
// its own, so that a refused change is rolled back alone with its error.
func (s *Store) applyEach(ctx context.Context, tx *sql.Tx, group []*pendingChange) error {
	w := wtx{ctx, tx, s}
	for _, p := range group {
		if err := p.Value.ctx.Err(); err != nil {
			p.Err = err
			continue
		}
		if err := inSavepoint(w, func() error { return p.Value.write(w) }); err != nil {
			if isRollbackFailure(err) {
				return err
			}
			p.Err = classify(err, "sqlite: %s", p.Value.what())
		}
	}
	return nil
}

// The savepoint of one change in a group.
const (
	sqlSavepoint           = "SAVEPOINT change"
	sqlRollbackToSavepoint = "ROLLBACK TO change"
	sqlReleaseSavepoint    = "RELEASE change"
)

// rollbackFailure marks a savepoint that could not be rolled back: the
// transaction is then in an unknown state and must not commit.
type rollbackFailure struct{ err error }

func (r rollbackFailure) Error() string { return "sqlite: rolling back a change: " + r.err.Error() }
func (r rollbackFailure) Unwrap() error { return r.err }

func isRollbackFailure(err error) bool {
	_, ok := err.(rollbackFailure)
	return ok
}

// inSavepoint runs fn inside a savepoint of tx, rolled back alone when fn
// fails.
func inSavepoint(w wtx, fn func() error) error {
	if _, err := w.exec(sqlSavepoint); err != nil {
		return rollbackFailure{err}
	}
	if err := fn(); err != nil {
		if _, rerr := w.exec(sqlRollbackToSavepoint); rerr != nil {
			return rollbackFailure{rerr}
		}
		if _, rerr := w.exec(sqlReleaseSavepoint); rerr != nil {
			return rollbackFailure{rerr}
		}
		return err
	}
	if _, err := w.exec(sqlReleaseSavepoint); err != nil {
		return rollbackFailure{err}
	}
	return nil
}
