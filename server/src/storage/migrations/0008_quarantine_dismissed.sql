-- A supervisor resolves a quarantined item: dismissed with a reason, or released as a valid
-- revision (its rev). Either way the item is kept.
ALTER TABLE quarantine ADD COLUMN dismissed TEXT;
ALTER TABLE quarantine ADD COLUMN released_rev TEXT;
