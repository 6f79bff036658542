//! Derived variables of the household survey (DOMAIN.md §4.1), computed at analysis time from
//! a stored F1 payload. Classifications that depend on a choice (is this water source
//! improved? is this wall durable?) are read from the form's own choice columns (`improved`,
//! `durable`), so a city that adapts the lists adapts the ladders with them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::form::Form;

/// The JMP-style drinking-water ladder. `BasicPlus` is a proxy (water quality is not tested):
/// never call it "safely managed".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaterRung {
    BasicPlus,
    Basic,
    Limited,
    /// Improved and off premises, but the collection time is not known.
    BasicOrLimitedUnknown,
    Unimproved,
    SurfaceWater,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SanitationRung {
    BasicPlus,
    Basic,
    Limited,
    Unimproved,
    OpenDefecation,
}

/// What the reports need to know about one household, derived once per stored revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    pub settlement: Option<String>,
    pub water: Option<WaterRung>,
    pub sanitation: Option<SanitationRung>,
    pub crowded: Option<bool>,
    pub durable: Option<bool>,
    /// Some member aged 5+ has a lot of difficulty, or cannot do at all, in a WG domain.
    pub disability: Option<bool>,
    pub insecure_tenure: Option<bool>,
    pub female_headed: Option<bool>,
    /// UN-Habitat deprivations (0–5), counting only those that could be determined.
    pub deprivations: u8,
    /// Members aged 15+ in work, and of those, informal.
    pub employed: u32,
    pub informal: u32,
}

fn text<'a>(a: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    a.get(key).and_then(Value::as_str)
}

fn num(a: &Map<String, Value>, key: &str) -> Option<f64> {
    a.get(key).and_then(Value::as_f64)
}

fn codes<'a>(a: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    a.get(key)
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A choice's extra column read as a flag (`1` = yes).
fn flag(form: &Form, list: &str, code: &str, column: &str) -> Option<bool> {
    form.choice(list, code)
        .and_then(|c| c.extra.get(column))
        .map(|v| v == "1")
}

pub fn water_rung(form: &Form, a: &Map<String, Value>) -> Option<WaterRung> {
    let source = text(a, "w_source")?;
    if source == "surface_water" {
        return Some(WaterRung::SurfaceWater);
    }
    if !flag(form, "water_source", source, "improved")? {
        return Some(WaterRung::Unimproved);
    }
    let on_premises = matches!(source, "piped_dwelling" | "piped_yard")
        || matches!(text(a, "w_location"), Some("in_dwelling" | "in_yard"));
    if on_premises && text(a, "w_insufficient") == Some("no") {
        return Some(WaterRung::BasicPlus);
    }
    if on_premises || num(a, "w_time_min").is_some_and(|t| t <= 30.0) {
        return Some(WaterRung::Basic);
    }
    if text(a, "w_time_dk") == Some("yes") {
        return Some(WaterRung::BasicOrLimitedUnknown);
    }
    Some(WaterRung::Limited)
}

pub fn sanitation_rung(form: &Form, a: &Map<String, Value>) -> Option<SanitationRung> {
    let facility = text(a, "s_facility")?;
    if matches!(facility, "no_facility" | "plastic_bag") {
        return Some(SanitationRung::OpenDefecation);
    }
    if !flag(form, "san_facility", facility, "improved")? {
        return Some(SanitationRung::Unimproved);
    }
    if text(a, "s_shared") == Some("yes") {
        return Some(SanitationRung::Limited);
    }
    let safely_emptied = matches!(
        text(a, "s_emptied"),
        Some("never_emptied" | "emptied_by_service_to_treatment" | "emptied_by_hh_buried_covered")
    );
    if facility == "flush_sewer" || safely_emptied {
        return Some(SanitationRung::BasicPlus);
    }
    Some(SanitationRung::Basic)
}

/// The six Washington Group short-set items of the roster.
pub const WG_ITEMS: [&str; 6] = [
    "m_wg_see",
    "m_wg_hear",
    "m_wg_walk",
    "m_wg_cog",
    "m_wg_self",
    "m_wg_comm",
];

/// The Washington Group cut-off for one member (aged 5+).
pub fn member_disability(m: &Map<String, Value>) -> Option<bool> {
    if num(m, "m_age")? < 5.0 {
        return Some(false);
    }
    let answered: Vec<&str> = WG_ITEMS.iter().filter_map(|k| text(m, k)).collect();
    if answered.is_empty() {
        return None;
    }
    Some(
        answered
            .iter()
            .any(|v| matches!(*v, "a_lot_of_difficulty" | "cannot_do_at_all")),
    )
}

const WORKING: [&str; 4] = [
    "wage_employee",
    "casual_daily",
    "self_employed",
    "unpaid_family",
];

/// `Some(informal?)` for a member in work; `None` otherwise.
pub fn member_informal(m: &Map<String, Value>) -> Option<bool> {
    let activity = text(m, "m_activity").filter(|a| WORKING.contains(a))?;
    Some(
        text(m, "m_contract") == Some("no")
            || text(m, "m_biz_reg") == Some("no")
            || matches!(activity, "casual_daily" | "unpaid_family"),
    )
}

/// Derives a household's report variables from its F1 answers.
pub fn household(form: &Form, answers: &Value) -> Option<Household> {
    let a = answers.as_object()?;
    let members: Vec<&Map<String, Value>> = a
        .get("member")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let water = water_rung(form, a);
    let sanitation = sanitation_rung(form, a);
    let crowded = match (num(a, "hh_size"), num(a, "rooms_sleep")) {
        (Some(n), Some(r)) if r > 0.0 => Some(n / r > 3.0),
        _ => None,
    };
    let durable = match (text(a, "wall"), text(a, "roof"), a.get("hazard")) {
        (Some(w), Some(r), Some(_)) => Some(
            flag(form, "wall", w, "durable")?
                && flag(form, "roof", r, "durable")?
                && codes(a, "hazard") == ["none"],
        ),
        _ => None,
    };
    let flags: Vec<Option<bool>> = members.iter().map(|m| member_disability(m)).collect();
    let disability = if flags.contains(&Some(true)) {
        Some(true)
    } else if !flags.is_empty() && flags.iter().all(Option::is_some) {
        Some(false)
    } else {
        None
    };
    let insecure_tenure =
        text(a, "tenure_fear").map(|f| matches!(f, "very_likely" | "somewhat_likely"));
    let female_headed = members
        .iter()
        .find(|m| text(m, "m_rel") == Some("head"))
        .and_then(|h| text(h, "m_sex"))
        .map(|s| s == "female");
    let work: Vec<bool> = members.iter().filter_map(|m| member_informal(m)).collect();
    let deprivations = [
        water.map(|w| matches!(w, WaterRung::Unimproved | WaterRung::SurfaceWater)),
        sanitation.map(|s| {
            matches!(
                s,
                SanitationRung::Unimproved
                    | SanitationRung::OpenDefecation
                    | SanitationRung::Limited
            )
        }),
        crowded,
        durable.map(|d| !d),
        insecure_tenure,
    ]
    .iter()
    .filter(|d| **d == Some(true))
    .count() as u8;
    Some(Household {
        settlement: text(a, "settlement").map(str::to_owned),
        water,
        sanitation,
        crowded,
        durable,
        disability,
        insecure_tenure,
        female_headed,
        deprivations,
        employed: work.len() as u32,
        informal: work.iter().filter(|i| **i).count() as u32,
    })
}

/// A household's spending share on one service: cost over monthly income (or spending),
/// top-coded at 1. `None` when the denominator is missing or zero (such households are
/// excluded from the share and counted separately).
pub fn service_share(cost: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (cost, denominator) {
        (Some(c), Some(d)) if d > 0.0 && c >= 0.0 => Some((c / d).min(1.0)),
        _ => None,
    }
}
