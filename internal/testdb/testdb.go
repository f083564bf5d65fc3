// Package testdb opens fresh stores for payresult's own tests: a SQLite
// file in the test's temporary directory, and a PostgreSQL schema of its
// own when PAYRESULT_TEST_POSTGRES names a database. The conformance suite
// every store must pass is storetest, which imports no store.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/postgres"
	"github.com/payresult/payresult/sqlite"
)

// PostgresEnv names the environment variable holding the URL of the
// PostgreSQL database tests may use. Tests that need PostgreSQL skip when
// it is unset; CI sets it.
const PostgresEnv = "PAYRESULT_TEST_POSTGRES"

// OpenSQLite returns a new SQLite store on a file in t.TempDir(), closed
// when the test ends.
func OpenSQLite(t testing.TB) payresult.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "payresult.db"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OpenPostgres returns a new PostgreSQL store in a schema of its own (see
// PostgresURL), closed when the test ends. It skips the test when
// PAYRESULT_TEST_POSTGRES is unset.
func OpenPostgres(t testing.TB) payresult.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), PostgresURL(t))
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresURL creates an empty schema in the database named by
// PAYRESULT_TEST_POSTGRES and returns a URL whose connections use it, so
// that parallel tests and packages never see each other's rows. The
// schema is dropped when the test ends. It skips the test when the
// variable is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL store", PostgresEnv)
	}
	ctx := context.Background()
	schema := "t_" + randomHex(t)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { dropSchema(t, base, schema) })
	return withSearchPath(t, base, schema)
}

// withSearchPath adds search_path to a PostgreSQL URL: pgx passes unknown
// URL parameters to the server as run-time parameters.
func withSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// dropSchema removes a test's schema and everything in it.
func dropSchema(t testing.TB, base, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

// randomHex returns 8 random bytes in hex, for names.
func randomHex(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Each runs fn as a subtest against a fresh store of each kind: "sqlite"
// always and "postgres" when PAYRESULT_TEST_POSTGRES is set.
func Each(t *testing.T, fn func(t *testing.T, s payresult.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres(t)) })
}
