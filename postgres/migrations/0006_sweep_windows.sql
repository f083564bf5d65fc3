-- The reconciler's sweep windows: the stretch [start_at, end_at) over
-- which PortOne's payments of one kind (API and status, "v1/paid") are
-- listed; who holds its lease and until when; when its last complete
-- sweep ended (NULL for never), and whether that sweep was final.
CREATE TABLE sweep_windows (
    kind        TEXT        NOT NULL,
    start_at    TIMESTAMPTZ NOT NULL,
    end_at      TIMESTAMPTZ NOT NULL,
    owner       TEXT        NOT NULL DEFAULT '',
    lease_until TIMESTAMPTZ NOT NULL,
    swept_at    TIMESTAMPTZ,
    final       BOOLEAN     NOT NULL DEFAULT false,
    PRIMARY KEY (kind, start_at)
);
