-- The reconciler's sweep windows: the stretch [start_at, end_at) over
-- which PortOne's payments of one kind (API and status, "v1/paid") are
-- listed; who holds its lease and until when; when its last complete
-- sweep ended (NULL for never), and whether that sweep was final.
CREATE TABLE sweep_windows (
    kind        TEXT    NOT NULL,
    start_at    INTEGER NOT NULL,
    end_at      INTEGER NOT NULL,
    owner       TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    swept_at    INTEGER,
    final       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, start_at)
) WITHOUT ROWID;
