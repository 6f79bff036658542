-- Report aggregates by form version and interview month too, so reports can be filtered by
-- date range and form version. The aggregates are derived data: they are rebuilt from the
-- stored heads when the server opens the migrated database (meta `aggregates_stale`).
DROP TABLE aggregates;
DROP TABLE strata;

CREATE TABLE aggregates (
    report       TEXT NOT NULL,
    form_id      TEXT NOT NULL,
    settlement   TEXT NOT NULL,
    cell         TEXT NOT NULL,
    form_version TEXT NOT NULL,
    -- The interview month, `YYYY-MM` ('' when the response has no date).
    period       TEXT NOT NULL,
    s0           REAL NOT NULL,
    s1           REAL NOT NULL,
    s2           REAL NOT NULL,
    s3           REAL NOT NULL,
    PRIMARY KEY (report, form_id, settlement, cell, form_version, period)
) STRICT, WITHOUT ROWID;

-- Counted interviews per settlement (n_h of the design weight N_h / n_h), by version and month.
CREATE TABLE strata (
    form_id      TEXT NOT NULL,
    settlement   TEXT NOT NULL,
    form_version TEXT NOT NULL,
    period       TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (form_id, settlement, form_version, period)
) STRICT, WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('aggregates_stale', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
