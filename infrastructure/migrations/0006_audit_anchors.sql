-- Daily anchors: the heads of every aggregate's hash chain as of the end of a day (UTC), digested
-- and sealed with the council's sealing key. Rewriting history after a day was anchored (even
-- deleting an aggregate's last event, which the chain alone cannot show) breaks the anchor.
CREATE TABLE audit_anchors
(
    day        date PRIMARY KEY,
    heads      integer     NOT NULL,
    digest     text        NOT NULL,
    -- JWS (EdDSA) over {day, heads, digest}.
    seal       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
