-- Tamper evidence: every event carries the SHA-256 of its predecessor's hash (within its
-- aggregate) and its own content, computed by the database as the row is appended, in the
-- appending transaction. `infrastructure::audit::chain_hash` computes the same in Rust to verify.
--
-- Hashed, separated by newlines: the previous hash (64 zeros for the first event), aggregate
-- type, aggregate id, sequence, event type, event version, recorded_at (UTC, microseconds), and
-- payload and metadata as stored, each prefixed by its length in bytes.
ALTER TABLE events ADD COLUMN chain_hash text;

CREATE FUNCTION events_chain_input(previous text, e events) RETURNS bytea LANGUAGE sql IMMUTABLE AS
$$
SELECT convert_to(
    previous || E'\n' || e.aggregate_type || E'\n' || e.aggregate_id || E'\n' || e.sequence::text
    || E'\n' || e.event_type || E'\n' || e.event_version
    || E'\n' || to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    || E'\n' || octet_length(e.payload::text)::text || ':' || e.payload::text
    || E'\n' || octet_length(e.metadata::text)::text || ':' || e.metadata::text,
    'UTF8')
$$;

CREATE FUNCTION events_chain() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
    previous text;
BEGIN
    IF NEW.sequence = 1 THEN
        previous := repeat('0', 64);
    ELSE
        SELECT chain_hash INTO previous FROM events
        WHERE aggregate_type = NEW.aggregate_type AND aggregate_id = NEW.aggregate_id
          AND sequence = NEW.sequence - 1;
        IF previous IS NULL THEN
            RAISE EXCEPTION 'event % of %/% has no predecessor to chain to',
                NEW.sequence, NEW.aggregate_type, NEW.aggregate_id;
        END IF;
    END IF;
    NEW.chain_hash := encode(sha256(events_chain_input(previous, NEW)), 'hex');
    RETURN NEW;
END;
$$;

-- Chain the events written before this migration, in order.
ALTER TABLE events DISABLE TRIGGER events_append_only;
DO
$$
DECLARE
    e events;
    previous text;
    last_aggregate text := '';
BEGIN
    FOR e IN SELECT * FROM events ORDER BY aggregate_type, aggregate_id, sequence LOOP
        IF e.aggregate_type || '/' || e.aggregate_id <> last_aggregate THEN
            previous := repeat('0', 64);
            last_aggregate := e.aggregate_type || '/' || e.aggregate_id;
        END IF;
        previous := encode(sha256(events_chain_input(previous, e)), 'hex');
        UPDATE events SET chain_hash = previous
        WHERE aggregate_type = e.aggregate_type AND aggregate_id = e.aggregate_id AND sequence = e.sequence;
    END LOOP;
END;
$$;
ALTER TABLE events ENABLE TRIGGER events_append_only;

ALTER TABLE events ALTER COLUMN chain_hash SET NOT NULL;
CREATE TRIGGER events_chain BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_chain();
