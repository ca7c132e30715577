-- Staff search (GET /v1/requests) over case_summary, and the record of every search by personal
-- data: who, when, for what kinds, the value looked for, and which cases it returned.

-- Accent- and case-folding for name search: an IMMUTABLE function (unaccent() is only STABLE,
-- so it cannot back an index). Covers the letters of Basque and Spanish names and the common
-- Latin accents; anything else is only lower-cased.
CREATE FUNCTION arreta_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
SELECT translate(lower($1),
                 'áàâäãåéèêëíìîïóòôöõúùûüñçýÿ',
                 'aaaaaaeeeeiiiiooooouuuuncyy')
$$;

-- pg_trgm is a trusted extension: the database owner that runs migrations may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Every list is in (slot_start, request_id) order, the keyset of the cursor: a day's page is one
-- range scan of this index.
CREATE INDEX case_summary_slot_id ON case_summary (slot_start, request_id);
-- Personal-data filters never match an erased case, so their indexes leave erased cases out.
CREATE INDEX case_summary_search_national_id ON case_summary (citizen_national_id, slot_start, request_id)
    WHERE NOT personal_data_erased;
CREATE INDEX case_summary_search_email ON case_summary (lower(citizen_email), slot_start, request_id)
    WHERE NOT personal_data_erased;
CREATE INDEX case_summary_search_phone ON case_summary (citizen_phone, slot_start, request_id)
    WHERE NOT personal_data_erased AND citizen_phone IS NOT NULL;
CREATE INDEX case_summary_search_reference ON case_summary (external_reference, slot_start, request_id)
    WHERE NOT personal_data_erased AND external_reference IS NOT NULL;
CREATE INDEX case_summary_search_name ON case_summary USING gin (arreta_fold(citizen_name) gin_trgm_ops)
    WHERE NOT personal_data_erased;
-- The clerk filter looks the clerk's reservations up.
CREATE INDEX agenda_reservation_clerk ON agenda_reservation (clerk_id, request_id) WHERE clerk_id IS NOT NULL;

-- One row per search by personal data, written before the answer is sent (also when nothing
-- matched). `looked_for` is itself personal data: it is kept until `looked_for_until` (90 days,
-- long enough for the data protection officer's quarterly review of searches that found
-- nothing), and blanked earlier once a case it found has its personal data erased. The rest of
-- the row (who, when, which kinds) stays as the record of the search.
CREATE TABLE staff_searches
(
    search_id        uuid PRIMARY KEY,
    staff_id         text        NOT NULL,
    role             text        NOT NULL,
    searched_at      timestamptz NOT NULL,
    kinds            text[]      NOT NULL CHECK (cardinality(kinds) > 0),
    looked_for       jsonb,
    looked_for_until timestamptz NOT NULL,
    correlation_id   uuid        NOT NULL,
    request_id       text
);
CREATE INDEX staff_searches_kept ON staff_searches (looked_for_until) WHERE looked_for IS NOT NULL;
CREATE INDEX staff_searches_staff ON staff_searches (staff_id, searched_at);

-- The cases each search returned (at most one page, 200): the citizen's view of accesses lists
-- them beside the reads recorded in the case's events.
CREATE TABLE staff_search_matches
(
    search_id  uuid NOT NULL REFERENCES staff_searches (search_id),
    request_id uuid NOT NULL,
    PRIMARY KEY (request_id, search_id)
);
