//! The PostgreSQL backend's connections: a small pool of blocking clients, its own numbered
//! migrations, and transactions.
//!
//! Every write runs in one `READ COMMITTED` transaction and is answered only after `COMMIT`
//! returns (DESIGN.md, Sync guarantee 2: PostgreSQL's commit is durable with its default
//! `synchronous_commit = on`). What must not interleave between servers takes a row lock
//! first (a device's row before its push, `sync.rs`), so that two servers sharing one database
//! give the same answers one server would.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio_postgres_rustls::MakeRustlsConnect;

use super::sql::{PgConn, Sql};
use super::{Result, StoreError};

/// Numbered migrations of the PostgreSQL schema; `schema_version` records how many are
/// applied. The SQLite migrations' end state, in PostgreSQL's types: every integer is a
/// `BIGINT` (what the storage code binds), booleans stay 0/1 integers as in SQLite.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("pg_migrations/0001_init.sql"),
    include_str!("pg_migrations/0002_projected_heads.sql"),
    include_str!("pg_migrations/0003_attachments.sql"),
    include_str!("pg_migrations/0004_form_files.sql"),
    include_str!("pg_migrations/0005_odk_digest.sql"),
    include_str!("pg_migrations/0006_aggregates_hot.sql"),
];

/// Serializes schema changes between servers starting at once (any constant will do; this
/// one spells "BRZ1").
const MIGRATION_LOCK: i64 = 0x4252_5a31;

/// Idle connections beyond this are closed when returned.
const MAX_IDLE: usize = 16;

pub(super) struct Pool {
    config: postgres::Config,
    /// TLS unless the address says `sslmode=disable` (`tls`).
    tls: Option<MakeRustlsConnect>,
    idle: Mutex<Vec<PgConn>>,
}

/// The TLS connector for an address whose `sslmode` is not `disable`: rustls with ring, the
/// server's certificate checked against `PGSSLROOTCERT` (a PEM file, libpq's variable, which
/// `pg_dump` and `pg_restore` read too) or else the system's roots, and its name against the
/// host — always verified, as libpq's `verify-full`. With `prefer` (the default) a server
/// without TLS is still reached in the clear; `require` refuses it.
fn tls(config: &postgres::Config) -> Result<Option<MakeRustlsConnect>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use tokio_rustls::rustls;
    if config.get_ssl_mode() == postgres::config::SslMode::Disable {
        return Ok(None);
    }
    let bad = |m: String| StoreError::Invalid(m);
    let mut roots = rustls::RootCertStore::empty();
    match std::env::var_os("PGSSLROOTCERT").filter(|p| !p.is_empty()) {
        Some(file) => {
            let file = PathBuf::from(file);
            let certs = CertificateDer::pem_file_iter(&file)
                .and_then(|c| c.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| bad(format!("cannot read PGSSLROOTCERT {}: {e}", file.display())))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(bad(format!(
                    "PGSSLROOTCERT {} holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)",
                    file.display()
                )));
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(client)))
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

impl Drop for Pool {
    fn drop(&mut self) {
        self.close_idle();
    }
}

impl Pool {
    pub(super) fn connect(url: &str) -> Result<Pool> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("the PostgreSQL address is not one: {e}")))?;
        let pool = Pool {
            tls: tls(&config)?,
            config,
            idle: Mutex::new(Vec::new()),
        };
        // Fail at start, with the server's own reason, rather than at the first request.
        drop(pool.get()?);
        Ok(pool)
    }

    /// Dumps the database into `to` (pg_dump's custom format) from one snapshot, and returns
    /// each device's acknowledgement as that snapshot saw it: the dump holds every item up to
    /// there. The snapshot is exported by a transaction of ours and held open until the dump
    /// is written, checked (`check_dump`) and synced, so a device's watermark only ever
    /// rests on a whole, readable, durable dump (DESIGN.md, Sync guarantee 1).
    pub(super) fn backup_to(&self, to: &Path) -> Result<super::BackedUp> {
        let mut conn = self.get()?;
        conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        let dumped = (|| {
            let c = Sql::Pg(&conn);
            let held = super::BackedUp::read(c)?;
            let snapshot: String = c.query_row("SELECT pg_export_snapshot()", &[], |r| r.get(0))?;
            let partial = partial_path(to);
            let dump = self
                .tool("pg_dump")
                .args(["--format=custom", "--no-owner"])
                .arg(format!("--snapshot={snapshot}"))
                .arg("--file")
                .arg(&partial)
                .output();
            let done = run_tool("pg_dump", dump).and_then(|()| check_dump(&partial));
            if let Err(e) = done {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, to)?;
            super::sync_file_and_folder(to)?;
            Ok(held)
        })();
        conn.batch("COMMIT")?;
        conn.clean = true;
        dumped
    }

    /// Replaces the whole database with a dump (servers stopped): checked first, then the
    /// schema emptied and the dump restored in one transaction, then migrated to this binary's
    /// schema.
    pub(super) fn restore_from(&self, from: &Path) -> Result<()> {
        check_dump(from)?;
        {
            let mut conn = self.get()?;
            conn.batch("DROP SCHEMA public CASCADE; CREATE SCHEMA public")?;
            conn.clean = true;
        }
        let restore = self
            .tool("pg_restore")
            .args(["--single-transaction", "--exit-on-error", "--no-owner"])
            .arg("--dbname")
            .arg(self.config.get_dbname().unwrap_or("postgres"))
            .arg(from)
            .output();
        run_tool("pg_restore", restore)?;
        // Connections opened before know the old tables' statements: start afresh.
        self.close_idle();
        self.migrate()
    }

    /// A PostgreSQL program (`pg_dump`, `pg_restore`) told where the database is through the
    /// environment, so that a password never shows in the process list.
    fn tool(&self, name: &str) -> std::process::Command {
        let mut c = std::process::Command::new(tool_path(name));
        if let Some(host) = self.config.get_hosts().first() {
            match host {
                postgres::config::Host::Tcp(h) => c.env("PGHOST", h),
                postgres::config::Host::Unix(p) => c.env("PGHOST", p),
            };
        }
        if let Some(port) = self.config.get_ports().first() {
            c.env("PGPORT", port.to_string());
        }
        if let Some(user) = self.config.get_user() {
            c.env("PGUSER", user);
        }
        if let Some(password) = self.config.get_password() {
            c.env("PGPASSWORD", String::from_utf8_lossy(password).as_ref());
        }
        if let Some(db) = self.config.get_dbname() {
            c.env("PGDATABASE", db);
        }
        // TLS as the server's own connections use it (PGSSLROOTCERT is inherited): with a
        // root file, `require` checks the certificate and its name (`verify-full`) as the
        // server does; without one, the libpq of a PostgreSQL before 16 cannot read the
        // system's roots, so the dump is encrypted but the certificate is not checked.
        let roots = std::env::var_os("PGSSLROOTCERT").is_some_and(|p| !p.is_empty());
        c.env(
            "PGSSLMODE",
            match self.config.get_ssl_mode() {
                postgres::config::SslMode::Disable => "disable",
                postgres::config::SslMode::Require if roots => "verify-full",
                postgres::config::SslMode::Require => "require",
                _ => "prefer",
            },
        );
        c
    }

    /// Closes the idle connections, on a thread of their own: closing blocks on the client's
    /// runtime, which a thread driving async tasks (a server shutting down) must not.
    fn close_idle(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        let _ = std::thread::spawn(move || drop(idle)).join();
    }

    fn get(&self) -> Result<Pooled<'_>> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match reused.filter(|c| !c.is_closed()) {
            Some(c) => c,
            None => PgConn::new(match &self.tls {
                Some(tls) => self.config.connect(tls.clone())?,
                None => self.config.connect(postgres::NoTls)?,
            }),
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
            clean: false,
        })
    }

    /// Runs `f` in one transaction, committed only if `f` succeeds; then moves the data
    /// version on (after the commit, so that a reader that saw the old version re-reads).
    /// A transaction PostgreSQL chose to end to break a deadlock (or a serialization
    /// failure) is rolled back and run again, a few times: nothing of it was kept, and the
    /// same work tried again sees what the other transaction committed.
    pub(super) fn write<T>(&self, mut f: impl FnMut(Sql<'_>) -> Result<T>) -> Result<T> {
        let mut tries = 1;
        loop {
            match self.write_once(&mut f) {
                Err(e) if tries < WRITE_TRIES && is_transient(&e) => {
                    tracing::info!(try = tries, "PostgreSQL ended a write to break a lock cycle; running it again: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(10 << tries));
                    tries += 1;
                }
                out => return out,
            }
        }
    }

    fn write_once<T>(&self, f: &mut impl FnMut(Sql<'_>) -> Result<T>) -> Result<T> {
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
    /// so writers never wait on one another for it). Its connection goes back to the pool:
    /// one statement outside a transaction leaves nothing open, and a connection dropped
    /// here cost the next read a new one (4–6 ms) and its prepared statements.
    pub(super) fn data_version(&self) -> Result<i64> {
        let mut conn = self.get()?;
        let v = Sql::Pg(&conn).query_row("SELECT last_value FROM data_version", &[], |r| r.get(0));
        conn.clean = v.is_ok();
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

/// How many times a write is tried when PostgreSQL ends it to break a deadlock.
const WRITE_TRIES: u32 = 4;

/// Did PostgreSQL end the transaction for another's sake (a deadlock, a serialization
/// failure), so that the same work tried again can succeed?
fn is_transient(e: &StoreError) -> bool {
    let StoreError::Postgres(e) = e else {
        return false;
    };
    e.code().is_some_and(|c| {
        *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
    })
}

/// A PostgreSQL error with the server's own words (`postgres::Error` alone says "db error"),
/// or with its cause ("error performing TLS handshake: invalid peer certificate: …").
pub(super) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "{} ({}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        ),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// Reads a dump's whole table of contents (`pg_restore --list`): a truncated or foreign file
/// fails, and a dump without the interviews' table is not a Baraza backup.
pub(super) fn check_dump(path: &Path) -> Result<()> {
    let list = std::process::Command::new(tool_path("pg_restore"))
        .arg("--list")
        .arg(path)
        .output()
        .map_err(|e| StoreError::Invalid(format!("cannot run pg_restore: {e}")))?;
    if !list.status.success() {
        return Err(StoreError::Invalid(format!(
            "the backup {} is not a readable PostgreSQL dump: {}",
            path.display(),
            String::from_utf8_lossy(&list.stderr).trim()
        )));
    }
    if !String::from_utf8_lossy(&list.stdout).contains("TABLE DATA public revisions") {
        return Err(StoreError::Invalid(format!(
            "the backup {} holds no Baraza interviews (no revisions table)",
            path.display()
        )));
    }
    Ok(())
}

fn run_tool(name: &str, out: std::io::Result<std::process::Output>) -> Result<()> {
    let out = out.map_err(|e| StoreError::Invalid(format!("cannot run {name}: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(StoreError::Invalid(format!(
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

/// `to` with `.partial` added: where a dump is written before it is checked and renamed.
fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    to.with_file_name(name)
}

/// A PostgreSQL client program: the newest of Debian's `/usr/lib/postgresql/<version>/bin`
/// (a dump needs a pg_dump at least as new as the server), else the one on the `PATH`.
fn tool_path(name: &str) -> PathBuf {
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin").join(name);
            bin.exists().then_some((version, bin))
        })
        .collect();
    installed.sort();
    installed
        .pop()
        .map_or_else(|| PathBuf::from(name), |(_, bin)| bin)
}
