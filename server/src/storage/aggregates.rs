//! Incremental report aggregates. A push, a review or a correction only records a response's
//! new head or review state; `ReportStore::project` then folds what changed into the aggregates after
//! the acknowledgement: the old head's contributions subtracted, the new head's added, many
//! interviews merged per cell before each write, and the head counted recorded in the same
//! transaction (`responses.projected_seq`, `projected_state`), so each is counted exactly
//! once. Reports fold first, so they include every change committed before they were asked
//! for. Which review states count is a setting (`report_states`, default: everything but
//! `rejected`); changing it rebuilds the aggregates from the stored heads in one transaction.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use baraza_schema::reports::lattice::{self, Area, Lattice, Place};
use baraza_schema::reports::{self, ReportCell, Sink, StratumSums, labels};

use super::forms::{FormCache, FormStore, form_in_tx};
use super::settlements::SettlementStore;
use super::sql::{Array, Param, Sql};
use baraza_schema::api::Report;
use baraza_schema::date::{Month, Quarter};

use super::{Db, ReportQuery, Result, ReviewState, StoreError, delete_meta, get_meta};

/// Counted unless set otherwise: everything not rejected.
const DEFAULT_COUNTED: [ReviewState; 3] = [
    ReviewState::Received,
    ReviewState::HasIssues,
    ReviewState::Approved,
];

const SETTING: &str = "report_states";

const CUTS: &str = "income_quintile_cuts";
const TARIFF: &str = "utility_tariff_20l";
/// How many households and water actors the stored values rest on.
const CUTS_N: &str = "income_quintile_n";
const TARIFF_N: &str = "utility_tariff_n";

/// What contributions need besides the answers (the city-wide reference values), as stored.
fn context(c: Sql<'_>) -> Result<reports::Context> {
    let cuts = get_meta(c, CUTS)?.and_then(|v| {
        let xs: Vec<f64> = v.split(',').filter_map(|x| x.parse().ok()).collect();
        <[f64; 4]>::try_from(xs).ok()
    });
    let tariff = get_meta(c, TARIFF)?
        .and_then(|t| t.parse().ok())
        .filter(|t: &f64| *t > 0.0);
    Ok(reports::Context {
        quintile_cuts: cuts,
        tariff_20l: tariff,
    })
}

/// The utility's official water tariff per 20 litres: the median of what water actors (F3)
/// report as the official tariff, per 20 l or per m³; and how many reports it rests on.
fn official_tariff(tx: Sql<'_>) -> Result<(Option<f64>, u64)> {
    let mut tariffs: Vec<(f64, f64)> = Vec::new();
    tx.query_each(
        "SELECT v.payload FROM responses r JOIN revisions v ON v.seq = r.head_seq WHERE r.form_id = ?1",
        &[&"baraza_f3_service_actors"],
        |r| {
            let answers: serde_json::Value =
                serde_json::from_str(&r.get::<String>(0)?).unwrap_or_default();
            tariffs.extend(reports::official_tariffs_20l(&answers).map(|t| (t, 1.0)));
            Ok(())
        },
    )?;
    Ok((
        baraza_schema::stats::weighted_quantile(&tariffs, 0.5),
        tariffs.len() as u64,
    ))
}

/// The review states whose responses count in reports, as stored.
fn counted_states(c: Sql<'_>) -> Result<Vec<ReviewState>> {
    Ok(match get_meta(c, SETTING)? {
        Some(v) => v.split(',').filter_map(ReviewState::parse).collect(),
        None => DEFAULT_COUNTED.to_vec(),
    })
}

/// The settings every contribution is computed under. Changing either rebuilds the
/// aggregates, so a fold computed under other rules is not written.
#[derive(PartialEq)]
struct Rules {
    counted: Vec<ReviewState>,
    ctx: reports::Context,
}

fn current_rules(c: Sql<'_>) -> Result<Rules> {
    Ok(Rules {
        counted: counted_states(c)?,
        ctx: context(c)?,
    })
}

/// A response's settlement; `""` for forms that name none (F3 actors, F4 stakeholders),
/// whose contributions are city-wide.
fn settlement_of(answers: &serde_json::Value) -> String {
    answers
        .get("settlement")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_owned()
}

/// Responses read and folded at a time: their payloads are held meanwhile (500 household
/// interviews: about 2.5 MB).
const READ: i64 = 500;

/// Responses whose merged deltas one write transaction records: the more interviews of a
/// stratum merged, the fewer cells written per interview (a stratum has a few thousand
/// cells; one interview touches about 670). Their marks are held meanwhile (about 100 bytes
/// each). At 10,000 the 20,000 interviews of `baraza-bench --ingest` were two writes of
/// 268,000 cells each, at 40,000 one of 323,000: the projector 10,000–10,600 → 11,200–11,800
/// interviews/s on SQLite, 3,400–3,700 → 5,460–5,770 on PostgreSQL, whose writes are most of
/// a fold...
const WRITE: usize = 40_000;

/// ...unless their deltas reach this many cells first, which bounds a fold's memory (50–100
/// bytes a cell, 25–50 MB) whatever the data. 10,000 of the demo city's interviews touch
/// 268,000 cells, and 361,000 once the income quintiles are set (one more disaggregation);
/// 20,000 touch 323,000, and with the quintiles more than 400,000 and fewer than 500,000.
/// 150,000 split them into writes of 2,000–3,000 at 60 cells an interview (the projector:
/// 4,000–4,400 interviews/s then, 5,500–7,000 at 300,000 on one thread); 300,000 split the
/// quintiles' into writes of 6,000 at 50 (6,100–7,000/s on two threads, 8,870–9,010 at
/// 400,000); 400,000 split 20,000 of them in two (8,815–8,962/s, the fold's peak 32 MB over
/// where it began), 500,000 not (11,933–12,045/s, 38 MB).
const MAX_CELLS: usize = 500_000;

/// The responses the aggregates do not hold as they stand: their head or review state moved
/// since they were last counted. The same text as the partial index `responses_unprojected`,
/// which is what lets both engines find them without reading every response.
const UNPROJECTED: &str =
    "(projected_seq IS DISTINCT FROM head_seq OR projected_state IS DISTINCT FROM review_state)";

/// The advisory lock a fold's write and a rebuild take on PostgreSQL: one at a time across
/// servers (in one process, `Db::projecting`).
const PROJECTOR_LOCK: i64 = 1112688208;

/// A revision as the aggregates count it, in a review state.
struct Counted {
    state: String,
    form_id: String,
    version: String,
    payload: String,
}

/// A response folded: what the aggregates held for it (`projected`, as stored) and what they
/// hold once the fold is written (`head`).
struct Mark {
    response_id: String,
    projected: (Option<i64>, Option<String>),
    head: (i64, String),
}

/// A response to fold, with the revisions to subtract (`before`) and add (`after`).
struct Move {
    mark: Mark,
    before: Option<Counted>,
    after: Counted,
}

/// Up to `READ` responses after `after` (by id) to fold, with the payloads to fold them:
/// every response when `all` (a rebuild, which counts from nothing), else the unprojected.
fn moves(c: Sql<'_>, all: bool, after: &str) -> Result<Vec<Move>> {
    let sql = format!(
        "SELECT r.response_id, projected_seq, projected_state, p.form_id, p.form_version, p.payload,
                head_seq, review_state, h.form_id, h.form_version, h.payload
         FROM responses r
         JOIN revisions h ON h.seq = head_seq
         LEFT JOIN revisions p ON p.seq = projected_seq AND ?3 = 0
         WHERE r.response_id > ?1 AND {}
         ORDER BY r.response_id LIMIT ?2",
        if all { "1 = 1" } else { UNPROJECTED }
    );
    c.query_map(&sql, &[&after, &READ, &all], |r| {
        let projected: (Option<i64>, Option<String>) = (r.get(1)?, r.get(2)?);
        let head: (i64, String) = (r.get(6)?, r.get(7)?);
        let before = match (&projected.1, r.get::<Option<String>>(3)?) {
            (Some(state), Some(form_id)) => Some(Counted {
                state: state.clone(),
                form_id,
                version: r.get(4)?,
                payload: r.get(5)?,
            }),
            _ => None,
        };
        Ok(Move {
            after: Counted {
                state: head.1.clone(),
                form_id: r.get(8)?,
                version: r.get(9)?,
                payload: r.get(10)?,
            },
            mark: Mark {
                response_id: r.get(0)?,
                projected,
                head,
            },
            before,
        })
    })
}

/// The forms `moves` were answered in, read (or found in the cache) while `c` is open, so
/// that folding them needs no database.
fn forms_of(
    cache: &FormCache,
    c: Sql<'_>,
    moves: &[Move],
) -> Result<HashMap<(String, String), Arc<baraza_schema::Form>>> {
    let mut out = HashMap::new();
    for m in moves {
        for side in m.before.iter().chain([&m.after]) {
            let key = (side.form_id.clone(), side.version.clone());
            if !out.contains_key(&key)
                && let Some(form) = form_in_tx(cache, c, &key.0, &key.1)?
            {
                out.insert(key, form);
            }
        }
    }
    Ok(out)
}

/// Adds what `moves` change in the aggregates to `delta`, as `fold` does, on every core: it
/// is pure computation and most of a fold's time. The other threads fold their share into
/// deltas of their own, merged into `delta` when they are done (the projector: 7,000
/// interviews/s on one thread, 9,300–10,200 on this machine's two).
fn fold_shared(
    forms: &HashMap<(String, String), Arc<baraza_schema::Form>>,
    rules: &Rules,
    moves: &[Move],
    delta: &mut Delta,
) -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut shares = moves.chunks(moves.len().div_ceil(threads).max(1));
    let mine = shares.next().unwrap_or_default();
    std::thread::scope(|s| {
        let others: Vec<_> = shares
            .map(|share| {
                s.spawn(move || {
                    let mut theirs = Delta::default();
                    fold(forms, rules, share, &mut theirs).map(|()| theirs)
                })
            })
            .collect();
        fold(forms, rules, mine, delta)?;
        for other in others {
            delta.merge(
                other
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))?,
            );
        }
        Ok(())
    })
}

/// Adds what `moves` change in the aggregates to `delta`: each response's counted head
/// before subtracted, after added. Pure computation.
fn fold(
    forms: &HashMap<(String, String), Arc<baraza_schema::Form>>,
    rules: &Rules,
    moves: &[Move],
    delta: &mut Delta,
) -> Result<()> {
    for m in moves {
        for (sign, side) in [(-1.0, m.before.as_ref()), (1.0, Some(&m.after))] {
            let Some(side) = side else { continue };
            if !rules.counted.iter().any(|c| c.as_str() == side.state) {
                continue;
            }
            let Some(form) = forms.get(&(side.form_id.clone(), side.version.clone())) else {
                continue;
            };
            let answers: serde_json::Value = serde_json::from_str(&side.payload).map_err(|e| {
                StoreError::Invalid(format!("stored payload of {}: {e}", m.mark.response_id))
            })?;
            reports::contribute(form, &answers, &rules.ctx, delta);
            if delta.response.is_empty() {
                continue;
            }
            let period = reports::period(form, &answers);
            let at = Slot {
                form_id: &side.form_id,
                version: &side.version,
                settlement: &settlement_of(&answers),
                period: period.as_ref(),
            };
            delta.add_response(&at, sign);
        }
    }
    Ok(())
}

/// Records that the aggregates now hold each response's head, if what they held is still
/// what the fold subtracted; false (and nothing is to be committed) if another fold or a
/// rebuild got there first.
fn mark(tx: Sql<'_>, marks: &[Mark]) -> Result<bool> {
    // Five parameters a row: well inside both engines' limits per statement.
    for chunk in marks.chunks(1000) {
        let mut params: Vec<&dyn Param> = Vec::with_capacity(chunk.len() * 5);
        for m in chunk {
            params.extend([
                &m.response_id as &dyn Param,
                &m.head.0,
                &m.head.1,
                &m.projected.0,
                &m.projected.1,
            ]);
        }
        let changed = tx.execute(
            &format!(
                "UPDATE responses SET projected_seq = v.column2, projected_state = v.column3
                 FROM (VALUES {}) AS v
                 WHERE responses.response_id = v.column1
                   AND responses.projected_seq IS NOT DISTINCT FROM v.column4
                   AND responses.projected_state IS NOT DISTINCT FROM v.column5",
                values(chunk.len(), 5)
            ),
            &params,
        )?;
        if changed != chunk.len() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What `ReportStore::project` reports on a fold that lost a race: it is rolled back and retried.
const RACED: &str = "another fold counted these responses first";

/// How many races a fold may lose before it gives up (409). Each lost race is another
/// server's fold committing what this one read, so the work left shrinks; with several
/// servers folding and reading reports at once under load, three was seen to run out
/// (2026-12-03, the two-server PostgreSQL test in CI).
const MAX_RACES: u32 = 20;

/// Recomputes every aggregate from the stored heads (inside the caller's transaction), a
/// round of responses at a time so memory stays bounded, and records the heads it counted.
pub(super) fn rebuild(tx: Sql<'_>, forms: &FormCache) -> Result<()> {
    // On PostgreSQL, one rebuild or fold at a time across servers: a second rebuild waits,
    // then deletes what the first committed and counts again, rather than adding to it.
    if tx.is_pg() {
        tx.execute("SELECT pg_advisory_xact_lock(?1)", &[&PROJECTOR_LOCK])?;
    }
    tx.execute("DELETE FROM aggregates", &[])?;
    tx.execute("DELETE FROM strata", &[])?;
    let rules = current_rules(tx)?;
    let mut after = String::new();
    loop {
        let moves = moves(tx, true, &after)?;
        let Some(last) = moves.last() else { break };
        after = last.mark.response_id.clone();
        let mut delta = Delta::default();
        fold_shared(&forms_of(forms, tx, &moves)?, &rules, &moves, &mut delta)?;
        let marks: Vec<Mark> = moves.into_iter().map(|m| m.mark).collect();
        if !mark(tx, &marks)? {
            return Err(StoreError::Conflict(RACED.into()));
        }
        delta.flush(tx)?;
    }
    Ok(())
}

/// Aggregate changes gathered in one round and written once per touched cell at its end
/// (`flush`): the interviews of a round touch the same cells many times.
#[derive(Default)]
pub(super) struct Delta {
    strata: foldhash::HashMap<StratumKey, Stratum>,
    names: Names,
    /// The contributions of the response being folded, by cell number, until `add` puts
    /// them in its stratum (`add_response`).
    response: Vec<(u32, [f64; 4])>,
}

/// A response's contributions come to the fold as cells looked up by number.
impl Sink for Delta {
    fn add(&mut self, report: &'static str, cell: &[&str], sums: [f64; 4]) {
        let id = self.names.id(report, cell);
        self.response.push((id, sums));
    }
}

/// Every (report, cell) met, numbered: the strata key their sums by number, so that a cell
/// name is held once however many strata it is in (a fold's memory is mostly cells), and
/// hashed once per contribution. A name is its report, `SEP`, and its cell: one string,
/// looked up by a key built in one reused buffer, so that a contribution costs no string of
/// its own.
#[derive(Default)]
struct Names {
    ids: foldhash::HashMap<String, u32>,
    named: Vec<String>,
    key: String,
}

/// Between a name's report and its cell: below every character of either (and of `|`), so
/// that names sort as (report, cell) pairs do.
const SEP: char = '\u{1f}';

impl Names {
    fn id(&mut self, report: &str, cell: &[&str]) -> u32 {
        let key = &mut self.key;
        key.clear();
        key.push_str(report);
        key.push(SEP);
        reports::key_into(key, cell);
        match self.ids.get(key.as_str()) {
            Some(id) => *id,
            None => self.insert(self.key.clone()),
        }
    }

    fn id_of(&mut self, name: String) -> u32 {
        match self.ids.get(&name) {
            Some(id) => *id,
            None => self.insert(name),
        }
    }

    fn insert(&mut self, name: String) -> u32 {
        let id = self.named.len() as u32;
        self.named.push(name.clone());
        self.ids.insert(name, id);
        id
    }

    /// A name's report and cell.
    fn get(&self, id: u32) -> (&str, &str) {
        self.named[id as usize]
            .split_once(SEP)
            .expect("a name is a report and a cell")
    }
}

/// (form, settlement, version, month).
type StratumKey = (String, String, String, String);

/// One stratum's changes: counted responses, and sums by (report, cell) number.
#[derive(Default)]
struct Stratum {
    n: i64,
    cells: foldhash::HashMap<u32, [f64; 4]>,
}

/// Where a response's contributions go: its form, version, settlement and interview month
/// (stored as `""` for a response without an interview date).
pub(super) struct Slot<'a> {
    pub form_id: &'a str,
    pub version: &'a str,
    pub settlement: &'a str,
    pub period: Option<&'a Month>,
}

impl Delta {
    /// Adds the contributions of the response just folded (`response`) to its stratum, times
    /// `sign`.
    fn add_response(&mut self, at: &Slot<'_>, sign: f64) {
        let key = (
            at.form_id.to_owned(),
            at.settlement.to_owned(),
            at.version.to_owned(),
            at.period.map_or("", Month::as_str).to_owned(),
        );
        let stratum = self.strata.entry(key).or_default();
        stratum.n += sign as i64;
        for (id, sums) in self.response.drain(..) {
            let acc = stratum.cells.entry(id).or_default();
            for (a, x) in acc.iter_mut().zip(sums) {
                *a += sign * x;
            }
        }
    }

    /// Adds `other`'s changes to these: its names numbered here once, then its sums added
    /// by number.
    fn merge(&mut self, other: Delta) {
        let ids: Vec<u32> = (other.names.named.into_iter())
            .map(|name| self.names.id_of(name))
            .collect();
        for (key, theirs) in other.strata {
            let stratum = self.strata.entry(key).or_default();
            stratum.n += theirs.n;
            for (id, sums) in theirs.cells {
                let acc = stratum.cells.entry(ids[id as usize]).or_default();
                for (a, x) in acc.iter_mut().zip(sums) {
                    *a += x;
                }
            }
        }
    }

    /// How many cells it changes.
    fn cells(&self) -> usize {
        self.strata.values().map(|s| s.cells.len()).sum()
    }

    /// Writes the gathered changes: each stratum's count, then its cells, many rows to a
    /// statement (on PostgreSQL all of a stratum's, `upsert_arrays`). Strata and cells go in
    /// key order: the writes walk the tables' pages once, and concurrent transactions on
    /// PostgreSQL lock rows in one order (so they wait for one another instead of
    /// deadlocking).
    pub(super) fn flush(&self, tx: Sql<'_>) -> Result<()> {
        let full = upsert(CELLS_PER_STATEMENT);
        // Each name's place in key order, found once: the strata's cells are then sorted by
        // number, not by comparing their names again in every stratum.
        let named = &self.names.named;
        let mut order: Vec<u32> = (0..named.len() as u32).collect();
        order.sort_unstable_by(|a, b| named[*a as usize].cmp(&named[*b as usize]));
        let mut rank = vec![0u32; order.len()];
        for (place, id) in order.into_iter().enumerate() {
            rank[id as usize] = place as u32;
        }
        let mut strata: Vec<_> = self.strata.iter().collect();
        strata.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for ((form_id, settlement, version, period), stratum) in strata {
            let id: i64 = tx.query_row(
                "INSERT INTO strata (form_id, settlement, form_version, period, n) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (form_id, settlement, form_version, period) DO UPDATE SET n = strata.n + excluded.n
                 RETURNING id",
                &[form_id, settlement, version, period, &stratum.n],
                |r| r.get(0),
            )?;
            let mut cells: Vec<_> = stratum
                .cells
                .iter()
                .filter(|(_, s)| s.iter().any(|x| *x != 0.0))
                .collect();
            cells.sort_unstable_by_key(|(id, _)| rank[**id as usize]);
            let cells: Vec<_> = cells
                .into_iter()
                .map(|(id, s)| (self.names.get(*id), s))
                .collect();
            if tx.is_pg() {
                upsert_arrays(tx, id, &cells)?;
                continue;
            }
            for chunk in cells.chunks(CELLS_PER_STATEMENT) {
                let sql = if chunk.len() == CELLS_PER_STATEMENT {
                    std::borrow::Cow::Borrowed(full.as_str())
                } else {
                    std::borrow::Cow::Owned(upsert(chunk.len()))
                };
                let mut params: Vec<&dyn Param> = Vec::with_capacity(chunk.len() * 7);
                for ((report, cell), s) in chunk {
                    params.extend([&id as &dyn Param, report, cell, &s[0], &s[1], &s[2], &s[3]]);
                }
                tx.execute(&sql, &params)?;
            }
        }
        Ok(())
    }
}

/// On PostgreSQL, a stratum's cells upserted by one statement, each column an array: a
/// quarter less time than 200 cells a statement (1,400 parameters bound and planned each
/// time), which is most of a fold there. The rows go in the arrays' order, the key order.
fn upsert_arrays(tx: Sql<'_>, stratum: i64, cells: &[((&str, &str), &[f64; 4])]) -> Result<()> {
    let mut reports = Vec::with_capacity(cells.len());
    let mut names = Vec::with_capacity(cells.len());
    let mut sums: [Vec<f64>; 4] = Default::default();
    for ((report, cell), s) in cells {
        reports.push(*report);
        names.push(*cell);
        for (column, x) in sums.iter_mut().zip(*s) {
            column.push(*x);
        }
    }
    let [s0, s1, s2, s3] = sums.map(Array);
    tx.execute(
        "INSERT INTO aggregates (stratum, report, cell, s0, s1, s2, s3)
         SELECT ?1, * FROM unnest(?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (stratum, report, cell) DO UPDATE SET
             s0 = aggregates.s0 + excluded.s0, s1 = aggregates.s1 + excluded.s1,
             s2 = aggregates.s2 + excluded.s2, s3 = aggregates.s3 + excluded.s3",
        &[&stratum, &Array(reports), &Array(names), &s0, &s1, &s2, &s3],
    )?;
    Ok(())
}

/// On SQLite, cells upserted by one statement: 1,400 parameters, well inside its limit, and
/// the per-statement cost shared by many cells.
const CELLS_PER_STATEMENT: usize = 200;

/// The statement adding `rows` cells' sums to the aggregates.
fn upsert(rows: usize) -> String {
    format!(
        "INSERT INTO aggregates (stratum, report, cell, s0, s1, s2, s3) VALUES {}
         ON CONFLICT (stratum, report, cell) DO UPDATE SET
             s0 = aggregates.s0 + excluded.s0, s1 = aggregates.s1 + excluded.s1,
             s2 = aggregates.s2 + excluded.s2, s3 = aggregates.s3 + excluded.s3",
        values(rows, 7)
    )
}

/// `rows` rows of `width` numbered parameters: `(?1, ?2), (?3, ?4)`.
fn values(rows: usize, width: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(rows * width * 7);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            let sep = if c > 0 { ", " } else { "" };
            let _ = write!(out, "{sep}?{}", r * width + c + 1);
        }
        out.push(')');
    }
    out
}

impl Db {
    /// The benchmark's bulk path: counts `copies` identical responses with `answers` in one
    /// transaction, through the same contribution code as ingest (the sums are multiplied).
    #[cfg(feature = "test-hooks")]
    pub fn bulk_aggregate(
        &self,
        form: &baraza_schema::Form,
        answers: &serde_json::Value,
        settlement: &str,
        copies: u64,
    ) -> Result<()> {
        let mut delta = Delta::default();
        reports::contribute(form, answers, &self.read(context)?, &mut delta);
        if delta.response.is_empty() {
            return Err(StoreError::Invalid(
                "these answers contribute to no report".into(),
            ));
        }
        let period = reports::period(form, answers);
        let at = Slot {
            form_id: &form.settings.form_id,
            version: &form.settings.version,
            settlement,
            period: period.as_ref(),
        };
        delta.add_response(&at, copies as f64);
        self.write(|tx| delta.flush(tx))
    }
}

/// The months and version a report covers, and the lattice protecting it (`None` off the
/// lattice: month windows and form versions, which only administrators ask for).
struct Window<'l> {
    from: Option<Month>,
    to: Option<Month>,
    version: Option<String>,
    quarter: Option<Quarter>,
    lattice: Option<&'l Lattice>,
}

impl<'l> Window<'l> {
    fn of(q: &ReportQuery, lattice: Option<&'l Lattice>) -> Window<'l> {
        let (from, to) = match &q.quarter {
            Some(quarter) => {
                let (first, last) = quarter.months();
                (Some(first), Some(last))
            }
            None => (q.from.clone(), q.to.clone()),
        };
        Window {
            from,
            to,
            version: q.form_version.clone().filter(|v| !v.is_empty()),
            quarter: q.quarter.clone(),
            lattice,
        }
    }
}

/// Each report's protected lattice, with the data version it was built at.
pub(super) type LatticeCache = std::sync::Mutex<HashMap<&'static str, ((u64, i64), Arc<Lattice>)>>;

/// A settlement of the frame as the lattice needs it: its type and households.
struct FrameRow {
    code: String,
    kind: String,
    households: f64,
}

impl Db {
    fn estimate_cells(
        &self,
        info: &reports::ReportInfo,
        by: &str,
        settlement: Option<&str>,
        settlement_type: Option<&str>,
        window: &Window<'_>,
    ) -> Result<Vec<ReportCell>> {
        let id = info.id;
        // By settlement or settlement type: the whole-population cells of each settlement,
        // grouped by its code or its type (the aggregates are kept per settlement anyway).
        let stored_by = if matches!(by, "s" | "t") { "all" } else { by };
        let version = window.version.as_deref();
        self.read(|c| {
            c.plan_each_call()?;
            let households: i64 =
                c.query_row("SELECT CAST(COALESCE(SUM(households), 0) AS BIGINT) FROM settlements", &[], |r| {
                    r.get(0)
                })?;
            // The chosen versions and months: their strata (k), and per settlement (t) its
            // frame row and n_h, which counts the same responses so the design weight fits the
            // filtered sample. City-wide strata (settlement "", F3 and F4) are in no settlement
            // of the frame: they count (?9) for unweighted forms when no settlement or type is
            // asked for.
            const STRATA: &str = "WITH k AS (SELECT id, settlement, n FROM strata
                            WHERE form_id = ?2 AND (?6 IS NULL OR period >= ?6) AND (?7 IS NULL OR period <= ?7)
                              AND (?8 IS NULL OR form_version = ?8) AND (?4 IS NULL OR settlement = ?4)),
                      t AS (SELECT k.settlement, CAST(SUM(k.n) AS BIGINT) AS n, s.households, s.type
                            FROM k LEFT JOIN settlements s ON s.code = k.settlement
                            WHERE (s.code IS NOT NULL OR (k.settlement = '' AND ?5 IS NULL AND ?9 = 1))
                              AND (?5 IS NULL OR s.type = ?5)
                            GROUP BY k.settlement, s.households, s.type
                            HAVING SUM(k.n) > 0)";
            // Each stratum with its settlement's row, read once; then the stratum's cells,
            // summed over strata here rather than by the database: per row its stratum's id and
            // the cell alone. For R6 by settlement at 1,000,000 households (23,068 stored
            // cells) the report took 46 -> 22-31 ms on SQLite and 63 -> 42-50 ms on PostgreSQL
            // (`baraza-bench --reports`, several runs) against grouping in SQL with the
            // settlement's columns on every row; PostgreSQL had looked the settlement up for
            // each of those rows.
            let strata_sql = format!(
                "{STRATA} SELECT k.id, t.settlement, t.households, t.n, t.type FROM t JOIN k ON k.settlement = t.settlement"
            );
            let cells_sql = format!(
                "{STRATA} SELECT a.stratum, a.cell, a.s0, a.s1, a.s2, a.s3
                 FROM t JOIN k ON k.settlement = t.settlement
                 JOIN aggregates a ON a.stratum = k.id AND a.report = ?1
                      AND a.cell >= ?3 || '|' AND a.cell < ?3 || '}}'"
            );
            let quarter = window.quarter.as_ref().map(Quarter::as_str);
            let hidden = |c: &ReportCell| {
                window.lattice.is_some_and(|l| {
                    l.hides(&Place::of(c, settlement, settlement_type, quarter), c)
                })
            };
            reports::estimate_report(info, households as f64, |form| {
                let mut cells: BTreeMap<String, Vec<StratumSums>> = BTreeMap::new();
                // F1 households carry their settlement's design weight N_h / n_h; the other
                // forms' units count once.
                let weighted = form == reports::HOUSEHOLD_FORM;
                // R16 by settlement type sets each type's households beside the city's
                // stakeholders (level `city`).
                let city_wide = !weighted && (!matches!(by, "s" | "t") || (id == "R16" && by == "t"));
                let params: &[&dyn Param] = &[&id, &form, &stored_by, &settlement, &settlement_type, &window.from.as_ref().map(Month::as_str), &window.to.as_ref().map(Month::as_str), &version, &city_wide];
                // Per stratum: its settlement, design weight, n_h and settlement type.
                let strata: HashMap<i64, (StratumSums, Option<String>)> = c
                    .query_map(&strata_sql, params, |r| {
                        let (households, n): (Option<i64>, i64) = (r.get(2)?, r.get(3)?);
                        let weight = match (weighted, households) {
                            (true, Some(h)) => h as f64 / n as f64,
                            _ => 1.0,
                        };
                        let stratum = StratumSums { stratum: r.get(1)?, weight, sample: n as f64, sums: [0.0; 4] };
                        Ok((r.get::<i64>(0)?, (stratum, r.get(4)?)))
                    })?
                    .into_iter()
                    .collect();
                c.query_each(&cells_sql, params, |r| {
                    let Some((of, kind)) = strata.get(&r.get::<i64>(0)?) else { return Ok(()) };
                    let cell: String = r.get(1)?;
                    let sums = [r.get::<f64>(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
                    let key = match (by, cell.strip_prefix("all|all|")) {
                        ("s", Some(rest)) => format!("s|{}|{rest}", of.stratum),
                        ("t", Some(rest)) => format!("t|{}|{rest}", kind.as_deref().unwrap_or("city")),
                        _ => cell,
                    };
                    let list = cells.entry(key).or_default();
                    match list.iter_mut().find(|s| s.stratum == of.stratum) {
                        Some(s) => {
                            for (t, x) in s.sums.iter_mut().zip(sums) {
                                *t += x;
                            }
                        }
                        None => list.push(StratumSums { sums, ..of.clone() }),
                    }
                    Ok(())
                })?;
                cells.retain(|_, list| {
                    list.retain(|s| s.sums[0] > 0.5);
                    !list.is_empty()
                });
                Ok(cells)
            }, &hidden)
        })
    }

    /// What the lattice's cache is valid for: this process's writes, and other processes'
    /// commits (SQLite: `PRAGMA data_version` on the one connection; PostgreSQL: the
    /// `data_version` sequence every server moves on after each commit).
    fn data_version(&self) -> Result<(u64, i64)> {
        let own = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let other = match &self.backend {
            super::Backend::Sqlite { .. } => {
                self.sqlite()?
                    .0
                    .pragma_query_value(None, "data_version", |r| r.get(0))?
            }
            super::Backend::Postgres(pool) => pool.data_version()?,
        };
        Ok((own, other))
    }

    /// The lattice of a report's household tables (`reports::lattice`) at data `version`,
    /// kept until the data change.
    fn lattice(&self, info: &reports::ReportInfo, version: (u64, i64)) -> Result<Arc<Lattice>> {
        let cache = || self.lattices.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, lattice)) = cache().get(info.id)
            && *at == version
        {
            return Ok(lattice.clone());
        }
        let lattice = Arc::new(self.read(|c| build_lattice(c, info))?);
        cache().insert(info.id, (version, lattice.clone()));
        Ok(lattice)
    }

    /// The calendar quarters with interviews of any of the report's forms.
    fn quarters(&self, info: &reports::ReportInfo) -> Result<Vec<String>> {
        self.read(|c| {
            let mut out = std::collections::BTreeSet::new();
            for form in info.forms {
                let periods = c.query_map(
                    "SELECT DISTINCT period FROM strata WHERE form_id = ?1 AND n > 0",
                    &[form],
                    |r| r.get::<String>(0),
                )?;
                for period in periods {
                    if let Some(month) = Month::of(&period) {
                        out.insert(Quarter::of_month(&month).as_str().to_owned());
                    }
                }
            }
            Ok(out.into_iter().collect())
        })
    }
}

/// Estimates every table of a report's lattice from the aggregates — the city, each
/// settlement type and each settlement; the whole fieldwork and each quarter; every
/// disaggregation — and protects them jointly. Only household (F1) figures are the
/// lattice's: groups, actors and stakeholders are not respondents to protect.
fn build_lattice(c: Sql<'_>, info: &reports::ReportInfo) -> Result<Lattice> {
    if !info.forms.contains(&reports::HOUSEHOLD_FORM) {
        return Ok(Lattice::default());
    }
    let frame: Vec<FrameRow> =
        c.query_map("SELECT code, type, households FROM settlements", &[], |r| {
            Ok(FrameRow {
                code: r.get(0)?,
                kind: r.get(1)?,
                households: r.get::<i64>(2)? as f64,
            })
        })?;
    let households: f64 = frame.iter().map(|f| f.households).sum();
    let quarter_of =
        |period: &str| Month::of(period).map(|m| Quarter::of_month(&m).as_str().to_owned());
    // Per settlement and quarter (`None`: the whole fieldwork), the households counted and
    // each cell's sums.
    type Key = (String, Option<String>);
    let mut sample: HashMap<Key, f64> = HashMap::new();
    let rows = c.query_map(
        "SELECT settlement, period, CAST(SUM(n) AS BIGINT) FROM strata WHERE form_id = ?1 GROUP BY settlement, period",
        &[&reports::HOUSEHOLD_FORM],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<i64>(2)?)),
    )?;
    for (settlement, period, n) in rows {
        for q in [None, quarter_of(&period)] {
            *sample.entry((settlement.clone(), q)).or_default() += n as f64;
        }
    }
    let mut sums: HashMap<Key, BTreeMap<String, [f64; 4]>> = HashMap::new();
    let rows = c.query_map(
        "SELECT k.settlement, k.period, a.cell, SUM(a.s0), SUM(a.s1), SUM(a.s2), SUM(a.s3)
         FROM strata k JOIN aggregates a ON a.stratum = k.id AND a.report = ?2
         WHERE k.form_id = ?1
         GROUP BY k.settlement, k.period, a.cell",
        &[&reports::HOUSEHOLD_FORM, &info.id],
        |r| {
            let add = [r.get::<f64>(3)?, r.get(4)?, r.get(5)?, r.get(6)?];
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                add,
            ))
        },
    )?;
    for (settlement, period, cell, add) in rows {
        for q in [None, quarter_of(&period)] {
            let total = sums
                .entry((settlement.clone(), q))
                .or_default()
                .entry(cell.clone())
                .or_default();
            for (t, x) in total.iter_mut().zip(add) {
                *t += x;
            }
        }
    }
    let mut quarters: Vec<Option<String>> = sample
        .keys()
        .filter(|(_, q)| q.is_some())
        .map(|(_, q)| q.clone())
        .collect();
    quarters.sort();
    quarters.dedup();
    quarters.insert(0, None);
    let mut areas = vec![Area::City];
    let mut kinds: Vec<&str> = frame.iter().map(|f| f.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    areas.extend(kinds.iter().map(|k| Area::Type((*k).to_owned())));
    areas.extend(frame.iter().map(|f| Area::Settlement(f.code.clone())));
    let mut tables = Vec::new();
    for area in &areas {
        let members = frame.iter().filter(|f| match area {
            Area::City => true,
            Area::Type(t) => f.kind == *t,
            Area::Settlement(s) => f.code == *s,
        });
        let members: Vec<&FrameRow> = members.collect();
        for quarter in &quarters {
            let mut cells: BTreeMap<String, Vec<StratumSums>> = BTreeMap::new();
            for f in &members {
                let key = (f.code.clone(), quarter.clone());
                let n = sample.get(&key).copied().unwrap_or(0.0);
                let Some(settlement_sums) = sums.get(&key).filter(|_| n > 0.0) else {
                    continue;
                };
                for (cell, s) in settlement_sums.iter().filter(|(_, s)| s[0] > 0.5) {
                    cells.entry(cell.clone()).or_default().push(StratumSums {
                        stratum: f.code.clone(),
                        weight: f.households / n,
                        sample: n,
                        sums: *s,
                    });
                }
            }
            if cells.is_empty() {
                continue;
            }
            let estimated = reports::estimate(
                info.id,
                reports::HOUSEHOLD_FORM,
                &cells,
                households,
                &|_| false,
            );
            tables.push((area.clone(), quarter.clone(), estimated));
        }
    }
    let type_of: BTreeMap<String, String> = frame.into_iter().map(|f| (f.code, f.kind)).collect();
    Ok(lattice::protect(&tables, &type_of))
}

impl Db {
    /// The words for every code a report's cells carry (`Report::labels`): items from the
    /// newest published version of each of the report's forms, settlements from the frame,
    /// types and groups from the reports' own words.
    fn report_labels(
        &self,
        info: &reports::ReportInfo,
        by: &str,
        cells: &[ReportCell],
        lang: &str,
    ) -> Result<BTreeMap<String, String>> {
        let mut forms = Vec::new();
        for id in info.forms {
            let newest = self.forms()?.into_iter().rfind(|f| f.form_id == *id);
            if let Some(f) = newest
                && let Some((form, _)) = self.form_for_validation(id, &f.version)?
            {
                forms.push(form);
            }
        }
        let forms: Vec<&baraza_schema::Form> = forms.iter().map(|f| f.as_ref()).collect();
        let settlements: BTreeMap<String, String> = self
            .settlements()?
            .into_iter()
            .map(|s| (s.code, s.name))
            .collect();
        let mut out = BTreeMap::new();
        let by_name = |b: &str| labels::by(b, lang).unwrap_or(b).to_owned();
        out.insert(by.to_owned(), by_name(by));
        for c in cells {
            out.entry(c.by.clone()).or_insert_with(|| by_name(&c.by));
            if !out.contains_key(&c.level) {
                let level = match c.by.as_str() {
                    "s" => settlements.get(&c.level).cloned(),
                    "t" if c.level != "city" => Some(labels::settlement_type(&c.level, lang)),
                    _ => None,
                };
                let level = level.unwrap_or_else(|| labels::item(&c.level, &forms, lang));
                out.insert(c.level.clone(), level);
            }
            if !out.contains_key(&c.item) {
                out.insert(c.item.clone(), labels::item(&c.item, &forms, lang));
            }
        }
        Ok(out)
    }
}

/// Report aggregates, the counted review states and the reference values.
pub trait ReportStore {
    /// The review states whose responses count in reports.
    fn report_states(&self) -> Result<Vec<ReviewState>>;

    /// Sets which review states count and rebuilds every aggregate from the stored heads under
    /// the new rule, all in one transaction (audited as `settings.report_states`).
    fn set_report_states(&self, by: i64, states: &[ReviewState]) -> Result<Vec<ReviewState>>;

    /// The city-wide reference values in use (income quintile cut-offs, water tariff).
    fn reference_values(&self) -> Result<reports::Context>;

    /// Computes the city-wide reference values from the data — the income quintiles
    /// (DOMAIN.md §4.1: weighted quintiles of per-capita income over the counted household
    /// interviews) and the official water tariff (the median F3 water actors report) — stores
    /// them and rebuilds every aggregate with them, in one transaction (audited). A value the
    /// data cannot give stays unset.
    fn refresh_reference_values(&self, by: Option<i64>) -> Result<reports::Context>;

    /// How many households the quintile cut-offs and how many water actors the tariff rest
    /// on, as of their last computation.
    fn reference_bases(&self) -> Result<[Option<u64>; 2]>;

    /// A report's cells, estimated from the aggregates with each settlement's design weight
    /// N_h / n_h, disclosure control applied. Settlements missing from the frame are left out
    /// (they have no N_h to weight by).
    ///
    /// Collapse before suppressing (DOMAIN.md §4.3, rule 1): a subgroup table for one
    /// settlement that would lose more than 20 % of its cells is reported for the
    /// settlement's type instead, and failing that for the whole city; `shown_for` says so.
    fn report(&self, id: &str, q: &ReportQuery) -> Result<Report>;

    /// Folds every response whose head or review state moved since the aggregates last
    /// counted it into the aggregates; returns how many. A push, a review or a correction
    /// only records the new head; this counts it, after the acknowledgement, in rounds of
    /// up to `WRITE` responses whose deltas are merged per cell before they are written.
    ///
    /// Each round reads the responses and payloads, folds them with no lock held, then in
    /// one write transaction records the heads it counted (only where the aggregates still
    /// hold what it subtracted) together with the merged deltas: a response is counted
    /// exactly once whatever runs at the same time, and one that moves again meanwhile is
    /// simply still unprojected. Reports call this first, so a report includes every change
    /// committed before it was asked for; the server also runs it in the background.
    fn project(&self) -> Result<usize>;
}

impl ReportStore for Db {
    fn project(&self) -> Result<usize> {
        let mut caught_up = self.projecting.lock().unwrap_or_else(|p| p.into_inner());
        // The common case, asked before every report: nothing to fold. If the last look found
        // nothing at this same data version, no commit came since and there is still nothing
        // (PostgreSQL, with statistics taken mid-ingest, scanned every response for the look:
        // 4–6 ms at 20,000). Else one look at the partial index, without the payload join and
        // the settings a fold reads. The version is read before the look, so a commit the look
        // misses moves the version on.
        let version = self.data_version()?;
        if *caught_up == Some(version) {
            return Ok(0);
        }
        let pending: bool = self.read(|c| {
            c.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM responses WHERE {UNPROJECTED})"),
                &[],
                |r| r.get(0),
            )
        })?;
        if !pending {
            *caught_up = Some(version);
            return Ok(0);
        }
        let mut after = String::new();
        let mut folded = 0;
        let mut races = 0;
        loop {
            // One write: up to WRITE responses read and folded a chunk at a time.
            let mut cursor = after.clone();
            let mut marks: Vec<Mark> = Vec::new();
            let mut delta = Delta::default();
            let mut counted_under: Option<Rules> = None;
            let mut exhausted = false;
            while marks.len() < WRITE && !exhausted && delta.cells() < MAX_CELLS {
                let (rules, moves, forms) = self.read(|c| {
                    let moves = moves(c, false, &cursor)?;
                    let forms = forms_of(&self.forms, c, &moves)?;
                    Ok((current_rules(c)?, moves, forms))
                })?;
                if counted_under.as_ref().is_some_and(|r| *r != rules) {
                    // Rebuilt meanwhile: what was folded here is counted under other rules.
                    marks.clear();
                    break;
                }
                exhausted = moves.len() < READ as usize;
                fold_shared(&forms, &rules, &moves, &mut delta)?;
                counted_under = Some(rules);
                if let Some(last) = moves.last() {
                    cursor = last.mark.response_id.clone();
                }
                marks.extend(moves.into_iter().map(|m| m.mark));
            }
            let Some(rules) = counted_under.filter(|_| !marks.is_empty()) else {
                if exhausted {
                    break;
                }
                races += 1;
                if races > MAX_RACES {
                    return Err(StoreError::Conflict(RACED.into()));
                }
                continue;
            };
            let written = self.write(|tx| {
                if tx.is_pg() {
                    tx.execute("SELECT pg_advisory_xact_lock(?1)", &[&PROJECTOR_LOCK])?;
                }
                if current_rules(tx)? != rules || !mark(tx, &marks)? {
                    return Err(StoreError::Conflict(RACED.into()));
                }
                delta.flush(tx)
            });
            match written {
                Ok(()) => {
                    folded += marks.len();
                    after = cursor;
                    if exhausted {
                        break;
                    }
                }
                // Another fold or a rebuild got there first: read these again as they stand.
                Err(StoreError::Conflict(e)) if e == RACED && races < MAX_RACES => {
                    races += 1;
                    // Let the fold that won commit and the next look see less to do.
                    std::thread::sleep(std::time::Duration::from_millis(u64::from(races) * 5));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(folded)
    }

    fn report_states(&self) -> Result<Vec<ReviewState>> {
        self.read(counted_states)
    }

    fn set_report_states(&self, by: i64, states: &[ReviewState]) -> Result<Vec<ReviewState>> {
        let mut states: Vec<ReviewState> = states.to_vec();
        states.sort();
        states.dedup();
        if states.is_empty() {
            return Err(StoreError::Invalid(
                "at least one review state must count in reports".into(),
            ));
        }
        let names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        self.write(|tx| {
            super::set_meta(tx, SETTING, &names.join(","))?;
            rebuild(tx, &self.forms)?;
            super::audit::record(
                tx,
                Some(by),
                None,
                "settings.report_states",
                "settings",
                &format!("reports count: {}", names.join(", ")),
            )
        })?;
        Ok(states)
    }

    fn reference_values(&self) -> Result<reports::Context> {
        self.read(context)
    }

    fn reference_bases(&self) -> Result<[Option<u64>; 2]> {
        self.read(|c| {
            let n =
                |key| -> Result<Option<u64>> { Ok(get_meta(c, key)?.and_then(|v| v.parse().ok())) };
            Ok([n(CUTS_N)?, n(TARIFF_N)?])
        })
    }

    fn refresh_reference_values(&self, by: Option<i64>) -> Result<reports::Context> {
        // The design weights below are the strata's counts: every response counted first.
        self.project()?;
        self.write(|tx| {
            let (tariff, tariff_n) = official_tariff(tx)?;
            super::set_meta(tx, TARIFF_N, &tariff_n.to_string())?;
            match tariff {
                Some(t) => super::set_meta(tx, TARIFF, &t.to_string())?,
                None => {
                    delete_meta(tx, TARIFF)?;
                }
            }
            let counted = counted_states(tx)?;
            let mut values: Vec<(f64, f64)> = Vec::new();
            tx.query_each(
                "WITH t AS (SELECT settlement, CAST(SUM(n) AS BIGINT) AS n FROM strata WHERE form_id = ?1 GROUP BY settlement)
                 SELECT v.payload, s.households, t.n, r.review_state FROM responses r
                 JOIN revisions v ON v.seq = r.head_seq
                 JOIN settlements s ON s.code = r.settlement
                 JOIN t ON t.settlement = r.settlement
                 WHERE r.form_id = ?1 AND t.n > 0",
                &[&reports::HOUSEHOLD_FORM],
                |r| {
                    let state: String = r.get(3)?;
                    if !counted.iter().any(|c| c.as_str() == state) {
                        return Ok(());
                    }
                    let (households, n): (i64, i64) = (r.get(1)?, r.get(2)?);
                    let answers: serde_json::Value =
                        serde_json::from_str(&r.get::<String>(0)?).unwrap_or_default();
                    if let Some(pc) = reports::quintile_income(&answers) {
                        values.push((pc, households as f64 / n as f64));
                    }
                    Ok(())
                },
            )?;
            let cuts = reports::quintile_cuts(&values);
            super::set_meta(tx, CUTS_N, &values.len().to_string())?;
            match cuts {
                Some(c) => super::set_meta(tx, CUTS, &c.map(|x| x.to_string()).join(","))?,
                None => {
                    delete_meta(tx, CUTS)?;
                }
            }
            rebuild(tx, &self.forms)?;
            super::audit::record(
                tx,
                by,
                None,
                "settings.reference_values",
                "settings",
                &format!("income quintile cut-offs {cuts:?}, water tariff per 20 l {tariff:?}"),
            )?;
            context(tx)
        })
    }

    fn report(&self, id: &str, q: &ReportQuery) -> Result<Report> {
        let info = reports::REPORTS
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("report {id}")))?;
        let by = q.by.clone().unwrap_or_else(|| info.by[0].into());
        if !info.by.contains(&by.as_str()) {
            return Err(StoreError::Invalid(format!(
                "report {id} is disaggregated by one of {}",
                info.by.join(", ")
            )));
        }
        if q.quarter.is_some() && (q.from.is_some() || q.to.is_some()) {
            return Err(StoreError::Invalid(
                "choose a quarter or months (from, to), not both".into(),
            ));
        }
        self.project()?;
        // Off the lattice (months, a version) each table is protected alone; on it, from
        // the lattice built at the data version the cells are estimated at — the estimate is
        // repeated if a write came in between.
        let mut tries = 0;
        loop {
            let version = self.data_version()?;
            let lattice = if q.off_lattice() {
                None
            } else {
                Some(self.lattice(info, version)?)
            };
            let report = self.report_with(info, &by, q, Window::of(q, lattice.as_deref()))?;
            tries += 1;
            if lattice.is_none() || self.data_version()? == version || tries == 3 {
                return Ok(report);
            }
        }
    }
}

impl Db {
    fn report_with(
        &self,
        info: &reports::ReportInfo,
        by: &str,
        q: &ReportQuery,
        window: Window<'_>,
    ) -> Result<Report> {
        let by = by.to_owned();
        let cells = self.estimate_cells(
            info,
            &by,
            q.settlement.as_deref(),
            q.settlement_type.as_deref(),
            &window,
        )?;
        let (cells, shown_for) = reports::collapse_sparse(
            &by,
            q.settlement.as_deref(),
            cells,
            |code| {
                Ok(self
                    .settlements()?
                    .into_iter()
                    .find(|s| s.code == code)
                    .map(|s| s.settlement_type))
            },
            |kind| self.estimate_cells(info, &by, None, kind, &window),
        )?;
        let lang = labels::language(q.lang.as_deref()).map_err(StoreError::Invalid)?;
        let labels = self.report_labels(info, &by, &cells, lang)?;
        Ok(Report {
            id: info.id.to_owned(),
            title: labels::title(info.id, lang)
                .unwrap_or(info.title)
                .to_owned(),
            by,
            cells,
            shown_for,
            labels,
            quarters: self.quarters(info)?,
        })
    }
}
