//! Generic measures over per-stratum sums: weighted shares (with categorical distributions),
//! weighted means, weighted quantiles from value bins, and gaps between two groups with a
//! design-based 95 % confidence interval. Cell keys are `by|level|item|m` where `m` is `p`
//! (share: sums = [eligible, yes]), `m` (mean: [eligible, Σx, Σx²]), `r` (a mean published
//! per 10,000 households of the settlement frame: [eligible, Σx, Σx²]), `c` (the category a
//! categorical variable's item `var=category` names: [count]; the variable's denominator is
//! the sum over its categories) or `q<value>` (one value bin of a quantile: [count]).

use std::collections::BTreeMap;

use super::{Counts, ReportCell, Sink, StratumSums};
use crate::disclosure::{self, Reliability};

/// Emits one report's contributions for every disaggregation group of a response.
pub struct Emit<'a> {
    pub report: &'static str,
    pub groups: &'a [(&'static str, String)],
    pub out: &'a mut dyn Sink,
}

/// A cell key: `parts` joined by `|` onto `cell`. Joined by hand: this runs hundreds of
/// times per interview in the projector, and `format!` or `join` cost more.
pub fn key_into(cell: &mut String, parts: &[&str]) {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            cell.push('|');
        }
        cell.push_str(part);
    }
}

impl Emit<'_> {
    fn push(&mut self, item: &str, measure: &str, sums: [f64; 4]) {
        for (by, level) in self.groups {
            self.out.add(self.report, &[by, level, item, measure], sums);
        }
    }

    /// A share: `None` when the response is not in the denominator.
    pub fn share(&mut self, item: &str, yes: Option<bool>) {
        if let Some(y) = yes {
            self.push(item, "p", [1.0, f64::from(u8::from(y)), 0.0, 0.0]);
        }
    }

    /// A share counted in units (adults, people) rather than households: each unit gets the
    /// household's weight.
    pub fn share_of_units(&mut self, item: &str, units: f64, yes: Option<bool>) {
        if let (Some(y), true) = (yes, units > 0.0) {
            self.push(item, "p", [units, units * f64::from(u8::from(y)), 0.0, 0.0]);
        }
    }

    /// A categorical variable: one count for the category chosen (`var=category`); each
    /// category's share is its count over all the variable's counts, so a response adds one
    /// cell, not one per category (categories no response chose are not published). `None`
    /// when the response is not in the denominator.
    pub fn category(&mut self, var: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.push(&[var, "=", value].concat(), "c", [1.0, 0.0, 0.0, 0.0]);
        }
    }

    pub fn mean(&mut self, item: &str, x: Option<f64>) {
        if let Some(x) = x.filter(|x| x.is_finite()) {
            self.push(item, "m", [1.0, x, x * x, 0.0]);
        }
    }

    /// A count whose mean is published per 10,000 households of the settlement frame.
    pub fn rate(&mut self, item: &str, x: Option<f64>) {
        if let Some(x) = x.filter(|x| x.is_finite()) {
            self.push(item, "r", [1.0, x, x * x, 0.0]);
        }
    }

    /// A value for a quantile, kept in bins of width `step`; a `step` of 0 keeps two
    /// significant digits instead (prices, which range from a tariff's cents to a vendor's
    /// units: fixed bins would round the one to nothing or multiply the other's cells).
    pub fn quantile(&mut self, item: &str, x: Option<f64>, step: f64) {
        if let Some(x) = x.filter(|x| x.is_finite()) {
            let step = if step > 0.0 || x == 0.0 {
                step
            } else {
                10f64.powi(x.abs().log10().floor() as i32 - 1)
            };
            let bin = if step > 0.0 {
                (x / step).round() * step
            } else {
                x
            };
            // Trim float noise so that one value always lands in one bin key.
            let key = format!("q{}", (bin * 1e6).round() / 1e6);
            self.push(item, &key, [1.0, 0.0, 0.0, 0.0]);
        }
    }
}

/// How a report's units are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Sampled units with the reliability and count rules: F1 households (design-weighted)
    /// and F3 actors (weight 1, and individual informal operators among them).
    Sampled { sensitive: bool },
    /// Focus groups (F2) and municipal stakeholders (F4): unweighted, the group or the
    /// official is the unit; flagged, never suppressed (DOMAIN.md §4.3 rule 7).
    Group,
}

struct Parsed<'a> {
    by: &'a str,
    level: &'a str,
    item: &'a str,
    measure: &'a str,
}

fn parse(key: &str) -> Option<Parsed<'_>> {
    let mut parts = key.splitn(4, '|');
    Some(Parsed {
        by: parts.next()?,
        level: parts.next()?,
        item: parts.next()?,
        measure: parts.next()?,
    })
}

/// A quantile bin: its value, weighted count, unweighted count, and its sums per stratum.
type Bin<'a> = (f64, f64, u64, &'a [StratumSums]);

/// A category of a categorical variable: its item (`var=category`) and per-stratum counts.
type Category<'a> = (&'a str, &'a [StratumSums]);

/// Weighted totals of one cell over its strata.
fn totals(strata: &[StratumSums]) -> (f64, f64, u64, u64) {
    let mut t = (0.0, 0.0, 0u64, 0u64);
    for s in strata {
        t.0 += s.weight * s.sums[0];
        t.1 += s.weight * s.sums[1];
        t.2 += s.sums[0].round() as u64;
        t.3 += s.sums[1].round() as u64;
    }
    t
}

fn reliability(unit: Unit, n: u64) -> Reliability {
    match unit {
        Unit::Sampled { .. } => disclosure::reliability(n),
        Unit::Group if n < 3 => Reliability::Caution,
        Unit::Group => Reliability::Ok,
    }
}

fn base_n(unit: Unit, n: u64) -> Option<u64> {
    match unit {
        Unit::Sampled { .. } => (n == 0 || n >= disclosure::threshold(false)).then_some(n),
        Unit::Group => Some(n),
    }
}

/// The counts a household cell rests on (`None` for groups, which need no protection).
fn counts(unit: Unit, n: u64, yes: Option<u64>, sensitive: bool, item: &str) -> Option<Counts> {
    matches!(unit, Unit::Sampled { .. }).then(|| Counts {
        n,
        yes,
        sensitive,
        distribution: item.split_once('=').map(|(var, _)| var.to_owned()),
    })
}

/// A cell with nothing published yet (suppressed until estimated).
pub(super) fn cell(by: &str, level: &str, item: &str, measure: &str) -> ReportCell {
    ReportCell {
        by: by.into(),
        level: level.into(),
        item: item.into(),
        measure: measure.into(),
        estimate: None,
        first_share: None,
        top3_share: None,
        persons: None,
        low: None,
        high: None,
        ci_low: None,
        ci_high: None,
        n: None,
        reliability: Reliability::Suppressed,
        suppressed: true,
        counts: None,
    }
}

/// Hides a cell's figures (not its base: see `withhold`).
pub(super) fn conceal(c: &mut ReportCell) {
    c.estimate = None;
    c.first_share = None;
    c.top3_share = None;
    c.low = None;
    c.high = None;
    c.ci_low = None;
    c.ci_high = None;
    c.persons = None;
    c.suppressed = true;
}

/// Applies the lattice's verdict (`hidden`, see `lattice`) to household cells: a cell it
/// hides loses its figures and its base, which could otherwise be subtracted. Returns which
/// cells it hid.
pub(super) fn withhold(out: &mut [ReportCell], hidden: &dyn Fn(&ReportCell) -> bool) -> Vec<bool> {
    out.iter_mut()
        .map(|c| {
            let hide = c.counts.is_some() && hidden(c);
            if hide {
                conceal(c);
                c.n = None;
            }
            hide
        })
        .collect()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Estimates every cell of a generic report. `gap_levels`: for a gap report, the two levels
/// of each disaggregation whose difference is published (first minus second). `households`:
/// the settlement frame's households, for rates per 10,000 of them.
pub fn estimate(
    cells: &BTreeMap<String, Vec<StratumSums>>,
    unit: Unit,
    gap_levels: &[(&str, &str, &str)],
    households: f64,
    hidden: &dyn Fn(&ReportCell) -> bool,
) -> Vec<ReportCell> {
    let sensitive = matches!(unit, Unit::Sampled { sensitive: true });
    let threshold = disclosure::threshold(sensitive);
    let mut out: Vec<ReportCell> = Vec::new();
    // Beside `out`, for secondary suppression: the unweighted yes counts of the share cells,
    // and whether a cell is hidden for a small count (not merely for reliability).
    let mut yes: Vec<u64> = Vec::new();
    let mut small_count: Vec<bool> = Vec::new();
    let mut bins: BTreeMap<(&str, &str, &str), Vec<Bin>> = BTreeMap::new();
    let mut categories: BTreeMap<(&str, &str, &str), Vec<Category>> = BTreeMap::new();
    for (key, strata) in cells {
        let Some(p) = parse(key) else { continue };
        if p.measure == "c" {
            if let Some((var, _)) = p.item.split_once('=') {
                categories
                    .entry((p.by, p.level, var))
                    .or_default()
                    .push((p.item, strata));
            }
            continue;
        }
        if let Some(v) = p.measure.strip_prefix('q') {
            if let Ok(v) = v.parse::<f64>() {
                let (w, _, n, _) = totals(strata);
                bins.entry((p.by, p.level, p.item))
                    .or_default()
                    .push((v, w, n, strata));
            }
            continue;
        }
        if p.measure == "p" {
            let (c, ny, disclosive) = share(p.by, p.level, p.item, strata, unit);
            out.push(c);
            yes.push(ny);
            small_count.push(disclosive);
            continue;
        }
        let (w, wy, n, ny) = totals(strata);
        let rel = reliability(unit, n);
        let mut c = cell(p.by, p.level, p.item, "");
        c.n = base_n(unit, n);
        c.counts = counts(unit, n, None, false, "");
        c.reliability = rel;
        match p.measure {
            "m" => {
                c.measure = "mean".into();
                if w > 0.0 && rel != Reliability::Suppressed {
                    c.estimate = Some(round1(wy / w));
                    c.suppressed = false;
                    if matches!(unit, Unit::Sampled { .. }) {
                        let (m, var) = domain_ratio(strata, |s| s.sums[2]);
                        let half = 1.96 * var.max(0.0).sqrt();
                        c.low = Some(round1(m - half));
                        c.high = Some(round1(m + half));
                    }
                }
            }
            "r" => {
                c.measure = "rate".into();
                if w > 0.0 && households > 0.0 && rel != Reliability::Suppressed {
                    c.estimate = Some(round1(wy / w * 10_000.0 / households));
                    c.suppressed = false;
                }
            }
            _ => continue,
        }
        out.push(c);
        yes.push(ny);
        small_count.push(false);
    }
    // Categorical variables: per settlement, the denominator is every category's count.
    for ((by, level, _), members) in categories {
        let mut eligible: Vec<StratumSums> = Vec::new();
        for s in members.iter().flat_map(|(_, strata)| strata.iter()) {
            match eligible.iter_mut().find(|e| e.stratum == s.stratum) {
                Some(e) => e.sums[0] += s.sums[0],
                None => eligible.push(StratumSums {
                    sums: [s.sums[0], 0.0, 0.0, 0.0],
                    ..s.clone()
                }),
            }
        }
        for (item, strata) in members {
            let domain: Vec<StratumSums> = eligible
                .iter()
                .map(|e| {
                    let y = strata
                        .iter()
                        .find(|s| s.stratum == e.stratum)
                        .map_or(0.0, |s| s.sums[0]);
                    StratumSums {
                        sums: [e.sums[0], y, 0.0, 0.0],
                        ..e.clone()
                    }
                })
                .collect();
            let (c, ny, disclosive) = share(by, level, item, &domain, unit);
            out.push(c);
            yes.push(ny);
            small_count.push(disclosive);
        }
    }
    for ((by, level, item), values) in bins {
        let n: u64 = values.iter().map(|v| v.2).sum();
        let rel = reliability(unit, n);
        let mut c = cell(by, level, item, "median");
        c.n = base_n(unit, n);
        c.counts = counts(unit, n, None, false, "");
        c.reliability = rel;
        if rel != Reliability::Suppressed {
            let weighted: Vec<(f64, f64)> = values.iter().map(|v| (v.0, v.1)).collect();
            let q = |p| crate::stats::weighted_quantile(&weighted, p);
            c.estimate = q(0.5);
            c.low = q(0.25);
            c.high = q(0.75);
            c.suppressed = c.estimate.is_none();
            if let (Some(median), Unit::Sampled { .. }) = (c.estimate, unit) {
                let (_, var) = domain_share(&below(&values, median));
                let half = 1.96 * var.max(0.0).sqrt();
                c.ci_low = q((0.5 - half).max(0.0));
                c.ci_high = q((0.5 + half).min(1.0));
            }
        }
        out.push(c);
        yes.push(0);
        small_count.push(false);
    }
    if unit != Unit::Group {
        let withheld = withhold(&mut out, hidden);
        for (small, w) in small_count.iter_mut().zip(withheld) {
            *small |= w;
        }
        protect(&mut out, &yes, small_count, threshold, distribution);
    }
    let gaps = gaps(cells, &out, gap_levels);
    out.extend(gaps);
    out.sort_by(|a, b| (&a.by, &a.level, &a.item).cmp(&(&b.by, &b.level, &b.item)));
    out
}

/// A share cell from per-stratum [eligible, yes] sums, with the reliability and small-count
/// rules of its unit; also its yes count and whether it is hidden for a small count.
fn share(
    by: &str,
    level: &str,
    item: &str,
    strata: &[StratumSums],
    unit: Unit,
) -> (ReportCell, u64, bool) {
    let sensitive =
        matches!(unit, Unit::Sampled { sensitive: true }) || disclosure::sensitive_item(item);
    let threshold = disclosure::threshold(sensitive);
    let (w, wy, n, ny) = totals(strata);
    let rel = reliability(unit, n);
    let mut c = cell(by, level, item, "share");
    c.n = base_n(unit, n);
    c.counts = counts(unit, n, Some(ny), sensitive, item);
    c.reliability = rel;
    let small = |k: u64| k > 0 && k < threshold;
    let sampled = matches!(unit, Unit::Sampled { .. });
    let disclosive = sampled && (small(ny) || (sensitive && small(n.saturating_sub(ny))));
    let hidden = disclosive || (sampled && rel == Reliability::Suppressed);
    if w > 0.0 && !hidden {
        c.estimate = Some(disclosure::round_percent(wy / w, false));
        c.suppressed = false;
        // The 95 % interval (Taylor linearisation over the strata), rounded like the
        // estimate and kept within 0–100 %.
        if sampled {
            let (p, var) = domain_share(strata);
            let half = 1.96 * var.max(0.0).sqrt();
            c.low = Some(disclosure::round_percent((p - half).max(0.0), false));
            c.high = Some(disclosure::round_percent((p + half).min(1.0), false));
        }
    }
    (c, ny, disclosive)
}

/// The distribution a share cell belongs to: the categories (`var=…` items) of one variable
/// in one group, which add up to 100 %.
fn distribution(c: &ReportCell) -> Option<String> {
    let (var, _) = c.item.split_once('=')?;
    Some(format!("{}|{}|{var}", c.by, c.level))
}

/// Secondary suppression (DOMAIN.md §4.3 rule 4), repeated until nothing changes:
/// - rows: within each distribution (`row` names it), a lone hidden category would be 100 %
///   minus the others, so a partner is hidden too (the usual primary + secondary rule, seeded
///   with what is already hidden);
/// - columns: an item across the levels of one disaggregation (female- and male-headed, the
///   settlements…) adds up to the whole population's figure published in `by=all`, so a cell
///   hidden alone in its column for a small count takes the smallest shown cell of the
///   column with it.
///
/// `counts` are the cells' unweighted counts; `small_count` says which hidden cells protect
/// a small count (cells hidden only for reliability reveal nothing by subtraction).
pub(super) fn protect(
    out: &mut [ReportCell],
    counts: &[u64],
    mut small_count: Vec<bool>,
    threshold: u64,
    row: impl Fn(&ReportCell) -> Option<String>,
) {
    let mut rows: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut columns: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in out.iter().enumerate() {
        if c.measure != "share" {
            continue;
        }
        if let Some(key) = row(c) {
            rows.entry(key).or_default().push(i);
        }
        if c.by != "all" {
            columns
                .entry((c.by.clone(), c.item.clone()))
                .or_default()
                .push(i);
        }
    }
    let hide = |c: &mut ReportCell| {
        c.estimate = None;
        c.low = None;
        c.high = None;
        c.persons = None;
        c.suppressed = true;
    };
    // Each pass hides at least one more cell, so this ends; the bound is a guard.
    for _ in 0..out.len() + 1 {
        let mut changed = false;
        for members in rows.values() {
            let already: Vec<bool> = members.iter().map(|&i| out[i].suppressed).collect();
            // Cells hidden for reliability hide the whole distribution (one base for all).
            if already.iter().all(|h| *h) {
                continue;
            }
            let mut seeded: Vec<u64> = members.iter().map(|&i| counts[i]).collect();
            for (k, h) in already.iter().enumerate() {
                if *h {
                    seeded[k] = seeded[k].clamp(1, threshold.saturating_sub(1).max(1));
                }
            }
            let marks = disclosure::suppress(&[seeded], threshold == 10);
            for (k, &i) in members.iter().enumerate() {
                if marks[0][k].is_some() && !already[k] {
                    hide(&mut out[i]);
                    small_count[i] = true;
                    changed = true;
                }
            }
        }
        for members in columns.values() {
            let hidden: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| out[i].suppressed)
                .collect();
            if hidden.len() != 1 || !small_count[hidden[0]] {
                continue;
            }
            let partner = members
                .iter()
                .copied()
                .filter(|&i| !out[i].suppressed)
                .min_by_key(|&i| (counts[i], i));
            if let Some(i) = partner {
                hide(&mut out[i]);
                small_count[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// The six settlement rates R13's marginalisation index standardises (DOMAIN.md §4.2).
const RATES: [&str; 6] = [
    "deprivations_2_or_more",
    "no_id_document",
    "not_registered_to_vote",
    "discrimination",
    "insecure_tenure",
    "basic_water_not_met",
];

/// R13's settlement ranking, from the published shares by settlement (`by=s`): the
/// composite marginalisation index — the mean of the z-scores, across settlements, of six
/// rates (DOMAIN.md §4.2) — and the UN-Habitat "slum area" flag (at least half the
/// households with one deprivation or more). Built from published figures only, so it
/// discloses nothing they do not: a rate hidden in a settlement is left out of its mean
/// and of that rate's standardisation; a settlement publishing fewer than four of the six
/// gets no index, and one with fewer than six is marked "interpret with caution".
pub fn marginalisation_index(published: &[ReportCell]) -> Vec<ReportCell> {
    /// Rates a settlement must publish to be ranked.
    const MIN_RATES: usize = 4;
    let by_s: Vec<&ReportCell> = published.iter().filter(|c| c.by == "s").collect();
    let mut levels: Vec<&str> = by_s.iter().map(|c| c.level.as_str()).collect();
    levels.dedup();
    let find = |level: &str, item: &str| {
        by_s.iter()
            .find(|c| c.level == level && c.item == item)
            .copied()
    };
    // Each settlement's six rates as published (`None` where hidden).
    let rates: Vec<(&str, Vec<Option<f64>>)> = levels
        .iter()
        .map(|l| {
            let v = RATES
                .iter()
                .map(|item| {
                    find(l, item)
                        .filter(|c| !c.suppressed)
                        .and_then(|c| c.estimate)
                })
                .collect();
            (*l, v)
        })
        .collect();
    // Each rate's mean and standard deviation over the settlements that publish it.
    let stats: Vec<Option<(f64, f64)>> = (0..RATES.len())
        .map(|k| {
            let xs: Vec<f64> = rates.iter().filter_map(|r| r.1[k]).collect();
            (xs.len() >= 2).then(|| {
                let m = xs.iter().sum::<f64>() / xs.len() as f64;
                let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64;
                (m, var.sqrt())
            })
        })
        .collect();
    let mut out = Vec::new();
    for level in levels {
        let mut c = cell("s", level, "marginalisation_index", "index");
        let mine = rates.iter().find(|r| r.0 == level).map(|r| &r.1);
        let z: Vec<f64> = mine
            .into_iter()
            .flatten()
            .zip(&stats)
            .filter_map(|(x, s)| {
                let (m, sd) = (*s)?;
                Some(if sd > 0.0 {
                    (x.as_ref()? - m) / sd
                } else {
                    0.0
                })
            })
            .collect();
        if z.len() >= MIN_RATES {
            let index = z.iter().sum::<f64>() / z.len() as f64;
            c.estimate = Some((index * 100.0).round() / 100.0);
            let base = find(level, RATES[0]);
            c.n = base.and_then(|b| b.n);
            // Fewer than six rates published, or any of them on 25–49 cases: caution.
            let caution = z.len() < RATES.len()
                || RATES
                    .iter()
                    .filter_map(|i| find(level, i))
                    .any(|c| !c.suppressed && c.reliability != Reliability::Ok);
            c.reliability = if caution {
                Reliability::Caution
            } else {
                Reliability::Ok
            };
            c.suppressed = false;
        }
        out.push(c);
        let mut flag = cell("s", level, "slum_area", "flag");
        if let Some(d) = find(level, "deprivations_1_or_more").filter(|c| !c.suppressed) {
            flag.estimate = d.estimate.map(|p| if p >= 50.0 { 1.0 } else { 0.0 });
            flag.reliability = d.reliability;
            flag.n = d.n;
            flag.suppressed = flag.estimate.is_none();
        }
        out.push(flag);
    }
    out
}

/// One bid set of a group: its mean bill, share accepting, weighted and unweighted count.
type Bid = (f64, f64, f64, u64);

/// R18's lower-bound mean willingness to pay (Turnbull), per group: the bids in order of
/// the mean monthly bill offered (`bill:b<k>`), the weighted share accepting at each
/// (`accept:b<k>`) made non-increasing by pooling adjacent violators, and each bid's drop
/// in acceptance valued at that bid: Σ t_j (S_j − S_{j+1}), S after the last bid = 0. Shown
/// when the group's households pass the reliability rule and every bid has at least the
/// small-count threshold of them.
pub fn turnbull(
    cells: &BTreeMap<String, Vec<StratumSums>>,
    published: &[ReportCell],
) -> Vec<ReportCell> {
    // (by, level) → per bid: (mean bill, accept share, weight, n).
    let mut groups: BTreeMap<(&str, &str), Vec<Bid>> = BTreeMap::new();
    for (key, strata) in cells {
        let Some(p) = parse(key) else { continue };
        let Some(bid) = p.item.strip_prefix("accept:") else {
            continue;
        };
        let (w, wy, n, _) = totals(strata);
        let bill = cells
            .get(&format!("{}|{}|bill:{bid}|m", p.by, p.level))
            .map(|b| totals(b))
            .filter(|b| b.0 > 0.0)
            .map(|b| b.1 / b.0);
        if let (Some(t), true) = (bill, w > 0.0) {
            groups
                .entry((p.by, p.level))
                .or_default()
                .push((t, wy / w, w, n));
        }
    }
    let mut out = Vec::new();
    for ((by, level), mut bids) in groups {
        let mut c = cell(by, level, "turnbull_lower_bound", "bound");
        let n: u64 = bids.iter().map(|b| b.3).sum();
        let rel = disclosure::reliability(n);
        c.n = (n == 0 || n >= disclosure::threshold(false)).then_some(n);
        c.reliability = rel;
        let thin = bids.iter().any(|b| b.3 < disclosure::threshold(false));
        if rel != Reliability::Suppressed && !thin {
            bids.sort_by(|a, b| a.0.total_cmp(&b.0));
            let survival =
                pooled_non_increasing(&bids.iter().map(|b| (b.1, b.2)).collect::<Vec<_>>());
            let mut bound = 0.0;
            for (j, b) in bids.iter().enumerate() {
                let next = survival.get(j + 1).copied().unwrap_or(0.0);
                bound += b.0 * (survival[j] - next);
            }
            c.estimate = Some(round1(bound));
            c.suppressed = false;
        }
        // No bound where the acceptance shares themselves are all hidden.
        let shown = published.iter().any(|p| {
            p.by == by && p.level == level && p.item.starts_with("accept:b") && !p.suppressed
        });
        if !shown {
            c.estimate = None;
            c.suppressed = true;
        }
        out.push(c);
    }
    out
}

/// Pool adjacent violators: the weighted least-squares non-increasing sequence closest to
/// `(value, weight)` in order.
fn pooled_non_increasing(xs: &[(f64, f64)]) -> Vec<f64> {
    // Blocks of (mean, weight, length).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for &(x, w) in xs {
        blocks.push((x, w, 1));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.0 >= b.0 {
                break;
            }
            let w = a.1 + b.1;
            let m = if w > 0.0 {
                (a.0 * a.1 + b.0 * b.1) / w
            } else {
                (a.0 + b.0) / 2.0
            };
            blocks.truncate(blocks.len() - 2);
            blocks.push((m, w, a.2 + b.2));
        }
    }
    blocks
        .into_iter()
        .flat_map(|(m, _, len)| std::iter::repeat_n(m, len))
        .collect()
}

/// Gap cells: for each `(by, first, second)`, every share item's first-minus-second
/// difference in percentage points with a 95 % interval (Taylor linearisation over the
/// settlement strata), suppressed when either side is.
fn gaps(
    cells: &BTreeMap<String, Vec<StratumSums>>,
    published: &[ReportCell],
    gap_levels: &[(&str, &str, &str)],
) -> Vec<ReportCell> {
    let mut out = Vec::new();
    for (by, first, second) in gap_levels {
        let items: Vec<&str> = published
            .iter()
            .filter(|c| c.by == *by && c.level == *first && c.measure == "share")
            .map(|c| c.item.as_str())
            .collect();
        for item in items {
            let side = |level: &str| {
                let c = published
                    .iter()
                    .find(|c| c.by == *by && c.level == level && c.item == item)?;
                let strata = cells.get(&format!("{by}|{level}|{item}|p"))?;
                Some((c, strata))
            };
            let mut c = cell(by, "gap", item, "gap");
            if let (Some((a, sa)), Some((b, sb))) = (side(first), side(second))
                && !a.suppressed
                && !b.suppressed
            {
                let (pa, va) = domain_share(sa);
                let (pb, vb) = domain_share(sb);
                let cov = covariance(sa, sb, pa, pb);
                let d = 100.0 * (pa - pb);
                let se = 100.0 * (va + vb - 2.0 * cov).max(0.0).sqrt();
                c.estimate = Some(round1(d));
                c.low = Some(round1(d - 1.96 * se));
                c.high = Some(round1(d + 1.96 * se));
                // The gap rests on both groups' households (both shown, so both published).
                c.n = a.n.zip(b.n).map(|(x, y)| x + y);
                c.reliability =
                    if a.reliability == Reliability::Ok && b.reliability == Reliability::Ok {
                        Reliability::Ok
                    } else {
                        Reliability::Caution
                    };
                c.suppressed = false;
            }
            out.push(c);
        }
    }
    out
}

/// A domain share and its linearised variance from per-stratum sums (y binary, so Σy² = Σy).
fn domain_share(strata: &[StratumSums]) -> (f64, f64) {
    domain_ratio(strata, |s| s.sums[1])
}

/// A domain mean Σw·y / Σw over the eligible and its linearised variance (Taylor, settlement
/// strata) from per-stratum sums: eligible count, Σy and `square`, Σy².
fn domain_ratio(strata: &[StratumSums], square: impl Fn(&StratumSums) -> f64) -> (f64, f64) {
    let w: f64 = strata.iter().map(|s| s.weight * s.sums[0]).sum();
    let wy: f64 = strata.iter().map(|s| s.weight * s.sums[1]).sum();
    if w <= 0.0 {
        return (0.0, 0.0);
    }
    let p = wy / w;
    let mut var = 0.0;
    for s in strata {
        let nh = s.sample;
        if nh < 2.0 {
            continue;
        }
        let (e, y) = (s.sums[0], s.sums[1]);
        let k = s.weight / w;
        let sum_z2 = k * k * (square(s) - 2.0 * p * y + p * p * e);
        let sum_z = k * (y - p * e);
        var += nh / (nh - 1.0) * (sum_z2 - sum_z * sum_z / nh);
    }
    (p, var)
}

/// Per stratum, the units with a value (`sums[0]`) and those at or below `x` (`sums[1]`):
/// the share below a quantile, whose variance gives the quantile's interval (Woodruff).
fn below(bins: &[Bin<'_>], x: f64) -> Vec<StratumSums> {
    let mut out: Vec<StratumSums> = Vec::new();
    for (v, _, _, strata) in bins {
        for s in *strata {
            let i = match out.iter().position(|o| o.stratum == s.stratum) {
                Some(i) => i,
                None => {
                    out.push(StratumSums {
                        sums: [0.0; 4],
                        ..s.clone()
                    });
                    out.len() - 1
                }
            };
            out[i].sums[0] += s.sums[0];
            if *v <= x {
                out[i].sums[1] += s.sums[0];
            }
        }
    }
    out
}

/// The covariance of two disjoint domains' shares in the same strata.
fn covariance(a: &[StratumSums], b: &[StratumSums], pa: f64, pb: f64) -> f64 {
    let wa: f64 = a.iter().map(|s| s.weight * s.sums[0]).sum();
    let wb: f64 = b.iter().map(|s| s.weight * s.sums[0]).sum();
    if wa <= 0.0 || wb <= 0.0 {
        return 0.0;
    }
    let mut cov = 0.0;
    for sa in a {
        let Some(sb) = b.iter().find(|s| s.stratum == sa.stratum) else {
            continue;
        };
        let nh = sa.sample;
        if nh < 2.0 {
            continue;
        }
        let za = sa.weight / wa * (sa.sums[1] - pa * sa.sums[0]);
        let zb = sb.weight / wb * (sb.sums[1] - pb * sb.sums[0]);
        // Disjoint domains: no unit is in both, so only the stratum-mean term remains.
        cov += nh / (nh - 1.0) * (0.0 - za * zb / nh);
    }
    cov
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table alone, outside any lattice.
    fn estimate(
        cells: &BTreeMap<String, Vec<StratumSums>>,
        unit: Unit,
        gap_levels: &[(&str, &str, &str)],
        households: f64,
    ) -> Vec<ReportCell> {
        super::estimate(cells, unit, gap_levels, households, &|_| false)
    }

    fn stratum(stratum: &str, weight: f64, sample: f64, e: f64, y: f64) -> StratumSums {
        StratumSums {
            stratum: stratum.into(),
            weight,
            sample,
            sums: [e, y, 0.0, 0.0],
        }
    }

    fn one(key: &str, strata: Vec<StratumSums>) -> BTreeMap<String, Vec<StratumSums>> {
        BTreeMap::from([(key.to_owned(), strata)])
    }

    #[test]
    fn a_share_needs_twenty_five_cases_and_five_yes_answers() {
        let hh = Unit::Sampled { sensitive: false };
        let r = estimate(
            &one("all|all|x|p", vec![stratum("a", 2.0, 60.0, 60.0, 30.0)]),
            hh,
            &[],
            0.0,
        );
        assert_eq!((r[0].estimate, r[0].n), (Some(50.0), Some(60)));
        // p = 0.5 with all 60 of the stratum sampled: half-width 1.96 · √(0.25 / 59) ≈ 12.8.
        assert_eq!((r[0].low, r[0].high), (Some(37.0), Some(63.0)));
        let r = estimate(
            &one("all|all|x|p", vec![stratum("a", 2.0, 60.0, 24.0, 12.0)]),
            hh,
            &[],
            0.0,
        );
        assert!(r[0].suppressed, "n = 24");
        let r = estimate(
            &one("all|all|x|p", vec![stratum("a", 2.0, 60.0, 60.0, 4.0)]),
            hh,
            &[],
            0.0,
        );
        assert!(r[0].suppressed, "4 yes answers is a small count");
    }

    #[test]
    fn sensitive_shares_need_ten_on_both_sides() {
        let sens = Unit::Sampled { sensitive: true };
        let r = estimate(
            &one("all|all|x|p", vec![stratum("a", 1.0, 60.0, 60.0, 9.0)]),
            sens,
            &[],
            0.0,
        );
        assert!(r[0].suppressed, "9 yes answers to a sensitive item");
        let r = estimate(
            &one("all|all|x|p", vec![stratum("a", 1.0, 60.0, 60.0, 51.0)]),
            sens,
            &[],
            0.0,
        );
        assert!(r[0].suppressed, "9 no answers reveal as much");
        let r = estimate(
            &one("all|all|x|p", vec![stratum("a", 1.0, 60.0, 60.0, 10.0)]),
            sens,
            &[],
            0.0,
        );
        assert_eq!(r[0].estimate, Some(17.0));
    }

    #[test]
    fn a_lone_small_category_takes_a_partner_with_it() {
        let hh = Unit::Sampled { sensitive: false };
        let mut cells = BTreeMap::new();
        for (cat, y) in [("a", 50.0), ("b", 7.0), ("c", 3.0)] {
            cells.insert(
                format!("all|all|v={cat}|p"),
                vec![stratum("s", 1.0, 60.0, 60.0, y)],
            );
        }
        let r = estimate(&cells, hh, &[], 0.0);
        let hidden: Vec<&str> = r
            .iter()
            .filter(|c| c.suppressed)
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(hidden, ["v=b", "v=c"], "3 is small; 7 goes with it");
    }

    #[test]
    fn a_small_count_hidden_alone_among_a_disaggregations_levels_takes_a_partner() {
        let hh = Unit::Sampled { sensitive: false };
        // Female-headed: 3 of 60 said yes (hidden); the two other levels are shown. With the
        // city-wide figure from by=all, the hidden one would be their difference, so the
        // smaller of the two others (12 of 80, not 40 of 300) is hidden too.
        let mut cells = BTreeMap::new();
        for (level, n, y) in [
            ("female", 60.0, 3.0),
            ("male", 300.0, 40.0),
            ("both", 80.0, 12.0),
        ] {
            cells.insert(
                format!("hs|{level}|x|p"),
                vec![stratum("s", 2.0, 440.0, n, y)],
            );
        }
        let hidden = |r: &[ReportCell]| -> Vec<String> {
            r.iter()
                .filter(|c| c.suppressed)
                .map(|c| c.level.clone())
                .collect()
        };
        assert_eq!(hidden(&estimate(&cells, hh, &[], 0.0)), ["both", "female"]);
        // A level hidden for reliability alone (n = 20) already keeps the small one from being
        // derived: nothing more is hidden.
        cells.insert(
            "hs|both|x|p".into(),
            vec![stratum("s", 2.0, 440.0, 20.0, 12.0)],
        );
        assert_eq!(hidden(&estimate(&cells, hh, &[], 0.0)), ["both", "female"]);
        let r = estimate(&cells, hh, &[], 0.0);
        assert!(
            !r.iter()
                .find(|c| c.level == "male")
                .expect("male")
                .suppressed
        );
        // In the whole-population table there is no column to protect.
        let all = one("all|all|x|p", vec![stratum("s", 2.0, 440.0, 440.0, 55.0)]);
        assert!(hidden(&estimate(&all, hh, &[], 0.0)).is_empty());
    }

    #[test]
    fn column_and_row_suppression_repeat_until_nothing_can_be_derived() {
        let hh = Unit::Sampled { sensitive: false };
        // Two categories (a, b) by two levels. Level 1's a is small (2): the row hides 1's b
        // as its partner; the column of a then has one hidden cell, so 2's a goes, and then
        // 2's row has a lone hidden cell, so 2's b goes too.
        let mut cells = BTreeMap::new();
        for (level, a, b) in [("one", 2.0, 58.0), ("two", 30.0, 30.0)] {
            for (cat, y) in [("a", a), ("b", b)] {
                cells.insert(
                    format!("hs|{level}|v={cat}|p"),
                    vec![stratum("s", 1.0, 120.0, 60.0, y)],
                );
            }
        }
        let r = estimate(&cells, hh, &[], 0.0);
        assert!(r.iter().all(|c| c.suppressed), "{r:#?}");
    }

    #[test]
    fn a_category_share_is_its_count_over_the_variables_counts_in_each_settlement() {
        let hh = Unit::Sampled { sensitive: false };
        // Settlement a (weight 1): 30 chose x, 30 chose y; settlement b (weight 3): 40 chose
        // x and none y. x: (30 + 120) / (60 + 120) = 83 %; y: 30 / 180 = 17 %. Nobody chose
        // z, so z has no cell and is not published.
        let mut cells = BTreeMap::new();
        cells.insert(
            "all|all|v=x|c".to_owned(),
            vec![
                stratum("a", 1.0, 60.0, 30.0, 0.0),
                stratum("b", 3.0, 40.0, 40.0, 0.0),
            ],
        );
        cells.insert(
            "all|all|v=y|c".to_owned(),
            vec![stratum("a", 1.0, 60.0, 30.0, 0.0)],
        );
        let r = estimate(&cells, hh, &[], 0.0);
        let got: Vec<(&str, Option<f64>, Option<u64>)> = r
            .iter()
            .map(|c| (c.item.as_str(), c.estimate, c.n))
            .collect();
        assert_eq!(
            got,
            [
                ("v=x", Some(83.0), Some(100)),
                ("v=y", Some(17.0), Some(100))
            ]
        );
        assert!(r.iter().all(|c| c.measure == "share" && c.low.is_some()));
    }

    #[test]
    fn a_mean_has_a_design_based_interval_from_the_sum_of_squares() {
        let hh = Unit::Sampled { sensitive: false };
        // One stratum, all 40 sampled: 20 values of 1 and 20 of 3, so mean 2, variance of
        // the values 40/39, and the interval 2 ± 1.96 · √(1/39) ≈ 2 ± 0.31.
        let cells = one(
            "all|all|x|m",
            vec![StratumSums {
                stratum: "s".into(),
                weight: 5.0,
                sample: 40.0,
                sums: [40.0, 80.0, 200.0, 0.0],
            }],
        );
        let r = estimate(&cells, hh, &[], 0.0);
        assert_eq!((r[0].measure.as_str(), r[0].estimate), ("mean", Some(2.0)));
        assert_eq!((r[0].low, r[0].high), (Some(1.7), Some(2.3)));
        // Focus groups and stakeholders are not a sample of a population: no interval.
        let r = estimate(&cells, Unit::Group, &[], 0.0);
        assert_eq!(
            (r[0].estimate, r[0].low, r[0].high),
            (Some(2.0), None, None)
        );
    }

    #[test]
    fn a_rate_is_the_mean_per_ten_thousand_households_of_the_frame() {
        let cells = one(
            "all|all|held|r",
            vec![StratumSums {
                stratum: String::new(),
                weight: 1.0,
                sample: 4.0,
                sums: [4.0, 24.0, 160.0, 0.0],
            }],
        );
        let r = estimate(&cells, Unit::Group, &[], 50_000.0);
        assert_eq!((r[0].measure.as_str(), r[0].estimate), ("rate", Some(1.2)));
        let r = estimate(&cells, Unit::Group, &[], 0.0);
        assert!(r[0].suppressed, "no frame, no rate");
    }

    #[test]
    fn group_categories_are_shown_however_small() {
        let mut cells = BTreeMap::new();
        for (c, y) in [("yes", 2.0), ("no", 30.0), ("dk", 1.0)] {
            cells.insert(
                format!("all|all|consulted={c}|p"),
                vec![stratum("s", 1.0, 33.0, 33.0, y)],
            );
        }
        let r = estimate(&cells, Unit::Group, &[], 0.0);
        assert!(r.iter().all(|c| !c.suppressed), "{r:?}");
        let r = estimate(&cells, Unit::Sampled { sensitive: false }, &[], 0.0);
        let hidden: Vec<&str> = r
            .iter()
            .filter(|c| c.suppressed)
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(
            hidden,
            ["consulted=dk", "consulted=yes"],
            "households: small counts"
        );
    }

    #[test]
    fn a_median_has_a_woodruff_interval_from_the_share_below_it() {
        // 90 households, ten at each of 1 … 9: the median is 5 and 5/9 of them are at or
        // below it, with a standard error of about 0.053; the interval is the values at
        // 0.5 ∓ 1.96 · 0.053 of the distribution: 4 and 6.
        let mut cells = BTreeMap::new();
        for v in 1..=9 {
            cells.insert(
                format!("all|all|t|q{v}"),
                vec![stratum("s", 3.0, 90.0, 10.0, 0.0)],
            );
        }
        let r = estimate(&cells, Unit::Sampled { sensitive: false }, &[], 0.0);
        assert_eq!(r[0].estimate, Some(5.0));
        assert_eq!((r[0].ci_low, r[0].ci_high), (Some(4.0), Some(6.0)));
        let r = estimate(&cells, Unit::Group, &[], 0.0);
        assert_eq!((r[0].ci_low, r[0].ci_high), (None, None));
    }

    #[test]
    fn medians_and_quartiles_come_from_weighted_bins() {
        let hh = Unit::Sampled { sensitive: false };
        let mut cells = BTreeMap::new();
        for (v, n) in [(10.0, 10.0), (20.0, 10.0), (30.0, 10.0)] {
            cells.insert(
                format!("all|all|t|q{v}"),
                vec![stratum("s", 1.0, 30.0, n, 0.0)],
            );
        }
        let r = estimate(&cells, hh, &[], 0.0);
        assert_eq!(
            (r[0].estimate, r[0].low, r[0].high, r[0].n),
            (Some(20.0), Some(10.0), Some(30.0), Some(30))
        );
    }

    #[test]
    fn a_gap_has_a_design_based_interval_around_the_difference() {
        let hh = Unit::Sampled { sensitive: false };
        let mut cells = BTreeMap::new();
        cells.insert(
            "hs|female_headed|x|p".to_owned(),
            vec![
                stratum("s1", 10.0, 100.0, 40.0, 20.0),
                stratum("s2", 20.0, 100.0, 30.0, 12.0),
            ],
        );
        cells.insert(
            "hs|male_headed|x|p".to_owned(),
            vec![
                stratum("s1", 10.0, 100.0, 60.0, 36.0),
                stratum("s2", 20.0, 100.0, 70.0, 42.0),
            ],
        );
        let r = estimate(&cells, hh, &[("hs", "female_headed", "male_headed")], 0.0);
        let gap = r.iter().find(|c| c.level == "gap").expect("a gap cell");
        // Female: (10·20 + 20·12) / (10·40 + 20·30) = 440 / 1000 = 44 %;
        // male: (10·36 + 20·42) / (10·60 + 20·70) = 1200 / 2000 = 60 %.
        assert_eq!(gap.estimate, Some(-16.0));
        let (low, high) = (gap.low.expect("low"), gap.high.expect("high"));
        assert!(
            low < -16.0 && high > -16.0 && high - low < 40.0,
            "{low} … {high}"
        );
    }

    #[test]
    fn a_gap_rests_on_both_groups_households() {
        let hh = Unit::Sampled { sensitive: false };
        let mut cells = BTreeMap::new();
        cells.insert(
            "hs|female_headed|x|p".to_owned(),
            vec![stratum("s1", 1.0, 100.0, 40.0, 20.0)],
        );
        cells.insert(
            "hs|male_headed|x|p".to_owned(),
            vec![stratum("s1", 1.0, 100.0, 60.0, 36.0)],
        );
        let r = estimate(&cells, hh, &[("hs", "female_headed", "male_headed")], 0.0);
        let gap = r.iter().find(|c| c.level == "gap").expect("a gap cell");
        assert_eq!(gap.n, Some(100), "not the withheld mark of a small base");
    }

    #[test]
    fn prices_keep_two_significant_digits_and_a_small_median_two_decimals() {
        let groups = [("all", "all".to_owned())];
        let mut out = Vec::new();
        let mut e = Emit {
            report: "R6",
            groups: &groups,
            out: &mut out,
        };
        for x in [0.043, 2.37, 0.0] {
            e.quantile("price", Some(x), 0.0);
        }
        let keys: Vec<&str> = out.iter().map(|c| c.cell.as_str()).collect();
        assert_eq!(
            keys,
            [
                "all|all|price|q0.043",
                "all|all|price|q2.4",
                "all|all|price|q0"
            ]
        );
        let mut tariff = cell("all", "all", "price", "median");
        (tariff.estimate, tariff.suppressed, tariff.reliability) =
            (Some(0.04), false, Reliability::Ok);
        assert_eq!(tariff.figure(tariff.estimate, ""), "0.04", "not 0");
    }

    #[test]
    fn pooling_adjacent_violators_makes_acceptance_non_increasing() {
        let pooled = pooled_non_increasing(&[(0.8, 1.0), (0.5, 1.0), (0.6, 1.0), (0.2, 2.0)]);
        assert_eq!(pooled, [0.8, 0.55, 0.55, 0.2]);
        let pooled = pooled_non_increasing(&[(0.3, 1.0), (0.5, 3.0)]);
        assert_eq!(pooled, [0.45, 0.45], "a rise is pooled, weighted");
    }

    #[test]
    fn the_turnbull_bound_values_each_drop_in_acceptance_at_the_bid_before_it() {
        // Three bids of 10, 20 and 40 (mean bills), 50 households each, accepting 80 %,
        // 50 % and 20 %: 10·(0.8−0.5) + 20·(0.5−0.2) + 40·0.2 = 3 + 6 + 8 = 17.
        let mut cells = BTreeMap::new();
        for (bid, bill, yes) in [("b1", 10.0, 40.0), ("b2", 20.0, 25.0), ("b3", 40.0, 10.0)] {
            cells.insert(
                format!("all|all|accept:{bid}|p"),
                vec![stratum("s1", 1.0, 150.0, 50.0, yes)],
            );
            cells.insert(
                format!("all|all|bill:{bid}|m"),
                vec![stratum("s1", 1.0, 150.0, 50.0, 50.0 * bill)],
            );
        }
        let hh = Unit::Sampled { sensitive: false };
        let published = estimate(&cells, hh, &[], 0.0);
        let bound = turnbull(&cells, &published);
        assert_eq!(bound.len(), 1);
        assert_eq!((bound[0].estimate, bound[0].n), (Some(17.0), Some(150)));
        // A bid with fewer households than the small-count threshold: no bound.
        cells.insert(
            "all|all|accept:b3|p".into(),
            vec![stratum("s1", 1.0, 150.0, 4.0, 1.0)],
        );
        let bound = turnbull(&cells, &estimate(&cells, hh, &[], 0.0));
        assert!(bound[0].suppressed && bound[0].estimate.is_none());
    }

    #[test]
    fn settlements_are_ranked_by_the_mean_z_score_of_six_published_rates() {
        let mut published = Vec::new();
        for (level, rate, one_plus) in [
            ("s01", 10.0, 30.0),
            ("s02", 20.0, 50.0),
            ("s03", 30.0, 70.0),
        ] {
            for item in RATES {
                let mut c = cell("s", level, item, "share");
                (c.estimate, c.n, c.suppressed) = (Some(rate), Some(100), false);
                c.reliability = Reliability::Ok;
                published.push(c);
            }
            let mut c = cell("s", level, "deprivations_1_or_more", "share");
            (c.estimate, c.n, c.suppressed) = (Some(one_plus), Some(100), false);
            c.reliability = Reliability::Ok;
            published.push(c);
        }
        // One settlement too thin for one of the rates: no index, and not in the scale.
        let mut c = cell("s", "s04", "discrimination", "share");
        c.n = Some(12);
        published.push(c);
        published.sort_by(|a, b| (&a.level, &a.item).cmp(&(&b.level, &b.item)));
        let ranked = marginalisation_index(&published);
        let get = |level: &str, item: &str| {
            ranked
                .iter()
                .find(|c| c.level == level && c.item == item)
                .map(|c| c.estimate)
                .expect("a cell")
        };
        // Rates 10, 20, 30: z = −1.22, 0, 1.22 (population standard deviation 8.16).
        assert_eq!(get("s01", "marginalisation_index"), Some(-1.22));
        assert_eq!(get("s02", "marginalisation_index"), Some(0.0));
        assert_eq!(get("s03", "marginalisation_index"), Some(1.22));
        assert_eq!(get("s04", "marginalisation_index"), None);
        assert_eq!(get("s01", "slum_area"), Some(0.0));
        assert_eq!(
            get("s02", "slum_area"),
            Some(1.0),
            "half the households is enough"
        );
        assert_eq!(get("s04", "slum_area"), None);
    }
}
