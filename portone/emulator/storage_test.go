package emulator_test

import (
	"testing"

	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/emulator/storagetest"
)

// TestMemoryStorage runs the Storage suite on MemoryStorage: two
// emulators opened on it one after the other behave as one restarted.
func TestMemoryStorage(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Open {
		s := emulator.NewMemoryStorage()
		return func(*testing.T) emulator.Storage { return s }
	})
}
