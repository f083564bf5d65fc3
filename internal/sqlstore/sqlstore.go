// Package sqlstore holds what payresult's SQL stores (sqlite and
// postgres) do alike whatever their dialect: the values they both keep
// the same way, the attempts' columns and the rule of their upsert, and
// the shared half of turning a database error into a payresult error.
package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payresult/payresult"
)

// NowOr returns t, or the current time when t is zero, for NOT NULL times.
func NowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// RoundTime keeps t to the microsecond in UTC, as the stores' columns do.
func RoundTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Microsecond).UTC()
}

// VbankJSON encodes a virtual account; nil is NULL.
func VbankJSON(v *payresult.VirtualAccount) (any, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// ParseVbank is the inverse of VbankJSON, keeping times to the
// microsecond like every other time in the stores.
func ParseVbank(b []byte) (*payresult.VirtualAccount, error) {
	if b == nil {
		return nil, nil
	}
	var v payresult.VirtualAccount
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	v.Deadline = RoundTime(v.Deadline)
	v.IssuedAt = RoundTime(v.IssuedAt)
	return &v, nil
}

// DeliveryStateOr returns st, or pending when st is empty.
func DeliveryStateOr(st payresult.DeliveryState) payresult.DeliveryState {
	if st == "" {
		return payresult.DeliveryPending
	}
	return st
}

// ValidDeliveryState reports whether st is a known delivery state.
func ValidDeliveryState(st payresult.DeliveryState) bool {
	switch st {
	case payresult.DeliveryPending, payresult.DeliveryDelivered, payresult.DeliveryDead, payresult.DeliveryNone:
		return true
	}
	return false
}

// AttemptColumns lists the attempts table's columns, in the order the
// stores' scanAttempt reads them and their inserts take them.
const AttemptColumns = `imp_uid, merchant_uid, status, pay_method, pg_provider,
	amount, cancel_amount, currency, sandbox, fail_reason, created_at, updated_at`

// AttemptConflict ends every insert of attempts, the same in SQLite and
// PostgreSQL: an attempt whose imp_uid exists is updated only when the
// stored one is of the same order, so that an imp_uid bound to another
// order changes no row, which the stores report as that change's
// KindConflict.
const AttemptConflict = `ON CONFLICT (imp_uid) DO UPDATE SET
	status = excluded.status, pay_method = excluded.pay_method,
	pg_provider = excluded.pg_provider, amount = excluded.amount,
	cancel_amount = excluded.cancel_amount, currency = excluded.currency,
	sandbox = excluded.sandbox, fail_reason = excluded.fail_reason,
	updated_at = excluded.updated_at
	WHERE attempts.merchant_uid = excluded.merchant_uid`

// MaxListLimit caps every listing of the stores, so that one request
// cannot read a whole table.
const MaxListLimit = 1000

// ListLimit checks a caller's limit: 0 means def, more than MaxListLimit
// is capped, negative is refused. prefix names the store in the error.
func ListLimit(limit, def int, prefix string) (int, error) {
	switch {
	case limit < 0:
		return 0, payresult.Errorf(payresult.KindInvalid, "%s: negative limit %d", prefix, limit)
	case limit == 0:
		return def, nil
	}
	return min(limit, MaxListLimit), nil
}

// Classify turns a database error into a *payresult.Error whose kind
// tells callers whether to retry: KindTransient for an ended context,
// and otherwise the kind the store's kindOf gives its driver's error. An
// *payresult.Error passes through unchanged, and nil stays nil.
func Classify(err error, kindOf func(error) payresult.ErrorKind, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var pe *payresult.Error
	if errors.As(err, &pe) {
		return err
	}
	kind := payresult.KindTransient
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		kind = kindOf(err)
	}
	return payresult.WrapError(kind, err, format, args...)
}
