package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Notes returns an order's timeline notes, oldest first.
func (s *Store) Notes(ctx context.Context, merchantUID string) ([]payresult.Note, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, merchant_uid, imp_uid, source, kind, detail, at
		FROM notices WHERE merchant_uid = ? ORDER BY id`, merchantUID)
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

// Attempts lists the payment attempts of an order, oldest first.
func (s *Store) Attempts(ctx context.Context, merchantUID string) ([]payresult.Attempt, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+attemptColumns+` FROM attempts
		WHERE merchant_uid = ? ORDER BY created_at, imp_uid`, merchantUID)
	if err != nil {
		return nil, classify(err, "sqlite: attempts %q", merchantUID)
	}
	defer rows.Close()
	var out []payresult.Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, classify(err, "sqlite: attempts %q", merchantUID)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "sqlite: attempts %q", merchantUID)
	}
	if len(out) == 0 {
		return nil, s.mustExist(ctx, merchantUID)
	}
	return out, nil
}

// maxPreparedNotes is the most notes one prepared insert
// takes: Confirm writes two to four; longer runs are parsed each time.
const maxPreparedNotes = 4

// insertNotesSQL is the insert of n notes in one statement.
func insertNotesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO notices (merchant_uid, imp_uid, source, kind, detail, at) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// insertNotes appends notes in w with one statement: Confirm
// writes its lines inside Apply's transaction.
func insertNotes(w wtx, ns []payresult.Note) error {
	if len(ns) == 0 {
		return nil
	}
	args := make([]any, 0, 6*len(ns))
	for _, n := range ns {
		args = append(args, n.MerchantUID, n.ImpUID, n.Source, n.Kind, n.Detail, sqlstore.NowOr(n.At).UnixMicro())
	}
	_, err := w.exec(insertNotesSQL(len(ns)), args...)
	return err
}
