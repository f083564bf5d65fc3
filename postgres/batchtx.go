package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// batcher sends a batch of statements in one round trip: a pgx.Tx, or
// the batchTx of inBatchTx.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// inBatchTx runs fn in one transaction like inTx, with one round trip
// fewer: the transaction begins at the head of fn's first batch
// (pgx.Batch.BeginTx) instead of with a BEGIN of its own. A write then
// takes two round trips, the batch and the COMMIT, rather than three;
// with the database across a network that is a network round trip less
// per Apply.
//
// Should the BEGIN fail, PostgreSQL skips the rest of that batch (after
// an error it ignores everything up to the batch's end), so no statement
// can run outside the transaction.
func (s *Store) inBatchTx(ctx context.Context, what string, fn func(b batcher) error) error {
	t := &batchTx{pool: s.pool}
	err := fn(t)
	if t.tx != nil {
		defer t.tx.Rollback(context.WithoutCancel(ctx))
	}
	if err != nil {
		return classify(err, "postgres: %s", what)
	}
	if t.tx == nil {
		return nil // fn sent nothing
	}
	if err := t.tx.Commit(ctx); err != nil {
		return classify(err, "postgres: %s: commit", what)
	}
	return nil
}

// batchTx begins a transaction with its first batch; later batches run
// inside it.
type batchTx struct {
	pool *pgxpool.Pool
	tx   pgx.Tx
}

// SendBatch implements batcher. The answers it returns start with b's
// first statement: the BEGIN's is read here.
func (t *batchTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.tx != nil {
		return t.tx.SendBatch(ctx, b)
	}
	withBegin := &pgx.Batch{}
	withBegin.BeginTx(pgx.TxOptions{})
	withBegin.QueuedQueries = append(withBegin.QueuedQueries, b.QueuedQueries...)
	br := t.pool.SendBatch(ctx, withBegin)
	t.tx = br.Tx()
	if _, err := br.Exec(); err != nil {
		br.Close()
		return pgx.FailedBatchResults(b, err)
	}
	return br
}
