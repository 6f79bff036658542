//! The demo city generator (DOMAIN.md §5): every clean response is valid, the weighted
//! city-level figures land in the sanity bands of §5.6, and the dirty variants are caught.

use std::collections::BTreeMap;

use baraza_schema::derive::{self, SanitationRung, WaterRung};
use baraza_schema::{Date, validate};
use baraza_server::demo::{self, Dirt, Kind, SAMPLE_PER_SETTLEMENT, SITES};
use baraza_server::storage::prelude::*;
use serde_json::Value;

fn today() -> Date {
    Date::parse("2026-11-28").expect("a date")
}

fn city() -> demo::City {
    let forms = demo::forms().expect("the built-in forms");
    demo::city(7, &forms, today())
}

#[test]
fn every_generated_response_is_valid_against_its_built_in_form() {
    let forms = demo::forms().expect("the built-in forms");
    let city = demo::city(7, &forms, today());
    let sets = [
        (&forms[0], &city.households, 2400),
        (&forms[1], &city.focus_groups, 91),
        (&forms[2], &city.actors, 359),
        (&forms[3], &city.stakeholders, 30),
    ];
    for (form, responses, count) in sets {
        assert_eq!(responses.len(), count, "{}", form.settings.form_id);
        for (id, answers) in responses {
            let issues = validate(form, answers, today());
            assert!(issues.is_empty(), "{id}: {issues:?}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_city_and_another_seed_another() {
    let forms = demo::forms().expect("the built-in forms");
    let a = demo::city(7, &forms, today());
    let b = demo::city(7, &forms, today());
    let c = demo::city(8, &forms, today());
    assert_eq!(a.households, b.households);
    assert_eq!(a.focus_groups, b.focus_groups);
    assert_ne!(a.households, c.households);
}

/// A weighted share over the households for which `y` is defined.
struct Share(BTreeMap<&'static str, (f64, f64)>);

impl Share {
    fn new() -> Self {
        Share(BTreeMap::new())
    }

    fn add(&mut self, name: &'static str, w: f64, y: Option<bool>) {
        if let Some(y) = y {
            let e = self.0.entry(name).or_default();
            e.0 += w * f64::from(u8::from(y));
            e.1 += w;
        }
    }

    fn pct(&self, name: &str) -> f64 {
        let (num, den) = self.0[name];
        100.0 * num / den
    }
}

fn text<'a>(a: &'a Value, key: &str) -> Option<&'a str> {
    a.get(key).and_then(Value::as_str)
}

fn water_row(a: &Value) -> Option<&Value> {
    a["svc"]
        .as_array()?
        .iter()
        .find(|r| text(r, "sv_code") == Some("water"))
}

/// The weighted median of (value, weight) pairs.
fn median(mut v: Vec<(f64, f64)>) -> f64 {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    for (x, w) in &v {
        acc += w;
        if acc >= total / 2.0 {
            return *x;
        }
    }
    f64::NAN
}

#[test]
fn the_demo_city_meets_the_sanity_targets_of_domain_5_6() {
    let forms = demo::forms().expect("the built-in forms");
    let city = demo::city(7, &forms, today());
    let weight: BTreeMap<&str, f64> = SITES
        .iter()
        .map(|s| {
            (
                s.code,
                f64::from(s.households) / f64::from(SAMPLE_PER_SETTLEMENT),
            )
        })
        .collect();
    let mut s = Share::new();
    let mut vendor_share = Vec::new();
    let mut piped_share = Vec::new();
    let mut borda_c: BTreeMap<String, f64> = BTreeMap::new();
    let mut borda: BTreeMap<String, f64> = BTreeMap::new();
    let (mut persons, mut disabled) = (0.0, 0.0);
    for (_, a) in &city.households {
        if text(a, "consent") != Some("yes") {
            continue;
        }
        let code = text(a, "settlement").expect("a settlement");
        let w = weight[code];
        let h = derive::household(&forms[0], a).expect("a household");
        let source = text(a, "w_source");
        s.add(
            "piped_on_premises",
            w,
            source.map(|x| matches!(x, "piped_dwelling" | "piped_yard")),
        );
        s.add(
            "basic_water",
            w,
            h.water
                .map(|r| matches!(r, WaterRung::BasicPlus | WaterRung::Basic)),
        );
        s.add("limited_water", w, h.water.map(|r| r == WaterRung::Limited));
        s.add(
            "unimproved_water",
            w,
            h.water
                .map(|r| matches!(r, WaterRung::Unimproved | WaterRung::SurfaceWater)),
        );
        s.add(
            "limited_sanitation",
            w,
            h.sanitation.map(|r| r == SanitationRung::Limited),
        );
        s.add(
            "open_defecation",
            w,
            h.sanitation.map(|r| r == SanitationRung::OpenDefecation),
        );
        s.add("insecure", w, h.insecure_tenure);
        let rows = a["svc"].as_array().expect("service rows");
        s.add(
            "bribe",
            w,
            Some(
                rows.iter()
                    .any(|r| text(r, "sv_bribe_asked") == Some("yes")),
            ),
        );
        if let Some(f) = h.female_headed {
            let basic = h
                .water
                .map(|r| matches!(r, WaterRung::BasicPlus | WaterRung::Basic));
            s.add(if f { "basic_fhh" } else { "basic_mhh" }, w, basic);
        }
        let cost = water_row(a).and_then(|r| r["sv_cost_month"].as_f64());
        let share = derive::service_share(cost, a["inc_month"].as_f64());
        if let Some(share) = share {
            match source {
                Some("cart_small_tank" | "tanker") => vendor_share.push((share, w)),
                Some("piped_dwelling" | "piped_yard") => piped_share.push((share, w)),
                _ => {}
            }
        }
        let ranking: Vec<&str> = a["concern_rank"]
            .as_array()
            .expect("a ranking")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let c = SITES.iter().any(|x| x.code == code && x.kind == Kind::C);
        for (r, item) in ranking.iter().enumerate() {
            let b = w * (5 - r) as f64;
            *borda.entry((*item).to_owned()).or_default() += b;
            if c {
                *borda_c.entry((*item).to_owned()).or_default() += b;
            }
        }
        for m in a["member"].as_array().expect("a roster") {
            let m = m.as_object().expect("a member");
            if m["m_age"].as_f64().unwrap_or(0.0) >= 5.0 {
                persons += w;
                if derive::member_disability(m) == Some(true) {
                    disabled += w;
                }
            }
        }
    }
    let band = |name: &str, lo: f64, hi: f64| {
        let v = s.pct(name);
        assert!((lo..=hi).contains(&v), "{name}: {v:.1} % not in {lo}–{hi}");
    };
    band("piped_on_premises", 25.0, 35.0);
    band("basic_water", 78.0, 86.0);
    band("limited_water", 7.0, 15.0);
    band("unimproved_water", 4.0, 8.0);
    band("limited_sanitation", 30.0, 40.0);
    band("open_defecation", 3.5, 7.0);
    band("insecure", 28.0, 38.0);
    band("bribe", 10.0, 16.0);
    let gap = s.pct("basic_fhh") - s.pct("basic_mhh");
    assert!(
        (-9.0..=0.0).contains(&gap),
        "female-headed minus male-headed basic water: {gap:.1} pp"
    );
    let vendor = median(vendor_share) * 100.0;
    let piped = median(piped_share) * 100.0;
    assert!(
        (7.0..=16.0).contains(&vendor),
        "vendor users' median water share {vendor:.1} %"
    );
    assert!(
        (2.5..=6.5).contains(&(vendor / piped)),
        "vendor / piped median share: {vendor:.1} / {piped:.1}"
    );
    let top = |m: &BTreeMap<String, f64>| {
        m.iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, _)| k.clone())
            .expect("a ranking")
    };
    assert_eq!(top(&borda), "affordability", "city-wide: {borda:?}");
    assert_eq!(top(&borda_c), "tenure_security", "type C: {borda_c:?}");
    let prevalence = 100.0 * disabled / persons;
    assert!(
        (3.0..=6.0).contains(&prevalence),
        "disability among persons 5+: {prevalence:.1} %"
    );
}

#[test]
fn dirty_records_are_caught_by_the_validators() {
    let forms = demo::forms().expect("the built-in forms");
    let city = city();
    let dirty = demo::dirty(7, &city.households);
    let count = |k: Dirt| dirty.iter().filter(|d| d.0 == k).count();
    assert_eq!(count(Dirt::OutOfRange), 24, "1 % of 2,400");
    assert_eq!(count(Dirt::DuplicateId), 12);
    assert_eq!(count(Dirt::TwoHeads), 7);
    assert_eq!(count(Dirt::InconsistentSkip), 12);
    for (kind, id, answers) in &dirty {
        let issues = validate(&forms[0], answers, today());
        if *kind == Dirt::DuplicateId {
            assert!(
                issues.is_empty(),
                "{id}: a duplicate id is valid on its own"
            );
        } else {
            assert!(!issues.is_empty(), "{id} ({kind:?}) passed validation");
        }
    }
}

#[test]
fn dirty_records_pushed_through_sync_are_quarantined_or_kept_and_none_is_lost() {
    use baraza_schema::wire::{ItemStatus, PushRequest, QuarantineCode};
    use baraza_server::storage::{Db, Role};

    let dir = crate::support::TempDir::new("dirty");
    let db = Db::open(&dir.0.join("baraza.db")).expect("a database");
    baraza_server::admin::bootstrap(&db, Some("dirty-admin-pw".into())).expect("forms published");
    let user = db
        .create_user("ena", Role::Enumerator, "ena-password", None)
        .expect("an enumerator");
    let enrolled = db.enroll_device(user.id, None).expect("a device");
    let device = db.device(&enrolled.device_id).expect("the device");
    let forms = demo::forms().expect("the built-in forms");
    let city = city();
    let dirty: demo::Responses = demo::dirty(7, &city.households)
        .into_iter()
        .map(|(_, id, answers)| (id, answers))
        .collect();
    let mut seq = 0;
    let items = demo::push_items(&forms[0], &dirty, &mut seq);
    let reply = db
        .push(
            &device,
            &PushRequest {
                device_id: device.id.clone(),
                items,
                username: None,
                held_from: None,
            },
            today(),
        )
        .expect("the batch is answered");
    let kinds: Vec<Dirt> = demo::dirty(7, &city.households)
        .into_iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(reply.results.len(), kinds.len(), "an answer for every item");
    for (kind, r) in kinds.iter().zip(&reply.results) {
        if *kind == Dirt::DuplicateId {
            assert_eq!(r.status, ItemStatus::Stored, "a duplicate hh_id is kept");
        } else {
            assert_eq!(r.status, ItemStatus::Quarantined, "{kind:?}");
            assert_eq!(r.code, Some(QuarantineCode::InvalidAnswers), "{kind:?}");
        }
    }
    assert_eq!(
        reply.acked_through_seq,
        kinds.len() as u64,
        "quarantined items are acknowledged too: they are kept, not refused"
    );
}
