//! The PostgreSQL backend's connections: a small pool of blocking clients, its own numbered
//! migrations, and transactions.
//!
//! Every write runs in one `READ COMMITTED` transaction and is answered only after `COMMIT`
//! returns (DESIGN.md, Sync guarantee 2: PostgreSQL's commit is durable with its default
//! `synchronous_commit = on`). What must not interleave between servers takes a row lock
//! first (a device's row before its push, `sync.rs`), so that two servers sharing one database
//! give the same answers one server would.

use std::sync::Mutex;

use super::sql::{PgConn, Sql};
use super::{Result, StoreError};

/// Numbered migrations of the PostgreSQL schema; `schema_version` records how many are
/// applied. The SQLite migrations' end state, in PostgreSQL's types: every integer is a
/// `BIGINT` (what the storage code binds), booleans stay 0/1 integers as in SQLite.
const MIGRATIONS: &[&str] = &[include_str!("pg_migrations/0001_init.sql")];

/// Serializes schema changes between servers starting at once (any constant will do; this
/// one spells "BRZ1").
const MIGRATION_LOCK: i64 = 0x4252_5a31;

/// Idle connections beyond this are closed when returned.
const MAX_IDLE: usize = 16;

pub(super) struct Pool {
    config: postgres::Config,
    idle: Mutex<Vec<PgConn>>,
}

/// A connection out of the pool; back into it when dropped, unless it was left inside a
/// transaction (a panic) or the server closed it.
struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<PgConn>,
    clean: bool,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        self.conn
            .as_ref()
            .expect("a pooled connection until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !self.clean || conn.is_closed() {
            return;
        }
        let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

impl Pool {
    pub(super) fn connect(url: &str) -> Result<Pool> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("the PostgreSQL address is not one: {e}")))?;
        let pool = Pool {
            config,
            idle: Mutex::new(Vec::new()),
        };
        // Fail at start, with the server's own reason, rather than at the first request.
        drop(pool.get()?);
        Ok(pool)
    }

    fn get(&self) -> Result<Pooled<'_>> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match reused.filter(|c| !c.is_closed()) {
            Some(c) => c,
            None => PgConn::new(self.config.connect(postgres::NoTls)?),
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
            clean: false,
        })
    }

    /// Runs `f` in one transaction, committed only if `f` succeeds; then moves the data
    /// version on (after the commit, so that a reader that saw the old version re-reads).
    pub(super) fn write<T>(&self, f: impl FnOnce(Sql<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.get()?;
        conn.batch("BEGIN")?;
        let out = match f(Sql::Pg(&conn)) {
            Ok(out) => out,
            Err(e) => {
                conn.batch("ROLLBACK")?;
                conn.clean = true;
                return Err(e);
            }
        };
        conn.batch("COMMIT")?;
        conn.batch("SELECT nextval('data_version')")?;
        conn.clean = true;
        Ok(out)
    }

    /// Runs `f` on one snapshot (a repeatable-read transaction).
    pub(super) fn read<T>(&self, f: impl FnOnce(Sql<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.get()?;
        conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ")?;
        let out = f(Sql::Pg(&conn));
        conn.batch(if out.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
        conn.clean = true;
        out
    }

    /// How many write transactions any server has committed (a sequence: no lock is taken,
    /// so writers never wait on one another for it).
    pub(super) fn data_version(&self) -> Result<i64> {
        let conn = self.get()?;
        let v = Sql::Pg(&conn).query_row("SELECT last_value FROM data_version", &[], |r| r.get(0));
        drop(conn);
        v
    }

    pub(super) fn schema_version(&self) -> Result<i64> {
        self.read(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                &[],
                |r| r.get(0),
            )
        })
    }

    /// Applies the migrations this database lacks, in one transaction, under an advisory
    /// lock that other servers starting at the same time wait for.
    pub(super) fn migrate(&self) -> Result<()> {
        let supported = MIGRATIONS.len() as i64;
        self.write(|c| {
            c.batch(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))?;
            c.batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
            let found: i64 = c.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                &[],
                |r| r.get(0),
            )?;
            if found > supported {
                return Err(StoreError::TooNew { found, supported });
            }
            for sql in &MIGRATIONS[found as usize..] {
                c.batch(sql)?;
            }
            c.execute("DELETE FROM schema_version", &[])?;
            c.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                &[&supported],
            )?;
            Ok(())
        })
    }
}
