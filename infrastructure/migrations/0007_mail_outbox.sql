-- The mail outbox. The mail reactor writes rows in the same transaction as its checkpoint, so a
-- message is planned exactly once per case event; the sender delivers them and records each
-- delivery on the case as NotificationSent.
CREATE TABLE mail_outbox
(
    -- Stable across attempts: the Message-ID header is <message_id@mail.domain>.
    message_id       uuid PRIMARY KEY,
    request_id       uuid        NOT NULL,
    kind             text        NOT NULL,
    -- The case event that called for the message; the message shows the case as of it.
    trigger_sequence bigint      NOT NULL,
    -- For reminders and call links, the appointment start they were planned for.
    slot_start       timestamptz,
    due_at           timestamptz NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'dropped', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    -- Not taken before this: the due time, a retry's backoff, or another sender's lease.
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    sent_at          timestamptz,
    -- When NotificationSent was appended to the case.
    recorded_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (request_id, kind, trigger_sequence)
);
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_unrecorded ON mail_outbox (sent_at) WHERE status = 'sent' AND recorded_at IS NULL;
CREATE INDEX mail_outbox_request ON mail_outbox (request_id);
