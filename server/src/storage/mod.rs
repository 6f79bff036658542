//! All SQL lives here, on one of two backends:
//!
//! - **SQLite** (the default): one file in WAL mode with `synchronous=FULL`, so that a commit
//!   is on disk before any caller is told "stored" (DESIGN.md, Sync guarantee 2). One
//!   connection serves all requests; writes in SQLite are serialized anyway.
//! - **PostgreSQL** (`--database postgres://…`, `pg.rs`): a pool of connections, so that
//!   several servers can share one database; every write transaction is one PostgreSQL
//!   transaction, committed before the caller is answered.
//!
//! Each statement is written once for both (`sql.rs`). Both clients are blocking: callers on
//! the async side go through `spawn_blocking`, and no connection ever crosses an `.await`.

mod aggregates;
mod attachments;
mod audit;
mod copy;
mod devices;
mod export;
mod forms;
mod openrosa;
mod pg;
mod review;
mod settlements;
mod sql;
mod sync;
mod users;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use sql::Sql;

pub use aggregates::ReportStore;
pub use attachments::{Appended, AttachmentStore, Incoming, PART_BYTES, StoredFile, Upload};
pub use audit::AuditStore;
pub use baraza_schema::api::{
    AuditEntry, Device, Enrollment, FormState, PublishedForm, PullResponse, QuarantinedItem,
    ReportQuery, ResponseDetail, ResponseFilter, ResponseSummary, ReviewState, RevisionView, Role,
    Settlement, SyncStatus, User,
};
pub use baraza_schema::wire::Correction;
pub use copy::{TableCopy, copy_database};
pub use devices::DeviceStore;
pub use export::{ExportEvent, ExportRow, ExportStore};
pub use forms::FormStore;
pub use openrosa::{
    OpenRosaStore, Submission as OpenRosaSubmission, Submitted as OpenRosaSubmitted,
};
pub use review::ReviewStore;
pub use settlements::SettlementStore;
pub use sync::{MAX_BATCH_ITEMS, SyncStore};
pub use users::{Caller, DIGEST_REALM, LoginError, PasswordError, SessionError, UserStore};

/// Everything the API and the commands ask of storage, in the Core types
/// (`baraza_schema::api`, `wire`): one trait per aggregate, so that a second backend
/// re-implements the SQL and nothing else. `Db` (SQLite) is the one implementation; the HTTP
/// layer holds a `dyn Store`. Backups, restores and opening a file are SQLite's own (`Db`).
/// A backend implements each trait, then `Store` with an empty impl.
pub trait Store:
    UserStore
    + SettlementStore
    + FormStore
    + OpenRosaStore
    + AttachmentStore
    + DeviceStore
    + SyncStore
    + ReviewStore
    + ReportStore
    + AuditStore
    + ExportStore
    + BackupStore
    + Send
    + Sync
{
}

impl Store for Db {}

/// Backups while serving: a consistent, verified copy, after which devices may release what
/// it holds. (Restores replace the database and are the command line's, server stopped.)
pub trait BackupStore {
    /// See [`Db::backup_to`].
    fn backup(&self, to: &Path, by: Option<i64>) -> Result<usize>;
    /// The backup files' extension: `db` (a SQLite file) or `pgdump` (pg_dump's custom
    /// format).
    fn backup_extension(&self) -> &'static str;
    /// Audits a scheduled backup that failed (`server.failed_backup`), so that the console
    /// shows it beside the last good one.
    fn backup_failed(&self, reason: &str) -> Result<()>;
}

impl BackupStore for Db {
    fn backup(&self, to: &Path, by: Option<i64>) -> Result<usize> {
        self.backup_to_by(to, by)
    }

    fn backup_extension(&self) -> &'static str {
        if self.is_postgres() { "pgdump" } else { "db" }
    }

    fn backup_failed(&self, reason: &str) -> Result<()> {
        self.write(|tx| audit::record(tx, None, None, "server.failed_backup", "database", reason))
    }
}

/// What a backup holds for the phones: each device's acknowledgement (its watermark moves
/// there) and the whole files not yet in a backup (a phone may delete its copies of them).
pub(crate) struct BackedUp {
    acked: Vec<(String, i64)>,
    files: Vec<String>,
}

impl BackedUp {
    /// Read in the snapshot the backup copies, or before it begins.
    fn read(c: Sql<'_>) -> Result<BackedUp> {
        Ok(BackedUp {
            acked: c.query_map("SELECT id, acked_through_seq FROM devices", &[], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?,
            files: c.query_map(
                "SELECT sha256 FROM attachments WHERE backed_up = 0",
                &[],
                |r| r.get(0),
            )?,
        })
    }
}

/// Checks a backup file: a SQLite copy with `PRAGMA integrity_check`, a PostgreSQL dump (its
/// first bytes are pg_dump's `PGDMP`) by reading its whole table of contents.
pub fn check_integrity(path: &Path) -> Result<()> {
    let mut magic = [0u8; 5];
    let read = std::io::Read::read(&mut std::fs::File::open(path)?, &mut magic)?;
    if magic[..read] == *b"PGDMP" {
        return pg::check_dump(path);
    }
    let copy = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Invalid(format!(
            "the backup {} fails its integrity check: {check}",
            path.display()
        )));
    }
    Ok(())
}

/// The storage traits, for callers of a `Store`: `use crate::storage::prelude::*`.
pub mod prelude {
    pub use super::{
        AttachmentStore, AuditStore, BackupStore, DeviceStore, ExportStore, FormStore,
        OpenRosaStore, ReportStore, ReviewStore, SettlementStore, Store, SyncStore, UserStore,
    };
}

/// Numbered migrations; `PRAGMA user_version` records how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_aggregate_periods.sql"),
    include_str!("migrations/0003_aggregate_strata_ids.sql"),
    include_str!("migrations/0004_backup_watermark.sql"),
    include_str!("migrations/0005_password_change.sql"),
    include_str!("migrations/0006_settlement_target.sql"),
    include_str!("migrations/0007_enrollment_codes.sql"),
    include_str!("migrations/0008_quarantine_dismissed.sql"),
    include_str!("migrations/0009_login_failures_per_address.sql"),
    include_str!("migrations/0010_review_events_by_response.sql"),
    include_str!("migrations/0011_openrosa.sql"),
    include_str!("migrations/0012_projected_heads.sql"),
    include_str!("migrations/0013_attachments.sql"),
    include_str!("migrations/0014_form_files.sql"),
    include_str!("migrations/0015_odk_digest.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "the database is at schema version {found}, newer than this server's {supported}; upgrade Baraza"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", pg::describe(.0))]
    Postgres(#[from] postgres::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Db {
    backend: Backend,
    forms: forms::FormCache,
    /// Counts this process's write transactions: what cached derived data is valid for.
    generation: AtomicU64,
    /// Counts the push batches and OpenRosa submissions this process has stored
    /// (`SyncStore::pushes`).
    pushes: AtomicU64,
    /// Each report's protected lattice (`aggregates`), with the data version it was built at.
    lattices: aggregates::LatticeCache,
    /// Held while this process folds changes into the aggregates (`ReportStore::project`): a report's
    /// catch-up waits for the background fold instead of racing it. It keeps the data version
    /// at which the last look found nothing to fold: until the version moves, nothing is.
    projecting: std::sync::Mutex<Option<(u64, i64)>>,
}

enum Backend {
    Sqlite {
        conn: Mutex<Connection>,
        /// The database file, for readers on their own connection (`export`, backups).
        path: std::path::PathBuf,
    },
    Postgres(pg::Pool),
}

/// Today's date (UTC).
pub fn today() -> baraza_schema::Date {
    let days = chrono::Utc::now()
        .date_naive()
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days();
    baraza_schema::Date::from_days(days)
}

/// The current time as stored: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A fresh random token (256 bits, hex).
pub fn random_token() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tokens are stored only as their sha256.
pub fn token_hash(token: &str) -> String {
    baraza_schema::wire::content_hash(token.as_bytes())
}

/// Is this a PostgreSQL connection URL (`postgres://` or `postgresql://`)?
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl Db {
    /// Opens (creating if needed) the SQLite database at `path` and brings its schema up to
    /// date.
    pub fn open(path: &Path) -> Result<Db> {
        let mut conn = Connection::open(path)?;
        // Outside any transaction: these cannot change inside one.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(128);
        migrate(&mut conn)?;
        Db::opened(Backend::Sqlite {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    /// Connects to the PostgreSQL database at `url` and brings its schema up to date (one
    /// server at a time: the others wait for its migration).
    pub fn open_postgres(url: &str) -> Result<Db> {
        let pool = pg::Pool::connect(url)?;
        pool.migrate()?;
        Db::opened(Backend::Postgres(pool))
    }

    /// A PostgreSQL database running servers use, to back it up: nothing is migrated or
    /// rebuilt; another schema version than this binary's is refused.
    pub fn open_postgres_live(url: &str) -> Result<Db> {
        let pool = pg::Pool::connect(url)?;
        let found = pool.schema_version()?;
        let supported = pg::MIGRATIONS.len() as i64;
        if found > supported {
            return Err(StoreError::TooNew { found, supported });
        }
        if found < supported {
            return Err(StoreError::Conflict(format!(
                "the database is at schema version {found} and this baraza expects {supported}; \
                 back it up with the baraza that serves it, or start this one to upgrade it first"
            )));
        }
        Ok(Db::on(Backend::Postgres(pool)))
    }

    /// A `Db` on `backend`, nothing read or written yet.
    fn on(backend: Backend) -> Db {
        Db {
            backend,
            forms: Default::default(),
            generation: AtomicU64::new(0),
            pushes: AtomicU64::new(0),
            lattices: Default::default(),
            projecting: Default::default(),
        }
    }

    fn opened(backend: Backend) -> Result<Db> {
        let db = Db::on(backend);
        // The first server to open a new database names its epoch; one opening it at the same
        // moment keeps that name.
        db.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('epoch', ?1) ON CONFLICT (key) DO NOTHING",
                &[&uuid::Uuid::new_v4().to_string()],
            )?;
            Ok(())
        })?;
        // A migration that reshaped the derived aggregates, or a change in what responses
        // contribute to them, asks for them to be rebuilt.
        db.write(|tx| {
            let contributions = baraza_schema::reports::CONTRIBUTIONS_VERSION.to_string();
            if get_meta(tx, "aggregates_stale")?.is_some()
                || get_meta(tx, "contributions")?.as_deref() != Some(&contributions)
            {
                aggregates::rebuild(tx, &db.forms)?;
                delete_meta(tx, "aggregates_stale")?;
                set_meta(tx, "contributions", &contributions)?;
            }
            Ok(())
        })?;
        Ok(db)
    }

    /// Opens a database a running server may be using, to back it up: nothing is migrated
    /// or rebuilt (that is the serving process's work). A database at another schema version
    /// than this binary's is refused, as is a missing file.
    pub fn open_live(path: &Path) -> Result<Db> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "the database {}",
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if found > supported {
            return Err(StoreError::TooNew { found, supported });
        }
        if found < supported {
            return Err(StoreError::Conflict(format!(
                "the database is at schema version {found} and this baraza expects {supported}; \
                 back it up with the baraza that serves it, or start this one (`baraza serve`) \
                 to upgrade the database first"
            )));
        }
        Ok(Db::on(Backend::Sqlite {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        }))
    }

    /// Is this database on PostgreSQL?
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    fn sqlite(&self) -> Result<(MutexGuard<'_, Connection>, &Path)> {
        match &self.backend {
            // A panic while holding the lock leaves SQLite consistent (the transaction rolls
            // back).
            Backend::Sqlite { conn, path } => Ok((
                conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
                path,
            )),
            Backend::Postgres(_) => Err(StoreError::Invalid(
                "this works on a SQLite database only; on PostgreSQL use its own tools".into(),
            )),
        }
    }

    /// Runs `f` in one transaction, committed only if `f` succeeds.
    fn write<T>(&self, mut f: impl FnMut(Sql<'_>) -> Result<T>) -> Result<T> {
        let out = match &self.backend {
            Backend::Sqlite { .. } => {
                let (mut conn, _) = self.sqlite()?;
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(Sql::Lite(&tx))?;
                tx.commit()?;
                out
            }
            Backend::Postgres(pool) => pool.write(f)?,
        };
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(out)
    }

    /// Runs `f` on one consistent snapshot.
    fn read<T>(&self, f: impl FnOnce(Sql<'_>) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { .. } => f(Sql::Lite(&self.sqlite()?.0)),
            Backend::Postgres(pool) => pool.read(f),
        }
    }

    /// Changes whenever the database is restored from a backup (see DESIGN.md, Sync).
    pub fn epoch(&self) -> Result<String> {
        self.read(|c| get_meta(c, "epoch")?.ok_or_else(|| StoreError::NotFound("epoch".into())))
    }

    pub fn schema_version(&self) -> Result<i64> {
        match &self.backend {
            Backend::Sqlite { .. } => {
                Ok(self
                    .sqlite()?
                    .0
                    .pragma_query_value(None, "user_version", |r| r.get(0))?)
            }
            Backend::Postgres(pool) => pool.schema_version(),
        }
    }

    /// Writes a consistent copy of the database to `to` with SQLite's online backup, while
    /// the server keeps serving, then records the **backup watermark**: for each device, the
    /// `acked_through_seq` it had before the copy began, which the copy therefore holds.
    /// Devices learn it from `GET /sync/status` and only then delete their own copies.
    /// Returns how many devices' watermarks moved.
    pub fn backup_to(&self, to: &Path) -> Result<usize> {
        self.backup_to_by(to, None)
    }

    /// [`Db::backup_to`], audited as done by user `by` (none: the command line). The copy is
    /// checked (`PRAGMA integrity_check`) and synced to disk, its folder too, before any
    /// watermark moves: a device never deletes what only a broken or unsynced copy holds.
    ///
    /// On PostgreSQL the copy is `pg_dump`'s, taken from a snapshot that a transaction of
    /// Baraza's exports and holds open until the dump is written and checked; the watermarks
    /// are the acknowledgements read in that same snapshot (`pg::Pool::backup_to`).
    pub fn backup_to_by(&self, to: &Path, by: Option<i64>) -> Result<usize> {
        let held = match &self.backend {
            Backend::Sqlite { path, .. } => self.copy_sqlite(path, to)?,
            Backend::Postgres(pool) => pool.backup_to(to)?,
        };
        self.write(|tx| {
            let mut moved = 0;
            for (device, seq) in &held.acked {
                moved += tx.execute(
                    "UPDATE devices SET backed_up_through_seq = ?2 WHERE id = ?1 AND backed_up_through_seq < ?2",
                    &[device, seq],
                )?;
            }
            for sha256 in &held.files {
                tx.execute(
                    "UPDATE attachments SET backed_up = 1 WHERE sha256 = ?1",
                    &[sha256],
                )?;
            }
            audit::record(
                tx,
                by,
                None,
                "server.backup",
                "database",
                &format!("to {}; watermarks of {moved} device(s) moved", to.display()),
            )?;
            Ok(moved)
        })
    }

    /// The SQLite copy behind [`Db::backup_to_by`]: what was held before the copy began,
    /// which the copy therefore holds.
    fn copy_sqlite(&self, path: &Path, to: &Path) -> Result<BackedUp> {
        let held = self.read(BackedUp::read)?;
        {
            // Read through a connection of its own: the writer's lock stays free, so pushes
            // go on while the pages are copied from one snapshot.
            let src =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            src.busy_timeout(std::time::Duration::from_secs(5))?;
            let mut dst = Connection::open(to)?;
            let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
            // All pages in one step: one read snapshot (in WAL mode writers elsewhere, the
            // running server, do not wait for it), which no write can make start over.
            use rusqlite::backup::StepResult;
            while backup.step(-1)? != StepResult::Done {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        {
            // One self-contained file (the copy inherits WAL mode from the live database).
            let copy = Connection::open(to)?;
            copy.pragma_update(None, "journal_mode", "DELETE")?;
        }
        check_integrity(to)?;
        sync_file_and_folder(to)?;
        Ok(held)
    }

    /// Replaces this database's content with a backup and gives it a **new epoch**, so that
    /// devices learn the server was restored and push again what they still hold. The server
    /// must not be running on this database.
    pub fn restore_from(&self, from: &Path) -> Result<String> {
        if let Backend::Postgres(pool) = &self.backend {
            pool.restore_from(from)?;
            let epoch = uuid::Uuid::new_v4().to_string();
            self.write(|tx| {
                set_meta(tx, "epoch", &epoch)?;
                audit::record(
                    tx,
                    None,
                    None,
                    "server.restore",
                    "database",
                    &format!("from {}; new epoch {epoch}", from.display()),
                )
            })?;
            return Ok(epoch);
        }
        let src = Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let check: String = src.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(StoreError::Invalid(format!(
                "the backup fails its integrity check: {check}"
            )));
        }
        let (mut conn, _) = self.sqlite()?;
        {
            let backup = rusqlite::backup::Backup::new(&src, &mut conn)?;
            backup.run_to_completion(256, std::time::Duration::ZERO, None)?;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        migrate(&mut conn)?;
        let epoch = uuid::Uuid::new_v4().to_string();
        let tx = conn.transaction()?;
        set_meta(Sql::Lite(&tx), "epoch", &epoch)?;
        audit::record(
            Sql::Lite(&tx),
            None,
            None,
            "server.restore",
            "database",
            &format!("from {}; new epoch {epoch}", from.display()),
        )?;
        tx.commit()?;
        Ok(epoch)
    }

    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .sqlite()?
            .0
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Flushes a written file and its folder's entry to disk.
fn sync_file_and_folder(file: &Path) -> Result<()> {
    std::fs::File::open(file)?.sync_all()?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(StoreError::TooNew { found, supported });
    }
    let tx = conn.transaction()?;
    for sql in &MIGRATIONS[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", supported)?;
    tx.commit()?;
    Ok(())
}

fn get_meta(c: Sql<'_>, key: &str) -> Result<Option<String>> {
    c.query_opt("SELECT value FROM meta WHERE key = ?1", &[&key], |r| {
        r.get(0)
    })
}

fn delete_meta(c: Sql<'_>, key: &str) -> Result<()> {
    c.execute("DELETE FROM meta WHERE key = ?1", &[&key])?;
    Ok(())
}

fn set_meta(c: Sql<'_>, key: &str, value: &str) -> Result<()> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )?;
    Ok(())
}
