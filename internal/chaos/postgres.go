package chaos

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// freshSchema creates an empty schema for the run in the database base
// names and returns a URL whose connections use it, and a func that drops
// it. Every run starts from nothing, and runs never see each other's rows.
func freshSchema(ctx context.Context, base string, seed int64) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("chaos: database URL: %w", err)
	}
	schema := fmt.Sprintf("chaos_%d_%d", uint64(seed), time.Now().UnixNano())
	if err := execAdmin(ctx, base, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("chaos: creating schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = execAdmin(ctx, base, "DROP SCHEMA "+schema+" CASCADE")
	}
	return u.String(), drop, nil
}

// execAdmin runs one statement on its own connection.
func execAdmin(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
