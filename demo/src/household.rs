//! F1 household interviews: the roster, income, dwelling, water, sanitation, services,
//! willingness to pay, tenure, participation, gender and the ranked concerns.

use baraza_schema::Date;
use serde_json::{Map, Value, json};

use crate::draws::{CONCERNS, Gen, money, params, phi};
use crate::{Kind, Site, TARIFF_M3, date_before, stamp};

pub(crate) struct Member {
    pub(crate) rel: &'static str,
    pub(crate) sex: &'static str,
    pub(crate) age: i64,
}

/// The household roster: a head, a spouse in 70 % of male-headed and 15 % of female-headed
/// households, and others with the age structure of §5.3.
pub(crate) fn roster(g: &mut Gen, size: i64, female_head: bool) -> Vec<Member> {
    let head_sex = if female_head { "female" } else { "male" };
    let head_age = 18 + (g.normal().abs() * 14.0) as i64 + g.int(2, 8);
    let mut members = vec![Member {
        rel: "head",
        sex: head_sex,
        age: head_age.min(85),
    }];
    if size > 1 && g.p(if female_head { 0.15 } else { 0.70 }) {
        members.push(Member {
            rel: "spouse",
            sex: if female_head { "male" } else { "female" },
            age: (head_age + g.int(-6, 4)).clamp(18, 85),
        });
    }
    while (members.len() as i64) < size {
        let band = g.index(&[14., 24., 20., 38., 4.], None);
        let age = match band {
            0 => g.int(0, 4),
            1 => g.int(5, 14),
            2 => g.int(15, 24),
            3 => g.int(25, 59),
            _ => g.int(60, 85),
        };
        let rel = match band {
            0..=2 if age < head_age - 14 => "child",
            4 => "parent",
            _ => g.pick(&["other_relative", "sibling", "unrelated"]),
        };
        members.push(Member {
            rel,
            sex: g.pick(&["female", "male"]),
            age,
        });
    }
    members
}

/// One member's answers; returns them with (in work?, in a service job?).
pub(crate) fn member_answers(g: &mut Gen, m: &Member, label: usize) -> (Value, bool) {
    let mut a = Map::new();
    a.insert("m_label".into(), json!(format!("P{label}")));
    a.insert("m_rel".into(), json!(m.rel));
    a.insert("m_sex".into(), json!(m.sex));
    a.insert("m_age".into(), json!(m.age));
    let mut disabled = false;
    if m.age >= 5 {
        a.insert(
            "m_edu".into(),
            json!(g.pick(&[
                "none",
                "primary_incomplete",
                "primary",
                "lower_secondary",
                "upper_secondary",
                "post_secondary"
            ])),
        );
        disabled = g.p(if m.age >= 60 { 0.25 } else { 0.03 });
        let hit = g.int(0, 5) as usize;
        for (k, item) in baraza_schema::derive::WG_ITEMS.iter().enumerate() {
            let level = if disabled && k == hit {
                if g.p(0.1) {
                    "cannot_do_at_all"
                } else {
                    "a_lot_of_difficulty"
                }
            } else if g.p(0.08) {
                "some_difficulty"
            } else {
                "no_difficulty"
            };
            a.insert((*item).into(), json!(level));
        }
        a.insert(
            "m_wg_proxy".into(),
            json!(if g.p(0.85) { "yes" } else { "no" }),
        );
    }
    let mut service_job = false;
    if m.age >= 15 {
        let employ = if m.sex == "male" { 0.70 } else { 0.48 } * if disabled { 0.6 } else { 1.0 };
        let activity = if m.age <= 24 && g.p(0.35) {
            "student"
        } else if g.p(employ) {
            g.weighted(&[
                ("wage_employee", 25.),
                ("casual_daily", 30.),
                ("self_employed", 38.),
                ("unpaid_family", 7.),
            ])
        } else if m.age >= 60 {
            "retired_or_unable"
        } else if g.p(0.35) {
            "unemployed_seeking"
        } else {
            "home_duties"
        };
        a.insert("m_activity".into(), json!(activity));
        let working = matches!(
            activity,
            "wage_employee" | "casual_daily" | "self_employed" | "unpaid_family"
        );
        if working {
            a.insert(
                "m_contract".into(),
                json!(if g.p(0.6) { "no" } else { "yes" }),
            );
            a.insert(
                "m_biz_reg".into(),
                json!(if g.p(0.85) { "no" } else { "yes" }),
            );
            service_job = g.p(0.05);
            let work = if service_job {
                g.pick(&[
                    "water_vending_kiosk",
                    "waste_collection_picking",
                    "pit_emptying_sanitation",
                    "informal_electricity",
                    "transport_driving",
                ])
            } else {
                "none"
            };
            a.insert("m_service_work".into(), json!([work]));
            let sector = if service_job {
                "water_sanitation_waste"
            } else {
                g.pick(&[
                    "trade_vending",
                    "manufacturing_crafts",
                    "construction",
                    "transport",
                    "domestic_work",
                    "hospitality_food",
                    "services_repair",
                ])
            };
            a.insert("m_sector".into(), json!(sector));
            a.insert("m_months_worked".into(), json!(g.int(3, 12)));
        }
    }
    (Value::Object(a), service_job)
}

/// A household's service row: provider, payments and experiences (§5.3–§5.4).
pub(crate) struct Row {
    pub(crate) code: &'static str,
    pub(crate) level: Option<&'static str>,
    pub(crate) has: Option<bool>,
    pub(crate) provider: &'static str,
    pub(crate) landlord: bool,
    pub(crate) cost: Option<f64>,
    pub(crate) unit: Option<(f64, &'static str)>,
}

/// One household's answers. One long function on purpose: it is a single sequence of draws
/// whose order fixes every generated value (and so every figure the tests and the benchmark
/// check), and its sections share some twenty facts about the household (income, roster,
/// source, tenure, …); split, they would travel through a struct with no rule of its own.
#[allow(clippy::too_many_lines)]
pub(crate) fn household(g: &mut Gen, site: &Site, i: u32, today: Date) -> Value {
    let p = params(site.kind);
    let mut a = Map::new();
    let num = &site.code[1..];
    a.insert("settlement".into(), json!(site.code));
    a.insert("hh_id".into(), json!(format!("S{num}-{i:04}")));
    a.insert("interview_date".into(), json!(date_before(g, today, 60)));
    a.insert(
        "enumerator_id".into(),
        json!(format!(
            "E{:02}",
            (i % 4) + 1 + 4 * (site.code[1..].parse::<u32>().unwrap_or(0) % 5)
        )),
    );
    stamp(&mut a, "interview_date", i, 25 + (i * 13) % 45, "");
    if g.p(0.97) {
        a.insert(
            "gps".into(),
            json!({"lat": -1.28 + g.uniform(-0.05, 0.05), "lon": 36.82 + g.uniform(-0.05, 0.05), "accuracy": money(g.uniform(3.0, 19.0))}),
        );
    }
    if g.p(0.01) {
        a.insert("consent".into(), json!("no"));
        return Value::Object(a);
    }
    a.insert("consent".into(), json!("yes"));

    // Who lives here, and what they earn.
    let female_head = g.p(p.female_head);
    let size = (1 + g.poisson(p.hh_mean - 1.0)).clamp(1, 12);
    let people = roster(g, size, female_head);
    // Income on a standard-normal scale; female-headed households earn about 22 % less.
    let mut z = g.normal();
    if female_head {
        z += 0.78f64.ln() / p.income_sigma;
    }
    let poorest = z < -0.84;
    let tenure_i = g.index(&p.tenure, None);
    let tenure = [
        "owner_titled",
        "owner_other_document",
        "owner_no_document",
        "tenant_written",
        "tenant_verbal",
        "rent_free_with_permission",
        "occupying_without_permission",
        "other",
    ][tenure_i];
    let tenant = tenure.starts_with("tenant");
    let respondent = if g.p(0.55) || people.len() == 1 {
        0
    } else {
        people.iter().position(|m| m.rel == "spouse").unwrap_or(0)
    };
    let resp = &people[respondent];
    a.insert("resp_sex".into(), json!(resp.sex));
    a.insert("resp_age".into(), json!(resp.age.max(18)));
    a.insert(
        "resp_is_head".into(),
        json!(if respondent == 0 { "yes" } else { "no" }),
    );
    if respondent != 0 {
        a.insert("resp_rel".into(), json!(resp.rel));
    }
    let female_resp = resp.sex == "female";
    a.insert("hh_size".into(), json!(people.len()));
    let mut members = Vec::new();
    let mut service_job = false;
    let mut workers = 0;
    for (k, m) in people.iter().enumerate() {
        let (answers, job) = member_answers(g, m, k + 1);
        service_job |= job;
        workers += i32::from(answers.get("m_sector").is_some());
        members.push(answers);
    }
    a.insert("member".into(), Value::Array(members));
    let mut income = p.income_median * (p.income_sigma * z).exp();
    if workers == 0 {
        income *= 0.6;
    }
    let zero_income = g.p(0.01);
    if zero_income {
        income = 0.0;
    }
    let income = money(income.min(14_000.0));
    let sources = if zero_income {
        vec!["none"]
    } else {
        let mut s = vec![g.pick(&[
            "wage_salary",
            "casual_labour",
            "own_business",
            "street_vending",
            "transport_services",
            "domestic_work",
        ])];
        for extra in g.some(
            &["remittances", "rent_income", "pension_social_transfer"],
            0.12,
        ) {
            s.push(extra);
        }
        s
    };
    if sources.len() > 1 {
        a.insert("inc_main".into(), json!(sources[0]));
    }
    a.insert("inc_sources".into(), json!(sources));
    if !zero_income && g.p(0.07) {
        a.insert("inc_month_dk".into(), json!("yes"));
        let band = match income {
            x if x < 75.0 => "band1",
            x if x < 150.0 => "band2",
            x if x < 300.0 => "band3",
            x if x < 600.0 => "band4",
            _ => "band5",
        };
        a.insert("inc_band".into(), json!(band));
    } else {
        a.insert("inc_month_dk".into(), json!("no"));
        a.insert("inc_month".into(), json!(income));
    }
    let spending = if zero_income {
        money(g.uniform(20.0, 60.0))
    } else {
        money(income * g.uniform(0.85, 1.15))
    };
    a.insert("exp_month".into(), json!(spending));
    a.insert(
        "savings_group".into(),
        json!(if g.p(0.3) { "yes" } else { "no" }),
    );
    a.insert(
        "credit_access".into(),
        json!(g.pick(&["yes", "no", "no", "dk"])),
    );
    let mut assets = g.some(
        &["mobile_phone", "radio", "television", "fan", "bicycle"],
        0.45,
    );
    if z > 0.5 {
        assets.extend(g.some(
            &["smartphone", "refrigerator", "gas_or_electric_stove"],
            0.6,
        ));
    }
    if assets.is_empty() {
        assets.push("none");
    }
    a.insert("assets".into(), json!(assets));
    let rooms = match site.kind {
        Kind::A => g.int(1, 4),
        Kind::B | Kind::C => g.int(1, 2),
        Kind::D => 1 + i64::from(g.p(0.2)),
    };
    a.insert("rooms_sleep".into(), json!(rooms));
    let durable_home = match site.kind {
        Kind::A | Kind::D => 0.9,
        Kind::B => 0.45,
        Kind::C => 0.2,
    };
    let (wall, roof) = if g.p(durable_home) {
        (
            g.pick(&["concrete_brick_block", "cement_plaster", "stone"]),
            g.pick(&["iron_sheet", "concrete", "tiles"]),
        )
    } else {
        (
            g.pick(&[
                "iron_sheet",
                "mud_wattle",
                "wood_planks",
                "cardboard_plastic",
            ]),
            g.pick(&["iron_sheet", "thatch", "plastic_cardboard"]),
        )
    };
    a.insert("wall".into(), json!(wall));
    a.insert("roof".into(), json!(roof));
    let hazard_p = match site.kind {
        Kind::A => 0.1,
        Kind::B => 0.3,
        Kind::C => 0.5,
        Kind::D => 0.15,
    };
    let hazards = if g.p(hazard_p) {
        vec![g.pick(&[
            "flood_prone",
            "riverbank",
            "steep_slope",
            "railway_road_reserve",
            "dumpsite_industrial",
        ])]
    } else {
        vec!["none"]
    };
    a.insert("hazard".into(), json!(hazards));
    let flood_fire = if site.kind == Kind::C { 0.3 } else { 0.2 };
    let mut shocks = g.some(
        &[
            "illness_injury_death",
            "job_or_income_loss",
            "food_price_rise",
        ],
        0.25,
    );
    if g.p(flood_fire) {
        shocks.push(g.pick(&["flood", "fire"]));
    }
    if shocks.is_empty() {
        a.insert("shocks".into(), json!(["none"]));
    } else {
        if shocks.len() > 1 {
            a.insert("shock_worst".into(), json!(shocks[0]));
        }
        a.insert("shocks".into(), json!(shocks));
        let mut coping = g.some(
            &[
                "borrowed",
                "reduced_meals",
                "reduced_water_use",
                "help_relatives_neighbours",
                "extra_work",
            ],
            0.35,
        );
        if coping.is_empty() {
            coping.push("nothing");
        }
        a.insert("coping".into(), json!(coping));
    }

    // Water: the source follows the type's distribution, shifted towards piped supply by
    // income (a latent normal correlated with income, §5.4 rule 1).
    let latent = 0.5 * z + 0.75f64.sqrt() * g.normal();
    let source_i = g.index(&p.water, Some(1.0 - phi(latent)));
    let source = match source_i {
        0 => "piped_dwelling",
        1 => "piped_yard",
        2 => "piped_neighbour",
        3 => {
            if g.p(0.5) {
                "public_tap"
            } else {
                "water_kiosk"
            }
        }
        4 => {
            if g.p(0.6) {
                "tubewell"
            } else {
                "protected_well"
            }
        }
        5 => {
            if g.p(0.5) {
                "packaged"
            } else {
                "sachet"
            }
        }
        6 => "tanker",
        7 => "cart_small_tank",
        8 => "unprotected_well",
        _ => "surface_water",
    };
    a.insert("w_source".into(), json!(source));
    if matches!(source, "packaged" | "sachet") {
        a.insert("w_other_use".into(), json!("public_tap"));
    }
    let delivered = matches!(source, "tanker" | "cart_small_tank") && g.p(0.6)
        || matches!(source, "packaged" | "sachet");
    let on_premises = matches!(source, "piped_dwelling" | "piped_yard") || delivered;
    if !matches!(source, "piped_dwelling" | "piped_yard") {
        a.insert(
            "w_location".into(),
            json!(if delivered {
                "in_dwelling"
            } else {
                "elsewhere"
            }),
        );
    }
    if !on_premises {
        let dk = g.p(0.03);
        a.insert("w_time_dk".into(), json!(if dk { "yes" } else { "no" }));
        if !dk {
            let t = p.trip_median * (p.trip_sigma * g.normal()).exp();
            a.insert("w_time_min".into(), json!((t.round() as i64).clamp(1, 600)));
        }
        let collector = g.weighted(&[
            ("adult_woman", 68.),
            ("girl_under_15", 7.),
            ("adult_man", 20.),
            ("boy_under_15", 5.),
        ]);
        a.insert("w_collector".into(), json!(collector));
        a.insert("w_trips_day".into(), json!(g.int(1, 6)));
    }
    let short_p = match site.kind {
        Kind::A => 0.2,
        Kind::B | Kind::D => 0.35,
        Kind::C => 0.5,
    };
    a.insert(
        "w_insufficient".into(),
        json!(if g.p(short_p) { "yes" } else { "no" }),
    );
    if source.starts_with("piped") || source == "public_tap" {
        let full = g.p(p.full_day);
        let hours = if full {
            24.0
        } else {
            (p.hours_median * (0.5 * g.normal()).exp())
                .round()
                .clamp(1.0, 23.0)
        };
        a.insert("w_hours_day".into(), json!(hours));
        a.insert(
            "w_days_week".into(),
            json!(if full { 7 } else { g.int(3, 7) }),
        );
    }
    if g.p(0.2) {
        let other = if source == "tanker" {
            "cart_small_tank"
        } else {
            "tanker"
        };
        a.insert("w_secondary".into(), json!([other]));
    }
    a.insert("w_treat".into(), json!(g.pick(&["yes", "no", "no"])));

    // Sanitation.
    let san_i = g.index(&p.sanitation, None);
    let facility = match san_i {
        0 => "flush_sewer",
        1 => "flush_septic",
        2 => "flush_open_drain",
        3 => g.pick(&["vip", "pit_slab"]),
        4 => "pit_no_slab",
        5 => g.pick(&["bucket", "hanging"]),
        _ => g.pick(&["no_facility", "plastic_bag"]),
    };
    a.insert("s_facility".into(), json!(facility));
    let no_toilet = matches!(facility, "no_facility" | "plastic_bag");
    let improved = matches!(
        facility,
        "flush_sewer" | "flush_septic" | "vip" | "pit_slab"
    );
    let shared = !no_toilet && g.p(if improved { p.shared } else { 0.5 });
    let public = shared && matches!(site.kind, Kind::B | Kind::C) && g.p(0.2);
    let mut toilet_away = false;
    if !no_toilet {
        a.insert("s_shared".into(), json!(if shared { "yes" } else { "no" }));
        let location = if shared {
            if site.kind == Kind::D && g.p(0.5) {
                "in_yard"
            } else {
                "elsewhere"
            }
        } else {
            g.pick(&["in_dwelling", "in_yard"])
        };
        toilet_away = location == "elsewhere";
        a.insert("s_location".into(), json!(location));
        if shared {
            a.insert("s_public".into(), json!(if public { "yes" } else { "no" }));
            if public {
                a.insert("s_cost_use".into(), json!(money(g.uniform(0.03, 0.1))));
            } else {
                a.insert("s_shared_n".into(), json!(g.int(2, 30)));
            }
        }
        if matches!(
            facility,
            "flush_septic" | "vip" | "pit_slab" | "pit_no_slab"
        ) {
            a.insert(
                "s_emptied".into(),
                json!(g.weighted(&[
                    ("never_emptied", 30.),
                    ("emptied_by_service_to_treatment", 20.),
                    ("emptied_by_service_dk_where", 15.),
                    ("emptied_informal_dumped", 25.),
                    ("emptied_by_hh_buried_covered", 5.),
                    ("dk", 5.),
                ])),
            );
        }
        if toilet_away || shared {
            let unsafe_p = if shared { 0.38 } else { 0.2 };
            a.insert(
                "s_night_safe".into(),
                json!(if g.p(unsafe_p) { "no" } else { "yes" }),
            );
        }
    }
    a.insert(
        "hw_obs".into(),
        json!(g.pick(&["water_and_soap", "water_only", "neither", "water_and_soap"])),
    );

    // Services: one row each, in the form's preset order.
    let day_income = income.max(30.0) / 30.0;
    let lpcd = |g: &mut Gen| match source_i {
        0 => g.uniform(70.0, 110.0),
        1 => g.uniform(40.0, 70.0),
        5..=7 => g.uniform(10.0, 20.0),
        _ => g.uniform(15.0, 30.0),
    };
    let multiple = |g: &mut Gen| -> f64 {
        match source {
            "piped_dwelling" | "piped_yard" => 1.0,
            "piped_neighbour" => g.uniform(2.0, 5.0),
            "public_tap" | "water_kiosk" => g.uniform(3.0, 6.0),
            "tanker" => g.uniform(5.0, 15.0),
            "cart_small_tank" => g.uniform(8.0, 20.0),
            "packaged" | "sachet" => g.uniform(50.0, 200.0),
            _ => 0.0,
        }
    };
    let mut water = Row {
        code: "water",
        level: None,
        has: None,
        provider: "self",
        landlord: false,
        cost: None,
        unit: None,
    };
    let landlord_tap = site.kind == Kind::D && source == "piped_yard" && g.p(0.9);
    water.provider = match source {
        "piped_dwelling" | "piped_yard" if landlord_tap => "other_households",
        "piped_dwelling" | "piped_yard" | "public_tap" => "municipal",
        "water_kiosk" if g.p(p.municipal_kiosk) => "municipal",
        "water_kiosk" | "cart_small_tank" => "informal_provider",
        "piped_neighbour" => "other_households",
        "tanker" | "packaged" | "sachet" => "private_operator",
        "tubewell" | "protected_well" if g.p(0.5) => "ngo_cbo",
        _ => "self",
    };
    water.landlord = landlord_tap || (source == "piped_neighbour" && tenant && g.p(0.5));
    let m = multiple(g);
    if m > 0.0 && water.provider != "self" {
        let litres = lpcd(g) * people.len() as f64 * 30.0;
        let mut per_litre = m * TARIFF_M3 / 1000.0;
        if landlord_tap {
            per_litre *= g.uniform(2.0, 5.0);
        }
        // A utility connection also pays a fixed monthly charge.
        let fixed = if water.provider == "municipal" && source.starts_with("piped") {
            1.5
        } else {
            0.0
        };
        let cost = money((per_litre * litres + fixed).clamp(0.5, 1500.0));
        water.cost = Some(cost);
        water.unit = Some(
            if source.starts_with("piped_d") || (source == "piped_yard" && !landlord_tap) {
                (money(per_litre * 1000.0).max(0.01), "per_m3")
            } else {
                (money(per_litre * 20.0).max(0.01), "per_20l")
            },
        );
    }
    let mut sanitation = Row {
        code: "sanitation",
        level: None,
        has: None,
        provider: if no_toilet {
            "none"
        } else if public {
            g.pick(&["ngo_cbo", "municipal", "private_operator"])
        } else if shared {
            "other_households"
        } else if facility == "flush_sewer" {
            "municipal"
        } else {
            "self"
        },
        landlord: false,
        cost: None,
        unit: None,
    };
    sanitation.landlord = sanitation.provider == "other_households" && tenant;
    if public {
        let per_use = money(day_income * g.uniform(0.005, 0.01)).max(0.01);
        let uses = g.uniform(2.0, 4.0) * people.len() as f64 * 30.0;
        sanitation.cost = Some(money((per_use * uses).clamp(0.5, 1500.0)));
        sanitation.unit = Some((per_use, "per_use"));
    } else if sanitation.provider == "municipal" {
        sanitation.cost = Some(money((income * 0.01).clamp(0.5, 1500.0)));
    }
    let waste_i = g.index(&p.waste, None);
    let waste_level = [
        "sw_door_formal",
        "sw_door_informal",
        "sw_communal",
        "sw_burn_bury",
        "sw_dump_open",
    ][waste_i];
    let waste = Row {
        code: "solid_waste",
        level: Some(waste_level),
        has: Some(waste_i < 4),
        provider: match waste_i {
            0 => g.pick(&["municipal", "private_operator"]),
            1 => "informal_provider",
            2 => "municipal",
            _ => "self",
        },
        landlord: false,
        cost: match waste_i {
            0 if g.p(0.5) => Some(money((income * 0.01).clamp(0.5, 1500.0))),
            1 => Some(money((income * g.uniform(0.007, 0.013)).clamp(0.5, 1500.0))),
            _ => None,
        },
        unit: None,
    };
    let el_i = g.index(&p.electricity, None);
    let el_level = [
        "el_grid_own",
        "el_grid_shared",
        "el_informal",
        "el_solar_home",
        "el_lantern",
        "el_none",
    ][el_i];
    let el_provider = match el_i {
        0 => g.pick(&["private_operator", "municipal"]),
        1 => "other_households",
        2 => "informal_provider",
        _ => "self",
    };
    let el_cost = (el_i < 3).then(|| money((income * g.uniform(0.03, 0.08)).clamp(0.5, 1500.0)));
    let electricity = Row {
        code: "electricity",
        level: Some(el_level),
        has: Some(el_i < 4),
        provider: el_provider,
        landlord: el_i == 1 && tenant && g.p(0.7),
        cost: el_cost,
        unit: el_cost.map(|_| (money(g.uniform(0.1, 0.3)), "per_kwh_or_token")),
    };
    let dr_i = g.index(&p.drainage, None);
    let drainage = Row {
        code: "drainage",
        level: Some(["dr_covered", "dr_open_lined", "dr_unlined", "dr_none"][dr_i]),
        has: Some(dr_i < 2),
        provider: "municipal",
        landlord: false,
        cost: None,
        unit: None,
    };
    let tr_i = g.index(&p.transport, None);
    let tr_cost = (tr_i < 3).then(|| money((income * g.uniform(0.05, 0.15)).clamp(0.5, 1500.0)));
    let transport = Row {
        code: "transport",
        level: Some(["tr_formal_500", "tr_para_500", "tr_over_500", "tr_none"][tr_i]),
        has: Some(tr_i < 3),
        provider: match tr_i {
            0 => g.pick(&["municipal", "private_operator"]),
            _ => "informal_provider",
        },
        landlord: false,
        cost: tr_cost,
        unit: tr_cost.map(|_| (money(g.uniform(0.2, 0.8)), "per_trip")),
    };
    let rows = [water, sanitation, waste, electricity, drainage, transport];

    // Experiences with providers: a household is asked for a bribe (or overcharged) at most
    // once across its non-self providers; vendors and tankers overcharge more (§5.4 rule 2).
    let status_penalty = matches!(site.status, "unrecognised" | "under_eviction_notice");
    let served: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.has != Some(false) && !matches!(r.provider, "self" | "none"))
        .map(|(k, _)| k)
        .collect();
    let paying: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.has != Some(false) && r.cost.is_some())
        .map(|(k, _)| k)
        .collect();
    let bribe_row = (!served.is_empty() && g.p(p.bribe))
        .then(|| served[g.int(0, served.len() as i64 - 1) as usize]);
    let vendor = matches!(source, "cart_small_tank" | "tanker");
    let over_p = if vendor {
        p.overcharged * 1.5
    } else {
        p.overcharged
    };
    let over_row = (!paying.is_empty() && g.p(over_p))
        .then(|| paying[g.int(0, paying.len() as i64 - 1) as usize]);
    let harass_p = p.harass * if female_resp { 1.2 } else { 0.85 } * if shared { 1.2 } else { 1.0 };
    let harass_row = (!served.is_empty() && g.p(harass_p))
        .then(|| served[g.int(0, served.len() as i64 - 1) as usize]);
    let refuses = g.p(0.05);
    let answer = |hit: bool| {
        if hit {
            "yes"
        } else if refuses {
            "refused"
        } else {
            "no"
        }
    };
    let mut svc = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        let mut s = Map::new();
        s.insert("sv_code".into(), json!(r.code));
        if let Some(level) = r.level {
            s.insert(
                "sv_has".into(),
                json!(if r.has == Some(true) { "yes" } else { "no" }),
            );
            s.insert("sv_level".into(), json!(level));
        }
        let alt_mean = match (r.code, site.kind) {
            ("water", Kind::C) => 1.0,
            ("water", _) => 2.5,
            ("electricity" | "sanitation", _) => 0.3,
            _ => 1.0,
        };
        let alternatives = g.poisson(alt_mean).min(20);
        s.insert("sv_alternatives".into(), json!(alternatives));
        if alternatives > 0 {
            s.insert(
                "sv_would_switch".into(),
                json!(g.pick(&["yes", "no", "dk"])),
            );
        }
        if r.has != Some(false) {
            s.insert("sv_provider".into(), json!(r.provider));
            if r.provider == "other_households" {
                s.insert(
                    "sv_landlord".into(),
                    json!(if r.landlord { "yes" } else { "no" }),
                );
            }
            if matches!(r.provider, "municipal" | "private_operator") {
                s.insert(
                    "sv_connect_fee".into(),
                    json!(if g.p(0.6) {
                        0.0
                    } else {
                        money(income.max(50.0) * g.uniform(1.0, 4.0))
                    }),
                );
            }
            if r.provider != "none" {
                s.insert(
                    "sv_pays".into(),
                    json!(if r.cost.is_some() { "yes" } else { "no" }),
                );
                if let Some(cost) = r.cost {
                    s.insert("sv_cost_month".into(), json!(cost));
                    s.insert("sv_overcharged".into(), json!(answer(over_row == Some(k))));
                }
                if let Some((price, unit)) = r.unit {
                    s.insert("sv_unit_price".into(), json!(price));
                    s.insert("sv_price_unit".into(), json!(unit));
                }
                let only = match site.kind {
                    Kind::C | Kind::D => 0.5,
                    _ => 0.3,
                } + if vendor && r.code == "water" {
                    0.2
                } else {
                    0.0
                };
                let reason = if r.landlord && g.p(0.7) {
                    "landlord_requires"
                } else if alternatives == 0 || g.p(only) {
                    "only_option"
                } else {
                    g.pick(&[
                        "cheapest",
                        "closest",
                        "most_reliable",
                        "credit_allowed",
                        "social_ties",
                    ])
                };
                s.insert("sv_choice_reason".into(), json!(reason));
                s.insert(
                    "sv_satisfaction".into(),
                    json!(g.pick(&[
                        "very_satisfied",
                        "satisfied",
                        "neutral",
                        "dissatisfied",
                        "very_dissatisfied"
                    ])),
                );
                s.insert("sv_harass".into(), json!(answer(harass_row == Some(k))));
                if r.provider != "self" {
                    s.insert("sv_down_days".into(), json!(g.int(0, 8)));
                    let asked = bribe_row == Some(k);
                    s.insert("sv_bribe_asked".into(), json!(answer(asked)));
                    if asked {
                        s.insert(
                            "sv_bribe_paid".into(),
                            json!(g.pick(&["yes", "no", "refused"])),
                        );
                    }
                    let complained = g.p(0.1);
                    s.insert(
                        "sv_complained".into(),
                        json!(if complained { "yes" } else { "no" }),
                    );
                    if complained {
                        s.insert(
                            "sv_complaint_to".into(),
                            json!(g.pick(&[
                                "municipal_office",
                                "utility",
                                "councillor",
                                "local_leader_chief",
                                "provider_directly"
                            ])),
                        );
                        s.insert(
                            "sv_resolved".into(),
                            json!(g.pick(&["fully", "partly", "not_resolved", "pending"])),
                        );
                    }
                }
                if matches!(
                    r.provider,
                    "municipal" | "private_operator" | "other_households"
                ) {
                    s.insert(
                        "sv_cutoff_threat".into(),
                        json!(if g.p(0.08) { "yes" } else { "no" }),
                    );
                }
            }
        }
        if r.code == "electricity" && r.has == Some(true) {
            s.insert("sv_hours_day".into(), json!(g.int(4, 24)));
        }
        if matches!(r.code, "solid_waste" | "transport") || (r.code == "sanitation" && toilet_away)
        {
            let far = r.code == "transport" && tr_i >= 2;
            s.insert(
                "sv_dist_m".into(),
                json!(if far {
                    g.int(500, 2000)
                } else {
                    g.int(20, 480)
                }),
            );
        }
        svc.push(Value::Object(s));
    }
    a.insert("svc".into(), Value::Array(svc));

    // Willingness to pay, for households without a piped connection on the plot.
    if !matches!(source, "piped_dwelling" | "piped_yard") {
        let bid = g.int(1, 5);
        let multiple = [0.5, 0.75, 1.0, 1.5, 2.0][bid as usize - 1];
        let accept_p = 0.8 - (multiple - 0.5) * 0.37 - if tenant { 0.15 } else { 0.0 };
        let accept = g.p(accept_p);
        a.insert("wtp_bid_id".into(), json!(bid));
        a.insert(
            "wtp_accept".into(),
            json!(if accept { "yes" } else { "no" }),
        );
        a.insert("wtp_followup".into(), json!(g.pick(&["yes", "no"])));
        if !accept {
            let reason = if tenant && g.p(0.5) {
                "landlord_decides"
            } else {
                g.pick(&[
                    "cannot_afford_fee",
                    "cannot_afford_monthly",
                    "current_source_ok",
                    "tenure_insecure",
                ])
            };
            a.insert("wtp_no_reason".into(), json!(reason));
        }
        if tenant {
            a.insert("wtp_landlord_perm".into(), json!("yes"));
        }
    }

    // Tenure.
    a.insert("tenure".into(), json!(tenure));
    if tenant {
        let share = (0.22 * (0.25 * g.normal()).exp()).clamp(0.15, 0.35);
        a.insert("rent_month".into(), json!(money((income * share).max(5.0))));
    }
    let docs: Vec<&str> = if g.p(0.05) {
        vec!["dk"]
    } else {
        match tenure {
            "owner_titled" => vec!["title_deed"],
            "owner_other_document" => vec![g.pick(&[
                "allotment_letter",
                "sale_agreement_receipt",
                "occupancy_licence",
            ])],
            "tenant_written" => vec!["rental_agreement"],
            _ => vec!["none"],
        }
    };
    if !matches!(docs[0], "none" | "dk") {
        let name = if tenant {
            "landlord"
        } else if female_head || g.p(0.15) {
            g.pick(&["head", "spouse", "respondent"])
        } else {
            "head"
        };
        a.insert("tenure_doc_name".into(), json!([name]));
    }
    a.insert("tenure_docs".into(), json!(docs));
    a.insert(
        "tenure_years".into(),
        json!(g.int(0, resp.age.clamp(18, 30))),
    );
    let mut insecure_p = p.insecure + if status_penalty { 0.10 } else { 0.0 };
    insecure_p += match tenure {
        "occupying_without_permission" => 0.15,
        "owner_titled" => -0.05,
        _ => 0.0,
    };
    if tenure == "owner_no_document" {
        insecure_p = insecure_p.max(0.4);
    }
    let fear = if g.p(0.03) {
        g.pick(&["dk", "refused"])
    } else if g.p(insecure_p) {
        g.pick(&["very_likely", "somewhat_likely"])
    } else {
        g.pick(&["somewhat_unlikely", "very_unlikely"])
    };
    a.insert("tenure_fear".into(), json!(fear));
    if matches!(fear, "very_likely" | "somewhat_likely") {
        let why = if tenant {
            g.pick(&["landlord_asks_to_leave", "cannot_pay_rent"])
        } else {
            g.pick(&[
                "government_eviction",
                "redevelopment_upgrading",
                "disaster",
                "family_dispute",
            ])
        };
        a.insert("tenure_fear_why".into(), json!([why]));
    }
    let evict = if g.p(p.evicted) {
        if g.p(0.8) {
            "notice_or_threat"
        } else {
            "evicted_elsewhere_before"
        }
    } else {
        "none"
    };
    a.insert("evict_5y".into(), json!(evict));
    a.insert(
        "demolitions_area".into(),
        json!(g.pick(&["yes", "no", "no", "dk"])),
    );

    // Participation and marginalisation; no ID, a foreign-born head and a minority language
    // go together (§5.4 rule 9).
    let women_gap = if female_resp { 0.05 } else { 0.0 };
    let aware = g.p(p.aware - women_gap - if status_penalty { 0.04 } else { 0.0 });
    a.insert("cons_aware".into(), json!(if aware { "yes" } else { "no" }));
    if aware {
        let attended = g.p((p.attended - women_gap / 2.0) / p.aware);
        if attended {
            a.insert("cons_attend".into(), json!(["respondent"]));
            a.insert(
                "cons_spoke".into(),
                json!(if g.p(0.5) { "yes" } else { "no" }),
            );
        } else {
            a.insert("cons_attend".into(), json!(["none"]));
        }
    }
    a.insert(
        "cons_influence".into(),
        json!(g.pick(&[
            "strongly_agree",
            "agree",
            "neutral",
            "disagree",
            "strongly_disagree"
        ])),
    );
    let groups = if g.p(p.group) {
        vec![g.pick(&[
            "residents_association",
            "savings_credit_group",
            "womens_group",
            "youth_group",
            "religious_group",
        ])]
    } else {
        vec!["none"]
    };
    a.insert("cbo_member".into(), json!(groups));
    a.insert(
        "first_contact".into(),
        json!(g.pick(&[
            "local_leader_chief",
            "councillor",
            "municipal_office",
            "utility",
            "none"
        ])),
    );
    let outsider = g.p(p.foreign * 1.5);
    let no_id = g.p(p.no_id * if outsider { 2.5 } else { 0.9 }
        + if tenure == "occupying_without_permission" {
            0.05
        } else {
            0.0
        });
    a.insert(
        "id_doc".into(),
        json!(if g.p(0.02) {
            "refused"
        } else if no_id {
            "no"
        } else {
            "yes"
        }),
    );
    a.insert(
        "voter_reg".into(),
        json!(if no_id || g.p(0.15) { "no" } else { "yes" }),
    );
    let origin = if outsider && g.p(0.6) {
        "other_country"
    } else {
        g.pick(&[
            "this_city",
            "other_urban",
            "rural_same_country",
            "rural_same_country",
        ])
    };
    a.insert("hh_origin".into(), json!(origin));
    a.insert(
        "minority_lang".into(),
        json!(if outsider && g.p(0.6) || g.p(0.05) {
            "yes"
        } else {
            "no"
        }),
    );
    let discrim_p = if outsider { 0.25 } else { 0.09 };
    let discrim = if g.p(0.03) {
        vec!["refused"]
    } else if g.p(discrim_p) {
        vec![if outsider {
            g.pick(&["migrant_origin", "ethnicity_caste_tribe"])
        } else {
            g.pick(&["tenant", "gender", "age", "political_affiliation"])
        }]
    } else {
        vec!["none"]
    };
    a.insert("discrim".into(), json!(discrim));

    // Gender.
    a.insert(
        "dec_services".into(),
        json!(g.pick(&["adult_woman", "adult_man", "jointly"])),
    );
    a.insert(
        "avoid_dark".into(),
        json!(if (shared || toilet_away) && g.p(0.35) {
            "yes"
        } else {
            "no"
        }),
    );
    let women_time = if on_premises {
        g.uniform(0.0, 0.5)
    } else {
        g.uniform(0.5, 3.0)
    };
    a.insert(
        "women_time".into(),
        json!((women_time * 10.0).round() / 10.0),
    );

    // Concerns: Plackett–Luce with the type's worths and the individual modifiers (§5.3).
    let mut worths: Vec<(&str, f64)> = CONCERNS.iter().copied().zip(p.concerns).collect();
    for (item, w) in &mut worths {
        let mut f = 1.0;
        if female_resp {
            f *= match *item {
                "accessibility" => 1.3,
                "exploitation" => 1.2,
                "employment" => 0.9,
                _ => 1.0,
            };
        }
        let type_c_owner = site.kind == Kind::C
            && matches!(tenure, "owner_no_document" | "occupying_without_permission");
        if *item == "tenure_security" && type_c_owner {
            f *= 1.5;
        } else if tenant && site.kind != Kind::C {
            f *= match *item {
                "tenure_security" => 1.3,
                "exploitation" => 1.2,
                _ => 1.0,
            };
        }
        if poorest && *item == "affordability" {
            f *= 1.3;
        }
        if service_job && *item == "employment" {
            f *= 1.4;
        }
        *w *= f;
    }
    a.insert("concern_rank".into(), json!(g.plackett_luce(&worths)));
    let services = [
        ("water", 3.0),
        ("sanitation", 2.0),
        ("drainage", 1.5),
        ("solid_waste", 1.0),
        ("electricity", 1.0),
        ("transport", 0.8),
    ];
    a.insert("service_rank".into(), json!(g.plackett_luce(&services)));
    Value::Object(a)
}
