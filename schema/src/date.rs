//! Calendar dates as day numbers, for `date` answers, `today()` and `format-date()`.
//! Hand-written because the engine needs only ISO dates, and because `schema` may not read
//! a clock: today's date always comes in from the caller.

use std::fmt;

/// A proleptic Gregorian date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(pub String);

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a date in the form YYYY-MM-DD", self.0)
    }
}

impl std::error::Error for DateError {}

impl Date {
    /// Day numbers are clamped to ±1,000,000,000 (about ±2.7 million years) so that calendar
    /// arithmetic can never overflow, whatever number an expression turns into a date.
    pub const MAX_DAYS: i64 = 1_000_000_000;

    pub fn from_days(days: i64) -> Date {
        Date(days.clamp(-Self::MAX_DAYS, Self::MAX_DAYS))
    }

    pub fn days(self) -> i64 {
        self.0
    }

    /// The date for a calendar day, if it exists.
    pub fn from_ymd(y: i64, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(m);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    pub fn ymd(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }

    /// Parses exactly `YYYY-MM-DD` with a real calendar day.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| {
            b[r.clone()]
                .iter()
                .all(u8::is_ascii_digit)
                .then(|| s[r].parse::<i64>().ok())
                .flatten()
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError(s.to_owned()));
        }
        match (digits(0..4), digits(5..7), digits(8..10)) {
            (Some(y), Some(m), Some(d)) => {
                Date::from_ymd(y, m as u32, d as u32).ok_or_else(|| DateError(s.to_owned()))
            }
            _ => Err(DateError(s.to_owned())),
        }
    }

    /// `format-date()` patterns: `%Y %y %m %n %d %e %b`; other text is copied.
    pub fn format(self, pattern: &str) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (y, m, d) = self.ymd();
        let mut out = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('Y') => out.push_str(&format!("{y:04}")),
                Some('y') => out.push_str(&format!("{:02}", y.rem_euclid(100))),
                Some('m') => out.push_str(&format!("{m:02}")),
                Some('n') => out.push_str(&m.to_string()),
                Some('d') => out.push_str(&format!("{d:02}")),
                Some('e') => out.push_str(&d.to_string()),
                Some('b') => out.push_str(MONTHS[(m - 1) as usize]),
                Some(other) => {
                    out.push('%');
                    out.push(other);
                }
                None => out.push('%'),
            }
        }
        out
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A calendar month, `YYYY-MM`: what reports group interviews by (the interview date's month)
/// and filter them with. Read from a month or a date; serialized as its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Month(String);

impl Month {
    /// The month a month or a date names: the first seven characters of `YYYY-MM` or
    /// `YYYY-MM-DD…`, when they are a year and a month 01–12.
    pub fn of(text: &str) -> Option<Month> {
        let m = text.get(..7)?;
        let ok = m.as_bytes()[4] == b'-'
            && m[..4].bytes().all(|b| b.is_ascii_digit())
            && m[5..].bytes().all(|b| b.is_ascii_digit())
            && matches!(m[5..].parse::<u32>(), Ok(1..=12));
        ok.then(|| Month(m.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let text = String::deserialize(d)?;
        Month::of(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "a month (YYYY-MM) or a date (YYYY-MM-DD), not {text:?}"
            ))
        })
    }
}

/// A calendar quarter, `YYYY-Qn`: the time filter of published reports. Quarters are a fixed
/// lattice of windows, so no two windows a planner may ask for differ by a few interviews
/// (`reports::lattice`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quarter(String);

impl Quarter {
    /// `2026-Q4` (or `2026-q4`).
    pub fn of(text: &str) -> Option<Quarter> {
        let (year, q) = text.split_once(['-'])?;
        let q = q.strip_prefix(['Q', 'q'])?;
        let ok = year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit());
        let n = q
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=4).contains(n) && q.len() == 1)?;
        ok.then(|| Quarter(format!("{year}-Q{n}")))
    }

    /// The quarter a month falls in.
    pub fn of_month(month: &Month) -> Quarter {
        let m: u32 = month.0[5..7].parse().unwrap_or(1);
        Quarter(format!("{}-Q{}", &month.0[..4], m.div_ceil(3)))
    }

    /// Its first and last months.
    pub fn months(&self) -> (Month, Month) {
        let year = &self.0[..4];
        let first = (self.0.as_bytes()[6] - b'0') as u32 * 3 - 2;
        (
            Month(format!("{year}-{first:02}")),
            Month(format!("{year}-{:02}", first + 2)),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Quarter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Quarter, D::Error> {
        let text = String::deserialize(d)?;
        Quarter::of(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("a calendar quarter (YYYY-Qn), not {text:?}"))
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_is_read_from_its_name_and_holds_three_months() {
        let q = Quarter::of("2026-q4").expect("a quarter");
        assert_eq!(q.as_str(), "2026-Q4");
        let (first, last) = q.months();
        assert_eq!((first.as_str(), last.as_str()), ("2026-10", "2026-12"));
        let march = Month::of("2026-03-31").expect("a month");
        assert_eq!(Quarter::of_month(&march).as_str(), "2026-Q1");
        for bad in [
            "2026-Q5", "2026-Q0", "2026-10", "26-Q1", "2026-Q11", "2026Q1", "",
        ] {
            assert_eq!(Quarter::of(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_round_trip_through_day_numbers() {
        for days in [-719_162, -1, 0, 1, 59, 365, 11_016, 20_785, 2_932_896] {
            let d = Date::from_days(days);
            assert_eq!(Date::parse(&d.to_string()), Ok(d), "day {days}");
        }
        assert_eq!(Date::parse("1970-01-01").map(Date::days), Ok(0));
        assert_eq!(Date::parse("2000-03-01").map(Date::days), Ok(11_017));
    }

    #[test]
    fn impossible_or_malformed_dates_are_rejected() {
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "24-01-01",
            "2024/01/01",
            "",
            "2024-1-01",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2000-02-29").is_ok());
        assert!(Date::parse("1900-02-29").is_err());
    }

    #[test]
    fn a_month_is_read_from_a_month_or_a_date_and_nothing_else() {
        let month = |t: &str| Month::of(t).map(|m| m.as_str().to_owned());
        assert_eq!(month("2026-11").as_deref(), Some("2026-11"));
        assert_eq!(month("2026-11-30").as_deref(), Some("2026-11"));
        assert_eq!(month("2026-11-30T09:00:00Z").as_deref(), Some("2026-11"));
        for bad in [
            "2026-13",
            "2026-00",
            "2026/11",
            "26-11",
            "",
            "2026-1",
            "2026-+1",
            "é2026-11",
        ] {
            assert_eq!(month(bad), None, "{bad}");
        }
        let read: Result<Month, _> = serde_json::from_str("\"last-week\"");
        assert!(read.is_err_and(|e| e.to_string().contains("YYYY-MM")));
    }

    #[test]
    fn format_date_fills_each_pattern_letter() {
        let d = Date::parse("2026-03-07").unwrap_or(Date(0));
        assert_eq!(d.format("%Y/%m/%d"), "2026/03/07");
        assert_eq!(d.format("%e %b %y, %n"), "7 Mar 26, 3");
        assert_eq!(d.format("100%"), "100%");
    }
}
