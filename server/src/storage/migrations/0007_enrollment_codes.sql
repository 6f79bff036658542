-- One-time, short-lived codes that enroll a phone for an enumerator without their password
-- (typed, or scanned as a QR code). Only the hash of a code is kept.
CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    device_id  TEXT
) STRICT;
