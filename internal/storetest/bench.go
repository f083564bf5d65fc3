package storetest

import (
	"testing"

	"payresult"
)

// BenchApply measures Store.Apply on s: each operation is one durable
// pending → paid transition with its attempt and its event, the write
// Confirm makes for a paid payment. Orders are created before the clock
// starts.
func BenchApply(b *testing.B, s payresult.Store) {
	b.Helper()
	changes := make([]*payresult.Change, b.N)
	for i := range changes {
		o, _, err := s.CreateOrder(b.Context(), newOrder(uid(i)))
		if err != nil {
			b.Fatalf("CreateOrder: %v", err)
		}
		changes[i] = paid(o, "imp_"+uid(i))
	}
	b.ResetTimer()
	for i := range b.N {
		if err := s.Apply(b.Context(), changes[i]); err != nil {
			b.Fatalf("Apply: %v", err)
		}
	}
}
