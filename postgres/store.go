// Package postgres is payresult's shared store: a payresult.Store on
// PostgreSQL through pgx, for several payresult instances on one database.
//
// Correctness comes from the database, not from the instances agreeing:
// Apply is a compare-and-set on the order's version, imp_uid is a primary
// key, the outbox rows commit with the state change, and the reconciler's
// and the deliverer's claims use FOR UPDATE SKIP LOCKED.
//
// Times are kept to the microsecond, in UTC; money is kept exactly as
// portone.Amount.Scaled().
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/batch"
)

// Store is a payresult.Store on a PostgreSQL database. It is safe for
// concurrent use, and several Stores (in several processes) may share one
// database.
type Store struct {
	pool *pgxpool.Pool
	// writes groups concurrent Applies into shared transactions.
	writes      *batch.Writer
	arrayGroups atomic.Int64 // groups tried with arrays, for tests
}

var _ payresult.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at url (postgres://...) and
// brings its schema up to date. The schema goes where the connection's
// search_path points, so a URL parameter such as search_path=payresult
// keeps it in its own schema.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := PoolConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify(err, "postgres: connect")
	}
	s := &Store{pool: pool}
	s.writes = batch.New("postgres", s.writeWithArrays)
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, classify(err, "postgres: migrate")
	}
	return s, nil
}

// DefaultMaxConns is the pool size when the URL sets no pool_max_conns.
// pgxpool's own default, max(4, CPUs), lets only four Confirms reach the
// database at once, and PostgreSQL can flush the WAL of concurrent
// commits together only when they arrive together. 32 stays well under
// PostgreSQL's default max_connections of 100.
const DefaultMaxConns = 32

// PoolConfig is the pool configuration Open uses for url: url's own
// settings, with DefaultMaxConns unless url sets pool_max_conns.
func PoolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, payresult.WrapError(payresult.KindInvalid, err, "postgres: bad database URL")
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	return cfg, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return classify(s.pool.Ping(ctx), "postgres: ping")
}

// Close closes every connection. It is safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// inTx runs fn in one READ COMMITTED transaction and commits it when fn
// returns nil. Compare-and-set needs no more isolation: an UPDATE that
// waited for a concurrent one re-checks its WHERE clause on the new row.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return classify(err, "postgres: %s: begin", what)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return classify(err, "postgres: %s", what)
	}
	if err := tx.Commit(ctx); err != nil {
		return classify(err, "postgres: %s: commit", what)
	}
	return nil
}

// notFound is the error for a missing row.
func notFound(format string, args ...any) error {
	return payresult.Errorf(payresult.KindNotFound, "postgres: %s", fmt.Sprintf(format, args...))
}

// isNoRows reports whether err says a query returned no row.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
