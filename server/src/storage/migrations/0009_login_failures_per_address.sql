-- Failed logins are counted per (username, address): an attacker's failures lock a name only
-- for the attacker's address, never for its owner signing in from elsewhere. The counts are
-- transient (15 minutes), so the old table's rows go.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    username     TEXT NOT NULL,
    address      TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    first_at     TEXT NOT NULL,
    locked_until TEXT,
    PRIMARY KEY (username, address)
) STRICT;
CREATE INDEX login_failures_by_age ON login_failures (first_at);
