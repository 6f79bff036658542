//! R15's actors map, and the parts of R8, R12, R13 and R16 that come from F3 service actors and F4 municipal stakeholders.
//! Each actor or stakeholder counts once, unweighted (DOMAIN.md §4.1); neither form names a
//! single settlement (an actor serves several, a stakeholder the city), so their cells are
//! city-wide.

use serde_json::{Map, Value};

use super::Sink;
use super::household::choices;
use super::measure::Emit;
use crate::form::Form;

fn text<'a>(a: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    a.get(key).and_then(Value::as_str)
}

fn city() -> Vec<(&'static str, String)> {
    vec![("all", "all".to_owned())]
}

/// R8: whether officials or others demanded an unofficial payment from the operator in the
/// last 12 months (sensitive), for every actor, by actor type and by service provided.
/// Refusals are a share of their own.
pub fn service_actor(_form: &Form, a: &Map<String, Value>, out: &mut dyn Sink) {
    if text(a, "a_consent") != Some("yes") {
        return;
    }
    actors_map(a, out);
    let Some(answer) = text(a, "ac_bribe_12m") else {
        return;
    };
    let groups = city();
    let mut e = Emit {
        report: "R8",
        groups: &groups,
        out,
    };
    let demanded = Some(answer == "yes");
    e.share("operator_bribe_demanded", demanded);
    e.share("operator_bribe_demanded:refused", Some(answer == "refused"));
    if let Some(kind) = text(a, "ac_type") {
        e.share(&format!("operator_bribe_demanded@{kind}"), demanded);
    }
    let services = a.get("ac_services").and_then(Value::as_array);
    for service in services.into_iter().flatten().filter_map(Value::as_str) {
        e.share(&format!("operator_bribe_demanded:{service}"), demanded);
    }
}

/// R13's officials' list of excluded settlements, and R12: the consultations the municipality held in the last 12 months as stakeholders
/// report them — the mean count, in low-income settlements too, and those as a rate per
/// 10,000 households of the settlement frame (`r`) — and how many stakeholders did not know.
pub fn stakeholder(form: &Form, a: &Map<String, Value>, out: &mut dyn Sink) {
    if text(a, "sh_consent") != Some("yes") {
        return;
    }
    let groups = city();
    // R13: the settlements this stakeholder names as least served or excluded, as a share
    // of stakeholders, beside the households' own ranking of settlements.
    let named: Vec<&str> = a
        .get("marginal_settl")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    // Every consenting stakeholder was asked; none chosen is stored as no answer.
    let mut e = Emit {
        report: "R13",
        groups: &groups,
        out,
    };
    for code in choices(form, "settlement") {
        e.share(
            &format!("officials_name_excluded:{code}"),
            Some(named.contains(&code)),
        );
    }
    alignment(form, a, out);
    let mut e = Emit {
        report: "R12",
        groups: &groups,
        out,
    };
    let dk = text(a, "cons_held_dk");
    e.share(
        "stakeholder_does_not_know_consultations",
        dk.map(|v| v == "yes"),
    );
    if dk != Some("no") {
        return;
    }
    for (key, item) in [
        ("cons_held_12m", "consultations_held"),
        ("cons_informal", "consultations_in_low_income_settlements"),
    ] {
        let count = a.get(key).and_then(Value::as_f64);
        e.mean(item, count);
        e.rate(&format!("{item}_per_10k_households"), count);
    }
}

/// A ranking's Borda points per item of `list`, normalised to 0–100 (DOMAIN.md §4.1).
pub(super) fn normalised_borda(form: &Form, list: &str, ranking: &[&str]) -> Vec<(String, f64)> {
    let items = choices(form, list);
    if ranking.is_empty() || items.len() < 2 {
        return Vec::new();
    }
    let top = (items.len() - 1) as f64;
    let points = crate::stats::borda_points(ranking, &items);
    items
        .iter()
        .zip(points)
        .map(|(i, b)| ((*i).to_owned(), 100.0 * b / top))
        .collect()
}

fn ranking<'a>(a: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    a.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// R16: what a stakeholder ranks first for service partnerships (Borda over the objective
/// categories), how they score the municipality's governance (1–5), which strategic
/// practices they report, and how they think poor households rank the six concerns — the
/// order compared with the households' own (`reports::alignment`). By role group (`rg`):
/// elected councillors and officials (every other role, merged as DOMAIN.md §4.3 rule 7
/// suggests for small role groups).
fn alignment(form: &Form, a: &Map<String, Value>, out: &mut dyn Sink) {
    let mut groups = city();
    if let Some(role) = text(a, "sh_role") {
        let group = if role == "elected_councillor" {
            "councillors"
        } else {
            "officials"
        };
        groups.push(("rg", group.to_owned()));
    }
    let mut e = Emit {
        report: "R16",
        groups: &groups,
        out,
    };
    for (item, b) in normalised_borda(form, "objective_cat", &ranking(a, "obj_rank")) {
        e.mean(&format!("objective:{item}"), Some(b));
    }
    for area in [
        "participation",
        "planning",
        "finance",
        "accountability",
        "collaborative",
    ] {
        let key = format!("gov_{area}");
        let score = a.get(&key).and_then(Value::as_f64);
        e.mean(&format!("governance:{key}"), score);
    }
    for (key, yes) in [
        ("tariffs_published", "yes"),
        ("audit_published", "yes"),
        ("pov_assessment", "yes"),
        ("priorities_consulted", "yes"),
        ("reform_sequence", "yes"),
        ("lessons_documented", "yes"),
    ] {
        e.share(&format!("practice:{key}"), text(a, key).map(|v| v == yes));
    }
    e.share(
        "practice:complaints_system",
        text(a, "complaints_system").map(|v| v != "none"),
    );
    for (item, b) in normalised_borda(form, "concern", &ranking(a, "perceived_poor_rank")) {
        e.mean(&format!("perceived_poor:{item}"), Some(b));
    }
}

/// The provider group an F3 actor type or an F1 provider type belongs to: the two forms
/// name providers differently (F1 asks a household, F3 the actor), and R15 sets them side
/// by side. `None` for self-provision, none and "don't know".
pub(super) fn provider_group(code: &str) -> Option<&'static str> {
    Some(match code {
        "municipal" | "municipal_department" | "public_utility" => "public",
        "private_operator" | "private_operator_formal" => "private_formal",
        "informal_provider" => "informal",
        "ngo_cbo" | "ngo" | "cbo_community_group" => "ngo_cbo",
        "other_households" | "household_reseller" => "households",
        "other" => "other",
        _ => return None,
    })
}

/// R15 from one F3 actor: its provider group, counted city-wide and in each settlement it
/// serves (`actors@<settlement>=<group>`, the settlements × actor types matrix); the
/// households it says it serves in a typical month (all its operations); and each of its
/// relationships as an edge from its group to the kind of relationship, weighted by its
/// strength (1–3). Individual operators are counted, never named: the partner is free text
/// and is not read.
fn actors_map(a: &Map<String, Value>, out: &mut dyn Sink) {
    let Some(group) = text(a, "ac_type").and_then(provider_group) else {
        return;
    };
    let groups = city();
    let mut e = Emit {
        report: "R15",
        groups: &groups,
        out,
    };
    e.category("actors", Some(group));
    let served = a.get("a_settlements").and_then(Value::as_array);
    for code in served.into_iter().flatten().filter_map(Value::as_str) {
        e.category(&format!("actors@{code}"), Some(group));
    }
    let ops = a.get("op").and_then(Value::as_array);
    let customers: Vec<f64> = ops
        .into_iter()
        .flatten()
        .filter_map(|op| op.get("op_customers").and_then(Value::as_f64))
        .collect();
    if !customers.is_empty() {
        e.mean(&format!("customers:{group}"), Some(customers.iter().sum()));
    }
    let rels = a.get("rel").and_then(Value::as_array);
    for r in rels.into_iter().flatten().filter_map(Value::as_object) {
        if let Some(kind) = text(r, "rel_type") {
            let strength = r.get("rel_strength").and_then(Value::as_f64);
            e.mean(&format!("tie:{group}:{kind}"), strength);
        }
    }
}
