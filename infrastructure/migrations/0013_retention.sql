-- The retention read model (projector `retention`): what the schedule needs to know of each
-- case and of each object it holds in storage. Due dates are not stored: they are computed when
-- asked, from the schedule in the configuration (`[retention]`), so changing the schedule needs
-- no rebuild.

-- One row per booked case: its procedure (the schedule may differ per procedure) and when it
-- last ended (cancelled, no-show, closed), NULL while it is open.
CREATE TABLE retention_cases (
    request_id     uuid PRIMARY KEY,
    procedure_code text NOT NULL,
    ended_at       timestamptz
);

CREATE INDEX retention_cases_ended ON retention_cases (ended_at) WHERE ended_at IS NOT NULL;

-- One row per stored version: a document, or one file of a recording (several per recording,
-- told apart by key). `retain_until` is its COMPLIANCE lock as the store held it when written;
-- `purged_at` is set by `DocumentPurged` / `RecordingPurged`.
CREATE TABLE retention_objects (
    request_id   uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('document', 'recording')),
    object_id    uuid NOT NULL,
    object_key   text NOT NULL,
    version_id   text NOT NULL,
    retain_until timestamptz NOT NULL,
    purged_at    timestamptz,
    PRIMARY KEY (kind, object_id, object_key)
);

CREATE INDEX retention_objects_request ON retention_objects (request_id);

-- The cases whose personal data the purge has had shredded. Written by the purge, not by a
-- projector, so a rebuild does not empty it (shredding again would be harmless: it is
-- idempotent, but it would be listed as due again meanwhile).
CREATE TABLE retention_shredded (
    request_id  uuid PRIMARY KEY,
    shredded_at timestamptz NOT NULL
);
