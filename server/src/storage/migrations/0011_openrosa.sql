-- OpenRosa (ODK Collect, ODK Web Forms): each published form version's XForm, generated once
-- and kept so that its MD5 never changes; and every submitted XML instance exactly as it
-- came, with the response and revision it was read into (an edit's deprecatedID finds its
-- response here; an identical resend is found here and stored once).
ALTER TABLE forms ADD COLUMN xform TEXT;
-- Devices an OpenRosa client acts as: 'key' (a key in Collect's server URL, made in the
-- console) or 'password' (an enumerator signing in with Basic over HTTPS). Baraza's own
-- client's devices (NULL) are not OpenRosa devices: the server numbers an OpenRosa device's
-- submissions itself, which would collide with a client's own sequence.
ALTER TABLE devices ADD COLUMN openrosa TEXT;
CREATE TABLE IF NOT EXISTS openrosa_instances (
    instance_id TEXT NOT NULL,
    rev TEXT NOT NULL,
    response_id TEXT NOT NULL,
    parent_rev TEXT,
    device_id TEXT NOT NULL REFERENCES devices (id),
    status TEXT NOT NULL,
    xml TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (instance_id, rev)
) STRICT;
CREATE INDEX IF NOT EXISTS openrosa_instances_by_response ON openrosa_instances (response_id);
