package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/payresult/payresult/internal/migration"
)

// migrations holds the schema, one numbered file per step
// (0001_init.sql, 0002_...). A step never changes once released.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the steps the database lacks, all in one write
// transaction: BEGIN IMMEDIATE makes a second process starting at the same
// time wait and then find the steps applied.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := migration.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	return s.write(ctx, "migrate", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL)`); err != nil {
			return err
		}
		var newest int
		if err := tx.QueryRowContext(ctx,
			`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
			return err
		}
		pending, err := migration.Pending(steps, newest)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, time.Now().UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
}
