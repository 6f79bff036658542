-- The files a form version carries beside its sheets (XLSForm's media: choice lists' CSV
-- and XML files, pulldata() sources, images in labels), by name, written with the form.
-- The bytes are kept once per content in `attachments`/`attachment_parts`, as answers' files
-- are; `md5` is what OpenRosa's manifest gives ODK clients.
CREATE TABLE form_files (
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    md5 TEXT NOT NULL,
    PRIMARY KEY (form_id, version, name),
    FOREIGN KEY (form_id, version) REFERENCES forms (form_id, version)
);
