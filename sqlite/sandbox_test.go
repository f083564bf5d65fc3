package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/emulator/storagetest"
	"github.com/payresult/payresult/sqlite"
)

// TestSandbox runs the sandbox Storage suite on a SQLite file, opened
// anew for every run of the emulator as a restarted process would.
func TestSandbox(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Open {
		path := filepath.Join(t.TempDir(), "payresult.db")
		return func(t *testing.T) emulator.Storage {
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatalf("Open(%s): %v", path, err)
			}
			t.Cleanup(func() { s.Close() })
			return s.Sandbox()
		}
	})
}
