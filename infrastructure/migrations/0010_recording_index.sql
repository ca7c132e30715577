-- Finds the case of a recording (`GET /v1/recordings/{rec}/access` names only the recording)
-- without a read model: the recording's `RecordingStarted` event, by its id.
CREATE INDEX events_recording_started
    ON events ((payload -> 'RecordingStarted' ->> 'recording_id'))
    WHERE event_type = 'RecordingStarted';
