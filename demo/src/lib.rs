//! The demo city of DOMAIN.md §5: 20 settlements of four types, 2,400 F1 household
//! interviews, 91 F2 focus groups, 359 F3 actors and 30 F4 stakeholders, generated from a
//! seed with the parameters of §5.2–§5.5 and the correlations of §5.4. `dirty` makes the
//! "dirty" variants of §5.3 for the validators. Pure: the server's `demo` command pushes the
//! city through the real sync path, and the benchmark and the tests use it directly.
//!
//! Every clean response is valid against the built-in forms: the generator answers
//! liberally and `schema::prune` then drops what the form's skips make irrelevant, exactly
//! as the client does before finalizing. One module per form.

mod actors;
mod dirty;
mod draws;
mod focus_group;
mod household;

use baraza_schema::api::Settlement;
use baraza_schema::wire::{self, PushItem};
use baraza_schema::{Date, Form};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

pub use dirty::{Dirt, dirty};
use draws::Gen;

/// The four settlement types of §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Formal low-income, planned and titled.
    A,
    /// Consolidated informal settlement.
    B,
    /// New informal, peri-urban squatter settlement.
    C,
    /// Inner-city rental tenements.
    D,
}

/// One settlement of the frame (§5.1).
#[derive(Debug, Clone, Copy)]
pub struct Site {
    pub code: &'static str,
    pub kind: Kind,
    pub status: &'static str,
    pub households: u32,
    pub focus_groups: u32,
    pub actors: u32,
}

const fn site(
    code: &'static str,
    kind: Kind,
    status: &'static str,
    households: u32,
    focus_groups: u32,
    actors: u32,
) -> Site {
    Site {
        code,
        kind,
        status,
        households,
        focus_groups,
        actors,
    }
}

/// The city frame (§5.1); [`frame`] is the same as the server imports it.
pub const SITES: [Site; 20] = [
    site("s01", Kind::A, "recognised_planned", 3800, 4, 20),
    site("s02", Kind::A, "recognised_planned", 3200, 4, 18),
    site("s03", Kind::A, "recognised_planned", 2600, 4, 15),
    site("s04", Kind::A, "recognised_planned", 2900, 4, 16),
    site("s05", Kind::A, "recognised_planned", 2500, 4, 14),
    site("s06", Kind::B, "recognised_informal", 4500, 5, 35),
    site("s07", Kind::B, "regularisation_in_progress", 3600, 5, 30),
    site("s08", Kind::B, "recognised_informal", 3000, 5, 26),
    site("s09", Kind::B, "unrecognised", 2700, 5, 24),
    site("s10", Kind::B, "recognised_informal", 2300, 5, 20),
    site("s11", Kind::B, "unrecognised", 1400, 5, 14),
    site("s12", Kind::C, "unrecognised", 2800, 5, 18),
    site("s13", Kind::C, "under_eviction_notice", 2200, 5, 14),
    site("s14", Kind::C, "unrecognised", 1700, 5, 12),
    site("s15", Kind::C, "regularisation_in_progress", 1300, 5, 10),
    site("s16", Kind::C, "unrecognised", 1000, 5, 8),
    site("s17", Kind::D, "recognised_planned", 3000, 4, 22),
    site("s18", Kind::D, "recognised_planned", 2400, 4, 18),
    site("s19", Kind::D, "recognised_informal", 1900, 4, 15),
    site("s20", Kind::D, "recognised_informal", 1200, 4, 10),
];

/// Completed F1 interviews per settlement (equal allocation, so weights differ).
pub const SAMPLE_PER_SETTLEMENT: u32 = 120;

/// The utility water tariff T, in USD-equivalent per m³ (§5, illustrative).
pub(crate) const TARIFF_M3: f64 = 0.40;

impl Kind {
    /// The type's letter in the settlement frame.
    pub fn letter(self) -> &'static str {
        match self {
            Kind::A => "A",
            Kind::B => "B",
            Kind::C => "C",
            Kind::D => "D",
        }
    }
}

/// The city frame as the server imports it: `Settlement NN` of its type, with its listed
/// households.
pub fn frame() -> Vec<Settlement> {
    SITES
        .iter()
        .map(|s| Settlement {
            code: s.code.to_owned(),
            name: format!("Settlement {}", &s.code[1..]),
            settlement_type: s.kind.letter().to_owned(),
            households: i64::from(s.households),
            target: Some(i64::from(SAMPLE_PER_SETTLEMENT)),
        })
        .collect()
}

/// Generated responses of one form, as (response id, answers).
pub type Responses = Vec<(String, Value)>;

/// The generated city.
pub struct City {
    pub households: Responses,
    pub focus_groups: Responses,
    pub actors: Responses,
    pub stakeholders: Responses,
}

/// Generates the city with `seed`; interview dates fall in the 60 days before `today`.
pub fn city(seed: u64, forms: &[Form; 4], today: Date) -> City {
    let mut g = Gen(StdRng::seed_from_u64(seed));
    let mut households = Vec::new();
    let mut focus_groups = Vec::new();
    let mut actors = Vec::new();
    let mut actor_no = 0;
    for site in &SITES {
        for i in 1..=SAMPLE_PER_SETTLEMENT {
            let answers = household::household(&mut g, site, i, today);
            households.push((
                format!("demo-f1-{}-{i:04}", site.code),
                baraza_schema::prune(&forms[0], &answers, today),
            ));
        }
        for i in 1..=site.focus_groups {
            let answers = focus_group::focus_group(&mut g, site, i, today);
            focus_groups.push((
                format!("demo-f2-{}-{i:02}", site.code),
                baraza_schema::prune(&forms[1], &answers, today),
            ));
        }
        for _ in 0..site.actors {
            actor_no += 1;
            let answers = actors::actor(&mut g, site, actor_no, today);
            actors.push((
                format!("demo-f3-{actor_no:04}"),
                baraza_schema::prune(&forms[2], &answers, today),
            ));
        }
    }
    let stakeholders = (1..=30)
        .map(|i| {
            let answers = actors::stakeholder(&mut g, i, today);
            (
                format!("demo-f4-{i:03}"),
                baraza_schema::prune(&forms[3], &answers, today),
            )
        })
        .collect();
    City {
        households,
        focus_groups,
        actors,
        stakeholders,
    }
}

pub(crate) fn date_before(g: &mut Gen, today: Date, max_days: i64) -> String {
    Date::from_days(today.days() - g.int(0, max_days)).to_string()
}

/// The metadata a device fills for interview `n` held on `date` by `enumerator`: a start
/// between 08:00 and 15:59 (UTC+3) lasting `minutes`. Nothing is drawn from the generator,
/// so every other answer of the city stays as it was.
pub(crate) fn stamp(a: &mut Map<String, Value>, key: &str, n: u32, minutes: u32, enumerator: &str) {
    let date = a[key].as_str().unwrap_or_default().to_owned();
    let start = 8 * 60 + (n * 37) % 480;
    let at = |m: u32| format!("{date}T{:02}:{:02}:00+03:00", m / 60, m % 60);
    a.insert("start".into(), json!(at(start)));
    a.insert("end".into(), json!(at(start + minutes)));
    a.insert("today".into(), json!(date));
    a.insert("deviceid".into(), json!("demo-device"));
    if !enumerator.is_empty() {
        a.insert(enumerator.into(), json!(format!("E{:02}", n % 20 + 1)));
    }
}

/// The demo device's push items for one form's responses, in device order from `seq`.
pub fn push_items(form: &Form, responses: &Responses, seq: &mut u64) -> Vec<PushItem> {
    let (id, version) = (&form.settings.form_id, &form.settings.version);
    responses
        .iter()
        .map(|(response_id, answers)| {
            *seq += 1;
            let payload = answers.to_string();
            PushItem {
                device_seq: *seq,
                response_id: response_id.clone(),
                rev: wire::rev(None, id, version, payload.as_bytes()),
                parent_rev: None,
                form_id: id.clone(),
                form_version: version.clone(),
                content_hash: wire::content_hash(payload.as_bytes()),
                payload,
                saved_at: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_is_twenty_settlements_of_four_types_with_fifty_thousand_households() {
        let frame = frame();
        assert_eq!(frame.len(), 20);
        assert_eq!(frame.iter().map(|s| s.households).sum::<i64>(), 50_000);
        for kind in ["A", "B", "C", "D"] {
            assert!(frame.iter().any(|s| s.settlement_type == kind), "{kind}");
        }
        assert!(frame.iter().all(|s| s.check().is_ok()));
        assert_eq!(frame[0].name, "Settlement 01");
    }
}
