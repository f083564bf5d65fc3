package memstore_test

import (
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/examples/memstore"
	"github.com/payresult/payresult/storetest"
)

// TestConformance runs payresult's conformance suite against the store,
// as anyone's own store should.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payresult.Store { return memstore.New() })
}
