use super::sql::{Sql, named};
use super::{Db, Result, now};
use baraza_schema::api::{AuditEntry, AuditQuery};

/// Records a mutation inside the caller's transaction, so the log and the change commit
/// together or not at all.
pub(super) fn record(
    c: Sql<'_>,
    user_id: Option<i64>,
    device_id: Option<&str>,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<()> {
    debug_assert!(
        baraza_schema::api::AUDIT_ACTIONS.contains(&action),
        "{action} is not in AUDIT_ACTIONS: the console would show it without words"
    );
    c.execute(
        "INSERT INTO audit (at, user_id, device_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[&now(), &user_id, &device_id, &action, &target, &detail],
    )?;
    Ok(())
}

/// The audit log.
pub trait AuditStore {
    /// Who exported raw responses of which form.
    fn record_export(&self, by: &super::Caller, form_id: &str) -> Result<()>;

    /// The newest entries first, at most `limit`, older than `q.before` when given, and only
    /// those matching every filter of `q` that is given.
    fn audit_log(&self, q: &AuditQuery, limit: u32) -> Result<Vec<AuditEntry>>;
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

    fn audit_log(&self, q: &AuditQuery, limit: u32) -> Result<Vec<AuditEntry>> {
        let blank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let (actor, action, object, from, to) = (
            blank(&q.actor),
            blank(&q.action),
            blank(&q.object),
            blank(&q.from),
            blank(&q.to),
        );
        let before = q.before.unwrap_or(i64::MAX);
        self.read(|c| {
            c.plan_each_call()?;
            // SQLite's `instr` is PostgreSQL's `strpos`.
            let contains = c.pick("instr(a.target, :object)", "strpos(a.target, :object)");
            let (sql, p) = named(
                &format!(
                    "SELECT a.id, a.at, a.user_id, u.username, a.device_id, a.action, a.target, a.detail
                     FROM audit a LEFT JOIN users u ON u.id = a.user_id
                     WHERE a.id < :before
                       AND (:actor IS NULL OR u.username = :actor)
                       AND (:action IS NULL OR substr(a.action, 1, length(:action)) = :action)
                       AND (:object IS NULL OR {contains} > 0)
                       AND (:from IS NULL OR substr(a.at, 1, 10) >= :from)
                       AND (:to IS NULL OR substr(a.at, 1, 10) <= :to)
                     ORDER BY a.id DESC LIMIT :limit"
                ),
                &[
                    (":before", &before),
                    (":actor", &actor),
                    (":action", &action),
                    (":object", &object),
                    (":from", &from),
                    (":to", &to),
                    (":limit", &limit),
                ],
            );
            c.query_map(&sql, &p, |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    user_id: r.get(2)?,
                    actor: r.get(3)?,
                    device_id: r.get(4)?,
                    action: r.get(5)?,
                    target: r.get(6)?,
                    detail: r.get(7)?,
                })
            })
        })
    }
}
