#![doc = include_str!("../README.md")]

pub mod draft;
pub mod i18n;
pub mod sync;
#[cfg(target_arch = "wasm32")]
pub mod web;

use baraza_schema::{Date, Form, Issue, validate};

/// Why a draft could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// The form definition JSON did not deserialize (it is not a published Baraza form).
    Form(String),
    /// The draft answers are not JSON.
    Answers(String),
    Today(String),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Form(e) => write!(f, "the form definition is not valid: {e}"),
            CheckError::Answers(e) => write!(f, "the answers are not valid JSON: {e}"),
            CheckError::Today(e) => write!(f, "today's date is not valid: {e}"),
        }
    }
}

impl std::error::Error for CheckError {}

/// Checks draft answers against a form, both as the JSON the server sends and the device
/// stores, with the device's date as `today`. This is the finalize gate: a draft with issues
/// is not finalized.
pub fn check_draft(
    form_json: &str,
    answers_json: &str,
    today: &str,
) -> Result<Vec<Issue>, CheckError> {
    let form: Form =
        serde_json::from_str(form_json).map_err(|e| CheckError::Form(e.to_string()))?;
    let answers: serde_json::Value =
        serde_json::from_str(answers_json).map_err(|e| CheckError::Answers(e.to_string()))?;
    let today = Date::parse(today).map_err(|e| CheckError::Today(e.to_string()))?;
    Ok(validate(&form, &answers, today))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = r#"{"settings":{"form_id":"t","version":"1","title":"T"},"languages":[],
        "fields":[{"name":"age","kind":"integer","required":"true()","constraint":". >= 18"}],"choices":{}}"#;

    #[test]
    fn a_draft_is_checked_with_the_shared_engine() {
        assert_eq!(
            check_draft(FORM, r#"{"age": 30}"#, "2026-11-28").map(|i| i.len()),
            Ok(0)
        );
        let issues = check_draft(FORM, r#"{"age": 12}"#, "2026-11-28").unwrap_or_default();
        assert_eq!(
            issues.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(),
            ["age"]
        );
    }

    #[test]
    fn unreadable_inputs_are_clear_errors() {
        assert!(matches!(
            check_draft("{}", "{}", "2026-11-28"),
            Err(CheckError::Form(_))
        ));
        assert!(matches!(
            check_draft(FORM, "{", "2026-11-28"),
            Err(CheckError::Answers(_))
        ));
        assert!(matches!(
            check_draft(FORM, "{}", "28/11/2026"),
            Err(CheckError::Today(_))
        ));
        let bad_expr = FORM.replace(". >= 18", ". >=");
        let err = check_draft(&bad_expr, "{}", "2026-11-28")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("ends where a value was expected"), "{err}");
    }
}
