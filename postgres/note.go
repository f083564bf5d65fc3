package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Notes returns an order's timeline notes, oldest first.
func (s *Store) Notes(ctx context.Context, merchantUID string) ([]payresult.Note, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, merchant_uid, imp_uid, source, kind, detail, at
		FROM notes WHERE merchant_uid = $1 ORDER BY id`, merchantUID)
	if err != nil {
		return nil, classify(err, "postgres: notes %q", merchantUID)
	}
	defer rows.Close()
	var out []payresult.Note
	for rows.Next() {
		var n payresult.Note
		if err := rows.Scan(&n.ID, &n.MerchantUID, &n.ImpUID, &n.Source, &n.Kind, &n.Detail, &n.At); err != nil {
			return nil, classify(err, "postgres: notes %q", merchantUID)
		}
		n.At = n.At.UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "postgres: notes %q", merchantUID)
	}
	if len(out) == 0 {
		return nil, s.mustExist(ctx, merchantUID)
	}
	return out, nil
}

// queueNotes queues the insert of a change's notes as one statement.
func queueNotes(b *pgx.Batch, ns []payresult.Note) {
	if len(ns) == 0 {
		return
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO notes (merchant_uid, imp_uid, source, kind, detail, at) VALUES `)
	args := make([]any, 0, 6*len(ns))
	for i, n := range ns {
		if i > 0 {
			q.WriteString(", ")
		}
		k := 6 * i
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6)
		args = append(args, n.MerchantUID, n.ImpUID, n.Source, n.Kind, n.Detail, ts(sqlstore.NowOr(n.At)))
	}
	b.Queue(q.String(), args...)
}
