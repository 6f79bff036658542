//! The random draws and the parameters by settlement type (§5.2).

use rand::RngExt;
use rand::rngs::StdRng;

use crate::Kind;

/// Parameters by settlement type (§5.2), shares as fractions.
pub(crate) struct Params {
    pub(crate) hh_mean: f64,
    pub(crate) female_head: f64,
    pub(crate) income_median: f64,
    pub(crate) income_sigma: f64,
    /// owner_titled, owner_other_document, owner_no_document, tenant_written, tenant_verbal,
    /// rent_free_with_permission, occupying_without_permission, other.
    pub(crate) tenure: [f64; 8],
    pub(crate) insecure: f64,
    pub(crate) evicted: f64,
    /// Best to worst: piped dwelling, yard, neighbour, public tap or kiosk, tubewell or
    /// protected well, packaged, tanker, cart vendor, unprotected well, surface water.
    pub(crate) water: [f64; 10],
    /// Off-premises round trip: median minutes and lognormal sigma (median and % over 30).
    pub(crate) trip_median: f64,
    pub(crate) trip_sigma: f64,
    pub(crate) hours_median: f64,
    pub(crate) full_day: f64,
    /// flush_sewer, flush_septic, flush_open_drain, vip or pit_slab, pit_no_slab, bucket or
    /// hanging, no_facility or plastic_bag.
    pub(crate) sanitation: [f64; 7],
    pub(crate) shared: f64,
    pub(crate) waste: [f64; 5],
    pub(crate) electricity: [f64; 6],
    pub(crate) drainage: [f64; 4],
    pub(crate) transport: [f64; 4],
    pub(crate) bribe: f64,
    pub(crate) overcharged: f64,
    pub(crate) harass: f64,
    pub(crate) aware: f64,
    pub(crate) attended: f64,
    pub(crate) group: f64,
    pub(crate) no_id: f64,
    pub(crate) foreign: f64,
    pub(crate) municipal_kiosk: f64,
    /// Concern worths in the order of `CONCERNS`.
    pub(crate) concerns: [f64; 6],
    /// Matrix-scoring mean performance (F2).
    pub(crate) performance: f64,
}

pub(crate) const CONCERNS: [&str; 6] = [
    "affordability",
    "employment",
    "tenure_security",
    "accessibility",
    "exploitation",
    "lack_of_choice",
];

pub(crate) fn params(kind: Kind) -> Params {
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
pub(crate) struct Gen(pub(crate) StdRng);

impl Gen {
    pub(crate) fn p(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.0.random::<f64>()
    }

    pub(crate) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.0.random_range(lo..=hi)
    }

    /// A standard normal draw (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1: f64 = 1.0 - self.0.random::<f64>();
        let u2: f64 = self.0.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A Poisson draw (Knuth; the means here are small).
    pub(crate) fn poisson(&mut self, mean: f64) -> i64 {
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

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.0.random_range(0..items.len())]
    }

    /// An index drawn with the given (unnormalised) weights; `u` in [0, 1) when given.
    pub(crate) fn index(&mut self, weights: &[f64], u: Option<f64>) -> usize {
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

    pub(crate) fn weighted<'a>(&mut self, items: &[(&'a str, f64)]) -> &'a str {
        let weights: Vec<f64> = items.iter().map(|i| i.1).collect();
        items[self.index(&weights, None)].0
    }

    /// Each item independently with probability `p`.
    pub(crate) fn some<'a>(&mut self, items: &[&'a str], p: f64) -> Vec<&'a str> {
        items.iter().copied().filter(|_| self.p(p)).collect()
    }

    /// A Plackett–Luce ordering: choose repeatedly without replacement, each remaining item
    /// with probability proportional to its worth.
    pub(crate) fn plackett_luce<'a>(&mut self, items: &[(&'a str, f64)]) -> Vec<&'a str> {
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
pub(crate) fn phi(x: f64) -> f64 {
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

pub(crate) fn money(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
