package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/payresult/payresult"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want payresult.ErrorKind
	}{
		{"no rows", pgx.ErrNoRows, payresult.KindNotFound},
		{"unique violation", &pgconn.PgError{Code: "23505"}, payresult.KindConflict},
		{"foreign key violation", &pgconn.PgError{Code: "23503"}, payresult.KindNotFound},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, payresult.KindTransient},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, payresult.KindTransient},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, payresult.KindTransient},
		{"too many connections", &pgconn.PgError{Code: "53300"}, payresult.KindTransient},
		{"connection failure", &pgconn.PgError{Code: "08006"}, payresult.KindTransient},
		{"check violation", &pgconn.PgError{Code: "23514"}, payresult.KindInvalid},
		{"syntax error", &pgconn.PgError{Code: "42601"}, payresult.KindInternal},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), payresult.KindTransient},
		{"unknown", errors.New("boom"), payresult.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := payresult.KindOf(classify(tt.err, "op")); got != tt.want {
				t.Errorf("kind of %v = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	already := payresult.Errorf(payresult.KindConflict, "lost")
	if got := classify(already, "op"); got != already {
		t.Errorf("classify wrapped a *payresult.Error: %v", got)
	}
}

// TestDeadlockedApplyIsALostRace checks that Apply reports a change
// PostgreSQL aborted to break a deadlock, or for a serialization failure,
// as a lost race (KindConflict, which Confirm computes again), and that
// other failures keep their kind.
func TestDeadlockedApplyIsALostRace(t *testing.T) {
	tests := []struct {
		code string
		want payresult.ErrorKind
	}{
		{"40P01", payresult.KindConflict},
		{"40001", payresult.KindConflict},
		{"57P01", payresult.KindTransient},
		{"23505", payresult.KindConflict},
		{"42601", payresult.KindInternal},
	}
	for _, tt := range tests {
		err := &pgconn.PgError{Code: tt.code, Message: "from the server"}
		got := applyError(classify(fmt.Errorf("batch: %w", err), "postgres: apply"))
		if payresult.KindOf(got) != tt.want {
			t.Errorf("SQLSTATE %s = %v (kind %q), want kind %q", tt.code, got, payresult.KindOf(got), tt.want)
		}
		var pg *pgconn.PgError
		if !errors.As(got, &pg) || pg.Code != tt.code {
			t.Errorf("SQLSTATE %s: the server's error is no longer in the chain of %v", tt.code, got)
		}
	}
	if applyError(nil) != nil {
		t.Error("applyError(nil) is not nil")
	}
}
