-- The council's registry (Ley 39/2015, art. 16): one entry per signed request or complaint.
--
-- Entries are written only by the registry reactor, which follows the global log with its
-- checkpoint in the same transaction, one instance at a time (advisory lock). Numbers are taken
-- as max + 1 inside that transaction, so they are strictly increasing, in log order, and without
-- gaps: a number exists only if its transaction committed.
CREATE TABLE registry_entries
(
    number              bigint PRIMARY KEY CHECK (number > 0),
    signature_id        uuid        NOT NULL UNIQUE,
    request_id          uuid        NOT NULL,
    document_id         uuid        NOT NULL,
    kind                text        NOT NULL CHECK (kind IN ('request', 'complaint')),
    interested_name     text        NOT NULL,
    interested_id       text        NOT NULL,
    addressee           text        NOT NULL,
    document_sha256     text        NOT NULL,
    registered_at       timestamptz NOT NULL,
    -- Set once `RegistryEntryMade` is on the case (which sends the registry receipt).
    recorded_on_case_at timestamptz
);

CREATE INDEX registry_entries_unrecorded ON registry_entries (number) WHERE recorded_on_case_at IS NULL;
CREATE INDEX registry_entries_request ON registry_entries (request_id);

-- An entry is never deleted nor changed; only its recording on the case is noted, once.
CREATE FUNCTION registry_entries_are_fixed() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'registry entries are never deleted';
    END IF;
    IF (OLD.number, OLD.signature_id, OLD.request_id, OLD.document_id, OLD.kind, OLD.interested_name,
        OLD.interested_id, OLD.addressee, OLD.document_sha256, OLD.registered_at)
       IS DISTINCT FROM
       (NEW.number, NEW.signature_id, NEW.request_id, NEW.document_id, NEW.kind, NEW.interested_name,
        NEW.interested_id, NEW.addressee, NEW.document_sha256, NEW.registered_at)
       OR OLD.recorded_on_case_at IS NOT NULL THEN
        RAISE EXCEPTION 'registry entry % is fixed', OLD.number;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER registry_entries_fixed
    BEFORE UPDATE OR DELETE ON registry_entries
    FOR EACH ROW EXECUTE FUNCTION registry_entries_are_fixed();
