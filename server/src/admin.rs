//! What the `baraza` command does besides serving: opening a data folder, first-start
//! bootstrap, and the administration commands' file formats.

use std::path::{Path, PathBuf};

use crate::storage::prelude::*;
use crate::storage::{Db, Role, Settlement, StoreError};

/// The database file inside a data folder.
pub fn database_path(data: &Path) -> PathBuf {
    data.join("baraza.sqlite3")
}

/// Opens (creating) the data folder and its database: the SQLite file inside it, or the
/// PostgreSQL database at `database` (a `postgres://` URL) when one is given.
pub fn open(data: &Path, database: Option<&str>) -> Result<Db, String> {
    std::fs::create_dir_all(data)
        .map_err(|e| format!("cannot create the data folder {}: {e}", data.display()))?;
    if let Some(url) = database {
        if !crate::storage::is_postgres_url(url) {
            return Err(
                "--database takes a PostgreSQL URL (postgres://user:password@host/database); \
                 leave it out for the SQLite file in the data folder"
                    .into(),
            );
        }
        return Db::open_postgres(url).map_err(|e| match e {
            StoreError::TooNew { .. } => e.to_string(),
            other => format!("cannot open the PostgreSQL database: {other}"),
        });
    }
    Db::open(&database_path(data)).map_err(|e| match e {
        StoreError::TooNew { .. } => e.to_string(),
        other => format!("cannot open {}: {other}", database_path(data).display()),
    })
}

/// First start: the four built-in forms are published (a no-op when they already are), and
/// when there is no user yet an `admin` account is created with `BARAZA_ADMIN_PASSWORD` or a
/// generated password, which is returned so that it can be shown once.
pub fn bootstrap(db: &Db, admin_password: Option<String>) -> Result<Option<String>, String> {
    for (name, _) in crate::builtin::FORMS {
        let import = crate::builtin::load(name)
            .ok_or("missing built-in form")?
            .map_err(|e| e.to_string())?;
        let form = import
            .publishable()
            .map_err(|_| format!("built-in form {name} does not import cleanly"))?;
        db.publish_form(&form, &[], None)
            .map_err(|e| format!("publishing {name}: {e}"))?;
    }
    if db.user_count().map_err(|e| e.to_string())? > 0 {
        return Ok(None);
    }
    let (password, generated) = match admin_password.filter(|p| !p.is_empty()) {
        Some(p) => (p, false),
        None => (crate::storage::random_token()[..20].to_owned(), true),
    };
    match db.create_user("admin", Role::Admin, &password, None) {
        Ok(_) => Ok(generated.then_some(password)),
        // Another server sharing the database made it a moment ago.
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(format!("creating the admin account: {e}")),
    }
}

/// Reads a settlement frame: a CSV with the header `code,name,type,households`, and an
/// optional fifth column `target` (interviews planned; empty for none).
pub fn parse_settlements(text: &str) -> Result<Vec<Settlement>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("row 1: {e}"))?.clone();
    let want = ["code", "name", "type", "households", "target"];
    let got: Vec<String> = headers.iter().map(str::to_lowercase).collect();
    if got != want[..4] && got != want {
        return Err(format!(
            "row 1: the header must be exactly {} (and optionally ,target)",
            want[..4].join(",")
        ));
    }
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let r = record.map_err(|e| format!("row {row}: {e}"))?;
        let households = r[3]
            .parse::<i64>()
            .map_err(|_| format!("row {row}: households {:?} is not a whole number", &r[3]))?;
        let target = match r.get(4).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(
                t.parse::<i64>()
                    .map_err(|_| format!("row {row}: target {t:?} is not a whole number"))?,
            ),
        };
        let s = Settlement {
            code: r[0].into(),
            name: r[1].into(),
            settlement_type: r[2].into(),
            households,
            target,
        };
        s.check().map_err(|e| format!("row {row}: {e}"))?;
        out.push(s);
    }
    Ok(out)
}

/// The backup files in `dir`, newest first (none when the folder does not exist yet).
pub fn backup_files(dir: &Path) -> Vec<baraza_schema::api::BackupFile> {
    let mut files: Vec<(std::time::SystemTime, baraza_schema::api::BackupFile)> =
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let meta = e.metadata().ok().filter(std::fs::Metadata::is_file)?;
                if !is_backup_file(&e.file_name().to_string_lossy()) {
                    return None;
                }
                let modified = meta.modified().ok()?;
                Some((
                    modified,
                    baraza_schema::api::BackupFile {
                        name: e.file_name().to_string_lossy().into_owned(),
                        bytes: meta.len(),
                        modified: chrono::DateTime::<chrono::Utc>::from(modified)
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    },
                ))
            })
            .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files.into_iter().map(|(_, f)| f).collect()
}

/// A new backup file's path in `dir`, named by the moment (`baraza-20261202T190501Z.db`;
/// `extension` is `pgdump` for a PostgreSQL dump).
pub fn new_backup_path(dir: &Path, extension: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    dir.join(format!("baraza-{stamp}.{extension}"))
}

/// A backup file by its name: a SQLite copy (`.db`) or a PostgreSQL dump (`.pgdump`).
pub fn is_backup_file(name: &str) -> bool {
    name.ends_with(".db") || name.ends_with(".pgdump")
}
