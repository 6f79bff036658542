//! OpenRosa (ODK Collect, ODK Web Forms): the XForms served to ODK clients, and the XML
//! instances they submit, which enter the same verdict and the same transaction as a push
//! (DESIGN.md, Sync): one recorded answer per (device, sequence), the answer only after the
//! commit, quarantine rather than refusal, nothing overwritten.

use std::sync::atomic::Ordering;

use baraza_schema::Date;
use baraza_schema::api::FormState;
use baraza_schema::attachment::Attachment;
use baraza_schema::wire::{self, ItemStatus, PushItem};

use super::attachments::Incoming;
use super::forms::FormStore;
use super::sync::{advance_ack, apply_item, lock_device};
use super::{Db, Device, PublishedForm, Result, StoreError, audit, now};

/// A submission read from its XML (`openrosa::instance`), ready to store.
#[derive(Debug, Clone)]
pub struct Submission {
    pub form_id: String,
    pub version: String,
    /// `meta/instanceID` as sent (`uuid:…`).
    pub instance_id: String,
    pub deprecated_id: Option<String>,
    /// The answers as Baraza's payload (JSON text).
    pub payload: String,
    /// The XML instance exactly as it came.
    pub xml: String,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub status: ItemStatus,
    /// Why it was quarantined, in words: the first rule the answers break, or the code.
    pub reason: Option<String>,
}

/// The response id an instance id gives: the UUID of `uuid:…` (what Baraza's own client uses),
/// or for another shape of id, a stable digest of it.
pub fn response_id_for(instance_id: &str) -> String {
    let id = instance_id.strip_prefix("uuid:").unwrap_or(instance_id);
    if (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        id.to_owned()
    } else {
        let hash = wire::content_hash(instance_id.as_bytes());
        format!("or-{}", &hash["sha256:".len()..][..32])
    }
}

pub trait OpenRosaStore {
    /// A published version's XForm: generated from the definition at its first request and
    /// kept, so its bytes (and MD5) stay the same whatever later versions of Baraza write.
    fn xform(&self, form_id: &str, version: &str) -> Result<String>;

    /// What `formList` offers: the newest open version of each form, with its XForm.
    fn openrosa_forms(&self) -> Result<Vec<(PublishedForm, String)>>;

    /// Stores a submission from `device`: a resend of the same instance is a duplicate; an
    /// edit (`deprecated_id`) is a new revision of the response it edits; other bytes for an
    /// instance already held are a sibling revision (a conflict). The device's next sequence
    /// number is taken inside the transaction.
    fn openrosa_submit(&self, device: &Device, sub: &Submission, today: Date) -> Result<Submitted>;

    /// Keeps a file an ODK client sent beside an instance (each post of a split upload brings
    /// some of them) in the attachment store, noted against the instance.
    fn openrosa_file(&self, device: &Device, instance_id: &str, file: Incoming<'_>) -> Result<()>;

    /// Every file received for an instance so far, whichever post brought it.
    fn openrosa_files(&self, instance_id: &str) -> Result<Vec<Attachment>>;
}

impl OpenRosaStore for Db {
    fn xform(&self, form_id: &str, version: &str) -> Result<String> {
        let stored: Option<Option<String>> = self.read(|c| {
            c.query_opt(
                "SELECT xform FROM forms WHERE form_id = ?1 AND version = ?2",
                &[&form_id, &version],
                |r| r.get(0),
            )
        })?;
        match stored {
            None => Err(StoreError::NotFound(format!("form {form_id}@{version}"))),
            Some(Some(xform)) => Ok(xform),
            Some(None) => {
                let (form, _) = self
                    .form_for_validation(form_id, version)?
                    .ok_or_else(|| StoreError::NotFound(format!("form {form_id}@{version}")))?;
                let generated = crate::openrosa::xform::xform(&form);
                self.write(|tx| {
                    tx.execute(
                        "UPDATE forms SET xform = ?3 WHERE form_id = ?1 AND version = ?2 AND xform IS NULL",
                        &[&form_id, &version, &generated],
                    )?;
                    tx.query_row(
                        "SELECT xform FROM forms WHERE form_id = ?1 AND version = ?2",
                        &[&form_id, &version],
                        |r| r.get::<String>(0),
                    )
                })
            }
        }
    }

    fn openrosa_forms(&self) -> Result<Vec<(PublishedForm, String)>> {
        let mut newest: Vec<PublishedForm> = Vec::new();
        // `forms()` lists each form's versions oldest first.
        for f in self.forms()? {
            if f.state != FormState::Open {
                continue;
            }
            match newest.last_mut() {
                Some(last) if last.form_id == f.form_id => *last = f,
                _ => newest.push(f),
            }
        }
        newest
            .into_iter()
            .map(|f| {
                let xform = self.xform(&f.form_id, &f.version)?;
                Ok((f, xform))
            })
            .collect()
    }

    fn openrosa_file(&self, device: &Device, instance_id: &str, file: Incoming<'_>) -> Result<()> {
        self.write(|tx| {
            super::attachments::keep_read(tx, &file.sha256, file.size, file.bytes)?;
            // The same name sent again in a later post: the later bytes are the instance's
            // (both are kept, by their content).
            tx.execute(
                "INSERT INTO openrosa_files (instance_id, name, sha256, size, device_id, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (instance_id, name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, received_at = excluded.received_at",
                &[&instance_id, &file.name, &file.sha256, &(file.size as i64), &device.id, &now()],
            )?;
            Ok(())
        })
    }

    fn openrosa_files(&self, instance_id: &str) -> Result<Vec<Attachment>> {
        self.read(|c| {
            c.query_map(
                "SELECT name, sha256, size FROM openrosa_files WHERE instance_id = ?1 ORDER BY name",
                &[&instance_id],
                |r| {
                    Ok(Attachment {
                        name: r.get(0)?,
                        sha256: r.get(1)?,
                        size: r.get::<Option<i64>>(2)?.map(|n| n as u64),
                    })
                },
            )
        })
    }

    fn openrosa_submit(&self, device: &Device, sub: &Submission, today: Date) -> Result<Submitted> {
        // Which response this instance belongs to, and what it builds on.
        let (response_id, parent_rev) = self.read(|c| {
            let again: Option<(String, Option<String>)> = c
                .query_opt(
                    "SELECT response_id, parent_rev FROM openrosa_instances WHERE instance_id = ?1 ORDER BY received_at, rev LIMIT 1", &[&sub.instance_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
            if let Some(found) = again {
                return Ok(found);
            }
            if let Some(edited) = &sub.deprecated_id {
                let found: Option<(String, String)> = c
                    .query_opt(
                        "SELECT response_id, rev FROM openrosa_instances WHERE instance_id = ?1 ORDER BY received_at DESC, rev DESC LIMIT 1", &[&edited],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                if let Some((response_id, rev)) = found {
                    return Ok((response_id, Some(rev)));
                }
            }
            Ok((response_id_for(&sub.instance_id), None))
        })?;
        let bytes = sub.payload.as_bytes();
        let rev = wire::rev(parent_rev.as_deref(), &sub.form_id, &sub.version, bytes);
        let mut item = PushItem {
            device_seq: 0,
            response_id: response_id.clone(),
            rev: rev.clone(),
            parent_rev: parent_rev.clone(),
            form_id: sub.form_id.clone(),
            form_version: sub.version.clone(),
            content_hash: wire::content_hash(bytes),
            payload: sub.payload.clone(),
            saved_at: None,
        };
        let verdict = self.verdict(&item, today)?;
        let received_at = now();
        let submitted = self.write(|tx| {
            // The device's next number and the instance's novelty are decided one submission
            // at a time per device, whichever server takes it.
            lock_device(tx, &device.id)?;
            let held: Option<String> = tx
                .query_opt(
                    "SELECT status FROM openrosa_instances WHERE instance_id = ?1 AND rev = ?2",
                    &[&sub.instance_id, &rev],
                    |r| r.get(0),
                )?;
            if held.is_some() {
                return Ok(Submitted {
                    status: ItemStatus::Duplicate,
                    reason: None,
                });
            }
            let seq: i64 = tx.query_row(
                "SELECT COALESCE(MAX(device_seq), 0) + 1 FROM device_items WHERE device_id = ?1", &[&device.id],
                |r| r.get(0),
            )?;
            item.device_seq = seq as u64;
            let result = apply_item(tx, device, &item, &verdict, &received_at)?;
            advance_ack(tx, &device.id)?;
            let status = match result.status {
                ItemStatus::Stored => "stored",
                ItemStatus::Duplicate => "duplicate",
                ItemStatus::Conflict => "conflict",
                ItemStatus::Quarantined => "quarantined",
                ItemStatus::Retry => "retry",
            };
            tx.execute(
                "INSERT INTO openrosa_instances (instance_id, rev, response_id, parent_rev, device_id, status, xml, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                &[&sub.instance_id, &rev, &response_id, &parent_rev, &device.id, &status, &sub.xml, &received_at],
            )?;
            audit::record(
                tx,
                None,
                Some(&device.id),
                "openrosa.submission",
                &format!("response:{response_id}"),
                &format!("{} ({status})", sub.instance_id),
            )?;
            let reason = result.code.map(|code| {
                result
                    .issues
                    .first()
                    .map_or_else(|| code.as_str().to_owned(), |i| format!("{}: {}", i.path, i.message))
            });
            Ok(Submitted {
                status: result.status,
                reason,
            })
        })?;
        // The background projector yields to submissions as it does to pushes.
        self.pushes.fetch_add(1, Ordering::Relaxed);
        Ok(submitted)
    }
}
