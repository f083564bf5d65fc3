package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"payresult"
	"payresult/internal/postgres"
	"payresult/internal/storetest"
)

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want payresult.ErrorKind
	}{
		{"not a URL", "postgres://%zz", payresult.KindInvalid},
		{"connection refused", "postgres://postgres@127.0.0.1:1/test?connect_timeout=5", payresult.KindTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := postgres.Open(context.Background(), tt.url)
			if err == nil {
				s.Close()
			}
			if got := payresult.KindOf(err); got != tt.want {
				t.Errorf("Open(%s) = %v (kind %q), want kind %q", tt.url, err, got, tt.want)
			}
		})
	}
}

// TestOpenConcurrently starts several instances on one new database at
// once: the advisory lock makes them migrate one after another.
func TestOpenConcurrently(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := postgres.Open(ctx, url)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != 1 {
		t.Errorf("schema_migrations holds %d rows (%v), want 1", n, err)
	}
}

// TestSharedDatabase runs two stores on one database, as two payresult
// instances: each groups its own Applies, and the event_seq row orders
// the groups of both.
func TestSharedDatabase(t *testing.T) {
	storetest.Shared(t, func(t *testing.T) (a, b payresult.Store) {
		url := storetest.PostgresURL(t)
		for _, s := range []*payresult.Store{&a, &b} {
			st, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			*s = st
		}
		return a, b
	})
}

// TestBatchBeginsTheTransaction checks inBatchTx, Apply's transaction: the
// transaction that begins with the first batch commits only when fn
// succeeds, so a refusal fn finds in answers that were not errors (as a
// lost compare-and-set is) still leaves nothing written; and every
// connection goes back to the pool.
func TestBatchBeginsTheTransaction(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE scratch (n int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	insert := func(ns ...int) *pgx.Batch {
		b := &pgx.Batch{}
		for _, n := range ns {
			b.Queue("INSERT INTO scratch VALUES ($1)", n)
		}
		return b
	}
	readAll := func(br pgx.BatchResults, n int) error {
		defer br.Close()
		for range n {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		return br.Close()
	}
	errRefused := errors.New("refused after reading the answers")
	tests := []struct {
		name    string
		fn      func(send func(*pgx.Batch) pgx.BatchResults) error
		wantErr bool
		stored  []int
	}{
		{"two batches commit", func(send func(*pgx.Batch) pgx.BatchResults) error {
			if err := readAll(send(insert(1, 2)), 2); err != nil {
				return err
			}
			return readAll(send(insert(3)), 1)
		}, false, []int{1, 2, 3}},
		{"refusal after good answers rolls back", func(send func(*pgx.Batch) pgx.BatchResults) error {
			if err := readAll(send(insert(10, 11)), 2); err != nil {
				return err
			}
			return errRefused
		}, true, nil},
		{"failed statement rolls back the batch", func(send func(*pgx.Batch) pgx.BatchResults) error {
			return readAll(send(insert(20, 20)), 2)
		}, true, nil},
		{"failure in a later batch rolls back the first", func(send func(*pgx.Batch) pgx.BatchResults) error {
			if err := readAll(send(insert(30)), 1); err != nil {
				return err
			}
			return readAll(send(insert(31, 31)), 2)
		}, true, nil},
		{"nothing sent", func(func(*pgx.Batch) pgx.BatchResults) error { return nil }, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := conn.Exec(ctx, "TRUNCATE scratch"); err != nil {
				t.Fatal(err)
			}
			err := s.InBatchTx(ctx, tt.fn)
			if (err != nil) != tt.wantErr {
				t.Fatalf("InBatchTx = %v, want an error: %v", err, tt.wantErr)
			}
			rows, _ := conn.Query(ctx, "SELECT n FROM scratch ORDER BY n")
			stored, err := pgx.CollectRows(rows, pgx.RowTo[int])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(stored, tt.stored) {
				t.Errorf("stored %v, want %v", stored, tt.stored)
			}
		})
	}
	// Every connection went back: more transactions than the pool has
	// connections, each failing half way, still find one.
	for i := range 2 * postgres.DefaultMaxConns {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.InBatchTx(actx, func(send func(*pgx.Batch) pgx.BatchResults) error {
			return readAll(send(insert(100+i, 100+i)), 2)
		})
		cancel()
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("transaction %d: %v, want the duplicate key error", i, err)
		}
	}
}
