-- An attempt is found by its imp_uid, so the table is kept in imp_uid
-- order itself (WITHOUT ROWID): recording an attempt then writes one
-- B-tree for the row and its key, not a rowid table plus a separate
-- unique index. Same columns, same rows.

CREATE TABLE attempts_by_imp_uid (
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
) WITHOUT ROWID;

INSERT INTO attempts_by_imp_uid
    SELECT imp_uid, merchant_uid, status, pay_method, pg_provider, amount, cancel_amount,
           currency, sandbox, fail_reason, created_at, updated_at
    FROM attempts;

DROP TABLE attempts;
ALTER TABLE attempts_by_imp_uid RENAME TO attempts;
CREATE INDEX attempts_merchant ON attempts (merchant_uid, created_at);
