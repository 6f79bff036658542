//! Folds what pushes, reviews and corrections changed into the report aggregates in the
//! background (`ReportStore::project`), so that a report rarely has anything left to fold
//! when it is asked for. Every server runs one; on PostgreSQL they take turns per round.

use std::sync::Arc;
use std::time::Duration;

use crate::storage::Store;

/// How often the projector looks for changes: what a report may find still to fold is at
/// most this much of the ingest; the longer, the more interviews merge per cell written.
const EVERY: Duration = Duration::from_secs(1);

/// After a failure (the database unreachable): the next try, and the log, wait this long.
const AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Runs until the task is dropped.
pub async fn run(db: Arc<dyn Store>) {
    let mut wait = EVERY;
    loop {
        tokio::time::sleep(wait).await;
        let store = db.clone();
        wait = match tokio::task::spawn_blocking(move || store.project()).await {
            Ok(Ok(_)) => EVERY,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "folding new responses into the reports failed; reports fold them when asked");
                AFTER_FAILURE
            }
            Err(e) => {
                tracing::error!(error = %e, "the report projector stopped");
                AFTER_FAILURE
            }
        };
    }
}
