package sqlite_test

import (
	"context"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/bench"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/sqlite"
	"github.com/payresult/payresult/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payresult.Store { return testdb.OpenSQLite(t) })
}

// TestMemory runs the suite on ":memory:", where one connection does
// both the reading and the writing.
func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payresult.Store {
		s, err := sqlite.Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatalf("Open(:memory:): %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func BenchmarkApply(b *testing.B) {
	bench.StoreApply(b, testdb.OpenSQLite(b))
}

func BenchmarkApplyParallel(b *testing.B) {
	bench.StoreApplyParallel(b, testdb.OpenSQLite(b))
}

func BenchmarkRegisterParallel(b *testing.B) {
	bench.StoreRegisterParallel(b, testdb.OpenSQLite(b))
}
