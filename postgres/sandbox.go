package postgres

import (
	"context"
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
	rows, err := b.s.pool.Query(ctx, `SELECT id, value FROM sandbox_entries WHERE kind = $1`, kind)
	if err != nil {
		return nil, classify(err, "postgres: loading sandbox %s", kind)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var v []byte
		if err := rows.Scan(&id, &v); err != nil {
			return nil, classify(err, "postgres: loading sandbox %s", kind)
		}
		out[id] = v
	}
	return out, classify(rows.Err(), "postgres: loading sandbox %s", kind)
}

// Insert saves a new entry and reports false, changing nothing, when kind
// already has id.
func (b *Sandbox) Insert(ctx context.Context, kind, id string, value []byte) (bool, error) {
	tag, err := b.s.pool.Exec(ctx, `INSERT INTO sandbox_entries (kind, id, value) VALUES ($1, $2, $3)
		ON CONFLICT (kind, id) DO NOTHING`, kind, id, value)
	if err != nil {
		return false, classify(err, "postgres: sandbox insert")
	}
	return tag.RowsAffected() == 1, nil
}

// Put saves an entry, replacing the one of the same kind and id.
func (b *Sandbox) Put(ctx context.Context, kind, id string, value []byte) error {
	_, err := b.s.pool.Exec(ctx, `INSERT INTO sandbox_entries (kind, id, value) VALUES ($1, $2, $3)
		ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value`, kind, id, value)
	return classify(err, "postgres: sandbox put")
}

// Next adds one to the counter name and returns its new value.
func (b *Sandbox) Next(ctx context.Context, name string) (int64, error) {
	var v int64
	err := b.s.pool.QueryRow(ctx, `INSERT INTO sandbox_counters (name, value) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET value = sandbox_counters.value + 1 RETURNING value`, name).Scan(&v)
	return v, classify(err, "postgres: sandbox counter")
}

// Clear deletes every entry and keeps the counters.
func (b *Sandbox) Clear(ctx context.Context) error {
	_, err := b.s.pool.Exec(ctx, `DELETE FROM sandbox_entries`)
	return classify(err, "postgres: sandbox clear")
}
