-- Answer attachments (schema::attachment): photos, recordings, videos and files.
-- Each revision's files as its answers name them, written with the revision: what a device
-- is to send, what the review and the export list. A NULL sha256 is a file an ODK client
-- named and never sent.
CREATE TABLE revision_attachments (
    seq INTEGER NOT NULL REFERENCES revisions (seq),
    name TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    PRIMARY KEY (seq, name)
) STRICT;
CREATE INDEX revision_attachments_by_content ON revision_attachments (sha256);
-- The bytes, once per content, in the order they arrive: each part of a resumable upload is
-- committed before its offset is answered. A file is whole when `attachments` has its row,
-- written in the transaction that checked the parts' sha256; `backed_up` once a backup holds
-- it (a phone deletes its copy only then: DESIGN.md, guarantee 1).
CREATE TABLE attachment_parts (
    sha256 TEXT NOT NULL,
    start INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (sha256, start)
) STRICT;
CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    received_at TEXT NOT NULL,
    backed_up INTEGER NOT NULL DEFAULT 0
) STRICT;
-- The files an ODK client sent with an instance, across the posts of a split upload: the
-- last post stores the submission with every one of them.
CREATE TABLE openrosa_files (
    instance_id TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id),
    received_at TEXT NOT NULL,
    PRIMARY KEY (instance_id, name)
) STRICT;
