//! Backups while serving: taken on request (`POST /backups`) and on a schedule
//! (`baraza serve --backup-every`), each checked and synced before devices may release what it
//! holds, the oldest beyond `--backup-keep` deleted, and each also copied to a second folder
//! when one is given (another disk, a mounted share).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use baraza_schema::api::BackupFile;

use crate::storage::{Store, StoreError};

/// When and where `baraza serve` backs up by itself.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The backup folder (`<data>/backups` by default).
    pub dir: PathBuf,
    /// Time between backups.
    pub every: Duration,
    /// Backup files kept in each folder; older ones are deleted once a new one is good.
    pub keep: usize,
    /// A second folder that receives a checked copy of each backup.
    pub copy_to: Option<PathBuf>,
}

/// Takes one backup into `dir` (created if needed): the copy is checked and synced before
/// the watermarks move (`Db::backup_to_by`). Audited as by user `by` (none: the schedule).
pub fn take(db: &dyn Store, dir: &Path, by: Option<i64>) -> Result<BackupFile, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::Invalid(format!(
            "cannot create the backup folder {}: {e}",
            dir.display()
        ))
    })?;
    let path = crate::admin::new_backup_path(dir, db.backup_extension());
    db.backup(&path, by)?;
    describe(&path)
}

/// Copies a checked backup into `folder` under the same name: written beside, synced,
/// checked again, renamed into place and the folder synced, so a half-written copy never
/// carries a backup's name.
pub fn copy_checked(backup: &Path, folder: &Path) -> Result<PathBuf, StoreError> {
    std::fs::create_dir_all(folder)?;
    let name = backup
        .file_name()
        .ok_or_else(|| StoreError::Invalid(format!("{} is not a file", backup.display())))?;
    let to = folder.join(name);
    let partial = folder.join(format!("{}.partial", name.to_string_lossy()));
    std::fs::copy(backup, &partial)?;
    std::fs::File::open(&partial)?.sync_all()?;
    crate::storage::check_integrity(&partial)?;
    std::fs::rename(&partial, &to)?;
    std::fs::File::open(folder)?.sync_all()?;
    Ok(to)
}

/// Deletes the oldest backup files in `dir` beyond the newest `keep` (only files named as
/// Baraza names its backups). Returns the names deleted.
pub fn prune(dir: &Path, keep: usize) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("baraza-") && crate::admin::is_backup_file(n))
        .collect();
    // The names are UTC timestamps: their order is the backups' order.
    names.sort_unstable_by(|a, b| b.cmp(a));
    let old = names.split_off(keep.max(1).min(names.len()));
    old.into_iter()
        .filter(|n| std::fs::remove_file(dir.join(n)).is_ok())
        .collect()
}

/// Runs the schedule until the task is dropped: the first backup one interval after the
/// newest in the folder (soon after the start when that is overdue; one interval after the
/// start when the folder holds none), then one per interval. A failure is logged and audited (`server.failed_backup`), and the next attempt
/// comes after a tenth of the interval (at least a minute): devices keep their copies until a
/// backup succeeds, so nothing is lost while it fails.
pub async fn run(db: Arc<dyn Store>, schedule: Schedule) {
    let mut wait = due_in(&schedule);
    loop {
        tokio::time::sleep(wait).await;
        let (store, s) = (db.clone(), schedule.clone());
        let done = tokio::task::spawn_blocking(move || once(store.as_ref(), &s)).await;
        wait = match done {
            Ok(Ok(file)) => {
                tracing::info!(backup = %file.name, bytes = file.bytes, "scheduled backup taken and checked");
                schedule.every
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the scheduled backup failed; devices keep their copies");
                let reason = e.to_string();
                let db = db.clone();
                let _ = tokio::task::spawn_blocking(move || db.backup_failed(&reason)).await;
                (schedule.every / 10).max(Duration::from_secs(60))
            }
            Err(e) => {
                tracing::error!(error = %e, "the scheduled backup stopped");
                schedule.every
            }
        };
    }
}

/// One scheduled backup: taken, copied to the second folder, old files pruned.
fn once(db: &dyn Store, schedule: &Schedule) -> Result<BackupFile, StoreError> {
    let file = take(db, &schedule.dir, None)?;
    if let Some(folder) = &schedule.copy_to {
        copy_checked(&schedule.dir.join(&file.name), folder)?;
        prune(folder, schedule.keep);
    }
    prune(&schedule.dir, schedule.keep);
    Ok(file)
}

/// How long until the next backup is due: one interval after the newest file in the folder.
fn due_in(schedule: &Schedule) -> Duration {
    let newest = std::fs::read_dir(&schedule.dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| crate::admin::is_backup_file(&e.file_name().to_string_lossy()))
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .max();
    match newest.and_then(|t| t.elapsed().ok()) {
        Some(age) => schedule
            .every
            .saturating_sub(age)
            .max(Duration::from_secs(10).min(schedule.every)),
        None => schedule.every,
    }
}

/// A backup file as `GET /backups` lists it.
fn describe(path: &Path) -> Result<BackupFile, StoreError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::admin::backup_files(path.parent().unwrap_or(Path::new(".")))
        .into_iter()
        .find(|f| f.name == name)
        .ok_or_else(|| StoreError::NotFound(format!("the backup {}", path.display())))
}

/// Reads a period such as `30s`, `15m`, `6h` or `1d` (a bare number is hours).
pub fn parse_period(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "h"), |i| text.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a period: write for example 30m, 6h or 1d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: the unit is s, m, h or d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_read_in_seconds_minutes_hours_and_days() {
        assert_eq!(parse_period("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_period("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_period("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_period("6"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_period("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_period("6 hours").is_err());
        assert!(parse_period("h").is_err());
        assert!(parse_period("-1h").is_err());
    }

    #[test]
    fn pruning_keeps_the_newest_backups_and_nothing_else_is_touched() {
        let dir = std::env::temp_dir().join(format!("baraza-prune-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let names = [
            "baraza-20261201T000000.000Z.db",
            "baraza-20261202T000000.000Z.db",
            "baraza-20261203T000000.000Z.db",
            "notes.txt",
            "other.db",
        ];
        for n in names {
            std::fs::write(dir.join(n), b"x").expect("write");
        }
        let deleted = prune(&dir, 2);
        assert_eq!(deleted, ["baraza-20261201T000000.000Z.db"]);
        let mut left: Vec<_> = std::fs::read_dir(&dir)
            .expect("read")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "baraza-20261202T000000.000Z.db",
                "baraza-20261203T000000.000Z.db",
                "notes.txt",
                "other.db"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
