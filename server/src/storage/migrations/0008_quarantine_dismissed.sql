-- A supervisor may dismiss a quarantined item with a reason; the item is kept all the same.
ALTER TABLE quarantine ADD COLUMN dismissed TEXT;
