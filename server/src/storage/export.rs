//! Reading every stored head of a form for the raw export, on a connection of its own: one
//! read transaction, so all passes of one export see the same snapshot (WAL readers never
//! block the writer), and the server's connection stays free while a large export streams.

use rusqlite::{Connection, OpenFlags};

use super::sql::{Param, Sql};
use super::{Backend, Caller, Db, Result, ReviewState, Role};

/// One response's head as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub response_id: String,
    pub rev: String,
    pub form_version: String,
    pub settlement: Option<String>,
    pub review_state: ReviewState,
    pub received_at: String,
    pub payload: String,
}

/// What the export callback receives: the start of each pass, then that pass's rows.
#[derive(Debug)]
pub enum ExportEvent {
    Pass(usize),
    Row(ExportRow),
    /// After the passes, when files were asked for: a file a head's answers name that is
    /// here whole.
    File {
        response_id: String,
        name: String,
        sha256: String,
    },
}

impl Db {
    /// The benchmark's bulk path for the export: adds `copies` copies of every stored head of
    /// `form_id` as new responses (ids `copy<k>-<id>`), in one statement per table. Report
    /// aggregates are not touched (the benchmark builds those with `bulk_aggregate`): the
    /// copies are recorded as projected, so that no fold counts them during the export.
    /// Returns the number of responses added.
    #[cfg(feature = "test-hooks")]
    pub fn copy_heads_for_benchmark(&self, form_id: &str, copies: u64) -> Result<u64> {
        self.write(|tx| {
            let before: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM revisions",
                &[],
                |r| r.get(0),
            )?;
            let added = tx.execute(
                "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?2)
                 INSERT INTO revisions (response_id, rev, rev_n, form_id, form_version, content_hash,
                                        payload, settlement, device_id, device_seq, saved_at, received_at)
                 SELECT 'copy' || k.i || '-' || v.response_id, v.rev, v.rev_n, v.form_id, v.form_version,
                        v.content_hash, v.payload, v.settlement, v.device_id, NULL, v.saved_at, v.received_at
                 FROM k, responses r JOIN revisions v ON v.seq = r.head_seq
                 WHERE r.form_id = ?1",
                &[&form_id, &(copies as i64)],
            )?;
            tx.execute(
                "INSERT INTO responses (response_id, form_id, form_version, head_rev, head_seq, settlement, updated_at,
                                        projected_seq, projected_state)
                 SELECT response_id, form_id, form_version, rev, seq, settlement, received_at, seq, 'received'
                 FROM revisions WHERE seq > ?1",
                &[&before],
            )?;
            Ok(added as u64)
        })
    }
}

/// The raw export's reader.
pub trait ExportStore {
    /// Calls `each` for `passes` passes over the heads of `form_id` that `caller` may see
    /// (supervisors: their settlements), ordered by response id, then with `files` for each
    /// file those heads name that is here whole, all in one snapshot. Returns how many heads
    /// one pass read.
    fn export_heads(
        &self,
        caller: &Caller,
        form_id: &str,
        settlement: Option<&str>,
        passes: usize,
        files: bool,
        each: &mut dyn FnMut(ExportEvent) -> Result<()>,
    ) -> Result<u64>;
}

impl ExportStore for Db {
    fn export_heads(
        &self,
        caller: &Caller,
        form_id: &str,
        settlement: Option<&str>,
        passes: usize,
        files: bool,
        each: &mut dyn FnMut(ExportEvent) -> Result<()>,
    ) -> Result<u64> {
        let scoped = caller.role != Role::Admin;
        let params: [&dyn Param; 4] = [&form_id, &settlement, &scoped, &caller.user_id];
        let mut passes_over = |c: Sql<'_>| {
            let mut count = 0;
            for pass in 0..passes {
                each(ExportEvent::Pass(pass))?;
                let mut n = 0;
                c.stream(
                    "SELECT r.response_id, r.head_rev, r.form_version, r.settlement, r.review_state, v.received_at, v.payload
                     FROM responses r JOIN revisions v ON v.seq = r.head_seq
                     WHERE r.form_id = ?1 AND (?2 IS NULL OR r.settlement = ?2)
                       AND (?3 = 0 OR r.settlement IN (SELECT settlement FROM supervisor_settlements WHERE user_id = ?4))
                     ORDER BY r.response_id",
                    &params,
                    |r| {
                        n += 1;
                        each(ExportEvent::Row(ExportRow {
                            response_id: r.get(0)?,
                            rev: r.get(1)?,
                            form_version: r.get(2)?,
                            settlement: r.get(3)?,
                            review_state: super::review::review_state(r, 4)?,
                            received_at: r.get(5)?,
                            payload: r.get(6)?,
                        }))
                    },
                )?;
                count = n;
            }
            if files {
                c.stream(
                    "SELECT r.response_id, a.name, a.sha256
                     FROM responses r JOIN revision_attachments a ON a.seq = r.head_seq
                     JOIN attachments w ON w.sha256 = a.sha256
                     WHERE r.form_id = ?1 AND (?2 IS NULL OR r.settlement = ?2)
                       AND (?3 = 0 OR r.settlement IN (SELECT settlement FROM supervisor_settlements WHERE user_id = ?4))
                     ORDER BY r.response_id, a.name",
                    &params,
                    |r| {
                        each(ExportEvent::File {
                            response_id: r.get(0)?,
                            name: r.get(1)?,
                            sha256: r.get(2)?,
                        })
                    },
                )?;
            }
            Ok(count)
        };
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let mut conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                let tx = conn.transaction()?;
                passes_over(Sql::Lite(&tx))
            }
            Backend::Postgres(pool) => pool.read(passes_over),
        }
    }
}
