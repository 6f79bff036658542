//! What a typed number means. The enumerator's text is never rewritten: it is parsed here
//! into the exact JSON number it spells (`2500` → 2500, `0.5` → 0.5), or refused with the
//! reason, which the screen shows at once in the interface language. Pure, so it is tested
//! natively.

use baraza_schema::Kind;
use serde_json::{Number, Value as Json};

/// Why a typed text is not a number of the question's kind; each is a word in `i18n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Letters, spaces or other signs.
    NotANumber,
    /// A decimal point (or comma) in a whole-number question.
    NotWhole,
    /// A comma where the interface language writes decimals with a point.
    UsePoint,
    /// More digits than a number can hold exactly.
    TooLong,
}

impl Refusal {
    /// The `i18n` key of the sentence that explains it.
    pub fn key(self) -> &'static str {
        match self {
            Refusal::NotANumber => "not_a_number",
            Refusal::NotWhole => "not_whole",
            Refusal::UsePoint => "use_point",
            Refusal::TooLong => "too_long",
        }
    }
}

/// The answer that `text`, typed into a question of `kind`, stands for: `None` when it is
/// blank. `comma_decimals` is whether the interface language writes `2,5` for two and a half
/// (French and Swahili do); elsewhere a comma is refused, never guessed at.
pub fn number(kind: Kind, text: &str, comma_decimals: bool) -> Result<Option<Json>, Refusal> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (whole, fraction) = match digits.find(['.', ',']) {
        Some(i) => (&digits[..i], Some((&digits[i..i + 1], &digits[i + 1..]))),
        None => (digits, None),
    };
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !is_digits(whole) || fraction.is_some_and(|(_, f)| !is_digits(f)) {
        return Err(Refusal::NotANumber);
    }
    if let Some((sep, f)) = fraction {
        if kind == Kind::Integer {
            return Err(Refusal::NotWhole);
        }
        if sep == "," && !comma_decimals {
            return Err(Refusal::UsePoint);
        }
        if whole.is_empty() && f.is_empty() {
            return Err(Refusal::NotANumber);
        }
    } else if whole.is_empty() {
        return Err(Refusal::NotANumber);
    }
    let fraction = fraction.map_or("", |(_, f)| f);
    // Fifteen significant digits are what a double holds exactly.
    if format!("{whole}{fraction}").trim_start_matches('0').len() > 15 {
        return Err(Refusal::TooLong);
    }
    let whole = whole.trim_start_matches('0');
    let zero = whole.is_empty() && fraction.bytes().all(|b| b == b'0');
    let sign = if t.starts_with('-') && !zero { "-" } else { "" };
    let whole = if whole.is_empty() { "0" } else { whole };
    let spelled = if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    };
    // serde_json keeps an integer as an integer (2500, not 2500.0) and a decimal as the
    // nearest double, which prints back as the digits typed.
    serde_json::from_str::<Number>(&spelled)
        .map(|n| Some(Json::Number(n)))
        .map_err(|_| Refusal::TooLong)
}

/// What a text box holding `text` puts in the draft: for numbers the value typed, or, when it
/// is not one, the text itself, kept (never dropped) so that the engine flags it and the
/// enumerator sees what was typed when the draft is reopened; for text and dates the text.
pub fn answer(kind: Kind, text: &str, comma_decimals: bool) -> Option<Json> {
    match kind {
        Kind::Integer | Kind::Decimal | Kind::Range => number(kind, text, comma_decimals)
            .unwrap_or_else(|_| Some(Json::String(text.trim().to_owned()))),
        _ if text.trim().is_empty() => None,
        _ => Some(Json::String(text.to_owned())),
    }
}

/// How a stored answer is written back into a text box when it was not typed in this view
/// (a reopened draft, a row that moved).
pub fn shown(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decimal(t: &str) -> Result<Option<Json>, Refusal> {
        number(Kind::Decimal, t, false)
    }

    #[test]
    fn a_typed_number_is_stored_exactly_as_typed() {
        for (typed, held) in [
            ("2500", json!(2500)),
            ("15000", json!(15000)),
            ("30", json!(30)),
            ("0.5", json!(0.5)),
            ("1000000", json!(1_000_000)),
            ("2500.75", json!(2500.75)),
            (".5", json!(0.5)),
            ("-3.25", json!(-3.25)),
            ("  42 ", json!(42)),
        ] {
            let got = decimal(typed).expect("a number").expect("an answer");
            assert_eq!(got, held, "{typed:?}");
            assert_eq!(got.to_string(), held.to_string(), "{typed:?} prints back");
        }
        assert_eq!(
            decimal("2500").expect("n").map(|n| n.to_string()),
            Some("2500".into()),
            "a whole decimal is not turned into 2500.0"
        );
    }

    #[test]
    fn leading_zeros_are_the_number_they_spell() {
        assert_eq!(number(Kind::Integer, "007", false), Ok(Some(json!(7))));
        assert_eq!(number(Kind::Integer, "0", false), Ok(Some(json!(0))));
        assert_eq!(decimal("00.50"), Ok(Some(json!(0.5))));
        assert_eq!(number(Kind::Integer, "-05", false), Ok(Some(json!(-5))));
    }

    #[test]
    fn what_is_not_a_number_is_refused_with_its_reason_never_dropped() {
        for t in [
            "abc", "3o", "1e5", "1 000", "--2", "+", "-", ".", "1.2.3", "½",
        ] {
            assert_eq!(decimal(t), Err(Refusal::NotANumber), "{t:?}");
        }
        assert_eq!(number(Kind::Integer, "2.5", false), Err(Refusal::NotWhole));
        assert_eq!(number(Kind::Integer, "3,0", true), Err(Refusal::NotWhole));
        assert_eq!(
            number(Kind::Integer, "12345678901234567890", false),
            Err(Refusal::TooLong)
        );
    }

    #[test]
    fn a_decimal_comma_is_read_where_the_language_writes_one_and_refused_elsewhere() {
        assert_eq!(number(Kind::Decimal, "2,5", true), Ok(Some(json!(2.5))));
        assert_eq!(number(Kind::Decimal, "2,5", false), Err(Refusal::UsePoint));
        assert_eq!(
            number(Kind::Decimal, "1,000", false),
            Err(Refusal::UsePoint),
            "a thousands comma is not guessed at"
        );
    }

    #[test]
    fn a_refused_number_is_kept_in_the_draft_as_the_text_typed() {
        assert_eq!(answer(Kind::Integer, "3o", false), Some(json!("3o")));
        assert_eq!(answer(Kind::Decimal, "2500", false), Some(json!(2500)));
        assert_eq!(answer(Kind::Text, " a b ", false), Some(json!(" a b ")));
        assert_eq!(answer(Kind::Text, "  ", false), None);
    }

    #[test]
    fn a_blank_box_is_no_answer() {
        assert_eq!(decimal(""), Ok(None));
        assert_eq!(decimal("   "), Ok(None));
    }

    #[test]
    fn a_stored_answer_is_shown_as_its_digits() {
        assert_eq!(shown(Some(&json!(2500))), "2500");
        assert_eq!(shown(Some(&json!(0.5))), "0.5");
        assert_eq!(shown(Some(&json!("3o"))), "3o");
        assert_eq!(shown(None), "");
    }
}
