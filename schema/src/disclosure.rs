//! Disclosure control and reliability for published tables (DOMAIN.md §4.3). On by default,
//! and not something a planner can switch off: the server applies it to every report cell.

use serde::{Deserialize, Serialize};

/// Whether an estimate may be shown, from its unweighted base n.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Reliability {
    Ok,
    /// 25 ≤ n < 50: shown in parentheses, "interpret with caution".
    Caution,
    /// n < 25: shown as `*`.
    Suppressed,
}

/// The smallest base an estimate is published on.
pub const MIN_BASE: u64 = 25;

pub fn reliability(n: u64) -> Reliability {
    match n {
        0..=24 => Reliability::Suppressed,
        25..=49 => Reliability::Caution,
        _ => Reliability::Ok,
    }
}

/// Why a count cell is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    /// A count of 1–4 (1–9 for sensitive items).
    SmallCount,
    /// Hidden so that a small count cannot be recovered from the margins.
    Secondary,
}

/// Whether an item is about a sensitive variable whatever report it is in (DOMAIN.md §4.3
/// rule 3: bribes, harassment, disability, eviction, discrimination, refusing to say
/// whether one has an ID or is registered to vote), by the words its name carries.
pub fn sensitive_item(item: &str) -> bool {
    const WORDS: [&str; 7] = [
        "bribe",
        "harass",
        "disab",
        "evict",
        "discriminat",
        "id_document_refused",
        "voter_registration_refused",
    ];
    WORDS.iter().any(|w| item.contains(w))
}

/// The primary threshold: counts below it (but above zero) are hidden.
pub fn threshold(sensitive: bool) -> u64 {
    if sensitive { 10 } else { 5 }
}

/// Suppression marks for a table of unweighted counts (rows × columns, with published row
/// and column totals). Primary: non-zero counts below the threshold (true zeros may show).
/// Secondary, repeated until stable: a row or column with exactly one hidden cell also hides
/// its smallest remaining non-zero cell (or, lacking one, its smallest remaining cell), so
/// that no hidden cell equals a margin minus the visible cells.
pub fn suppress(counts: &[Vec<u64>], sensitive: bool) -> Vec<Vec<Option<Suppression>>> {
    let t = threshold(sensitive);
    let mut marks: Vec<Vec<Option<Suppression>>> = counts
        .iter()
        .map(|row| {
            row.iter()
                .map(|&c| (c > 0 && c < t).then_some(Suppression::SmallCount))
                .collect()
        })
        .collect();
    let rows = counts.len();
    let cols = counts.iter().map(Vec::len).max().unwrap_or(0);
    let cell = |r: usize, c: usize| counts.get(r).and_then(|row| row.get(c)).copied();
    loop {
        let mut changed = false;
        let mut lines: Vec<Vec<(usize, usize)>> = (0..rows)
            .map(|r| (0..counts[r].len()).map(|c| (r, c)).collect())
            .collect();
        lines.extend((0..cols).map(|c| {
            (0..rows)
                .filter(|&r| c < counts[r].len())
                .map(|r| (r, c))
                .collect()
        }));
        for line in lines {
            let hidden = line.iter().filter(|&&(r, c)| marks[r][c].is_some()).count();
            if hidden != 1 {
                continue;
            }
            let visible = line.iter().filter(|&&(r, c)| marks[r][c].is_none());
            let pick = visible
                .clone()
                .filter(|&&(r, c)| cell(r, c).unwrap_or(0) > 0)
                .min_by_key(|&&(r, c)| cell(r, c).unwrap_or(0))
                .or_else(|| visible.min_by_key(|&&(r, c)| cell(r, c).unwrap_or(0)));
            if let Some(&(r, c)) = pick {
                marks[r][c] = Some(Suppression::Secondary);
                changed = true;
            }
        }
        if !changed {
            return marks;
        }
    }
}

/// Weighted counts are published rounded to the nearest 10.
pub fn round_count(weighted: f64) -> f64 {
    (weighted / 10.0).round() * 10.0
}

/// Percentages are published as whole numbers, or with one decimal for city headlines.
pub fn round_percent(share: f64, one_decimal: bool) -> f64 {
    let p = share * 100.0;
    if one_decimal {
        (p * 10.0).round() / 10.0
    } else {
        p.round()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Option<Suppression> = Some(Suppression::SmallCount);
    const X: Option<Suppression> = Some(Suppression::Secondary);

    #[test]
    fn estimates_need_twenty_five_cases_and_fifty_for_full_confidence() {
        assert_eq!(reliability(0), Reliability::Suppressed);
        assert_eq!(reliability(24), Reliability::Suppressed);
        assert_eq!(reliability(25), Reliability::Caution);
        assert_eq!(reliability(49), Reliability::Caution);
        assert_eq!(reliability(50), Reliability::Ok);
    }

    #[test]
    fn small_counts_are_hidden_and_true_zeros_are_shown() {
        assert_eq!(suppress(&[vec![0, 4, 5]], false)[0][..2], [None, S]);
        // Sensitive: 9 is hidden; each row then hides its smallest other non-zero cell (10),
        // never the true zero.
        assert_eq!(
            suppress(&[vec![9, 10, 0, 30], vec![9, 10, 0, 30]], true),
            vec![vec![S, X, None, None], vec![S, X, None, None]]
        );
    }

    #[test]
    fn a_lone_hidden_cell_in_a_row_or_column_takes_a_second_cell_with_it() {
        let counts = vec![vec![3, 20, 30], vec![40, 50, 60], vec![70, 80, 90]];
        let marks = suppress(&counts, false);
        // Row 0 hides 20 (its smallest other cell); column 0 hides 40; then column 1 and
        // row 1 each have two hidden cells and the table is stable.
        assert_eq!(marks[0], [S, X, None]);
        assert_eq!(marks[1], [X, X, None]);
        // No row or column is left with exactly one hidden cell.
        for (r, row) in marks.iter().enumerate() {
            assert_ne!(row.iter().filter(|m| m.is_some()).count(), 1, "row {r}");
        }
        for c in 0..3 {
            assert_ne!(
                marks.iter().filter(|row| row[c].is_some()).count(),
                1,
                "column {c}"
            );
        }
    }

    #[test]
    fn rounding_follows_the_publication_rules() {
        assert_eq!(round_count(1234.0), 1230.0);
        assert_eq!(round_count(1235.0), 1240.0);
        assert_eq!(round_percent(0.4567, false), 46.0);
        assert_eq!(round_percent(0.4567, true), 45.7);
    }
}
