-- The offline PortOne sandbox's state when `payresult serve` runs in
-- sandbox mode (package portone/emulator's Storage): its payments,
-- prepared amounts and tokens as entries, and the counters its ids are
-- drawn from. The sandbox owns these tables; payresult's orders never
-- refer to them.

CREATE TABLE sandbox_entries (
    kind  TEXT  NOT NULL,
    id    TEXT  NOT NULL,
    value BYTEA NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE TABLE sandbox_counters (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
