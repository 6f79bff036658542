//! The push, status and pull side of sync. The guarantees (DESIGN.md, Sync):
//! a push batch is one transaction, answered only after it commits; every `(device,
//! device_seq)` gets one recorded answer, so a replay is answered the same way; the same key
//! with other content is never merged or dropped; what cannot be accepted is quarantined.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use baraza_schema::api::{FormState, PullResponse, ReviewNote, SyncStatus};
use baraza_schema::attachment::Attachment;
use baraza_schema::wire::{
    self, Correction, ItemResult, ItemStatus, PushItem, PushRequest, PushResponse, QuarantineCode,
};
use baraza_schema::{Date, Form};

use super::attachments;
use super::forms::FormStore;
use super::settlements::SettlementStore;
use super::sql::{Array, Sql};
use super::{Db, Device, Result, StoreError, audit, now};

/// A form version as validation needs it: the form and whether it is closed, or `None` when
/// it is not published here.
type Found = Option<(Arc<Form>, bool)>;

/// Items beyond this in one batch are answered `retry`.
pub const MAX_BATCH_ITEMS: usize = 500;

/// What was decided about an item before the transaction: accept it (with the settlement it
/// names and the files its answers name), or quarantine it.
pub(super) enum Verdict {
    Accept {
        settlement: Option<String>,
        files: Vec<Attachment>,
    },
    Quarantine {
        code: QuarantineCode,
        detail: String,
        issues: Vec<baraza_schema::Issue>,
    },
}

impl Db {
    /// Checks an item against its form and the wire rules. Pure reads; runs before the write
    /// transaction so that validation does not hold the write lock.
    pub(super) fn verdict(&self, item: &PushItem, today: Date) -> Result<Verdict> {
        self.verdicts(std::slice::from_ref(item), today)
            .map(|mut v| v.remove(0))
    }

    /// [`Db::verdict`] for each of a batch's items, each form version looked up once.
    fn verdicts(&self, items: &[PushItem], today: Date) -> Result<Vec<Verdict>> {
        let mut forms: HashMap<(String, String), Found> = HashMap::new();
        let mut lookup = |form_id: &str, version: &str| {
            let key = (form_id.to_owned(), version.to_owned());
            if let Some(found) = forms.get(&key) {
                return Ok::<_, StoreError>(found.clone());
            }
            let found = self
                .form_for_validation(form_id, version)?
                .map(|(form, state)| (form, state == FormState::Closed));
            forms.insert(key, found.clone());
            Ok(found)
        };
        items
            .iter()
            .map(|item| Self::verdict_with(item, today, &mut lookup))
            .collect()
    }

    /// The verdict on one item, its form found by `lookup`.
    fn verdict_with(
        item: &PushItem,
        today: Date,
        lookup: impl FnOnce(&str, &str) -> Result<Found>,
    ) -> Result<Verdict> {
        let verdict = wire::verdict(item, today, lookup)?;
        Ok(match verdict {
            wire::Verdict::Accept { answers, files } => Verdict::Accept {
                settlement: answers
                    .get("settlement")
                    .and_then(|s| s.as_str())
                    .map(str::to_owned),
                files,
            },
            wire::Verdict::Quarantine {
                code,
                detail,
                issues,
            } => Verdict::Quarantine {
                code,
                detail,
                issues,
            },
        })
    }

    /// Stores up to `MAX_BATCH_ITEMS` of `items` in one transaction; the rest are answered
    /// `retry`.
    fn apply_batch(
        &self,
        device: &Device,
        items: &[PushItem],
        held_from: Option<u64>,
        today: Date,
        imported_by: Option<i64>,
    ) -> Result<PushResponse> {
        let epoch = self.epoch()?;
        let (now_items, later) = items.split_at(items.len().min(MAX_BATCH_ITEMS));
        let verdicts = self.verdicts(now_items, today)?;
        let received_at = now();
        let (mut results, acked) = self.write(|tx| {
            lock_device(tx, &device.id)?;
            if let Some(from) = held_from {
                released_before(tx, &device.id, from)?;
            }
            lock_responses(tx, now_items)?;
            let mut results = match store_new(tx, device, now_items, &verdicts, &received_at)? {
                Some(results) => results,
                None => now_items
                    .iter()
                    .zip(&verdicts)
                    .map(|(item, verdict)| apply_item(tx, device, item, verdict, &received_at))
                    .collect::<Result<Vec<_>>>()?,
            };
            results.reserve(items.len() - now_items.len());
            let acked = advance_ack(tx, &device.id)?;
            let count = |st: ItemStatus| {
                results
                    .iter()
                    .filter(|r: &&ItemResult| r.status == st)
                    .count()
            };
            let summary = format!(
                "{} stored, {} duplicate, {} conflict, {} quarantined",
                count(ItemStatus::Stored),
                count(ItemStatus::Duplicate),
                count(ItemStatus::Conflict),
                count(ItemStatus::Quarantined)
            );
            let (user, action, summary) = match imported_by {
                None => (None, "sync.push", summary),
                Some(by) => (
                    Some(by),
                    "sync.import",
                    format!("from an exported file: {summary}"),
                ),
            };
            audit::record(
                tx,
                user,
                Some(&device.id),
                action,
                &format!("device:{}", device.id),
                &summary,
            )?;
            Ok((results, acked))
        })?;
        self.pushes.fetch_add(1, Ordering::Relaxed);
        results.extend(later.iter().map(|i| ItemResult {
            device_seq: i.device_seq,
            status: ItemStatus::Retry,
            server_seq: None,
            code: None,
            issues: vec![],
        }));
        Ok(PushResponse {
            server_epoch: epoch,
            acked_through_seq: acked as u64,
            results,
        })
    }
}

fn result(device_seq: u64, status: ItemStatus, server_seq: Option<i64>) -> ItemResult {
    ItemResult {
        device_seq,
        status,
        server_seq,
        code: None,
        issues: vec![],
    }
}

/// On PostgreSQL, the common push — every item accepted, without files, new (no answer
/// recorded for its `device_seq`) and of a response the server has not seen, one item per
/// response — stored by one statement for the whole batch instead of about six per item, each
/// a round trip: the revisions, the responses' rows with them as heads, and the device's
/// recorded answers. What `apply_item` would do for each item, in a batch where no item can
/// be a replay, a duplicate, a collision or a conflict. `None` for any other batch (and on
/// SQLite, whose statements are calls in this process): its items go one by one.
fn store_new(
    tx: Sql<'_>,
    device: &Device,
    items: &[PushItem],
    verdicts: &[Verdict],
    received_at: &str,
) -> Result<Option<Vec<ItemResult>>> {
    let accepted = |v: &Verdict| matches!(v, Verdict::Accept { files, .. } if files.is_empty());
    // PostgreSQL's text cannot hold U+0000; `apply_item` takes the rare item that has one.
    let plain = |i: &PushItem| {
        ![
            &i.response_id,
            &i.rev,
            &i.form_id,
            &i.form_version,
            &i.content_hash,
            &i.payload,
        ]
        .into_iter()
        .chain(&i.parent_rev)
        .chain(&i.saved_at)
        .any(|t| t.contains('\0'))
    };
    if !tx.is_pg()
        || items.is_empty()
        || !verdicts.iter().all(accepted)
        || !items.iter().all(plain)
        || items.iter().any(|i| i64::try_from(i.device_seq).is_err())
    {
        return Ok(None);
    }
    let ids = Array(items.iter().map(|i| i.response_id.as_str()).collect());
    let seqs = Array(items.iter().map(|i| i.device_seq as i64).collect());
    if !distinct(ids.0.clone()) || !distinct(seqs.0.clone()) {
        return Ok(None);
    }
    // Under the responses' locks (`lock_responses`): no other transaction can write these
    // responses before this one ends.
    let seen: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM device_items WHERE device_id = ?1 AND device_seq = ANY(?2))
             OR EXISTS (SELECT 1 FROM responses WHERE response_id = ANY(?3))",
        &[&device.id, &seqs, &ids],
        |r| r.get(0),
    )?;
    if seen {
        return Ok(None);
    }
    let settlements = Array(
        verdicts
            .iter()
            .map(|v| match v {
                Verdict::Accept { settlement, .. } => settlement.as_deref(),
                Verdict::Quarantine { .. } => None,
            })
            .collect(),
    );
    let text = |f: fn(&PushItem) -> &str| Array(items.iter().map(f).collect::<Vec<&str>>());
    let opt = |f: fn(&PushItem) -> Option<&str>| Array(items.iter().map(f).collect::<Vec<_>>());
    let rev_n = Array(
        items
            .iter()
            .map(|i| wire::rev_number(&i.rev).unwrap_or(1) as i64)
            .collect(),
    );
    let updated_at = now();
    // Data-modifying WITH queries all run, whatever the main query reads; the revisions are
    // numbered in the items' order (the insert takes the ordered rows one by one).
    let stored: Vec<(i64, i64)> = tx.query_map(
        "WITH item AS (
             SELECT * FROM unnest(?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 WITH ORDINALITY AS u(response_id, rev, rev_n, parent_rev, form_id, form_version,
                                      content_hash, payload, settlement, device_seq, saved_at, n)
         ), rev AS (
             INSERT INTO revisions (response_id, rev, rev_n, parent_rev, form_id, form_version, content_hash,
                                    payload, settlement, device_id, device_seq, saved_at, received_at)
             SELECT response_id, rev, rev_n, parent_rev, form_id, form_version, content_hash,
                    payload, settlement, ?1, device_seq, saved_at, ?2
             FROM item ORDER BY n
             RETURNING seq, response_id, rev, parent_rev, form_id, form_version, settlement, device_seq
         ), head AS (
             INSERT INTO responses (response_id, form_id, form_version, head_rev, head_seq, settlement,
                                    conflict, missing_parent, updated_at)
             SELECT response_id, form_id, form_version, rev, seq, settlement,
                    0, CASE WHEN parent_rev IS NULL THEN 0 ELSE 1 END, ?14
             FROM rev
         ), answer AS (
             INSERT INTO device_items (device_id, device_seq, response_id, rev, status, server_seq)
             SELECT ?1, device_seq, response_id, rev, 'stored', seq FROM rev
         )
         SELECT device_seq, seq FROM rev",
        &[
            &device.id,
            &received_at,
            &ids,
            &text(|i| &i.rev),
            &rev_n,
            &opt(|i| i.parent_rev.as_deref()),
            &text(|i| &i.form_id),
            &text(|i| &i.form_version),
            &text(|i| &i.content_hash),
            &text(|i| &i.payload),
            &settlements,
            &seqs,
            &opt(|i| i.saved_at.as_deref()),
            &updated_at,
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let server_seq: HashMap<i64, i64> = stored.into_iter().collect();
    items
        .iter()
        .map(|i| match server_seq.get(&(i.device_seq as i64)) {
            Some(seq) => Ok(result(i.device_seq, ItemStatus::Stored, Some(*seq))),
            None => Err(StoreError::Invalid(format!(
                "item {} was not stored by the batch insert",
                i.device_seq
            ))),
        })
        .collect::<Result<_>>()
        .map(Some)
}

/// Whether no two of `v` are equal.
fn distinct<T: Ord>(mut v: Vec<T>) -> bool {
    v.sort_unstable();
    v.windows(2).all(|w| w[0] != w[1])
}

/// The answer already recorded for a (device, device_seq).
struct Recorded {
    response_id: String,
    rev: String,
    status: String,
    server_seq: Option<i64>,
    quarantine_id: Option<i64>,
}

pub(super) fn apply_item(
    tx: Sql<'_>,
    device: &Device,
    item: &PushItem,
    verdict: &Verdict,
    received_at: &str,
) -> Result<ItemResult> {
    let seq = i64::try_from(item.device_seq)
        .map_err(|_| StoreError::Invalid("device_seq is too large".into()))?;
    // A replay of this (device, device_seq) gets the answer it got the first time.
    let recorded: Option<Recorded> = tx
        .query_opt("SELECT response_id, rev, status, server_seq, quarantine_id FROM device_items WHERE device_id = ?1 AND device_seq = ?2", 
            &[&device.id, &seq],
            |r| Ok(Recorded { response_id: r.get(0)?, rev: r.get(1)?, status: r.get(2)?, server_seq: r.get(3)?, quarantine_id: r.get(4)? }),
        )?;
    if let Some(rec) = recorded {
        if rec.response_id == item.response_id && rec.rev == item.rev {
            if rec.status == "quarantined" {
                let code: Option<String> = tx.query_opt(
                    "SELECT code FROM quarantine WHERE id = ?1",
                    &[&rec.quarantine_id],
                    |r| r.get(0),
                )?;
                let mut r = result(item.device_seq, ItemStatus::Quarantined, None);
                r.code = code.as_deref().and_then(QuarantineCode::parse);
                return Ok(r);
            }
            return Ok(result(
                item.device_seq,
                ItemStatus::Duplicate,
                rec.server_seq,
            ));
        }
        // The sequence number was already used for another revision: keep this one aside.
        insert_quarantine(
            tx,
            device,
            item,
            QuarantineCode::SeqReused,
            "device_seq already used for another revision",
            received_at,
        )?;
        let mut r = result(item.device_seq, ItemStatus::Quarantined, None);
        r.code = Some(QuarantineCode::SeqReused);
        return Ok(r);
    }

    let outcome = match verdict {
        Verdict::Quarantine {
            code,
            detail,
            issues,
        } => {
            let id = insert_quarantine(tx, device, item, *code, detail, received_at)?;
            record_item(tx, device, item, "quarantined", None, Some(id))?;
            let mut r = result(item.device_seq, ItemStatus::Quarantined, None);
            r.code = Some(*code);
            r.issues = issues.clone();
            r
        }
        Verdict::Accept { settlement, files } => {
            let existing: Option<(i64, String)> = tx.query_opt(
                "SELECT seq, content_hash FROM revisions WHERE response_id = ?1 AND rev = ?2",
                &[&item.response_id, &item.rev],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            match existing {
                Some((server_seq, hash)) if hash == item.content_hash => {
                    record_item(tx, device, item, "duplicate", Some(server_seq), None)?;
                    result(item.device_seq, ItemStatus::Duplicate, Some(server_seq))
                }
                Some(_) => {
                    let id = insert_quarantine(
                        tx,
                        device,
                        item,
                        QuarantineCode::RevCollision,
                        "this (response_id, rev) is held with other content",
                        received_at,
                    )?;
                    record_item(tx, device, item, "quarantined", None, Some(id))?;
                    let mut r = result(item.device_seq, ItemStatus::Quarantined, None);
                    r.code = Some(QuarantineCode::RevCollision);
                    r
                }
                None => {
                    let server_seq = insert_revision(
                        tx,
                        item,
                        Named {
                            settlement: settlement.as_deref(),
                            files,
                        },
                        Some(&device.id),
                        Some(seq),
                        None,
                        received_at,
                    )?;
                    let stored = Stored {
                        item,
                        seq: server_seq,
                        settlement: settlement.as_deref(),
                    };
                    let conflict = refresh_response(tx, stored, true)?;
                    let status = if conflict {
                        ItemStatus::Conflict
                    } else {
                        ItemStatus::Stored
                    };
                    record_item(
                        tx,
                        device,
                        item,
                        if conflict { "conflict" } else { "stored" },
                        Some(server_seq),
                        None,
                    )?;
                    result(item.device_seq, status, Some(server_seq))
                }
            }
        }
    };
    Ok(outcome)
}

/// On PostgreSQL, where several servers write at once: waits until no other transaction
/// holds this device's row, so that its items are checked and numbered one push at a time
/// (SQLite runs one write transaction at a time anyway).
pub(super) fn lock_device(tx: Sql<'_>, device_id: &str) -> Result<()> {
    if tx.is_pg() {
        tx.execute(
            "SELECT id FROM devices WHERE id = ?1 FOR UPDATE",
            &[&device_id],
        )?;
    }
    Ok(())
}

/// On PostgreSQL: waits until no other transaction is making or remaking the device of this
/// id, which may not have a row yet for `lock_device` to lock (two rejoins of one phone at
/// once would both insert it).
pub(super) fn lock_device_id(tx: Sql<'_>, device_id: &str) -> Result<()> {
    if tx.is_pg() {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(?1, 1))",
            &[&device_id],
        )?;
    }
    Ok(())
}

/// On PostgreSQL: [`lock_response`] for every response of a push batch, in the order of
/// their ids, so that two batches naming the same responses wait for one another instead of
/// deadlocking (each item's own `lock_response` then finds its lock held).
fn lock_responses(tx: Sql<'_>, items: &[PushItem]) -> Result<()> {
    let mut ids: Vec<&str> = items.iter().map(|i| i.response_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    lock_ids(tx, ids)
}

/// On PostgreSQL: waits until no other transaction is writing this response, so that its
/// head, conflict flag and review state are decided over every committed revision, never
/// over a view that misses a concurrent sibling (DESIGN.md: no silent overwrite).
pub(super) fn lock_response(tx: Sql<'_>, response_id: &str) -> Result<()> {
    lock_ids(tx, vec![response_id])
}

/// On PostgreSQL, each response's lock in the order given: the one place a response's id
/// becomes its lock's key.
fn lock_ids(tx: Sql<'_>, ids: Vec<&str>) -> Result<()> {
    if tx.is_pg() {
        tx.execute(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(id, 0))) FROM unnest(?1) AS id",
            &[&Array(ids)],
        )?;
    }
    Ok(())
}

/// What a revision's answers say that is kept beside them: the settlement it is in (a column
/// of its row, for scoping and reports) and the files it names.
#[derive(Clone, Copy)]
pub(super) struct Named<'a> {
    pub settlement: Option<&'a str>,
    pub files: &'a [Attachment],
}

pub(super) fn insert_revision(
    tx: Sql<'_>,
    item: &PushItem,
    named: Named<'_>,
    device_id: Option<&str>,
    device_seq: Option<i64>,
    author_id: Option<i64>,
    received_at: &str,
) -> Result<i64> {
    lock_response(tx, &item.response_id)?;
    let n = wire::rev_number(&item.rev).unwrap_or(1) as i64;
    let seq = tx.query_row(
        "INSERT INTO revisions (response_id, rev, rev_n, parent_rev, form_id, form_version, content_hash, payload, settlement,
                                device_id, device_seq, author_id, saved_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING seq",
        &[&item.response_id, &item.rev, &n, &item.parent_rev, &item.form_id, &item.form_version, &item.content_hash, &item.payload, &named.settlement, &device_id, &device_seq, &author_id, &item.saved_at, &received_at],
        |r| r.get(0),
    )?;
    attachments::record(tx, seq, named.files)?;
    Ok(seq)
}

/// The revision just stored (`insert_revision`), for `refresh_response`.
#[derive(Clone, Copy)]
pub(super) struct Stored<'a> {
    pub item: &'a PushItem,
    pub seq: i64,
    pub settlement: Option<&'a str>,
}

/// Recomputes a response's provisional winner after a new revision: among the leaves (the
/// revisions no other revision builds on), the highest `n`, then the greatest rev string, so
/// every server picks the same winner whatever the arrival order. Leaves superseded by a
/// conflict resolution do not count. Returns whether the response now has more than one leaf
/// (a conflict). The reports follow after the commit (`ReportStore::project`): a new head or
/// review state is one the aggregates do not hold yet.
pub(super) fn refresh_response(tx: Sql<'_>, stored: Stored<'_>, from_device: bool) -> Result<bool> {
    let item = stored.item;
    let response_id = &item.response_id;
    // A response seen for the first time has one revision, the one just stored (a response's
    // row is written in the transaction that stores its first revision): its row is written
    // with it as the head — no conflict, its parent missing if it names one — in one
    // statement, the common case of a push.
    let settlement = stored.settlement.map(str::to_owned);
    let first = tx.execute(
        "INSERT INTO responses (response_id, form_id, form_version, head_rev, head_seq, settlement, conflict, missing_parent, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (response_id) DO NOTHING",
        &[response_id, &item.form_id, &item.form_version, &item.rev, &stored.seq, &settlement, &false, &item.parent_rev.is_some(), &now()],
    )?;
    if first == 1 {
        return Ok(false);
    }
    let leaves: Vec<(String, i64, String, String, Option<String>)> = tx.query_map(
        "SELECT r.rev, r.seq, r.form_id, r.form_version, r.settlement FROM revisions r
         WHERE r.response_id = ?1 AND r.superseded = 0
           AND NOT EXISTS (SELECT 1 FROM revisions c WHERE c.response_id = r.response_id AND c.parent_rev = r.rev)
         ORDER BY r.rev_n DESC, r.rev DESC", // wire::is_newer
        &[response_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let Some((head_rev, head_seq, form_id, form_version, settlement)) = leaves.first().cloned()
    else {
        return Err(StoreError::NotFound(format!("response {response_id}")));
    };
    let missing_parent: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM revisions r WHERE r.response_id = ?1 AND r.parent_rev IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM revisions p WHERE p.response_id = r.response_id AND p.rev = r.parent_rev))",
        &[response_id],
        |r| r.get(0),
    )?;
    let conflict = leaves.len() > 1;
    // A new revision from the field goes back to review; a supervisor's own edit does not.
    tx.execute("UPDATE responses SET form_id = ?2, form_version = ?3, head_rev = ?4, head_seq = ?5, settlement = ?6,
             conflict = ?7, missing_parent = ?8, updated_at = ?9,
             review_state = CASE WHEN ?10 = 1 THEN 'received' ELSE review_state END
         WHERE response_id = ?1",
        &[response_id, &form_id, &form_version, &head_rev, &head_seq, &settlement, &conflict, &missing_parent, &now(), &from_device],
    )?;
    Ok(conflict)
}

fn insert_quarantine(
    tx: Sql<'_>,
    device: &Device,
    item: &PushItem,
    code: QuarantineCode,
    detail: &str,
    received_at: &str,
) -> Result<i64> {
    let whole = serde_json::to_string(item).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let settlement = serde_json::from_str::<serde_json::Value>(&item.payload)
        .ok()
        .and_then(|v| {
            v.get("settlement")
                .and_then(|s| s.as_str())
                .map(str::to_owned)
        });
    let id: i64 = tx.query_row(
        "INSERT INTO quarantine (device_id, device_seq, response_id, rev, settlement, code, detail, item, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        &[&device.id, &(item.device_seq as i64), &item.response_id, &item.rev, &settlement, &code.as_str(), &detail, &whole, &received_at],
        |r| r.get(0),
    )?;
    audit::record(
        tx,
        None,
        Some(&device.id),
        "sync.quarantine",
        &format!("response:{}", item.response_id),
        code.as_str(),
    )?;
    Ok(id)
}

fn record_item(
    tx: Sql<'_>,
    device: &Device,
    item: &PushItem,
    status: &str,
    server_seq: Option<i64>,
    quarantine_id: Option<i64>,
) -> Result<()> {
    tx.execute("INSERT INTO device_items (device_id, device_seq, response_id, rev, status, server_seq, quarantine_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", 
        &[&device.id, &(item.device_seq as i64), &item.response_id, &item.rev, &status, &server_seq, &quarantine_id],
    )?;
    Ok(())
}

/// A device that holds nothing below `from` (`PushRequest::held_from`) released those items
/// under a backup; when this server's acknowledgement is below them, it was restored from an
/// older backup and they are gone with the newer one. They count as acknowledged — or what
/// the device still holds would never be — and the gap is audited for a supervisor.
fn released_before(tx: Sql<'_>, device_id: &str, from: u64) -> Result<()> {
    let Ok(released) = i64::try_from(from.saturating_sub(1)) else {
        return Ok(());
    };
    let acked: i64 = tx.query_row(
        "SELECT acked_through_seq FROM devices WHERE id = ?1",
        &[&device_id],
        |r| r.get(0),
    )?;
    if released <= acked {
        return Ok(());
    }
    tx.execute(
        "UPDATE devices SET acked_through_seq = ?2 WHERE id = ?1",
        &[&device_id, &released],
    )?;
    audit::record(
        tx,
        None,
        Some(device_id),
        "sync.gap",
        &format!("device:{device_id}"),
        &format!(
            "items {} to {released} were released by the phone under a backup this server was not restored from; they are not here",
            acked + 1
        ),
    )
}

/// Moves the device's acknowledgement over every contiguous recorded item.
pub(super) fn advance_ack(tx: Sql<'_>, device_id: &str) -> Result<i64> {
    let mut acked: i64 = tx.query_row(
        "SELECT acked_through_seq FROM devices WHERE id = ?1",
        &[&device_id],
        |r| r.get(0),
    )?;
    let seqs: Vec<i64> = tx.query_map(
        "SELECT device_seq FROM device_items WHERE device_id = ?1 AND device_seq > ?2 ORDER BY device_seq",
        &[&device_id, &acked],
        |r| r.get(0),
    )?;
    for s in seqs {
        if s != acked + 1 {
            break;
        }
        acked = s;
    }
    tx.execute(
        "UPDATE devices SET acked_through_seq = ?2 WHERE id = ?1",
        &[&device_id, &acked],
    )?;
    Ok(acked)
}

/// The push, status and pull side of sync (DESIGN.md, Sync).
pub trait SyncStore {
    /// Applies a push batch from `device` in one transaction. `today` is the date the
    /// answers' `today()` means (the server's, with a day of slack for time zones).
    fn push(&self, device: &Device, req: &PushRequest, today: Date) -> Result<PushResponse>;

    /// Imports a device's exported file (its push request) for user `by`: the same path as a
    /// push, audited as `sync.import` by that user in the same transaction; every item,
    /// however many, in push-sized batches of `MAX_BATCH_ITEMS`, each its own transaction.
    fn import(
        &self,
        by: i64,
        device: &Device,
        req: &PushRequest,
        today: Date,
    ) -> Result<PushResponse>;

    fn sync_status(&self, device: &Device) -> Result<SyncStatus>;

    /// Forms, settlements, and corrections newer than `cursor` for responses this device sent
    /// (kept, or quarantined and then released by a supervisor).
    fn pull(&self, device: &Device, cursor: i64) -> Result<PullResponse>;

    /// How many push batches (imports and OpenRosa submissions included) this process has
    /// stored since it started: the background projector yields to them.
    fn pushes(&self) -> u64;
}

impl SyncStore for Db {
    fn push(&self, device: &Device, req: &PushRequest, today: Date) -> Result<PushResponse> {
        self.apply_batch(device, &req.items, req.held_from, today, None)
    }

    fn import(
        &self,
        by: i64,
        device: &Device,
        req: &PushRequest,
        today: Date,
    ) -> Result<PushResponse> {
        // An exported file holds all the phone kept, which may be more than one push takes:
        // it goes in push-sized batches, each committed (and acknowledged) on its own.
        let mut batches = req.items.chunks(MAX_BATCH_ITEMS);
        let first = batches.next().unwrap_or_default();
        let mut answer = self.apply_batch(device, first, req.held_from, today, Some(by))?;
        for batch in batches {
            let more = self.apply_batch(device, batch, req.held_from, today, Some(by))?;
            answer.acked_through_seq = more.acked_through_seq;
            answer.results.extend(more.results);
        }
        Ok(answer)
    }

    fn sync_status(&self, device: &Device) -> Result<SyncStatus> {
        let epoch = self.epoch()?;
        self.read(|c| {
            let (stored, quarantined): (i64, i64) = c.query_row(
                "SELECT COUNT(CASE WHEN status <> 'quarantined' THEN 1 END), COUNT(CASE WHEN status = 'quarantined' THEN 1 END)
                 FROM device_items WHERE device_id = ?1",
                &[&device.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let (acked, backed_up): (i64, i64) = c.query_row(
                "SELECT acked_through_seq, backed_up_through_seq FROM devices WHERE id = ?1", &[&device.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(SyncStatus {
                device_id: device.id.clone(),
                server_epoch: epoch,
                acked_through_seq: acked,
                backed_up_through_seq: backed_up,
                stored,
                quarantined,
                revoked: device.revoked_at.is_some(),
            })
        })
    }

    fn pushes(&self) -> u64 {
        self.pushes.load(Ordering::Relaxed)
    }

    fn pull(&self, device: &Device, cursor: i64) -> Result<PullResponse> {
        let server_epoch = self.epoch()?;
        let forms = self.forms()?;
        let settlements = self.settlements()?;
        let corrections = self.read(|c| {
            c.query_map(
                "SELECT r.seq, r.response_id, r.rev, r.parent_rev, r.form_id, r.form_version, r.payload,
                   (SELECT q.rev FROM quarantine q WHERE q.device_id = ?1 AND q.response_id = r.response_id AND q.released_rev = r.rev LIMIT 1)
                 FROM revisions r
                 WHERE r.seq > ?2 AND r.author_id IS NOT NULL
                   AND (EXISTS (SELECT 1 FROM revisions o WHERE o.response_id = r.response_id AND o.device_id = ?1)
                        OR EXISTS (SELECT 1 FROM quarantine q WHERE q.device_id = ?1 AND q.response_id = r.response_id))
                 ORDER BY r.seq LIMIT 500",
                &[&device.id, &cursor],
                |r| {
                Ok(Correction {
                    server_seq: r.get(0)?,
                    response_id: r.get(1)?,
                    rev: r.get(2)?,
                    parent_rev: r.get(3)?,
                    form_id: r.get(4)?,
                    form_version: r.get(5)?,
                    payload: r.get(6)?,
                    releases: r.get(7)?,
                })
            })
        })?;
        let cursor = corrections.last().map_or(cursor, |c| c.server_seq);
        // Every interview of this phone a supervisor sent back or rejected, as it stands now,
        // with the review's comment: the whole list each time (it is short), so nothing needs
        // a cursor and a review taken back disappears from the phone.
        let reviews = self.read(|c| {
            c.query_map(
                "SELECT p.response_id, p.review_state, e.comment, e.at FROM responses p
                 JOIN review_events e ON e.id = (SELECT MAX(id) FROM review_events x WHERE x.response_id = p.response_id)
                 WHERE p.review_state IN ('has_issues', 'rejected')
                   AND (EXISTS (SELECT 1 FROM revisions o WHERE o.response_id = p.response_id AND o.device_id = ?1)
                        OR EXISTS (SELECT 1 FROM quarantine q WHERE q.device_id = ?1 AND q.response_id = p.response_id))
                 ORDER BY p.response_id LIMIT 1000",
                &[&device.id],
                |r| {
                Ok(ReviewNote {
                    response_id: r.get(0)?,
                    state: super::review::review_state(r, 1)?,
                    comment: r.get(2)?,
                    at: r.get(3)?,
                })
            })
        })?;
        Ok(PullResponse {
            server_epoch,
            cursor,
            forms,
            settlements,
            corrections,
            reviews,
        })
    }
}
