package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/migration"
	"github.com/payresult/payresult/portone"
)

func TestOpenInvalidPath(t *testing.T) {
	for _, path := range []string{"", "shop.db?mode=ro"} {
		_, err := Open(context.Background(), path)
		if got := payresult.KindOf(err); got != payresult.KindInvalid {
			t.Errorf("Open(%q) = %v (kind %q), want kind invalid", path, err, got)
		}
	}
}

// TestDurableSettings checks the connection settings durability and
// concurrency depend on.
func TestDurableSettings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "payresult.db"))
	ctx := context.Background()
	tests := []struct {
		name   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"WAL", s.writer, "journal_mode", "wal"},
		{"durable commits", s.writer, "synchronous", "2"}, // FULL
		{"foreign keys", s.writer, "foreign_keys", "1"},
		{"busy timeout", s.writer, "busy_timeout", "5000"},
		{"reader busy timeout", s.reader, "busy_timeout", "5000"},
		{"reader is read-only", s.reader, "query_only", "1"},
	}
	for _, tt := range tests {
		var got string
		if err := tt.db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("%s: PRAGMA %s = %q, want %q", tt.name, tt.pragma, got, tt.want)
		}
	}
}

// TestReopen checks that a committed order survives closing the file and
// that a second Open applies no migration twice.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payresult.db")
	ctx := context.Background()
	s := open(t, path)
	if err := s.Apply(ctx, &payresult.Change{Order: &payresult.Order{MerchantUID: "m-1", Currency: "KRW", Status: payresult.StatusPending}}); err != nil {
		t.Fatalf("registering an order: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close after a write: %v", err)
	}

	s = open(t, path)
	if _, err := s.Order(ctx, "m-1"); err != nil {
		t.Errorf("Order after reopening: %v", err)
	}
	steps, err := migration.Load(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(steps) {
		t.Errorf("schema_migrations holds %d rows (%v), want %d", n, err, len(steps))
	}
}

// TestAttemptsKeptByMigration2 opens a file at schema version 1 holding
// an order with two attempts, and checks that the second step keeps them,
// in order and bound to their order, in a table without rowids.
func TestAttemptsKeptByMigration2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payresult.db")
	ctx := context.Background()
	steps, err := migration.Load(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{steps[0].SQL,
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, '0001_init', 0)`,
		`INSERT INTO orders (merchant_uid, name, amount, currency, status, created_at, updated_at, version)
			VALUES ('m-1', 'n', 10000000, 'KRW', 'paid', 1, 1, 2)`,
		`INSERT INTO attempts (imp_uid, merchant_uid, status, amount, currency, created_at, updated_at)
			VALUES ('imp_b', 'm-1', 'failed', 10000000, 'KRW', 1, 1), ('imp_a', 'm-1', 'paid', 10000000, 'KRW', 2, 2)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("building a version 1 file: %v", err)
		}
	}
	db.Close()

	s := open(t, path)
	got, err := s.Attempts(ctx, "m-1")
	if err != nil || len(got) != 2 || got[0].ImpUID != "imp_b" || got[1].ImpUID != "imp_a" ||
		got[1].Status != "paid" || got[1].Amount.Scaled() != 10000000 {
		t.Fatalf("Attempts after migrating = %+v, %v; want imp_b (failed) then imp_a (paid, 1000 KRW)", got, err)
	}
	if o, err := s.OrderByImpUID(ctx, "imp_a"); err != nil || o.MerchantUID != "m-1" {
		t.Errorf("OrderByImpUID(imp_a) = %v, %v; want m-1", o, err)
	}
	if _, err := s.reader.ExecContext(ctx, "SELECT rowid FROM attempts"); err == nil {
		t.Error("attempts still has rowids after migrating")
	}
}

// TestOpenConcurrently starts several stores on one new file at once, as
// the serve and reconcile commands may.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payresult.db")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { open(t, path) })
	}
	wg.Wait()
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payresult.db")
	s := open(t, path)
	if _, err := s.writer.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(context.Background(), path); err == nil {
		s.Close()
		t.Errorf("Open of a schema from a newer payresult succeeded, want an error")
	}
}

// TestBusyIsTransient makes SQLite report the database busy and checks
// that callers are told to retry.
func TestBusyIsTransient(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payresult.db")
	open(t, path)
	holder, err := openDB(path, "_txlock=immediate", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.Begin()
	if err != nil {
		t.Fatalf("begin the lock holder: %v", err)
	}
	defer tx.Rollback()

	impatient, err := sql.Open("sqlite", path+"?_txlock=immediate&_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	_, err = impatient.Begin()
	if got := payresult.KindOf(classify(err, "begin")); got != payresult.KindTransient {
		t.Errorf("a busy database gave %v (kind %q), want kind transient", err, got)
	}
}

// open opens a store at path, closed when the test ends.
func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRegistrationsShareCommitsWithApplies registers orders and confirms
// others all at once: the registrations join the applies' groups (fewer
// transactions than writes), and each write still gets its own answer, a
// merchant_uid registered twice among them.
func TestRegistrationsShareCommitsWithApplies(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "payresult.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 32
	order := func(m string) *payresult.Order {
		return &payresult.Order{MerchantUID: m, Name: "beans", Amount: portone.Won(1000), Currency: "KRW", Status: payresult.StatusPending}
	}
	changes := make([]*payresult.Change, n)
	for i := range n {
		o := order(fmt.Sprintf("paid-%d", i))
		if err := s.Apply(ctx, &payresult.Change{Order: o}); err != nil {
			t.Fatal(err)
		}
		next := *o
		next.Status, next.ImpUID, next.PaidAmount = payresult.StatusPaid, fmt.Sprintf("imp_%d", i), o.Amount
		changes[i] = &payresult.Change{FromVersion: o.Version, Order: &next}
	}
	before := s.transactions.Load()
	var wg sync.WaitGroup
	errs := make([]error, 2*n+1)
	for i := range n {
		wg.Go(func() { errs[i] = s.Apply(ctx, changes[i]) })
		wg.Go(func() { errs[n+i] = s.Apply(ctx, &payresult.Change{Order: order(fmt.Sprintf("new-%d", i))}) })
	}
	wg.Go(func() { errs[2*n] = s.Apply(ctx, &payresult.Change{Order: order("paid-0")}) }) // exists
	wg.Wait()
	for i, err := range errs[:2*n] {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if !payresult.IsConflict(errs[2*n]) {
		t.Errorf("registering an existing merchant_uid: %v, want KindConflict", errs[2*n])
	}
	for i := range n {
		if o, err := s.Order(ctx, fmt.Sprintf("paid-%d", i)); err != nil || o.Status != payresult.StatusPaid {
			t.Errorf("paid-%d = %+v, %v; want paid", i, o, err)
		}
		if _, err := s.Order(ctx, fmt.Sprintf("new-%d", i)); err != nil {
			t.Errorf("new-%d: %v", i, err)
		}
	}
	// Written one by one, the 65 writes would take 65 transactions.
	if txs := s.transactions.Load() - before; txs < 1 || txs > n {
		t.Errorf("%d writes in %d transactions, want at most %d: shared", 2*n+1, txs, n)
	}
}
