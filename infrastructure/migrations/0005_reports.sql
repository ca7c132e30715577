-- Reporting read models (documented in the README, "Read models"). Counts are per service day:
-- the local date of the appointment the event concerns.

-- Figures per service day, procedure, channel and language.
CREATE TABLE report_daily
(
    service_day        date    NOT NULL,
    procedure_code     text    NOT NULL,
    channel            text    NOT NULL,
    language           text    NOT NULL,
    booked             integer NOT NULL DEFAULT 0,
    rescheduled_in     integer NOT NULL DEFAULT 0,
    rescheduled_out    integer NOT NULL DEFAULT 0,
    cancelled          integer NOT NULL DEFAULT 0,
    no_shows           integer NOT NULL DEFAULT 0,
    closed             integer NOT NULL DEFAULT 0,
    -- Sum over bookings of the days from booking to appointment.
    waiting_days_total bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (service_day, procedure_code, channel, language)
);

-- What the report projector remembers of each case to attribute later events.
CREATE TABLE report_case
(
    request_id     uuid PRIMARY KEY,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    language       text NOT NULL,
    service_day    date NOT NULL
);
