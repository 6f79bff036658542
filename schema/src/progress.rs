//! Fieldwork progress, as a supervisor follows it (the console's first screen): household
//! interviews per settlement against the settlement's target, per enumerator per day with the
//! median interview length, and the flags a supervisor acts on. Pure: Store hands over the
//! heads the caller may see, already scoped.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::Date;
use crate::api::{
    DeviceProgress, EnumeratorDay, Flag, FlagKind, Progress, ReviewState, Settlement,
    SettlementProgress,
};
use crate::reports::HOUSEHOLD_FORM;
use crate::validate::moment;

/// A household interview shorter than this (from `start` to `end`, consent given) is flagged.
pub const SHORT_MINUTES: f64 = 10.0;

/// An enumerator whose answers are "don't know" or "refused" this much more often than
/// everyone's, and at least `MIN_DK_SHARE` of the time, is flagged.
pub const DK_RATIO: f64 = 2.0;
pub const MIN_DK_SHARE: f64 = 0.05;

/// One head response, as the progress screen reads it.
#[derive(Debug, Clone)]
pub struct Interview<'a> {
    pub response_id: &'a str,
    pub form_id: &'a str,
    pub settlement: Option<&'a str>,
    pub review_state: ReviewState,
    /// The account of the device that first sent it (`None`: written on the server).
    pub enumerator: Option<&'a str>,
    pub answers: &'a Value,
}

/// The interview's length in minutes, from the device's `start` and `end` metadata.
fn minutes(answers: &Value) -> Option<f64> {
    let at = |k: &str| moment(answers.get(k)?.as_str()?);
    let (start, end) = (at("start")?, at("end")?);
    (end >= start).then(|| (end - start) as f64 / 60.0)
}

/// The day an interview was held: its `today` metadata, else its first ten characters of
/// `interview_date`.
fn day(answers: &Value) -> Option<String> {
    ["today", "interview_date"]
        .iter()
        .find_map(|k| answers.get(*k)?.as_str()?.get(..10))
        .map(str::to_owned)
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let m = if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

/// Counts (answers that are "dk" or "refused", all answers) in an answer tree.
fn dont_know(v: &Value) -> (u64, u64) {
    match v {
        Value::Object(map) => map.values().fold((0, 0), |(d, n), x| {
            let (a, b) = dont_know(x);
            (d + a, n + b)
        }),
        Value::Array(rows) => rows.iter().fold((0, 0), |(d, n), x| {
            let (a, b) = dont_know(x);
            (d + a, n + b)
        }),
        Value::String(s) => (u64::from(s == "dk" || s == "refused"), 1),
        Value::Null => (0, 0),
        _ => (0, 1),
    }
}

/// The progress of the household interviews in `interviews` (other forms are left out) in
/// the `settlements` listed, with `quarantined` items per settlement and the `devices`;
/// interviews held outside the `fieldwork` days (either end open) are flagged.
pub fn summarize(
    settlements: &[Settlement],
    quarantined: &HashMap<String, i64>,
    interviews: &[Interview<'_>],
    devices: Vec<DeviceProgress>,
    fieldwork: (Option<Date>, Option<Date>),
) -> Progress {
    let households: Vec<&Interview<'_>> = interviews
        .iter()
        .filter(|i| i.form_id == HOUSEHOLD_FORM)
        .collect();
    let settlements = settlements
        .iter()
        .map(|s| {
            let here = households
                .iter()
                .filter(|i| i.settlement == Some(s.code.as_str()));
            let mut p = SettlementProgress {
                code: s.code.clone(),
                name: s.name.clone(),
                target: s.target,
                received: 0,
                has_issues: 0,
                approved: 0,
                rejected: 0,
                quarantined: quarantined.get(&s.code).copied().unwrap_or(0),
            };
            for i in here {
                *match i.review_state {
                    ReviewState::Received => &mut p.received,
                    ReviewState::HasIssues => &mut p.has_issues,
                    ReviewState::Approved => &mut p.approved,
                    ReviewState::Rejected => &mut p.rejected,
                } += 1;
            }
            p
        })
        .collect();

    let mut days: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut counts: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut flags = Vec::new();
    let mut ids: HashMap<(Option<&str>, &str), Vec<&str>> = HashMap::new();
    let mut dk: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for i in &households {
        let who = i.enumerator.unwrap_or("(server)").to_owned();
        let key = (who, day(i.answers).unwrap_or_default());
        *counts.entry(key.clone()).or_default() += 1;
        let length = minutes(i.answers);
        if let Some(m) = length {
            days.entry(key).or_default().push(m);
        }
        let consented = i.answers.get("consent").and_then(Value::as_str) == Some("yes");
        if let Some(m) = length.filter(|m| consented && *m < SHORT_MINUTES) {
            flags.push(Flag {
                kind: FlagKind::ShortInterview,
                response_id: Some(i.response_id.to_owned()),
                enumerator: i.enumerator.map(str::to_owned),
                detail: format!("{m:.0} minutes from start to end"),
                values: vec![format!("{m:.0}")],
            });
        }
        let held = day(i.answers).and_then(|d| Date::parse(&d).ok());
        if let Some(d) = held.filter(|d| {
            fieldwork.0.is_some_and(|from| *d < from) || fieldwork.1.is_some_and(|to| *d > to)
        }) {
            let bound = |b: Option<Date>| b.map_or_else(|| "…".to_owned(), |d| d.to_string());
            flags.push(Flag {
                kind: FlagKind::OutsideFieldwork,
                response_id: Some(i.response_id.to_owned()),
                enumerator: i.enumerator.map(str::to_owned),
                detail: format!(
                    "held on {d}, outside the fieldwork ({} to {})",
                    bound(fieldwork.0),
                    bound(fieldwork.1)
                ),
                values: vec![d.to_string(), bound(fieldwork.0), bound(fieldwork.1)],
            });
        }
        if let Some(hh) = i.answers.get("hh_id").and_then(Value::as_str) {
            ids.entry((i.settlement, hh))
                .or_default()
                .push(i.response_id);
        }
        if let Some(who) = i.enumerator {
            let (d, n) = dont_know(i.answers);
            let e = dk.entry(who).or_default();
            *e = (e.0 + d, e.1 + n);
        }
    }
    let mut twice: Vec<_> = ids.into_iter().filter(|(_, r)| r.len() > 1).collect();
    twice.sort();
    for ((_, hh), responses) in twice {
        for r in &responses {
            flags.push(Flag {
                kind: FlagKind::DuplicateHousehold,
                response_id: Some((*r).to_owned()),
                enumerator: None,
                detail: format!("household {hh} is in {} interviews", responses.len()),
                values: vec![(*hh).to_owned(), responses.len().to_string()],
            });
        }
    }
    let (all_dk, all_n) = dk.values().fold((0, 0), |(d, n), (a, b)| (d + a, n + b));
    let overall = all_dk as f64 / all_n.max(1) as f64;
    for (who, (d, n)) in &dk {
        let share = *d as f64 / (*n).max(1) as f64;
        if share >= MIN_DK_SHARE && share > DK_RATIO * overall {
            flags.push(Flag {
                kind: FlagKind::ManyDontKnow,
                response_id: None,
                enumerator: Some((*who).to_owned()),
                detail: format!(
                    "{:.0} % of answers are \"don't know\" or \"refused\" (everyone: {:.0} %)",
                    share * 100.0,
                    overall * 100.0
                ),
                values: vec![
                    format!("{:.0}", share * 100.0),
                    format!("{:.0}", overall * 100.0),
                ],
            });
        }
    }
    let enumerators = counts
        .into_iter()
        .map(|((enumerator, day), interviews)| {
            let median_minutes = days
                .get_mut(&(enumerator.clone(), day.clone()))
                .and_then(|m| median(m));
            EnumeratorDay {
                enumerator,
                day,
                interviews,
                median_minutes,
            }
        })
        .collect();
    Progress {
        settlements,
        enumerators,
        devices,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn interview<'a>(
        id: &'a str,
        settlement: &'a str,
        state: ReviewState,
        who: &'a str,
        answers: &'a Value,
    ) -> Interview<'a> {
        Interview {
            response_id: id,
            form_id: HOUSEHOLD_FORM,
            settlement: Some(settlement),
            review_state: state,
            enumerator: Some(who),
            answers,
        }
    }

    fn answers(hh: &str, minutes: u32, dk: bool) -> Value {
        json!({
            "hh_id": hh, "consent": "yes", "today": "2026-11-02",
            "start": "2026-11-02T09:00:00+03:00",
            "end": format!("2026-11-02T{:02}:{:02}:00+03:00", 9 + minutes / 60, minutes % 60),
            "tenure_fear": if dk { "dk" } else { "no" }, "evict_5y": if dk { "refused" } else { "no" },
            "hh_size": 4, "w_source": "piped_yard",
        })
    }

    #[test]
    fn progress_counts_review_states_against_targets_and_flags_what_a_supervisor_acts_on() {
        let frame = [
            Settlement {
                code: "s01".into(),
                name: "One".into(),
                settlement_type: "A".into(),
                households: 100,
                target: Some(3),
            },
            Settlement {
                code: "s02".into(),
                name: "Two".into(),
                settlement_type: "B".into(),
                households: 100,
                target: None,
            },
        ];
        let (a, b, c, d) = (
            answers("S01-1", 30, false),
            answers("S01-1", 5, false),
            answers("S01-2", 40, true),
            answers("S02-1", 50, false),
        );
        let list = [
            interview("r1", "s01", ReviewState::Approved, "amina", &a),
            interview("r2", "s01", ReviewState::Received, "amina", &b),
            interview("r3", "s01", ReviewState::Rejected, "bo", &c),
            interview("r4", "s02", ReviewState::Received, "amina", &d),
        ];
        let quarantined = HashMap::from([("s01".to_owned(), 2)]);
        let p = summarize(&frame, &quarantined, &list, vec![], (None, None));
        let s01 = &p.settlements[0];
        assert_eq!(
            (
                s01.target,
                s01.received,
                s01.approved,
                s01.rejected,
                s01.quarantined
            ),
            (Some(3), 1, 1, 1, 2)
        );
        assert_eq!(
            (p.settlements[1].received, p.settlements[1].quarantined),
            (1, 0)
        );
        let amina = p
            .enumerators
            .iter()
            .find(|e| e.enumerator == "amina")
            .expect("amina's day");
        assert_eq!((amina.day.as_str(), amina.interviews), ("2026-11-02", 3));
        assert_eq!(amina.median_minutes, Some(30.0), "of 5, 30 and 50 minutes");
        let kinds = |k: FlagKind| {
            p.flags
                .iter()
                .filter(|f| f.kind == k)
                .map(|f| {
                    f.response_id
                        .clone()
                        .or(f.enumerator.clone())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(FlagKind::ShortInterview), ["r2"]);
        assert_eq!(kinds(FlagKind::DuplicateHousehold), ["r1", "r2"]);
        assert_eq!(kinds(FlagKind::ManyDontKnow), ["bo"]);
        assert_eq!(
            kinds(FlagKind::OutsideFieldwork),
            [""; 0],
            "no fieldwork dates set"
        );
    }

    #[test]
    fn interviews_held_outside_the_fieldwork_days_are_flagged_with_both_ends_included() {
        let day = |d: &str| Date::parse(d).ok();
        let held = |d: &str| json!({"hh_id": d, "consent": "yes", "today": d});
        let (a, b, c) = (held("2026-10-31"), held("2026-11-01"), held("2026-12-01"));
        let list = [
            interview("early", "s01", ReviewState::Received, "amina", &a),
            interview("first", "s01", ReviewState::Received, "amina", &b),
            interview("late", "s01", ReviewState::Received, "amina", &c),
        ];
        let flagged = |fieldwork| {
            summarize(&[], &HashMap::new(), &list, vec![], fieldwork)
                .flags
                .into_iter()
                .filter(|f| f.kind == FlagKind::OutsideFieldwork)
                .map(|f| (f.response_id.unwrap_or_default(), f.detail))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            flagged((day("2026-11-01"), day("2026-11-30"))),
            [
                (
                    "early".to_owned(),
                    "held on 2026-10-31, outside the fieldwork (2026-11-01 to 2026-11-30)"
                        .to_owned()
                ),
                (
                    "late".to_owned(),
                    "held on 2026-12-01, outside the fieldwork (2026-11-01 to 2026-11-30)"
                        .to_owned()
                ),
            ]
        );
        assert_eq!(
            flagged((day("2026-11-01"), None)).len(),
            1,
            "an open end flags nothing after"
        );
        assert_eq!(
            flagged((None, day("2026-12-01"))).len(),
            0,
            "the last day is included"
        );
    }

    #[test]
    fn other_forms_and_interviews_without_times_count_nowhere_they_do_not_belong() {
        let group = json!({"fg_date": "2026-11-02"});
        let mut fg = interview("g1", "s01", ReviewState::Received, "amina", &group);
        fg.form_id = "baraza_f2_focus_group";
        let refused = json!({"hh_id": "S01-9", "consent": "no", "today": "2026-11-03"});
        let no_times = interview("r9", "s01", ReviewState::Received, "amina", &refused);
        let frame = [Settlement {
            code: "s01".into(),
            name: "One".into(),
            settlement_type: "A".into(),
            households: 1,
            target: None,
        }];
        let p = summarize(
            &frame,
            &HashMap::new(),
            &[fg, no_times],
            vec![],
            (None, None),
        );
        assert_eq!(p.settlements[0].received, 1, "only the household interview");
        assert_eq!(p.enumerators.len(), 1);
        assert_eq!(p.enumerators[0].median_minutes, None);
        assert!(p.flags.is_empty(), "{:?}", p.flags);
    }
}
