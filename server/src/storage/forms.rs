use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use md5::Digest;

use super::attachments::{StoredFile, keep_whole};
use super::sql::{Row, Sql};
use super::{Db, Result, StoreError, audit, now};
use baraza_schema::Form;
use baraza_schema::api::{FormState, PublishedForm};

/// Parsed definitions by (form_id, version). Published forms never change, so entries never
/// go stale; the state is always read from the database.
pub(super) type FormCache = Mutex<HashMap<(String, String), Arc<Form>>>;

/// A published form by (id, version), from the cache or read inside the caller's transaction.
pub(super) fn form_in_tx(
    cache: &FormCache,
    c: Sql<'_>,
    form_id: &str,
    version: &str,
) -> Result<Option<Arc<Form>>> {
    let key = (form_id.to_owned(), version.to_owned());
    if let Some(f) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(Some(f.clone()));
    }
    let def: Option<String> = c.query_opt(
        "SELECT definition FROM forms WHERE form_id = ?1 AND version = ?2",
        &[&form_id, &version],
        |r| r.get(0),
    )?;
    let Some(def) = def else { return Ok(None) };
    let form: Form = serde_json::from_str(&def).map_err(|e| {
        StoreError::Invalid(format!(
            "stored form {form_id}@{version} does not parse: {e}"
        ))
    })?;
    let form = Arc::new(form);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, form.clone());
    Ok(Some(form))
}

fn file_row(r: &Row<'_>) -> Result<StoredFile> {
    Ok(StoredFile {
        name: r.get(0)?,
        sha256: r.get(1)?,
        size: r.get::<i64>(2)? as u64,
        content_type: r.get(3)?,
    })
}

fn form_row(r: &Row<'_>) -> Result<PublishedForm> {
    Ok(PublishedForm {
        form_id: r.get(0)?,
        version: r.get(1)?,
        sha256: r.get(2)?,
        title: r.get(3)?,
        state: FormState::parse(&r.get::<String>(4)?).unwrap_or(FormState::Closed),
        published_at: r.get(5)?,
    })
}

fn manifest_entry(c: Sql<'_>, form_id: &str, version: &str) -> Result<Option<PublishedForm>> {
    c.query_opt(
        "SELECT form_id, version, sha256, title, state, published_at FROM forms WHERE form_id = ?1 AND version = ?2",
        &[&form_id, &version],
        form_row,
    )
}

/// Published form versions and their states.
pub trait FormStore {
    /// Publishes a form. Publishing the same definition again is a no-op (returns `false`);
    /// a different definition under a published `(form_id, version)` is refused: versions are
    /// immutable.
    ///
    /// A form whose settings give no version gets the first 12 hex digits of its sha256, so
    /// the same workbook always lands on the same version.
    ///
    /// `files` are the bytes of the files the form lists (`Form::files`, by name), each
    /// checked against its sha256 and kept with the form, in the same transaction.
    fn publish_form(
        &self,
        form: &Form,
        files: &[(String, Vec<u8>)],
        by: Option<i64>,
    ) -> Result<(PublishedForm, bool)>;

    /// The files a form version carries, by name, with their md5 (OpenRosa's manifest).
    fn form_files(&self, form_id: &str, version: &str) -> Result<Vec<(StoredFile, String)>>;

    /// One file of a form version, if it carries one of that name.
    fn form_file(&self, form_id: &str, version: &str, name: &str) -> Result<Option<StoredFile>>;

    fn forms(&self) -> Result<Vec<PublishedForm>>;

    /// The canonical JSON of one definition, with its manifest entry.
    fn form_definition(&self, form_id: &str, version: &str) -> Result<(PublishedForm, String)>;

    /// The parsed form and its current state, for validation.
    fn form_for_validation(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<(Arc<Form>, FormState)>>;

    /// Sets a form version's state: open, closing (still accepted, no longer offered for new
    /// interviews) or closed (what arrives is quarantined). An admin may reopen a version, as
    /// in ODK Central: phones are offered it again at their next pull; what was quarantined
    /// while it was closed stays there for a supervisor to release.
    fn set_form_state(
        &self,
        form_id: &str,
        version: &str,
        state: FormState,
        by: Option<i64>,
    ) -> Result<PublishedForm>;
}

impl FormStore for Db {
    fn publish_form(
        &self,
        form: &Form,
        files: &[(String, Vec<u8>)],
        by: Option<i64>,
    ) -> Result<(PublishedForm, bool)> {
        let mut form = form.clone();
        if form.settings.version.is_empty() {
            form.settings.version = form.sha256().trim_start_matches("sha256:")[..12].to_owned();
        }
        let form = &form;
        let (id, version) = (&form.settings.form_id, &form.settings.version);
        let sha = form.sha256();
        self.write(|tx| {
            let existing: Option<String> = tx.query_opt(
                "SELECT sha256 FROM forms WHERE form_id = ?1 AND version = ?2",
                &[id, version],
                |r| r.get(0),
            )?;
            let created = match existing {
                Some(s) if s == sha => false,
                Some(_) => {
                    return Err(StoreError::Conflict(format!(
                        "form {id:?} version {version:?} is already published with different content; give the new one a new version"
                    )));
                }
                None => {
                    // ON CONFLICT: another server may publish the same version at the same
                    // moment; then it is checked as an existing one.
                    let inserted = tx.execute(
                        "INSERT INTO forms (form_id, version, sha256, title, definition, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (form_id, version) DO NOTHING",
                        &[id, version, &sha, &form.settings.title, &form.canonical_json(), &now()],
                    )?;
                    if inserted == 0 {
                        let theirs: String = tx.query_row(
                            "SELECT sha256 FROM forms WHERE form_id = ?1 AND version = ?2",
                            &[id, version],
                            |r| r.get(0),
                        )?;
                        if theirs != sha {
                            return Err(StoreError::Conflict(format!(
                                "form {id:?} version {version:?} is already published with different content; give the new one a new version"
                            )));
                        }
                        false
                    } else {
                        // The bytes must be the files the definition names, all of them (else
                        // nothing of this publication is kept).
                        if files.len() != form.files.len() {
                            return Err(StoreError::Invalid(format!(
                                "the form carries {} file(s) and {} were uploaded",
                                form.files.len(),
                                files.len()
                            )));
                        }
                        for (name, bytes) in files {
                            let sha256 = keep_whole(tx, bytes)?;
                            if form.files.get(name) != Some(&sha256) {
                                return Err(StoreError::Invalid(format!(
                                    "{name:?} is not a file of this form as it was read"
                                )));
                            }
                            let md5 = baraza_schema::hex(&md5::Md5::digest(bytes));
                            tx.execute(
                                "INSERT INTO form_files (form_id, version, name, sha256, md5) VALUES (?1, ?2, ?3, ?4, ?5)",
                                &[id, version, name, &sha256, &md5],
                            )?;
                        }
                        audit::record(tx, by, None, "form.publish", &format!("form:{id}@{version}"), &sha)?;
                        true
                    }
                }
            };
            let entry = manifest_entry(tx, id, version)?.ok_or_else(|| StoreError::NotFound(format!("form {id}@{version}")))?;
            Ok((entry, created))
        })
    }

    fn form_files(&self, form_id: &str, version: &str) -> Result<Vec<(StoredFile, String)>> {
        self.read(|c| {
            c.query_map(
                "SELECT f.name, f.sha256, a.size, a.content_type, f.md5 FROM form_files f
                 JOIN attachments a ON a.sha256 = f.sha256
                 WHERE f.form_id = ?1 AND f.version = ?2 ORDER BY f.name",
                &[&form_id, &version],
                |r| Ok((file_row(r)?, r.get(4)?)),
            )
        })
    }

    fn form_file(&self, form_id: &str, version: &str, name: &str) -> Result<Option<StoredFile>> {
        self.read(|c| {
            c.query_opt(
                "SELECT f.name, f.sha256, a.size, a.content_type FROM form_files f
                 JOIN attachments a ON a.sha256 = f.sha256
                 WHERE f.form_id = ?1 AND f.version = ?2 AND f.name = ?3",
                &[&form_id, &version, &name],
                file_row,
            )
        })
    }

    fn forms(&self) -> Result<Vec<PublishedForm>> {
        self.read(|c| {
            c.query_map(
                "SELECT form_id, version, sha256, title, state, published_at FROM forms ORDER BY form_id, published_at, version",
                &[],
                form_row,
            )
        })
    }

    fn form_definition(&self, form_id: &str, version: &str) -> Result<(PublishedForm, String)> {
        self.read(|c| {
            let def: Option<String> = c.query_opt(
                "SELECT definition FROM forms WHERE form_id = ?1 AND version = ?2",
                &[&form_id, &version],
                |r| r.get(0),
            )?;
            let entry = manifest_entry(c, form_id, version)?;
            match (entry, def) {
                (Some(e), Some(d)) => Ok((e, d)),
                _ => Err(StoreError::NotFound(format!("form {form_id}@{version}"))),
            }
        })
    }

    fn form_for_validation(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<(Arc<Form>, FormState)>> {
        self.read(|c| {
            let state: Option<String> = c.query_opt(
                "SELECT state FROM forms WHERE form_id = ?1 AND version = ?2",
                &[&form_id, &version],
                |r| r.get(0),
            )?;
            let Some(state) = state else { return Ok(None) };
            let form = form_in_tx(&self.forms, c, form_id, version)?;
            Ok(form.map(|f| (f, FormState::parse(&state).unwrap_or(FormState::Closed))))
        })
    }

    fn set_form_state(
        &self,
        form_id: &str,
        version: &str,
        state: FormState,
        by: Option<i64>,
    ) -> Result<PublishedForm> {
        self.write(|tx| {
            manifest_entry(tx, form_id, version)?
                .ok_or_else(|| StoreError::NotFound(format!("form {form_id}@{version}")))?;
            tx.execute(
                "UPDATE forms SET state = ?3 WHERE form_id = ?1 AND version = ?2",
                &[&form_id, &version, &state.as_str()],
            )?;
            audit::record(
                tx,
                by,
                None,
                "form.state",
                &format!("form:{form_id}@{version}"),
                state.as_str(),
            )?;
            manifest_entry(tx, form_id, version)?
                .ok_or_else(|| StoreError::NotFound(format!("form {form_id}@{version}")))
        })
    }
}
