package sqlstore

import (
	"github.com/payresult/payresult"
)

// CheckClaim refuses, with a KindInvalid error starting with prefix, a
// claim of an idempotency key that names no key, fingerprint or token,
// or has no time.
func CheckClaim(c payresult.IdempotencyClaim, prefix string) error {
	if c.Key == "" || c.Fingerprint == "" || c.Token == "" || c.Now.IsZero() || c.LeaseUntil.IsZero() {
		return payresult.Errorf(payresult.KindInvalid, "%s: a claim needs a key, a fingerprint, a token, a time and a lease", prefix)
	}
	return nil
}

// CheckPruneLimit refuses a limit of idempotency keys to prune that is
// not positive; more than MaxListLimit is capped.
func CheckPruneLimit(limit int, prefix string) (int, error) {
	if limit <= 0 {
		return 0, payresult.Errorf(payresult.KindInvalid, "%s: prune limit %d is not positive", prefix, limit)
	}
	return min(limit, MaxListLimit), nil
}

// NotHeld is the refusal of a write to an idempotency key's record whose
// claim no longer holds the key: a later request took it over, or it is
// answered. The change that carried the write is refused whole.
func NotHeld(prefix, key string) error {
	return payresult.Errorf(payresult.KindIdempotencyKeyInUse,
		"%s: idempotency key %q is no longer held by this request: a retry took it over", prefix, key)
}

// NullBytes is b for a nullable BLOB or bytea parameter: nil is NULL.
func NullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
