package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"

	"payresult"
)

// maxGroup bounds how many changes share one transaction.
const maxGroup = 64

// groupCommit lets concurrent Applies share one transaction. Every
// transaction with events holds the one event_seq row from taking its
// seqs to its commit's WAL flush, so that seq order is commit order (see
// queueTakeSeqs); transactions with events therefore commit one after
// another, one flush each. A group takes the counter once for all its
// events and flushes once, so the lock is paid per group, not per change.
//
// There is no goroutine of its own: the first Apply to find no group
// being written becomes the leader and writes the waiting changes, group
// after group, until none is left; the others wait for their answer. A
// refused change (a lost compare-and-set, an imp_uid bound elsewhere, an
// event that exists) is rolled back alone and gets its own error, exactly
// as if it had had its own transaction; the others commit (see
// writeGroup). A failed commit fails the whole group, and each of its
// changes reports it.
//
// Several instances on one database each have their own leader; their
// groups are ordered by the event_seq row lock as single changes are.
// Within a group the orders' rows are locked in merchant_uid order, so
// that two instances' groups touching the same orders cannot deadlock.
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
		p.err = s.inTx(p.ctx, "apply", func(tx pgx.Tx) error { return applyBatch(p.ctx, tx, p.c, p.seqs) })
		return
	}
	live := make([]*pendingChange, 0, len(group))
	for _, p := range group {
		if err := p.ctx.Err(); err != nil {
			p.err = classify(err, "postgres: apply")
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(a, b *pendingChange) int { return cmp.Compare(lockKey(a.c), lockKey(b.c)) })
	// The group outlives any one caller's context: a caller that gives up
	// must not abort the others' commit.
	ctx := context.WithoutCancel(live[0].ctx)
	// Most groups have no refused change, so the group is first written
	// in one round trip without savepoints. A refusal rolls that attempt
	// back whole, and the group is written again with a savepoint around
	// each change, so that only the refused one fails. A failed commit is
	// never retried: it may have committed.
	err := s.inTx(ctx, "apply", func(tx pgx.Tx) error { return applyAll(ctx, tx, live) })
	if errors.Is(err, errRefusedInGroup) {
		err = s.inTx(ctx, "apply", func(tx pgx.Tx) error { return applyEach(ctx, tx, live) })
	}
	if err != nil {
		for _, p := range live {
			if p.err == nil {
				p.err = err
			}
		}
	}
}

// lockKey is the order whose row c locks: the group locks rows in this
// order.
func lockKey(c *payresult.Change) string {
	switch {
	case c.Order != nil:
		return c.Order.MerchantUID
	case c.Attempt != nil:
		return c.Attempt.MerchantUID
	case len(c.Events) > 0:
		return c.Events[0].MerchantUID
	}
	return ""
}

// errRefusedInGroup stops the writing of a group without savepoints at
// its first refused change (or any other failure before the commit).
var errRefusedInGroup = errors.New("postgres: a change of the group was refused")

// applyAll writes every change of group in tx with one batch: the changes'
// orders, attempts and timeline lines, then one taking of seqs for all
// their events, then the events, so that the event_seq lock is held from
// the end of the batch to the commit only. It fails with
// errRefusedInGroup at the first refusal.
func applyAll(ctx context.Context, tx pgx.Tx, group []*pendingChange) error {
	b := &pgx.Batch{}
	total := 0
	for _, p := range group {
		if err := queueChange(b, p.c); err != nil {
			return err // validChange let it through: a bug, not a refusal
		}
		total += len(p.c.Events)
	}
	if total > 0 {
		queueTakeSeqs(b, int64(total))
		back := int64(total)
		for _, p := range group {
			for i := range p.c.Events {
				back--
				queueEvent(b, &p.c.Events[i], back)
			}
		}
	}
	br := tx.SendBatch(ctx, b)
	err := readAll(br, group, int64(total))
	if cerr := br.Close(); err == nil && cerr != nil {
		err = errRefusedInGroup
	}
	return err
}

// readAll reads the answers of applyAll's batch.
func readAll(br pgx.BatchResults, group []*pendingChange, total int64) error {
	for _, p := range group {
		if readChange(br, p.c) != nil {
			return errRefusedInGroup
		}
	}
	if total == 0 {
		return nil
	}
	first, err := takenSeqs(br, total)
	if err != nil {
		return errRefusedInGroup
	}
	for _, p := range group {
		if readEvents(br, p.c.Events, p.seqs, first) != nil {
			return errRefusedInGroup
		}
		first += int64(len(p.c.Events))
	}
	return nil
}

// The savepoint of one change in a group.
const (
	sqlSavepoint           = "SAVEPOINT change"
	sqlRollbackToSavepoint = "ROLLBACK TO SAVEPOINT change"
	sqlReleaseSavepoint    = "RELEASE SAVEPOINT change"
)

// applyEach writes every change of group in tx, each in a savepoint of
// its own with its own taking of seqs, so that a refused change is rolled
// back alone, seqs included, with its own error. An error that leaves the
// transaction unusable (a savepoint that cannot be set or rolled back)
// fails the whole group.
func applyEach(ctx context.Context, tx pgx.Tx, group []*pendingChange) error {
	for i, p := range group {
		p.err = nil
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
		if err := queueChange(b, p.c); err != nil {
			return err
		}
		n := int64(len(p.c.Events))
		if n > 0 {
			queueTakeSeqs(b, n)
			for j := range p.c.Events {
				queueEvent(b, &p.c.Events[j], n-1-int64(j))
			}
		}
		br := tx.SendBatch(ctx, b)
		err := execN(br, 1+min(i, 1)) // the release and the savepoint
		if err != nil {
			br.Close()
			return err
		}
		refusal := readChange(br, p.c)
		if refusal == nil && n > 0 {
			var first int64
			if first, refusal = takenSeqs(br, n); refusal == nil {
				refusal = readEvents(br, p.c.Events, p.seqs, first)
			}
		}
		if cerr := br.Close(); refusal == nil {
			refusal = cerr
		}
		if refusal != nil {
			if _, err := tx.Exec(ctx, sqlRollbackToSavepoint); err != nil {
				return err
			}
			p.err = classify(refusal, "postgres: apply")
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
