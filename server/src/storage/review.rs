//! Supervisor review: listing and reading responses, review states, corrections (new
//! revisions written on the server, which the device pulls), and conflict resolution.

use std::collections::HashMap;

use baraza_schema::api::{
    DeviceProgress, Fieldwork, Progress, QuarantinedItem, ResponseDetail, ResponseFilter,
    ResponseSort, ResponseSummary, ReviewEvent, ReviewState, RevisionView, Settlement,
};
use baraza_schema::attachment::{self, Attachment};
use baraza_schema::wire::{self, PushItem};
use baraza_schema::{Date, Issue, progress};

use super::attachments;
use super::forms::FormStore;
use super::sql::{Param, Row, Sql, named};
use super::sync::{Named, Stored, insert_revision, lock_response, refresh_response};
use super::{Caller, Db, Result, Role, StoreError, audit, now};

/// The account whose device first sent a response (read from `responses`, unaliased).
macro_rules! first_sender {
    () => {
        "(SELECT u.username FROM revisions f JOIN devices d ON d.id = f.device_id JOIN users u ON u.id = d.user_id
          WHERE f.response_id = responses.response_id ORDER BY f.seq LIMIT 1)"
    };
}
const FIRST_SENDER: &str = first_sender!();

const SUMMARY_COLUMNS: &str = concat!(
    "response_id, form_id, form_version, head_rev, settlement, review_state, conflict, missing_parent, updated_at, ",
    first_sender!()
);

fn summary_row(r: &Row<'_>) -> Result<ResponseSummary> {
    Ok(ResponseSummary {
        response_id: r.get(0)?,
        form_id: r.get(1)?,
        form_version: r.get(2)?,
        head_rev: r.get(3)?,
        settlement: r.get(4)?,
        review_state: review_state(r, 5)?,
        conflict: r.get::<i64>(6)? != 0,
        missing_parent: r.get::<i64>(7)? != 0,
        updated_at: r.get(8)?,
        enumerator: r.get(9)?,
        answers: Default::default(),
    })
}

/// A stored review state; a name the server does not know is an error, never a guess.
pub(super) fn review_state(r: &Row<'_>, i: usize) -> Result<ReviewState> {
    let name: String = r.get(i)?;
    ReviewState::parse(&name)
        .ok_or_else(|| StoreError::Invalid(format!("column {i}: unknown review state {name:?}")))
}

/// Supervisors see only their settlements; admins see everything.
fn scope_clause(caller: &Caller) -> String {
    scope_of(caller, "settlement")
}

/// Answers that keep the form's rules, with the files they name.
type Checked = (serde_json::Value, Vec<Attachment>);

/// Answers a supervisor wrote (a correction, a merge, a fixed quarantined item), checked with
/// the form's rules: the parsed answers with the files they name, or the rules they break.
fn check_answers(
    form: &baraza_schema::Form,
    payload: &str,
    today: Date,
) -> Result<std::result::Result<Checked, Vec<Issue>>> {
    let answers: serde_json::Value = serde_json::from_str(payload)
        .map_err(|e| StoreError::Invalid(format!("the answers are not JSON: {e}")))?;
    let mut issues = baraza_schema::validate(form, &answers, today);
    let files = attachment::files(form, &answers).unwrap_or_else(|clash| {
        issues.push(clash);
        Vec::new()
    });
    Ok(if issues.is_empty() {
        Ok((answers, files))
    } else {
        Err(issues)
    })
}

/// Stores a revision a supervisor wrote (no device) and brings the response's head up to
/// date, in the caller's transaction (the report sums follow: `ReportStore::project`). A
/// supervisor cannot move an interview into a settlement that is not theirs (it would leave
/// their sight and enter another's).
fn store_supervisor_revision(
    tx: Sql<'_>,
    item: &PushItem,
    named: Named<'_>,
    caller: &Caller,
) -> Result<()> {
    if caller.role != Role::Admin
        && let Some(code) = named.settlement
    {
        let mine: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM supervisor_settlements WHERE user_id = ?1 AND settlement = ?2)",
            &[&caller.user_id, &code],
            |r| r.get(0),
        )?;
        if !mine {
            return Err(StoreError::Invalid(format!(
                "settlement {code} is not one of yours; an admin can move the interview there"
            )));
        }
    }
    let seq = insert_revision(tx, item, named, None, None, Some(caller.user_id), &now())?;
    let stored = Stored {
        item,
        seq,
        settlement: named.settlement,
    };
    refresh_response(tx, stored, false)?;
    Ok(())
}

const QUARANTINE_COLUMNS: &str = "id, device_id, device_seq, response_id, rev, settlement, code, detail, item, received_at, dismissed, released_rev";

fn quarantine_row(r: &Row<'_>) -> Result<QuarantinedItem> {
    Ok(QuarantinedItem {
        id: r.get(0)?,
        device_id: r.get(1)?,
        device_seq: r.get(2)?,
        response_id: r.get(3)?,
        rev: r.get(4)?,
        settlement: r.get(5)?,
        code: r.get(6)?,
        detail: r.get(7)?,
        item: r.get(8)?,
        received_at: r.get(9)?,
        dismissed: r.get(10)?,
        released_rev: r.get(11)?,
    })
}

/// The scope as a condition on the settlement in `column` (bound to `:caller`).
pub(super) fn scope_of(caller: &Caller, column: &str) -> String {
    match caller.role {
        Role::Admin => "(:caller = :caller)".into(),
        _ => format!(
            "{column} IN (SELECT settlement FROM supervisor_settlements WHERE user_id = :caller)"
        ),
    }
}

/// A head as the progress screen reads it, with the account of the device that first sent it.
struct Head {
    response_id: String,
    form_id: String,
    settlement: Option<String>,
    review_state: ReviewState,
    payload: String,
    enumerator: Option<String>,
}

/// Supervisor review: responses, review states, corrections, conflicts, quarantine.
pub trait ReviewStore {
    /// The fieldwork's progress in the caller's settlements (`schema::progress`): household
    /// interviews by review state against targets, per enumerator and day, the devices that
    /// sent them, and the flags.
    fn progress(&self, caller: &Caller) -> Result<Progress>;

    /// The fieldwork's days (for the progress screen's "outside the fieldwork" flag).
    fn fieldwork(&self) -> Result<Fieldwork>;

    /// Sets the fieldwork's days (admins), audited; a day that is not a date, or an end before
    /// the beginning, is refused with a sentence.
    fn set_fieldwork(&self, fieldwork: &Fieldwork, by: i64) -> Result<Fieldwork>;

    /// Quarantined items, oldest first, after the id `after`. Supervisors see those naming
    /// their settlements; items whose settlement is unknown are for admins.
    fn quarantined(&self, caller: &Caller, limit: u32, after: i64) -> Result<Vec<QuarantinedItem>>;

    /// Dismisses a quarantined item the caller may see, with a reason (kept with the item,
    /// which is never deleted, and audited). Dismissing twice is a conflict.
    fn dismiss_quarantined(
        &self,
        caller: &Caller,
        id: i64,
        reason: &str,
    ) -> Result<QuarantinedItem>;

    /// Releases a quarantined item the caller may see as a valid revision: its answers, fixed
    /// by a supervisor, must pass its form version's rules (else the issues); they are stored
    /// on top of the response's head (or as its first revision) by the supervisor, and the
    /// item, kept, names that revision. Only an item that names its form can be released.
    fn release_quarantined(
        &self,
        caller: &Caller,
        id: i64,
        answers: &str,
        today: Date,
    ) -> Result<std::result::Result<QuarantinedItem, Vec<Issue>>>;

    fn list_responses(&self, caller: &Caller, f: &ResponseFilter) -> Result<Vec<ResponseSummary>>;

    /// One response with all its revisions, if the caller may see it.
    fn response(&self, caller: &Caller, response_id: &str) -> Result<ResponseDetail>;

    /// `received → has_issues | approved | rejected` (and back to review from any of them),
    /// with a comment.
    fn set_review_state(
        &self,
        caller: &Caller,
        response_id: &str,
        state: ReviewState,
        comment: &str,
    ) -> Result<ResponseSummary>;

    /// Writes a supervisor's corrected payload as a new revision on top of `base_rev` (the
    /// head they edited; a stale base is refused rather than silently overwriting). The
    /// payload must pass the form's rules; the device pulls it.
    fn correct_response(
        &self,
        caller: &Caller,
        response_id: &str,
        base_rev: &str,
        payload: &str,
        today: Date,
    ) -> Result<std::result::Result<ResponseSummary, Vec<Issue>>>;

    /// Resolves a conflict by choosing one revision's content, or answers `merged` field by
    /// field from the leaves (which must pass the form's rules): the other leaves are marked
    /// superseded (they stay in history) and the content is written as a new revision on top
    /// of the current winner, so the response has one head again and devices pull it.
    fn resolve_conflict(
        &self,
        caller: &Caller,
        response_id: &str,
        chosen_rev: &str,
        merged: Option<&str>,
        today: Date,
    ) -> Result<std::result::Result<ResponseSummary, Vec<Issue>>>;
}

impl ReviewStore for Db {
    fn fieldwork(&self) -> Result<Fieldwork> {
        self.read(|c| {
            Ok(Fieldwork {
                from: super::get_meta(c, "fieldwork_from")?,
                to: super::get_meta(c, "fieldwork_to")?,
            })
        })
    }

    fn set_fieldwork(&self, fieldwork: &Fieldwork, by: i64) -> Result<Fieldwork> {
        let (from, to) = fieldwork.days().map_err(StoreError::Invalid)?;
        let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
        self.write(|tx| {
            for (key, day) in [("fieldwork_from", &from), ("fieldwork_to", &to)] {
                match day {
                    Some(d) => super::set_meta(tx, key, d)?,
                    None => super::delete_meta(tx, key)?,
                }
            }
            let shown = |d: &Option<String>| d.clone().unwrap_or_else(|| "…".into());
            audit::record(
                tx,
                Some(by),
                None,
                "settings.fieldwork",
                "fieldwork",
                &format!("{} to {}", shown(&from), shown(&to)),
            )
        })?;
        self.fieldwork()
    }

    fn progress(&self, caller: &Caller) -> Result<Progress> {
        let fieldwork = self.fieldwork()?.days().unwrap_or_default();
        let scope = scope_clause(caller);
        let frame = super::settlements::SettlementStore::settlements(self)?;
        let (settlements, quarantined, rows, devices) = self.read(|c| {
            let me: [(&str, &dyn Param); 1] = [(":caller", &caller.user_id)];
            let (sql, p) = named(&format!("SELECT code FROM settlements WHERE {}", scope_of(caller, "code")), &me);
            let mine: Vec<String> = c.query_map(&sql, &p, |r| r.get(0))?;
            let settlements: Vec<Settlement> =
                frame.into_iter().filter(|s| mine.contains(&s.code)).collect();
            let (sql, p) = named(
                &format!(
                    "SELECT settlement, COUNT(*) FROM quarantine
                     WHERE resolved = 0 AND settlement IS NOT NULL AND {scope} GROUP BY settlement"
                ),
                &me,
            );
            let quarantined: HashMap<String, i64> =
                c.query_map(&sql, &p, |r| Ok((r.get(0)?, r.get(1)?)))?.into_iter().collect();
            let (sql, p) = named(&format!(
                "SELECT r.response_id, r.form_id, r.settlement, r.review_state, v.payload,
                        (SELECT u.username FROM revisions f JOIN devices d ON d.id = f.device_id JOIN users u ON u.id = d.user_id
                         WHERE f.response_id = r.response_id ORDER BY f.seq LIMIT 1)
                 FROM responses r JOIN revisions v ON v.seq = r.head_seq WHERE {}",
                scope_of(caller, "r.settlement")
            ), &me);
            let rows: Vec<Head> = c.query_map(&sql, &p, |r| {
                Ok(Head {
                    response_id: r.get(0)?,
                    form_id: r.get(1)?,
                    settlement: r.get(2)?,
                    review_state: review_state(r, 3)?,
                    payload: r.get(4)?,
                    enumerator: r.get(5)?,
                })
            })?;
            let (sql, p) = named(&format!(
                "SELECT d.id, u.username, (SELECT MAX(received_at) FROM revisions WHERE device_id = d.id),
                        d.acked_through_seq, d.backed_up_through_seq, d.revoked_at IS NOT NULL
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE {}
                 ORDER BY u.username, d.id",
                // The devices the caller manages (`devices::device_scope`).
                super::devices::device_scope(caller)
            ), &me);
            let devices: Vec<DeviceProgress> = c.query_map(&sql, &p, |r| {
                Ok(DeviceProgress {
                    device_id: r.get(0)?,
                    username: r.get(1)?,
                    last_upload: r.get(2)?,
                    acked_through_seq: r.get(3)?,
                    backed_up_through_seq: r.get(4)?,
                    revoked: r.get(5)?,
                })
            })?;
            Ok((settlements, quarantined, rows, devices))
        })?;
        let answers: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::from_str(&r.payload).unwrap_or_default())
            .collect();
        let interviews: Vec<progress::Interview<'_>> = rows
            .iter()
            .zip(&answers)
            .map(|(r, a)| progress::Interview {
                response_id: &r.response_id,
                form_id: &r.form_id,
                settlement: r.settlement.as_deref(),
                review_state: r.review_state,
                enumerator: r.enumerator.as_deref(),
                answers: a,
            })
            .collect();
        Ok(progress::summarize(
            &settlements,
            &quarantined,
            &interviews,
            devices,
            fieldwork,
        ))
    }

    fn quarantined(&self, caller: &Caller, limit: u32, after: i64) -> Result<Vec<QuarantinedItem>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id > :after AND {} ORDER BY id LIMIT :limit",
                scope_clause(caller)
            );
            let limit = limit.min(1000);
            let (sql, p) = named(
                &sql,
                &[(":after", &after), (":limit", &limit), (":caller", &caller.user_id)],
            );
            c.query_map(&sql, &p, quarantine_row)
        })
    }

    fn dismiss_quarantined(
        &self,
        caller: &Caller,
        id: i64,
        reason: &str,
    ) -> Result<QuarantinedItem> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("say why the item is dismissed".into()));
        }
        self.write(|tx| {
            let sql = format!(
                "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = :id AND {}",
                scope_clause(caller)
            );
            let (sql, p) = named(&sql, &[(":id", &id), (":caller", &caller.user_id)]);
            let item = tx
                .query_opt(&sql, &p, quarantine_row)?
                .ok_or_else(|| StoreError::NotFound(format!("quarantined item {id}")))?;
            if item.dismissed.is_some() || item.released_rev.is_some() {
                return Err(StoreError::Conflict(format!(
                    "quarantined item {id} is already resolved"
                )));
            }
            tx.execute(
                "UPDATE quarantine SET resolved = 1, dismissed = ?2 WHERE id = ?1",
                &[&id, &reason],
            )?;
            audit::record(
                tx,
                Some(caller.user_id),
                None,
                "quarantine.dismiss",
                &format!("quarantine:{id}"),
                reason,
            )?;
            Ok(QuarantinedItem {
                dismissed: Some(reason.to_owned()),
                ..item
            })
        })
    }

    fn release_quarantined(
        &self,
        caller: &Caller,
        id: i64,
        answers: &str,
        today: Date,
    ) -> Result<std::result::Result<QuarantinedItem, Vec<Issue>>> {
        let sql = format!(
            "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = :id AND {}",
            scope_clause(caller)
        );
        let item = self
            .read(|c| {
                let (sql, p) = named(&sql, &[(":id", &id), (":caller", &caller.user_id)]);
                c.query_opt(&sql, &p, quarantine_row)
            })?
            .ok_or_else(|| StoreError::NotFound(format!("quarantined item {id}")))?;
        if item.dismissed.is_some() || item.released_rev.is_some() {
            return Err(StoreError::Conflict(format!(
                "quarantined item {id} is already resolved"
            )));
        }
        let held: PushItem = serde_json::from_str(&item.item).map_err(|_| {
            StoreError::Invalid(format!(
                "quarantined item {id} names no form, so it cannot be released; dismiss it"
            ))
        })?;
        let Some((form, _)) = self.form_for_validation(&held.form_id, &held.form_version)? else {
            return Err(StoreError::Invalid(format!(
                "form {}@{} is not published here, so the item cannot be released; dismiss it",
                held.form_id, held.form_version
            )));
        };
        let (parsed, files) = match check_answers(&form, answers, today)? {
            Ok(checked) => checked,
            Err(issues) => return Ok(Err(issues)),
        };
        let settlement = parsed
            .get("settlement")
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        let response_id = held.response_id.clone();
        self.write(|tx| {
            let head: Option<String> = tx.query_opt(
                "SELECT head_rev FROM responses WHERE response_id = ?1",
                &[&response_id],
                |r| r.get(0),
            )?;
            let revision = PushItem {
                device_seq: 0,
                rev: wire::rev(
                    head.as_deref(),
                    &held.form_id,
                    &held.form_version,
                    answers.as_bytes(),
                ),
                parent_rev: head,
                content_hash: wire::content_hash(answers.as_bytes()),
                payload: answers.to_owned(),
                saved_at: None,
                ..held.clone()
            };
            store_supervisor_revision(
                tx,
                &revision,
                Named {
                    settlement: settlement.as_deref(),
                    files: &files,
                },
                caller,
            )?;
            tx.execute(
                "UPDATE quarantine SET resolved = 1, released_rev = ?2 WHERE id = ?1",
                &[&id, &revision.rev],
            )?;
            audit::record(
                tx,
                Some(caller.user_id),
                None,
                "quarantine.release",
                &format!("quarantine:{id}"),
                &format!("response:{response_id} as {}", revision.rev),
            )?;
            Ok(Ok(QuarantinedItem {
                released_rev: Some(revision.rev.clone()),
                ..item.clone()
            }))
        })
    }

    fn list_responses(&self, caller: &Caller, f: &ResponseFilter) -> Result<Vec<ResponseSummary>> {
        // The column comes from a closed list, never from the request's text.
        let column = match f.sort.unwrap_or(ResponseSort::ResponseId) {
            ResponseSort::ResponseId => "response_id",
            ResponseSort::Form => "form_id",
            ResponseSort::Settlement => "settlement",
            ResponseSort::Enumerator => FIRST_SENDER,
            ResponseSort::ReviewState => "review_state",
            ResponseSort::UpdatedAt => "updated_at",
        };
        let way = if f.desc == Some(true) { "DESC" } else { "ASC" };
        let wanted: Vec<&str> = f
            .answers
            .as_deref()
            .map(|a| {
                a.split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if wanted.len() > 10 {
            return Err(StoreError::Invalid(
                "at most ten answers may be asked for as columns".into(),
            ));
        }
        let order = format!("{column} {way}, response_id {way}");
        self.read(|c| {
            c.plan_each_call()?;
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS}, CASE WHEN :answers = 1 THEN (SELECT payload FROM revisions WHERE seq = responses.head_seq) END
                 FROM responses
                 WHERE {} AND (:form IS NULL OR form_id = :form) AND (:settlement IS NULL OR settlement = :settlement)
                   AND (:state IS NULL OR review_state = :state) AND (:conflict IS NULL OR conflict = :conflict)
                   AND (:after IS NULL OR response_id > :after)
                   AND (:enumerator IS NULL OR {FIRST_SENDER} = :enumerator)
                   AND (:from IS NULL OR substr(updated_at, 1, 10) >= :from) AND (:to IS NULL OR substr(updated_at, 1, 10) <= :to)
                 ORDER BY {order} LIMIT :limit OFFSET :offset",
                scope_clause(caller)
            );
            let limit = f.limit.unwrap_or(100).min(1000);
            let (state, offset, answers) = (f.review_state.map(ReviewState::as_str), f.offset.unwrap_or(0), !wanted.is_empty());
            let (sql, p) = named(
                &sql,
                &[
                    (":caller", &caller.user_id), (":form", &f.form_id), (":settlement", &f.settlement), (":state", &state),
                    (":conflict", &f.conflict), (":after", &f.after), (":limit", &limit), (":offset", &offset),
                    (":answers", &answers),
                    (":enumerator", &f.enumerator), (":from", &f.from), (":to", &f.to),
                ],
            );
            c.query_map(
                &sql,
                &p,
                |r| {
                    let mut summary = summary_row(r)?;
                    if let Some(payload) = r.get::<Option<String>>(10)?
                        && let Ok(serde_json::Value::Object(mut answers)) = serde_json::from_str(&payload)
                    {
                        summary.answers = wanted
                            .iter()
                            .filter_map(|name| Some((name.to_string(), answers.remove(*name)?)))
                            .collect();
                    }
                    Ok(summary)
                },
            )
        })
    }

    fn response(&self, caller: &Caller, response_id: &str) -> Result<ResponseDetail> {
        self.read(|c| {
            let sql = format!("SELECT {SUMMARY_COLUMNS} FROM responses WHERE response_id = :id AND {}", scope_clause(caller));
            let (sql, p) = named(&sql, &[(":id", &response_id), (":caller", &caller.user_id)]);
            let summary = c
                .query_opt(&sql, &p, summary_row)?
                .ok_or_else(|| StoreError::NotFound(format!("response {response_id}")))?;
            let mut revisions = c
                .query_map("SELECT seq, rev, parent_rev, device_id, author_id, saved_at, received_at, payload FROM revisions WHERE response_id = ?1 ORDER BY seq", &[&response_id], |r| {
                    Ok(RevisionView {
                        server_seq: r.get(0)?,
                        rev: r.get(1)?,
                        parent_rev: r.get(2)?,
                        device_id: r.get(3)?,
                        author_id: r.get(4)?,
                        saved_at: r.get(5)?,
                        received_at: r.get(6)?,
                        payload: r.get(7)?,
                        attachments: Vec::new(),
                    })
                })?;
            for v in &mut revisions {
                v.attachments = attachments::of_revision(c, v.server_seq)?;
            }
            let events = c
                .query_map("SELECT state, comment, user_id, at FROM review_events WHERE response_id = ?1 ORDER BY id", &[&response_id], |r| {
                    Ok(ReviewEvent { state: review_state(r, 0)?, comment: r.get(1)?, user_id: r.get(2)?, at: r.get(3)? })
                })?;
            Ok(ResponseDetail { summary, revisions, events })
        })
    }

    fn set_review_state(
        &self,
        caller: &Caller,
        response_id: &str,
        state: ReviewState,
        comment: &str,
    ) -> Result<ResponseSummary> {
        let state = state.as_str();
        self.response(caller, response_id)?;
        self.write(|tx| {
            lock_response(tx, response_id)?;
            tx.execute("UPDATE responses SET review_state = ?2, updated_at = ?3 WHERE response_id = ?1", &[&response_id, &state, &now()])?;
            tx.execute(
                "INSERT INTO review_events (response_id, state, comment, user_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[&response_id, &state, &comment, &caller.user_id, &now()],
            )?;
            audit::record(tx, Some(caller.user_id), None, "review.state", &format!("response:{response_id}"), state)?;
            tx.query_row(&format!("SELECT {SUMMARY_COLUMNS} FROM responses WHERE response_id = ?1"), &[&response_id], summary_row)
        })
    }

    fn correct_response(
        &self,
        caller: &Caller,
        response_id: &str,
        base_rev: &str,
        payload: &str,
        today: Date,
    ) -> Result<std::result::Result<ResponseSummary, Vec<Issue>>> {
        let detail = self.response(caller, response_id)?;
        let head = &detail.summary;
        if head.head_rev != base_rev {
            return Err(StoreError::Conflict(format!(
                "the response has changed: its head is now {}, not {base_rev}",
                head.head_rev
            )));
        }
        let Some((form, _)) = self.form_for_validation(&head.form_id, &head.form_version)? else {
            return Err(StoreError::NotFound(format!(
                "form {}@{}",
                head.form_id, head.form_version
            )));
        };
        let (answers, files) = match check_answers(&form, payload, today)? {
            Ok(checked) => checked,
            Err(issues) => return Ok(Err(issues)),
        };
        let item = PushItem {
            device_seq: 0,
            response_id: response_id.to_owned(),
            rev: wire::rev(
                Some(base_rev),
                &head.form_id,
                &head.form_version,
                payload.as_bytes(),
            ),
            parent_rev: Some(base_rev.to_owned()),
            form_id: head.form_id.clone(),
            form_version: head.form_version.clone(),
            content_hash: wire::content_hash(payload.as_bytes()),
            payload: payload.to_owned(),
            saved_at: None,
        };
        let settlement = answers
            .get("settlement")
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        self.write(|tx| {
            // Checked again under the write lock: a revision that arrived since the check
            // above must not be silently built over.
            let head_now: String = tx.query_row(
                "SELECT head_rev FROM responses WHERE response_id = ?1",
                &[&response_id],
                |r| r.get(0),
            )?;
            if head_now != base_rev {
                return Err(StoreError::Conflict(format!(
                    "the response has changed: its head is now {head_now}, not {base_rev}"
                )));
            }
            store_supervisor_revision(
                tx,
                &item,
                Named {
                    settlement: settlement.as_deref(),
                    files: &files,
                },
                caller,
            )?;
            audit::record(
                tx,
                Some(caller.user_id),
                None,
                "review.correct",
                &format!("response:{response_id}"),
                &item.rev,
            )?;
            Ok(Ok(tx.query_row(
                &format!("SELECT {SUMMARY_COLUMNS} FROM responses WHERE response_id = ?1"),
                &[&response_id],
                summary_row,
            )?))
        })
    }

    fn resolve_conflict(
        &self,
        caller: &Caller,
        response_id: &str,
        chosen_rev: &str,
        merged: Option<&str>,
        today: Date,
    ) -> Result<std::result::Result<ResponseSummary, Vec<Issue>>> {
        let detail = self.response(caller, response_id)?;
        let s = &detail.summary;
        if !s.conflict {
            return Err(StoreError::Conflict(format!(
                "response {response_id} has no conflict to resolve"
            )));
        }
        let chosen = detail
            .revisions
            .iter()
            .find(|r| r.rev == chosen_rev)
            .ok_or_else(|| StoreError::NotFound(format!("revision {chosen_rev}")))?;
        let Some((form, _)) = self.form_for_validation(&s.form_id, &s.form_version)? else {
            return Err(StoreError::NotFound(format!(
                "form {}@{}",
                s.form_id, s.form_version
            )));
        };
        let (payload, files) = match merged {
            // The chosen side was checked when it was stored.
            None => (
                chosen.payload.as_str(),
                serde_json::from_str(&chosen.payload)
                    .ok()
                    .and_then(|answers| attachment::files(&form, &answers).ok())
                    .unwrap_or_default(),
            ),
            Some(merged) => match check_answers(&form, merged, today)? {
                Ok((_, files)) => (merged, files),
                Err(issues) => return Ok(Err(issues)),
            },
        };
        let item = PushItem {
            device_seq: 0,
            response_id: response_id.to_owned(),
            rev: wire::rev(
                Some(&s.head_rev),
                &s.form_id,
                &s.form_version,
                payload.as_bytes(),
            ),
            parent_rev: Some(s.head_rev.clone()),
            form_id: s.form_id.clone(),
            form_version: s.form_version.clone(),
            content_hash: wire::content_hash(payload.as_bytes()),
            payload: payload.to_owned(),
            saved_at: None,
        };
        self.write(|tx| {
            // Checked again under the write lock: a revision that arrived since the supervisor
            // looked must not be superseded unseen.
            let held: usize = tx.query_row("SELECT COUNT(*) FROM revisions WHERE response_id = ?1", &[&response_id], |r| r.get(0))?;
            if held != detail.revisions.len() {
                return Err(StoreError::Conflict(format!("response {response_id} received a new revision while it was being resolved; look again")));
            }
            tx.execute(
                "UPDATE revisions SET superseded = 1 WHERE response_id = ?1 AND rev != ?2
                   AND NOT EXISTS (SELECT 1 FROM revisions c WHERE c.response_id = revisions.response_id AND c.parent_rev = revisions.rev)",
                &[&response_id, &s.head_rev],
            )?;
            // The settlement the written answers name (a merge may take the other side's).
            let settlement = serde_json::from_str::<serde_json::Value>(payload)
                .ok()
                .and_then(|a| a.get("settlement")?.as_str().map(str::to_owned))
                .or_else(|| s.settlement.clone());
            store_supervisor_revision(tx, &item, Named { settlement: settlement.as_deref(), files: &files }, caller)?;
            let how = if merged.is_some() { format!("merged, from {chosen_rev}") } else { chosen_rev.to_owned() };
            audit::record(tx, Some(caller.user_id), None, "review.resolve", &format!("response:{response_id}"), &how)?;
            Ok(Ok(tx.query_row(&format!("SELECT {SUMMARY_COLUMNS} FROM responses WHERE response_id = ?1"), &[&response_id], summary_row)?))
        })
    }
}
