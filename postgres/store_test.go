package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/postgres"
	"github.com/payresult/payresult/storetest"
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
	url := testdb.PostgresURL(t)
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
	steps, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(steps) {
		t.Errorf("schema_migrations holds %d rows (%v), want one a step, %d", n, err, len(steps))
	}
}

// TestSharedDatabase runs two stores on one database, as two payresult
// instances: each groups its own Applies, and the event_seq row orders
// the groups of both.
func TestSharedDatabase(t *testing.T) {
	storetest.Shared(t, func(t *testing.T) (a, b payresult.Store) {
		url := testdb.PostgresURL(t)
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
	url := testdb.PostgresURL(t)
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

// TestConcurrentRegistrationsShareGroups registers orders from many
// goroutines at once, one merchant_uid three times and one order
// PostgreSQL refuses (a NUL in its name) among them: the registrations
// share groups, each gets its own answer, and the refused order fails
// alone.
func TestConcurrentRegistrationsShareGroups(t *testing.T) {
	s := testdb.OpenPostgres(t).(*postgres.Store)
	ctx := context.Background()
	const n = 48
	before := s.ArrayGroups()
	errs := make([]error, n+4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Apply(ctx, register(fmt.Sprintf("new-%d", i), "beans")) })
	}
	for i := n; i < n+3; i++ {
		wg.Go(func() { errs[i] = s.Apply(ctx, register("twice", "beans")) })
	}
	wg.Go(func() { errs[n+3] = s.Apply(ctx, register("nul", "be\x00ans")) })
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("new-%d: %v", i, errs[i])
		} else if o, err := s.Order(ctx, fmt.Sprintf("new-%d", i)); err != nil || o.Name != "beans" || o.Version != 1 {
			t.Errorf("new-%d stored as %+v, %v", i, o, err)
		}
	}
	var firsts int
	for i := n; i < n+3; i++ {
		switch {
		case errs[i] == nil:
			firsts++
		case !payresult.IsConflict(errs[i]):
			t.Errorf("twice: %v, want nil or KindConflict", errs[i])
		}
	}
	if firsts != 1 {
		t.Errorf("the same merchant_uid registered %d times, want once", firsts)
	}
	if errs[n+3] == nil {
		t.Error("an order with a NUL in its name was stored")
	}
	if groups := s.ArrayGroups() - before; groups < 1 || groups > n {
		t.Errorf("%d registrations in %d groups, want them shared", n+4, groups)
	}
}

// TestGroupFailsOnlyTheRefusedChanges writes a group whose array insert
// PostgreSQL refuses (one name holds a NUL) and which registers a
// merchant_uid that exists: the group is written again change by change,
// and only those two fail, each with its own kind.
func TestGroupFailsOnlyTheRefusedChanges(t *testing.T) {
	s := testdb.OpenPostgres(t).(*postgres.Store)
	ctx := context.Background()
	if err := s.Apply(ctx, register("exists", "beans")); err != nil {
		t.Fatal(err)
	}
	errs := s.ApplyMany(ctx, []*payresult.Change{register("good-1", "beans"), register("bad", "be\x00ans"),
		register("exists", "beans"), register("good-2", "beans")})
	want := []payresult.ErrorKind{"", payresult.KindInvalid, payresult.KindConflict, ""}
	for i := range want {
		if got := payresult.KindOf(errs[i]); got != want[i] {
			t.Errorf("change %d: %v, want kind %q", i, errs[i], want[i])
		}
	}
	for _, m := range []string{"good-1", "good-2"} {
		if _, err := s.Order(ctx, m); err != nil {
			t.Errorf("%s not stored: %v", m, err)
		}
	}
}

// register is the change that registers a pending order m named name.
func register(m, name string) *payresult.Change {
	return &payresult.Change{Order: &payresult.Order{MerchantUID: m, Name: name, Amount: portone.Won(1000), Currency: "KRW", Status: payresult.StatusPending}}
}
