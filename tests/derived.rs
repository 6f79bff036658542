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
