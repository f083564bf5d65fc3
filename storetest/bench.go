package storetest

import (
	"sync/atomic"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/cputime"
)

// BenchApply measures Store.Apply on s: each operation is one durable
// pending → paid transition with its attempt and its event, the write
// Confirm makes for a paid payment. Orders are created before the clock
// starts.
func BenchApply(b *testing.B, s payresult.Store) {
	b.Helper()
	changes := paidChanges(b, s)
	b.ResetTimer()
	for i := range b.N {
		if err := s.Apply(b.Context(), changes[i]); err != nil {
			b.Fatalf("Apply: %v", err)
		}
	}
}

// BenchApplyParallel is BenchApply from 32 goroutines per core at once, as under
// load, where the store commits concurrent changes together. Besides the
// time per change it reports the process's CPU time per change
// (cpu-µs/op), which says what the writer costs when fsyncs are shared.
func BenchApplyParallel(b *testing.B, s payresult.Store) {
	b.Helper()
	changes := paidChanges(b, s)
	var next atomic.Int64
	b.SetParallelism(32) // 32 goroutines per GOMAXPROCS: 64 on two cores
	b.ResetTimer()
	cpu0 := cputime.Self()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Apply(b.Context(), changes[next.Add(1)-1]); err != nil {
				b.Errorf("Apply: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64((cputime.Self()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchCreateOrderParallel measures Store.CreateOrder from 32 goroutines
// per core at once, each registering a new order, as an app registers its
// buyers' orders under load. It reports the process's CPU time per order
// (cpu-µs/op) beside the time.
func BenchCreateOrderParallel(b *testing.B, s payresult.Store) {
	b.Helper()
	orders := make([]*payresult.Order, b.N)
	for i := range orders {
		orders[i] = newOrder(uid(i))
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	cpu0 := cputime.Self()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			o := orders[next.Add(1)-1]
			if _, created, err := s.CreateOrder(b.Context(), o); err != nil || !created {
				b.Errorf("CreateOrder(%s) = created %t, %v", o.MerchantUID, created, err)
				return
			}
		}
	})
	b.ReportMetric(float64((cputime.Self()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// paidChanges creates b.N pending orders and returns the change that
// makes each paid.
func paidChanges(b *testing.B, s payresult.Store) []*payresult.Change {
	changes := make([]*payresult.Change, b.N)
	for i := range changes {
		o, _, err := s.CreateOrder(b.Context(), newOrder(uid(i)))
		if err != nil {
			b.Fatalf("CreateOrder: %v", err)
		}
		changes[i] = paid(o, "imp_"+uid(i))
	}
	return changes
}
