//! Estimation kernels for the reports (DOMAIN.md §4.1), shared by the server and the client.
//!
//! Accumulators are plain sums (`n`, `Σw`, `Σw·y`), so per-stratum aggregates can be
//! updated when a response is stored and *un*-updated when a review state or a correction
//! changes what counts: a report then costs the number of its cells, not of its responses.
//! Every estimate carries its unweighted `n`, which disclosure control needs.

use serde::{Deserialize, Serialize};

/// The design weight of a household in stratum h: listed households N_h over completed
/// interviews n_h.
pub fn design_weight(listed_households: u64, completed: u64) -> Option<f64> {
    (completed > 0).then(|| listed_households as f64 / completed as f64)
}

/// A weighted proportion: `p = Σ w·y / Σ w` over the eligible denominator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ShareAcc {
    /// Unweighted cases in the denominator.
    pub n: u64,
    /// Unweighted cases with y = 1.
    pub n_yes: u64,
    pub w: f64,
    pub w_yes: f64,
}

impl ShareAcc {
    pub fn add(&mut self, weight: f64, yes: bool) {
        self.n += 1;
        self.w += weight;
        if yes {
            self.n_yes += 1;
            self.w_yes += weight;
        }
    }

    /// Takes back an `add` (a response rejected or corrected after it was counted).
    pub fn remove(&mut self, weight: f64, yes: bool) {
        self.n = self.n.saturating_sub(1);
        self.w -= weight;
        if yes {
            self.n_yes = self.n_yes.saturating_sub(1);
            self.w_yes -= weight;
        }
    }

    pub fn merge(&mut self, other: &ShareAcc) {
        self.n += other.n;
        self.n_yes += other.n_yes;
        self.w += other.w;
        self.w_yes += other.w_yes;
    }

    /// The share in [0, 1]; `None` with an empty denominator.
    pub fn share(&self) -> Option<f64> {
        (self.n > 0 && self.w > 0.0).then(|| (self.w_yes / self.w).clamp(0.0, 1.0))
    }
}

/// A weighted mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanAcc {
    pub n: u64,
    pub w: f64,
    pub wx: f64,
}

impl MeanAcc {
    pub fn add(&mut self, weight: f64, x: f64) {
        self.n += 1;
        self.w += weight;
        self.wx += weight * x;
    }

    pub fn merge(&mut self, other: &MeanAcc) {
        self.n += other.n;
        self.w += other.w;
        self.wx += other.wx;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0 && self.w > 0.0).then(|| self.wx / self.w)
    }
}

/// The weighted quantile: sort the values, accumulate the weights, and take the first value
/// whose cumulative weight reaches `q·Σw`. `values` are `(value, weight)`; non-finite values
/// and non-positive weights are ignored.
pub fn weighted_quantile(values: &[(f64, f64)], q: f64) -> Option<f64> {
    let mut v: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .filter(|(x, w)| x.is_finite() && *w > 0.0 && w.is_finite())
        .collect();
    if v.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|(_, w)| w).sum();
    let target = q * total;
    let mut cum = 0.0;
    for (x, w) in &v {
        cum += w;
        // A tiny tolerance so that exact halves are not lost to rounding.
        if cum >= target - total * 1e-12 {
            return Some(*x);
        }
    }
    v.last().map(|(x, _)| *x)
}

/// Borda points of one ranking over `items` (k of them): the item in position r (from 1)
/// scores k − r; items the respondent did not rank share the remaining points equally.
/// Codes not among `items`, and repeats, are ignored.
pub fn borda_points(ranking: &[&str], items: &[&str]) -> Vec<f64> {
    let k = items.len();
    let mut points = vec![f64::NAN; k];
    let mut r = 0;
    for code in ranking {
        if let Some(j) = items.iter().position(|i| i == code)
            && points[j].is_nan()
        {
            r += 1;
            points[j] = (k - r) as f64;
        }
    }
    let m = r;
    if m < k {
        // Σ_{r=m+1..k} (k − r) shared by the k − m unranked items.
        let rest: usize = (m + 1..=k).map(|r| k - r).sum();
        let each = rest as f64 / (k - m) as f64;
        points
            .iter_mut()
            .filter(|p| p.is_nan())
            .for_each(|p| *p = each);
    }
    points
}

/// Weighted Borda aggregation with the shares that must be published beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BordaAcc {
    pub n: u64,
    pub w: f64,
    pub w_points: Vec<f64>,
    pub w_first: Vec<f64>,
    pub w_top3: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BordaResult {
    pub n: u64,
    /// Mean Borda score per item, 0 to k − 1.
    pub mean: Vec<f64>,
    /// 100 · mean / (k − 1).
    pub normalised: Vec<f64>,
    /// Weighted share ranking the item first.
    pub first_share: Vec<f64>,
    /// Weighted share ranking the item in the top three.
    pub top3_share: Vec<f64>,
}

impl BordaAcc {
    pub fn new(k: usize) -> BordaAcc {
        BordaAcc {
            n: 0,
            w: 0.0,
            w_points: vec![0.0; k],
            w_first: vec![0.0; k],
            w_top3: vec![0.0; k],
        }
    }

    /// Adds one respondent's ranking (an empty ranking is not a respondent and is skipped).
    pub fn add(&mut self, weight: f64, ranking: &[&str], items: &[&str]) {
        let ranked: Vec<usize> = {
            let mut seen = Vec::new();
            for code in ranking {
                if let Some(j) = items.iter().position(|i| i == code)
                    && !seen.contains(&j)
                {
                    seen.push(j);
                }
            }
            seen
        };
        if ranked.is_empty() || items.len() != self.w_points.len() {
            return;
        }
        self.n += 1;
        self.w += weight;
        for (j, p) in borda_points(ranking, items).into_iter().enumerate() {
            self.w_points[j] += weight * p;
        }
        self.w_first[ranked[0]] += weight;
        for &j in ranked.iter().take(3) {
            self.w_top3[j] += weight;
        }
    }

    pub fn result(&self) -> Option<BordaResult> {
        if self.n == 0 || self.w <= 0.0 {
            return None;
        }
        let k = self.w_points.len();
        let mean: Vec<f64> = self.w_points.iter().map(|p| p / self.w).collect();
        let span = (k.max(2) - 1) as f64;
        Some(BordaResult {
            n: self.n,
            normalised: mean.iter().map(|b| 100.0 * b / span).collect(),
            mean,
            first_share: self.w_first.iter().map(|x| x / self.w).collect(),
            top3_share: self.w_top3.iter().map(|x| x / self.w).collect(),
        })
    }
}

/// The outcome of one focus-group pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairWinner {
    A,
    B,
    Tie,
}

/// Win scores `W_j = wins_j + 0.5·ties_j` (0 to k − 1) from pairs `(a, b, winner)` given as
/// item indices below `k`.
pub fn win_scores(k: usize, pairs: &[(usize, usize, PairWinner)]) -> Vec<f64> {
    let mut w = vec![0.0; k];
    for &(a, b, winner) in pairs.iter().filter(|(a, b, _)| *a < k && *b < k && a != b) {
        match winner {
            PairWinner::A => w[a] += 1.0,
            PairWinner::B => w[b] += 1.0,
            PairWinner::Tie => {
                w[a] += 0.5;
                w[b] += 0.5;
            }
        }
    }
    w
}

/// Circular (intransitive) triads: triples where the strict preferences go round in a cycle
/// (i beats j, j beats l, l beats i). Ties never complete a cycle. For k = 6 there are 20
/// triads in all; more than 3 circular ones flags the group's ranking.
pub fn circular_triads(k: usize, pairs: &[(usize, usize, PairWinner)]) -> u32 {
    let mut beats = vec![vec![false; k]; k];
    for &(a, b, winner) in pairs.iter().filter(|(a, b, _)| *a < k && *b < k && a != b) {
        match winner {
            PairWinner::A => beats[a][b] = true,
            PairWinner::B => beats[b][a] = true,
            PairWinner::Tie => {}
        }
    }
    let mut cycles = 0;
    for i in 0..k {
        for j in i + 1..k {
            for l in j + 1..k {
                let forward = beats[i][j] && beats[j][l] && beats[l][i];
                let backward = beats[j][i] && beats[l][j] && beats[i][l];
                if forward || backward {
                    cycles += 1;
                }
            }
        }
    }
    cycles
}

/// Matrix-scoring need index for one service in one group: importance × (5 − mean
/// performance), on a 0–25 scale. `None` without any performance score.
pub fn need_index(importance: f64, performances: &[f64]) -> Option<f64> {
    let scores: Vec<f64> = performances
        .iter()
        .copied()
        .filter(|p| p.is_finite())
        .collect();
    if scores.is_empty() || !importance.is_finite() {
        return None;
    }
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    Some((importance * (5.0 - mean)).clamp(0.0, 25.0))
}

/// Ranks from 1, ties sharing their mean rank.
fn mean_ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|a, b| xs[*a].total_cmp(&xs[*b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for k in &order[i..=j] {
            ranks[*k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation of paired values: Pearson's correlation of their ranks, ties
/// at their mean rank. `None` for fewer than two pairs or a constant side.
pub fn spearman(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let a = mean_ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let b = mean_ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONCERNS: [&str; 6] = [
        "lack_of_choice",
        "affordability",
        "accessibility",
        "exploitation",
        "tenure_security",
        "employment",
    ];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn design_weights_are_listed_over_completed() {
        assert_eq!(
            design_weight(3800, 120).map(|w| (w * 10.0).round() / 10.0),
            Some(31.7)
        );
        assert_eq!(design_weight(100, 0), None);
    }

    #[test]
    fn weighted_shares_merge_and_can_be_taken_back() {
        let mut a = ShareAcc::default();
        a.add(30.0, true);
        a.add(10.0, false);
        assert_eq!(a.share(), Some(0.75));
        let mut b = ShareAcc::default();
        b.add(20.0, true);
        a.merge(&b);
        assert!(close(a.share().unwrap_or(0.0), 50.0 / 60.0));
        a.remove(20.0, true);
        assert_eq!(a.share(), Some(0.75));
        assert_eq!((a.n, a.n_yes), (2, 1));
        assert_eq!(ShareAcc::default().share(), None);
    }

    #[test]
    fn the_weighted_quantile_is_the_first_value_reaching_the_cumulative_weight() {
        let v = [(10.0, 1.0), (20.0, 1.0), (30.0, 1.0), (40.0, 1.0)];
        assert_eq!(weighted_quantile(&v, 0.5), Some(20.0));
        assert_eq!(weighted_quantile(&v, 0.25), Some(10.0));
        assert_eq!(weighted_quantile(&v, 0.75), Some(30.0));
        // A heavy weight pulls the median.
        assert_eq!(
            weighted_quantile(&[(1.0, 10.0), (100.0, 1.0), (50.0, 1.0)], 0.5),
            Some(1.0)
        );
        assert_eq!(weighted_quantile(&[], 0.5), None);
        assert_eq!(weighted_quantile(&[(f64::NAN, 1.0), (5.0, 0.0)], 0.5), None);
    }

    #[test]
    fn borda_points_give_k_minus_r_and_share_what_is_left_among_unranked_items() {
        let full = borda_points(&CONCERNS, &CONCERNS);
        assert_eq!(full, [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
        // Top-2 only: the four unranked share 3+2+1+0 = 6 points, 1.5 each.
        let partial = borda_points(&["exploitation", "employment"], &CONCERNS);
        assert_eq!(partial, [1.5, 1.5, 1.5, 5.0, 1.5, 4.0]);
        assert!(
            close(partial.iter().sum(), 15.0),
            "every ranking totals k(k−1)/2"
        );
        let junk = borda_points(&["employment", "nonsense", "employment"], &CONCERNS);
        assert!(close(junk.iter().sum(), 15.0));
        assert_eq!(junk[5], 5.0);
    }

    #[test]
    fn weighted_borda_means_sum_to_fifteen_with_first_and_top3_shares() {
        let mut acc = BordaAcc::new(6);
        acc.add(3.0, &CONCERNS, &CONCERNS);
        acc.add(
            1.0,
            &["employment", "exploitation", "affordability"],
            &CONCERNS,
        );
        acc.add(5.0, &[], &CONCERNS);
        let r = acc.result().expect("two respondents");
        assert_eq!(r.n, 2, "an empty ranking is not a respondent");
        assert!(close(r.mean.iter().sum(), 15.0));
        assert!(close(r.first_share[0], 0.75) && close(r.first_share[5], 0.25));
        assert!(
            close(r.top3_share[1], 1.0),
            "affordability is in everyone's top three"
        );
        assert!(close(r.normalised[0], 100.0 * r.mean[0] / 5.0));
    }

    #[test]
    fn win_scores_count_ties_as_half_and_circular_triads_are_found() {
        use PairWinner::*;
        // 0 > 1, 1 > 2, 2 > 0: one cycle; 3 ties with 0.
        let pairs = [(0, 1, A), (1, 2, A), (2, 0, A), (0, 3, Tie)];
        assert_eq!(win_scores(4, &pairs), [1.5, 1.0, 1.0, 0.5]);
        assert_eq!(circular_triads(4, &pairs), 1);
        // A transitive complete tournament on 6 items has no cycle and scores 5..0.
        let mut all = Vec::new();
        for i in 0..6 {
            for j in i + 1..6 {
                all.push((i, j, A));
            }
        }
        assert_eq!(win_scores(6, &all), [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
        assert_eq!(circular_triads(6, &all), 0);
        assert!(close(win_scores(6, &all).iter().sum(), 15.0));
    }

    #[test]
    fn the_need_index_is_importance_times_the_performance_shortfall() {
        assert_eq!(need_index(5.0, &[1.0, 2.0, 3.0]), Some(15.0));
        assert_eq!(need_index(5.0, &[0.0; 6]), Some(25.0));
        assert_eq!(need_index(0.0, &[0.0]), Some(0.0));
        assert_eq!(need_index(3.0, &[]), None);
    }

    #[test]
    fn spearman_correlates_ranks_with_ties_at_their_mean_rank() {
        let same = [(1.0, 10.0), (2.0, 20.0), (3.0, 30.0)];
        assert_eq!(spearman(&same), Some(1.0));
        let reversed = [(1.0, 30.0), (2.0, 20.0), (3.0, 10.0)];
        assert_eq!(spearman(&reversed), Some(-1.0));
        // Ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): ρ = 4.5 / √(4.5 · 5) ≈ 0.949.
        let tied = [(1.0, 1.0), (2.0, 2.0), (2.0, 3.0), (5.0, 4.0)];
        let rho = spearman(&tied).expect("a correlation");
        assert!((rho - 0.9487).abs() < 1e-4, "{rho}");
        assert_eq!(spearman(&[(1.0, 1.0), (1.0, 2.0)]), None, "a constant side");
    }
}
