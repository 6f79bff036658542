-- How many interviews the fieldwork plans in a settlement (the console's progress screen);
-- optional.
ALTER TABLE settlements ADD COLUMN target INTEGER CHECK (target IS NULL OR target >= 0);
