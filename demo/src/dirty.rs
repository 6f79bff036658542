//! The "dirty" variants of §5.3, for the validators.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use crate::Responses;
use crate::draws::Gen;

/// The kinds of "dirty" record of §5.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dirt {
    /// A value outside its question's range.
    OutOfRange,
    /// The `hh_id` of another household.
    DuplicateId,
    /// Two members marked as the head.
    TwoHeads,
    /// An answer to a question its skip logic hides.
    InconsistentSkip,
}

/// Dirty variants of clean households (about 1 %, 0.5 %, 0.3 % and 0.5 % of them, at
/// least one of each): `(kind, response id, answers)`.
pub fn dirty(seed: u64, households: &Responses) -> Vec<(Dirt, String, Value)> {
    let mut g = Gen(StdRng::seed_from_u64(seed ^ 0xd127));
    let n = households.len();
    let mut out = Vec::new();
    let consenting: Vec<&(String, Value)> = households
        .iter()
        .filter(|(_, a)| a["consent"] == "yes")
        .collect();
    for (kind, share) in [
        (Dirt::OutOfRange, 0.01),
        (Dirt::DuplicateId, 0.005),
        (Dirt::TwoHeads, 0.003),
        (Dirt::InconsistentSkip, 0.005),
    ] {
        let count = ((n as f64 * share).round() as usize).max(1);
        for k in 0..count {
            let (id, base) = consenting[g.int(0, consenting.len() as i64 - 1) as usize];
            let mut a = base.clone();
            match kind {
                Dirt::OutOfRange => {
                    let (field, value) = match k % 3 {
                        0 => ("resp_age", json!(g.int(111, 140))),
                        1 => ("rooms_sleep", json!(0)),
                        _ => ("women_time", json!(g.int(17, 30))),
                    };
                    a[field] = value;
                }
                Dirt::DuplicateId => {
                    let (_, other) = consenting[g.int(0, consenting.len() as i64 - 1) as usize];
                    a["hh_id"] = other["hh_id"].clone();
                }
                Dirt::TwoHeads => {
                    let members = a["member"].as_array_mut().expect("a roster");
                    let mut second = members[0].clone();
                    second["m_label"] = json!("P0");
                    second["m_age"] = json!(40);
                    members.push(second);
                    a["hh_size"] = json!(members.len());
                }
                Dirt::InconsistentSkip => {
                    // A rent for an owner: the question is only asked of tenants.
                    a["tenure"] = json!("owner_titled");
                    a["rent_month"] = json!(25);
                }
            }
            out.push((kind, format!("{id}-dirty-{k}"), a));
        }
    }
    out
}
