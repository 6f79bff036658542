-- The projector's writes on PostgreSQL: a cell's sums change in place far more often than a
-- cell is new. Room left on each page (fillfactor 70) lets such an update stay on its page
-- without a new entry in the key's index (a heap-only tuple), and the stratum's foreign key
-- goes: it was checked for every cell written, and the one writer of cells (`Delta::flush`)
-- writes their stratum first in the same transaction (a rebuild deletes the cells first).
ALTER TABLE aggregates DROP CONSTRAINT aggregates_stratum_fkey;
ALTER TABLE aggregates SET (fillfactor = 70);
