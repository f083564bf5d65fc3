package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"payresult"
)

// maxGroup bounds how many changes share one transaction.
const maxGroup = 64

// groupCommit lets concurrent Applies share one transaction and so one
// fsync: on one SQLite file every write waits for the single writer, and
// the commit's fsync, not the statements, is most of a write's time.
//
// There is no goroutine of its own: the first Apply to find no group
// being written becomes the leader and writes the waiting changes, group
// after group, until none is left; the others wait for their answer. A
// refused change (a lost compare-and-set, an imp_uid bound elsewhere) is
// rolled back alone and gets its own error, exactly as if it had had its
// own transaction; the others commit (see writeGroup). A failed commit fails the whole group,
// and each of its changes reports it.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*pendingChange
	leading bool
}

// pendingChange is one Apply waiting for its group's commit.
type pendingChange struct {
	ctx  context.Context
	c    *payresult.Change
	seqs []int64
	err  error
	done chan struct{}
}

// apply writes c, alone or in a group, and returns its own outcome.
func (g *groupCommit) apply(ctx context.Context, s *Store, c *payresult.Change, seqs []int64) error {
	p := &pendingChange{ctx: ctx, c: c, seqs: seqs, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if g.leading {
		g.mu.Unlock()
		<-p.done // bounded by the leader's groups, each one transaction
		return p.err
	}
	g.leading = true
	g.mu.Unlock()
	g.lead(s)
	<-p.done
	return p.err
}

// lead writes groups until the queue is empty, then gives up leading.
func (g *groupCommit) lead(s *Store) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		group := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		s.writeGroup(group)
	}
}

// writeGroup writes one group in one transaction and answers each change.
func (s *Store) writeGroup(group []*pendingChange) {
	defer func() {
		for _, p := range group {
			close(p.done)
		}
	}()
	if len(group) == 1 {
		p := group[0]
		p.err = s.write(p.ctx, "apply", func(tx *sql.Tx) error { return applyInTx(wtx{p.ctx, tx, s}, p.c, p.seqs) })
		return
	}
	// The group outlives any one caller's context: a caller that gives up
	// must not abort the others' commit.
	ctx := context.WithoutCancel(group[0].ctx)
	// Most groups have no refused change, so the group is first written
	// without savepoints, which are a third of its statements. A refusal
	// rolls that attempt back whole, and the group is written again with
	// a savepoint around each change, so that only the refused one fails.
	err := s.write(ctx, "apply", func(tx *sql.Tx) error { return s.applyAll(ctx, tx, group) })
	if errors.Is(err, errRefusedInGroup) {
		for _, p := range group {
			p.err = nil
		}
		err = s.write(ctx, "apply", func(tx *sql.Tx) error { return s.applyEach(ctx, tx, group) })
	}
	if err != nil {
		for _, p := range group {
			if p.err == nil {
				p.err = err
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
		if err := p.ctx.Err(); err != nil {
			p.err = err
			continue
		}
		if err := applyInTx(w, p.c, p.seqs); err != nil {
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
		if err := p.ctx.Err(); err != nil {
			p.err = err
			continue
		}
		if err := inSavepoint(w, func() error { return applyInTx(w, p.c, p.seqs) }); err != nil {
			if isRollbackFailure(err) {
				return err
			}
			p.err = classify(err, "sqlite: apply")
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
