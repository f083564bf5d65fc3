package postgres

import (
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// classify turns a database error into a *payresult.Error whose kind tells
// callers whether to retry (see sqlstore.Classify).
func classify(err error, format string, args ...any) error {
	return sqlstore.Classify(err, kindOf, format, args...)
}

// kindOf maps PostgreSQL SQLSTATEs and connection failures to error kinds.
func kindOf(err error) payresult.ErrorKind {
	if errors.Is(err, pgx.ErrNoRows) {
		return payresult.KindNotFound
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return sqlStateKind(pg.Code)
	}
	var connect *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connect) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return payresult.KindTransient
	}
	return payresult.KindInternal
}

// sqlStateKind maps one SQLSTATE.
func sqlStateKind(code string) payresult.ErrorKind {
	switch code {
	case "23505": // unique_violation
		return payresult.KindConflict
	case "23503": // foreign_key_violation: the order does not exist
		return payresult.KindNotFound
	case "40001", "40P01", "55P03": // serialization, deadlock, lock not available
		return payresult.KindTransient
	}
	switch {
	case strings.HasPrefix(code, "08"), // connection exception
		strings.HasPrefix(code, "53"), // insufficient resources
		strings.HasPrefix(code, "57"): // operator intervention: shutdown, query cancelled
		return payresult.KindTransient
	case strings.HasPrefix(code, "22"), strings.HasPrefix(code, "23"): // data exception, constraint
		return payresult.KindInvalid
	}
	return payresult.KindInternal
}

// oneRow checks that a statement changed a row, returning a KindNotFound
// error when it changed none.
func oneRow(tag pgconn.CommandTag, format string, args ...any) error {
	if tag.RowsAffected() == 0 {
		return notFound(format, args...)
	}
	return nil
}
