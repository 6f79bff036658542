//! F2 focus groups: participants, pairwise ranking, matrix scoring and consultation.

use baraza_schema::Date;
use serde_json::{Map, Value, json};

use crate::draws::{CONCERNS, Gen, params};
use crate::{Kind, Site, date_before, stamp};

pub(crate) const FG_TYPES_AD: [&str; 4] = ["women", "men", "young_women", "renters"];
pub(crate) const FG_TYPES_BC: [&str; 5] =
    ["women", "men", "young_men", "renters", "persons_disability"];

/// The 15 pairs of the form's pairwise-ranking preset, in order.
pub(crate) const PAIRS: [(&str, &str); 15] = [
    ("lack_of_choice", "affordability"),
    ("accessibility", "exploitation"),
    ("tenure_security", "employment"),
    ("accessibility", "lack_of_choice"),
    ("affordability", "tenure_security"),
    ("employment", "exploitation"),
    ("lack_of_choice", "exploitation"),
    ("employment", "affordability"),
    ("tenure_security", "accessibility"),
    ("tenure_security", "lack_of_choice"),
    ("exploitation", "affordability"),
    ("accessibility", "employment"),
    ("lack_of_choice", "employment"),
    ("affordability", "accessibility"),
    ("exploitation", "tenure_security"),
];

/// One focus group's answers. One sequence of draws, as `household` (whose comment says why
/// it stays one function).
pub(crate) fn focus_group(g: &mut Gen, site: &Site, i: u32, today: Date) -> Value {
    let p = params(site.kind);
    let kind = match site.kind {
        Kind::A | Kind::D => FG_TYPES_AD[(i as usize - 1) % 4],
        Kind::B | Kind::C => FG_TYPES_BC[(i as usize - 1) % 5],
    };
    let size = g.int(6, 12);
    let n_female = match kind {
        "women" | "young_women" => size,
        "men" | "young_men" => 0,
        _ => g.int(2, size - 2),
    };
    let mut a = Map::new();
    a.insert("settlement".into(), json!(site.code));
    a.insert(
        "fgd_id".into(),
        json!(format!("S{}-F{i:02}", &site.code[1..])),
    );
    a.insert("fg_date".into(), json!(date_before(g, today, 60)));
    a.insert("facilitator_id".into(), json!(format!("F{:02}", i)));
    stamp(&mut a, "fg_date", i, 60 + (i * 7) % 60, "");
    a.insert("group_type".into(), json!(kind));
    a.insert("n_female".into(), json!(n_female));
    a.insert("n_male".into(), json!(size - n_female));
    a.insert(
        "n_disability".into(),
        json!(if kind == "persons_disability" {
            size
        } else {
            g.int(0, 1)
        }),
    );
    a.insert(
        "n_tenants".into(),
        json!(if kind == "renters" {
            size
        } else {
            g.int(0, size)
        }),
    );
    a.insert("fg_consent".into(), json!("yes"));
    let points: Vec<Value> = (0..g.int(2, 5))
        .map(|_| {
            json!({
                "sp_type": g.pick(&["standpipe", "kiosk", "public_toilet", "communal_bin", "informal_dump", "drain_hotspot", "transport_stop"]),
                "sp_provider": g.pick(&["municipal", "informal_provider", "ngo_cbo", "private_operator"]),
                "sp_status": g.pick(&["working", "intermittent", "broken", "working"]),
            })
        })
        .collect();
    a.insert("sp".into(), Value::Array(points));
    a.insert(
        "gap_water".into(),
        json!("Queues at the kiosks in the dry season."),
    );
    a.insert(
        "left_out".into(),
        json!(g.some(
            &[
                "women_headed",
                "elderly_alone",
                "persons_disability",
                "tenants",
                "new_migrants"
            ],
            0.4
        )),
    );
    // Pairwise ranking: Bradley–Terry with the type's worths and the group's modifiers.
    let worth = |item: &str| -> f64 {
        let base = CONCERNS
            .iter()
            .position(|c| *c == item)
            .map_or(0.1, |k| p.concerns[k]);
        base * match (kind, item) {
            ("women" | "young_women", "accessibility") => 1.4,
            ("women" | "young_women", "exploitation") => 1.2,
            ("men" | "young_men" | "young_women", "employment") => 1.3,
            ("renters", "tenure_security" | "exploitation") => 1.4,
            ("persons_disability", "accessibility") => 1.6,
            _ => 1.0,
        }
    };
    let pw: Vec<Value> = PAIRS
        .iter()
        .map(|(x, y)| {
            let winner = if g.p(0.08) {
                "tie"
            } else if g.p(worth(x) / (worth(x) + worth(y))) {
                "a"
            } else {
                "b"
            };
            let consensus = if g.p(0.2) {
                "split"
            } else {
                g.pick(&["unanimous", "clear_majority"])
            };
            json!({"pw_a": x, "pw_b": y, "pw_winner": winner, "pw_consensus": consensus})
        })
        .collect();
    a.insert("pw".into(), Value::Array(pw));
    let mx: Vec<Value> = [
        "water",
        "sanitation",
        "solid_waste",
        "electricity",
        "drainage",
        "transport",
    ]
    .iter()
    .map(|s| {
        let importance = if matches!(*s, "water" | "sanitation") {
            g.int(4, 5)
        } else {
            g.int(2, 4)
        };
        let mut row = json!({"mx_service": s, "mx_importance": importance});
        for c in [
            "mx_afford",
            "mx_access",
            "mx_reliab",
            "mx_quality",
            "mx_choice",
            "mx_fair",
        ] {
            let score = (p.performance + 0.8 * g.normal()).round().clamp(0.0, 5.0) as i64;
            row[c] = json!(score);
        }
        row
    })
    .collect();
    a.insert("mx".into(), Value::Array(mx));
    let priorities = g.plackett_luce(&[
        ("water", 3.0),
        ("sanitation", 2.0),
        ("drainage", 1.2),
        ("solid_waste", 1.0),
        ("electricity", 1.0),
        ("transport", 0.8),
    ]);
    a.insert("mx_priority".into(), json!(priorities));
    let actors: Vec<Value> = (1..=g.int(5, 10))
        .map(|k| {
            let t = g.pick(&[
                "municipal_department",
                "public_utility",
                "informal_provider",
                "ngo",
                "cbo_community_group",
                "household_reseller",
            ]);
            let (importance, closeness) = match t {
                "cbo_community_group" => (g.int(2, 5), g.int(4, 5)),
                "municipal_department" | "public_utility" => (g.int(3, 5), g.int(1, 3)),
                "informal_provider" | "household_reseller" => (g.int(3, 5), g.int(3, 5)),
                _ => (g.int(1, 4), g.int(2, 4)),
            };
            let negative = matches!(t, "informal_provider" | "household_reseller") && g.p(0.4);
            json!({
                "ac_name": format!("Actor {k}"),
                "ac_type": t,
                "ac_services": [g.pick(&["water", "sanitation", "solid_waste", "electricity"])],
                "ac_importance": importance,
                "ac_closeness": closeness,
                "ac_valence": if negative { "negative" } else { g.pick(&["positive", "mixed"]) },
                "ac_women_equal": g.pick(&["yes", "no", "dk"]),
            })
        })
        .collect();
    a.insert("ac".into(), Value::Array(actors));
    let shares: &[i64] = if g.p(0.5) {
        &[15, 35, 35, 15]
    } else {
        &[20, 50, 30]
    };
    let wealth: Vec<Value> = shares
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let water = [
                "piped_yard",
                "water_kiosk",
                "cart_small_tank",
                "unprotected_well",
            ][k.min(3)];
            json!({
                "wb_label": format!("Group {}", k + 1),
                "wb_share_pct": s,
                "wb_water": water,
                "wb_can_connect": g.pick(&["yes", "no", "dk"]),
            })
        })
        .collect();
    a.insert("wb".into(), Value::Array(wealth));
    a.insert(
        "go_obj1_cat".into(),
        json!(g.pick(&["social", "physical", "economic"])),
    );
    a.insert(
        "go_obj2_cat".into(),
        json!(g.pick(&["social", "physical", "financial", "institutional"])),
    );
    let consulted = g.p(p.aware);
    a.insert(
        "fg_consulted".into(),
        json!(if consulted { "yes" } else { "no" }),
    );
    if consulted {
        a.insert(
            "fg_consult_incl".into(),
            json!(g.pick(&["yes", "partly", "no"])),
        );
    }
    a.insert(
        "fg_orgs".into(),
        json!([g.pick(&[
            "residents_association",
            "womens_group",
            "savings_credit_group"
        ])]),
    );
    a.insert(
        "land_owner".into(),
        json!(g.pick(&[
            "municipality",
            "state",
            "private_individual_company",
            "disputed"
        ])),
    );
    a.insert("land_status".into(), json!(site.status));
    a.insert(
        "land_evictions".into(),
        json!(if site.status == "under_eviction_notice" {
            "yes"
        } else {
            "no"
        }),
    );
    Value::Object(a)
}
