// Package sqlite is payresult's embedded store: a payresult.Store on one
// SQLite file through modernc.org/sqlite (pure Go).
//
// The file runs in WAL mode with synchronous=FULL, so a commit that Apply
// reports is on disk. All writes go through one connection that begins its
// transactions with BEGIN IMMEDIATE: inside one process writers queue in
// the connection pool instead of failing with SQLITE_BUSY, and another
// process on the same file waits up to the busy timeout for the write lock
// at BEGIN, where waiting is safe, rather than upgrading a read lock
// mid-transaction, where SQLite would fail at once. Reads use their own
// pool of read-only connections, which WAL lets run beside the writer.
//
// Times are kept to the microsecond, in UTC; money is kept exactly as
// portone.Amount.Scaled().
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/batch"
)

// busyTimeoutMillis is how long a connection waits for another process's
// write lock before reporting the database busy (a transient error).
const busyTimeoutMillis = 5000

// Store is a payresult.Store on a SQLite database. It is safe for
// concurrent use.
type Store struct {
	writer *sql.DB // exactly one connection: every write transaction
	reader *sql.DB // read-only connections; the writer itself for :memory:
	// writes groups concurrent Applies into shared transactions.
	writes       *batch.Writer
	transactions atomic.Int64 // write transactions begun, for tests
	// writeStmts and readStmts are the hot statements, prepared once.
	writeStmts, readStmts stmtCache
}

var _ payresult.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path and brings
// its schema up to date. The path ":memory:" gives a private in-memory
// database, for tests.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, payresult.Errorf(payresult.KindInvalid, "sqlite: bad database path %q", path)
	}
	s := &Store{}
	s.writes = batch.New("sqlite", s.writeWithSavepoints)
	var err error
	if path == ":memory:" {
		// Every connection to ":memory:" is a separate database, so one
		// connection serves both reads and writes.
		s.writer, err = openDB(path, "_txlock=immediate&_foreign_keys=1", 1)
		s.reader = s.writer
	} else {
		s.writer, err = openDB(path, "_txlock=immediate&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=1", 1)
		if err == nil {
			// The writer connects first so that the file is in WAL mode
			// before any reader opens it.
			err = s.writer.PingContext(ctx)
		}
		if err == nil {
			s.reader, err = openDB(path, "_query_only=1&_foreign_keys=1", max(4, runtime.NumCPU()))
		}
	}
	if err == nil {
		err = s.migrate(ctx)
	}
	if err == nil {
		err = s.writeStmts.prepare(ctx, s.writer, writeStatements()...)
	}
	if err == nil {
		err = s.readStmts.prepare(ctx, s.reader, sqlOrder, sqlOrderByImpUID)
	}
	if err != nil {
		s.Close()
		return nil, classify(err, "sqlite: open %s", path)
	}
	return s, nil
}

// openDB opens a pool of at most conns connections with the given DSN
// parameters plus the busy timeout.
func openDB(path, params string, conns int) (*sql.DB, error) {
	q, err := url.ParseQuery(params)
	if err != nil {
		return nil, err
	}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	// Idle connections are kept: for ":memory:" closing the only one
	// would drop the database.
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.reader.PingContext(ctx); err != nil {
		return classify(err, "sqlite: ping")
	}
	var one int
	if err := s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return classify(err, "sqlite: ping")
	}
	return nil
}

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	errs := []error{s.readStmts.close(), s.writeStmts.close()}
	if s.reader != nil && s.reader != s.writer {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	for _, err := range errs {
		if err != nil {
			return classify(err, "sqlite: close")
		}
	}
	return nil
}

// write runs fn in one write transaction (BEGIN IMMEDIATE) and commits it
// when fn returns nil. database/sql starts a goroutine per transaction to
// watch its context and wakes it at the commit; running the transaction
// on the driver connection instead saved about 5% of a confirm's CPU and
// no more than noise of its latency, which did not pay for the code it
// took (internal/bench/README.md, seventh round).
func (s *Store) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	s.transactions.Add(1)
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return classify(err, "sqlite: %s: begin", what)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return classify(err, "sqlite: %s", what)
	}
	if err := tx.Commit(); err != nil {
		return classify(err, "sqlite: %s: commit", what)
	}
	return nil
}
