-- Money is BIGINT: portone.Amount.Scaled(), exact. Times are timestamptz
-- (microseconds); NULL is the zero time.

CREATE TABLE orders (
    -- id orders the listing newest first and is the paging cursor's key.
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_uid      TEXT        NOT NULL UNIQUE,
    name              TEXT        NOT NULL,
    amount            BIGINT      NOT NULL,
    currency          TEXT        NOT NULL,
    status            TEXT        NOT NULL,
    imp_uid           TEXT        NOT NULL DEFAULT '',
    paid_amount       BIGINT      NOT NULL DEFAULT 0,
    refunded_amount   BIGINT      NOT NULL DEFAULT 0,
    fail_reason       TEXT        NOT NULL DEFAULT '',
    vbank             JSONB,      -- payresult.VirtualAccount
    forgery_cancelled BOOLEAN     NOT NULL DEFAULT false,
    success_url       TEXT        NOT NULL DEFAULT '',
    fail_url          TEXT        NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    paid_at           TIMESTAMPTZ,
    next_check_at     TIMESTAMPTZ,
    checks            INTEGER     NOT NULL DEFAULT 0,
    version           BIGINT      NOT NULL CHECK (version >= 1)
);

-- The reconciler scans only orders that still need a check.
CREATE INDEX orders_next_check ON orders (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX orders_status ON orders (status, id);

-- An imp_uid belongs to exactly one order for good: it is the primary key.
CREATE TABLE attempts (
    imp_uid       TEXT        PRIMARY KEY,
    merchant_uid  TEXT        NOT NULL REFERENCES orders (merchant_uid),
    status        TEXT        NOT NULL,
    pay_method    TEXT        NOT NULL DEFAULT '',
    pg_provider   TEXT        NOT NULL DEFAULT '',
    amount        BIGINT      NOT NULL,
    cancel_amount BIGINT      NOT NULL DEFAULT 0,
    currency      TEXT        NOT NULL,
    sandbox       BOOLEAN     NOT NULL DEFAULT false,
    fail_reason   TEXT        NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX attempts_merchant ON attempts (merchant_uid, created_at);

-- The outbox and the feed. seq comes from event_seq (see Store.Apply), not
-- from a sequence, so that it is handed out in commit order.
CREATE TABLE events (
    seq             BIGINT      PRIMARY KEY,
    id              TEXT        NOT NULL UNIQUE,
    type            TEXT        NOT NULL,
    merchant_uid    TEXT        NOT NULL REFERENCES orders (merchant_uid),
    created_at      TIMESTAMPTZ NOT NULL,
    data            BYTEA       NOT NULL, -- the exact JSON body sent to the app
    state           TEXT        NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    last_error      TEXT        NOT NULL DEFAULT '',
    delivered_at    TIMESTAMPTZ
);

CREATE INDEX events_merchant ON events (merchant_uid, seq);
CREATE INDEX events_due ON events (next_attempt_at, seq) WHERE state = 'pending';

-- The feed's counter: one row, updated inside each Apply that appends
-- events. Its row lock makes those transactions take seqs in commit order.
CREATE TABLE event_seq (
    one  BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    last BIGINT  NOT NULL
);
INSERT INTO event_seq (last) VALUES (0);

-- The timeline is history, not state: no foreign key, so that a notice for
-- an unknown merchant_uid can still be recorded.
CREATE TABLE notices (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_uid TEXT        NOT NULL,
    imp_uid      TEXT        NOT NULL DEFAULT '',
    source       TEXT        NOT NULL,
    kind         TEXT        NOT NULL,
    detail       TEXT        NOT NULL DEFAULT '',
    at           TIMESTAMPTZ NOT NULL
);

CREATE INDEX notices_merchant ON notices (merchant_uid, id);
