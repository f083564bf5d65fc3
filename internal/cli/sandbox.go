package cli

import (
	"context"
	"fmt"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/postgres"
	"github.com/payresult/payresult/sqlite"
)

// sandboxStorage is where the sandbox keeps its payments, tokens and id
// sequence: in tables of their own in the database of db, so that a
// restart of serve in sandbox mode (or of the emulator command with --db)
// changes nothing a buyer or an app can see. nil for a store of another
// kind, whose sandbox then lives in memory.
func sandboxStorage(db payresult.Store) emulator.Storage {
	switch st := db.(type) {
	case *sqlite.Store:
		return st.Sandbox()
	case *postgres.Store:
		return st.Sandbox()
	}
	return nil
}

// openEmulator starts an emulator on storage, or in memory when storage
// is nil.
func openEmulator(ctx context.Context, cfg emulator.Config, storage emulator.Storage) (*emulator.Emulator, error) {
	if storage == nil {
		return emulator.New(cfg), nil
	}
	em, err := emulator.Open(ctx, cfg, storage)
	if err != nil {
		return nil, fmt.Errorf("sandbox: loading its saved state: %w", err)
	}
	return em, nil
}
