//! The F1 derived variables (DOMAIN.md §4.1) on realistic household answers.

use baraza_schema::derive::{Household, SanitationRung, WaterRung, household, service_share};
use serde_json::{Value, json};

use crate::builtin_forms::{f1_household, form, with};

fn derive(answers: &Value) -> Household {
    household(&form("f1_household"), answers).expect("an F1 household")
}

#[test]
fn a_household_gets_its_ladders_deprivations_and_work_counts() {
    let h = derive(&f1_household());
    assert_eq!(h.settlement.as_deref(), Some("s03"));
    assert_eq!(
        h.water,
        Some(WaterRung::Basic),
        "an improved kiosk 25 minutes away"
    );
    assert_eq!(
        h.sanitation,
        Some(SanitationRung::Limited),
        "an improved pit, shared"
    );
    assert_eq!(
        h.crowded,
        Some(false),
        "3 people in 1 room is not more than 3"
    );
    assert_eq!(h.durable, Some(false), "iron-sheet walls are not durable");
    assert_eq!(
        h.disability,
        Some(false),
        "'some difficulty' is below the WG cut-off"
    );
    assert_eq!(h.insecure_tenure, Some(true));
    assert_eq!(h.female_headed, Some(true));
    assert_eq!(
        h.deprivations, 3,
        "shared sanitation, non-durable housing, insecure tenure"
    );
    assert_eq!(
        (h.employed, h.informal),
        (1, 1),
        "an unregistered business is informal"
    );
}

#[test]
fn each_rung_of_the_water_and_sanitation_ladders_is_reached() {
    let base = f1_household();
    let water: Vec<(Vec<(&str, Value)>, WaterRung)> = vec![
        (
            vec![
                ("/w_source", json!("piped_yard")),
                ("/w_location", Value::Null),
                ("/w_insufficient", json!("no")),
            ],
            WaterRung::BasicPlus,
        ),
        (
            vec![
                ("/w_location", json!("in_yard")),
                ("/w_insufficient", json!("dk")),
            ],
            WaterRung::Basic,
        ),
        (vec![("/w_time_min", json!(45))], WaterRung::Limited),
        (
            vec![("/w_time_min", Value::Null), ("/w_time_dk", json!("yes"))],
            WaterRung::BasicOrLimitedUnknown,
        ),
        (
            vec![("/w_source", json!("unprotected_well"))],
            WaterRung::Unimproved,
        ),
        (
            vec![("/w_source", json!("surface_water"))],
            WaterRung::SurfaceWater,
        ),
    ];
    for (edits, want) in water {
        assert_eq!(derive(&with(&base, &edits)).water, Some(want), "{edits:?}");
    }
    let sanitation: Vec<(Vec<(&str, Value)>, SanitationRung)> = vec![
        (
            vec![
                ("/s_facility", json!("flush_sewer")),
                ("/s_shared", json!("no")),
            ],
            SanitationRung::BasicPlus,
        ),
        (
            vec![
                ("/s_shared", json!("no")),
                ("/s_emptied", json!("never_emptied")),
            ],
            SanitationRung::BasicPlus,
        ),
        (vec![("/s_shared", json!("no"))], SanitationRung::Basic),
        (
            vec![("/s_facility", json!("bucket"))],
            SanitationRung::Unimproved,
        ),
        (
            vec![("/s_facility", json!("plastic_bag"))],
            SanitationRung::OpenDefecation,
        ),
    ];
    for (edits, want) in sanitation {
        assert_eq!(
            derive(&with(&base, &edits)).sanitation,
            Some(want),
            "{edits:?}"
        );
    }
}

#[test]
fn crowding_durability_and_disability_follow_their_cut_offs() {
    let base = f1_household();
    assert_eq!(
        derive(&with(
            &base,
            &[("/hh_size", json!(7)), ("/rooms_sleep", json!(2))]
        ))
        .crowded,
        Some(true)
    );
    let solid = with(
        &base,
        &[
            ("/wall", json!("concrete_brick_block")),
            ("/roof", json!("tiles")),
            ("/hazard", json!(["none"])),
        ],
    );
    assert_eq!(derive(&solid).durable, Some(true));
    assert_eq!(
        derive(&with(&solid, &[("/hazard", json!(["flood_prone"]))])).durable,
        Some(false),
        "a hazardous site is not durable"
    );
    let blind = with(&base, &[("/member/1/m_wg_see", json!("cannot_do_at_all"))]);
    assert_eq!(derive(&blind).disability, Some(true));
    let male_head = with(&base, &[("/member/0/m_sex", json!("male"))]);
    assert_eq!(derive(&male_head).female_headed, Some(false));
}

#[test]
fn service_shares_are_top_coded_and_need_a_positive_denominator() {
    assert_eq!(service_share(Some(12.0), Some(240.0)), Some(0.05));
    assert_eq!(service_share(Some(500.0), Some(100.0)), Some(1.0));
    assert_eq!(service_share(Some(5.0), Some(0.0)), None);
    assert_eq!(service_share(None, Some(100.0)), None);
}

/// The sums a response adds to one cell of one report, if any.
fn cell(form_name: &str, answers: &Value, report: &str, cell: &str) -> Option<[f64; 4]> {
    let ctx = baraza_schema::reports::Context::default();
    baraza_schema::reports::contributions(&form(form_name), answers, &ctx)
        .into_iter()
        .find(|c| c.report == report && c.cell == cell)
        .map(|c| c.sums)
}

#[test]
fn an_income_known_only_by_its_band_stands_at_the_band_midpoint_and_is_flagged() {
    let base = f1_household();
    let flag = "all|all|income_from_band_midpoint|p";
    assert_eq!(
        cell("f1_household", &base, "R6", flag),
        Some([1.0, 0.0, 0.0, 0.0]),
        "an amount given"
    );
    let banded = with(
        &base,
        &[
            ("/inc_month_dk", json!("yes")),
            ("/inc_month", Value::Null),
            ("/inc_band", json!("band2")),
        ],
    );
    assert_eq!(
        cell("f1_household", &banded, "R6", flag),
        Some([1.0, 1.0, 0.0, 0.0])
    );
    // Band 2 is 75–150: 112.5 for 3 people is 37.5 a head, in the bin of whole units 38.
    assert!(
        cell(
            "f1_household",
            &banded,
            "R10",
            "all|all|income_per_capita|q38"
        )
        .is_some(),
        "the midpoint is the income"
    );
    let unknown = with(&banded, &[("/inc_band", json!("dk"))]);
    assert_eq!(cell("f1_household", &unknown, "R6", flag), None);
}

#[test]
fn a_bribe_counts_as_paid_only_when_asked_and_paid() {
    let base = f1_household();
    let paid = |a: &Value, service: &str| {
        cell(
            "f1_household",
            a,
            "R8",
            &format!("all|all|bribe_paid:{service}|p"),
        )
    };
    assert_eq!(
        paid(&base, "water"),
        Some([1.0, 0.0, 0.0, 0.0]),
        "not asked"
    );
    let refused = "all|all|bribe_paid:electricity:refused|p";
    assert_eq!(
        cell("f1_household", &base, "R8", refused),
        Some([1.0, 1.0, 0.0, 0.0]),
        "asked, and would not say whether it paid"
    );
    let yes = with(&base, &[("/svc/3/sv_bribe_paid", json!("yes"))]);
    assert_eq!(paid(&yes, "electricity"), Some([1.0, 1.0, 0.0, 0.0]));
    assert_eq!(
        cell("f1_household", &yes, "R8", "all|all|bribe_paid:any|p"),
        Some([1.0, 1.0, 0.0, 0.0])
    );
}

#[test]
fn actors_and_stakeholders_count_once_each_city_wide() {
    let actor = json!({"a_consent": "yes", "ac_type": "informal_provider",
        "ac_services": ["water", "sanitation"], "ac_bribe_12m": "yes"});
    let one = Some([1.0, 1.0, 0.0, 0.0]);
    for c in [
        "all|all|operator_bribe_demanded|p",
        "all|all|operator_bribe_demanded@informal_provider|p",
        "all|all|operator_bribe_demanded:sanitation|p",
    ] {
        assert_eq!(cell("f3_service_actors", &actor, "R8", c), one, "{c}");
    }
    let refused = with(&actor, &[("/ac_bribe_12m", json!("refused"))]);
    assert_eq!(
        cell(
            "f3_service_actors",
            &refused,
            "R8",
            "all|all|operator_bribe_demanded:refused|p"
        ),
        one
    );
    let declined = with(&actor, &[("/a_consent", json!("no"))]);
    let ctx = baraza_schema::reports::Context::default();
    assert!(
        baraza_schema::reports::contributions(&form("f3_service_actors"), &declined, &ctx)
            .is_empty()
    );

    let official = json!({"sh_consent": "yes", "cons_held_dk": "no", "cons_held_12m": 6,
        "cons_informal": 2});
    assert_eq!(
        cell(
            "f4_municipal_stakeholders",
            &official,
            "R12",
            "all|all|consultations_in_low_income_settlements_per_10k_households|r"
        ),
        Some([1.0, 2.0, 4.0, 0.0])
    );
    let unsure = with(&official, &[("/cons_held_dk", json!("yes"))]);
    assert_eq!(
        cell(
            "f4_municipal_stakeholders",
            &unsure,
            "R12",
            "all|all|consultations_held|m"
        ),
        None,
        "a stakeholder who does not know gives no count"
    );
    assert_eq!(
        cell(
            "f4_municipal_stakeholders",
            &unsure,
            "R12",
            "all|all|stakeholder_does_not_know_consultations|p"
        ),
        one
    );
}

#[test]
fn a_categorical_answer_adds_one_cell_per_group_not_one_per_category() {
    let ctx = baraza_schema::reports::Context::default();
    let all = baraza_schema::reports::contributions(&form("f1_household"), &f1_household(), &ctx);
    let r5: Vec<&str> = all
        .iter()
        .filter(|c| c.report == "R5")
        .map(|c| c.cell.as_str())
        .collect();
    // Six services, each counted once for the whole population and once for the tenure group.
    assert_eq!(r5.len(), 12, "{r5:?}");
    assert!(r5.contains(&"all|all|water=informal_provider|c"), "{r5:?}");
}
