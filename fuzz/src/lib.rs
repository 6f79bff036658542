//! The fuzz targets' checks, one function per target, so that `tests/regressions.rs` can run
//! every input a fuzzer ever found (`regressions/<target>/`) through the same code in a plain
//! `cargo test`. Each function panics when the property it checks breaks.

use std::sync::LazyLock;

use baraza_schema::expr::{Resolver, Value, eval, parse};
use baraza_schema::reports::{Context, contributions};
use baraza_schema::wire::{self, PushRequest, QuarantineCode, check_item, parse_payload};
use baraza_schema::{Date, Form, Sheet, Workbook, derive, import, inspect, prune, validate};

/// One CSV sheet as the server's `workbook::csv_sheet` reads it (flexible rows, trimmed
/// cells, trailing empty cells dropped); `None` when the csv crate cannot read it.
pub fn csv_sheet(name: &str, text: &[u8]) -> Option<Sheet> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut rows = Vec::new();
    for record in reader.records() {
        let mut row: Vec<String> = record.ok()?.iter().map(|c| c.trim().to_owned()).collect();
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
        rows.push(row);
    }
    Some(Sheet {
        name: name.to_owned(),
        rows,
    })
}

/// A workbook from `survey`, `choices` and `settings` CSV texts separated by NUL bytes (the
/// xlsform target's input format; the seed corpus holds the built-in forms this way).
pub fn workbook(data: &[u8]) -> Option<Workbook> {
    let sheets = ["survey", "choices", "settings"]
        .into_iter()
        .zip(data.split(|b| *b == 0))
        .map(|(name, text)| csv_sheet(name, text))
        .collect::<Option<Vec<_>>>()?;
    Some(Workbook { sheets })
}

macro_rules! builtin {
    ($dir:literal) => {
        concat!(
            include_str!(concat!("../../forms/", $dir, "/survey.csv")),
            "\0",
            include_str!(concat!("../../forms/", $dir, "/choices.csv")),
            "\0",
            include_str!(concat!("../../forms/", $dir, "/settings.csv")),
        )
    };
}

/// The four built-in forms in the xlsform target's input format.
pub const BUILTIN: [&str; 4] = [
    builtin!("f1_household"),
    builtin!("f2_focus_group"),
    builtin!("f3_service_actors"),
    builtin!("f4_municipal_stakeholders"),
];

/// The built-in forms, imported.
pub fn builtin_forms() -> Vec<Form> {
    BUILTIN
        .iter()
        .filter_map(|text| workbook(text.as_bytes()))
        .map(|wb| import(&wb, "builtin").form)
        .collect()
}

/// Names resolve to values of every kind, chosen by the name's length.
struct Anything;

fn value(i: usize) -> Value {
    match i % 6 {
        0 => Value::Num(-3.5),
        1 => Value::Str("yes no".into()),
        2 => Value::Bool(true),
        3 => Value::Date(Date::from_days(20_000)),
        4 => Value::Nodes(vec![
            Value::Num(2.0),
            Value::Str("a".into()),
            Value::Nodes(vec![]),
        ]),
        _ => Value::Num(f64::NAN),
    }
}

impl Resolver for Anything {
    fn field(&self, name: &str) -> Value {
        value(name.len())
    }
    fn dot(&self) -> Value {
        value(1)
    }
    fn name(&self, name: &str) -> Value {
        value(name.len() + 3)
    }
    fn today(&self) -> Date {
        Date::from_days(20_000)
    }
}

/// The expression parser and evaluator: any text parses without panicking, an expression that
/// parses prints to text that parses to the same print, and evaluating it over values of every
/// kind never panics.
pub fn expression(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(src);
    if parsed.errors.is_empty() {
        let printed = parsed.expr.to_string();
        let again = parse(&printed);
        assert!(
            again.errors.is_empty(),
            "{src:?} printed as {printed:?}: {:?}",
            again.errors
        );
        assert_eq!(again.expr.to_string(), printed, "printing is stable");
    }
    let _ = eval(&parsed.expr, &Anything);
}

/// XLSForm import: any workbook (survey, choices and settings sheets as CSV text) imports
/// without panicking, every diagnostic says something, and a form without errors serializes
/// canonically, round-trips, and validates, inspects and prunes a response.
pub fn xlsform(data: &[u8]) {
    let Some(wb) = workbook(data) else {
        return;
    };
    let result = import(&wb, "fuzz");
    for d in &result.diagnostics {
        assert!(
            !d.message.is_empty(),
            "a diagnostic without a message: {d:?}"
        );
    }
    let text = result.form.canonical_json();
    if result.has_errors() {
        return;
    }
    let back: Form = serde_json::from_str(&text).expect("canonical JSON deserializes");
    assert_eq!(back.canonical_json(), text, "canonical JSON round-trips");
    let today = Date::from_days(20_000);
    let answers = serde_json::json!({"a": "yes", "b": [1, {"c": null}], "settlement": "s01"});
    let _ = validate(&back, &answers, today);
    let _ = inspect(&back, &answers, today);
    let _ = prune(&back, &answers, today);
}

static FORMS: LazyLock<Vec<Form>> = LazyLock::new(builtin_forms);

/// The push envelope, which is also the format of a device's exported file (`/sync/import`):
/// any bytes either fail to parse or go through the server's pure checks (`wire::check_batch`,
/// `wire::verdict`: the wire rules, the form, the payload and the form's rules), the derived
/// variables and the report contributions without panicking.
pub fn push_envelope(data: &[u8]) {
    let Ok(req) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    let ctx = Context {
        quintile_cuts: Some([100.0, 200.0, 300.0, 400.0]),
        tariff_20l: Some(2.0),
    };
    let _ = wire::check_batch(&req);
    for item in &req.items {
        let _ = check_item(item);
        // Hashes cannot be guessed by mutation: check the item again with its content hash and
        // rev recomputed, as an honest device would send it, so that validation is reached.
        let mut item = item.clone();
        let bytes = item.payload.as_bytes();
        item.content_hash = wire::content_hash(bytes);
        item.rev = wire::rev(
            item.parent_rev.as_deref(),
            &item.form_id,
            &item.form_version,
            bytes,
        );
        // The form is chosen by id only, so that items need not carry a published version.
        let form = FORMS.iter().find(|f| f.settings.form_id == item.form_id);
        let verdict = wire::verdict(&item, Date::from_days(20_000), |_, _| {
            Ok::<_, ()>(form.map(|f| (f, false)))
        });
        let (Some(form), Ok(verdict)) = (form, verdict) else {
            continue;
        };
        let (answers, valid) = match verdict {
            wire::Verdict::Accept { answers, .. } => (answers, true),
            wire::Verdict::Quarantine { code, issues, .. } => {
                // Only malformed identifiers, a payload that is no object, or answers that
                // break the form's rules remain a reason to refuse.
                assert!(
                    matches!(
                        code,
                        QuarantineCode::Malformed
                            | QuarantineCode::InvalidJson
                            | QuarantineCode::InvalidAnswers
                    ),
                    "{code:?}"
                );
                if code == QuarantineCode::InvalidAnswers {
                    assert!(!issues.is_empty());
                }
                let Ok(answers) = parse_payload(&item.payload) else {
                    continue;
                };
                (answers, false)
            }
        };
        let _ = derive::household(form, &answers);
        if valid {
            let _ = contributions(form, &answers, &ctx);
        }
    }
}
