package postgres_test

import (
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/bench"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payresult.Store { return testdb.OpenPostgres(t) })
}

func BenchmarkApply(b *testing.B) {
	bench.StoreApply(b, testdb.OpenPostgres(b))
}

func BenchmarkApplyParallel(b *testing.B) {
	bench.StoreApplyParallel(b, testdb.OpenPostgres(b))
}

func BenchmarkRegisterParallel(b *testing.B) {
	bench.StoreRegisterParallel(b, testdb.OpenPostgres(b))
}
