use baraza_schema::api::AuditEntry;
use rusqlite::{Connection, params};

use super::{Db, Result, now};

/// Records a mutation inside the caller's transaction, so the log and the change commit
/// together or not at all.
pub(super) fn record(
    c: &Connection,
    user_id: Option<i64>,
    device_id: Option<&str>,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<()> {
    c.prepare_cached("INSERT INTO audit (at, user_id, device_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(
        params![now(), user_id, device_id, action, target, detail],
    )?;
    Ok(())
}

/// The audit log.
pub trait AuditStore {
    /// Who exported raw responses of which form.
    fn record_export(&self, by: &super::Caller, form_id: &str) -> Result<()>;

    /// The newest entries first, at most `limit`, older than `before` when given.
    fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditEntry>>;
}

impl AuditStore for Db {
    fn record_export(&self, by: &super::Caller, form_id: &str) -> Result<()> {
        self.write(|tx| {
            record(
                tx,
                Some(by.user_id),
                None,
                "export.raw",
                &format!("form:{form_id}"),
                &format!("raw export as {}", by.role.as_str()),
            )
        })
    }

    fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, at, user_id, device_id, action, target, detail FROM audit
                 WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = st.query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    user_id: r.get(2)?,
                    device_id: r.get(3)?,
                    action: r.get(4)?,
                    target: r.get(5)?,
                    detail: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }
}
