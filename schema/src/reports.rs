//! Reports from per-stratum sums (DOMAIN.md §4.2).
//!
//! Each counted household response *contributes* unweighted sums to cells (`contributions`);
//! the server adds them to its per-settlement aggregates in the transaction that stores the
//! response and subtracts them when the response stops counting (rejected, or replaced by a
//! newer head). Because the design weight N_h / n_h is the same for every household of a
//! settlement, weighted estimates follow from the per-settlement sums at report time
//! (`estimate`), so a report costs the number of its cells, not the number of responses, and
//! the client can compute the same figures for its own data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::date::Month;
use crate::derive;
use crate::disclosure::{self, Reliability};
use crate::form::Form;
use crate::stats;

/// What a response contributes to the aggregates, as a number: raise it whenever
/// `contributions` changes, and a server opening an older data folder rebuilds them.
pub const CONTRIBUTIONS_VERSION: u32 = 4;

/// The form the household reports read.
pub const HOUSEHOLD_FORM: &str = "baraza_f1_household";

/// The form the focus-group reports read.
pub const GROUP_FORM: &str = "baraza_f2_focus_group";

mod actors;
mod groups;
mod household;
pub mod labels;
pub mod lattice;
mod measure;
pub use measure::key_into;

pub use measure::Unit;

/// A report that can be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReportInfo {
    pub id: &'static str,
    pub title: &'static str,
    /// The forms whose responses it counts, the main one first. F1 households are
    /// design-weighted; F2 focus groups, F3 actors and F4 stakeholders count once each.
    pub forms: &'static [&'static str],
    /// The disaggregations available (`by=`).
    pub by: &'static [&'static str],
    /// Sensitive items: small counts are below 10 rather than 5.
    pub sensitive: bool,
    /// How the dashboard draws it: `bar` (one bar per item and group; a heat map for many
    /// groups; settlements ranked for an index), `stacked` (100 % bars, one per group and
    /// service, stacked by category), `heatmap` (service × criterion), `gap` (differences
    /// with their intervals), `graph` (R15's actors map), `alignment` (R16: households'
    /// scores beside officials' view) or `demand` (R18: acceptance by bid).
    pub chart: &'static str,
}

const fn report(
    id: &'static str,
    title: &'static str,
    forms: &'static [&'static str],
    by: &'static [&'static str],
    sensitive: bool,
    chart: &'static str,
) -> ReportInfo {
    ReportInfo {
        id,
        title,
        forms,
        by,
        sensitive,
        chart,
    }
}

/// The form whose actors R8 also counts.
pub const ACTOR_FORM: &str = "baraza_f3_service_actors";

/// The form whose stakeholders R12 also counts.
pub const STAKEHOLDER_FORM: &str = "baraza_f4_municipal_stakeholders";

const F1: &[&str] = &[HOUSEHOLD_FORM];
const F2: &[&str] = &[GROUP_FORM];

pub const REPORTS: &[ReportInfo] = &[
    report(
        "R1",
        "Top concerns of the poor (weighted Borda)",
        F1,
        &["all", "s", "t", "rs", "hs", "tn", "d", "q"],
        false,
        "bar",
    ),
    report(
        "R2",
        "Group priorities from focus groups (pairwise win scores)",
        F2,
        &["all", "s", "t", "g"],
        false,
        "bar",
    ),
    report(
        "R3",
        "Service needs from matrix scoring (performance 0–5, need index 0–25)",
        F2,
        &["all", "s", "t", "g"],
        false,
        "heatmap",
    ),
    report(
        "R4",
        "Service-ladder distribution by service",
        F1,
        &["all", "s", "t", "hs", "tn", "d", "q"],
        false,
        "stacked",
    ),
    report(
        "R5",
        "Provider mix: who serves households, by service",
        F1,
        &["all", "s", "t", "tn", "q"],
        false,
        "stacked",
    ),
    report(
        "R6",
        "Affordability: shares of income, prices per 20 litres",
        F1,
        &["all", "s", "t", "hs", "tn", "q"],
        false,
        "bar",
    ),
    report(
        "R7",
        "Accessibility: water off premises, collection time, hours of supply",
        F1,
        &["all", "s", "t", "hs", "d", "q"],
        false,
        "bar",
    ),
    report(
        "R8",
        "Exploitation: overcharging, bribes, harassment, threats",
        &[HOUSEHOLD_FORM, ACTOR_FORM],
        &["all", "s", "t", "rs", "hs", "tn"],
        true,
        "bar",
    ),
    report(
        "R9",
        "Security of tenure",
        F1,
        &["all", "s", "t", "rs", "hs", "tn"],
        false,
        "bar",
    ),
    report(
        "R10",
        "Employment and livelihoods",
        F1,
        &["all", "s", "t", "hs", "d", "ms", "q"],
        false,
        "bar",
    ),
    report(
        "R11",
        "Choice of provider",
        F1,
        &["all", "s", "t", "tn"],
        false,
        "bar",
    ),
    report(
        "R12",
        "Participation and accountability",
        &[HOUSEHOLD_FORM, GROUP_FORM, STAKEHOLDER_FORM],
        &["all", "s", "t", "rs", "tn", "d"],
        false,
        "bar",
    ),
    report(
        "R13",
        "Marginalisation: deprivations, documents, discrimination; settlements ranked",
        &[HOUSEHOLD_FORM, STAKEHOLDER_FORM],
        &["all", "s", "t", "hs", "d", "mg"],
        false,
        "bar",
    ),
    report(
        "R14",
        "Gender gaps (percentage points, 95 % interval)",
        F1,
        &["hs", "rs"],
        false,
        "gap",
    ),
    report(
        "R15",
        "Actors map: who serves whom, how they are tied, how communities see them",
        &[ACTOR_FORM, HOUSEHOLD_FORM, GROUP_FORM],
        &["all", "s", "t", "g"],
        false,
        "graph",
    ),
    report(
        "R16",
        "Municipal objectives and community priorities: the alignment gap",
        &[STAKEHOLDER_FORM, GROUP_FORM, HOUSEHOLD_FORM],
        &["all", "t", "rg"],
        false,
        "alignment",
    ),
    report(
        "R17",
        "Disability: prevalence, and services with and without a disabled member",
        F1,
        &["all", "s", "t", "ms", "ag", "d"],
        true,
        "bar",
    ),
    report(
        "R18",
        "Willingness to pay for a water connection: demand by bid, lower-bound mean",
        F1,
        &["all", "s", "t", "tn", "q"],
        false,
        "demand",
    ),
];

/// The two levels whose difference a gap report publishes, per disaggregation.
const GAPS: &[(&str, &str, &str)] = &[
    ("hs", "female_headed", "male_headed"),
    ("rs", "female", "male"),
];

/// R17's gaps: households with a disabled member minus those without.
const DISABILITY_GAPS: &[(&str, &str, &str)] = &[("d", "disability", "no_disability")];

/// One contribution to one cell: `sums[0]` is the unweighted count of households in the
/// cell; the others depend on the report (R1: Borda points, first choices, top-3 choices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub report: &'static str,
    pub cell: String,
    pub sums: [f64; 4],
}

/// Where [`contribute`] puts a response's contributions: each one's report, its cell key's
/// parts (the key is them joined by `|`) and its sums. A list of [`Contribution`]s is one;
/// the server's projector is another, which looks each cell up without a string of its own.
pub trait Sink {
    fn add(&mut self, report: &'static str, cell: &[&str], sums: [f64; 4]);
}

impl Sink for Vec<Contribution> {
    fn add(&mut self, report: &'static str, parts: &[&str], sums: [f64; 4]) {
        let mut cell = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        measure::key_into(&mut cell, parts);
        self.push(Contribution { report, cell, sums });
    }
}

/// The disaggregation levels of a household: (dimension, level).
/// What contributions need besides the answers: city-wide reference values computed from
/// the data once the fieldwork is in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// The per-capita monthly incomes between the income quintiles.
    pub quintile_cuts: Option<[f64; 4]>,
    /// The utility's official water tariff per 20 litres (R6's price ratio).
    pub tariff_20l: Option<f64>,
}

/// The income quintile (1 = poorest) of a per-capita income under the cut-offs.
pub fn quintile(cuts: &[f64; 4], per_capita: f64) -> usize {
    1 + cuts.iter().filter(|c| per_capita > **c).count()
}

/// The income quintile cut-offs (DOMAIN.md §4.1): the weighted 20th, 40th, 60th and 80th
/// percentiles of per-capita income over `(income, weight)` of the counted households whose
/// [`quintile_income`] is known; `None` when there is nothing to cut.
pub fn quintile_cuts(incomes: &[(f64, f64)]) -> Option<[f64; 4]> {
    let q = |p| stats::weighted_quantile(incomes, p);
    Some([q(0.2)?, q(0.4)?, q(0.6)?, q(0.8)?])
}

/// The per-capita income a household adds to the quintile cut-offs: only with consent, and
/// only when it gave an amount.
pub fn quintile_income(answers: &Value) -> Option<f64> {
    (answers.get("consent").and_then(Value::as_str) == Some("yes"))
        .then(|| income_per_capita(answers))
        .flatten()
}

/// A price per 20 litres from a price and its unit (`per_20l`, `per_m3`).
pub fn per_20l(price: f64, unit: &str) -> Option<f64> {
    match unit {
        "per_20l" => Some(price),
        "per_m3" => Some(price * 0.02),
        _ => None,
    }
}

/// The official water tariffs per 20 litres an F3 actor's answers report, one per water
/// operator row that gives a positive tariff; the utility tariff is their median.
pub fn official_tariffs_20l(answers: &Value) -> impl Iterator<Item = f64> + '_ {
    answers
        .get("op")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|op| op["op_service"].as_str() == Some("water"))
        .filter_map(|op| {
            per_20l(
                op["op_official_tariff"].as_f64()?,
                op["op_price_unit"].as_str()?,
            )
        })
        .filter(|t| *t > 0.0)
}

/// A household's per-capita monthly income, when it gave an amount.
pub fn income_per_capita(answers: &Value) -> Option<f64> {
    let income = answers.get("inc_month").and_then(Value::as_f64)?;
    let size = answers
        .get("hh_size")
        .and_then(Value::as_f64)
        .filter(|n| *n > 0.0)?;
    Some(income / size)
}

fn groups(h: &derive::Household, answers: &Value, ctx: &Context) -> Vec<(&'static str, String)> {
    let mut g = vec![("all", "all".to_owned())];
    if let (Some(cuts), Some(pc)) = (&ctx.quintile_cuts, income_per_capita(answers)) {
        g.push(("q", format!("q{}", quintile(cuts, pc))));
    }
    if let Some(sex) = answers.get("resp_sex").and_then(Value::as_str) {
        g.push(("rs", sex.to_owned()));
    }
    if let Some(f) = h.female_headed {
        g.push((
            "hs",
            if f { "female_headed" } else { "male_headed" }.to_owned(),
        ));
    }
    if let Some(t) = answers.get("tenure").and_then(Value::as_str) {
        let group = match t {
            "owner_titled" | "owner_other_document" => "owner_documented",
            "owner_no_document" => "owner_undocumented",
            "tenant_written" | "tenant_verbal" => "tenant",
            "occupying_without_permission" => "occupying",
            _ => "other",
        };
        g.push(("tn", group.to_owned()));
    }
    if let Some(d) = h.disability {
        g.push((
            "d",
            if d { "disability" } else { "no_disability" }.to_owned(),
        ));
    }
    g
}

fn snake<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The day a response was taken: the form's first top-level date (the interview date), as
/// answered; `None` without one.
pub fn interview_day<'a>(form: &Form, answers: &'a Value) -> Option<&'a str> {
    fn first_date(fields: &[crate::form::Field]) -> Option<&str> {
        fields.iter().find_map(|f| match f.kind {
            crate::form::Kind::Date => Some(f.name.as_str()),
            crate::form::Kind::Group => first_date(&f.children),
            _ => None,
        })
    }
    first_date(&form.fields)
        .and_then(|name| answers.get(name))
        .and_then(Value::as_str)
}

/// The month a response belongs to, from its [`interview_day`]; `None` without one.
pub fn period(form: &Form, answers: &Value) -> Option<Month> {
    interview_day(form, answers).and_then(Month::of)
}

/// What one counted response adds to the report cells of its settlement (F1, F2), or of the
/// city (F3 actors and F4 stakeholders, which have no settlement of their own). Responses to
/// other forms contribute nothing.
pub fn contributions(form: &Form, answers: &Value, ctx: &Context) -> Vec<Contribution> {
    // A household interview adds about 670 cells: room for them at once, not by doubling.
    let mut out = Vec::with_capacity(1024);
    contribute(form, answers, ctx, &mut out);
    out
}

/// [`contributions`], into `out`.
pub fn contribute(form: &Form, answers: &Value, ctx: &Context, out: &mut dyn Sink) {
    type Contribute = fn(&Form, &serde_json::Map<String, Value>, &mut dyn Sink);
    let others: Option<Contribute> = match form.settings.form_id.as_str() {
        GROUP_FORM => Some(groups::contribute),
        ACTOR_FORM => Some(actors::service_actor),
        STAKEHOLDER_FORM => Some(actors::stakeholder),
        _ => None,
    };
    if let Some(contribute) = others {
        if let Some(a) = answers.as_object() {
            contribute(form, a, out);
        }
        return;
    }
    if form.settings.form_id != HOUSEHOLD_FORM
        || answers.get("consent").and_then(Value::as_str) != Some("yes")
    {
        return;
    }
    let Some(h) = derive::household(form, answers) else {
        return;
    };
    let groups = groups(&h, answers, ctx);
    // R1: the concern ranking.
    let items = household::choices(form, "concern");
    let ranking: Vec<&str> = answers
        .get("concern_rank")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !ranking.is_empty() && !items.is_empty() {
        let points = stats::borda_points(&ranking, &items);
        for (by, level) in &groups {
            for (j, item) in items.iter().enumerate() {
                let first = f64::from(u8::from(ranking.first() == Some(item)));
                let top3 = f64::from(u8::from(ranking.iter().take(3).any(|r| r == item)));
                out.add("R1", &[by, level, item], [1.0, points[j], first, top3]);
            }
        }
    }
    // R16 compares the households' order of the concerns with officials' view of it.
    let mut e = measure::Emit {
        report: "R16",
        groups: &groups[..1],
        out: &mut *out,
    };
    for (item, b) in actors::normalised_borda(form, "concern", &ranking) {
        e.mean(&format!("household:{item}"), Some(b));
    }
    // R4: the ladder rung of every service.
    let mut rungs: Vec<(String, String)> = Vec::new();
    if let Some(w) = h.water {
        rungs.push(("water".into(), snake(w)));
    }
    if let Some(s) = h.sanitation {
        rungs.push(("sanitation".into(), snake(s)));
    }
    for row in answers
        .get("svc")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(code), Some(level)) = (
            row.get("sv_code").and_then(Value::as_str),
            row.get("sv_level").and_then(Value::as_str),
        ) {
            rungs.push((code.to_owned(), level.to_owned()));
        }
    }
    let size = answers
        .get("hh_size")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    for (by, level) in &groups {
        for (service, rung) in &rungs {
            out.add("R4", &[by, level, service, rung], [1.0, size, 0.0, 0.0]);
        }
    }
    if let Some(a) = answers.as_object() {
        household::contribute(&h, form, a, &groups, ctx, out);
        household::marginalisation(&h, form, a, &groups, out);
        household::willingness_to_pay(form, answers, a, &groups, out);
    }
}

/// The unweighted sums of one cell in one settlement, and that settlement's design weight.
#[derive(Debug, Clone, PartialEq)]
pub struct StratumSums {
    /// The settlement.
    pub stratum: String,
    pub weight: f64,
    /// Counted responses in the stratum (n_h), for design-based variances.
    pub sample: f64,
    pub sums: [f64; 4],
}

/// One published figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportCell {
    pub by: String,
    pub level: String,
    /// The concern (R1), `service:rung` (R4), an indicator (`water_off_premises`) or a
    /// category of one (`tenure=owner_titled`).
    pub item: String,
    /// What the estimate is: `borda` (0–100), `share` (% of the eligible), `mean`,
    /// `median` (with the quartiles in `low`/`high`) or `gap` (percentage points, with the
    /// 95 % interval in `low`/`high`).
    #[serde(default)]
    pub measure: String,
    /// The estimate, rounded; `None` when suppressed.
    pub estimate: Option<f64>,
    /// R1: % ranking the item first, and in the top 3.
    #[serde(default)]
    pub first_share: Option<f64>,
    #[serde(default)]
    pub top3_share: Option<f64>,
    /// R4: the person-weighted share (households weighted by their size).
    #[serde(default)]
    pub persons: Option<f64>,
    /// Medians: P25 and P75; gaps: the 95 % interval.
    #[serde(default)]
    pub low: Option<f64>,
    #[serde(default)]
    pub high: Option<f64>,
    /// Medians: the 95 % interval (Woodruff's, from the design-based variance of the share
    /// below the median), for households.
    #[serde(default)]
    pub ci_low: Option<f64>,
    #[serde(default)]
    pub ci_high: Option<f64>,
    /// Unweighted households behind the estimate (the group's base), withheld when it is a
    /// small count (1–4) itself.
    pub n: Option<u64>,
    pub reliability: Reliability,
    pub suppressed: bool,
    /// The unweighted counts behind a household figure, for disclosure control across
    /// tables (`lattice`); `None` for figures on groups, actors and stakeholders, and for
    /// figures derived from other published ones. Never published.
    #[serde(skip)]
    pub counts: Option<Counts>,
}

/// What a household figure rests on, unweighted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts {
    /// The households (members, adults) in the figure's base.
    pub n: u64,
    /// For a share: those counted as yes (in the category, on the rung).
    pub yes: Option<u64>,
    /// Whether small counts of either answer are protected at 10, not 5.
    pub sensitive: bool,
    /// For a share in a distribution that adds up to 100 % (a variable's categories, a
    /// service's rungs): the variable or service.
    pub distribution: Option<String>,
}

/// What a suppressed figure shows instead of its value, wherever figures are published.
pub const SUPPRESSED_MARK: &str = "*";

impl ReportCell {
    /// One of this cell's figures as people read it: [`SUPPRESSED_MARK`] when the cell is
    /// suppressed, `–` when the measure has no such figure, else the value with at most one
    /// decimal and `unit`, in parentheses when it rests on 25–49 cases ("interpret with
    /// caution").
    pub fn figure(&self, value: Option<f64>, unit: &str) -> String {
        let v = match value {
            _ if self.suppressed => return SUPPRESSED_MARK.into(),
            None => return "–".into(),
            Some(v) => v,
        };
        let text = if v.fract() == 0.0 {
            format!("{v:.0}{unit}")
        } else if self.measure == "median" && v.abs() < 1.0 {
            // A median below one (a price per 20 litres in cents) keeps two decimals.
            format!("{v:.2}{unit}")
        } else {
            format!("{v:.1}{unit}")
        };
        if self.reliability == disclosure::Reliability::Caution {
            format!("({text})")
        } else {
            text
        }
    }

    /// The unweighted base as published: [`SUPPRESSED_MARK`] when it is withheld (a small
    /// count, or the base of a figure hidden across tables, which could be subtracted).
    pub fn base(&self) -> String {
        self.n
            .map_or_else(|| SUPPRESSED_MARK.to_owned(), |n| n.to_string())
    }
}

/// DOMAIN.md §4.3, rule 1: a table that would lose more than 20 % of its cells to
/// suppression is too sparse to publish as it is.
pub fn too_sparse(cells: &[ReportCell]) -> bool {
    cells.iter().filter(|c| c.suppressed).count() * 5 > cells.len()
}

/// Collapse before suppressing (DOMAIN.md §4.3, rule 1): a subgroup table (`by` other than
/// `all`, `s`, `t`) of one `settlement` that is [`too_sparse`] is reported for the
/// settlement's type instead, and failing that for the whole city. `type_of` names a
/// settlement's type; `estimate_for(Some(type))` and `estimate_for(None)` estimate the table
/// for a type and for the city. Returns the cells and, when collapsed, what they cover.
pub fn collapse_sparse<E>(
    by: &str,
    settlement: Option<&str>,
    cells: Vec<ReportCell>,
    type_of: impl FnOnce(&str) -> Result<Option<String>, E>,
    mut estimate_for: impl FnMut(Option<&str>) -> Result<Vec<ReportCell>, E>,
) -> Result<(Vec<ReportCell>, Option<String>), E> {
    let subgroup = !matches!(by, "all" | "s" | "t");
    let (Some(code), true) = (settlement, subgroup && too_sparse(&cells)) else {
        return Ok((cells, None));
    };
    if let Some(kind) = type_of(code)? {
        let cells = estimate_for(Some(&kind))?;
        if !too_sparse(&cells) {
            return Ok((cells, Some(format!("settlement type {kind}"))));
        }
    }
    Ok((estimate_for(None)?, Some("the whole city".into())))
}

/// An unweighted base as published: small counts (1–4) are withheld, true zeros shown.
fn published_n(n: u64) -> Option<u64> {
    (n == 0 || n >= disclosure::threshold(false)).then_some(n)
}

/// A rung's weighted and unweighted household counts, and its weighted people.
type RungTotal = (String, f64, u64, f64);

/// Weighted estimates from per-settlement sums of one form's responses to a report, with
/// disclosure control applied. `cells` maps a cell key (`by|level|item…`) to its sums in each
/// settlement; `households` is the settlement frame's total (for rates per 10,000
/// households). A report on several forms is the concatenation of each form's estimates.
///
/// `hidden` is the verdict of disclosure control across tables (`lattice`): a household
/// cell it names is hidden, with its base, before secondary suppression within the table
/// and before anything is derived from the published cells (gaps, indexes, bounds).
pub fn estimate(
    report: &str,
    form: &str,
    cells: &BTreeMap<String, Vec<StratumSums>>,
    households: f64,
    hidden: &dyn Fn(&ReportCell) -> bool,
) -> Vec<ReportCell> {
    let mut out = Vec::new();
    match report {
        "R1" | "R4" if form != HOUSEHOLD_FORM => {}
        "R1" => {
            for (key, strata) in cells {
                let parts: Vec<&str> = key.splitn(3, '|').collect();
                let [by, level, item] = parts[..] else {
                    continue;
                };
                let (mut w, mut wp, mut wf, mut wt, mut n) = (0.0, 0.0, 0.0, 0.0, 0u64);
                for s in strata {
                    w += s.weight * s.sums[0];
                    wp += s.weight * s.sums[1];
                    wf += s.weight * s.sums[2];
                    wt += s.weight * s.sums[3];
                    n += s.sums[0].round() as u64;
                }
                let reliability = disclosure::reliability(n);
                let shown = reliability != Reliability::Suppressed && w > 0.0;
                out.push(ReportCell {
                    by: by.into(),
                    level: level.into(),
                    item: item.into(),
                    measure: "borda".into(),
                    persons: None,
                    low: None,
                    high: None,
                    ci_low: None,
                    ci_high: None,
                    estimate: shown.then(|| ((100.0 * (wp / w) / 5.0) * 10.0).round() / 10.0),
                    first_share: shown.then(|| disclosure::round_percent(wf / w, false)),
                    top3_share: shown.then(|| disclosure::round_percent(wt / w, false)),
                    n: published_n(n),
                    reliability,
                    suppressed: !shown,
                    counts: Some(Counts {
                        n,
                        ..Counts::default()
                    }),
                });
            }
            measure::withhold(&mut out, hidden);
        }
        "R4" => {
            // Shares within each (by, level, service): the rungs' weighted counts over their sum.
            let mut groups: BTreeMap<(String, String, String), Vec<RungTotal>> = BTreeMap::new();
            for (key, strata) in cells {
                let parts: Vec<&str> = key.splitn(4, '|').collect();
                let [by, level, service, rung] = parts[..] else {
                    continue;
                };
                let w: f64 = strata.iter().map(|s| s.weight * s.sums[0]).sum();
                let wp: f64 = strata.iter().map(|s| s.weight * s.sums[1]).sum();
                let n: u64 = strata.iter().map(|s| s.sums[0].round() as u64).sum();
                groups
                    .entry((by.into(), level.into(), service.into()))
                    .or_default()
                    .push((rung.into(), w, n, wp));
            }
            // Beside `out`: each rung's unweighted count, and whether it is hidden for a
            // small count, for the secondary suppression across groups below.
            let (mut counts, mut small) = (Vec::new(), Vec::new());
            for ((by, level, service), rungs) in groups {
                let total_w: f64 = rungs.iter().map(|r| r.1).sum();
                let total_n: u64 = rungs.iter().map(|r| r.2).sum();
                let total_p: f64 = rungs.iter().map(|r| r.3).sum();
                // Small rung counts are hidden, with a second cell where one alone would be
                // recoverable from the group's total.
                let marks = disclosure::suppress(&[rungs.iter().map(|r| r.2).collect()], false);
                let reliability = disclosure::reliability(total_n);
                for (i, (rung, w, n, wp)) in rungs.into_iter().enumerate() {
                    let hidden = reliability == Reliability::Suppressed
                        || marks[0][i].is_some()
                        || total_w <= 0.0;
                    counts.push(n);
                    small.push(marks[0][i].is_some());
                    out.push(ReportCell {
                        by: by.clone(),
                        level: level.clone(),
                        item: format!("{service}:{rung}"),
                        measure: "share".into(),
                        persons: (!hidden && total_p > 0.0)
                            .then(|| disclosure::round_percent(wp / total_p, false)),
                        low: None,
                        high: None,
                        ci_low: None,
                        ci_high: None,
                        estimate: (!hidden).then(|| disclosure::round_percent(w / total_w, false)),
                        first_share: None,
                        top3_share: None,
                        n: published_n(total_n),
                        reliability,
                        suppressed: hidden,
                        counts: Some(Counts {
                            n: total_n,
                            yes: Some(n),
                            sensitive: false,
                            distribution: Some(service.clone()),
                        }),
                    });
                }
            }
            let service = |c: &ReportCell| {
                let (service, _) = c.item.split_once(':')?;
                Some(format!("{}|{}|{service}", c.by, c.level))
            };
            for (small, w) in small.iter_mut().zip(measure::withhold(&mut out, hidden)) {
                *small |= w;
            }
            measure::protect(
                &mut out,
                &counts,
                small,
                disclosure::threshold(false),
                service,
            );
        }
        "R14" => {
            return measure::estimate(
                cells,
                Unit::Sampled { sensitive: false },
                GAPS,
                households,
                hidden,
            );
        }
        "R17" => {
            let unit = Unit::Sampled { sensitive: true };
            return measure::estimate(cells, unit, DISABILITY_GAPS, households, hidden);
        }
        "R13" if form == HOUSEHOLD_FORM => {
            let mut out = measure::estimate(
                cells,
                Unit::Sampled { sensitive: true },
                &[],
                households,
                hidden,
            );
            let ranked = measure::marginalisation_index(&out);
            out.extend(ranked);
            return out;
        }
        "R18" => {
            let mut out = measure::estimate(
                cells,
                Unit::Sampled { sensitive: false },
                &[],
                households,
                hidden,
            );
            let bounds = measure::turnbull(cells, &out);
            out.extend(bounds);
            return out;
        }
        other => {
            let Some(info) = REPORTS.iter().find(|r| r.id == other) else {
                return out;
            };
            let unit = if matches!(form, GROUP_FORM | STAKEHOLDER_FORM) {
                Unit::Group
            } else {
                Unit::Sampled {
                    sensitive: info.sensitive,
                }
            };
            return measure::estimate(cells, unit, &[], households, hidden);
        }
    }
    if report == "R4" {
        out.sort_by(|a, b| {
            (&a.by, &a.level, ladder_rank(&a.item)).cmp(&(&b.by, &b.level, ladder_rank(&b.item)))
        });
    }
    out
}

/// R16's alignment gap: Spearman's ρ between the order in which stakeholders think poor
/// households rank the six concerns (`perceived_poor:*`, city-wide: level `all`, or `city`
/// beside settlement types) and the households' own order (`household:*`), per group of
/// households. Ties get their mean rank. From published figures only; none where any of the
/// households' scores is hidden.
fn alignment(published: &[ReportCell]) -> Vec<ReportCell> {
    let scores = |prefix: &str, by: &str, level: &str| -> Option<Vec<(String, f64)>> {
        let cells: Vec<&ReportCell> = published
            .iter()
            .filter(|c| c.by == by && c.level == level && c.item.starts_with(prefix))
            .collect();
        if cells.is_empty() || cells.iter().any(|c| c.suppressed) {
            return None;
        }
        cells
            .iter()
            .map(|c| Some((c.item[prefix.len()..].to_owned(), c.estimate?)))
            .collect()
    };
    let mut out = Vec::new();
    let mut groups: Vec<(&str, &str)> = published
        .iter()
        .filter(|c| c.item.starts_with("household:"))
        .map(|c| (c.by.as_str(), c.level.as_str()))
        .collect();
    groups.dedup();
    for (by, level) in groups {
        let officials_level = if by == "all" { "all" } else { "city" };
        let mut c = measure::cell(by, level, "alignment_spearman", "rho");
        let households = scores("household:", by, level);
        let officials = scores("perceived_poor:", by, officials_level);
        c.n = published
            .iter()
            .find(|c| c.by == by && c.level == level && c.item.starts_with("household:"))
            .and_then(|c| c.n);
        if let (Some(h), Some(o)) = (households, officials) {
            let paired: Vec<(f64, f64)> = h
                .iter()
                .filter_map(|(item, x)| Some((*x, o.iter().find(|(i, _)| i == item)?.1)))
                .collect();
            if let Some(rho) = stats::spearman(&paired) {
                c.estimate = Some((rho * 100.0).round() / 100.0);
                c.reliability = disclosure::Reliability::Ok;
                c.suppressed = false;
            }
        }
        out.push(c);
    }
    out
}

/// Each service's ladder from best to worst rung: the derived water and sanitation ladders,
/// then F1's `sv_level` choices in the form's order.
pub const LADDERS: &[(&str, &[&str])] = &[
    (
        "water",
        &[
            "basic_plus",
            "basic",
            "limited",
            "basic_or_limited_unknown",
            "unimproved",
            "surface_water",
        ],
    ),
    (
        "sanitation",
        &[
            "basic_plus",
            "basic",
            "limited",
            "unimproved",
            "open_defecation",
        ],
    ),
    (
        "solid_waste",
        &[
            "sw_door_formal",
            "sw_door_informal",
            "sw_communal",
            "sw_burn_bury",
            "sw_dump_open",
        ],
    ),
    (
        "electricity",
        &[
            "el_grid_own",
            "el_grid_shared",
            "el_informal",
            "el_solar_home",
            "el_lantern",
            "el_none",
        ],
    ),
    (
        "drainage",
        &["dr_covered", "dr_open_lined", "dr_unlined", "dr_none"],
    ),
    (
        "transport",
        &["tr_formal_500", "tr_para_500", "tr_over_500", "tr_none"],
    ),
];

/// A report over all its forms: each form's cells (`cells_of`, which may fail) estimated with
/// `estimate` (under the lattice's verdict `hidden`) and concatenated, sorted by group and item when several forms contribute.
pub fn estimate_report<E>(
    info: &ReportInfo,
    households: f64,
    mut cells_of: impl FnMut(&'static str) -> Result<BTreeMap<String, Vec<StratumSums>>, E>,
    hidden: &dyn Fn(&ReportCell) -> bool,
) -> Result<Vec<ReportCell>, E> {
    let mut out = Vec::new();
    for form in info.forms {
        // Only household figures are the lattice's: groups, actors and stakeholders are
        // not respondents whose answers need protecting across tables.
        let verdict: &dyn Fn(&ReportCell) -> bool = if *form == HOUSEHOLD_FORM {
            hidden
        } else {
            &|_| false
        };
        out.extend(estimate(
            info.id,
            form,
            &cells_of(form)?,
            households,
            verdict,
        ));
    }
    if info.id == "R16" {
        let rho = alignment(&out);
        out.extend(rho);
    }
    if info.forms.len() > 1 {
        out.sort_by(|a, b| (&a.by, &a.level, &a.item).cmp(&(&b.by, &b.level, &b.item)));
    }
    Ok(out)
}

/// Every report's default table (its first disaggregation: the whole population, or for R14
/// the household head's sex) for the responses one device holds, as the enumerator client
/// shows a community its own data: the same contributions and the same estimates and
/// disclosure control as the server's reports, but unweighted — the device's interviews are
/// no design sample of the city, so each counts once (one stratum). Returns each report with
/// its cells, in catalogue order.
pub fn local_reports(
    responses: &[(&Form, &Value)],
    ctx: &Context,
) -> Vec<(&'static ReportInfo, Vec<ReportCell>)> {
    // Per (report, form): each cell's summed contributions; per form, the responses counted.
    let mut sums: BTreeMap<(&str, &str), BTreeMap<String, [f64; 4]>> = BTreeMap::new();
    let mut counted: BTreeMap<&str, f64> = BTreeMap::new();
    let default_by: BTreeMap<&str, &str> = REPORTS.iter().map(|r| (r.id, r.by[0])).collect();
    for (form, answers) in responses {
        let form_id = form.settings.form_id.as_str();
        let contributions = contributions(form, answers, ctx);
        if contributions.is_empty() {
            continue;
        }
        *counted.entry(form_id).or_default() += 1.0;
        for c in contributions {
            if default_by.get(c.report).copied() != c.cell.split('|').next() {
                continue;
            }
            let cell = sums
                .entry((c.report, form_id))
                .or_default()
                .entry(c.cell)
                .or_default();
            for (total, x) in cell.iter_mut().zip(c.sums) {
                *total += x;
            }
        }
    }
    let mut out = Vec::new();
    for info in REPORTS {
        let cells = estimate_report(
            info,
            0.0,
            |form| {
                let sample = counted.get(form).copied().unwrap_or_default();
                let form_sums = sums.remove(&(info.id, form)).unwrap_or_default();
                let strata = form_sums
                    .into_iter()
                    .map(|(cell, sums)| {
                        let one = StratumSums {
                            stratum: String::new(),
                            weight: 1.0,
                            sample,
                            sums,
                        };
                        (cell, vec![one])
                    })
                    .collect();
                Ok::<_, std::convert::Infallible>(strata)
            },
            &|_| false,
        );
        match cells {
            Ok(cells) if !cells.is_empty() => out.push((info, cells)),
            _ => {}
        }
    }
    out
}

/// Where `service:rung` sorts: by service, then from the best rung to the worst.
pub fn ladder_rank(item: &str) -> (usize, usize) {
    let (service, rung) = item.split_once(':').unwrap_or((item, ""));
    LADDERS
        .iter()
        .position(|(s, _)| *s == service)
        .map_or((usize::MAX, usize::MAX), |i| {
            let r = LADDERS[i].1.iter().position(|x| *x == rung);
            (i, r.unwrap_or(usize::MAX))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table alone, outside any lattice.
    fn estimate(
        report: &str,
        form: &str,
        cells: &BTreeMap<String, Vec<StratumSums>>,
        households: f64,
    ) -> Vec<ReportCell> {
        super::estimate(report, form, cells, households, &|_| false)
    }

    fn strata(list: &[(f64, [f64; 4])]) -> Vec<StratumSums> {
        list.iter()
            .map(|(weight, sums)| StratumSums {
                stratum: String::new(),
                weight: *weight,
                sample: 120.0,
                sums: *sums,
            })
            .collect()
    }

    fn cell(estimate: Option<f64>, reliability: Reliability, n: Option<u64>) -> ReportCell {
        ReportCell {
            estimate,
            n,
            reliability,
            suppressed: estimate.is_none(),
            ..measure::cell("rs", "female", "water", "share")
        }
    }

    #[test]
    fn a_sparse_subgroup_table_of_one_settlement_is_shown_for_its_type_and_failing_that_the_city() {
        let shown = |c: Option<f64>| cell(c, Reliability::Ok, Some(60));
        let sparse = || vec![shown(Some(1.0)), shown(None)];
        let dense = || vec![shown(Some(1.0)); 5];
        let run = |by: &str, settlement, cells, type_table: Vec<ReportCell>| {
            let mut asked = Vec::new();
            let (_, shown_for) = collapse_sparse::<()>(
                by,
                settlement,
                cells,
                |_| Ok(Some("B".into())),
                |kind| {
                    asked.push(kind.map(str::to_owned));
                    Ok(if kind.is_some() {
                        type_table.clone()
                    } else {
                        dense()
                    })
                },
            )
            .unwrap_or_default();
            (shown_for, asked)
        };
        assert_eq!(run("rs", Some("s06"), dense(), dense()), (None, vec![]));
        assert_eq!(
            run("s", Some("s06"), sparse(), dense()),
            (None, vec![]),
            "not a subgroup table"
        );
        assert_eq!(
            run("rs", None, sparse(), dense()),
            (None, vec![]),
            "not one settlement"
        );
        assert_eq!(
            run("rs", Some("s06"), sparse(), dense()),
            (Some("settlement type B".into()), vec![Some("B".into())])
        );
        assert_eq!(
            run("rs", Some("s06"), sparse(), sparse()),
            (Some("the whole city".into()), vec![Some("B".into()), None])
        );
        // Exactly 20 % hidden is not too sparse; one cell more is.
        let mut five = dense();
        five[0] = shown(None);
        assert!(!too_sparse(&five));
        five[1] = shown(None);
        assert!(too_sparse(&five));
    }

    #[test]
    fn suppressed_figures_read_as_a_star_cautious_ones_in_parentheses_and_small_bases_as_under_5() {
        let ok = cell(Some(61.0), Reliability::Ok, Some(60));
        assert_eq!(ok.figure(ok.estimate, " %"), "61 %");
        assert_eq!(
            ok.figure(None, ""),
            "–",
            "a figure the measure does not have"
        );
        let caution = cell(Some(61.46), Reliability::Caution, Some(30));
        assert_eq!(caution.figure(caution.estimate, ""), "(61.5)");
        let hidden = cell(None, Reliability::Suppressed, None);
        assert_eq!(
            hidden.figure(Some(3.0), ""),
            "*",
            "a suppressed cell never shows a value"
        );
        assert_eq!(hidden.base(), "*");
        assert_eq!(ok.base(), "60");
    }

    #[test]
    fn borda_estimates_weight_each_settlement_by_its_design_weight() {
        // Settlement A (weight 30): 20 households, 100 points for the item (mean 5, all first).
        // Settlement B (weight 10): 20 households, 0 points.
        let mut cells = BTreeMap::new();
        cells.insert(
            "all|all|affordability".to_owned(),
            strata(&[
                (30.0, [20.0, 100.0, 20.0, 20.0]),
                (10.0, [20.0, 0.0, 0.0, 0.0]),
            ]),
        );
        let r = estimate("R1", HOUSEHOLD_FORM, &cells, 0.0);
        assert_eq!(r.len(), 1);
        // Weighted mean = (30·100) / (30·20 + 10·20) = 3.75 → normalised 75.
        assert_eq!(r[0].estimate, Some(75.0));
        assert_eq!(r[0].first_share, Some(75.0));
        assert_eq!(
            (r[0].n, r[0].reliability, r[0].suppressed),
            (Some(40), Reliability::Caution, false)
        );
    }

    #[test]
    fn estimates_on_fewer_than_twenty_five_households_are_suppressed() {
        let mut cells = BTreeMap::new();
        cells.insert(
            "rs|female|employment".to_owned(),
            strata(&[(30.0, [24.0, 50.0, 3.0, 9.0])]),
        );
        let r = estimate("R1", HOUSEHOLD_FORM, &cells, 0.0);
        assert_eq!(
            (r[0].estimate, r[0].suppressed, r[0].reliability),
            (None, true, Reliability::Suppressed)
        );
    }

    #[test]
    fn ladder_shares_add_up_and_small_rungs_are_hidden_with_a_partner() {
        let mut cells = BTreeMap::new();
        cells.insert(
            "all|all|water|basic".to_owned(),
            strata(&[(10.0, [60.0, 0.0, 0.0, 0.0])]),
        );
        cells.insert(
            "all|all|water|limited".to_owned(),
            strata(&[(10.0, [37.0, 0.0, 0.0, 0.0])]),
        );
        cells.insert(
            "all|all|water|surface_water".to_owned(),
            strata(&[(10.0, [3.0, 0.0, 0.0, 0.0])]),
        );
        let r = estimate("R4", HOUSEHOLD_FORM, &cells, 0.0);
        let by_item: BTreeMap<&str, &ReportCell> = r.iter().map(|c| (c.item.as_str(), c)).collect();
        assert_eq!(by_item["water:basic"].estimate, Some(60.0));
        assert!(
            by_item["water:surface_water"].suppressed,
            "3 households is a small count"
        );
        assert!(
            by_item["water:limited"].suppressed,
            "…and the next smallest goes with it"
        );
    }

    #[test]
    fn a_base_of_one_to_four_households_is_withheld_and_rung_counts_are_never_published() {
        let mut cells = BTreeMap::new();
        cells.insert(
            "d|disability|employment".to_owned(),
            strata(&[(30.0, [3.0, 6.0, 1.0, 2.0])]),
        );
        let r = estimate("R1", HOUSEHOLD_FORM, &cells, 0.0);
        assert_eq!((r[0].n, r[0].suppressed), (None, true));
        let mut cells = BTreeMap::new();
        for (rung, n) in [("basic", 40.0), ("limited", 20.0)] {
            cells.insert(
                format!("all|all|water|{rung}"),
                strata(&[(10.0, [n, 0.0, 0.0, 0.0])]),
            );
        }
        let r = estimate("R4", HOUSEHOLD_FORM, &cells, 0.0);
        assert!(
            r.iter().all(|c| c.n == Some(60)),
            "each rung shows its group's base, not its own count: {r:?}"
        );
    }

    #[test]
    fn a_household_is_in_the_first_quintile_up_to_the_first_cut_off() {
        let cuts = [10.0, 20.0, 30.0, 40.0];
        assert_eq!(quintile(&cuts, 0.0), 1);
        assert_eq!(
            quintile(&cuts, 10.0),
            1,
            "a cut-off belongs to the quintile below"
        );
        assert_eq!(quintile(&cuts, 10.5), 2);
        assert_eq!(quintile(&cuts, 40.0), 4);
        assert_eq!(quintile(&cuts, 1e9), 5);
        let incomes: Vec<(f64, f64)> = (1..=100).map(|i| (f64::from(i), 1.0)).collect();
        let cuts = quintile_cuts(&incomes).expect("cuts");
        assert!(cuts.windows(2).all(|w| w[0] < w[1]), "{cuts:?}");
        assert_eq!(quintile_cuts(&[]), None);
        let household =
            |consent: &str| serde_json::json!({"consent": consent, "inc_month": 300, "hh_size": 3});
        assert_eq!(quintile_income(&household("yes")), Some(100.0));
        assert_eq!(
            quintile_income(&household("no")),
            None,
            "no consent, no figure"
        );
    }
}
