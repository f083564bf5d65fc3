package sqlite

import (
	"context"
	"database/sql"
)

// Sandbox is the offline PortOne sandbox's state in this database: its
// payments, prepared amounts, tokens and id counters, in tables of their
// own (sandbox_entries, sandbox_counters). It implements
// package portone/emulator's Storage, so that `payresult serve` in sandbox
// mode keeps its sandbox beside its orders and a restart changes nothing
// a buyer or an app can see.
type Sandbox struct{ s *Store }

// Sandbox returns the sandbox's state in this database.
func (s *Store) Sandbox() *Sandbox { return &Sandbox{s: s} }

// Load returns every entry of kind, by id.
func (b *Sandbox) Load(ctx context.Context, kind string) (map[string][]byte, error) {
	rows, err := b.s.reader.QueryContext(ctx, `SELECT id, value FROM sandbox_entries WHERE kind = ?`, kind)
	if err != nil {
		return nil, classify(err, "sqlite: loading sandbox %s", kind)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var v []byte
		if err := rows.Scan(&id, &v); err != nil {
			return nil, classify(err, "sqlite: loading sandbox %s", kind)
		}
		out[id] = v
	}
	return out, classify(rows.Err(), "sqlite: loading sandbox %s", kind)
}

// Insert saves a new entry and reports false, changing nothing, when kind
// already has id.
func (b *Sandbox) Insert(ctx context.Context, kind, id string, value []byte) (bool, error) {
	var n int64
	err := b.s.write(ctx, "sandbox insert", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sandbox_entries (kind, id, value) VALUES (?, ?, ?)
			ON CONFLICT (kind, id) DO NOTHING`, kind, id, value)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n == 1, err
}

// Put saves an entry, replacing the one of the same kind and id.
func (b *Sandbox) Put(ctx context.Context, kind, id string, value []byte) error {
	return b.s.write(ctx, "sandbox put", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sandbox_entries (kind, id, value) VALUES (?, ?, ?)
			ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value`, kind, id, value)
		return err
	})
}

// Next adds one to the counter name and returns its new value.
func (b *Sandbox) Next(ctx context.Context, name string) (int64, error) {
	var v int64
	err := b.s.write(ctx, "sandbox counter", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO sandbox_counters (name, value) VALUES (?, 1)
			ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`, name).Scan(&v)
	})
	return v, err
}

// Clear deletes every entry and keeps the counters.
func (b *Sandbox) Clear(ctx context.Context) error {
	return b.s.write(ctx, "sandbox clear", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sandbox_entries`)
		return err
	})
}
