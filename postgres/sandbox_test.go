package postgres_test

import (
	"context"
	"testing"

	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/emulator/storagetest"
	"github.com/payresult/payresult/postgres"
)

// TestSandbox runs the sandbox Storage suite on a PostgreSQL schema,
// connected anew for every run of the emulator as a restarted process
// would.
func TestSandbox(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Open {
		url := testdb.PostgresURL(t)
		return func(t *testing.T) emulator.Storage {
			s, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s.Sandbox()
		}
	})
}
