-- Crypto-shredding (infrastructure::personal_data): each case's data key, wrapped by the
-- council's wrapping key. Erasing keeps the row, with no key and the time, so that no new key
-- can be made for the case afterwards.
CREATE TABLE case_keys
(
    request_id      uuid PRIMARY KEY,
    wrapped_key     bytea,
    wrapping_key_id text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    erased_at       timestamptz,
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);

ALTER TABLE case_summary ADD COLUMN personal_data_erased boolean NOT NULL DEFAULT false;
