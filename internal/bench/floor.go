package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the driver payresult's SQLite store uses

	"github.com/payresult/payresult/postgres"
)

// floorRowBytes is the size of the commit floor's row: about what Apply
// writes for a paid payment (the order's state, the attempt, the event).
const floorRowBytes = 1024

// committer is the commit floor: one bare durable commit of a row of
// floorRowBytes, in its own transaction, with the store's own settings.
type committer interface {
	kind() string
	commit(ctx context.Context, i int) error
	close() error
}

// openCommitter opens the floor on the database db names.
func openCommitter(ctx context.Context, db string) (committer, error) {
	if isPostgres(db) {
		return openPostgresFloor(ctx, db)
	}
	return openSQLiteFloor(ctx, db)
}

var floorPayload = []byte(strings.Repeat("x", floorRowBytes))

// sqliteFloor commits on the store's file through the same driver and
// settings as payresult's SQLite store: WAL, synchronous=FULL, one
// writing connection, BEGIN IMMEDIATE.
type sqliteFloor struct{ db *sql.DB }

func openSQLiteFloor(ctx context.Context, path string) (*sqliteFloor, error) {
	q := url.Values{}
	for k, v := range map[string]string{"_txlock": "immediate", "_journal_mode": "WAL",
		"_synchronous": "FULL", "_foreign_keys": "1", "_busy_timeout": "5000"} {
		q.Set(k, v)
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	_, err = db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_floor (
		id INTEGER PRIMARY KEY, merchant_uid TEXT NOT NULL, payload BLOB NOT NULL, at INTEGER NOT NULL)`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("commit floor on %s: %w", path, err)
	}
	return &sqliteFloor{db: db}, nil
}

func (f *sqliteFloor) kind() string { return "sqlite" }

func (f *sqliteFloor) commit(ctx context.Context, i int) error {
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO bench_floor (merchant_uid, payload, at) VALUES (?, ?, ?)`,
		fmt.Sprint("floor-", i), floorPayload, time.Now().UnixMicro())
	if err != nil {
		return err
	}
	return tx.Commit()
}

func (f *sqliteFloor) close() error {
	_, err := f.db.Exec(`DROP TABLE IF EXISTS bench_floor`)
	if cerr := f.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// postgresFloor commits through a pool configured exactly as payresult's
// PostgreSQL store configures its own (postgres.PoolConfig), so with the
// same size and settings.
type postgresFloor struct{ pool *pgxpool.Pool }

func openPostgresFloor(ctx context.Context, db string) (*postgresFloor, error) {
	cfg, err := postgres.PoolConfig(db)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	_, err = pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_floor (
		id BIGSERIAL PRIMARY KEY, merchant_uid TEXT NOT NULL, payload BYTEA NOT NULL, at TIMESTAMPTZ NOT NULL)`)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("commit floor: %w", err)
	}
	return &postgresFloor{pool: pool}, nil
}

func (f *postgresFloor) kind() string { return "postgres" }

// commit is one INSERT on its own: PostgreSQL runs it as a transaction
// that commits (synchronously, by default) before answering.
func (f *postgresFloor) commit(ctx context.Context, i int) error {
	_, err := f.pool.Exec(ctx, `INSERT INTO bench_floor (merchant_uid, payload, at) VALUES ($1, $2, now())`,
		fmt.Sprint("floor-", i), floorPayload)
	return err
}

func (f *postgresFloor) close() error {
	_, err := f.pool.Exec(context.Background(), `DROP TABLE IF EXISTS bench_floor`)
	f.pool.Close()
	return err
}

// freshSchema creates schema in the database base names and returns a
// URL whose connections use it, and a function that drops it.
func freshSchema(ctx context.Context, base, schema string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("the database URL: %w", err)
	}
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("creating schema %s: %w", schema, err)
	}
	drop := func() error {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
