//! The sync engine: plain Rust over two small traits, so the same code runs in the browser
//! (IndexedDB + fetch) and natively in tests (against a real server).
//!
//! The rules it keeps (DESIGN.md, Sync):
//! - one batch in flight, bounded by bytes and count, in `device_seq` order;
//! - an entry is acknowledged only when the server's `acked_through_seq` covers it, and an
//!   acknowledged copy stays on the device (readable, and ready to push again to a restored
//!   server) until the server's last backup covers it (`backed_up_through_seq`); only then is
//!   it deleted;
//! - a 200 reply that is not a valid acknowledgement (a captive portal page, a truncated
//!   body) counts as "unknown": nothing is released and the batch is sent again later;
//! - a changed `server_epoch` means the server was restored: everything still held is pushed
//!   again;
//! - transient failures back off exponentially with jitter, honouring `Retry-After`.
//!
//! Deciding what to send and what may be released are pure functions ([`plan_batch`],
//! [`apply_reply`]); the IO executes their decisions.

use std::future::Future;

use baraza_schema::wire::{ItemStatus, PushItem, PushRequest, PushResponse, QuarantineCode};

/// One finalized revision on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub item: PushItem,
    pub state: EntryState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryState {
    /// Not yet acknowledged by the server.
    Pending,
    /// Durably held by the server whose epoch is given.
    Acked { epoch: String, outcome: Outcome },
}

/// What the server made of an acknowledged item, for the records screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Kept, but a sibling revision exists; a supervisor decides.
    Conflict,
    /// Kept in quarantine; a supervisor decides.
    Quarantined(QuarantineCode),
}

/// The device's durable state: its outbox and what it knows of the server.
pub trait LocalStore {
    type Error: std::fmt::Display;
    /// Every entry still held, in `device_seq` order.
    fn entries(&self) -> impl Future<Output = Result<Vec<OutboxEntry>, Self::Error>>;
    /// Records new states for some entries and, when given, the server's new epoch, all in
    /// one durable transaction: a crash keeps everything or nothing, so no entry is left
    /// acknowledged under an epoch the device believes is still current.
    fn update(
        &mut self,
        changes: Vec<(u64, EntryState)>,
        epoch: Option<&str>,
    ) -> impl Future<Output = Result<(), Self::Error>>;
    fn epoch(&self) -> impl Future<Output = Result<Option<String>, Self::Error>>;
    /// Deletes these entries, all in one durable transaction.
    fn release(&mut self, seqs: Vec<u64>) -> impl Future<Output = Result<(), Self::Error>>;
}

/// What `GET /sync/status` says about this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    pub epoch: String,
    /// The server's last backup holds every item of this device up to here.
    pub backed_up_through_seq: u64,
}

/// Why a push did not produce an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteError {
    /// No connection, a reset, a timeout: nothing is known; try again later.
    Unreachable(String),
    /// 429 or 503: try again after this many seconds.
    Busy { retry_after_secs: Option<u64> },
    /// 401: the credential is unknown; the device must enroll again (data is kept).
    Unauthorized,
    /// 403 `device_revoked`: uploads stop; data is kept for export.
    Revoked,
    /// Another 4xx: this request will never succeed as it is.
    Refused { status: u16, code: String },
    /// A 2xx whose body is not a valid acknowledgement (e.g. a captive portal page).
    InvalidReply(String),
}

impl From<serde_json::Error> for RemoteError {
    /// A reply that does not decode as what was asked for.
    fn from(e: serde_json::Error) -> RemoteError {
        RemoteError::InvalidReply(e.to_string())
    }
}

pub trait Remote {
    fn push(
        &self,
        request: &PushRequest,
    ) -> impl Future<Output = Result<PushResponse, RemoteError>>;
    /// The server's epoch and backup watermark (`GET /sync/status`), asked at the start of
    /// every sync so that a restore or a backup is noticed even when nothing is pending.
    fn status(&self) -> impl Future<Output = Result<ServerStatus, RemoteError>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_batch_bytes: usize,
    pub max_batch_items: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        // Well under the server's 8 MiB and 500 items: a batch stays quick on a poor link.
        Limits {
            max_batch_bytes: 512 << 10,
            max_batch_items: 100,
        }
    }
}

/// The next batch: pending entries in `device_seq` order, as many as fit the limits (at least
/// one, so that a single large item is still sent).
pub fn plan_batch(entries: &[OutboxEntry], limits: Limits) -> Vec<PushItem> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    for e in entries.iter().filter(|e| e.state == EntryState::Pending) {
        let size = e.item.payload.len() + e.item.response_id.len() + e.item.rev.len() + 256;
        if !batch.is_empty()
            && (bytes + size > limits.max_batch_bytes || batch.len() >= limits.max_batch_items)
        {
            break;
        }
        bytes += size;
        batch.push(e.item.clone());
    }
    batch
}

/// Checks that a reply acknowledges this batch; anything else is treated as unknown.
pub fn check_reply(sent: &[PushItem], reply: &PushResponse) -> Result<(), String> {
    if reply.server_epoch.is_empty() {
        return Err("the reply has no server epoch".into());
    }
    if reply.results.len() != sent.len()
        || reply
            .results
            .iter()
            .zip(sent)
            .any(|(r, s)| r.device_seq != s.device_seq)
    {
        return Err("the reply does not answer the items sent".into());
    }
    Ok(())
}

/// What a valid reply changes locally: entries covered by `acked_through_seq` become acked
/// with their outcome; nothing else changes.
pub fn apply_reply(entries: &[OutboxEntry], reply: &PushResponse) -> Vec<(u64, EntryState)> {
    let outcome_of = |seq: u64| {
        reply
            .results
            .iter()
            .find(|r| r.device_seq == seq)
            .map(|r| match r.status {
                ItemStatus::Conflict => Outcome::Conflict,
                ItemStatus::Quarantined => {
                    Outcome::Quarantined(r.code.unwrap_or(QuarantineCode::Malformed))
                }
                _ => Outcome::Sent,
            })
    };
    entries
        .iter()
        .filter(|e| e.state == EntryState::Pending && e.item.device_seq <= reply.acked_through_seq)
        .map(|e| {
            let outcome = outcome_of(e.item.device_seq).unwrap_or(Outcome::Sent);
            (
                e.item.device_seq,
                EntryState::Acked {
                    epoch: reply.server_epoch.clone(),
                    outcome,
                },
            )
        })
        .collect()
}

/// After a restore: entries acknowledged under another epoch are pending again.
pub fn repush_after_restore(entries: &[OutboxEntry], epoch: &str) -> Vec<(u64, EntryState)> {
    entries
        .iter()
        .filter(|e| matches!(&e.state, EntryState::Acked { epoch: old, .. } if old != epoch))
        .map(|e| (e.item.device_seq, EntryState::Pending))
        .collect()
}

/// The entries a backup of the server now covers: acknowledged under the current epoch, at or
/// below the backup watermark. Only these may leave the device.
pub fn releasable(entries: &[OutboxEntry], status: &ServerStatus) -> Vec<u64> {
    entries
        .iter()
        .filter(|e| {
            e.item.device_seq <= status.backed_up_through_seq
                && matches!(&e.state, EntryState::Acked { epoch, .. } if *epoch == status.epoch)
        })
        .map(|e| e.item.device_seq)
        .collect()
}

/// Records the server's epoch; when it changed, marks everything acknowledged under another
/// epoch pending again. Returns how many entries that was.
async fn adopt_epoch<L: LocalStore>(local: &mut L, epoch: &str) -> Result<usize, L::Error> {
    let known = local.epoch().await?;
    if known.as_deref() == Some(epoch) {
        return Ok(0);
    }
    let again = repush_after_restore(&local.entries().await?, epoch);
    let n = again.len();
    local.update(again, Some(epoch)).await?;
    Ok(n)
}

/// Exponential backoff with full jitter, capped; `Retry-After` wins when the server gives
/// one. `random` is any uniformly random number (time and randomness come from outside).
pub fn backoff_secs(attempt: u32, retry_after: Option<u64>, random: u64) -> u64 {
    if let Some(secs) = retry_after {
        return secs.clamp(1, 3600);
    }
    let cap = 2u64.saturating_pow(attempt.min(9)).min(300);
    1 + random % cap
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncReport {
    pub batches: u32,
    pub acked: usize,
    /// Entries that went back to pending because the server's epoch changed.
    pub repushed: usize,
    pub pending: usize,
    /// Acknowledged entries deleted because a backup of the server holds them.
    pub released: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError<E> {
    Local(E),
    Remote(RemoteError),
}

/// Pushes until nothing is pending or the remote fails; one batch in flight at a time.
/// On an error everything not acknowledged stays pending, untouched.
pub async fn sync_once<L: LocalStore, R: Remote>(
    local: &mut L,
    remote: &R,
    device_id: &str,
    limits: Limits,
) -> Result<SyncReport, SyncError<L::Error>> {
    let mut report = SyncReport::default();
    let status = remote.status().await.map_err(SyncError::Remote)?;
    report.repushed += adopt_epoch(local, &status.epoch)
        .await
        .map_err(SyncError::Local)?;
    loop {
        let entries = local.entries().await.map_err(SyncError::Local)?;
        // What a backup holds leaves the device first (once: then nothing is left to release).
        let covered = releasable(&entries, &status);
        if !covered.is_empty() {
            report.released = covered.len();
            local.release(covered).await.map_err(SyncError::Local)?;
            continue;
        }
        let batch = plan_batch(&entries, limits);
        if batch.is_empty() {
            return Ok(report);
        }
        let request = PushRequest {
            device_id: device_id.to_owned(),
            items: batch,
            username: None,
            // Everything below was released under a backup (see `PushRequest::held_from`).
            held_from: entries.first().map(|e| e.item.device_seq),
        };
        let reply = remote.push(&request).await.map_err(SyncError::Remote)?;
        check_reply(&request.items, &reply)
            .map_err(|e| SyncError::Remote(RemoteError::InvalidReply(e)))?;
        report.batches += 1;
        // A restore between the status call and this reply: start over under the new epoch.
        let again = adopt_epoch(local, &reply.server_epoch)
            .await
            .map_err(SyncError::Local)?;
        if again > 0 {
            report.repushed += again;
            continue;
        }
        let changes = apply_reply(&entries, &reply);
        let progressed = !changes.is_empty();
        report.acked += changes.len();
        local
            .update(changes, None)
            .await
            .map_err(SyncError::Local)?;
        let still = local.entries().await.map_err(SyncError::Local)?;
        report.pending = still
            .iter()
            .filter(|e| e.state == EntryState::Pending)
            .count();
        if !progressed {
            // Nothing more could be acknowledged (e.g. a gap before a later item, or `retry`):
            // stop rather than spin; the scheduler will try again.
            return Ok(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baraza_schema::wire::ItemResult;

    fn entry(seq: u64, payload_len: usize, state: EntryState) -> OutboxEntry {
        OutboxEntry {
            item: PushItem {
                device_seq: seq,
                response_id: format!("r{seq}"),
                rev: "1-x".into(),
                parent_rev: None,
                form_id: "f".into(),
                form_version: "1".into(),
                content_hash: "sha256:x".into(),
                payload: "x".repeat(payload_len),
                saved_at: None,
            },
            state,
        }
    }

    fn acked(epoch: &str) -> EntryState {
        EntryState::Acked {
            epoch: epoch.into(),
            outcome: Outcome::Sent,
        }
    }

    #[test]
    fn batches_take_pending_entries_in_order_within_the_byte_and_count_limits() {
        let entries = vec![
            entry(1, 10, acked("e")),
            entry(2, 100, EntryState::Pending),
            entry(3, 100, EntryState::Pending),
            entry(4, 100, EntryState::Pending),
        ];
        let seqs = |b: Vec<PushItem>| b.iter().map(|i| i.device_seq).collect::<Vec<_>>();
        assert_eq!(
            seqs(plan_batch(
                &entries,
                Limits {
                    max_batch_bytes: 10_000,
                    max_batch_items: 2
                }
            )),
            [2, 3]
        );
        assert_eq!(
            seqs(plan_batch(
                &entries,
                Limits {
                    max_batch_bytes: 400,
                    max_batch_items: 100
                }
            )),
            [2]
        );
        let huge = vec![entry(1, 5_000_000, EntryState::Pending)];
        assert_eq!(
            seqs(plan_batch(&huge, Limits::default())),
            [1],
            "a large item still goes, alone"
        );
    }

    #[test]
    fn only_entries_covered_by_the_acknowledgement_are_released() {
        let entries = vec![
            entry(1, 1, EntryState::Pending),
            entry(2, 1, EntryState::Pending),
            entry(3, 1, EntryState::Pending),
        ];
        let result = |seq, status, code| ItemResult {
            device_seq: seq,
            status,
            server_seq: Some(seq as i64),
            code,
            issues: vec![],
        };
        let reply = PushResponse {
            server_epoch: "e1".into(),
            acked_through_seq: 2,
            results: vec![
                result(1, ItemStatus::Stored, None),
                result(2, ItemStatus::Quarantined, Some(QuarantineCode::FormClosed)),
                result(3, ItemStatus::Retry, None),
            ],
        };
        assert_eq!(
            apply_reply(&entries, &reply),
            [
                (
                    1,
                    EntryState::Acked {
                        epoch: "e1".into(),
                        outcome: Outcome::Sent
                    }
                ),
                (
                    2,
                    EntryState::Acked {
                        epoch: "e1".into(),
                        outcome: Outcome::Quarantined(QuarantineCode::FormClosed)
                    }
                ),
            ]
        );
    }

    #[test]
    fn a_reply_that_does_not_answer_the_batch_is_not_an_acknowledgement() {
        let sent = plan_batch(&[entry(1, 1, EntryState::Pending)], Limits::default());
        let empty = PushResponse {
            server_epoch: "e".into(),
            acked_through_seq: 1,
            results: vec![],
        };
        assert!(check_reply(&sent, &empty).is_err());
        let no_epoch = PushResponse {
            server_epoch: String::new(),
            acked_through_seq: 1,
            results: vec![],
        };
        assert!(check_reply(&sent, &no_epoch).is_err());
    }

    #[test]
    fn a_new_epoch_makes_everything_acknowledged_under_the_old_one_pending_again() {
        let entries = vec![
            entry(1, 1, acked("old")),
            entry(2, 1, acked("new")),
            entry(3, 1, EntryState::Pending),
        ];
        assert_eq!(
            repush_after_restore(&entries, "new"),
            [(1, EntryState::Pending)]
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        assert_eq!(backoff_secs(0, None, 12345), 1);
        assert!((1..=8).contains(&backoff_secs(3, None, 7)));
        assert!(backoff_secs(30, None, u64::MAX) <= 300);
        assert_eq!(backoff_secs(5, Some(42), 0), 42);
        assert_eq!(backoff_secs(5, Some(0), 0), 1);
    }

    #[test]
    fn only_acknowledged_entries_under_the_current_epoch_that_a_backup_holds_are_released() {
        let entries = vec![
            entry(1, 1, acked("e2")),
            entry(2, 1, acked("e1")),
            entry(3, 1, acked("e2")),
            entry(4, 1, EntryState::Pending),
            entry(5, 1, acked("e2")),
        ];
        let status = |backed_up_through_seq| ServerStatus {
            epoch: "e2".into(),
            backed_up_through_seq,
        };
        assert_eq!(releasable(&entries, &status(0)), Vec::<u64>::new());
        assert_eq!(releasable(&entries, &status(4)), [1, 3]);
        assert_eq!(releasable(&entries, &status(9)), [1, 3, 5]);
    }
}
