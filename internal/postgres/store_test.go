package postgres_test

import (
	"context"
	"sync"
	"testing"

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
