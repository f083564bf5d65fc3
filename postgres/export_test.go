package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
)

// InBatchTx exposes inBatchTx to the external tests: fn gets the function
// that sends its batches.
func (s *Store) InBatchTx(ctx context.Context, fn func(send func(*pgx.Batch) pgx.BatchResults) error) error {
	return s.inBatchTx(ctx, "test", func(b batcher) error {
		return fn(func(batch *pgx.Batch) pgx.BatchResults { return b.SendBatch(ctx, batch) })
	})
}

// CreateGroups is how many shared inserts of new orders s has tried.
func (s *Store) CreateGroups() int64 { return s.createGroups.Load() }

// CreateGroup writes orders as one group of CreateOrders, as if they had
// arrived together, and returns whether each was created and its error.
func (s *Store) CreateGroup(ctx context.Context, orders ...*payresult.Order) ([]bool, []error) {
	group := make([]*pendingCreate, len(orders))
	for i, o := range orders {
		group[i] = &pendingCreate{Value: &newOrder{ctx: ctx, o: o}}
	}
	s.createGroup(group)
	created, errs := make([]bool, len(orders)), make([]error, len(orders))
	for i, p := range group {
		created[i], errs[i] = p.Value.stored != nil, p.Err
	}
	return created, errs
}
