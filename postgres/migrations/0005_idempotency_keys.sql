-- The app's idempotency keys: the request a key was first used for (its
-- fingerprint), the claim of the request running under it (token, until
-- lease_until; '' once released), what that request pinned for its
-- retries (basis), and its answer (status, body; 0 while it has none).
-- Kept at least 24 hours from created_at, then pruned.
CREATE TABLE idempotency_keys (
    key         TEXT        PRIMARY KEY,
    fingerprint TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    token       TEXT        NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,
    basis       BYTEA,
    status      INTEGER     NOT NULL DEFAULT 0,
    body        BYTEA
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
