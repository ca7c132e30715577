-- The call's signalling and waiting room, shared by every api replica (see
-- infrastructure::calls::signalling and ::presence). UNLOGGED: what they hold lives for a call
-- and is never worth a WAL write or a crash recovery.

-- One open signalling WebSocket per participant and call, alive while its heartbeat is fresh.
CREATE UNLOGGED TABLE signal_connections (
    request_id uuid NOT NULL,
    participant text NOT NULL CHECK (participant IN ('citizen', 'clerk')),
    connection uuid NOT NULL,
    seen_at timestamptz NOT NULL,
    PRIMARY KEY (request_id, participant)
);

-- Messages waiting for a connection, taken (deleted) in order when it is woken.
CREATE UNLOGGED TABLE signal_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection uuid NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signal_messages_connection ON signal_messages (connection, id);

-- Who is in the waiting room (or on the call page) of a case, as last seen.
CREATE UNLOGGED TABLE call_presence (
    request_id uuid NOT NULL,
    participant text NOT NULL CHECK (participant IN ('citizen', 'clerk')),
    seen_at timestamptz NOT NULL,
    PRIMARY KEY (request_id, participant)
);
