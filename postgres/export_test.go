package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// InBatchTx exposes inBatchTx to the external tests: fn gets the function
// that sends its batches.
func (s *Store) InBatchTx(ctx context.Context, fn func(send func(*pgx.Batch) pgx.BatchResults) error) error {
	return s.inBatchTx(ctx, "test", func(b batcher) error {
		return fn(func(batch *pgx.Batch) pgx.BatchResults { return b.SendBatch(ctx, batch) })
	})
}

// ArrayGroups is how many groups s has tried to write with arrays.
func (s *Store) ArrayGroups() int64 { return s.arrayGroups.Load() }
