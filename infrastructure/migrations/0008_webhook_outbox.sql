-- Changes pushed to the council's appointment system. The webhook reactor writes one row per
-- case event in the same transaction as its checkpoint; the sender delivers them in order per
-- case. `body` is the exact JSON sent and signed, on every attempt.
CREATE TABLE webhook_outbox
(
    -- The CloudEvents id: a UUIDv5 of the case and the event's sequence.
    event_id        uuid PRIMARY KEY,
    request_id      uuid        NOT NULL,
    sequence        bigint      NOT NULL,
    event_type      text        NOT NULL,
    body            text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (request_id, sequence)
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (next_attempt_at) WHERE status = 'pending';
