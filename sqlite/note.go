package sqlite

import (
	"context"
	"time"

	"github.com/payresult/payresult"
)

// Notes returns an order's timeline notes, oldest first.
func (s *Store) Notes(ctx context.Context, merchantUID string) ([]payresult.Note, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, merchant_uid, imp_uid, source, kind, detail, at
		FROM notes WHERE merchant_uid = ? ORDER BY id`, merchantUID)
	if err != nil {
		return nil, classify(err, "sqlite: notes %q", merchantUID)
	}
	defer rows.Close()
	var out []payresult.Note
	for rows.Next() {
		var n payresult.Note
		var at int64
		if err := rows.Scan(&n.ID, &n.MerchantUID, &n.ImpUID, &n.Source, &n.Kind, &n.Detail, &at); err != nil {
			return nil, classify(err, "sqlite: notes %q", merchantUID)
		}
		n.At = time.UnixMicro(at).UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "sqlite: notes %q", merchantUID)
	}
	if len(out) == 0 {
		return nil, s.mustExist(ctx, merchantUID)
	}
	return out, nil
}
