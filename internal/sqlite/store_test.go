package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"payresult"
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
	if _, _, err := s.CreateOrder(ctx, &payresult.Order{MerchantUID: "m-1", Currency: "KRW"}); err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	s.Close()

	s = open(t, path)
	if _, err := s.Order(ctx, "m-1"); err != nil {
		t.Errorf("Order after reopening: %v", err)
	}
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != 1 {
		t.Errorf("schema_migrations holds %d rows (%v), want 1", n, err)
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
