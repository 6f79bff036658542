//! Disclosure control across tables (DESIGN.md, Reports; DOMAIN.md §4.3). Suppression
//! within one table protects it alone; two tables whose filters overlap can still be
//! subtracted — the city minus every other settlement type, a settlement's fieldwork minus
//! one quarter, everyone minus women — to recover what either hides. Baraza therefore
//! publishes household figures from a fixed lattice of tables only: the city, a settlement
//! type or a settlement; the whole fieldwork or one calendar quarter; everyone or one
//! level of a report's disaggregations. Every table of the lattice is estimated together,
//! and cells are hidden until no subtraction isolates a small group:
//!
//! - lines: a figure and its parts (the city and its types, a type and its settlements, the
//!   fieldwork and its quarters, everyone and a disaggregation's levels) — when the whole
//!   is shown, what the hidden parts add up to must be nothing or a publishable group (25
//!   households or more, and 5 — 10 for sensitive items — or more on each side of a share);
//! - pairs: any shown figure inside another shown one (a settlement's women in one quarter
//!   inside the city's fieldwork) must differ from it by nothing or a publishable group;
//! - distributions: a variable's categories (a service's rungs) add up to their base, so
//!   the hidden ones must add up to nothing or 5 or more.
//!
//! Each pass hides the smallest shown part of a failing line (the whole only when no part
//! is left), and the passes repeat until nothing changes. A hidden cell's base is hidden
//! too. The server asks `Lattice::hides` for every household cell it publishes, so the same
//! cell is hidden in every table that shows it. Month windows and form versions are outside
//! the lattice: administrators, who may read the raw answers anyway, have them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Counts, ReportCell};
use crate::disclosure;

/// Where a table's households live.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    City,
    Type(String),
    Settlement(String),
}

/// A table of the lattice: an area, a quarter (`None`: the whole fieldwork) and a group
/// (`None`: everyone; else a disaggregation and its level).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place {
    pub area: Area,
    pub quarter: Option<String>,
    pub group: Option<(String, String)>,
}

impl Place {
    /// The place of a published cell of a table asked for with these filters: `by=s` and
    /// `by=t` name the area in the cell's level, other disaggregations the group.
    pub fn of(
        cell: &ReportCell,
        settlement: Option<&str>,
        settlement_type: Option<&str>,
        quarter: Option<&str>,
    ) -> Place {
        let filtered = match (settlement, settlement_type) {
            (Some(s), _) => Area::Settlement(s.to_owned()),
            (None, Some(t)) => Area::Type(t.to_owned()),
            (None, None) => Area::City,
        };
        let (area, group) = match cell.by.as_str() {
            "s" => (Area::Settlement(cell.level.clone()), None),
            "t" if settlement.is_none() => (Area::Type(cell.level.clone()), None),
            "t" | "all" => (filtered, None),
            by => (filtered, Some((by.to_owned(), cell.level.clone()))),
        };
        Place {
            area,
            quarter: quarter.map(str::to_owned),
            group,
        }
    }
}

/// The household figures of every table of the lattice, and which of them may be shown.
#[derive(Debug, Default)]
pub struct Lattice {
    shown: HashMap<(Place, String), bool>,
}

impl Lattice {
    /// Whether a household cell at `place` must be hidden: hidden by the lattice, or not in
    /// it at all. Figures on groups, actors and stakeholders, and derived ones, are not the
    /// lattice's (they carry no counts).
    pub fn hides(&self, place: &Place, cell: &ReportCell) -> bool {
        cell.counts.is_some()
            && !self
                .shown
                .get(&(place.clone(), key(cell)))
                .copied()
                .unwrap_or(false)
    }

    /// How many household cells the lattice holds, and how many it shows.
    #[cfg(test)]
    fn size(&self) -> (usize, usize) {
        (
            self.shown.len(),
            self.shown.values().filter(|s| **s).count(),
        )
    }
}

/// An item as the lattice knows it: its measure and name.
fn key(cell: &ReportCell) -> String {
    format!("{}|{}", cell.measure, cell.item)
}

/// One household cell of the lattice.
struct Entry {
    counts: Counts,
    shown: bool,
}

/// A whole and its parts, as entry indexes.
struct Line {
    whole: usize,
    parts: Vec<usize>,
}

/// A group too small to be isolated: more than nothing, less than `floor`.
fn thin(mass: u64, floor: u64) -> bool {
    mass > 0 && mass < floor
}

/// Whether a difference of `n` households with `yes` of them counted as yes (when the cell
/// is a share) would publish a group the rules hide.
fn disclosive(n: u64, yes: Option<u64>, sensitive: bool) -> bool {
    let t = disclosure::threshold(sensitive);
    thin(n, disclosure::MIN_BASE)
        || yes.is_some_and(|y| thin(y, t) || (sensitive && thin(n.saturating_sub(y), t)))
}

/// Protects the household cells of every table of a report's lattice jointly. `tables`
/// holds, for each area and quarter (`None`: the whole fieldwork), the cells of every
/// disaggregation estimated there (`by=all` and each other `by` but `s` and `t`);
/// `type_of` maps each settlement of the frame to its type.
pub fn protect(
    tables: &[(Area, Option<String>, Vec<ReportCell>)],
    type_of: &BTreeMap<String, String>,
) -> Lattice {
    let mut places: Vec<Place> = Vec::new();
    let mut place_ids: HashMap<Place, usize> = HashMap::new();
    let mut items: Vec<String> = Vec::new();
    let mut item_ids: HashMap<String, usize> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut at: HashMap<(usize, usize), usize> = HashMap::new();
    let mut quarters: BTreeSet<String> = BTreeSet::new();
    let mut levels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (area, quarter, cells) in tables {
        quarters.extend(quarter.clone());
        for c in cells {
            let Some(counts) = &c.counts else { continue };
            let group = (c.by != "all").then(|| (c.by.clone(), c.level.clone()));
            if let Some((by, level)) = &group {
                levels.entry(by.clone()).or_default().insert(level.clone());
            }
            let place = Place {
                area: area.clone(),
                quarter: quarter.clone(),
                group,
            };
            let p = *place_ids.entry(place.clone()).or_insert_with(|| {
                places.push(place);
                places.len() - 1
            });
            let k = key(c);
            let i = *item_ids.entry(k.clone()).or_insert_with(|| {
                items.push(k);
                items.len() - 1
            });
            at.entry((p, i)).or_insert_with(|| {
                entries.push(Entry {
                    counts: counts.clone(),
                    shown: !c.suppressed,
                });
                entries.len() - 1
            });
        }
    }
    let types: BTreeSet<&String> = type_of.values().collect();
    let find = |place: &Place, item: usize| -> Option<usize> {
        place_ids
            .get(place)
            .and_then(|p| at.get(&(*p, item)))
            .copied()
    };
    // The lines, pairs and distributions of every entry, found once.
    let mut lines: Vec<Line> = Vec::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut distributions: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (&(p, item), &e) in &at {
        let place = &places[p];
        let mut line = |parts: Vec<Place>| {
            let parts: Vec<usize> = parts.iter().filter_map(|q| find(q, item)).collect();
            if !parts.is_empty() {
                lines.push(Line { whole: e, parts });
            }
        };
        let with_area = |area: Area| Place {
            area,
            ..place.clone()
        };
        match &place.area {
            Area::City => line(
                types
                    .iter()
                    .map(|t| with_area(Area::Type((*t).clone())))
                    .collect(),
            ),
            Area::Type(t) => line(
                type_of
                    .iter()
                    .filter(|(_, kind)| *kind == t)
                    .map(|(s, _)| with_area(Area::Settlement(s.clone())))
                    .collect(),
            ),
            Area::Settlement(_) => {}
        }
        if place.quarter.is_none() {
            line(
                quarters
                    .iter()
                    .map(|q| Place {
                        quarter: Some(q.clone()),
                        ..place.clone()
                    })
                    .collect(),
            );
        }
        if place.group.is_none() {
            for (by, group_levels) in &levels {
                line(
                    group_levels
                        .iter()
                        .map(|l| Place {
                            group: Some((by.clone(), l.clone())),
                            ..place.clone()
                        })
                        .collect(),
                );
            }
        }
        // Every table that holds this one.
        let areas = match &place.area {
            Area::City => vec![Area::City],
            Area::Type(t) => vec![Area::Type(t.clone()), Area::City],
            Area::Settlement(s) => {
                let mut a = vec![Area::Settlement(s.clone())];
                a.extend(type_of.get(s).map(|t| Area::Type(t.clone())));
                a.push(Area::City);
                a
            }
        };
        let mut times = vec![place.quarter.clone()];
        if place.quarter.is_some() {
            times.push(None);
        }
        let mut groups = vec![place.group.clone()];
        if place.group.is_some() {
            groups.push(None);
        }
        for area in &areas {
            for quarter in &times {
                for group in &groups {
                    let outer = Place {
                        area: area.clone(),
                        quarter: quarter.clone(),
                        group: group.clone(),
                    };
                    if outer != *place
                        && let Some(x) = find(&outer, item)
                    {
                        pairs.push((x, e));
                    }
                }
            }
        }
        if let Some(var) = &entries[e].counts.distribution {
            distributions.entry((p, var.clone())).or_default().push(e);
        }
    }
    // Deterministic order, whatever the hash maps did.
    lines.sort_by_key(|l| l.whole);
    pairs.sort_unstable();
    for members in distributions.values_mut() {
        members.sort_unstable();
    }
    // Each pass hides at least one more entry, so this ends; the bound is a guard.
    for _ in 0..=entries.len() {
        let mut changed = false;
        for line in &lines {
            if !entries[line.whole].shown {
                continue;
            }
            let whole = &entries[line.whole].counts;
            let (mut n, mut yes) = (whole.n, whole.yes);
            for &p in &line.parts {
                if entries[p].shown {
                    n = n.saturating_sub(entries[p].counts.n);
                    yes = yes.map(|y| y.saturating_sub(entries[p].counts.yes.unwrap_or(0)));
                }
            }
            if disclosive(n, yes, whole.sensitive) {
                let pick = line
                    .parts
                    .iter()
                    .copied()
                    .filter(|&p| entries[p].shown && entries[p].counts.n > 0)
                    .min_by_key(|&p| (entries[p].counts.n, p))
                    .unwrap_or(line.whole);
                entries[pick].shown = false;
                changed = true;
            }
        }
        for &(x, y) in &pairs {
            if !(entries[x].shown && entries[y].shown) {
                continue;
            }
            let (outer, inner) = (&entries[x].counts, &entries[y].counts);
            let n = outer.n.saturating_sub(inner.n);
            let yes = outer.yes.zip(inner.yes).map(|(a, b)| a.saturating_sub(b));
            if disclosive(n, yes, outer.sensitive) {
                entries[y].shown = false;
                changed = true;
            }
        }
        for members in distributions.values() {
            let shown: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&m| entries[m].shown)
                .collect();
            let Some(&first) = shown.first() else {
                continue;
            };
            let base = entries[first].counts.n;
            let visible: u64 = shown
                .iter()
                .map(|&m| entries[m].counts.yes.unwrap_or(0))
                .sum();
            let t = disclosure::threshold(entries[first].counts.sensitive);
            if thin(base.saturating_sub(visible), t) {
                let yes = |m: usize| entries[m].counts.yes.unwrap_or(0);
                let pick = shown
                    .iter()
                    .copied()
                    .filter(|&m| yes(m) > 0)
                    .min_by_key(|&m| (yes(m), m))
                    .unwrap_or(first);
                entries[pick].shown = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut shown = HashMap::with_capacity(at.len());
    for ((p, i), e) in at {
        shown.insert((places[p].clone(), items[i].clone()), entries[e].shown);
    }
    Lattice { shown }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::measure;

    /// A share cell of `n` households, `yes` of them yes, hidden as its table would hide it.
    fn share(by: &str, level: &str, n: u64, yes: u64) -> ReportCell {
        let mut c = measure::cell(by, level, "water_off_premises", "share");
        c.suppressed = n < 25 || thin(yes, 5);
        c.estimate = (!c.suppressed).then(|| (100 * yes / n) as f64);
        c.n = Some(n);
        c.counts = Some(Counts {
            n,
            yes: Some(yes),
            ..Counts::default()
        });
        c
    }

    fn frame() -> BTreeMap<String, String> {
        [("s01", "A"), ("s02", "A"), ("s03", "B")]
            .map(|(s, t)| (s.to_owned(), t.to_owned()))
            .into()
    }

    fn at(area: Area, quarter: Option<&str>, group: Option<(&str, &str)>) -> Place {
        Place {
            area,
            quarter: quarter.map(str::to_owned),
            group: group.map(|(b, l)| (b.to_owned(), l.to_owned())),
        }
    }

    fn shown(l: &Lattice, place: Place) -> bool {
        !l.hides(&place, &share("all", "all", 30, 10))
    }

    #[test]
    fn a_quarter_of_three_households_cannot_be_had_as_the_fieldwork_minus_the_other_quarter() {
        let settlement = || Area::Settlement("s03".into());
        let tables = vec![
            (settlement(), None, vec![share("all", "all", 43, 20)]),
            (
                settlement(),
                Some("2026-Q3".into()),
                vec![share("all", "all", 40, 18)],
            ),
            (
                settlement(),
                Some("2026-Q4".into()),
                vec![share("all", "all", 3, 2)],
            ),
        ];
        let l = protect(&tables, &frame());
        let fieldwork = shown(&l, at(settlement(), None, None));
        let q3 = shown(&l, at(settlement(), Some("2026-Q3"), None));
        assert!(
            !(fieldwork && q3),
            "43 − 40 would give the three households of Q4"
        );
        assert!(!shown(&l, at(settlement(), Some("2026-Q4"), None)));
    }

    #[test]
    fn a_settlement_hidden_alone_in_its_type_takes_another_with_it() {
        let tables = vec![
            (
                Area::Type("A".into()),
                None,
                vec![share("all", "all", 90, 30)],
            ),
            (
                Area::Settlement("s01".into()),
                None,
                vec![share("all", "all", 70, 20)],
            ),
            (
                Area::Settlement("s02".into()),
                None,
                vec![share("all", "all", 20, 10)],
            ),
        ];
        let l = protect(&tables, &frame());
        let type_a = shown(&l, at(Area::Type("A".into()), None, None));
        let s01 = shown(&l, at(Area::Settlement("s01".into()), None, None));
        assert!(
            !(type_a && s01),
            "the type minus s01 would be s02's 20 households"
        );
    }

    #[test]
    fn a_group_whose_other_levels_are_small_hides_a_level_not_the_whole() {
        // 33 households: 31 female-headed, 2 male-headed.
        let tables = vec![(
            Area::City,
            None,
            vec![
                share("all", "all", 33, 12),
                share("hs", "female", 31, 11),
                share("hs", "male", 2, 1),
            ],
        )];
        let l = protect(&tables, &frame());
        assert!(shown(&l, at(Area::City, None, None)));
        assert!(!shown(&l, at(Area::City, None, Some(("hs", "female")))));
        assert!(!shown(&l, at(Area::City, None, Some(("hs", "male")))));
    }

    #[test]
    fn a_difference_of_many_households_but_few_yes_answers_is_hidden_too() {
        // Q4 adds 30 households but only 2 yes answers: the difference would publish "2".
        let area = || Area::Settlement("s01".into());
        let tables = vec![
            (area(), None, vec![share("all", "all", 100, 42)]),
            (
                area(),
                Some("2026-Q3".into()),
                vec![share("all", "all", 70, 40)],
            ),
            (
                area(),
                Some("2026-Q4".into()),
                vec![share("all", "all", 30, 2)],
            ),
        ];
        let l = protect(&tables, &frame());
        assert!(
            !shown(&l, at(area(), Some("2026-Q4"), None)),
            "2 yes answers"
        );
        assert!(
            !(shown(&l, at(area(), None, None)) && shown(&l, at(area(), Some("2026-Q3"), None))),
            "42 − 40 would publish them"
        );
    }

    #[test]
    fn tables_that_differ_by_a_publishable_group_are_all_shown() {
        let area = || Area::Settlement("s01".into());
        let tables = vec![
            (area(), None, vec![share("all", "all", 100, 50)]),
            (
                area(),
                Some("2026-Q3".into()),
                vec![share("all", "all", 60, 30)],
            ),
            (
                area(),
                Some("2026-Q4".into()),
                vec![share("all", "all", 40, 20)],
            ),
        ];
        let l = protect(&tables, &frame());
        for q in [None, Some("2026-Q3"), Some("2026-Q4")] {
            assert!(shown(&l, at(area(), q, None)), "{q:?}");
        }
        assert_eq!(l.size(), (3, 3));
    }

    #[test]
    fn a_place_the_lattice_never_estimated_is_hidden() {
        let l = protect(&[], &frame());
        assert!(!shown(&l, at(Area::City, None, None)));
        let mut derived = share("all", "all", 30, 10);
        derived.counts = None;
        assert!(
            !l.hides(&at(Area::City, None, None), &derived),
            "not the lattice's"
        );
    }

    #[test]
    fn the_place_of_a_cell_follows_the_filters_and_the_disaggregation() {
        let c = |by: &str, level: &str| share(by, level, 30, 10);
        let q = Some("2026-Q4");
        assert_eq!(
            Place::of(&c("s", "s02"), None, Some("A"), q),
            at(Area::Settlement("s02".into()), q, None)
        );
        assert_eq!(
            Place::of(&c("t", "A"), None, None, None),
            at(Area::Type("A".into()), None, None)
        );
        assert_eq!(
            Place::of(&c("t", "A"), Some("s01"), None, None),
            at(Area::Settlement("s01".into()), None, None)
        );
        assert_eq!(
            Place::of(&c("hs", "male"), None, Some("B"), None),
            at(Area::Type("B".into()), None, Some(("hs", "male")))
        );
    }
}
