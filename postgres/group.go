package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/groupcommit"
	"github.com/payresult/payresult/internal/sqlstore"
)

// maxGroup bounds how many changes share one transaction.
const maxGroup = 64

// pendingChange is one Apply waiting for its group's commit. Concurrent
// Applies share one transaction through a groupcommit.Queue. Every
// transaction with events holds the one event_seq row from taking its
// seqs to its commit's WAL flush, so that seq order is commit order (see
// queueTakeSeqs); transactions with events therefore commit one after
// another, one flush each. A group takes the counter once for all its
// events and flushes once, so the lock is paid per group, not per change.
//
// A refused change (a lost compare-and-set, an imp_uid bound elsewhere, an
// event that exists) is rolled back alone and gets its own error, exactly
// as if it had had its own transaction; the others commit (see
// writeGroup). A failed commit fails the whole group, and each of its
// changes reports it.
//
// Several instances on one database each have their own leader; their
// groups are ordered by the event_seq row lock as single changes are.
// Within a group the orders' rows are locked in merchant_uid order, so
// that two instances' groups touching the same orders do not deadlock.
// The rare group written again change by change takes event_seq before
// its later changes' rows; should that meet another instance's group
// holding one of those rows, PostgreSQL's deadlock check ends the wait
// after deadlock_timeout, and the change it aborts reports a KindConflict
// (see applyError), which Confirm answers by computing it again.
type pendingChange = groupcommit.Item[change]

// change is what one Apply asks of its group.
type change struct {
	ctx  context.Context
	c    *payresult.Change
	seqs []int64
}

// writeGroup writes one group in one transaction and answers each change.
func (s *Store) writeGroup(group []*pendingChange) {
	if len(group) == 1 {
		p := &group[0].Value
		group[0].Err = s.inBatchTx(p.ctx, "apply", func(tx batcher) error { return applyBatch(p.ctx, tx, p.c, p.seqs) })
		return
	}
	live := make([]*pendingChange, 0, len(group))
	for _, p := range group {
		if err := p.Value.ctx.Err(); err != nil {
			p.Err = classify(err, "postgres: apply")
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(a, b *pendingChange) int { return cmp.Compare(lockKey(a.Value.c), lockKey(b.Value.c)) })
	// The group outlives any one caller's context: a caller that gives up
	// must not abort the others' commit.
	ctx := context.WithoutCancel(live[0].Value.ctx)
	// Most groups have no refused change, so the group is first written
	// in one round trip without savepoints. A refusal rolls that attempt
	// back whole, and the group is written again with a savepoint around
	// each change, so that only the refused one fails. A failed commit is
	// never retried: it may have committed.
	err := s.inBatchTx(ctx, "apply", func(tx batcher) error { return applyAll(ctx, tx, live) })
	if errors.Is(err, errRefusedInGroup) {
		err = s.inTx(ctx, "apply", func(tx pgx.Tx) error { return applyEach(ctx, tx, live) })
	}
	if err != nil {
		for _, p := range live {
			if p.Err == nil {
				p.Err = err
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

// applyAll writes every change of group in tx with one batch of five
// statements, whatever the group's size: the orders' compare-and-sets,
// the attempts, the notes, the taking of seqs for all the
// events, and the events, each statement for the whole group through
// arrays. PostgreSQL runs a transaction's statements one after another
// on one backend, so their number, not their rows, bounds how fast
// groups go. The event_seq lock is held from the end of the batch to
// the commit only. Any refusal (a row count short of the group's: a lost
// compare-and-set, an imp_uid bound elsewhere; or an error: an event that
// exists, a missing order) fails it with errRefusedInGroup; the group is
// then written again change by change (applyEach), which tells each
// change its own outcome.
func applyAll(ctx context.Context, tx batcher, group []*pendingChange) error {
	var g groupRows
	for _, p := range group {
		if err := g.add(p.Value.c); err != nil {
			return err // ValidChange let it through: a bug, not a refusal
		}
	}
	b := &pgx.Batch{}
	g.queue(b)
	br := tx.SendBatch(ctx, b)
	err := g.read(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = errRefusedInGroup
	}
	if err != nil {
		return err
	}
	first := g.last - int64(len(g.evID)) + 1
	for _, p := range group {
		for i := range p.Value.c.Events {
			p.Value.seqs[i] = first
			first++
		}
	}
	return nil
}

// groupRows holds a group's rows as columns, one array per column.
type groupRows struct {
	// orders' compare-and-sets
	oUID, oStatus, oImp, oFail    []string
	oFrom, oPaid, oRefunded       []int64
	oVbank                        []pgtype.Text
	oForgery                      []bool
	oUpdated, oPaidAt, oNextCheck []pgtype.Timestamptz
	oChecks                       []int32
	// attempts
	aImp, aUID, aStatus, aMethod, aPG, aCurrency, aFail []string
	aAmount, aCancel                                    []int64
	aSandbox                                            []bool
	aCreated, aUpdated                                  []pgtype.Timestamptz
	// notes
	nUID, nImp, nSource, nKind, nDetail []string
	nAt                                 []pgtype.Timestamptz
	// events, in seq order
	evID, evType, evUID, evState, evError []string
	evData                                [][]byte
	evAttempts                            []int32
	evCreated, evNext, evDelivered        []pgtype.Timestamptz

	last int64 // the last seq taken
}

// vbankText is v as the JSON text of a nullable jsonb column.
func vbankText(v *payresult.VirtualAccount) (pgtype.Text, error) {
	j, err := sqlstore.VbankJSON(v)
	if b, ok := j.([]byte); ok && err == nil {
		return pgtype.Text{String: string(b), Valid: true}, nil
	}
	return pgtype.Text{}, err
}

// tsz is t as a nullable timestamptz, to the microsecond.
func tsz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t.Truncate(time.Microsecond), Valid: !t.IsZero()}
}

// add appends c's rows.
func (g *groupRows) add(c *payresult.Change) error {
	if o := c.Order; o != nil {
		vb, err := vbankText(o.Vbank)
		if err != nil {
			return payresult.WrapError(payresult.KindInvalid, err, "postgres: apply: virtual account")
		}
		g.oUID = append(g.oUID, o.MerchantUID)
		g.oFrom = append(g.oFrom, c.FromVersion)
		g.oStatus = append(g.oStatus, string(o.Status))
		g.oImp = append(g.oImp, o.ImpUID)
		g.oPaid = append(g.oPaid, o.PaidAmount.Scaled())
		g.oRefunded = append(g.oRefunded, o.RefundedAmount.Scaled())
		g.oFail = append(g.oFail, o.FailReason)
		g.oVbank = append(g.oVbank, vb)
		g.oForgery = append(g.oForgery, o.ForgeryCancelled)
		g.oUpdated = append(g.oUpdated, tsz(sqlstore.NowOr(o.UpdatedAt)))
		g.oPaidAt = append(g.oPaidAt, tsz(o.PaidAt))
		g.oNextCheck = append(g.oNextCheck, tsz(o.NextCheckAt))
		g.oChecks = append(g.oChecks, int32(o.Checks))
	}
	if a := c.Attempt; a != nil {
		g.aImp = append(g.aImp, a.ImpUID)
		g.aUID = append(g.aUID, a.MerchantUID)
		g.aStatus = append(g.aStatus, string(a.Status))
		g.aMethod = append(g.aMethod, string(a.PayMethod))
		g.aPG = append(g.aPG, a.PGProvider)
		g.aAmount = append(g.aAmount, a.Amount.Scaled())
		g.aCancel = append(g.aCancel, a.CancelAmount.Scaled())
		g.aCurrency = append(g.aCurrency, a.Currency)
		g.aSandbox = append(g.aSandbox, a.Sandbox)
		g.aFail = append(g.aFail, a.FailReason)
		g.aCreated = append(g.aCreated, tsz(sqlstore.NowOr(a.CreatedAt)))
		g.aUpdated = append(g.aUpdated, tsz(sqlstore.NowOr(a.UpdatedAt)))
	}
	for _, n := range c.Notes {
		g.nUID = append(g.nUID, n.MerchantUID)
		g.nImp = append(g.nImp, n.ImpUID)
		g.nSource = append(g.nSource, string(n.Source))
		g.nKind = append(g.nKind, n.Kind)
		g.nDetail = append(g.nDetail, n.Detail)
		g.nAt = append(g.nAt, tsz(sqlstore.NowOr(n.At)))
	}
	for i := range c.Events {
		e := &c.Events[i]
		created := sqlstore.NowOr(e.CreatedAt)
		state := sqlstore.DeliveryStateOr(e.State)
		next := e.NextAttempt
		if next.IsZero() && state == payresult.DeliveryPending {
			next = created // a pending event with no next attempt is due at once
		}
		g.evID = append(g.evID, e.ID)
		g.evType = append(g.evType, string(e.Type))
		g.evUID = append(g.evUID, e.MerchantUID)
		g.evCreated = append(g.evCreated, tsz(created))
		g.evData = append(g.evData, []byte(e.Data))
		g.evState = append(g.evState, string(state))
		g.evAttempts = append(g.evAttempts, int32(e.Attempts))
		g.evNext = append(g.evNext, tsz(next))
		g.evError = append(g.evError, e.LastError)
		g.evDelivered = append(g.evDelivered, tsz(e.DeliveredAt))
	}
	return nil
}

// The group's statements, one per table, each taking its rows as arrays.
const (
	sqlGroupOrders = `UPDATE orders o SET
			status = v.status, imp_uid = v.imp_uid, paid_amount = v.paid_amount,
			refunded_amount = v.refunded_amount, fail_reason = v.fail_reason,
			vbank = v.vbank::jsonb, forgery_cancelled = v.forgery_cancelled,
			updated_at = v.updated_at, paid_at = v.paid_at,
			next_check_at = v.next_check_at, checks = v.checks, version = o.version + 1
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
				$6::bigint[], $7::text[], $8::text[], $9::boolean[], $10::timestamptz[],
				$11::timestamptz[], $12::timestamptz[], $13::integer[])
			AS v(merchant_uid, from_version, status, imp_uid, paid_amount,
				refunded_amount, fail_reason, vbank, forgery_cancelled, updated_at,
				paid_at, next_check_at, checks)
		WHERE o.merchant_uid = v.merchant_uid AND o.version = v.from_version`
	sqlGroupAttempts = `INSERT INTO attempts (` + attemptColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
			$6::bigint[], $7::bigint[], $8::text[], $9::boolean[], $10::text[],
			$11::timestamptz[], $12::timestamptz[])
		ON CONFLICT (imp_uid) DO UPDATE SET
			status = excluded.status, pay_method = excluded.pay_method,
			pg_provider = excluded.pg_provider, amount = excluded.amount,
			cancel_amount = excluded.cancel_amount, currency = excluded.currency,
			sandbox = excluded.sandbox, fail_reason = excluded.fail_reason,
			updated_at = excluded.updated_at
		WHERE attempts.merchant_uid = excluded.merchant_uid`
	// WITH ORDINALITY keeps the lines' ids in the order they were given.
	sqlGroupNotes = `INSERT INTO notices (merchant_uid, imp_uid, source, kind, detail, at)
		SELECT m, i, s, k, d, a FROM unnest($1::text[], $2::text[], $3::text[],
			$4::text[], $5::text[], $6::timestamptz[]) WITH ORDINALITY AS v(m, i, s, k, d, a, n)
		ORDER BY n`
	sqlGroupEvents = `INSERT INTO events (seq, id, type, merchant_uid, created_at,
			data, state, attempts, next_attempt_at, last_error, delivered_at)
		SELECT q.last - $1 + v.n, v.id, v.type, v.merchant_uid, v.created_at, v.data,
			v.state, v.attempts, v.next_attempt_at, v.last_error, v.delivered_at
		FROM event_seq q, unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[],
				$6::bytea[], $7::text[], $8::integer[], $9::timestamptz[], $10::text[],
				$11::timestamptz[]) WITH ORDINALITY
			AS v(id, type, merchant_uid, created_at, data, state, attempts,
				next_attempt_at, last_error, delivered_at, n)`
)

// queue queues the group's statements; a table with no row is skipped.
func (g *groupRows) queue(b *pgx.Batch) {
	if len(g.oUID) > 0 {
		b.Queue(sqlGroupOrders, g.oUID, g.oFrom, g.oStatus, g.oImp, g.oPaid, g.oRefunded,
			g.oFail, g.oVbank, g.oForgery, g.oUpdated, g.oPaidAt, g.oNextCheck, g.oChecks)
	}
	if len(g.aImp) > 0 {
		b.Queue(sqlGroupAttempts, g.aImp, g.aUID, g.aStatus, g.aMethod, g.aPG, g.aAmount,
			g.aCancel, g.aCurrency, g.aSandbox, g.aFail, g.aCreated, g.aUpdated)
	}
	if len(g.nUID) > 0 {
		b.Queue(sqlGroupNotes, g.nUID, g.nImp, g.nSource, g.nKind, g.nDetail, g.nAt)
	}
	if n := int64(len(g.evID)); n > 0 {
		queueTakeSeqs(b, n)
		b.Queue(sqlGroupEvents, n, g.evID, g.evType, g.evUID, g.evCreated, g.evData,
			g.evState, g.evAttempts, g.evNext, g.evError, g.evDelivered)
	}
}

// read reads the answers of queue's statements: each must have written
// every row it was given.
func (g *groupRows) read(br pgx.BatchResults) error {
	for _, want := range []int{len(g.oUID), len(g.aImp), len(g.nUID)} {
		if want == 0 {
			continue
		}
		tag, err := br.Exec()
		if err != nil || tag.RowsAffected() != int64(want) {
			return errRefusedInGroup
		}
	}
	if len(g.evID) == 0 {
		return nil
	}
	if err := br.QueryRow().Scan(&g.last); err != nil {
		return errRefusedInGroup
	}
	tag, err := br.Exec()
	if err != nil || tag.RowsAffected() != int64(len(g.evID)) {
		return errRefusedInGroup
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
		p.Err = nil
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
		if err := queueChange(b, p.Value.c); err != nil {
			return err
		}
		n := int64(len(p.Value.c.Events))
		if n > 0 {
			queueTakeSeqs(b, n)
			for j := range p.Value.c.Events {
				queueEvent(b, &p.Value.c.Events[j], n-1-int64(j))
			}
		}
		br := tx.SendBatch(ctx, b)
		err := execN(br, 1+min(i, 1)) // the release and the savepoint
		if err != nil {
			br.Close()
			return err
		}
		refusal := readChange(br, p.Value.c)
		if refusal == nil && n > 0 {
			var first int64
			if first, refusal = takenSeqs(br, n); refusal == nil {
				refusal = readEvents(br, p.Value.c.Events, p.Value.seqs, first)
			}
		}
		if cerr := br.Close(); refusal == nil {
			refusal = cerr
		}
		if refusal != nil {
			if _, err := tx.Exec(ctx, sqlRollbackToSavepoint); err != nil {
				return err
			}
			p.Err = classify(refusal, "postgres: apply")
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
