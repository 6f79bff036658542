-- Baraza schema, version 1. Applied migrations are never edited: add a new file instead.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'planner', 'enumerator')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Bearer tokens, stored as sha256 of the token.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE login_failures (
    username     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    first_at     TEXT NOT NULL,
    locked_until TEXT
) STRICT;

-- The sampling frame: listed households N_h weight the reports.
CREATE TABLE settlements (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    households INTEGER NOT NULL CHECK (households >= 0)
) STRICT;

CREATE TABLE supervisor_settlements (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    settlement TEXT NOT NULL REFERENCES settlements (code),
    PRIMARY KEY (user_id, settlement)
) STRICT;

-- Published forms are immutable; only their state changes.
CREATE TABLE forms (
    form_id      TEXT NOT NULL,
    version      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    title        TEXT NOT NULL,
    definition   TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closing', 'closed')),
    published_at TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
) STRICT;

CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id),
    token_hash        TEXT NOT NULL UNIQUE,
    created_at        TEXT NOT NULL,
    revoked_at        TEXT,
    acked_through_seq INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Every revision ever accepted, in server order. `payload` holds the exact bytes sent.
CREATE TABLE revisions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    response_id  TEXT NOT NULL,
    rev          TEXT NOT NULL,
    rev_n        INTEGER NOT NULL,
    parent_rev   TEXT,
    form_id      TEXT NOT NULL,
    form_version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    payload      TEXT NOT NULL,
    settlement   TEXT,
    device_id    TEXT,
    device_seq   INTEGER,
    author_id    INTEGER REFERENCES users (id),
    saved_at     TEXT,
    received_at  TEXT NOT NULL,
    -- Set on the losing leaves when a supervisor resolves a conflict; they stay in history.
    superseded   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (response_id, rev)
) STRICT;

-- One row per response: its provisional winner and review state.
CREATE TABLE responses (
    response_id   TEXT PRIMARY KEY,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    head_rev      TEXT NOT NULL,
    head_seq      INTEGER NOT NULL REFERENCES revisions (seq),
    settlement    TEXT,
    review_state  TEXT NOT NULL DEFAULT 'received'
                  CHECK (review_state IN ('received', 'has_issues', 'approved', 'rejected')),
    conflict      INTEGER NOT NULL DEFAULT 0,
    missing_parent INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE review_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    response_id TEXT NOT NULL REFERENCES responses (response_id),
    state       TEXT NOT NULL,
    comment     TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    at          TEXT NOT NULL
) STRICT;

-- What the server kept but could not accept, with the whole item and the reason.
CREATE TABLE quarantine (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id    TEXT NOT NULL,
    device_seq   INTEGER NOT NULL,
    response_id  TEXT,
    rev          TEXT,
    -- From the payload when it names one, so supervisors see their settlements' items.
    settlement   TEXT,
    code         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    item         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    resolved     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The answer given to each (device, device_seq), so that any replay gets the same answer.
CREATE TABLE device_items (
    device_id   TEXT NOT NULL,
    device_seq  INTEGER NOT NULL,
    response_id TEXT NOT NULL,
    rev         TEXT NOT NULL,
    status      TEXT NOT NULL,
    server_seq  INTEGER,
    quarantine_id INTEGER REFERENCES quarantine (id),
    PRIMARY KEY (device_id, device_seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    user_id   INTEGER,
    device_id TEXT,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL
) STRICT;

-- Unweighted per-settlement sums behind the reports, kept up to date in the transaction that
-- changes what counts (see schema::reports). Design weights are applied at report time.
CREATE TABLE aggregates (
    report     TEXT NOT NULL,
    form_id    TEXT NOT NULL,
    settlement TEXT NOT NULL,
    cell       TEXT NOT NULL,
    s0         REAL NOT NULL,
    s1         REAL NOT NULL,
    s2         REAL NOT NULL,
    s3         REAL NOT NULL,
    PRIMARY KEY (report, form_id, settlement, cell)
) STRICT, WITHOUT ROWID;

-- Counted interviews per settlement (n_h of the design weight N_h / n_h).
CREATE TABLE strata (
    form_id    TEXT NOT NULL,
    settlement TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (form_id, settlement)
) STRICT, WITHOUT ROWID;

CREATE INDEX revisions_by_response ON revisions (response_id);
CREATE INDEX responses_by_settlement ON responses (settlement, form_id);
CREATE INDEX quarantine_by_device ON quarantine (device_id, device_seq);
