-- Times are INTEGER microseconds since the Unix epoch (UTC); NULL is the
-- zero time. Money is INTEGER: portone.Amount.Scaled(), exact.

CREATE TABLE orders (
    -- id orders the listing newest first and is the paging cursor's key.
    id                INTEGER PRIMARY KEY,
    merchant_uid      TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    amount            INTEGER NOT NULL,
    currency          TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    imp_uid           TEXT    NOT NULL DEFAULT '',
    paid_amount       INTEGER NOT NULL DEFAULT 0,
    refunded_amount   INTEGER NOT NULL DEFAULT 0,
    fail_reason       TEXT    NOT NULL DEFAULT '',
    vbank             TEXT,   -- JSON of payresult.VirtualAccount
    forgery_cancelled INTEGER NOT NULL DEFAULT 0,
    success_url       TEXT    NOT NULL DEFAULT '',
    fail_url          TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    paid_at           INTEGER,
    next_check_at     INTEGER,
    checks            INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL CHECK (version >= 1)
);

-- The reconciler scans only orders that still need a check.
CREATE INDEX orders_next_check ON orders (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX orders_status ON orders (status, id);

-- An imp_uid belongs to exactly one order for good: it is the primary key.
CREATE TABLE attempts (
    imp_uid       TEXT    PRIMARY KEY,
    merchant_uid  TEXT    NOT NULL REFERENCES orders (merchant_uid),
    status        TEXT    NOT NULL,
    pay_method    TEXT    NOT NULL DEFAULT '',
    pg_provider   TEXT    NOT NULL DEFAULT '',
    amount        INTEGER NOT NULL,
    cancel_amount INTEGER NOT NULL DEFAULT 0,
    currency      TEXT    NOT NULL,
    sandbox       INTEGER NOT NULL DEFAULT 0,
    fail_reason   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE INDEX attempts_merchant ON attempts (merchant_uid);

-- The outbox and the feed. seq is the rowid: with a single writer it is
-- handed out in commit order, so the feed cursor never skips a row.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    type            TEXT    NOT NULL,
    merchant_uid    TEXT    NOT NULL REFERENCES orders (merchant_uid),
    created_at      INTEGER NOT NULL,
    data            BLOB    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    delivered_at    INTEGER
);

CREATE INDEX events_merchant ON events (merchant_uid, seq);
CREATE INDEX events_due ON events (next_attempt_at, seq) WHERE state = 'pending';

-- The timeline is history, not state: no foreign key, so that a notice for
-- an unknown merchant_uid can still be recorded.
CREATE TABLE notices (
    id           INTEGER PRIMARY KEY,
    merchant_uid TEXT    NOT NULL,
    imp_uid      TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',
    at           INTEGER NOT NULL
);

CREATE INDEX notices_merchant ON notices (merchant_uid, id);
