package postgres_test

import (
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payresult.Store { return testdb.OpenPostgres(t) })
}

func BenchmarkApply(b *testing.B) {
	storetest.BenchApply(b, testdb.OpenPostgres(b))
}

func BenchmarkApplyParallel(b *testing.B) {
	storetest.BenchApplyParallel(b, testdb.OpenPostgres(b))
}

func BenchmarkCreateOrderParallel(b *testing.B) {
	storetest.BenchCreateOrderParallel(b, testdb.OpenPostgres(b))
}
