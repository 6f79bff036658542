//! The demo city of DOMAIN.md §5: 20 settlements of four types, 2,400 F1 household
//! interviews, 91 F2 focus groups, 359 F3 actors and 30 F4 stakeholders, generated from a
//! seed with the parameters of §5.2–§5.5 and the correlations of §5.4, then pushed through
//! the real sync path (`Db::push`) by an enrolled demo device. `dirty` makes the "dirty"
//! variants of §5.3 for the validators.
//!
//! Every clean response is valid against the built-in forms: the generator answers
//! liberally and `schema::prune` then drops what the form's skips make irrelevant, exactly
//! as the client does before finalizing.

use baraza_schema::wire::{self, PushItem, PushRequest};
use baraza_schema::{Date, Form};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value, json};

use crate::storage::{Db, Role};

/// The four settlement types of §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Formal low-income, planned and titled.
    A,
    /// Consolidated informal settlement.
    B,
    /// New informal, peri-urban squatter settlement.
    C,
    /// Inner-city rental tenements.
    D,
}

/// One settlement of the frame (§5.1).
#[derive(Debug, Clone, Copy)]
pub struct Site {
    pub code: &'static str,
    pub kind: Kind,
    pub status: &'static str,
    pub households: u32,
    pub focus_groups: u32,
    pub actors: u32,
}

const fn site(
    code: &'static str,
    kind: Kind,
    status: &'static str,
    households: u32,
    focus_groups: u32,
    actors: u32,
) -> Site {
    Site {
        code,
        kind,
        status,
        households,
        focus_groups,
        actors,
    }
}

/// The city frame; `admin::DEMO_SETTLEMENTS` is the same frame as a CSV.
pub const SITES: [Site; 20] = [
    site("s01", Kind::A, "recognised_planned", 3800, 4, 20),
    site("s02", Kind::A, "recognised_planned", 3200, 4, 18),
    site("s03", Kind::A, "recognised_planned", 2600, 4, 15),
    site("s04", Kind::A, "recognised_planned", 2900, 4, 16),
    site("s05", Kind::A, "recognised_planned", 2500, 4, 14),
    site("s06", Kind::B, "recognised_informal", 4500, 5, 35),
    site("s07", Kind::B, "regularisation_in_progress", 3600, 5, 30),
    site("s08", Kind::B, "recognised_informal", 3000, 5, 26),
    site("s09", Kind::B, "unrecognised", 2700, 5, 24),
    site("s10", Kind::B, "recognised_informal", 2300, 5, 20),
    site("s11", Kind::B, "unrecognised", 1400, 5, 14),
    site("s12", Kind::C, "unrecognised", 2800, 5, 18),
    site("s13", Kind::C, "under_eviction_notice", 2200, 5, 14),
    site("s14", Kind::C, "unrecognised", 1700, 5, 12),
    site("s15", Kind::C, "regularisation_in_progress", 1300, 5, 10),
    site("s16", Kind::C, "unrecognised", 1000, 5, 8),
    site("s17", Kind::D, "recognised_planned", 3000, 4, 22),
    site("s18", Kind::D, "recognised_planned", 2400, 4, 18),
    site("s19", Kind::D, "recognised_informal", 1900, 4, 15),
    site("s20", Kind::D, "recognised_informal", 1200, 4, 10),
];

/// Completed F1 interviews per settlement (equal allocation, so weights differ).
pub const SAMPLE_PER_SETTLEMENT: u32 = 120;

/// The utility water tariff T, in USD-equivalent per m³ (§5, illustrative).
const TARIFF_M3: f64 = 0.40;

/// Parameters by settlement type (§5.2), shares as fractions.
struct Params {
    hh_mean: f64,
    female_head: f64,
    income_median: f64,
    income_sigma: f64,
    /// owner_titled, owner_other_document, owner_no_document, tenant_written, tenant_verbal,
    /// rent_free_with_permission, occupying_without_permission, other.
    tenure: [f64; 8],
    insecure: f64,
    evicted: f64,
    /// Best to worst: piped dwelling, yard, neighbour, public tap or kiosk, tubewell or
    /// protected well, packaged, tanker, cart vendor, unprotected well, surface water.
    water: [f64; 10],
    /// Off-premises round trip: median minutes and lognormal sigma (median and % over 30).
    trip_median: f64,
    trip_sigma: f64,
    hours_median: f64,
    full_day: f64,
    /// flush_sewer, flush_septic, flush_open_drain, vip or pit_slab, pit_no_slab, bucket or
    /// hanging, no_facility or plastic_bag.
    sanitation: [f64; 7],
    shared: f64,
    waste: [f64; 5],
    electricity: [f64; 6],
    drainage: [f64; 4],
    transport: [f64; 4],
    bribe: f64,
    overcharged: f64,
    harass: f64,
    aware: f64,
    attended: f64,
    group: f64,
    no_id: f64,
    foreign: f64,
    municipal_kiosk: f64,
    /// Concern worths in the order of `CONCERNS`.
    concerns: [f64; 6],
    /// Matrix-scoring mean performance (F2).
    performance: f64,
}

const CONCERNS: [&str; 6] = [
    "affordability",
    "employment",
    "tenure_security",
    "accessibility",
    "exploitation",
    "lack_of_choice",
];

fn params(kind: Kind) -> Params {
    match kind {
        Kind::A => Params {
            hh_mean: 4.6,
            female_head: 0.22,
            income_median: 260.0,
            income_sigma: 0.65,
            tenure: [50., 15., 3., 15., 12., 4., 0., 1.],
            insecure: 0.12,
            evicted: 0.03,
            water: [30., 30., 8., 20., 5., 2., 1., 3., 1., 0.],
            trip_median: 10.0,
            trip_sigma: 0.78,
            hours_median: 8.0,
            full_day: 0.15,
            sanitation: [30., 25., 2., 34., 8., 0.5, 0.5],
            shared: 0.25,
            waste: [45., 20., 20., 10., 5.],
            electricity: [70., 12., 8., 3., 2., 5.],
            drainage: [30., 35., 25., 10.],
            transport: [60., 30., 10., 0.],
            bribe: 0.08,
            overcharged: 0.12,
            harass: 0.04,
            aware: 0.25,
            attended: 0.10,
            group: 0.35,
            no_id: 0.03,
            foreign: 0.02,
            municipal_kiosk: 0.70,
            concerns: [0.30, 0.25, 0.08, 0.15, 0.10, 0.12],
            performance: 3.0,
        },
        Kind::B => Params {
            hh_mean: 4.0,
            female_head: 0.30,
            income_median: 150.0,
            income_sigma: 0.70,
            tenure: [5., 10., 15., 10., 50., 5., 3., 2.],
            insecure: 0.35,
            evicted: 0.10,
            water: [3., 12., 10., 50., 0., 3., 2., 15., 4., 1.],
            trip_median: 15.0,
            trip_sigma: 0.67,
            hours_median: 4.0,
            full_day: 0.05,
            sanitation: [8., 7., 8., 40., 27., 4., 6.],
            shared: 0.70,
            waste: [10., 35., 20., 10., 25.],
            electricity: [25., 30., 25., 4., 4., 12.],
            drainage: [5., 20., 45., 30.],
            transport: [35., 45., 20., 0.],
            bribe: 0.15,
            overcharged: 0.30,
            harass: 0.10,
            aware: 0.18,
            attended: 0.07,
            group: 0.45,
            no_id: 0.08,
            foreign: 0.06,
            municipal_kiosk: 0.50,
            concerns: [0.32, 0.22, 0.18, 0.12, 0.10, 0.06],
            performance: 2.0,
        },
        Kind::C => Params {
            hh_mean: 4.8,
            female_head: 0.28,
            income_median: 110.0,
            income_sigma: 0.75,
            tenure: [0., 3., 45., 2., 20., 5., 25., 0.],
            insecure: 0.55,
            evicted: 0.25,
            water: [0., 3., 5., 25., 8., 3., 8., 30., 12., 6.],
            trip_median: 28.0,
            trip_sigma: 0.55,
            hours_median: 3.0,
            full_day: 0.0,
            sanitation: [0., 2., 2., 28., 48., 5., 15.],
            shared: 0.50,
            waste: [3., 12., 10., 35., 40.],
            electricity: [10., 5., 30., 5., 20., 30.],
            drainage: [0., 5., 25., 70.],
            transport: [10., 40., 45., 5.],
            bribe: 0.18,
            overcharged: 0.35,
            harass: 0.12,
            aware: 0.10,
            attended: 0.04,
            group: 0.30,
            no_id: 0.15,
            foreign: 0.10,
            municipal_kiosk: 0.40,
            concerns: [0.22, 0.14, 0.30, 0.22, 0.07, 0.05],
            performance: 1.3,
        },
        Kind::D => Params {
            hh_mean: 3.2,
            female_head: 0.35,
            income_median: 170.0,
            income_sigma: 0.65,
            tenure: [3., 2., 0., 35., 55., 5., 0., 0.],
            insecure: 0.40,
            evicted: 0.12,
            water: [5., 35., 0., 35., 0., 8., 0., 15., 2., 0.],
            trip_median: 10.0,
            trip_sigma: 0.67,
            hours_median: 6.0,
            full_day: 0.10,
            sanitation: [35., 20., 5., 30., 5., 2., 3.],
            shared: 0.85,
            waste: [10., 30., 40., 0., 20.],
            electricity: [15., 60., 20., 0., 2., 3.],
            drainage: [40., 40., 15., 5.],
            transport: [75., 20., 5., 0.],
            bribe: 0.10,
            overcharged: 0.35,
            harass: 0.08,
            aware: 0.12,
            attended: 0.04,
            group: 0.25,
            no_id: 0.10,
            foreign: 0.12,
            municipal_kiosk: 0.50,
            concerns: [0.30, 0.18, 0.18, 0.05, 0.20, 0.09],
            performance: 2.2,
        },
    }
}

/// A seeded random source with the few distributions the generator needs.
struct Gen(StdRng);

impl Gen {
    fn p(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.0.random::<f64>()
    }

    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.0.random_range(lo..=hi)
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1: f64 = 1.0 - self.0.random::<f64>();
        let u2: f64 = self.0.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A Poisson draw (Knuth; the means here are small).
    fn poisson(&mut self, mean: f64) -> i64 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, 1.0);
        loop {
            p *= self.0.random::<f64>();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.0.random_range(0..items.len())]
    }

    /// An index drawn with the given (unnormalised) weights; `u` in [0, 1) when given.
    fn index(&mut self, weights: &[f64], u: Option<f64>) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = u.unwrap_or_else(|| self.0.random::<f64>()) * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }

    fn weighted<'a>(&mut self, items: &[(&'a str, f64)]) -> &'a str {
        let weights: Vec<f64> = items.iter().map(|i| i.1).collect();
        items[self.index(&weights, None)].0
    }

    /// Each item independently with probability `p`.
    fn some<'a>(&mut self, items: &[&'a str], p: f64) -> Vec<&'a str> {
        items.iter().copied().filter(|_| self.p(p)).collect()
    }

    /// A Plackett–Luce ordering: choose repeatedly without replacement, each remaining item
    /// with probability proportional to its worth.
    fn plackett_luce<'a>(&mut self, items: &[(&'a str, f64)]) -> Vec<&'a str> {
        let mut left = items.to_vec();
        let mut out = Vec::with_capacity(items.len());
        while !left.is_empty() {
            let weights: Vec<f64> = left.iter().map(|i| i.1).collect();
            out.push(left.remove(self.index(&weights, None)).0);
        }
        out
    }
}

/// The standard normal distribution function (Abramowitz & Stegun 7.1.26, error < 1.5e-7).
fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

fn money(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Generated responses of one form, as (response id, answers).
pub type Responses = Vec<(String, Value)>;

/// The generated city.
pub struct City {
    pub households: Responses,
    pub focus_groups: Responses,
    pub actors: Responses,
    pub stakeholders: Responses,
}

/// The built-in forms the city answers, in F1–F4 order.
pub fn forms() -> Result<[Form; 4], String> {
    let load = |name: &str| -> Result<Form, String> {
        let import = crate::builtin::load(name)
            .ok_or_else(|| format!("missing built-in form {name}"))?
            .map_err(|e| e.to_string())?;
        Ok(import.form)
    };
    Ok([
        load("f1_household")?,
        load("f2_focus_group")?,
        load("f3_service_actors")?,
        load("f4_municipal_stakeholders")?,
    ])
}

/// Generates the city with `seed`; interview dates fall in the 60 days before `today`.
pub fn city(seed: u64, forms: &[Form; 4], today: Date) -> City {
    let mut g = Gen(StdRng::seed_from_u64(seed));
    let mut households = Vec::new();
    let mut focus_groups = Vec::new();
    let mut actors = Vec::new();
    let mut actor_no = 0;
    for site in &SITES {
        for i in 1..=SAMPLE_PER_SETTLEMENT {
            let answers = household(&mut g, site, i, today);
            households.push((
                format!("demo-f1-{}-{i:04}", site.code),
                baraza_schema::prune(&forms[0], &answers, today),
            ));
        }
        for i in 1..=site.focus_groups {
            let answers = focus_group(&mut g, site, i, today);
            focus_groups.push((
                format!("demo-f2-{}-{i:02}", site.code),
                baraza_schema::prune(&forms[1], &answers, today),
            ));
        }
        for _ in 0..site.actors {
            actor_no += 1;
            let answers = actor(&mut g, site, actor_no, today);
            actors.push((
                format!("demo-f3-{actor_no:04}"),
                baraza_schema::prune(&forms[2], &answers, today),
            ));
        }
    }
    let stakeholders = (1..=30)
        .map(|i| {
            let answers = stakeholder(&mut g, i, today);
            (
                format!("demo-f4-{i:03}"),
                baraza_schema::prune(&forms[3], &answers, today),
            )
        })
        .collect();
    City {
        households,
        focus_groups,
        actors,
        stakeholders,
    }
}

fn date_before(g: &mut Gen, today: Date, max_days: i64) -> String {
    Date::from_days(today.days() - g.int(0, max_days)).to_string()
}

/// The metadata a device fills for interview `n` held on `date` by `enumerator`: a start
/// between 08:00 and 15:59 (UTC+3) lasting `minutes`. Nothing is drawn from the generator,
/// so every other answer of the city stays as it was.
fn stamp(a: &mut Map<String, Value>, key: &str, n: u32, minutes: u32, enumerator: &str) {
    let date = a[key].as_str().unwrap_or_default().to_owned();
    let start = 8 * 60 + (n * 37) % 480;
    let at = |m: u32| format!("{date}T{:02}:{:02}:00+03:00", m / 60, m % 60);
    a.insert("start".into(), json!(at(start)));
    a.insert("end".into(), json!(at(start + minutes)));
    a.insert("today".into(), json!(date));
    a.insert("deviceid".into(), json!("demo-device"));
    if !enumerator.is_empty() {
        a.insert(enumerator.into(), json!(format!("E{:02}", n % 20 + 1)));
    }
}

struct Member {
    rel: &'static str,
    sex: &'static str,
    age: i64,
}

/// The household roster: a head, a spouse in 70 % of male-headed and 15 % of female-headed
/// households, and others with the age structure of §5.3.
fn roster(g: &mut Gen, size: i64, female_head: bool) -> Vec<Member> {
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
fn member_answers(g: &mut Gen, m: &Member, label: usize) -> (Value, bool) {
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
struct Row {
    code: &'static str,
    level: Option<&'static str>,
    has: Option<bool>,
    provider: &'static str,
    landlord: bool,
    cost: Option<f64>,
    unit: Option<(f64, &'static str)>,
}

#[allow(clippy::too_many_lines)]
fn household(g: &mut Gen, site: &Site, i: u32, today: Date) -> Value {
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

const FG_TYPES_AD: [&str; 4] = ["women", "men", "young_women", "renters"];
const FG_TYPES_BC: [&str; 5] = ["women", "men", "young_men", "renters", "persons_disability"];

/// The 15 pairs of the form's pairwise-ranking preset, in order.
const PAIRS: [(&str, &str); 15] = [
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

fn focus_group(g: &mut Gen, site: &Site, i: u32, today: Date) -> Value {
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

fn actor(g: &mut Gen, site: &Site, n: u32, today: Date) -> Value {
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

fn stakeholder(g: &mut Gen, n: u32, today: Date) -> Value {
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

/// What `load` put in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub stored: usize,
    pub quarantined: usize,
}

/// The demo device's push items for one form's responses, in device order from `seq`.
pub fn push_items(form: &Form, responses: &Responses, seq: &mut u64) -> Vec<PushItem> {
    let (id, version) = (&form.settings.form_id, &form.settings.version);
    responses
        .iter()
        .map(|(response_id, answers)| {
            *seq += 1;
            let payload = answers.to_string();
            PushItem {
                device_seq: *seq,
                response_id: response_id.clone(),
                rev: wire::rev(None, id, version, payload.as_bytes()),
                parent_rev: None,
                form_id: id.clone(),
                form_version: version.clone(),
                content_hash: wire::content_hash(payload.as_bytes()),
                payload,
                saved_at: None,
            }
        })
        .collect()
}

/// Fills a fresh database with the demo city: the settlement frame, one account per role
/// with `password` (the supervisor covers every settlement), a device enrolled for the
/// enumerator, and every generated response pushed through `Db::push` in batches.
pub fn load(db: &Db, seed: u64, password: &str, today: Date) -> Result<Loaded, String> {
    let err = |e: crate::storage::StoreError| e.to_string();
    if db.user_count().map_err(err)? > 0 {
        return Err("the demo needs a fresh data folder: this one already has accounts".into());
    }
    crate::admin::bootstrap(db, Some(password.to_owned()))?;
    let frame = crate::admin::parse_settlements(crate::admin::DEMO_SETTLEMENTS)?;
    db.import_settlements(&frame, None).map_err(err)?;
    let mut enumerator = None;
    for (name, role) in [
        ("supervisor", Role::Supervisor),
        ("planner", Role::Planner),
        ("enumerator", Role::Enumerator),
    ] {
        let user = db.create_user(name, role, password, None).map_err(err)?;
        match role {
            Role::Supervisor => {
                let all: Vec<String> = SITES.iter().map(|s| s.code.to_owned()).collect();
                db.assign_settlements(user.id, &all, None).map_err(err)?;
            }
            Role::Enumerator => enumerator = Some(user.id),
            _ => {}
        }
    }
    let enrolled = db
        .enroll_device(enumerator.ok_or("no enumerator account")?)
        .map_err(err)?;
    let device = db.device(&enrolled.device_id).map_err(err)?;
    let forms = forms()?;
    let city = city(seed, &forms, today);
    let mut seq = 0;
    let mut items = Vec::new();
    for (form, responses) in forms.iter().zip([
        &city.households,
        &city.focus_groups,
        &city.actors,
        &city.stakeholders,
    ]) {
        items.extend(push_items(form, responses, &mut seq));
    }
    let mut loaded = Loaded::default();
    for batch in items.chunks(crate::storage::MAX_BATCH_ITEMS) {
        let reply = db
            .push(
                &device,
                &PushRequest {
                    device_id: device.id.clone(),
                    items: batch.to_vec(),
                },
                today,
            )
            .map_err(err)?;
        for r in &reply.results {
            match r.status {
                wire::ItemStatus::Quarantined => loaded.quarantined += 1,
                wire::ItemStatus::Retry => {
                    return Err(format!("the server asked to retry item {}", r.device_seq));
                }
                _ => loaded.stored += 1,
            }
        }
    }
    // The fieldwork is in: the city-wide reference values can be set (`by=q`, price ratios).
    db.refresh_reference_values(None).map_err(err)?;
    Ok(loaded)
}

/// Whether `load` already filled this database (its planner account exists).
pub fn is_loaded(db: &Db) -> Result<bool, String> {
    let users = db.users().map_err(|e| e.to_string())?;
    if users.is_empty() {
        return Ok(false);
    }
    if users
        .iter()
        .any(|u| u.username == "planner" && u.role == Role::Planner)
    {
        return Ok(true);
    }
    Err("the demo needs a fresh data folder: this one already has other accounts".into())
}
