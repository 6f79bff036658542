//! Folds what pushes, reviews and corrections changed into the report aggregates in the
//! background (`ReportStore::project`), so that a report rarely has anything left to fold
//! when it is asked for. Every server runs one; on PostgreSQL they take turns per round.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::storage::Store;

/// How often the projector looks for changes (and for pushes it yields to): the longer, the
/// more interviews merge per cell written.
const EVERY: Duration = Duration::from_secs(1);

/// After a failure (the database unreachable): the next try, and the log, wait this long.
const AFTER_FAILURE: Duration = Duration::from_secs(5);

/// While pushes keep coming the projector yields to them: it folds after a look that found
/// no push since the last, or once it has waited this long. An acknowledgement then rarely
/// waits for a fold's write (on SQLite, one writer at a time), and a fold meets more
/// interviews per cell. Reports fold what is left when they are asked for, so they are as
/// exact as ever; this bounds how much of the ingest a report may have to fold itself.
const YIELD_AT_MOST: Duration = Duration::from_secs(5);

/// Runs until the task is dropped.
pub async fn run(db: Arc<dyn Store>) {
    let mut wait = EVERY;
    let mut pushes = db.pushes();
    let mut folded = Instant::now();
    loop {
        tokio::time::sleep(wait).await;
        let (before, now) = (pushes, db.pushes());
        pushes = now;
        if now != before && folded.elapsed() < YIELD_AT_MOST {
            continue;
        }
        folded = Instant::now();
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
