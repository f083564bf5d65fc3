package sqlite

import (
	"context"
	"database/sql"
)

// stmtCache keeps the prepared statements of the hot paths (Confirm's
// reads, Apply's writes). Without it every statement is parsed and
// planned anew on each call, which cost more CPU than executing it.
// database/sql keeps a prepared statement per connection and reuses it on
// that connection, in and out of transactions.
//
// The statements are prepared when the store opens: preparing on the
// writer later would need a second connection while a transaction holds
// the only one. After open the map is only read.
type stmtCache struct {
	m map[string]*sql.Stmt
}

// prepare prepares queries on db.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB, queries ...string) error {
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt, len(queries))
	}
	for _, q := range queries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		c.m[q] = st
	}
	return nil
}

// get returns the prepared statement for query, or nil when query is not
// one of them and must run unprepared.
func (c *stmtCache) get(query string) *sql.Stmt { return c.m[query] }

// close closes every prepared statement. The map is left as it is: a
// write still in flight when the store is closed may read it, and gets
// database/sql's "statement is closed" rather than a data race.
func (c *stmtCache) close() error {
	var first error
	for _, st := range c.m {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// wtx is a write transaction that runs its statements prepared.
type wtx struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
}

// stmt returns query prepared for the transaction, or nil when it must
// run unprepared. A statement that cannot be made the transaction's keeps
// the error and returns it from its first use.
func (w wtx) stmt(query string) *sql.Stmt {
	if st := w.s.writeStmts.get(query); st != nil {
		return w.tx.StmtContext(w.ctx, st)
	}
	return nil
}

func (w wtx) exec(query string, args ...any) (sql.Result, error) {
	if st := w.stmt(query); st != nil {
		return st.ExecContext(w.ctx, args...)
	}
	return w.tx.ExecContext(w.ctx, query, args...)
}

func (w wtx) queryRow(query string, args ...any) *sql.Row {
	if st := w.stmt(query); st != nil {
		return st.QueryRowContext(w.ctx, args...)
	}
	return w.tx.QueryRowContext(w.ctx, query, args...)
}

// readRow runs a read of one row on the readers, prepared. It is for
// Confirm's reads by key, which take microseconds: ctx is checked before
// the read, not during it (see uncancelled).
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx.Err() != nil {
		return s.reader.QueryRowContext(ctx, query, args...) // reports ctx's error
	}
	ctx = uncancelled(ctx)
	st := s.readStmts.get(query)
	if st == nil {
		return s.reader.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// uncancelled returns ctx without its cancellation, for the reads of
// Confirm: with a context that can end, database/sql starts a goroutine
// per query and the driver one per statement, each only to watch for the
// end, for reads that take microseconds. Callers check ctx before they
// start. (A write transaction through database/sql starts one goroutine
// whatever its context: see Store.write.)
func uncancelled(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}
