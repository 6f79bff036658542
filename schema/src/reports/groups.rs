//! The focus-group reports R2 (pairwise ranking) and R3 (matrix scoring) from F2, and F2's
//! part of R12. The group is the unit: every group counts once, unweighted, whatever its size (DOMAIN.md §4.1).

use serde_json::{Map, Value};

use super::Sink;
use super::measure::Emit;
use crate::form::Form;
use crate::stats::{self, PairWinner};

/// The six concerns, in the order of the forms' `concern` list.
pub const CONCERNS: [&str; 6] = [
    "lack_of_choice",
    "affordability",
    "accessibility",
    "exploitation",
    "tenure_security",
    "employment",
];

const CRITERIA: [(&str, &str); 6] = [
    ("mx_afford", "affordability"),
    ("mx_access", "access"),
    ("mx_reliab", "reliability"),
    ("mx_quality", "quality"),
    ("mx_choice", "choice"),
    ("mx_fair", "fair_treatment"),
];

fn text<'a>(a: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    a.get(key).and_then(Value::as_str)
}

fn rows<'a>(a: &'a Map<String, Value>, key: &str) -> Vec<&'a Map<String, Value>> {
    a.get(key)
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

/// What one counted F2 response adds to R2, R3, R12, R15 and R16.
pub fn contribute(_form: &Form, a: &Map<String, Value>, out: &mut dyn Sink) {
    if text(a, "fg_consent") != Some("yes") {
        return;
    }
    let mut groups = vec![("all", "all".to_owned())];
    if let Some(g) = text(a, "group_type") {
        groups.push(("g", g.to_owned()));
    }
    let participants: f64 = ["n_female", "n_male"]
        .iter()
        .filter_map(|k| a.get(*k).and_then(Value::as_f64))
        .sum();
    // R15: the community's view of the actors (the Venn diagram): how important and how
    // close each provider group is, 1–5.
    let mut e = Emit {
        report: "R15",
        groups: &groups,
        out,
    };
    for r in rows(a, "ac") {
        if let Some(group) = text(r, "ac_type").and_then(super::actors::provider_group) {
            for (key, item) in [
                ("ac_importance", "importance"),
                ("ac_closeness", "closeness"),
            ] {
                let score = r.get(key).and_then(Value::as_f64);
                e.mean(&format!("venn_{item}:{group}"), score);
            }
        }
    }
    // R16: the community's own objectives, by category (each objective counts once).
    let mut e = Emit {
        report: "R16",
        groups: &groups[..1],
        out,
    };
    for key in ["go_obj1_cat", "go_obj2_cat"] {
        e.category("community_objective", text(a, key));
    }
    let mut e = Emit {
        report: "R2",
        groups: &groups,
        out,
    };
    e.share("small_group", Some(participants < 5.0));
    let index = |code: Option<&str>| CONCERNS.iter().position(|c| Some(*c) == code);
    let pairs: Vec<(usize, usize, PairWinner)> = rows(a, "pw")
        .iter()
        .filter_map(|r| {
            let winner = match text(r, "pw_winner")? {
                "a" => PairWinner::A,
                "b" => PairWinner::B,
                "tie" => PairWinner::Tie,
                _ => return None,
            };
            Some((index(text(r, "pw_a"))?, index(text(r, "pw_b"))?, winner))
        })
        .collect();
    if !pairs.is_empty() {
        let wins = stats::win_scores(CONCERNS.len(), &pairs);
        for (concern, w) in CONCERNS.iter().zip(wins) {
            // The normalised win score W_j / (k − 1), shown on a 0–100 scale.
            e.mean(concern, Some(100.0 * w / (CONCERNS.len() - 1) as f64));
        }
        let triads = stats::circular_triads(CONCERNS.len(), &pairs);
        e.mean("circular_triads", Some(f64::from(triads)));
        e.share("more_than_3_circular_triads", Some(triads > 3));
    }
    let mut e = Emit {
        report: "R3",
        groups: &groups,
        out,
    };
    for r in rows(a, "mx") {
        let Some(service) = text(r, "mx_service") else {
            continue;
        };
        let scores: Vec<f64> = CRITERIA
            .iter()
            .filter_map(|(key, name)| {
                let v = r.get(*key).and_then(Value::as_f64)?;
                e.mean(&format!("{service}:{name}"), Some(v));
                Some(v)
            })
            .collect();
        if let Some(importance) = r.get("mx_importance").and_then(Value::as_f64) {
            e.mean(
                &format!("{service}:need_index"),
                stats::need_index(importance, &scores),
            );
        }
    }
    // R12's cross-check of the stakeholders' consultation counts: whether the community says
    // it was consulted (DK shown as its own category), by settlement.
    let mut e = Emit {
        report: "R12",
        groups: &groups[..1],
        out,
    };
    e.category("community_consulted", text(a, "fg_consulted"));
}
