//! The differencing attack (issue 18): a planner requests every table the reports API
//! allows — each report, each disaggregation, the city, each settlement type and settlement,
//! the whole fieldwork and each quarter — and subtracts every published figure from every
//! other one that contains it, and every whole from its published parts, looking for a
//! group of fewer than 25 households, or a count of 1–4 answers, that no table shows. On the
//! lattice (quarters) it must find nothing; the same attack on the month windows an
//! administrator may ask for, which are protected table by table only, finds what the
//! lattice prevents — so the attack is able to fail.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::reports_api::{get_json, household, push, push_item};
use crate::support::Server;

/// The reports attacked: Borda scores (R1), rungs that add up to 100 % (R4), sensitive
/// shares (R9, R17) and gaps between groups (R14).
const REPORTS: [&str; 5] = ["R1", "R4", "R9", "R14", "R17"];

/// Where a published figure's households are, as the attacker reads it from the request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct At {
    /// `city`, a type (`A`) or a settlement (`s01`).
    area: String,
    quarter: Option<String>,
    group: Option<(String, String)>,
}

/// What a published figure says.
#[derive(Debug, Clone, Copy)]
struct Shown {
    n: u64,
    /// A share's estimate (whole %), when it is one.
    share: Option<f64>,
}

struct Frame {
    type_of: BTreeMap<String, String>,
}

impl Frame {
    fn contains(&self, outer: &At, inner: &At) -> bool {
        let area = outer.area == inner.area
            || outer.area == "city"
            || self.type_of.get(&inner.area) == Some(&outer.area);
        area && (outer.quarter.is_none() || outer.quarter == inner.quarter)
            && (outer.group.is_none() || outer.group == inner.group)
    }

    /// The settlement a place lies in, if it lies in one.
    fn settlement<'a>(&self, at: &'a At) -> Option<&'a str> {
        self.type_of
            .contains_key(&at.area)
            .then_some(at.area.as_str())
    }

    /// The parts a whole is published as: its area's types or settlements, its quarters,
    /// each disaggregation's levels.
    fn parts(
        &self,
        whole: &At,
        quarters: &[String],
        levels: &BTreeMap<String, BTreeSet<String>>,
    ) -> Vec<Vec<At>> {
        let mut out = Vec::new();
        let areas: Vec<String> = if whole.area == "city" {
            self.type_of
                .values()
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        } else {
            let members: Vec<String> = self
                .type_of
                .iter()
                .filter(|(_, t)| **t == whole.area)
                .map(|(s, _)| s.clone())
                .collect();
            members
        };
        if !areas.is_empty() {
            out.push(
                areas
                    .into_iter()
                    .map(|area| At {
                        area,
                        ..whole.clone()
                    })
                    .collect(),
            );
        }
        if whole.quarter.is_none() {
            out.push(
                quarters
                    .iter()
                    .map(|q| At {
                        quarter: Some(q.clone()),
                        ..whole.clone()
                    })
                    .collect(),
            );
        }
        if whole.group.is_none() {
            for (by, ls) in levels {
                out.push(
                    ls.iter()
                        .map(|l| At {
                            group: Some((by.clone(), l.clone())),
                            ..whole.clone()
                        })
                        .collect(),
                );
            }
        }
        out
    }
}

/// The yes answers behind a share, as an interval (the share is rounded to a whole %).
fn yes_between(s: Shown) -> Option<(f64, f64)> {
    let p = s.share?;
    let n = s.n as f64;
    Some((
        ((p - 0.5) / 100.0 * n).max(0.0),
        ((p + 0.5) / 100.0 * n).min(n),
    ))
}

/// One figure the attacker worked out that no table publishes.
fn recovered(what: String, found: &mut Vec<String>) {
    if found.len() < 20 {
        found.push(what);
    }
}

/// Publishes every table of `REPORTS` through `window` (the time filters as query strings,
/// by quarter name) and returns what subtraction recovers, and how many figures it read.
fn attack(s: &Server, token: &str, windows: &[(Option<String>, String)]) -> (Vec<String>, usize) {
    let type_of: BTreeMap<String, String> = baraza_server::demo::frame()
        .into_iter()
        .map(|f| (f.code, f.settlement_type))
        .collect();
    let frame = Frame { type_of };
    let meta = get_json(s, token, "/reports");
    let quarters: Vec<String> = windows.iter().filter_map(|(q, _)| q.clone()).collect();
    let mut areas: Vec<(String, String)> = vec![("city".into(), String::new())];
    for t in ["A", "B", "C", "D"] {
        areas.push((t.into(), format!("&settlement_type={t}")));
    }
    for code in ["s01", "s02", "s06"] {
        areas.push((code.into(), format!("&settlement={code}")));
    }
    let (mut found, mut figures) = (Vec::new(), 0);
    for report in REPORTS {
        let by: Vec<String> = meta["reports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["id"] == report)
            .map(|r| serde_json::from_value(r["by"].clone()).expect("by"))
            .expect("the report is listed");
        // Every published figure of the report, by item and place.
        let mut shown: BTreeMap<(String, At), Shown> = BTreeMap::new();
        let mut levels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut tables = 0;
        for b in &by {
            for (area, filter) in &areas {
                for (quarter, window) in windows {
                    let r = get_json(
                        s,
                        token,
                        &format!("/reports/{report}?by={b}{filter}{window}"),
                    );
                    tables += 1;
                    for c in r["cells"].as_array().into_iter().flatten() {
                        let (cby, level) = (
                            c["by"].as_str().unwrap_or(""),
                            c["level"].as_str().unwrap_or(""),
                        );
                        if level == "gap" || c["measure"] == "gap" || c["measure"] == "rho" {
                            continue;
                        }
                        let (place_area, group) = match cby {
                            "s" => (level.to_owned(), None),
                            "t" if !frame.type_of.contains_key(area) => (level.to_owned(), None),
                            "t" | "all" => (area.clone(), None),
                            other => {
                                levels
                                    .entry(other.to_owned())
                                    .or_default()
                                    .insert(level.to_owned());
                                (area.clone(), Some((other.to_owned(), level.to_owned())))
                            }
                        };
                        let (Some(n), Some(_)) = (c["n"].as_u64(), c["estimate"].as_f64()) else {
                            continue;
                        };
                        let item = format!(
                            "{}|{}",
                            c["measure"].as_str().unwrap_or(""),
                            c["item"].as_str().unwrap_or("")
                        );
                        let share = (c["measure"] == "share")
                            .then(|| c["estimate"].as_f64())
                            .flatten();
                        let at = At {
                            area: place_area,
                            quarter: quarter.clone(),
                            group,
                        };
                        shown.insert((item, at), Shown { n, share });
                    }
                }
            }
        }
        assert!(tables >= 48, "{report}: {tables} tables requested");
        figures += shown.len();
        // Pairs: a figure inside another.
        for ((item, outer), x) in &shown {
            for ((other, inner), y) in shown.range(
                (
                    item.clone(),
                    At {
                        area: String::new(),
                        quarter: None,
                        group: None,
                    },
                )..,
            ) {
                if other != item {
                    break;
                }
                if inner == outer || !frame.contains(outer, inner) {
                    continue;
                }
                let dn = x.n.saturating_sub(y.n);
                if dn > 0 && dn < 25 {
                    recovered(
                        format!("{report} {item}: {outer:?} − {inner:?} = {dn} households"),
                        &mut found,
                    );
                    continue;
                }
                // Within one settlement every household weighs the same, so a share is a
                // count: the difference of two is one when the rounding leaves one value.
                let same = frame.settlement(outer).is_some()
                    && frame.settlement(outer) == frame.settlement(inner);
                if let (true, Some(a), Some(b)) = (same, yes_between(*x), yes_between(*y)) {
                    let (lo, hi) = (a.0 - b.1, a.1 - b.0);
                    let k = lo.ceil();
                    if k == hi.floor() && (1.0..5.0).contains(&k) {
                        recovered(
                            format!("{report} {item}: {outer:?} − {inner:?} = {k} yes answers"),
                            &mut found,
                        );
                    }
                }
            }
        }
        // Lines: a whole minus its published parts.
        for ((item, whole), x) in &shown {
            for parts in frame.parts(whole, &quarters, &levels) {
                let visible: Vec<u64> = parts
                    .iter()
                    .filter_map(|p| shown.get(&(item.clone(), p.clone())).map(|s| s.n))
                    .collect();
                if visible.is_empty() {
                    continue;
                }
                let mass = x.n.saturating_sub(visible.iter().sum());
                if mass > 0 && mass < 25 {
                    recovered(
                        format!(
                            "{report} {item}: {whole:?} minus its published parts = {mass} households"
                        ),
                        &mut found,
                    );
                }
            }
        }
    }
    (found, figures)
}

#[test]
fn no_figure_can_be_recovered_by_subtracting_published_tables_but_month_windows_would_leak() {
    let s = Server::start();
    let admin = s.admin();
    let (_, planner) = s.user(&admin, "plan", "planner");
    let (device_id, token) = s.device(&admin, "ena");
    // s01 (type A): 40 households in the third quarter, 3 in the fourth, 2 of its
    // respondents men; s02 (type A): 30 in the third; s06 (type B): 27 in the third.
    let mut items = Vec::new();
    let mut add = |settlement: &str, count: usize, date: &str, men: usize| {
        for k in 0..count {
            let i = items.len();
            let answers = crate::builtin_forms::with(
                &household(i),
                &[
                    ("/settlement", json!(settlement)),
                    ("/hh_id", json!(format!("S{}-{i:04}", &settlement[1..]))),
                    ("/interview_date", json!(date)),
                    ("/resp_sex", json!(if k < men { "male" } else { "female" })),
                ],
            );
            items.push(push_item(i as u64 + 1, &format!("h-{i}"), None, &answers));
        }
    };
    add("s01", 40, "2026-08-10", 2);
    add("s01", 3, "2026-10-05", 0);
    add("s02", 30, "2026-08-12", 0);
    add("s06", 27, "2026-09-01", 0);
    let pushed = push(&s, &device_id, &token, items);
    assert_eq!(
        pushed["results"].as_array().map(Vec::len),
        Some(100),
        "{pushed}"
    );

    let r = get_json(&s, &planner, "/reports/R1");
    assert_eq!(
        r["quarters"],
        json!(["2026-Q3", "2026-Q4"]),
        "the quarters with interviews"
    );

    // On the lattice: the whole fieldwork and each quarter.
    let quarters = vec![
        (None, String::new()),
        (Some("2026-Q3".to_owned()), "&quarter=2026-Q3".to_owned()),
        (Some("2026-Q4".to_owned()), "&quarter=2026-Q4".to_owned()),
    ];
    let (found, figures) = attack(&s, &planner, &quarters);
    assert!(
        figures > 300,
        "the lattice still publishes: {figures} figures"
    );
    assert!(
        found.is_empty(),
        "recovered by subtraction:\n{}",
        found.join("\n")
    );

    // The same windows as months, which only an administrator may ask for (a planner is
    // refused them), protected table by table: the attack recovers the three households of
    // the fourth quarter (s01's) as a fieldwork minus its third quarter.
    let res = s
        .http
        .get(s.url("/reports/R1?from=2026-07&to=2026-09"))
        .bearer_auth(&planner)
        .send()
        .expect("report");
    assert_eq!(res.status(), 403, "months are for administrators");
    let body: Value = res.json().expect("json");
    assert!(
        body["message"].as_str().unwrap_or("").contains("quarter"),
        "{body}"
    );
    let months = vec![
        (None, "&from=2026-01&to=2026-12".to_owned()),
        (
            Some("2026-Q3".to_owned()),
            "&from=2026-07&to=2026-09".to_owned(),
        ),
        (
            Some("2026-Q4".to_owned()),
            "&from=2026-10&to=2026-12".to_owned(),
        ),
    ];
    let (leaked, _) = attack(&s, &admin, &months);
    assert!(
        leaked.iter().any(|l| l.ends_with("= 3 households")),
        "table-by-table protection leaks the fourth quarter:\n{}",
        leaked.join("\n")
    );
}

#[test]
fn a_quarter_filter_that_is_not_a_quarter_is_refused_with_the_form_it_takes() {
    let s = Server::start();
    let admin = s.admin();
    for bad in ["2026-Q5", "2026-10", "last-quarter"] {
        let res = s
            .http
            .get(s.url(&format!("/reports/R1?quarter={bad}")))
            .bearer_auth(&admin)
            .send()
            .expect("report");
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().expect("json");
        assert!(
            body["message"].as_str().unwrap_or("").contains("YYYY-Qn"),
            "{bad}: {body}"
        );
    }
    let res = s
        .http
        .get(s.url("/reports/R1?quarter=2026-Q4&from=2026-10"))
        .bearer_auth(&admin)
        .send()
        .expect("report");
    assert_eq!(res.status(), 422, "a quarter and months at once");
}
