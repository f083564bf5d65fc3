package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult/internal/migration"
)

// migrations holds the schema, one numbered file per step
// (0001_init.sql, 0002_...). A step never changes once released.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the steps the database lacks in one transaction,
// holding an advisory lock keyed on the schema so that instances starting
// at once take turns: the second finds the steps applied. DDL is
// transactional in PostgreSQL, so a failed step leaves nothing behind.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := migration.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	return s.inTx(ctx, "migrate", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(
			hashtext('payresult migrate ' || COALESCE(current_schema(), '')))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER     PRIMARY KEY,
			name       TEXT        NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var newest int
		if err := tx.QueryRow(ctx,
			`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
			return err
		}
		pending, err := migration.Pending(steps, newest)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return err
			}
		}
		return nil
	})
}
