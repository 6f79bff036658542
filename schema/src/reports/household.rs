//! The household reports R5–R18 (DOMAIN.md §4.2; R1 and R4 are in `reports.rs`): what one
//! counted F1 response contributes to each, as shares, means and quantile bins (see
//! `measure`).

use serde_json::{Map, Value};

use super::measure::Emit;
use super::{Context, Sink};
use crate::derive::{self, Household, SanitationRung, WaterRung};
use crate::form::Form;

/// The codes of one of the form's choice lists, in the form's order: a city that adapts a
/// list adapts its report rows with it.
pub(super) fn choices<'f>(form: &'f Form, list: &str) -> Vec<&'f str> {
    form.choices
        .get(list)
        .map(|cs| cs.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default()
}

fn text<'a>(a: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    a.get(key).and_then(Value::as_str)
}

fn num(a: &Map<String, Value>, key: &str) -> Option<f64> {
    a.get(key).and_then(Value::as_f64)
}

fn codes<'a>(a: &'a Map<String, Value>, key: &str) -> Option<Vec<&'a str>> {
    a.get(key)
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
}

/// A yes/no item's answer as a share: `yes` counts, other answers stay in the denominator.
fn yes(a: &Map<String, Value>, key: &str) -> Option<bool> {
    text(a, key).map(|v| v == "yes")
}

/// The service rows, by service code.
fn rows(a: &Map<String, Value>) -> Vec<(&str, &Map<String, Value>)> {
    a.get("svc")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter_map(|r| Some((text(r, "sv_code")?, r)))
        .collect()
}

/// A row's provider when the household uses the service (`none` when it does not).
fn provider<'a>(code: &str, r: &'a Map<String, Value>) -> Option<&'a str> {
    let uses = matches!(code, "water" | "sanitation") || text(r, "sv_has") == Some("yes");
    if uses {
        text(r, "sv_provider")
    } else {
        text(r, "sv_has").map(|_| "none")
    }
}

/// Last month's income: the amount given, or when the respondent could not give one
/// (`inc_month_dk = yes`), the midpoint of the band chosen — `true` then. The bands'
/// bounds are the `band_min` and `band_max` columns of the form's `income_band` list, so
/// each city sets them in its own currency; a band without both has no midpoint.
fn monthly_income(form: &Form, a: &Map<String, Value>) -> Option<(f64, bool)> {
    if text(a, "inc_month_dk") != Some("yes") {
        return num(a, "inc_month").map(|x| (x, false));
    }
    let band = text(a, "inc_band")?;
    let choice = form
        .choices
        .get("income_band")?
        .iter()
        .find(|c| c.name == band)?;
    let bound = |k: &str| choice.extra.get(k)?.trim().parse::<f64>().ok();
    let (low, high) = (bound("band_min")?, bound("band_max")?);
    Some(((low + high) / 2.0, true))
}

/// A service row's answer to an R8 item (`sv_<item>`). Paid: a household not asked for a
/// bribe paid none; one that would not say whether it was asked did not say whether it paid.
fn exploitation<'a>(r: &'a Map<String, Value>, item: &str) -> Option<&'a str> {
    if item != "bribe_paid" {
        return text(r, &format!("sv_{item}"));
    }
    match text(r, "sv_bribe_asked")? {
        "yes" => text(r, "sv_bribe_paid"),
        "no" => Some("no"),
        other => Some(other),
    }
}

/// A price per 20 litres, from the unit price and its unit.
fn price_20l(r: &Map<String, Value>) -> Option<f64> {
    super::per_20l(num(r, "sv_unit_price")?, text(r, "sv_price_unit")?)
}

/// Everything R5–R12, R14, R15 and R17 read from one household (R13 and R18 have functions
/// of their own below). Long on purpose: a flat list of
/// indicators in DOMAIN.md §4.2's order, a few lines each, all reading the same derived
/// household; a function per report would pass that household around and hide the order
/// the recomputation test (`tests/reports_recompute.rs`) follows.
pub fn contribute(
    h: &Household,
    form: &Form,
    a: &Map<String, Value>,
    groups: &[(&'static str, String)],
    ctx: &Context,
    out: &mut dyn Sink,
) {
    let only = |bys: &[&str]| -> Vec<(&'static str, String)> {
        groups
            .iter()
            .filter(|(by, _)| bys.contains(by))
            .cloned()
            .collect()
    };
    let svc = rows(a);
    let (income, from_band) = match monthly_income(form, a) {
        Some((x, band)) => (Some(x), Some(band)),
        None => (None, None),
    };
    let spending = num(a, "exp_month");

    // R5: provider mix by service.
    let g = only(&["all", "tn", "q"]);
    let mut e = Emit {
        report: "R5",
        groups: &g,
        out,
    };
    for (code, r) in &svc {
        e.category(code, provider(code, r));
    }

    // R15: households served by each provider group for any service (the actors map's
    // node sizes, beside what actors say they serve).
    let g = only(&["all"]);
    let mut e = Emit {
        report: "R15",
        groups: &g,
        out,
    };
    let used: Vec<&str> = svc
        .iter()
        .filter_map(|(code, r)| provider(code, r).and_then(super::actors::provider_group))
        .collect();
    if !svc.is_empty() {
        for group in [
            "public",
            "private_formal",
            "informal",
            "ngo_cbo",
            "households",
        ] {
            e.share(&format!("served_by:{group}"), Some(used.contains(&group)));
        }
    }

    // R6: affordability; the denominator is households that pay and have an income.
    let g = only(&["all", "hs", "tn", "q"]);
    let mut e = Emit {
        report: "R6",
        groups: &g,
        out,
    };
    let cost = |code: &str| {
        svc.iter()
            .find(|(c, _)| *c == code)
            .and_then(|(_, r)| (text(r, "sv_pays") == Some("yes")).then(|| num(r, "sv_cost_month")))
            .flatten()
    };
    // R17 compares households with and without a disabled member on some of these.
    let mut water_over_3pc = None;
    e.share("zero_income", income.map(|i| i == 0.0));
    // Incomes known only by their band stand at its midpoint; this says how many.
    e.share("income_from_band_midpoint", from_band);
    if let Some((_, water)) = svc.iter().find(|(c, _)| *c == "water") {
        let share = derive::service_share(cost("water"), income.filter(|i| *i > 0.0));
        let by_spending = derive::service_share(cost("water"), spending.filter(|x| *x > 0.0));
        if let Some(p) = text(water, "sv_provider") {
            // Shares of income are published as whole percentages (DOMAIN.md §4.3 rule 5):
            // half-point bins keep the medians exact to that and the cells few.
            e.quantile(&format!("water_share:{p}"), share.map(|s| 100.0 * s), 0.5);
            e.quantile(
                &format!("water_share_of_spending:{p}"),
                by_spending.map(|s| 100.0 * s),
                0.5,
            );
            // Prices per 20 l to two significant digits: a utility's tariff is a few cents,
            // a vendor's a few units (fixed tenths rounded the tariff to 0).
            e.quantile(&format!("price_20l:{p}"), price_20l(water), 0.0);
            if let (Some(price), Some(tariff)) = (price_20l(water), ctx.tariff_20l) {
                e.quantile(&format!("price_ratio:{p}"), Some(price / tariff), 0.1);
            }
        }
        water_over_3pc = share.map(|s| s > 0.03);
        e.share("water_share_over_3pc", water_over_3pc);
        let sanitation = derive::service_share(cost("sanitation"), income.filter(|i| *i > 0.0));
        if share.is_some() || sanitation.is_some() {
            let both = share.unwrap_or(0.0) + sanitation.unwrap_or(0.0);
            e.share("water_sanitation_share_over_5pc", Some(both > 0.05));
        }
    }
    // Shares by service and provider type (P × V).
    for (code, r) in svc.iter().filter(|(c, _)| *c != "water") {
        if let Some(p) = text(r, "sv_provider") {
            let share = derive::service_share(cost(code), income.filter(|i| *i > 0.0));
            e.quantile(&format!("{code}_share:{p}"), share.map(|s| 100.0 * s), 0.5);
        }
    }
    if let Some(i) = income.filter(|i| *i > 0.0) {
        let burden: Vec<f64> = svc
            .iter()
            .filter_map(|(s, _)| derive::service_share(cost(s), Some(i)))
            .collect();
        if !burden.is_empty() {
            let total: f64 = burden.iter().sum();
            e.quantile("service_burden", Some(100.0 * total.min(1.0)), 0.5);
        }
    }

    // R7: accessibility.
    let g = only(&["all", "hs", "d", "q"]);
    let mut e = Emit {
        report: "R7",
        groups: &g,
        out,
    };
    let off_premises = text(a, "w_location").map(|l| l == "elsewhere");
    let source = text(a, "w_source");
    let off = match source {
        Some("piped_dwelling" | "piped_yard") => Some(false),
        Some(_) => off_premises,
        None => None,
    };
    e.share("water_off_premises", off);
    if off == Some(true) {
        let minutes = num(a, "w_time_min");
        e.quantile("round_trip_minutes", minutes, 1.0);
        e.share("round_trip_over_30_min", minutes.map(|m| m > 30.0));
    }
    if let Some(hours) = num(a, "w_hours_day") {
        e.quantile("supply_hours_per_day", Some(hours), 0.5);
        e.share("supply_24_hours", Some(hours >= 24.0));
    }
    for (code, r) in &svc {
        e.quantile(&format!("days_down:{code}"), num(r, "sv_down_days"), 1.0);
        if matches!(*code, "solid_waste" | "transport") {
            e.quantile(&format!("distance_m:{code}"), num(r, "sv_dist_m"), 10.0);
        }
    }

    // R8: exploitation (sensitive), among households using a non-self provider.
    let g = only(&["all", "rs", "hs", "tn"]);
    let mut e = Emit {
        report: "R8",
        groups: &g,
        out,
    };
    let served: Vec<(&str, &Map<String, Value>)> = svc
        .iter()
        .filter(|(code, r)| provider(code, r).is_some_and(|p| !matches!(p, "self" | "none" | "dk")))
        .copied()
        .collect();
    // Service × provider type (V × P), for the whole population only (and so by settlement
    // and type): crossed with every subgroup the cells would be too small to publish.
    let mut cross: Vec<(String, bool)> = Vec::new();
    // Any item reported for any service (R17).
    let mut exploited: Option<bool> = None;
    for item in [
        "overcharged",
        "bribe_asked",
        "bribe_paid",
        "harass",
        "cutoff_threat",
    ] {
        let answers: Vec<(&str, &str, &str)> = served
            .iter()
            .filter_map(|(code, r)| Some((*code, text(r, "sv_provider")?, exploitation(r, item)?)))
            .collect();
        // Joined with `concat`: `format!` here was the projector's costliest text.
        for (code, p, v) in &answers {
            e.share(&[item, ":", code].concat(), Some(*v == "yes"));
            e.share(
                &[item, ":", code, ":refused"].concat(),
                Some(*v == "refused"),
            );
            e.share(&[item, "@", p].concat(), Some(*v == "yes"));
            cross.push(([item, ":", code, "@", p].concat(), *v == "yes"));
        }
        if !answers.is_empty() {
            *exploited.get_or_insert(false) |= answers.iter().any(|x| x.2 == "yes");
            e.share(
                &format!("{item}:any"),
                Some(answers.iter().any(|x| x.2 == "yes")),
            );
            e.share(
                &format!("{item}:any:refused"),
                Some(answers.iter().any(|x| x.2 == "refused")),
            );
        }
    }
    let mut e = Emit {
        report: "R8",
        groups: &g[..1],
        out,
    };
    for (item, yes) in &cross {
        e.share(item, Some(*yes));
    }

    // R9: security of tenure.
    let g = only(&["all", "rs", "hs", "tn"]);
    let mut e = Emit {
        report: "R9",
        groups: &g,
        out,
    };
    e.category("tenure", text(a, "tenure"));
    let docs = codes(a, "tenure_docs");
    let documented = docs.as_ref().map(|d| {
        d.iter()
            .any(|x| matches!(*x, "title_deed" | "lease_certificate" | "allotment_letter"))
    });
    e.share("legal_document", documented);
    e.share("documents_dk", docs.as_ref().map(|d| d.contains(&"dk")));
    e.category("fear", text(a, "tenure_fear"));
    e.share("insecure", h.insecure_tenure);
    // SDG 1.4.2 is about adults: the same shares counting each adult (18+).
    let adults = a.get("member").and_then(Value::as_array).map_or(0.0, |m| {
        m.iter()
            .filter(|x| {
                x.get("m_age")
                    .and_then(Value::as_f64)
                    .is_some_and(|age| age >= 18.0)
            })
            .count() as f64
    });
    e.share_of_units("insecure_adults", adults, h.insecure_tenure);
    e.share_of_units("legal_document_adults", adults, documented);
    if h.insecure_tenure == Some(true) {
        let reasons = codes(a, "tenure_fear_why").unwrap_or_default();
        for r in choices(form, "insecurity_reason") {
            e.share(&format!("insecure_because:{r}"), Some(reasons.contains(&r)));
        }
    }
    let evicted = text(a, "evict_5y")
        .filter(|v| !matches!(*v, "dk" | "refused"))
        .map(|v| matches!(v, "notice_or_threat" | "evicted_from_here"));
    e.share("evicted_or_threatened_5y", evicted);
    e.share(
        "evict_5y_refused",
        text(a, "evict_5y").map(|v| v == "refused"),
    );
    if let (Some(d), Some(i)) = (documented, h.insecure_tenure) {
        let cat = match (d, i) {
            (true, false) => "documented_secure",
            (true, true) => "documented_insecure",
            (false, false) => "undocumented_secure",
            (false, true) => "undocumented_insecure",
        };
        e.category("documented_x_secure", Some(cat));
    }

    // R10: employment and livelihoods; member indicators give each member the household's
    // weight, and can also be split by the member's sex (`ms`).
    let g = only(&["all", "hs", "d", "q"]);
    let members: Vec<&Map<String, Value>> = a
        .get("member")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    for m in &members {
        let mut mg = g.clone();
        if let Some(sex) = text(m, "m_sex") {
            mg.push(("ms", sex.to_owned()));
        }
        let mut e = Emit {
            report: "R10",
            groups: &mg,
            out,
        };
        let Some(activity) = text(m, "m_activity") else {
            continue;
        };
        let informal = derive::member_informal(m);
        let working = informal.is_some();
        e.share("employment_ratio", Some(working));
        e.share("informal_among_employed", informal);
        if working || activity == "unemployed_seeking" {
            e.share("unemployment_rate", Some(!working));
        }
        if working {
            let service =
                codes(m, "m_service_work").is_some_and(|w| w.iter().any(|x| *x != "none"));
            e.share("service_provision_jobs", Some(service));
        }
    }
    let mut e = Emit {
        report: "R10",
        groups: &g,
        out,
    };
    if let (Some(i), Some(n)) = (income, num(a, "hh_size").filter(|n| *n > 0.0)) {
        e.quantile("income_per_capita", Some(i / n), 1.0);
    }
    let sources = codes(a, "inc_sources").unwrap_or_default();
    let main = text(a, "inc_main").or_else(|| (sources.len() == 1).then(|| sources[0]));
    e.category("main_income", main);
    if let Some(shocks) = codes(a, "shocks") {
        let hit = !shocks.is_empty() && !shocks.contains(&"none");
        e.share("shock_12m", Some(hit));
        if hit {
            let coping = codes(a, "coping").unwrap_or_default();
            for c in choices(form, "coping") {
                e.share(&format!("coping:{c}"), Some(coping.contains(&c)));
            }
        }
    }

    // R11: choice of provider.
    let g = only(&["all", "tn"]);
    let mut e = Emit {
        report: "R11",
        groups: &g,
        out,
    };
    for (code, r) in &svc {
        let alternatives = num(r, "sv_alternatives");
        e.share(
            &format!("no_alternative:{code}"),
            alternatives.map(|n| n == 0.0),
        );
        e.mean(&format!("alternatives:{code}"), alternatives);
        e.share(
            &format!("only_option:{code}"),
            text(r, "sv_choice_reason").map(|v| v == "only_option"),
        );
        e.share(&format!("would_switch:{code}"), yes(r, "sv_would_switch"));
    }

    // R12: participation and accountability.
    let g = only(&["all", "rs", "tn", "d"]);
    let mut e = Emit {
        report: "R12",
        groups: &g,
        out,
    };
    let aware = yes(a, "cons_aware");
    e.share("aware", aware);
    let attended = codes(a, "cons_attend").is_some_and(|c| c.iter().any(|x| *x != "none"));
    e.share("attended", aware.map(|_| attended));
    e.share(
        "spoke",
        aware.map(|_| attended && yes(a, "cons_spoke") == Some(true)),
    );
    e.share(
        "can_influence",
        text(a, "cons_influence").map(|v| matches!(v, "agree" | "strongly_agree")),
    );
    e.share(
        "group_member",
        codes(a, "cbo_member").map(|c| c.iter().any(|x| *x != "none")),
    );
    for (code, r) in &served {
        let complained = yes(r, "sv_complained");
        e.share(&format!("complained:{code}"), complained);
        if complained == Some(true) {
            e.share(
                &format!("resolved:{code}"),
                text(r, "sv_resolved").map(|v| v == "fully"),
            );
        }
    }

    // R14: gender gaps between female- and male-headed households (and respondents).
    let g = only(&["hs", "rs"]);
    let mut e = Emit {
        report: "R14",
        groups: &g,
        out,
    };
    let basic_water = h
        .water
        .map(|w| matches!(w, WaterRung::BasicPlus | WaterRung::Basic));
    let basic_sanitation = h
        .sanitation
        .map(|s| matches!(s, SanitationRung::BasicPlus | SanitationRung::Basic));
    e.share("basic_water", basic_water);
    e.share("basic_sanitation", basic_sanitation);
    e.share("insecure_tenure", h.insecure_tenure);
    e.share("aware_of_consultation", aware);
    e.share("attended_consultation", aware.map(|_| attended));
    let any = |key: &str| {
        let answers: Vec<&str> = served.iter().filter_map(|(_, r)| text(r, key)).collect();
        (!answers.is_empty()).then(|| answers.contains(&"yes"))
    };
    e.share("harassed_any_service", any("sv_harass"));
    if off == Some(true) {
        e.share(
            "water_collected_by_women_or_girls",
            text(a, "w_collector").map(|c| matches!(c, "adult_woman" | "girl_under_15")),
        );
    }
    e.share(
        "women_avoid_after_dark",
        text(a, "avoid_dark")
            .filter(|v| *v != "na")
            .map(|v| v == "yes"),
    );
    if let Some(names) = codes(a, "tenure_doc_name") {
        let resp_female = text(a, "resp_sex") == Some("female");
        let woman = names.iter().any(|n| match *n {
            "respondent" => resp_female,
            "head" => h.female_headed == Some(true),
            "spouse" => h.female_headed == Some(false),
            _ => false,
        });
        e.share("woman_named_on_document", Some(woman));
    }

    // R17: disability. Prevalence among members aged 5+ by sex (`ms`) and age group (`ag`);
    // households with a disabled member; R4–R9 indicators for households with and without
    // one (`d`), whose gaps are published.
    let all = only(&["all"]);
    for m in &members {
        let Some(age) = num(m, "m_age").filter(|x| *x >= 5.0) else {
            continue;
        };
        let mut mg = all.clone();
        if let Some(sex) = text(m, "m_sex") {
            mg.push(("ms", sex.to_owned()));
        }
        let band = match age {
            x if x < 18.0 => "age_5_17",
            x if x < 60.0 => "age_18_59",
            _ => "age_60_plus",
        };
        mg.push(("ag", band.to_owned()));
        let mut e = Emit {
            report: "R17",
            groups: &mg,
            out,
        };
        e.share("disability_prevalence", derive::member_disability(m));
    }
    let mut e = Emit {
        report: "R17",
        groups: &all,
        out,
    };
    e.share("households_with_disabled_member", h.disability);
    let g = only(&["d"]);
    let mut e = Emit {
        report: "R17",
        groups: &g,
        out,
    };
    e.share("basic_water", basic_water);
    e.share("basic_sanitation", basic_sanitation);
    e.share("water_off_premises", off);
    if off == Some(true) {
        e.share(
            "round_trip_over_30_min",
            num(a, "w_time_min").map(|m| m > 30.0),
        );
    }
    e.share("water_share_over_3pc", water_over_3pc);
    e.share("exploitation_any_service", exploited);
    e.share("insecure_tenure", h.insecure_tenure);
    e.share("evicted_or_threatened_5y", evicted);
}

/// R13: marginalisation — UN-Habitat deprivations, identity documents, voter registration,
/// discrimination (sensitive), insecure tenure and water below basic, by migrant status too.
/// The settlement index and the slum-area flag are computed from these shares by
/// settlement at estimate time (`marginal`).
pub fn marginalisation(
    h: &Household,
    form: &Form,
    a: &Map<String, Value>,
    groups: &[(&'static str, String)],
    out: &mut dyn Sink,
) {
    let mut g: Vec<(&'static str, String)> = groups
        .iter()
        .filter(|(by, _)| matches!(*by, "all" | "hs" | "d"))
        .cloned()
        .collect();
    if let Some(origin) = text(a, "hh_origin") {
        let migrant = if origin == "this_city" {
            "not_migrant"
        } else {
            "migrant"
        };
        g.push(("mg", migrant.to_owned()));
    }
    let mut e = Emit {
        report: "R13",
        groups: &g,
        out,
    };
    e.share("deprivations_1_or_more", Some(h.deprivations >= 1));
    e.share("deprivations_2_or_more", Some(h.deprivations >= 2));
    let answered = |key: &str| text(a, key).filter(|v| !matches!(*v, "dk" | "refused"));
    e.share("no_id_document", answered("id_doc").map(|v| v == "no"));
    e.share(
        "id_document_refused",
        text(a, "id_doc").map(|v| v == "refused"),
    );
    e.share(
        "not_registered_to_vote",
        answered("voter_reg").map(|v| v == "no"),
    );
    e.share(
        "voter_registration_refused",
        text(a, "voter_reg").map(|v| v == "refused"),
    );
    if let Some(grounds) = codes(a, "discrim") {
        let refused = grounds.contains(&"refused");
        e.share("discrimination_refused", Some(refused));
        if !refused {
            e.share("discrimination", Some(grounds.iter().any(|x| *x != "none")));
            for ground in choices(form, "discrim_ground") {
                if !matches!(ground, "none" | "refused") {
                    e.share(
                        &format!("discriminated_for:{ground}"),
                        Some(grounds.contains(&ground)),
                    );
                }
            }
        }
    }
    e.share("insecure_tenure", h.insecure_tenure);
    e.share(
        "basic_water_not_met",
        h.water
            .map(|w| !matches!(w, WaterRung::BasicPlus | WaterRung::Basic)),
    );
    e.share(
        "minority_language",
        text(a, "minority_lang").map(|v| v == "yes"),
    );
}

/// R18: willingness to pay for a water connection (a single-bounded contingent valuation
/// with a follow-up) — the share accepting at each bid set (`accept:b<k>`, a "don't know"
/// counting as not accepting, which keeps the lower bound a lower bound) and the monthly
/// bill offered there (`bill:b<k>`, the form's own `wtp_bill` calculation evaluated by the
/// shared engine); the reasons for refusing, grouped into affordability and landlord or
/// tenure constraints; tenants needing the landlord's permission.
pub fn willingness_to_pay(
    form: &Form,
    answers: &Value,
    a: &Map<String, Value>,
    groups: &[(&'static str, String)],
    out: &mut dyn Sink,
) {
    let (Some(bid), Some(accept)) = (num(a, "wtp_bid_id"), text(a, "wtp_accept")) else {
        return;
    };
    let g: Vec<(&'static str, String)> = groups
        .iter()
        .filter(|(by, _)| matches!(*by, "all" | "tn" | "q"))
        .cloned()
        .collect();
    let mut e = Emit {
        report: "R18",
        groups: &g,
        out,
    };
    let bid = format!("b{bid}");
    e.share(&format!("accept:{bid}"), Some(accept == "yes"));
    e.share("accept_dk", Some(accept == "dk"));
    // The bill is a calculation of the form (a multiple of what the household pays for
    // water now); `today()` plays no part in it.
    let bill = crate::validate::render(form, answers, "", "${wtp_bill}", crate::Date::from_days(0));
    e.mean(&format!("bill:{bid}"), bill.trim().parse::<f64>().ok());
    if accept == "no" {
        let reason = text(a, "wtp_no_reason");
        e.category("refused_because", reason);
        let kind = reason.map(|r| match r {
            "cannot_afford_fee" | "cannot_afford_monthly" => "affordability",
            "landlord_decides" | "tenure_insecure" => "landlord_or_tenure",
            _ => "other",
        });
        e.category("refused_for", kind);
    }
    e.share(
        "needs_landlord_permission",
        text(a, "wtp_landlord_perm").map(|v| v == "yes"),
    );
}
