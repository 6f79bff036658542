-- What the last backup holds from each device: every item up to this device_seq. A device
-- may delete its own copies only up to here (DESIGN.md, Sync, guarantee 1).
ALTER TABLE devices ADD COLUMN backed_up_through_seq INTEGER NOT NULL DEFAULT 0;
