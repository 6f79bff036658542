-- An account whose password an admin reset: it must choose its own at the next sign-in, and
-- until then its sessions can do nothing else.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
