-- Responses to POSTs that create things, by Idempotency-Key, so that a client's retry gets the
-- first answer instead of a second booking. `status` is NULL while the first request runs.
CREATE TABLE idempotency_keys
(
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status       smallint,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    locked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
