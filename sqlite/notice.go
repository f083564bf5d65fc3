package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// RecordNotice appends n to its order's timeline and sets n.ID (and n.At
// when zero). The order need not exist: a notice for an unknown
// merchant_uid is history worth keeping.
func (s *Store) RecordNotice(ctx context.Context, n *payresult.NoticeRecord) error {
	if err := sqlstore.ValidNotice(n, "sqlite: record notice"); err != nil {
		return err
	}
	at := sqlstore.NowOr(n.At)
	var id int64
	err := s.write(ctx, "record notice", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO notices
				(merchant_uid, imp_uid, source, kind, detail, at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			n.MerchantUID, n.ImpUID, n.Source, n.Kind, n.Detail, at.UnixMicro()).Scan(&id)
	})
	if err != nil {
		return err
	}
	n.ID, n.At = id, sqlstore.RoundTime(at)
	return nil
}

// Timeline returns an order's notice records, oldest first.
func (s *Store) Timeline(ctx context.Context, merchantUID string) ([]payresult.NoticeRecord, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, merchant_uid, imp_uid, source, kind, detail, at
		FROM notices WHERE merchant_uid = ? ORDER BY id`, merchantUID)
	if err != nil {
		return nil, classify(err, "sqlite: timeline %q", merchantUID)
	}
	defer rows.Close()
	var out []payresult.NoticeRecord
	for rows.Next() {
		var n payresult.NoticeRecord
		var at int64
		if err := rows.Scan(&n.ID, &n.MerchantUID, &n.ImpUID, &n.Source, &n.Kind, &n.Detail, &at); err != nil {
			return nil, classify(err, "sqlite: timeline %q", merchantUID)
		}
		n.At = time.UnixMicro(at).UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "sqlite: timeline %q", merchantUID)
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

// maxPreparedNotices is the most timeline lines one prepared insert
// takes: Confirm writes two to four; longer runs are parsed each time.
const maxPreparedNotices = 4

// insertNoticesSQL is the insert of n timeline lines in one statement.
func insertNoticesSQL(n int) string {
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

// insertNotices appends timeline lines in w with one statement: Confirm
// writes its lines inside Apply's transaction.
func insertNotices(w wtx, ns []payresult.NoticeRecord) error {
	if len(ns) == 0 {
		return nil
	}
	args := make([]any, 0, 6*len(ns))
	for _, n := range ns {
		args = append(args, n.MerchantUID, n.ImpUID, n.Source, n.Kind, n.Detail, sqlstore.NowOr(n.At).UnixMicro())
	}
	_, err := w.exec(insertNoticesSQL(len(ns)), args...)
	return err
}
