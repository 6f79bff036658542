//! Answer attachments (`schema::attachment`): each revision's files, written with it; the
//! bytes, kept once per content in the database (so a backup, a restore and `baraza migrate`
//! carry them, and every server of a PostgreSQL deployment sees them), received resumably
//! in parts and whole only once their sha256 is checked.

use std::io::Read;

use baraza_schema::api::AttachmentView;
use baraza_schema::attachment::Attachment;
use sha2::{Digest, Sha256};

use super::review::scope_of;
use super::sql::{Sql, named};
use super::{Caller, Db, Result, StoreError, now};

/// The largest part kept in one row: a longer upload is cut into parts this size.
pub const PART_BYTES: usize = 1 << 20;

/// A whole file that came in one piece (an ODK client's submission part), as its receiver
/// spooled it: the sha256 and size it measured on the way, and the bytes to read once.
pub struct Incoming<'a> {
    /// What the answers name it by.
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub bytes: &'a mut dyn Read,
}

/// Where the upload of one content stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The file's size, as the revisions that name it give it.
    pub size: u64,
    /// How many of its bytes are held.
    pub offset: u64,
    /// Whole and checked.
    pub complete: bool,
    /// In a backup: the phone may delete its copy.
    pub backed_up: bool,
    /// The files of a revision that names it, in bytes all together (the smallest such
    /// total: the per-interview limit is checked against it).
    pub interview_bytes: u64,
}

/// What appending a part did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Held up to here; more to come.
    Partial(u64),
    /// The last byte arrived and the sha256 is right: the file is whole.
    Complete,
    /// The last byte arrived and the bytes are not the file named: every part was dropped,
    /// the upload starts again from 0.
    Mismatch { got: String },
}

/// A file as served: what the bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    /// Read from the bytes, never from the name.
    pub content_type: String,
}

pub trait AttachmentStore {
    /// Where the upload of the file of this sha256 stands; `None` when no stored revision
    /// names it (a device sends a file only after its revision is acknowledged).
    fn upload(&self, sha256: &str) -> Result<Option<Upload>>;

    /// Appends `bytes` at `start`, which must be what is held (else `Conflict`), in one
    /// transaction; the part that brings the file to its size checks its sha256 in the same
    /// transaction.
    fn append(&self, sha256: &str, start: u64, bytes: &[u8]) -> Result<Appended>;

    /// A file of a response, named as its answers name it, for a caller allowed to see the
    /// response (else `NotFound`); `None` for a file named but not (yet) whole here.
    fn attachment(
        &self,
        caller: &Caller,
        response_id: &str,
        name: &str,
    ) -> Result<Option<StoredFile>>;

    /// Reads a whole file's parts in order, each handed to `each`, which returns whether to
    /// go on.
    fn read_file(&self, sha256: &str, each: &mut dyn FnMut(Vec<u8>) -> bool) -> Result<()>;

    /// Keeps the whole file of this sha256 that `bytes` reads (a phone's export carries its
    /// files), if a stored revision names it: false when none does. Bytes that are not that
    /// file are an error and nothing of them is kept.
    fn keep(&self, sha256: &str, bytes: &mut dyn Read) -> Result<bool>;
}

/// Records a new revision's files (in the revision's transaction).
pub(super) fn record(tx: Sql<'_>, seq: i64, files: &[Attachment]) -> Result<()> {
    for a in files {
        tx.execute(
            "INSERT INTO revision_attachments (seq, name, sha256, size) VALUES (?1, ?2, ?3, ?4)",
            &[&seq, &a.name, &a.sha256, &a.size.map(|n| n as i64)],
        )?;
    }
    Ok(())
}

/// A revision's files, each with whether it is whole here: what the review shows.
pub(super) fn of_revision(c: Sql<'_>, seq: i64) -> Result<Vec<AttachmentView>> {
    c.query_map(
        "SELECT r.name, r.sha256, r.size, a.content_type FROM revision_attachments r
         LEFT JOIN attachments a ON a.sha256 = r.sha256 WHERE r.seq = ?1 ORDER BY r.name",
        &[&seq],
        |r| {
            let content_type: Option<String> = r.get(3)?;
            Ok(AttachmentView {
                name: r.get(0)?,
                sha256: r.get(1)?,
                size: r.get::<Option<i64>>(2)?.map(|n| n as u64),
                received: content_type.is_some(),
                content_type,
            })
        },
    )
}

/// How many bytes of this content are held.
fn held(tx: Sql<'_>, sha256: &str) -> Result<u64> {
    let n: i64 = tx.query_row(
        "SELECT COALESCE(MAX(start + LENGTH(bytes)), 0) FROM attachment_parts WHERE sha256 = ?1",
        &[&sha256],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// What the bytes are, by their first bytes (magic numbers), never by a name.
fn sniff(first: &[u8]) -> String {
    infer::get(first)
        .map_or("application/octet-stream", |t| t.mime_type())
        .to_owned()
}

/// Checks the held parts against the sha256 they should have; marks the file whole, or drops
/// every part.
fn finish(tx: Sql<'_>, sha256: &str, size: u64) -> Result<Appended> {
    let mut h = Sha256::new();
    let mut first: Option<Vec<u8>> = None;
    tx.stream(
        "SELECT bytes FROM attachment_parts WHERE sha256 = ?1 ORDER BY start",
        &[&sha256],
        |r| {
            let bytes: Vec<u8> = r.get(0)?;
            h.update(&bytes);
            first.get_or_insert(bytes);
            Ok(())
        },
    )?;
    let got = baraza_schema::hex(&h.finalize());
    if got != sha256 {
        tx.execute("DELETE FROM attachment_parts WHERE sha256 = ?1", &[&sha256])?;
        return Ok(Appended::Mismatch { got });
    }
    let content_type = sniff(first.as_deref().unwrap_or_default());
    tx.execute(
        "INSERT INTO attachments (sha256, size, content_type, received_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (sha256) DO NOTHING",
        &[&sha256, &(size as i64), &content_type, &now()],
    )?;
    Ok(Appended::Complete)
}

/// Keeps a whole file that came in one piece (in the caller's transaction), once per content;
/// its sha256.
pub(super) fn keep_whole(tx: Sql<'_>, bytes: &[u8]) -> Result<String> {
    let sha256 = baraza_schema::hex(&Sha256::digest(bytes));
    keep_read(tx, &sha256, bytes.len() as u64, &mut &bytes[..])?;
    Ok(sha256)
}

/// Keeps the file `bytes` reads, `size` bytes of sha256 `sha256` (in the caller's
/// transaction), once per content, a part at a time: a file larger than memory is fine. The
/// bytes are hashed again as they are kept; bytes that are not the file named are an error
/// and, the transaction rolled back, nothing of them is kept.
pub(super) fn keep_read(tx: Sql<'_>, sha256: &str, size: u64, bytes: &mut dyn Read) -> Result<()> {
    let whole: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = ?1)",
        &[&sha256],
        |r| r.get(0),
    )?;
    if whole {
        return Ok(());
    }
    tx.execute("DELETE FROM attachment_parts WHERE sha256 = ?1", &[&sha256])?;
    let mut h = Sha256::new();
    let mut content_type = None;
    let mut at = 0u64;
    let mut part = Vec::with_capacity(PART_BYTES.min(size as usize));
    loop {
        part.clear();
        (&mut *bytes)
            .take(PART_BYTES as u64)
            .read_to_end(&mut part)?;
        if part.is_empty() {
            break;
        }
        h.update(&part);
        content_type.get_or_insert_with(|| sniff(&part));
        tx.execute(
            "INSERT INTO attachment_parts (sha256, start, bytes) VALUES (?1, ?2, ?3)",
            &[&sha256, &(at as i64), &part.as_slice()],
        )?;
        at += part.len() as u64;
    }
    let got = baraza_schema::hex(&h.finalize());
    if got != sha256 || at != size {
        return Err(StoreError::Invalid(format!(
            "the file kept is {at} bytes of sha256 {got}, not the {size} bytes of sha256 {sha256} received"
        )));
    }
    tx.execute(
        "INSERT INTO attachments (sha256, size, content_type, received_at) VALUES (?1, ?2, ?3, ?4)",
        &[
            &sha256,
            &(size as i64),
            &content_type.unwrap_or_else(|| sniff(&[])),
            &now(),
        ],
    )?;
    Ok(())
}

impl AttachmentStore for Db {
    fn upload(&self, sha256: &str) -> Result<Option<Upload>> {
        self.read(|c| {
            let (size, interview): (Option<i64>, Option<i64>) = c.query_row(
                "SELECT MIN(r.size), MIN((SELECT CAST(SUM(o.size) AS BIGINT) FROM revision_attachments o WHERE o.seq = r.seq))
                 FROM revision_attachments r WHERE r.sha256 = ?1",
                &[&sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let (Some(size), Some(interview)) = (size, interview) else {
                return Ok(None);
            };
            let whole: Option<bool> = c.query_opt(
                "SELECT backed_up FROM attachments WHERE sha256 = ?1",
                &[&sha256],
                |r| r.get(0),
            )?;
            let complete = whole.is_some();
            let offset = if complete { size as u64 } else { held(c, sha256)? };
            Ok(Some(Upload {
                size: size as u64,
                offset,
                complete,
                backed_up: whole == Some(true),
                interview_bytes: interview as u64,
            }))
        })
    }

    fn append(&self, sha256: &str, start: u64, bytes: &[u8]) -> Result<Appended> {
        let Some(upload) = self.upload(sha256)? else {
            return Err(StoreError::NotFound(format!(
                "no interview names a file of sha256 {sha256}"
            )));
        };
        if upload.complete {
            return Ok(Appended::Complete);
        }
        let end = start + bytes.len() as u64;
        if end > upload.size {
            return Err(StoreError::Invalid(format!(
                "the file is {} bytes; these bytes would end at {end}",
                upload.size
            )));
        }
        self.write(|tx| {
            let at = held(tx, sha256)?;
            if at != start {
                return Err(StoreError::Conflict(format!(
                    "{at} bytes of this file are held; send from there, not from {start}"
                )));
            }
            if !bytes.is_empty() {
                tx.execute(
                    "INSERT INTO attachment_parts (sha256, start, bytes) VALUES (?1, ?2, ?3)",
                    &[&sha256, &(start as i64), &bytes],
                )?;
            }
            if end == upload.size {
                finish(tx, sha256, upload.size)
            } else {
                Ok(Appended::Partial(end))
            }
        })
    }

    fn attachment(
        &self,
        caller: &Caller,
        response_id: &str,
        name: &str,
    ) -> Result<Option<StoredFile>> {
        // The caller's scope is the review's: a response they cannot see has no files.
        let sql = format!(
            "SELECT r.sha256, a.size, a.content_type FROM revision_attachments r
             JOIN revisions v ON v.seq = r.seq
             JOIN responses s ON s.response_id = v.response_id
             JOIN attachments a ON a.sha256 = r.sha256
             WHERE v.response_id = :id AND r.name = :name AND {}
             ORDER BY v.seq DESC LIMIT 1",
            scope_of(caller, "s.settlement")
        );
        let (sql, params) = named(
            &sql,
            &[
                (":id", &response_id),
                (":name", &name),
                (":caller", &caller.user_id),
            ],
        );
        self.read(|c| {
            c.query_opt(&sql, &params, |r| {
                Ok(StoredFile {
                    name: name.to_owned(),
                    sha256: r.get(0)?,
                    size: r.get::<i64>(1)? as u64,
                    content_type: r.get(2)?,
                })
            })
        })
    }

    fn keep(&self, sha256: &str, bytes: &mut dyn Read) -> Result<bool> {
        let Some(upload) = self.upload(sha256)? else {
            return Ok(false);
        };
        if !upload.complete {
            self.write(|tx| keep_read(tx, sha256, upload.size, bytes))?;
        }
        Ok(true)
    }

    fn read_file(&self, sha256: &str, each: &mut dyn FnMut(Vec<u8>) -> bool) -> Result<()> {
        // Part by part, so a large video is never in memory whole.
        let mut start = 0i64;
        loop {
            let part: Option<Vec<u8>> = self.read(|c| {
                c.query_opt(
                    "SELECT bytes FROM attachment_parts WHERE sha256 = ?1 AND start = ?2",
                    &[&sha256, &start],
                    |r| r.get(0),
                )
            })?;
            let Some(bytes) = part.filter(|b| !b.is_empty()) else {
                return Ok(());
            };
            start += bytes.len() as i64;
            if !each(bytes) {
                return Ok(());
            }
        }
    }
}
