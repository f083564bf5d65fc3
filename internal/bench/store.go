package bench

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/cputime"
	"github.com/payresult/payresult/portone"
)

// The Go benchmarks of a store's write path, which the sqlite and
// postgres packages run on their own stores (go test -bench Apply).

// StoreApply measures Store.Apply on s: each operation is one durable
// pending → paid transition with its attempt and its event, the write
// Confirm makes for a paid payment. Orders are created before the clock
// starts.
func StoreApply(b *testing.B, s payresult.Store) {
	b.Helper()
	changes := paidChanges(b, s)
	b.ResetTimer()
	for i := range b.N {
		if err := s.Apply(b.Context(), changes[i]); err != nil {
			b.Fatalf("Apply: %v", err)
		}
	}
}

// StoreApplyParallel is StoreApply from 32 goroutines per core at once, as under
// load, where the store commits concurrent changes together. Besides the
// time per change it reports the process's CPU time per change
// (cpu-µs/op), which says what the writer costs when fsyncs are shared.
func StoreApplyParallel(b *testing.B, s payresult.Store) {
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

// StoreRegisterParallel measures the registration of new orders (changes
// from version 0) from 32 goroutines per core at once, as an app
// registers its buyers' orders under load. It reports the process's CPU
// time per order (cpu-µs/op) beside the time.
func StoreRegisterParallel(b *testing.B, s payresult.Store) {
	b.Helper()
	orders := make([]*payresult.Order, b.N)
	for i := range orders {
		orders[i] = pendingOrder(benchUID(i))
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	cpu0 := cputime.Self()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			o := orders[next.Add(1)-1]
			if err := s.Apply(b.Context(), &payresult.Change{Order: o}); err != nil {
				b.Errorf("registering %s: %v", o.MerchantUID, err)
				return
			}
		}
	})
	b.ReportMetric(float64((cputime.Self()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// paidChanges registers b.N pending orders and returns the change that
// makes each paid, with its attempt, its event and the three notes
// Confirm writes.
func paidChanges(b *testing.B, s payresult.Store) []*payresult.Change {
	changes := make([]*payresult.Change, b.N)
	now := time.Now().UTC()
	for i := range changes {
		o := pendingOrder(benchUID(i))
		if err := s.Apply(b.Context(), &payresult.Change{Order: o}); err != nil {
			b.Fatalf("registering %s: %v", o.MerchantUID, err)
		}
		next := *o
		next.Status, next.ImpUID, next.PaidAmount, next.PaidAt, next.UpdatedAt = payresult.StatusPaid, "imp_"+o.MerchantUID, o.Amount, now, now
		data, err := json.Marshal(&next)
		if err != nil {
			b.Fatal(err)
		}
		note := func(kind string) payresult.Note {
			return payresult.Note{MerchantUID: o.MerchantUID, ImpUID: next.ImpUID, Source: payresult.SourceWebhook, Kind: kind, Detail: kind + " of the bench", At: now}
		}
		changes[i] = &payresult.Change{
			FromVersion: 1,
			Order:       &next,
			Attempt: &payresult.Attempt{ImpUID: next.ImpUID, MerchantUID: o.MerchantUID, Status: portone.StatusPaid,
				PayMethod: portone.PayMethodCard, Amount: o.Amount, Currency: o.Currency, CreatedAt: now, UpdatedAt: now},
			Events: []payresult.Event{{ID: payresult.EventID(o.MerchantUID, 2, payresult.EventPaid), Type: payresult.EventPaid,
				MerchantUID: o.MerchantUID, CreatedAt: now, Data: data}},
			Notes: []payresult.Note{note("notice"), note("lookup"), note("transition")},
		}
	}
	return changes
}

// pendingOrder returns a new pending order of 15,000 KRW.
func pendingOrder(uid string) *payresult.Order {
	now := time.Now().UTC()
	return &payresult.Order{MerchantUID: uid, Name: "Order " + uid, Amount: portone.Won(15000), Currency: "KRW",
		Status: payresult.StatusPending, CreatedAt: now, UpdatedAt: now, NextCheckAt: now.Add(time.Minute)}
}

// benchUID returns the i-th merchant_uid of a benchmark.
func benchUID(i int) string { return fmt.Sprintf("bench-%06d", i) }
