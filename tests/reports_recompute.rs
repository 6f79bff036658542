//! Every report on the demo city equals a deliberately simple recomputation from the raw
//! answers — a loop over households with their design weights, no cells, no SQL, no
//! incremental sums — after rejections, supervisors' corrections and conflicting revisions
//! changed what counts. The server's figures come from its incremental aggregates.

use std::collections::BTreeMap;

use baraza_schema::{Date, wire};
use baraza_server::demo::{self, SAMPLE_PER_SETTLEMENT, SITES};
use serde_json::{Value, json};

use crate::reports_api::get_json;
use crate::support::{ADMIN_PASSWORD, Server};

fn today() -> Date {
    Date::parse("2026-11-28").expect("a date")
}

/// Weighted sums per item: shares, means and value lists for medians.
#[derive(Default)]
struct Expect {
    shares: BTreeMap<String, (f64, f64, u64, u64)>,
    /// Person-weighted shares (R4): Σ w·size and Σ w·size·y.
    persons: BTreeMap<String, (f64, f64)>,
    means: BTreeMap<String, (f64, f64, u64)>,
    values: BTreeMap<String, Vec<(f64, f64)>>,
    /// Items whose unit is a focus group or a stakeholder: shown however small.
    groups: std::collections::BTreeSet<String>,
    /// Means published per 10,000 households of the frame.
    rates: BTreeMap<String, (f64, f64)>,
}

impl Expect {
    fn share(&mut self, item: impl Into<String>, w: f64, y: Option<bool>) {
        if let Some(y) = y {
            let e = self.shares.entry(item.into()).or_default();
            e.0 += w;
            e.2 += 1;
            if y {
                e.1 += w;
                e.3 += 1;
            }
        }
    }

    /// A share counted in units (adults): n counts units, each with the household's weight.
    fn share_units(&mut self, item: &str, units: u64, w: f64, y: Option<bool>) {
        if let (Some(y), true) = (y, units > 0) {
            let e = self.shares.entry(item.to_owned()).or_default();
            e.0 += w * units as f64;
            e.2 += units;
            if y {
                e.1 += w * units as f64;
                e.3 += units;
            }
        }
    }

    fn category(&mut self, var: &str, all: &[&str], w: f64, v: Option<&str>) {
        if let Some(v) = v {
            for c in all {
                self.share(format!("{var}={c}"), w, Some(*c == v));
            }
        }
    }

    fn mean(&mut self, item: impl Into<String>, w: f64, x: Option<f64>) {
        if let Some(x) = x {
            let e = self.means.entry(item.into()).or_default();
            e.0 += w;
            e.1 += w * x;
            e.2 += 1;
        }
    }

    fn value(&mut self, item: impl Into<String>, w: f64, x: Option<f64>) {
        if let Some(x) = x {
            self.values.entry(item.into()).or_default().push((x, w));
        }
    }
}

fn text<'a>(a: &'a Value, k: &str) -> Option<&'a str> {
    a.get(k).and_then(Value::as_str)
}

fn f(a: &Value, k: &str) -> Option<f64> {
    a.get(k).and_then(Value::as_f64)
}

fn list<'a>(a: &'a Value, k: &str) -> Option<Vec<&'a str>> {
    a.get(k)
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
}

fn arr<'a>(a: &'a Value, k: &str) -> Vec<&'a Value> {
    a.get(k)
        .and_then(Value::as_array)
        .map(|v| v.iter().collect())
        .unwrap_or_default()
}

/// Borda points of a (possibly partial) ranking over `items`: k − position for the ranked,
/// and what is left shared equally among the unranked (DOMAIN.md §4.1).
fn borda<'a>(ranking: &[&str], items: &[&'a str]) -> Vec<(&'a str, f64)> {
    let k = items.len();
    let ranked: Vec<&str> = ranking
        .iter()
        .copied()
        .filter(|r| items.contains(r))
        .collect();
    let left = (ranked.len() + 1..=k).map(|r| (k - r) as f64).sum::<f64>()
        / (k - ranked.len()).max(1) as f64;
    items
        .iter()
        .map(|i| {
            let p = ranked
                .iter()
                .position(|r| r == i)
                .map_or(left, |r| (k - 1 - r) as f64);
            (*i, p)
        })
        .collect()
}

/// The weighted median and quartiles, straight from the definition.
fn quantiles(values: &[(f64, f64)]) -> [f64; 3] {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    [0.5, 0.25, 0.75].map(|q| {
        let mut acc = 0.0;
        for (x, w) in &v {
            acc += w;
            if acc >= q * total - total * 1e-12 {
                return *x;
            }
        }
        f64::NAN
    })
}

/// The concern list of F1 and F2, in the forms' order.
const CONCERNS: [&str; 6] = [
    "lack_of_choice",
    "affordability",
    "accessibility",
    "exploitation",
    "tenure_security",
    "employment",
];

const PROVIDERS: [&str; 8] = [
    "municipal",
    "private_operator",
    "informal_provider",
    "ngo_cbo",
    "other_households",
    "self",
    "none",
    "dk",
];

/// Does the household use this service, and from whom?
fn provider(row: &Value) -> Option<&str> {
    let code = text(row, "sv_code")?;
    if matches!(code, "water" | "sanitation") || text(row, "sv_has") == Some("yes") {
        text(row, "sv_provider")
    } else {
        text(row, "sv_has").map(|_| "none")
    }
}

fn paid_cost(row: &Value) -> Option<f64> {
    (text(row, "sv_pays") == Some("yes"))
        .then(|| f(row, "sv_cost_month"))
        .flatten()
}

fn share_of(cost: Option<f64>, income: Option<f64>) -> Option<f64> {
    match (cost, income) {
        (Some(c), Some(i)) if i > 0.0 => Some((c / i).min(1.0)),
        _ => None,
    }
}

/// The household reports' expectations, at city level (`all`).
fn expect_households(
    counted: &[(&Value, f64)],
    form: &baraza_schema::Form,
    tariff: f64,
) -> BTreeMap<&'static str, Expect> {
    let mut r: BTreeMap<&'static str, Expect> = BTreeMap::new();
    for &(a, w) in counted {
        let h = baraza_schema::derive::household(form, a).expect("a household");
        let rows = arr(a, "svc");
        let row = |code: &str| {
            rows.iter()
                .copied()
                .find(|r| text(r, "sv_code") == Some(code))
        };
        // An income known only by its band stands at the band's midpoint (the form's
        // band_min and band_max columns: 0–75–150–300–600–1200).
        let from_band = text(a, "inc_month_dk").map(|dk| dk == "yes");
        let income = if from_band == Some(true) {
            match text(a, "inc_band") {
                Some("band1") => Some(37.5),
                Some("band2") => Some(112.5),
                Some("band3") => Some(225.0),
                Some("band4") => Some(450.0),
                Some("band5") => Some(900.0),
                _ => None,
            }
        } else {
            f(a, "inc_month")
        };

        // R1: Borda points 5 … 0 by position; unranked items share what is left.
        let e = r.entry("R1").or_default();
        let ranking = list(a, "concern_rank").unwrap_or_default();
        let concerns = CONCERNS;
        let left: Vec<&str> = concerns
            .iter()
            .copied()
            .filter(|c| !ranking.contains(c))
            .collect();
        let spare =
            (ranking.len()..6).map(|r| (5 - r) as f64).sum::<f64>() / left.len().max(1) as f64;
        for c in concerns {
            let points = ranking
                .iter()
                .position(|x| *x == c)
                .map_or(spare, |r| (5 - r) as f64);
            e.mean(format!("{c}:borda"), w, Some(100.0 * points / 5.0));
            e.share(format!("{c}:first"), w, Some(ranking.first() == Some(&c)));
            e.share(
                format!("{c}:top3"),
                w,
                Some(ranking.iter().take(3).any(|x| *x == c)),
            );
        }

        let e = r.entry("R4").or_default();
        let size = f(a, "hh_size").unwrap_or(0.0);
        let rung = |x: Value| x.as_str().map(str::to_owned);
        let mut ladders: Vec<(&str, Option<String>)> = vec![
            ("water", h.water.and_then(|x| rung(json!(x)))),
            ("sanitation", h.sanitation.and_then(|x| rung(json!(x)))),
        ];
        for row in &rows {
            if let (Some(code), Some(level)) = (text(row, "sv_code"), text(row, "sv_level")) {
                ladders.push((code, Some(level.to_owned())));
            }
        }
        for (service, got) in ladders {
            let Some(got) = got else { continue };
            let all = baraza_schema::reports::LADDERS
                .iter()
                .find(|l| l.0 == service)
                .expect("a ladder")
                .1;
            for r in all {
                let item = format!("{service}:{r}");
                let yes = *r == got;
                e.share(item.clone(), w, Some(yes));
                let p = e.persons.entry(item).or_default();
                p.0 += w * size;
                if yes {
                    p.1 += w * size;
                }
            }
        }

        let e = r.entry("R5").or_default();
        for row in &rows {
            e.category(
                text(row, "sv_code").expect("a code"),
                &PROVIDERS,
                w,
                provider(row),
            );
        }

        let e = r.entry("R6").or_default();
        e.share("zero_income", w, income.map(|i| i == 0.0));
        e.share("income_from_band_midpoint", w, income.and(from_band));
        if let Some(water) = row("water") {
            let share = share_of(paid_cost(water), income);
            let of_spending = share_of(paid_cost(water), f(a, "exp_month"));
            if let Some(p) = text(water, "sv_provider") {
                e.value(format!("water_share:{p}"), w, share.map(|x| 100.0 * x));
                e.value(
                    format!("water_share_of_spending:{p}"),
                    w,
                    of_spending.map(|x| 100.0 * x),
                );
                let price = match (f(water, "sv_unit_price"), text(water, "sv_price_unit")) {
                    (Some(p), Some("per_20l")) => Some(p),
                    (Some(p), Some("per_m3")) => Some(p * 0.02),
                    _ => None,
                };
                e.value(format!("price_20l:{p}"), w, price);
                e.value(format!("price_ratio:{p}"), w, price.map(|x| x / tariff));
            }
            e.share("water_share_over_3pc", w, share.map(|x| x > 0.03));
            let san = share_of(row("sanitation").and_then(paid_cost), income);
            if share.is_some() || san.is_some() {
                e.share(
                    "water_sanitation_share_over_5pc",
                    w,
                    Some(share.unwrap_or(0.0) + san.unwrap_or(0.0) > 0.05),
                );
            }
        }
        for row in rows.iter().filter(|r| text(r, "sv_code") != Some("water")) {
            if let Some(p) = text(row, "sv_provider") {
                let code = text(row, "sv_code").expect("a code");
                let share = share_of(paid_cost(row), income);
                e.value(format!("{code}_share:{p}"), w, share.map(|x| 100.0 * x));
            }
        }
        if income.is_some_and(|i| i > 0.0) {
            let burden: Vec<f64> = rows
                .iter()
                .filter_map(|r| share_of(paid_cost(r), income))
                .collect();
            if !burden.is_empty() {
                let total: f64 = burden.iter().sum();
                e.value("service_burden", w, Some(100.0 * total.min(1.0)));
            }
        }

        let e = r.entry("R7").or_default();
        let off = match text(a, "w_source") {
            Some("piped_dwelling" | "piped_yard") => Some(false),
            Some(_) => text(a, "w_location").map(|l| l == "elsewhere"),
            None => None,
        };
        e.share("water_off_premises", w, off);
        if off == Some(true) {
            e.value("round_trip_minutes", w, f(a, "w_time_min"));
            e.share(
                "round_trip_over_30_min",
                w,
                f(a, "w_time_min").map(|m| m > 30.0),
            );
        }
        if let Some(hours) = f(a, "w_hours_day") {
            e.value("supply_hours_per_day", w, Some(hours));
            e.share("supply_24_hours", w, Some(hours >= 24.0));
        }
        for row in &rows {
            let code = text(row, "sv_code").expect("a code");
            e.value(format!("days_down:{code}"), w, f(row, "sv_down_days"));
            if matches!(code, "solid_waste" | "transport") {
                e.value(format!("distance_m:{code}"), w, f(row, "sv_dist_m"));
            }
        }

        let served: Vec<&Value> = rows
            .iter()
            .copied()
            .filter(|r| provider(r).is_some_and(|p| !matches!(p, "self" | "none" | "dk")))
            .collect();
        let e = r.entry("R8").or_default();
        for item in [
            "overcharged",
            "bribe_asked",
            "bribe_paid",
            "harass",
            "cutoff_threat",
        ] {
            let key = format!("sv_{item}");
            let mut any = Vec::new();
            for row in &served {
                // Not asked for a bribe: none paid; would not say whether asked: nor paid.
                let v = if item == "bribe_paid" {
                    match text(row, "sv_bribe_asked") {
                        Some("yes") => text(row, "sv_bribe_paid"),
                        Some("no") => Some("no"),
                        other => other,
                    }
                } else {
                    text(row, &key)
                };
                if let Some(v) = v {
                    let code = text(row, "sv_code").expect("a code");
                    let p = text(row, "sv_provider").expect("a provider");
                    e.share(format!("{item}:{code}"), w, Some(v == "yes"));
                    e.share(format!("{item}:{code}:refused"), w, Some(v == "refused"));
                    e.share(format!("{item}@{p}"), w, Some(v == "yes"));
                    e.share(format!("{item}:{code}@{p}"), w, Some(v == "yes"));
                    any.push(v);
                }
            }
            if !any.is_empty() {
                e.share(format!("{item}:any"), w, Some(any.contains(&"yes")));
                e.share(
                    format!("{item}:any:refused"),
                    w,
                    Some(any.contains(&"refused")),
                );
            }
        }

        let e = r.entry("R9").or_default();
        e.category(
            "tenure",
            &[
                "owner_titled",
                "owner_other_document",
                "owner_no_document",
                "tenant_written",
                "tenant_verbal",
                "rent_free_with_permission",
                "occupying_without_permission",
                "other",
            ],
            w,
            text(a, "tenure"),
        );
        let docs = list(a, "tenure_docs");
        let documented = docs.as_ref().map(|d| {
            d.iter()
                .any(|x| ["title_deed", "lease_certificate", "allotment_letter"].contains(x))
        });
        e.share("legal_document", w, documented);
        e.share("documents_dk", w, docs.as_ref().map(|d| d.contains(&"dk")));
        let fear = text(a, "tenure_fear");
        e.category(
            "fear",
            &[
                "very_likely",
                "somewhat_likely",
                "somewhat_unlikely",
                "very_unlikely",
                "dk",
                "refused",
            ],
            w,
            fear,
        );
        let insecure = fear.map(|v| v == "very_likely" || v == "somewhat_likely");
        e.share("insecure", w, insecure);
        let adults = arr(a, "member")
            .iter()
            .filter(|m| f(m, "m_age").is_some_and(|x| x >= 18.0))
            .count() as u64;
        e.share_units("insecure_adults", adults, w, insecure);
        e.share_units("legal_document_adults", adults, w, documented);
        if insecure == Some(true) {
            let why = list(a, "tenure_fear_why").unwrap_or_default();
            for reason in [
                "government_eviction",
                "landlord_asks_to_leave",
                "cannot_pay_rent",
                "family_dispute",
                "disaster",
                "redevelopment_upgrading",
                "other",
            ] {
                e.share(
                    format!("insecure_because:{reason}"),
                    w,
                    Some(why.contains(&reason)),
                );
            }
        }
        let evict = text(a, "evict_5y");
        e.share(
            "evicted_or_threatened_5y",
            w,
            evict
                .filter(|v| *v != "dk" && *v != "refused")
                .map(|v| v == "notice_or_threat" || v == "evicted_from_here"),
        );
        e.share("evict_5y_refused", w, evict.map(|v| v == "refused"));
        if let (Some(d), Some(i)) = (documented, insecure) {
            let cat = format!(
                "{}_{}",
                if d { "documented" } else { "undocumented" },
                if i { "insecure" } else { "secure" }
            );
            e.category(
                "documented_x_secure",
                &[
                    "documented_secure",
                    "documented_insecure",
                    "undocumented_secure",
                    "undocumented_insecure",
                ],
                w,
                Some(&cat),
            );
        }

        let e = r.entry("R10").or_default();
        for m in arr(a, "member") {
            let Some(activity) = text(m, "m_activity") else {
                continue;
            };
            let working = [
                "wage_employee",
                "casual_daily",
                "self_employed",
                "unpaid_family",
            ]
            .contains(&activity);
            e.share("employment_ratio", w, Some(working));
            if working {
                let informal = text(m, "m_contract") == Some("no")
                    || text(m, "m_biz_reg") == Some("no")
                    || activity == "casual_daily"
                    || activity == "unpaid_family";
                e.share("informal_among_employed", w, Some(informal));
                let job = list(m, "m_service_work").is_some_and(|j| j.iter().any(|x| *x != "none"));
                e.share("service_provision_jobs", w, Some(job));
            }
            if working || activity == "unemployed_seeking" {
                e.share("unemployment_rate", w, Some(!working));
            }
        }
        if let (Some(i), Some(n)) = (income, f(a, "hh_size")) {
            e.value("income_per_capita", w, Some(i / n));
        }
        let sources = list(a, "inc_sources").unwrap_or_default();
        let main = text(a, "inc_main").or(if sources.len() == 1 {
            Some(sources[0])
        } else {
            None
        });
        e.category(
            "main_income",
            &[
                "wage_salary",
                "casual_labour",
                "own_business",
                "street_vending",
                "transport_services",
                "domestic_work",
                "waste_recovery",
                "water_vending",
                "rent_income",
                "remittances",
                "pension_social_transfer",
                "urban_agriculture",
                "other",
                "none",
            ],
            w,
            main,
        );
        if let Some(shocks) = list(a, "shocks") {
            let hit = !shocks.is_empty() && !shocks.contains(&"none");
            e.share("shock_12m", w, Some(hit));
            if hit {
                let coping = list(a, "coping").unwrap_or_default();
                for c in [
                    "borrowed",
                    "sold_assets",
                    "reduced_meals",
                    "reduced_water_use",
                    "child_withdrawn_school",
                    "moved",
                    "help_relatives_neighbours",
                    "savings_group",
                    "extra_work",
                    "nothing",
                ] {
                    e.share(format!("coping:{c}"), w, Some(coping.contains(&c)));
                }
            }
        }

        let e = r.entry("R11").or_default();
        for row in &rows {
            let code = text(row, "sv_code").expect("a code");
            let alt = f(row, "sv_alternatives");
            e.share(format!("no_alternative:{code}"), w, alt.map(|n| n == 0.0));
            e.mean(format!("alternatives:{code}"), w, alt);
            e.share(
                format!("only_option:{code}"),
                w,
                text(row, "sv_choice_reason").map(|v| v == "only_option"),
            );
            e.share(
                format!("would_switch:{code}"),
                w,
                text(row, "sv_would_switch").map(|v| v == "yes"),
            );
        }

        let e = r.entry("R12").or_default();
        let aware = text(a, "cons_aware").map(|v| v == "yes");
        let attended = list(a, "cons_attend").is_some_and(|c| c.iter().any(|x| *x != "none"));
        e.share("aware", w, aware);
        e.share("attended", w, aware.map(|_| attended));
        e.share(
            "spoke",
            w,
            aware.map(|_| attended && text(a, "cons_spoke") == Some("yes")),
        );
        e.share(
            "can_influence",
            w,
            text(a, "cons_influence").map(|v| v == "agree" || v == "strongly_agree"),
        );
        e.share(
            "group_member",
            w,
            list(a, "cbo_member").map(|c| c.iter().any(|x| *x != "none")),
        );
        for row in &served {
            let code = text(row, "sv_code").expect("a code");
            let complained = text(row, "sv_complained").map(|v| v == "yes");
            e.share(format!("complained:{code}"), w, complained);
            if complained == Some(true) {
                e.share(
                    format!("resolved:{code}"),
                    w,
                    text(row, "sv_resolved").map(|v| v == "fully"),
                );
            }
        }

        // R15: households served by each provider group, for any service.
        let e = r.entry("R15").or_default();
        let used: Vec<&str> = rows
            .iter()
            .filter_map(|row| match provider(row)? {
                "municipal" => Some("public"),
                "private_operator" => Some("private_formal"),
                "informal_provider" => Some("informal"),
                "ngo_cbo" => Some("ngo_cbo"),
                "other_households" => Some("households"),
                _ => None,
            })
            .collect();
        if !rows.is_empty() {
            for group in [
                "public",
                "private_formal",
                "informal",
                "ngo_cbo",
                "households",
            ] {
                e.share(format!("served_by:{group}"), w, Some(used.contains(&group)));
            }
        }

        // R16: the households' normalised Borda per concern (R1's score, as a mean).
        let ranking = list(a, "concern_rank").unwrap_or_default();
        if !ranking.is_empty() {
            let e = r.entry("R16").or_default();
            for (item, points) in borda(&ranking, &CONCERNS) {
                e.mean(format!("household:{item}"), w, Some(100.0 * points / 5.0));
            }
        }

        // R13: marginalisation (sensitive), straight from the answers.
        let e = r.entry("R13").or_default();
        let deprivations = [
            h.water.map(|x| {
                matches!(
                    x,
                    baraza_schema::derive::WaterRung::Unimproved
                        | baraza_schema::derive::WaterRung::SurfaceWater
                )
            }),
            h.sanitation.map(|x| {
                !matches!(
                    x,
                    baraza_schema::derive::SanitationRung::BasicPlus
                        | baraza_schema::derive::SanitationRung::Basic
                )
            }),
            h.crowded,
            h.durable.map(|d| !d),
            insecure,
        ]
        .iter()
        .filter(|d| **d == Some(true))
        .count();
        e.share("deprivations_1_or_more", w, Some(deprivations >= 1));
        e.share("deprivations_2_or_more", w, Some(deprivations >= 2));
        let known = |k: &str| text(a, k).filter(|v| *v != "dk" && *v != "refused");
        e.share("no_id_document", w, known("id_doc").map(|v| v == "no"));
        e.share(
            "id_document_refused",
            w,
            text(a, "id_doc").map(|v| v == "refused"),
        );
        e.share(
            "not_registered_to_vote",
            w,
            known("voter_reg").map(|v| v == "no"),
        );
        e.share(
            "voter_registration_refused",
            w,
            text(a, "voter_reg").map(|v| v == "refused"),
        );
        if let Some(grounds) = list(a, "discrim") {
            let refused = grounds.contains(&"refused");
            e.share("discrimination_refused", w, Some(refused));
            if !refused {
                e.share(
                    "discrimination",
                    w,
                    Some(grounds.iter().any(|g| *g != "none")),
                );
                for ground in [
                    "ethnicity_caste_tribe",
                    "religion",
                    "migrant_origin",
                    "gender",
                    "disability",
                    "tenant",
                    "age",
                    "political_affiliation",
                ] {
                    e.share(
                        format!("discriminated_for:{ground}"),
                        w,
                        Some(grounds.contains(&ground)),
                    );
                }
            }
        }
        e.share("insecure_tenure", w, insecure);
        let basic_water = h.water.map(|x| {
            matches!(
                x,
                baraza_schema::derive::WaterRung::BasicPlus
                    | baraza_schema::derive::WaterRung::Basic
            )
        });
        e.share("basic_water_not_met", w, basic_water.map(|b| !b));
        e.share(
            "minority_language",
            w,
            text(a, "minority_lang").map(|v| v == "yes"),
        );

        // R17: Washington Group prevalence among members aged 5+, households with a
        // disabled member, and services with and without one.
        let e = r.entry("R17").or_default();
        for m in arr(a, "member") {
            if f(m, "m_age").is_none_or(|age| age < 5.0) {
                continue;
            }
            let answers: Vec<&str> = [
                "m_wg_see",
                "m_wg_hear",
                "m_wg_walk",
                "m_wg_cog",
                "m_wg_self",
                "m_wg_comm",
            ]
            .iter()
            .filter_map(|k| text(m, k))
            .collect();
            if !answers.is_empty() {
                let disabled = answers
                    .iter()
                    .any(|v| *v == "a_lot_of_difficulty" || *v == "cannot_do_at_all");
                e.share("disability_prevalence", w, Some(disabled));
            }
        }
        e.share("households_with_disabled_member", w, h.disability);
        if let Some(d) = h.disability {
            let e = r.entry(if d { "R17d" } else { "R17n" }).or_default();
            e.share("basic_water", w, basic_water);
            e.share("water_off_premises", w, off);
            e.share("insecure_tenure", w, insecure);
        }

        // R18: acceptance per bid set and the bill offered there (the form's calculation:
        // the water paid last month, at least 10, times the bid set's multiple).
        if let (Some(bid), Some(accept)) = (f(a, "wtp_bid_id"), text(a, "wtp_accept")) {
            let e = r.entry("R18").or_default();
            let k = bid as usize;
            e.share(format!("accept:b{k}"), w, Some(accept == "yes"));
            e.share("accept_dk", w, Some(accept == "dk"));
            let paid = row("water")
                .filter(|r| text(r, "sv_pays") == Some("yes"))
                .and_then(|r| f(r, "sv_cost_month"))
                .unwrap_or(0.0);
            let bill = (paid.max(10.0) * [0.5, 0.75, 1.0, 1.5, 2.0][k - 1]).round();
            e.mean(format!("bill:b{k}"), w, Some(bill));
            if accept == "no" {
                let reason = text(a, "wtp_no_reason");
                e.category(
                    "refused_because",
                    &[
                        "cannot_afford_fee",
                        "cannot_afford_monthly",
                        "landlord_decides",
                        "tenure_insecure",
                        "current_source_ok",
                        "distrust_provider",
                        "other",
                    ],
                    w,
                    reason,
                );
                let kind = reason.map(|r| match r {
                    "cannot_afford_fee" | "cannot_afford_monthly" => "affordability",
                    "landlord_decides" | "tenure_insecure" => "landlord_or_tenure",
                    _ => "other",
                });
                e.category(
                    "refused_for",
                    &["affordability", "landlord_or_tenure", "other"],
                    w,
                    kind,
                );
            }
            e.share(
                "needs_landlord_permission",
                w,
                text(a, "wtp_landlord_perm").map(|v| v == "yes"),
            );
        }

        // R14 is checked by household head's sex: expectations per level.
        if let Some(fhh) = h.female_headed {
            let e = r.entry(if fhh { "R14f" } else { "R14m" }).or_default();
            e.share(
                "basic_water",
                w,
                h.water.map(|x| {
                    matches!(
                        x,
                        baraza_schema::derive::WaterRung::BasicPlus
                            | baraza_schema::derive::WaterRung::Basic
                    )
                }),
            );
            e.share("insecure_tenure", w, insecure);
            e.share("aware_of_consultation", w, aware);
        }
    }
    r
}

/// The focus-group reports' expectations: plain means over groups.
fn expect_focus_groups(groups: &[&Value]) -> BTreeMap<&'static str, Expect> {
    let mut r: BTreeMap<&'static str, Expect> = BTreeMap::new();
    let concerns = CONCERNS;
    for g in groups {
        let e = r.entry("R2").or_default();
        let size = f(g, "n_female").unwrap_or(0.0) + f(g, "n_male").unwrap_or(0.0);
        e.share("small_group", 1.0, Some(size < 5.0));
        let mut wins: BTreeMap<&str, f64> = BTreeMap::new();
        let mut beats: Vec<(&str, &str)> = Vec::new();
        for p in arr(g, "pw") {
            let (x, y) = (text(p, "pw_a").expect("a"), text(p, "pw_b").expect("b"));
            match text(p, "pw_winner") {
                Some("a") => {
                    *wins.entry(x).or_default() += 1.0;
                    beats.push((x, y));
                }
                Some("b") => {
                    *wins.entry(y).or_default() += 1.0;
                    beats.push((y, x));
                }
                _ => {
                    *wins.entry(x).or_default() += 0.5;
                    *wins.entry(y).or_default() += 0.5;
                }
            }
        }
        for c in concerns {
            e.mean(
                c,
                1.0,
                Some(100.0 * wins.get(c).copied().unwrap_or(0.0) / 5.0),
            );
        }
        let beat = |a: &str, b: &str| beats.contains(&(a, b));
        let mut triads = 0;
        for i in 0..6 {
            for j in i + 1..6 {
                for k in j + 1..6 {
                    let (a, b, c) = (concerns[i], concerns[j], concerns[k]);
                    if (beat(a, b) && beat(b, c) && beat(c, a))
                        || (beat(b, a) && beat(c, b) && beat(a, c))
                    {
                        triads += 1;
                    }
                }
            }
        }
        e.mean("circular_triads", 1.0, Some(f64::from(triads)));
        e.share("more_than_3_circular_triads", 1.0, Some(triads > 3));
        let e = r.entry("R3").or_default();
        for row in arr(g, "mx") {
            let service = text(row, "mx_service").expect("a service");
            let mut scores = Vec::new();
            for (key, name) in [
                ("mx_afford", "affordability"),
                ("mx_access", "access"),
                ("mx_reliab", "reliability"),
                ("mx_quality", "quality"),
                ("mx_choice", "choice"),
                ("mx_fair", "fair_treatment"),
            ] {
                if let Some(v) = f(row, key) {
                    e.mean(format!("{service}:{name}"), 1.0, Some(v));
                    scores.push(v);
                }
            }
            if let Some(imp) = f(row, "mx_importance") {
                let mean = scores.iter().sum::<f64>() / scores.len() as f64;
                e.mean(
                    format!("{service}:need_index"),
                    1.0,
                    Some((imp * (5.0 - mean)).clamp(0.0, 25.0)),
                );
            }
        }
    }
    r
}

/// What focus groups, actors and stakeholders add to the household reports R8 and R12: each
/// counts once, and actors and stakeholders only city-wide.
fn expect_other_forms(
    r: &mut BTreeMap<&'static str, Expect>,
    groups: &[&Value],
    actors: &[&Value],
    stakeholders: &[&Value],
    frame_households: f64,
) {
    let e = r.entry("R12").or_default();
    for g in groups.iter().filter(|g| g["fg_consent"] == "yes") {
        e.category(
            "community_consulted",
            &["yes", "no", "dk"],
            1.0,
            text(g, "fg_consulted"),
        );
    }
    for c in ["yes", "no", "dk"] {
        e.groups.insert(format!("community_consulted={c}"));
    }
    for a in stakeholders.iter().filter(|a| a["sh_consent"] == "yes") {
        let dk = text(a, "cons_held_dk");
        e.share(
            "stakeholder_does_not_know_consultations",
            1.0,
            dk.map(|v| v == "yes"),
        );
        if dk == Some("no") {
            for (key, item) in [
                ("cons_held_12m", "consultations_held"),
                ("cons_informal", "consultations_in_low_income_settlements"),
            ] {
                if let Some(x) = f(a, key) {
                    e.mean(item, 1.0, Some(x));
                    let rate = e
                        .rates
                        .entry(format!("{item}_per_10k_households"))
                        .or_default();
                    rate.0 += 1.0;
                    rate.1 += x * 10_000.0 / frame_households;
                }
            }
        }
    }
    for item in [
        "stakeholder_does_not_know_consultations",
        "consultations_held",
        "consultations_in_low_income_settlements",
    ] {
        e.groups.insert(item.to_owned());
    }
    // R15: actors by provider group (F3's types and F1's providers grouped alike), the
    // households they serve, their ties; the focus groups' Venn scores.
    let group_of = |code: &str| -> Option<&'static str> {
        Some(match code {
            "municipal" | "municipal_department" | "public_utility" => "public",
            "private_operator" | "private_operator_formal" => "private_formal",
            "informal_provider" => "informal",
            "ngo_cbo" | "ngo" | "cbo_community_group" => "ngo_cbo",
            "other_households" | "household_reseller" => "households",
            "other" => "other",
            _ => return None,
        })
    };
    let all_groups = [
        "public",
        "private_formal",
        "informal",
        "ngo_cbo",
        "households",
        "other",
    ];
    let e = r.entry("R15").or_default();
    for a in actors.iter().filter(|a| a["a_consent"] == "yes") {
        let Some(group) = text(a, "ac_type").and_then(group_of) else {
            continue;
        };
        e.category("actors", &all_groups, 1.0, Some(group));
        for code in list(a, "a_settlements").unwrap_or_default() {
            e.category(&format!("actors@{code}"), &all_groups, 1.0, Some(group));
        }
        let customers: Vec<f64> = arr(a, "op")
            .iter()
            .filter_map(|op| f(op, "op_customers"))
            .collect();
        if !customers.is_empty() {
            e.mean(
                format!("customers:{group}"),
                1.0,
                Some(customers.iter().sum()),
            );
        }
        for rel in arr(a, "rel") {
            if let Some(kind) = text(rel, "rel_type") {
                e.mean(format!("tie:{group}:{kind}"), 1.0, f(rel, "rel_strength"));
            }
        }
    }
    for g in groups.iter().filter(|g| g["fg_consent"] == "yes") {
        for actor in arr(g, "ac") {
            if let Some(group) = text(actor, "ac_type").and_then(group_of) {
                for (key, item) in [
                    ("ac_importance", "importance"),
                    ("ac_closeness", "closeness"),
                ] {
                    let item = format!("venn_{item}:{group}");
                    e.mean(item.clone(), 1.0, f(actor, key));
                    e.groups.insert(item);
                }
            }
        }
    }

    // R16: stakeholders' objectives (Borda, 0–100), governance self-scores, practices and
    // their view of the poor's ranking, by role group too; the focus groups' objectives.
    let e = r.entry("R16").or_default();
    let objectives = [
        "social",
        "economic",
        "financial",
        "physical",
        "political",
        "institutional",
    ];
    for a in stakeholders.iter().filter(|a| a["sh_consent"] == "yes") {
        for (item, points) in borda(&list(a, "obj_rank").unwrap_or_default(), &objectives) {
            e.mean(format!("objective:{item}"), 1.0, Some(100.0 * points / 5.0));
        }
        for area in [
            "participation",
            "planning",
            "finance",
            "accountability",
            "collaborative",
        ] {
            e.mean(
                format!("governance:gov_{area}"),
                1.0,
                f(a, &format!("gov_{area}")),
            );
        }
        for key in [
            "tariffs_published",
            "audit_published",
            "pov_assessment",
            "priorities_consulted",
            "reform_sequence",
            "lessons_documented",
        ] {
            e.share(
                format!("practice:{key}"),
                1.0,
                text(a, key).map(|v| v == "yes"),
            );
        }
        e.share(
            "practice:complaints_system",
            1.0,
            text(a, "complaints_system").map(|v| v != "none"),
        );
        let perceived = list(a, "perceived_poor_rank").unwrap_or_default();
        for (item, points) in borda(&perceived, &CONCERNS) {
            e.mean(
                format!("perceived_poor:{item}"),
                1.0,
                Some(100.0 * points / 5.0),
            );
        }
    }
    for g in groups.iter().filter(|g| g["fg_consent"] == "yes") {
        for key in ["go_obj1_cat", "go_obj2_cat"] {
            // Each objective is one count; its category's share is over all objectives.
            if let Some(cat) = text(g, key) {
                for c in objectives {
                    e.share(format!("community_objective={c}"), 1.0, Some(c == cat));
                }
            }
        }
    }
    let items: Vec<String> = e
        .means
        .keys()
        .chain(e.shares.keys())
        .filter(|k| !k.starts_with("household:"))
        .cloned()
        .collect();
    e.groups.extend(items);

    // R13: the share of stakeholders naming each settlement as least served or excluded.
    let e = r.entry("R13").or_default();
    for a in stakeholders.iter().filter(|a| a["sh_consent"] == "yes") {
        let named = list(a, "marginal_settl").unwrap_or_default();
        for site in SITES {
            let item = format!("officials_name_excluded:{}", site.code);
            e.share(item.clone(), 1.0, Some(named.contains(&site.code)));
            e.groups.insert(item);
        }
    }
    let e = r.entry("R8").or_default();
    for a in actors.iter().filter(|a| a["a_consent"] == "yes") {
        let Some(v) = text(a, "ac_bribe_12m") else {
            continue;
        };
        let yes = Some(v == "yes");
        e.share("operator_bribe_demanded", 1.0, yes);
        e.share("operator_bribe_demanded:refused", 1.0, Some(v == "refused"));
        e.share(
            format!(
                "operator_bribe_demanded@{}",
                text(a, "ac_type").expect("a type")
            ),
            1.0,
            yes,
        );
        for service in list(a, "ac_services").unwrap_or_default() {
            e.share(format!("operator_bribe_demanded:{service}"), 1.0, yes);
        }
    }
}

/// Checks a report's city-level cells against the expectations; returns how many figures
/// were compared.
fn check(report: &str, cells: &[Value], want: &Expect, sensitive: bool) -> usize {
    let mut compared = 0;
    for c in cells.iter().filter(|c| c["level"] == "all") {
        let item = c["item"].as_str().expect("an item");
        // DOMAIN.md §4.3's sensitive variables, wherever they appear.
        let sensitive = sensitive
            || ["bribe", "harass", "disab", "evict", "discriminat"]
                .iter()
                .any(|w| item.contains(w))
            || item.ends_with("_registration_refused")
            || item == "id_document_refused";
        let t = if sensitive { 10 } else { 5 };
        let got = c["estimate"].as_f64();
        let suppressed = c["suppressed"] == true;
        match c["measure"].as_str() {
            Some("share") => {
                let &(w, wy, n, ny) = want
                    .shares
                    .get(item)
                    .unwrap_or_else(|| panic!("{report} {item}: not recomputed"));
                let small = |k: u64| k > 0 && k < t;
                let group = want.groups.contains(item) || matches!(report, "R2" | "R3");
                let must_hide = !group && (n < 25 || small(ny) || (sensitive && small(n - ny)));
                if must_hide {
                    assert!(
                        suppressed,
                        "{report} {item}: n {n}, yes {ny} must be hidden"
                    );
                    continue;
                }
                if suppressed {
                    assert!(
                        !group && (item.contains('=') || report == "R4"),
                        "{report} {item}: hidden without cause (n {n}, yes {ny})"
                    );
                    continue;
                }
                let p = (100.0 * wy / w).round();
                let got = got.expect("an estimate");
                assert!((got - p).abs() <= 1.0, "{report} {item}: {got} ≠ {p}");
                assert_eq!(c["n"], n, "{report} {item}");
                if let (Some(lo), Some(hi)) = (c["low"].as_f64(), c["high"].as_f64()) {
                    assert!(
                        lo <= got && got <= hi,
                        "{report} {item}: {lo} … {got} … {hi}"
                    );
                }
                if let Some(persons) = c["persons"].as_f64() {
                    let (all, yes) = want.persons[item];
                    let p = (100.0 * yes / all).round();
                    assert!(
                        (persons - p).abs() <= 1.0,
                        "{report} {item} people: {persons} ≠ {p}"
                    );
                }
            }
            Some("mean") => {
                let &(w, wx, n) = want
                    .means
                    .get(item)
                    .unwrap_or_else(|| panic!("{report} {item}: not recomputed"));
                if suppressed {
                    assert!(n < 25, "{report} {item}: hidden with n {n}");
                    continue;
                }
                let m = wx / w;
                let got = got.expect("an estimate");
                assert!((got - m).abs() <= 0.051, "{report} {item}: {got} ≠ {m}");
                assert_eq!(c["n"], n, "{report} {item}");
                if want.groups.contains(item) || matches!(report, "R2" | "R3") {
                    assert!(c["low"].is_null(), "{report} {item}: groups are no sample");
                } else {
                    let (lo, hi) = (c["low"].as_f64(), c["high"].as_f64());
                    let (lo, hi) = (lo.expect("a low end"), hi.expect("a high end"));
                    assert!(
                        lo <= got && got <= hi,
                        "{report} {item}: {lo} … {got} … {hi}"
                    );
                }
            }
            Some("rate") => {
                let &(k, sum) = want
                    .rates
                    .get(item)
                    .unwrap_or_else(|| panic!("{report} {item}: not recomputed"));
                let got = got.expect("a rate");
                assert!(
                    (got - sum / k).abs() <= 0.051,
                    "{report} {item}: {got} ≠ {}",
                    sum / k
                );
            }
            Some("median") => {
                let values = want
                    .values
                    .get(item)
                    .unwrap_or_else(|| panic!("{report} {item}: not recomputed"));
                if suppressed {
                    assert!(values.len() < 25, "{report} {item}: hidden");
                    continue;
                }
                let [median, p25, p75] = quantiles(values);
                // The server keeps values in bins (0.5 pp, 1 minute, 10 m, 0.1 currency unit…).
                let step = if item.starts_with("distance") {
                    5.0
                } else {
                    0.51
                };
                for (name, got, want) in [
                    ("median", c["estimate"].as_f64(), median),
                    ("P25", c["low"].as_f64(), p25),
                    ("P75", c["high"].as_f64(), p75),
                ] {
                    let got = got.expect("a figure");
                    assert!(
                        (got - want).abs() <= step,
                        "{report} {item} {name}: {got} ≠ {want}"
                    );
                }
                assert_eq!(c["n"], values.len(), "{report} {item}");
                let got = c["estimate"].as_f64().expect("a median");
                let (lo, hi) = (c["ci_low"].as_f64(), c["ci_high"].as_f64());
                let (lo, hi) = (lo.expect("an interval"), hi.expect("an interval"));
                assert!(
                    lo <= got && got <= hi,
                    "{report} {item}: {lo} … {got} … {hi}"
                );
            }
            Some("borda") => {
                let &(w, wx, n) = &want.means[&format!("{item}:borda")];
                let pct = |k: &str| {
                    let (w, wy, _, _) = want.shares[&format!("{item}:{k}")];
                    (100.0 * wy / w).round()
                };
                assert_eq!(c["n"], n, "{report} {item}");
                let got = got.expect("a Borda score");
                let b = wx / w;
                assert!((got - b).abs() <= 0.051, "{report} {item}: {got} ≠ {b}");
                for (field, k) in [("first_share", "first"), ("top3_share", "top3")] {
                    let got = c[field].as_f64().expect("a share");
                    assert!(
                        (got - pct(k)).abs() <= 1.0,
                        "{report} {item} {k}: {got} ≠ {}",
                        pct(k)
                    );
                    compared += 1;
                }
            }
            Some("rho") => {
                // Spearman's ρ of the households' and the officials' scores, ties at their
                // mean rank.
                let score = |prefix: &str| -> Vec<f64> {
                    CONCERNS
                        .iter()
                        .map(|c| {
                            let (w, wx, _) = want.means[&format!("{prefix}:{c}")];
                            ((wx / w) * 10.0).round() / 10.0
                        })
                        .collect()
                };
                let ranks = |xs: &[f64]| -> Vec<f64> {
                    xs.iter()
                        .map(|x| {
                            let below = xs.iter().filter(|y| *y < x).count() as f64;
                            let same = xs.iter().filter(|y| *y == x).count() as f64;
                            below + (same + 1.0) / 2.0
                        })
                        .collect()
                };
                let (a, b) = (ranks(&score("household")), ranks(&score("perceived_poor")));
                let mean = 3.5;
                let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - mean) * (y - mean)).sum();
                let var = |v: &[f64]| v.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
                let rho = cov / (var(&a) * var(&b)).sqrt();
                let got = got.expect("a correlation");
                assert!((got - rho).abs() <= 0.006, "{report} {item}: {got} ≠ {rho}");
            }
            Some("bound") => {
                let &(_, bound, n) = &want.means[item];
                let got = got.expect("a bound");
                assert!(
                    (got - bound).abs() <= 0.051,
                    "{report} {item}: {got} ≠ {bound}"
                );
                assert_eq!(c["n"], n, "{report} {item}");
            }
            other => panic!("{report} {item}: unexpected measure {other:?}"),
        }
        compared += 1;
    }
    compared
}

#[test]
fn every_report_on_the_demo_city_equals_a_simple_recomputation_after_reviews_corrections_and_conflicts()
 {
    let s = Server::demo();
    let admin = s.admin();
    let supervisor = s.login("supervisor", ADMIN_PASSWORD);
    let planner = s.login("planner", ADMIN_PASSWORD);
    let forms = demo::forms().expect("the built-in forms");
    let f1 = &forms[0];
    let city = demo::city(7, &forms, today());
    let mut households: BTreeMap<String, Value> = city.households.into_iter().collect();
    let ids: Vec<String> = households.keys().cloned().collect();
    let head = |id: &str| -> String {
        get_json(&s, &supervisor, &format!("/responses/{id}"))["summary"]["head_rev"]
            .as_str()
            .expect("a head revision")
            .to_owned()
    };

    // 40 rejections: they stop counting.
    for id in ids.iter().step_by(60) {
        let res = s
            .http
            .post(s.url(&format!("/responses/{id}/review")))
            .bearer_auth(&supervisor)
            .json(&json!({"state": "rejected", "comment": "test"}))
            .send()
            .expect("review");
        assert_eq!(res.status(), 200);
        households.remove(id);
    }
    // 20 corrections: the corrected answers replace the interview's contribution.
    for id in ids.iter().skip(7).step_by(119).take(20) {
        let Some(a) = households.get(id).cloned() else {
            continue;
        };
        if a["consent"] != "yes" {
            continue;
        }
        let mut fixed = a.clone();
        fixed["tenure_fear"] = json!("very_likely");
        let mut ranking = a["concern_rank"].as_array().cloned().expect("a ranking");
        ranking.reverse();
        fixed["concern_rank"] = Value::Array(ranking);
        let fixed = baraza_schema::prune(f1, &fixed, today());
        let res = s
            .http
            .post(s.url(&format!("/responses/{id}/corrections")))
            .bearer_auth(&supervisor)
            .json(&json!({"base_rev": head(id), "answers": fixed}))
            .send()
            .expect("correct");
        assert!(res.status().is_success(), "{id}: {}", res.status());
        households.insert(id.clone(), fixed);
    }
    // 10 conflicts: two devices edit the same interview; the deterministic winner counts.
    let (device_id, token) = s.device(&admin, "second-phone");
    let mut items = Vec::new();
    let mut seq = 0;
    for id in ids.iter().skip(3).step_by(211).take(10) {
        let Some(a) = households.get(id).cloned() else {
            continue;
        };
        if a["consent"] != "yes" {
            continue;
        }
        let parent = head(id);
        let mut children = Vec::new();
        for fear in ["very_unlikely", "somewhat_likely"] {
            let mut child = a.clone();
            child["tenure_fear"] = json!(fear);
            let child = baraza_schema::prune(f1, &child, today());
            let payload = child.to_string();
            let (fid, ver) = (&f1.settings.form_id, &f1.settings.version);
            let rev = wire::rev(Some(&parent), fid, ver, payload.as_bytes());
            seq += 1;
            items.push(json!({"device_seq": seq, "response_id": id, "rev": rev, "parent_rev": parent,
                "form_id": fid, "form_version": ver, "content_hash": wire::content_hash(payload.as_bytes()),
                "payload": payload}));
            children.push((rev, child));
        }
        children.sort_by(|x, y| x.0.cmp(&y.0));
        households.insert(id.clone(), children.pop().expect("a winner").1);
    }
    let res: Value = s
        .http
        .post(s.url("/sync/push"))
        .bearer_auth(&token)
        .json(&json!({"device_id": device_id, "items": items}))
        .send()
        .expect("push")
        .json()
        .expect("json");
    let statuses: Vec<&str> = res["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert!(statuses.contains(&"conflict"), "{res}");

    // The recomputation: design weights from the frame and the households that count.
    let consenting: Vec<&Value> = households
        .values()
        .filter(|a| a["consent"] == "yes")
        .collect();
    let mut n_h: BTreeMap<&str, f64> = BTreeMap::new();
    for a in &consenting {
        *n_h.entry(text(a, "settlement").expect("a settlement"))
            .or_default() += 1.0;
    }
    let counted: Vec<(&Value, f64)> = consenting
        .iter()
        .map(|a| {
            let code = text(a, "settlement").expect("a settlement");
            let site = SITES.iter().find(|x| x.code == code).expect("in the frame");
            (*a, f64::from(site.households) / n_h[code])
        })
        .collect();
    assert!(
        n_h.values()
            .all(|n| *n < f64::from(SAMPLE_PER_SETTLEMENT) + 0.5)
    );
    // The official water tariff: the median of what F3 water actors report, per 20 litres.
    let mut tariffs: Vec<(f64, f64)> = city
        .actors
        .iter()
        .flat_map(|(_, a)| arr(a, "op"))
        .filter(|op| text(op, "op_service") == Some("water"))
        .filter_map(|op| match text(op, "op_price_unit") {
            Some("per_20l") => f(op, "op_official_tariff"),
            Some("per_m3") => f(op, "op_official_tariff").map(|t| t * 0.02),
            _ => None,
        })
        .map(|t| (t, 1.0))
        .collect();
    tariffs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let tariff = quantiles(&tariffs)[0];
    let settings = get_json(&s, &admin, "/settings/reports");
    assert_eq!(settings["utility_tariff_20l"], tariff, "{settings}");
    assert_eq!(settings["utility_tariff_n"], tariffs.len(), "{settings}");
    // Planners see a reference value only when it rests on 25 or more, like any quantile.
    let published = get_json(&s, &planner, "/settings/reports");
    if tariffs.len() < 25 {
        assert!(published["utility_tariff_20l"].is_null(), "{published}");
    } else {
        assert_eq!(published["utility_tariff_20l"], tariff, "{published}");
    }
    assert_eq!(
        published["income_quintile_cuts"], settings["income_quintile_cuts"],
        "thousands of households stand behind the quintiles"
    );
    let mut want = expect_households(&counted, f1, tariff);
    let groups: Vec<&Value> = city.focus_groups.iter().map(|(_, a)| a).collect();
    want.extend(expect_focus_groups(&groups));
    let actors: Vec<&Value> = city.actors.iter().map(|(_, a)| a).collect();
    let stakeholders: Vec<&Value> = city.stakeholders.iter().map(|(_, a)| a).collect();
    let frame: f64 = SITES.iter().map(|s| f64::from(s.households)).sum();
    expect_other_forms(&mut want, &groups, &actors, &stakeholders, frame);
    // R18's Turnbull lower bound: bids in order of their mean bill, acceptance made
    // non-increasing by pooling neighbours that rise, each drop valued at its bid.
    let r18 = want.get_mut("R18").expect("R18");
    let mut bids: Vec<(f64, f64, f64, u64)> = (1..=5)
        .map(|k| {
            let (w, wy, n, _) = r18.shares[&format!("accept:b{k}")];
            let (bw, bx, _) = r18.means[&format!("bill:b{k}")];
            (bx / bw, wy / w, w, n)
        })
        .collect();
    bids.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for b in &bids {
        blocks.push((b.1, b.2, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 < blocks[blocks.len() - 1].0 {
            let (y, x) = (
                blocks.pop().expect("a block"),
                blocks.pop().expect("a block"),
            );
            blocks.push(((x.0 * x.1 + y.0 * y.1) / (x.1 + y.1), x.1 + y.1, x.2 + y.2));
        }
    }
    let survival: Vec<f64> = blocks
        .iter()
        .flat_map(|b| std::iter::repeat_n(b.0, b.2))
        .chain([0.0])
        .collect();
    let bound: f64 = (0..bids.len())
        .map(|j| bids[j].0 * (survival[j] - survival[j + 1]))
        .sum();
    let n: u64 = bids.iter().map(|b| b.3).sum();
    r18.means
        .insert("turnbull_lower_bound".into(), (1.0, bound, n));

    let mut total = 0;
    for (id, sensitive) in [
        ("R1", false),
        ("R2", false),
        ("R4", false),
        ("R3", false),
        ("R5", false),
        ("R6", false),
        ("R7", false),
        ("R8", true),
        ("R9", false),
        ("R10", false),
        ("R11", false),
        ("R12", false),
        ("R13", false),
        ("R15", false),
        ("R16", false),
        ("R17", true),
        ("R18", false),
    ] {
        let r = get_json(&s, &planner, &format!("/reports/{id}"));
        let cells = r["cells"].as_array().expect("cells");
        let compared = check(id, cells, &want[id], sensitive);
        // R17 for everyone is two figures (prevalence, households); its services are by `d`.
        let least = if id == "R17" { 2 } else { 8 };
        assert!(compared >= least, "{id}: only {compared} figures compared");
        // The parts that come from other forms, and the income band midpoints, are there.
        let must: &[&str] = match id {
            "R6" => &["income_from_band_midpoint"],
            "R8" => &["operator_bribe_demanded", "bribe_paid:any"],
            "R13" => &["deprivations_1_or_more", "officials_name_excluded:s20"],
            "R17" => &["disability_prevalence", "households_with_disabled_member"],
            "R18" => &["accept:b1", "accept:b5", "turnbull_lower_bound"],
            "R15" => &[
                "actors=informal",
                "customers:informal",
                "served_by:informal",
                "venn_closeness:public",
            ],
            "R16" => &[
                "alignment_spearman",
                "objective:financial",
                "perceived_poor:affordability",
                "community_objective=social",
            ],
            "R12" => &[
                "community_consulted=yes",
                "consultations_held",
                "consultations_in_low_income_settlements_per_10k_households",
            ],
            _ => &[],
        };
        for item in must {
            assert!(
                cells.iter().any(|c| c["level"] == "all"
                    && c["item"] == *item
                    && c["estimate"].is_number()),
                "{id} has no figure for {item}"
            );
        }
        total += compared;
    }
    // R14: each side of the gap, and the gap itself.
    let r = get_json(&s, &planner, "/reports/R14?by=hs");
    let cells = r["cells"].as_array().expect("cells");
    for item in ["basic_water", "insecure_tenure", "aware_of_consultation"] {
        let pick = |level: &str| {
            cells
                .iter()
                .find(|c| c["level"] == level && c["item"] == item)
                .and_then(|c| c["estimate"].as_f64())
                .unwrap_or_else(|| panic!("R14 {level} {item}"))
        };
        let pct = |e: &Expect| {
            let (w, wy, _, _) = e.shares[item];
            100.0 * wy / w
        };
        let (pf, pm) = (pct(&want["R14f"]), pct(&want["R14m"]));
        assert!(
            (pick("female_headed") - pf.round()).abs() <= 1.0,
            "R14 {item} female"
        );
        assert!(
            (pick("male_headed") - pm.round()).abs() <= 1.0,
            "R14 {item} male"
        );
        let gap = cells
            .iter()
            .find(|c| c["level"] == "gap" && c["item"] == item)
            .expect("a gap");
        let g = gap["estimate"].as_f64().expect("a gap estimate");
        assert!(
            (g - (pf - pm)).abs() <= 0.051,
            "R14 {item}: {g} ≠ {}",
            pf - pm
        );
        let (lo, hi) = (
            gap["low"].as_f64().expect("low"),
            gap["high"].as_f64().expect("high"),
        );
        assert!(lo < g && g < hi, "R14 {item}: {lo} … {g} … {hi}");
        total += 3;
    }

    // R17: households with and without a disabled member, and the gap between them.
    let r = get_json(&s, &planner, "/reports/R17?by=d");
    let cells = r["cells"].as_array().expect("cells");
    for item in ["basic_water", "water_off_premises", "insecure_tenure"] {
        let pick = |level: &str| {
            cells
                .iter()
                .find(|c| c["level"] == level && c["item"] == item)
                .and_then(|c| c["estimate"].as_f64())
                .unwrap_or_else(|| panic!("R17 {level} {item}"))
        };
        let pct = |e: &Expect| {
            let (w, wy, _, _) = e.shares[item];
            100.0 * wy / w
        };
        let (pd, pn) = (pct(&want["R17d"]), pct(&want["R17n"]));
        assert!(
            (pick("disability") - pd.round()).abs() <= 1.0,
            "R17 {item} yes"
        );
        assert!(
            (pick("no_disability") - pn.round()).abs() <= 1.0,
            "R17 {item} no"
        );
        assert!(
            (pick("gap") - (pd - pn)).abs() <= 0.051,
            "R17 {item}: {} ≠ {}",
            pick("gap"),
            pd - pn
        );
        total += 3;
    }

    // R16 by settlement type: each type's households against the city's stakeholders.
    let r = get_json(&s, &planner, "/reports/R16?by=t");
    let cells = r["cells"].as_array().expect("cells");
    for level in ["A", "B", "C"] {
        let rho = cells
            .iter()
            .find(|c| c["level"] == level && c["item"] == "alignment_spearman")
            .and_then(|c| c["estimate"].as_f64())
            .unwrap_or_else(|| panic!("R16 type {level}: no alignment"));
        assert!((-1.0..=1.0).contains(&rho), "R16 type {level}: {rho}");
    }
    assert!(
        cells
            .iter()
            .any(|c| c["level"] == "city" && c["item"] == "perceived_poor:affordability"),
        "the stakeholders' view stands beside the types"
    );

    // R13's settlement ranking: the mean z-score of six published settlement rates, and the
    // slum-area flag from the published share with one deprivation or more.
    let r = get_json(&s, &planner, "/reports/R13?by=s");
    let cells = r["cells"].as_array().expect("cells");
    let published = |level: &str, item: &str| {
        cells
            .iter()
            .find(|c| c["level"] == level && c["item"] == item && c["suppressed"] == false)
            .and_then(|c| c["estimate"].as_f64())
    };
    let six = [
        "deprivations_2_or_more",
        "no_id_document",
        "not_registered_to_vote",
        "discrimination",
        "insecure_tenure",
        "basic_water_not_met",
    ];
    let rates: Vec<(&str, Vec<Option<f64>>)> = SITES
        .iter()
        .map(|site| {
            (
                site.code,
                six.iter().map(|i| published(site.code, i)).collect(),
            )
        })
        .collect();
    let mut ranked = 0;
    for (code, values) in &rates {
        // The z-score of each rate the settlement publishes, over the settlements that
        // publish it; the index is their mean, given four or more.
        let z: Vec<f64> = (0..six.len())
            .filter_map(|k| {
                let x = values[k]?;
                let xs: Vec<f64> = rates.iter().filter_map(|r| r.1[k]).collect();
                let mean = xs.iter().sum::<f64>() / xs.len() as f64;
                let sd =
                    (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
                Some(if sd > 0.0 { (x - mean) / sd } else { 0.0 })
            })
            .collect();
        let got = published(code, "marginalisation_index");
        if z.len() < 4 {
            assert_eq!(got, None, "R13 {code}: ranked on {} rates", z.len());
            continue;
        }
        let want = z.iter().sum::<f64>() / z.len() as f64;
        let got = got.expect("an index");
        assert!((got - want).abs() <= 0.006, "R13 {code}: {got} ≠ {want}");
        let one = published(code, "deprivations_1_or_more");
        let flag = published(code, "slum_area");
        assert_eq!(
            flag,
            one.map(|p| if p >= 50.0 { 1.0 } else { 0.0 }),
            "R13 {code} slum area"
        );
        ranked += 1;
        total += 2;
    }
    assert!(ranked >= 15, "most settlements are ranked: {ranked}");
    assert!(total > 300, "{total} figures compared");

    // On a device: one settlement's interviews give the same figures as the server's report
    // for that settlement (its households share one design weight, so weighting changes
    // nothing), computed by `local_reports` with no server, no SQL and no aggregates.
    let forms_by_id: BTreeMap<&str, &baraza_schema::Form> = forms
        .iter()
        .map(|f| (f.settings.form_id.as_str(), f))
        .collect();
    let mut held: Vec<(&baraza_schema::Form, &Value)> = households
        .values()
        .filter(|a| a["settlement"] == "s01")
        .map(|a| (f1, a))
        .collect();
    held.extend(
        city.focus_groups
            .iter()
            .filter(|(_, a)| a["settlement"] == "s01")
            .map(|(_, a)| (forms_by_id["baraza_f2_focus_group"], a)),
    );
    let ctx = baraza_schema::reports::Context {
        quintile_cuts: None,
        tariff_20l: Some(tariff),
    };
    let local = baraza_schema::reports::local_reports(&held, &ctx);
    assert_eq!(local.len(), 18, "every report on the device");
    let (mut compared, mut reports, mut hidden_by_server) = (0, 0, 0);
    for (info, cells) in &local {
        let r = get_json(
            &s,
            &planner,
            &format!("/reports/{}?settlement=s01", info.id),
        );
        if !r["shown_for"].is_null() {
            // Too sparse for one settlement, the server shows its type instead (R14 by the
            // head's sex); a device has only its own interviews and keeps them hidden.
            continue;
        }
        reports += 1;
        let server: Vec<&Value> = r["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .filter(|c| c["by"] == info.by[0])
            .collect();
        assert_eq!(cells.len(), server.len(), "{}: cells", info.id);
        for (mine, theirs) in cells.iter().zip(server) {
            let what = format!("{} {}", info.id, mine.item);
            assert_eq!(json!(mine.item), theirs["item"], "{what}");
            compared += 1;
            if theirs["suppressed"] == true {
                // The server may hide more, and withhold the base of what it hides: its
                // tables are protected against each other too (the lattice); the device's
                // table stands alone. It never shows what the device hides.
                hidden_by_server += usize::from(!mine.suppressed);
                continue;
            }
            assert!(
                !mine.suppressed,
                "{what}: shown by the server, hidden on the device"
            );
            assert_eq!(json!(mine.n), theirs["n"], "{what}");
            for (field, mine) in [
                ("estimate", mine.estimate),
                ("low", mine.low),
                ("high", mine.high),
            ] {
                let theirs = theirs[field].as_f64();
                assert_eq!(mine.is_some(), theirs.is_some(), "{what} {field}");
                if let (Some(a), Some(b)) = (mine, theirs) {
                    assert!((a - b).abs() <= 1.0, "{what} {field}: {a} ≠ {b}");
                }
            }
        }
    }
    assert!(reports >= 12, "{reports} device reports compared");
    assert!(compared > 300, "{compared} device figures compared");
    assert!(
        hidden_by_server * 5 < compared,
        "the lattice hides {hidden_by_server} of {compared} figures the device shows"
    );

    // Income quintiles: cut-offs recomputed after the changes equal the weighted quintiles of
    // per-capita income, and each household lands in its quintile.
    let res = s
        .http
        .post(s.url("/settings/reports/reference-values"))
        .bearer_auth(&admin)
        .send()
        .expect("quintiles");
    assert_eq!(res.status(), 200);
    let cuts: Vec<f64> = res.json::<Value>().expect("json")["income_quintile_cuts"]
        .as_array()
        .expect("four cut-offs")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let per_head: Vec<(f64, f64)> = counted
        .iter()
        .filter_map(|(a, w)| Some((f(a, "inc_month")? / f(a, "hh_size")?, *w)))
        .collect();
    let mut sorted = per_head.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = sorted.iter().map(|x| x.1).sum();
    let want_cuts: Vec<f64> = [0.2, 0.4, 0.6, 0.8]
        .iter()
        .map(|q| {
            let mut acc = 0.0;
            sorted
                .iter()
                .find(|(_, w)| {
                    acc += w;
                    acc >= q * total - total * 1e-12
                })
                .map(|x| x.0)
                .expect("a quantile")
        })
        .collect();
    assert_eq!(cuts, want_cuts);
    let r = get_json(&s, &planner, "/reports/R1?by=q");
    for (k, level) in ["q1", "q2", "q3", "q4", "q5"].iter().enumerate() {
        let n = per_head
            .iter()
            .filter(|(pc, _)| cuts.iter().filter(|c| *pc > **c).count() == k)
            .count();
        let cell = r["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .find(|c| c["level"] == *level)
            .unwrap_or_else(|| panic!("R1 {level}"));
        assert_eq!(cell["n"], n, "{level}");
    }

    // Collapse before suppressing: one settlement's households with a disabled member are
    // too few for a table of their own, so it is shown for the settlement's type.
    let r = get_json(&s, &planner, "/reports/R1?by=d&settlement=s12");
    assert_eq!(r["shown_for"], "settlement type C", "{r}");
    let r = get_json(&s, &planner, "/reports/R1?by=rs&settlement=s12");
    assert!(
        r["shown_for"].is_null(),
        "respondents by sex fill the table: {r}"
    );
}

#[test]
fn every_report_reads_in_words_in_english_french_and_swahili_with_codes_kept_beside_them() {
    let s = Server::demo();
    let planner = s.login("planner", ADMIN_PASSWORD);
    let forms = demo::forms().expect("the built-in forms");
    // Every choice code the forms label: none may reach a planner as a code.
    let mut codes: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for form in &forms {
        for list in form.choices.values() {
            codes.extend(
                list.iter()
                    .filter(|c| c.name.contains('_') && !c.label.is_empty())
                    .map(|c| c.name.clone()),
            );
        }
    }
    let list = get_json(&s, &planner, "/reports?lang=sw");
    let catalogue = list["reports"].as_array().expect("reports");
    assert_eq!(catalogue[0]["title"], "Mambo makuu yanayowasumbua maskini");
    assert_eq!(catalogue[0]["by_labels"][0], "Wote");
    let (mut labelled, mut differ) = (0, 0);
    for meta in catalogue {
        let id = meta["id"].as_str().expect("an id");
        for by in meta["by"].as_array().expect("by") {
            let by = by.as_str().expect("a code");
            let mut words = BTreeMap::new();
            for lang in ["en", "fr", "sw"] {
                let r = get_json(&s, &planner, &format!("/reports/{id}?by={by}&lang={lang}"));
                let labels = r["labels"].as_object().expect("labels").clone();
                for c in r["cells"].as_array().expect("cells") {
                    for key in ["item", "level"] {
                        let code = c[key].as_str().expect("a code");
                        let label = labels
                            .get(code)
                            .and_then(Value::as_str)
                            .unwrap_or_else(|| panic!("{id} by {by} {lang}: no words for {code}"));
                        assert!(
                            !label.contains('_')
                                && !codes.iter().any(|k| label.contains(k.as_str())),
                            "{id} by {by} {lang}: {code} reads {label:?}"
                        );
                        labelled += 1;
                    }
                }
                words.insert(lang, labels);
            }
            differ += words["en"]
                .iter()
                .filter(|(k, v)| words["fr"].get(*k) != Some(v) && words["sw"].get(*k) != Some(v))
                .count();
        }
    }
    assert!(labelled > 5_000, "{labelled} labels read");
    assert!(
        differ > 300,
        "French and Swahili differ from English: {differ}"
    );

    // The CSV keeps the code and puts the words beside it.
    let csv = s
        .http
        .get(s.url("/reports/R5.csv?lang=fr"))
        .bearer_auth(&planner)
        .send()
        .expect("csv")
        .text()
        .expect("text");
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().expect("a header").clone();
    assert_eq!(
        header.iter().take(6).collect::<Vec<_>>(),
        ["report", "by", "level", "level_label", "item", "item_label"]
    );
    let row = rows
        .records()
        .map(|r| r.expect("a row"))
        .find(|r| &r[4] == "water=informal_provider")
        .expect("informal water providers");
    assert_eq!(&row[3], "Ensemble");
    assert!(row[5].starts_with("Eau"), "{:?}", &row[5]);
    assert!(!row[5].contains('_'), "{:?}", &row[5]);

    let res = s
        .http
        .get(s.url("/reports/R1?lang=de"))
        .bearer_auth(&planner)
        .send()
        .expect("a bad language");
    assert_eq!(res.status(), 422);
    let body: Value = res.json().expect("json");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("en, fr, sw"),
        "{body}"
    );
}

#[test]
fn a_settlements_report_back_sheet_sets_its_figures_beside_the_citys_in_its_language() {
    let s = Server::demo();
    let planner = s.login("planner", ADMIN_PASSWORD);
    let sheet = |path: &str, token: &str| {
        let res = s
            .http
            .get(s.url(path))
            .bearer_auth(token)
            .send()
            .expect("a sheet");
        let status = res.status().as_u16();
        let kind = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, kind, res.text().expect("text"))
    };
    let (status, kind, html) = sheet("/reports/sheet/s12?lang=fr", &planner);
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    for words in [
        "<html lang=\"fr\">",
        "Restitution",
        "Settlement 12",
        "Ce qui compte le plus pour les ménages",
        "Coût abordable",
        "Eau au moins basique",
        "Ici",
        "Ville",
        "Source : enquête ménages Baraza",
    ] {
        assert!(html.contains(words), "the French sheet says {words:?}");
    }
    assert!(!html.contains('_'), "no code on the sheet");
    assert!(!html.contains("<script"), "a sheet runs nothing");

    // Every number on it is a published figure: s12's R1 scores as the reports give them.
    let r1 = get_json(&s, &planner, "/reports/R1?settlement=s12");
    for c in r1["cells"].as_array().expect("cells") {
        let figure = match c["estimate"].as_f64() {
            Some(x) if c["reliability"] == "caution" => format!("({x})"),
            Some(x) => format!("{x}"),
            None => "*".to_owned(),
        };
        assert!(
            html.contains(&format!("<td class=\"num big\">{figure}</td>")),
            "R1 {} reads {figure} on the sheet",
            c["item"]
        );
    }
    // A figure hidden in the settlement is hidden on the sheet: R9's evictions are
    // sensitive, and a settlement of 120 households has too few on one side.
    let r9 = get_json(&s, &planner, "/reports/R9?settlement=s12");
    let evicted = r9["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["item"] == "evicted_or_threatened_5y")
        .expect("evictions");
    if evicted["suppressed"] == true {
        assert!(
            html.contains("Expulsé ou menacé (5 ans)</th><td class=\"num big\">*</td>"),
            "hidden on the sheet too"
        );
    }

    let (_, _, english) = sheet("/reports/sheet/s12", &planner);
    assert!(english.contains("Report-back") && english.contains("What matters most"));
    let (_, _, swahili) = sheet("/reports/sheet/s12?lang=sw", &planner);
    assert!(swahili.contains("Mrejesho") && swahili.contains("Hapa"));
    assert_eq!(sheet("/reports/sheet/s99", &planner).0, 404);
    assert_eq!(sheet("/reports/sheet/s12?lang=de", &planner).0, 422);
    let enumerator = s.login("enumerator", ADMIN_PASSWORD);
    assert_eq!(sheet("/reports/sheet/s12", &enumerator).0, 403);
}
