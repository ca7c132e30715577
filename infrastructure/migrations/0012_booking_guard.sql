-- Anonymous booking's guards (issue 16): each proof-of-work challenge is spent once, and the
-- limits per DNI/NIE and email see a booking from the moment it is made, before the case
-- summary projector has caught up with it.

-- Spent challenges, kept until they would have expired anyway.
CREATE TABLE spent_challenges
(
    id         text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX spent_challenges_expiry ON spent_challenges (expires_at);

-- Anonymous web bookings of the last quarter hour: the limits see them before case_summary does,
-- and the challenge's difficulty follows how many there were in the last 10 minutes.
CREATE TABLE recent_bookings
(
    request_id     uuid PRIMARY KEY,
    national_id    text        NOT NULL,
    email          text        NOT NULL,
    procedure_code text        NOT NULL,
    booked_at      timestamptz NOT NULL
);
CREATE INDEX recent_bookings_national_id ON recent_bookings (national_id);
CREATE INDEX recent_bookings_email ON recent_bookings (lower(email));
CREATE INDEX recent_bookings_booked_at ON recent_bookings (booked_at);

-- The limits read the active appointments of one person or one mailbox.
CREATE INDEX case_summary_active_national_id ON case_summary (citizen_national_id) WHERE status = 'booked';
CREATE INDEX case_summary_active_email ON case_summary (lower(citizen_email)) WHERE status = 'booked';
