-- Report aggregates keyed by a stratum number rather than by the stratum's four text columns:
-- shorter keys, and one push batch (one settlement, a month or two) updates one contiguous
-- run of rows. The aggregates are derived data: rebuilt from the stored heads on open.
DROP TABLE aggregates;
DROP TABLE strata;

-- Counted interviews per settlement (n_h of the design weight N_h / n_h), by version and month.
CREATE TABLE strata (
    id           INTEGER PRIMARY KEY,
    form_id      TEXT NOT NULL,
    settlement   TEXT NOT NULL,
    form_version TEXT NOT NULL,
    -- The interview month, `YYYY-MM` ('' when the response has no date).
    period       TEXT NOT NULL,
    n            INTEGER NOT NULL,
    UNIQUE (form_id, settlement, form_version, period)
) STRICT;

CREATE TABLE aggregates (
    stratum INTEGER NOT NULL REFERENCES strata (id),
    report  TEXT NOT NULL,
    cell    TEXT NOT NULL,
    s0      REAL NOT NULL,
    s1      REAL NOT NULL,
    s2      REAL NOT NULL,
    s3      REAL NOT NULL,
    PRIMARY KEY (stratum, report, cell)
) STRICT, WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('aggregates_stale', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
