-- Read models. Reporting tools may read these tables with SQL; their columns are documented in
-- the README ("Read models").

-- One row per citizen request.
CREATE TABLE case_summary
(
    request_id          uuid PRIMARY KEY,
    version             bigint      NOT NULL,
    events_applied      bigint      NOT NULL,
    status              text        NOT NULL,
    procedure_code      text        NOT NULL,
    slot_start          timestamptz NOT NULL,
    slot_minutes        integer     NOT NULL,
    room                smallint    NOT NULL,
    channel             text        NOT NULL,
    language            text        NOT NULL,
    citizen_name        text        NOT NULL,
    citizen_national_id text        NOT NULL,
    citizen_email       text        NOT NULL,
    citizen_phone       text,
    external_reference  text,
    reschedule_count    integer     NOT NULL,
    cancellation_reason text,
    cancelled_by        text,
    outcome             text,
    closing_summary     text,
    registry_entry      text,
    booked_at           timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX case_summary_slot ON case_summary (slot_start);

-- One row per room reservation: the agenda of each service day.
CREATE TABLE agenda_reservation
(
    service_day    date        NOT NULL,
    request_id     uuid        NOT NULL,
    procedure_code text        NOT NULL,
    slot_start     timestamptz NOT NULL,
    slot_end       timestamptz NOT NULL,
    room           smallint    NOT NULL,
    clerk_id       text,
    reserved_at    timestamptz NOT NULL,
    PRIMARY KEY (request_id, slot_start)
);
CREATE INDEX agenda_reservation_day ON agenda_reservation (service_day, slot_start);
