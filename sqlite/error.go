package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// classify turns a database error into a *payresult.Error whose kind tells
// callers whether to retry (see sqlstore.Classify).
func classify(err error, format string, args ...any) error {
	return sqlstore.Classify(err, kindOf, format, args...)
}

// kindOf maps SQLite result codes to error kinds.
func kindOf(err error) payresult.ErrorKind {
	if errors.Is(err, sql.ErrNoRows) {
		return payresult.KindNotFound
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return payresult.KindInternal
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return payresult.KindConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return payresult.KindNotFound
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL:
		return payresult.KindTransient
	case sqlite3.SQLITE_CONSTRAINT:
		return payresult.KindInvalid
	}
	return payresult.KindInternal
}

// notFound is the error for a missing row.
func notFound(format string, args ...any) error {
	return payresult.Errorf(payresult.KindNotFound, "sqlite: %s", fmt.Sprintf(format, args...))
}

// oneRow checks that an UPDATE changed a row, returning a KindNotFound
// error when it changed none.
func oneRow(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(format, args...)
	}
	return nil
}
