//! F3 service actors and F4 municipal stakeholders.

use baraza_schema::Date;
use serde_json::{Map, Value, json};

use crate::draws::{Gen, money};
use crate::{Kind, SITES, Site, TARIFF_M3, date_before, stamp};

/// One service actor's answers (F3). One sequence of draws, as `household`.
pub(crate) fn actor(g: &mut Gen, site: &Site, n: u32, today: Date) -> Value {
    let t = g.weighted(&[
        ("informal_provider", 40.),
        ("household_reseller", 12.),
        ("cbo_community_group", 10.),
        ("ngo", 6.),
        ("private_operator_formal", 5.),
        ("municipal_department", 4.),
        ("public_utility", 3.),
    ]);
    let service = match t {
        "informal_provider" => g.weighted(&[
            ("water", 50.),
            ("solid_waste", 25.),
            ("sanitation", 10.),
            ("electricity", 10.),
            ("transport", 5.),
        ]),
        "household_reseller" => g.pick(&["water", "electricity"]),
        "private_operator_formal" => g.pick(&["solid_waste", "electricity"]),
        _ => g.pick(&["water", "sanitation", "solid_waste", "drainage"]),
    };
    let informal = matches!(t, "informal_provider" | "household_reseller");
    let public = matches!(t, "municipal_department" | "public_utility");
    let mut a = Map::new();
    a.insert("actor_id".into(), json!(format!("A{n:04}")));
    a.insert("a_date".into(), json!(date_before(g, today, 60)));
    stamp(&mut a, "a_date", n, 20 + (n * 11) % 30, "a_enum");
    a.insert("a_consent".into(), json!("yes"));
    a.insert("a_settlements".into(), json!([site.code]));
    a.insert("ac_type".into(), json!(t));
    if !informal {
        a.insert(
            "ac_name".into(),
            json!(format!("{} {n}", t.replace('_', " "))),
        );
    }
    a.insert("ac_services".into(), json!([service]));
    a.insert("ac_role".into(), json!(["direct_provision"]));
    let formal = if informal {
        if service == "water" && t == "informal_provider" && g.p(0.4) {
            "contracted_by_municipality"
        } else if g.p(0.7) {
            "unregistered"
        } else {
            "registered_not_licensed"
        }
    } else {
        "registered_and_licensed"
    };
    a.insert("ac_formal".into(), json!(formal));
    if !public {
        let contract = formal == "contracted_by_municipality" || t == "private_operator_formal";
        a.insert(
            "ac_contract".into(),
            json!(if contract { "yes" } else { "no" }),
        );
        if contract {
            a.insert(
                "ac_contract_type".into(),
                json!(if informal {
                    "small_operator_licence"
                } else {
                    "service_contract"
                }),
            );
        }
        let willing = g.p(0.7);
        a.insert(
            "ac_willing".into(),
            json!(if willing { "yes" } else { "no" }),
        );
        if willing {
            a.insert(
                "ac_conditions".into(),
                json!([
                    "legal_recognition",
                    g.pick(&["training", "finance", "bulk_tariff"])
                ]),
            );
        }
    }
    a.insert("ac_years".into(), json!(g.int(1, 20)));
    if informal {
        a.insert("ac_owner_sex".into(), json!(g.pick(&["female", "male"])));
    }
    let staff = if informal { g.int(1, 4) } else { g.int(5, 200) };
    a.insert("ac_staff".into(), json!(staff));
    a.insert("ac_staff_f".into(), json!(g.int(0, staff)));
    a.insert("ac_staff_local".into(), json!(g.int(0, staff)));
    let (price, unit) = match service {
        "water" => (
            money(TARIFF_M3 / 1000.0 * 20.0 * g.uniform(3.0, 15.0)),
            "per_20l",
        ),
        "electricity" => (money(g.uniform(0.1, 0.3)), "per_kwh_or_token"),
        "transport" => (money(g.uniform(0.2, 0.8)), "per_trip"),
        "sanitation" => (money(g.uniform(0.03, 0.1)), "per_use"),
        _ => (money(g.uniform(0.5, 3.0)), "per_month_flat"),
    };
    let mut op = json!({
        "op_service": service,
        "op_customers": if informal { g.int(20, 400) } else { g.int(500, 5000) },
        "op_unit_price": price,
        "op_price_unit": unit,
        "op_hours_day": g.int(6, 24),
        "op_days_week": g.int(5, 7),
        "op_propoor": [g.pick(&["small_quantities", "credit", "none"])],
    });
    if service == "water" {
        op["op_official_tariff"] = json!(money(TARIFF_M3 / 1000.0 * 20.0).max(0.01));
    }
    if informal || t == "private_operator_formal" {
        op["op_input_cost"] = json!(money(price * 0.5));
    }
    a.insert("op".into(), json!([op]));
    a.insert(
        "ac_problems".into(),
        json!([g.pick(&[
            "supply_interruptions",
            "harassment_by_officials",
            "bribe_demands",
            "no_legal_status",
            "competition"
        ])]),
    );
    let bribe = informal && g.p(0.33) || !informal && g.p(0.05);
    a.insert(
        "ac_bribe_12m".into(),
        json!(if bribe {
            "yes"
        } else if g.p(0.05) {
            "refused"
        } else {
            "no"
        }),
    );
    a.insert(
        "ac_prices_posted".into(),
        json!(if informal { "no" } else { "yes" }),
    );
    a.insert("ac_complaints".into(), json!(g.pick(&["yes", "no"])));
    let edge = match t {
        "informal_provider" if service == "water" => "buys_from",
        "informal_provider" | "household_reseller" => {
            g.pick(&["buys_from", "competes_with", "sells_to"])
        }
        "cbo_community_group" => "coordinates_with",
        "ngo" => "funded_by",
        _ => "licensed_regulated_by",
    };
    let rels: Vec<Value> = (0..g.int(1, 3))
        .map(|_| json!({"rel_actor": g.pick(&["utility", "kiosk association", "ward office", "recycler"]), "rel_type": edge, "rel_strength": g.int(1, 3)}))
        .collect();
    a.insert("rel".into(), Value::Array(rels));
    Value::Object(a)
}

/// One municipal stakeholder's answers (F4). One sequence of draws, as `household`.
pub(crate) fn stakeholder(g: &mut Gen, n: u32, today: Date) -> Value {
    let role = match n {
        1..=10 => "elected_councillor",
        11..=16 => "senior_official",
        17..=22 => "service_dept_officer",
        23..=26 => "utility_manager",
        27 | 28 => "planning_officer",
        _ => "regulator",
    };
    let councillor = role == "elected_councillor";
    let mut a = Map::new();
    a.insert("sh_id".into(), json!(format!("M{n:03}")));
    a.insert("sh_date".into(), json!(date_before(g, today, 60)));
    stamp(&mut a, "sh_date", n, 20 + (n * 11) % 30, "sh_enum");
    a.insert("sh_consent".into(), json!("yes"));
    a.insert("sh_role".into(), json!(role));
    if !councillor {
        a.insert(
            "sh_dept".into(),
            json!(g.pick(&[
                "water",
                "sanitation",
                "planning_land",
                "finance",
                "community_development"
            ])),
        );
    }
    a.insert("sh_sex".into(), json!(g.pick(&["female", "male", "male"])));
    a.insert("sh_years".into(), json!(g.int(1, 25)));
    let objectives: &[(&str, f64)] = if councillor {
        &[
            ("political", 0.30),
            ("social", 0.25),
            ("physical", 0.15),
            ("economic", 0.10),
            ("financial", 0.10),
            ("institutional", 0.10),
        ]
    } else {
        &[
            ("political", 0.05),
            ("social", 0.15),
            ("physical", 0.20),
            ("economic", 0.20),
            ("financial", 0.30),
            ("institutional", 0.10),
        ]
    };
    a.insert("obj_rank".into(), json!(g.plackett_luce(objectives)));
    a.insert("obj_targets".into(), json!(g.pick(&["yes", "no", "dk"])));
    let lift = if councillor { 0.0 } else { 0.5 };
    for k in [
        "gov_participation",
        "gov_planning",
        "gov_finance",
        "gov_accountability",
        "gov_collaborative",
    ] {
        let score = (2.5 + lift + 0.7 * g.normal()).round().clamp(1.0, 5.0) as i64;
        a.insert(k.into(), json!(score));
    }
    a.insert("cons_held_dk".into(), json!("no"));
    let held = g.poisson(6.0);
    a.insert("cons_held_12m".into(), json!(held));
    a.insert(
        "cons_informal".into(),
        json!(((held as f64) * 0.3).round() as i64),
    );
    a.insert(
        "tariffs_published".into(),
        json!(g.pick(&["yes", "no", "dk"])),
    );
    a.insert(
        "audit_published".into(),
        json!(g.pick(&["yes", "no", "dk"])),
    );
    a.insert(
        "complaints_system".into(),
        json!(g.pick(&["paper_register", "phone_line", "multiple", "none"])),
    );
    a.insert("propoor_budget_pct".into(), json!(g.int(0, 15)));
    a.insert(
        "pov_links".into(),
        json!(g.some(
            &[
                "community_mobilisation",
                "demand_led_initiatives",
                "service_gradation",
                "land_tenure_resolution"
            ],
            0.4
        )),
    );
    a.insert("pov_assessment".into(), json!(g.pick(&["yes", "no", "dk"])));
    let named: Vec<&str> = SITES
        .iter()
        .filter(|s| s.kind == Kind::C && g.p(0.6) || s.kind == Kind::B && g.p(0.15))
        .map(|s| s.code)
        .collect();
    if !named.is_empty() {
        a.insert(
            "marginal_why".into(),
            json!([g.pick(&[
                "no_legal_status",
                "land_disputed",
                "high_cost",
                "landlord_resistance"
            ])]),
        );
    }
    a.insert("marginal_settl".into(), json!(named));
    a.insert(
        "tenure_policy".into(),
        json!(g.pick(&["yes_with_conditions", "no", "dk"])),
    );
    a.insert(
        "priorities_consulted".into(),
        json!(g.pick(&["yes", "partly", "no"])),
    );
    a.insert(
        "reform_sequence".into(),
        json!(g.pick(&["yes", "no", "dk"])),
    );
    a.insert(
        "lessons_documented".into(),
        json!(g.pick(&["yes", "no", "dk"])),
    );
    // Officials see affordability and under-rate tenure and exploitation (R16's gap).
    a.insert(
        "perceived_poor_rank".into(),
        json!(g.plackett_luce(&[
            ("affordability", 0.40),
            ("employment", 0.20),
            ("accessibility", 0.20),
            ("lack_of_choice", 0.10),
            ("tenure_security", 0.05),
            ("exploitation", 0.05),
        ])),
    );
    a.insert(
        "capacity_gaps".into(),
        json!([g.pick(&[
            "ppp_design",
            "contract_management",
            "community_liaison",
            "poverty_data"
        ])]),
    );
    let partnerships: &[Value] = &[
        json!({"pp_service": "solid_waste", "pp_partner_type": "private_operator_formal", "pp_contract": "service_contract", "pp_start": 2019, "pp_informal_cov": "some", "pp_clauses": ["coverage_targets_informal"], "pp_perf": 3}),
        json!({"pp_service": "water", "pp_partner_type": "cbo_community_group", "pp_contract": "small_operator_licence", "pp_start": 2021, "pp_informal_cov": "most", "pp_clauses": ["standpipe_kiosk_obligation", "social_or_lifeline_tariff"], "pp_perf": 4}),
        json!({"pp_service": "sanitation", "pp_partner_type": "cbo_community_group", "pp_contract": "community_contract", "pp_start": 2022, "pp_informal_cov": "some", "pp_clauses": ["community_liaison_unit"], "pp_perf": 3}),
        json!({"pp_service": "electricity", "pp_partner_type": "private_operator_formal", "pp_contract": "concession", "pp_start": 2015, "pp_informal_cov": "none", "pp_clauses": ["none"], "pp_perf": 2}),
    ];
    let pp: Vec<Value> = match n {
        11..=14 => vec![partnerships[n as usize - 11].clone()],
        _ => vec![],
    };
    a.insert("pp".into(), Value::Array(pp));
    Value::Object(a)
}
