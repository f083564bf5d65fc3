// Package storetest is the conformance suite of payresult.Store: the
// behaviour Confirm, the reconciler and event delivery rely on, checked
// against any store with one call. payresult's own SQLite and PostgreSQL
// stores pass it; a store of your own should too before it keeps money.
//
// The suite checks, among others: compare-and-set on the order's version
// (a stale change fails with a KindConflict error and writes nothing, and
// of concurrent changes from one version exactly one wins); the batch
// contract of ApplyMany (each change of a slice answered as if it had
// been applied alone, a refused one failing no other and leaving nothing
// behind); an imp_uid bound to one order only; events appended in the same transaction as the
// change, read back in increasing Seq with no gap a feed cursor could
// skip; leases on due orders and undelivered events that no two
// claimers share; and idempotency keys: of concurrent claims exactly one
// holds a key, a claim whose lease ended is taken over with its pinned
// basis, and an answer is stored in the transaction of the change it
// answers, or not at all, and then kept until pruned.
//
// Call Run from a test in your store's package, with a function that
// opens a fresh, empty store for each subtest:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) payresult.Store {
//			s := mystore.New()
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Subtests run in parallel, each on its own store. The package imports no
// store: it depends only on the payresult root package.
package storetest
