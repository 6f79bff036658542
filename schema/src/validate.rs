//! `validate(form, answers, today)`: the one answer check that the client runs before it
//! finalizes a response and the server runs before it stores one.
//!
//! Answers to questions that are not relevant are an **error** ([`IssueKind::NotRelevant`]),
//! never dropped: the server must not silently change what an enumerator sent. The client
//! clears them before finalizing (the same engine tells it which questions are relevant), so
//! only a foreign or broken client ever meets this issue, and the server quarantines such a
//! response instead of losing it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::date::Date;
use crate::expr::{Expression, Resolver, Value, eval};
use crate::form::{Choice, DEFAULT_LANGUAGE, Field, Form, Kind, Text};

/// One problem with a response, at a field path such as `member[2]/m_age` (rows count from 1;
/// groups do not appear because payloads are keyed by field name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issue {
    pub path: String,
    #[serde(flatten)]
    pub kind: IssueKind,
    /// For people: the form's own constraint message where it has one.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IssueKind {
    /// The payload, or a repeat row, is not a JSON object.
    NotAnObject,
    /// A key that names no field at this level of the form.
    UnknownField,
    Required,
    WrongType {
        expected: String,
    },
    NotAChoice {
        value: String,
    },
    /// The choice exists but the question's `choice_filter` excludes it here.
    FilteredOut {
        value: String,
    },
    DuplicateChoice {
        value: String,
    },
    NotRelevant,
    ConstraintFailed,
    RepeatCount {
        expected: usize,
        found: usize,
    },
    /// A form-level check on a repeat (e.g. exactly one household head) is not met.
    FormCheckFailed,
    PresetMismatch {
        expected: String,
    },
    /// Metadata the device filled that cannot be true: an interview that ends before it
    /// starts, or a moment after the server's day.
    Implausible,
}

/// Validates a response payload against a form. `today` is the date `today()` means.
pub fn validate(form: &Form, answers: &Json, today: Date) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(root) = answers.as_object() else {
        issues.push(Issue {
            path: String::new(),
            kind: IssueKind::NotAnObject,
            message: "the answers must be a JSON object keyed by field name".into(),
        });
        return issues;
    };
    let v = Validator { form, root, today };
    v.fields(&form.fields, root, &[], true, "", true, &mut issues);
    plausible(form, root, today, &mut issues);
    issues
}

/// `text` with each `${name}` replaced by that field's current value as seen from the
/// question at `path` (`member[2]/m_label`: a reference inside the same repeat reads the same
/// row): labels, hints and messages that show answers or calculations. A reference to no
/// value renders as nothing. The client renders with this, and so would anything else.
pub fn render(form: &Form, answers: &Json, path: &str, text: &str, today: Date) -> String {
    if !text.contains("${") {
        return text.to_owned();
    }
    let empty = Map::new();
    let root = answers.as_object().unwrap_or(&empty);
    let v = Validator { form, root, today };
    let mut rows: Vec<Row> = Vec::new();
    let mut obj = root;
    for part in path.split('/') {
        let Some((name, row)) = part.split_once('[') else {
            continue;
        };
        let i = row.trim_end_matches(']').parse::<usize>().unwrap_or(0);
        let Some(o) = i
            .checked_sub(1)
            .and_then(|i| obj.get(name)?.get(i)?.as_object())
        else {
            break;
        };
        rows.push((name, i - 1, o));
        obj = o;
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            return out;
        };
        match v.lookup(&after[..end], &rows, 0) {
            // Not yet computable (an answer it needs is missing): nothing, never "NaN".
            Value::Num(n) if !n.is_finite() => {}
            value => out.push_str(&value.to_str()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What names a response in lists: the form's `instance_name` evaluated over its answers,
/// or `None` when the form has none or it holds no letter or digit (nothing it names is
/// answered yet, as in " · ").
pub fn instance_name(form: &Form, answers: &Json, today: Date) -> Option<String> {
    let e = form.settings.instance_name.as_ref()?;
    let empty = Map::new();
    let root = answers.as_object().unwrap_or(&empty);
    let v = Validator { form, root, today };
    let name = v.eval(e, &[], Value::empty(), None).to_str();
    name.chars().any(char::is_alphanumeric).then_some(name)
}

/// A moment as devices write it (`2026-11-20T09:14:03.120+03:00`, `…Z`): seconds since the
/// epoch in UTC, or `None` when it is not one.
/// A time of day as ODK and browsers write it: `HH:MM`, then optionally `:SS` and a
/// fraction, then optionally an offset (`Z`, `+03:00`, `+0300`).
pub fn clock(s: &str) -> bool {
    let b = s.as_bytes();
    let two = |i: usize, max: u8| matches!(b.get(i..i + 2), Some(&[x @ b'0'..=b'9', y @ b'0'..=b'9']) if (x - b'0') * 10 + y - b'0' <= max);
    if !(two(0, 23) && b.get(2) == Some(&b':') && two(3, 59)) {
        return false;
    }
    let mut i = 5;
    if b.get(i) == Some(&b':') {
        if !two(6, 60) {
            return false;
        }
        i = 8;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let j = if b.get(i + 3) == Some(&b':') {
                i + 4
            } else {
                i + 3
            };
            two(i + 1, 23) && two(j, 59) && j + 2 == b.len()
        }
        _ => false,
    }
}

pub fn moment(s: &str) -> Option<i64> {
    let date = Date::parse(s.get(..10)?).ok()?;
    let rest = s.get(10..)?.strip_prefix('T')?;
    let num = |t: &str| {
        t.parse::<i64>()
            .ok()
            .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
    };
    let (h, m, sec) = (
        num(rest.get(..2)?)?,
        num(rest.get(3..5)?)?,
        num(rest.get(6..8)?)?,
    );
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut zone = &rest[8..];
    if let Some(frac) = zone.strip_prefix('.') {
        zone = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match zone {
        "Z" => 0,
        _ => {
            let sign = match zone.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let (oh, om) = match zone.len() {
                6 if zone.get(3..4)? == ":" => (num(zone.get(1..3)?)?, num(zone.get(4..6)?)?),
                5 => (num(zone.get(1..3)?)?, num(zone.get(3..5)?)?),
                _ => return None,
            };
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(date.days() * 86_400 + h * 3600 + m * 60 + sec - offset)
}

/// Checks the metadata the device filled against each other and the server's day: the
/// interview ends no earlier than it starts, and nothing is dated after tomorrow (a day of
/// slack for time zones).
fn plausible(form: &Form, root: &Map<String, Json>, today: Date, issues: &mut Vec<Issue>) {
    // (name, value) of the start, the end and the day, where the form has them.
    let mut at: [Option<(&str, &str)>; 3] = [None; 3];
    for f in form.outside_repeats() {
        let slot = match f.kind {
            Kind::Start => 0,
            Kind::End => 1,
            Kind::Today => 2,
            _ => continue,
        };
        at[slot] = root
            .get(&f.name)
            .and_then(Json::as_str)
            .map(|v| (f.name.as_str(), v));
    }
    let [start, end, day] = at;
    let limit = (today.days() + 2) * 86_400;
    let mut flag = |path: &str, message: String| {
        issues.push(Issue {
            path: path.to_owned(),
            kind: IssueKind::Implausible,
            message,
        });
    };
    for (name, value) in [start, end].into_iter().flatten() {
        if moment(value).is_some_and(|t| t >= limit) {
            flag(name, format!("{value} is after the server's day {today}"));
        }
    }
    if let Some((name, value)) = day
        && Date::parse(value).is_ok_and(|d| d.days() > today.days() + 1)
    {
        flag(name, format!("{value} is after the server's day {today}"));
    }
    if let (Some((_, s)), Some((name, e))) = (start, end)
        && let (Some(a), Some(b)) = (moment(s), moment(e))
        && b < a
    {
        flag(
            name,
            format!("the interview ends ({e}) before it starts ({s})"),
        );
    }
}

type Row<'a> = (&'a str, usize, &'a Map<String, Json>);

struct Validator<'a> {
    form: &'a Form,
    root: &'a Map<String, Json>,
    today: Date,
}

/// Evaluation context for one expression: the rows of the enclosing repeats, the value of
/// `.`, and the choice being filtered, if any.
struct Scope<'v, 'a> {
    v: &'v Validator<'a>,
    rows: &'v [Row<'a>],
    dot: Value,
    choice: Option<&'a Choice>,
    depth: usize,
}

/// Calculations nest at most this deep; import rejects cycles, this guards forms built by hand.
const MAX_CALC_DEPTH: usize = 64;

fn json_value(j: &Json) -> Value {
    match j {
        Json::String(s) => Value::Str(s.clone()),
        Json::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
        Json::Bool(b) => Value::Bool(*b),
        Json::Null => Value::empty(),
        Json::Array(items) => Value::Str(
            items
                .iter()
                .map(|i| json_value(i).to_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Json::Object(o) if o.contains_key("name") => json_value(&o["name"]),
        Json::Object(o) => Value::Str(
            ["lat", "lon", "alt", "accuracy"]
                .iter()
                .filter_map(|k| o.get(*k).map(|x| json_value(x).to_str()))
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

impl Resolver for Scope<'_, '_> {
    fn field(&self, name: &str) -> Value {
        self.v.lookup(name, self.rows, self.depth)
    }

    fn dot(&self) -> Value {
        self.dot.clone()
    }

    fn name(&self, name: &str) -> Value {
        let Some(c) = self.choice else {
            return Value::empty();
        };
        match name {
            "name" => Value::Str(c.name.clone()),
            "label" => Value::Str(c.label.values().next().cloned().unwrap_or_default()),
            _ => Value::Str(c.extra.get(name).cloned().unwrap_or_default()),
        }
    }

    fn today(&self) -> Date {
        self.v.today
    }

    fn position(&self) -> Value {
        self.rows
            .last()
            .map_or(Value::Num(f64::NAN), |r| Value::Num((r.1 + 1) as f64))
    }

    fn item(&self, list: &str, column: &str, fits: &mut dyn FnMut(&dyn Resolver) -> bool) -> Value {
        let mut item = Scope {
            v: self.v,
            rows: self.rows,
            dot: Value::empty(),
            choice: None,
            depth: self.depth,
        };
        for c in self.v.form.choices.get(list).into_iter().flatten() {
            item.choice = Some(c);
            if fits(&item) {
                return item.name(column);
            }
        }
        Value::empty()
    }
}

impl<'a> Validator<'a> {
    fn eval(
        &self,
        e: &Expression,
        rows: &[Row<'a>],
        dot: Value,
        choice: Option<&'a Choice>,
    ) -> Value {
        eval(
            e.expr(),
            &Scope {
                v: self,
                rows,
                dot,
                choice,
                depth: 0,
            },
        )
    }

    /// The value of `${name}` seen from inside `rows`: the field in the same row where the
    /// repeats are shared, every row's value where the reference reaches into a repeat.
    fn lookup(&self, name: &str, rows: &[Row<'a>], depth: usize) -> Value {
        let Some((loc, field)) = self.form.located(name) else {
            return Value::empty();
        };
        let mut obj = self.root;
        let mut shared = 0;
        for (k, r) in loc.repeats.iter().enumerate() {
            match rows.get(k) {
                Some(row) if row.0 == r => {
                    obj = row.2;
                    shared = k + 1;
                }
                _ => break,
            }
        }
        let remaining = &loc.repeats[shared..];
        if remaining.is_empty() && field.kind != Kind::Repeat {
            return self.value_in(field, obj, &rows[..shared], depth);
        }
        let mut out = Vec::new();
        self.collect(
            field,
            obj,
            remaining,
            &mut rows[..shared].to_vec(),
            depth,
            &mut out,
        );
        Value::Nodes(out)
    }

    fn collect(
        &self,
        field: &'a Field,
        obj: &'a Map<String, Json>,
        remaining: &'a [String],
        rows: &mut Vec<Row<'a>>,
        depth: usize,
        out: &mut Vec<Value>,
    ) {
        match remaining.split_first() {
            None if field.kind == Kind::Repeat => {
                let n = obj
                    .get(&field.name)
                    .and_then(Json::as_array)
                    .map_or(0, Vec::len);
                out.extend(std::iter::repeat_n(Value::empty(), n));
            }
            None => out.push(self.value_in(field, obj, rows, depth)),
            Some((r, rest)) => {
                let Some(items) = obj.get(r).and_then(Json::as_array) else {
                    return;
                };
                for (i, item) in items.iter().enumerate() {
                    if let Some(o) = item.as_object() {
                        rows.push((r.as_str(), i, o));
                        self.collect(field, o, rest, rows, depth, out);
                        rows.pop();
                    }
                }
            }
        }
    }

    /// A field's value in one object; a calculate field that the payload does not carry is
    /// computed (a carried value is the one computed when the response was finalized).
    fn value_in(
        &self,
        field: &'a Field,
        obj: &'a Map<String, Json>,
        rows: &[Row<'a>],
        depth: usize,
    ) -> Value {
        if let Some(v) = obj.get(&field.name) {
            return json_value(v);
        }
        match &field.calculation {
            Some(c) if field.kind == Kind::Calculate && depth < MAX_CALC_DEPTH => eval(
                c.expr(),
                &Scope {
                    v: self,
                    rows,
                    dot: Value::empty(),
                    choice: None,
                    depth: depth + 1,
                },
            ),
            _ => Value::empty(),
        }
    }

    fn message(&self, text: &Text, fallback: impl FnOnce() -> String) -> String {
        let lang = self
            .form
            .settings
            .default_language
            .as_deref()
            .unwrap_or(DEFAULT_LANGUAGE);
        text.get(lang)
            .or_else(|| text.get(DEFAULT_LANGUAGE))
            .or_else(|| text.values().next())
            .cloned()
            .unwrap_or_else(fallback)
    }

    /// Checks `fields` against `obj`. `whole_object` is true at the top of the payload and of
    /// each repeat row, where unknown keys are reported; groups share their parent's object.
    #[allow(clippy::too_many_arguments)]
    fn fields(
        &self,
        fields: &'a [Field],
        obj: &'a Map<String, Json>,
        rows: &[Row<'a>],
        relevant: bool,
        prefix: &str,
        whole_object: bool,
        issues: &mut Vec<Issue>,
    ) {
        if whole_object {
            let mut known = Vec::new();
            names_at_level(fields, &mut known);
            for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
                issues.push(Issue {
                    path: format!("{prefix}{key}"),
                    kind: IssueKind::UnknownField,
                    message: format!("{key:?} is not a field here"),
                });
            }
        }
        for f in fields {
            let rel = relevant && self.applies(f, rows);
            match f.kind {
                Kind::Group => self.fields(&f.children, obj, rows, rel, prefix, false, issues),
                Kind::Repeat => self.repeat(f, obj, rows, rel, prefix, issues),
                _ => self.question(f, obj.get(&f.name), rows, rel, prefix, issues),
            }
        }
    }

    fn repeat(
        &self,
        f: &'a Field,
        obj: &'a Map<String, Json>,
        rows: &[Row<'a>],
        rel: bool,
        prefix: &str,
        issues: &mut Vec<Issue>,
    ) {
        let path = format!("{prefix}{}", f.name);
        let items: &'a [Json] = match obj.get(&f.name) {
            None | Some(Json::Null) => &[],
            Some(Json::Array(a)) => a,
            Some(_) => {
                issues.push(Issue {
                    path,
                    kind: IssueKind::WrongType {
                        expected: "an array of rows".into(),
                    },
                    message: "a repeat must be an array of row objects".into(),
                });
                return;
            }
        };
        if !rel {
            if !items.is_empty() {
                issues.push(Issue {
                    path,
                    kind: IssueKind::NotRelevant,
                    message: "rows given for a repeat that does not apply".into(),
                });
            }
            return;
        }
        if let Some(c) = &f.repeat_count {
            let n = self.eval(c, rows, Value::empty(), None).to_num();
            if n.is_finite() && n >= 0.0 && items.len() != n as usize {
                issues.push(Issue {
                    path: path.clone(),
                    kind: IssueKind::RepeatCount {
                        expected: n as usize,
                        found: items.len(),
                    },
                    message: format!("expected {} row(s), found {}", n as usize, items.len()),
                });
            }
        }
        for (i, item) in items.iter().enumerate() {
            let row_path = format!("{path}[{}]/", i + 1);
            let Some(o) = item.as_object() else {
                issues.push(Issue {
                    path: row_path.trim_end_matches('/').to_owned(),
                    kind: IssueKind::NotAnObject,
                    message: "a repeat row must be a JSON object".into(),
                });
                continue;
            };
            let mut inner = rows.to_vec();
            inner.push((f.name.as_str(), i, o));
            self.fields(&f.children, o, &inner, true, &row_path, true, issues);
        }
        if let Some(c) = &f.constraint
            && !self
                .eval(c, rows, Value::Num(items.len() as f64), None)
                .to_bool()
        {
            issues.push(Issue {
                path,
                kind: IssueKind::FormCheckFailed,
                message: self.message(&f.constraint_message, || {
                    format!("check failed: {}", c.source())
                }),
            });
        }
    }

    /// One question's checks, in order: relevance, requiredness, type, choices, constraint,
    /// rows. Long because it is one `match` over the question kinds sharing that order;
    /// split, each kind would repeat the frame around it.
    fn question(
        &self,
        f: &'a Field,
        value: Option<&'a Json>,
        rows: &[Row<'a>],
        rel: bool,
        prefix: &str,
        issues: &mut Vec<Issue>,
    ) {
        // Written out only for an issue: most answers have none.
        let path = || format!("{prefix}{}", f.name);
        let value = value.filter(|v| {
            !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty())
        });
        let issue = |kind: IssueKind, message: String| Issue {
            path: path(),
            kind,
            message,
        };
        if f.kind == Kind::Note {
            if value.is_some() {
                issues.push(issue(
                    IssueKind::WrongType {
                        expected: "no answer".into(),
                    },
                    "a note has no answer".into(),
                ));
            }
            return;
        }
        if !rel {
            if value.is_some() {
                issues.push(issue(
                    IssueKind::NotRelevant,
                    format!("{} was answered but does not apply", f.name),
                ));
            }
            return;
        }
        if let Some(p) = &f.preset {
            let i = rows.last().map_or(0, |r| r.1);
            let expected = self
                .eval(p, rows, Value::empty(), None)
                .to_str()
                .split_whitespace()
                .nth(i)
                .map(str::to_owned);
            if let Some(expected) = expected
                && value.and_then(Json::as_str) != Some(expected.as_str())
            {
                issues.push(issue(
                    IssueKind::PresetMismatch {
                        expected: expected.clone(),
                    },
                    format!("row {} must be {expected:?}", i + 1),
                ));
                return;
            }
        }
        let Some(value) = value else {
            if f.kind.is_device_filled() || f.device_call().is_some() {
                let what = match f.device_call() {
                    Some(call) => format!("{call}()"),
                    None => f.kind.as_str().to_owned(),
                };
                issues.push(issue(
                    IssueKind::Required,
                    format!("{what} is filled by the device, but it is missing"),
                ));
                return;
            }
            let required = f
                .required
                .as_ref()
                .is_some_and(|e| self.eval(e, rows, Value::empty(), None).to_bool());
            if required {
                issues.push(issue(
                    IssueKind::Required,
                    self.message(&f.required_message, || "an answer is required".into()),
                ));
            }
            return;
        };
        let wrong = |expected: &str| {
            issue(
                IssueKind::WrongType {
                    expected: expected.into(),
                },
                format!("expected {expected}"),
            )
        };
        let dot = match (f.kind, value) {
            (Kind::Calculate, v) if !v.is_array() && !v.is_object() => json_value(v),
            (Kind::Calculate, _) => return issues.push(wrong("a single value")),
            (Kind::Time, Json::String(s)) if clock(s) => Value::Str(s.clone()),
            (Kind::Time, _) => return issues.push(wrong("a time as HH:MM")),
            (Kind::DateTime, Json::String(s))
                if s.get(..10).is_some_and(|d| Date::parse(d).is_ok())
                    && s.get(10..)
                        .and_then(|t| t.strip_prefix('T'))
                        .is_some_and(clock) =>
            {
                Value::Str(s.clone())
            }
            (Kind::DateTime, _) => {
                return issues.push(wrong("a day and time as YYYY-MM-DDTHH:MM"));
            }
            (Kind::Acknowledge, Json::String(s)) if s == "OK" => Value::Str(s.clone()),
            (Kind::Acknowledge, _) => return issues.push(wrong("\"OK\"")),
            (Kind::Range, Json::Number(n)) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                let (start, end, step) = f.range();
                let steps = (x - start) / step.abs();
                if !(start.min(end) <= x && x <= start.max(end))
                    || (steps - steps.round()).abs() > 1e-9
                {
                    return issues.push(issue(
                        IssueKind::ConstraintFailed,
                        format!("the answer must be from {start} to {end} in steps of {step}"),
                    ));
                }
                Value::Num(x)
            }
            (Kind::Range, _) => return issues.push(wrong("a number")),
            (Kind::StartGeopoint, Json::Object(o)) if valid_geopoint(o) => json_value(value),
            (Kind::StartGeopoint, _) => return issues.push(wrong("a location {lat, lon}")),
            (Kind::Geotrace | Kind::Geoshape, Json::String(s))
                if valid_points(s, f.kind == Kind::Geoshape) =>
            {
                Value::Str(s.clone())
            }
            (Kind::Geotrace, _) => {
                return issues.push(wrong("at least two points \"lat lon; lat lon\""));
            }
            (Kind::Geoshape, _) => {
                return issues.push(wrong(
                    "at least four points \"lat lon; …\", the last the same as the first",
                ));
            }
            (Kind::Image | Kind::Audio | Kind::Video | Kind::File | Kind::Audit, v) => {
                match v.as_object().map(crate::attachment::read) {
                    Some(Ok(a)) => Value::Str(a.name),
                    Some(Err(what)) => return issues.push(wrong(&format!("a file with {what}"))),
                    None => return issues.push(wrong("a file {name, sha256, size}")),
                }
            }
            (
                Kind::Text
                | Kind::Barcode
                | Kind::Hidden
                | Kind::DeviceId
                | Kind::Username
                | Kind::PhoneNumber
                | Kind::Email
                | Kind::SimSerial
                | Kind::SubscriberId,
                v,
            ) => match v.as_str() {
                Some(s) => Value::Str(s.to_owned()),
                None => return issues.push(wrong("text")),
            },
            (Kind::Integer, Json::Number(n))
                if n.is_i64()
                    || n.is_u64()
                    || n.as_f64()
                        .is_some_and(|x| x.fract() == 0.0 && x.is_finite()) =>
            {
                Value::Num(n.as_f64().unwrap_or(f64::NAN))
            }
            (Kind::Integer, _) => return issues.push(wrong("a whole number")),
            (Kind::Decimal, Json::Number(n)) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
            (Kind::Decimal, _) => return issues.push(wrong("a number")),
            (Kind::Date | Kind::Today, Json::String(s)) => match Date::parse(s) {
                Ok(d) => Value::Date(d),
                Err(_) => return issues.push(wrong("a date as YYYY-MM-DD")),
            },
            (Kind::Date | Kind::Today, _) => return issues.push(wrong("a date as YYYY-MM-DD")),
            (Kind::Start | Kind::End, Json::String(s)) if moment(s).is_some() => {
                Value::Str(s.clone())
            }
            (Kind::Start | Kind::End, _) => {
                return issues.push(wrong("a moment as YYYY-MM-DDTHH:MM:SS with its offset"));
            }
            (Kind::Geopoint, Json::Object(o)) if valid_geopoint(o) => json_value(value),
            (Kind::Geopoint, _) => {
                return issues.push(wrong("a location {lat, lon, alt?, accuracy?} with lat in [-90, 90] and lon in [-180, 180]"));
            }
            (Kind::SelectOne, Json::String(s)) => {
                if !self.choice_ok(f, s, rows, prefix, issues) {
                    return;
                }
                Value::Str(s.clone())
            }
            (Kind::SelectOne, _) => return issues.push(wrong("one choice code")),
            (Kind::SelectMultiple | Kind::Rank, Json::Array(items)) => {
                let mut codes: Vec<&str> = Vec::new();
                for item in items {
                    let Some(s) = item.as_str() else {
                        return issues.push(wrong("an array of choice codes"));
                    };
                    if codes.contains(&s) {
                        issues.push(issue(
                            IssueKind::DuplicateChoice { value: s.into() },
                            format!("{s:?} is given twice"),
                        ));
                        return;
                    }
                    codes.push(s);
                }
                // Every code is checked, not just up to the first bad one: all are reported.
                let bad = codes
                    .iter()
                    .filter(|c| !self.choice_ok(f, c, rows, prefix, issues))
                    .count();
                let all_ok = bad == 0;
                if !all_ok {
                    return;
                }
                Value::Str(codes.join(" "))
            }
            (Kind::SelectMultiple | Kind::Rank, _) => {
                return issues.push(wrong("an array of choice codes"));
            }
            (Kind::Group | Kind::Repeat | Kind::Note, _) => return,
        };
        if let Some(c) = &f.constraint
            && !self.eval(c, rows, dot, None).to_bool()
        {
            issues.push(issue(
                IssueKind::ConstraintFailed,
                self.message(&f.constraint_message, || {
                    format!("the answer breaks the rule {}", c.source())
                }),
            ));
        }
    }

    fn choice_ok(
        &self,
        f: &'a Field,
        code: &str,
        rows: &[Row<'a>],
        prefix: &str,
        issues: &mut Vec<Issue>,
    ) -> bool {
        let path = || format!("{prefix}{}", f.name);
        let list = f.list.as_deref().unwrap_or("");
        let Some(choice) = self.form.choice(list, code) else {
            issues.push(Issue {
                path: path(),
                kind: IssueKind::NotAChoice { value: code.into() },
                message: format!("{code:?} is not in the choice list {list:?}"),
            });
            return false;
        };
        if let Some(filter) = &f.choice_filter
            && !self
                .eval(filter, rows, Value::Str(code.into()), Some(choice))
                .to_bool()
        {
            issues.push(Issue {
                path: path(),
                kind: IssueKind::FilteredOut { value: code.into() },
                message: format!(
                    "{code:?} is not offered here (choice filter {})",
                    filter.source()
                ),
            });
            return false;
        }
        true
    }
}

/// Field names that live directly in one payload object: groups are transparent, repeats
/// are one key holding their rows.
fn names_at_level<'a>(fields: &'a [Field], out: &mut Vec<&'a str>) {
    for f in fields {
        if f.kind == Kind::Group {
            names_at_level(&f.children, out);
        } else {
            out.push(&f.name);
        }
    }
}

fn valid_geopoint(o: &Map<String, Json>) -> bool {
    let num = |k: &str| o.get(k).and_then(Json::as_f64);
    let in_range = |k: &str, lim: f64| num(k).is_some_and(|x| (-lim..=lim).contains(&x));
    in_range("lat", 90.0)
        && in_range("lon", 180.0)
        && o.get("alt").is_none_or(|v| v.is_number())
        && o.get("accuracy")
            .is_none_or(|v| v.as_f64().is_some_and(|a| a >= 0.0))
        && o.keys()
            .all(|k| matches!(k.as_str(), "lat" | "lon" | "alt" | "accuracy"))
}

/// ODK's text of a line (`shape`: an area): points `lat lon [alt [accuracy]]` separated by
/// `;`, latitudes and longitudes in range; a line has at least two, an area at least four and
/// ends where it starts.
fn valid_points(s: &str, shape: bool) -> bool {
    let (mut n, mut first, mut last) = (0, None, None);
    for p in s.split(';') {
        let xs: Vec<f64> = p
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(f64::NAN))
            .collect();
        // NaN is in no range: a word is not a coordinate.
        if !((2..=4).contains(&xs.len()) && xs[0].abs() <= 90.0 && xs[1].abs() <= 180.0) {
            return false;
        }
        last = Some((xs[0], xs[1]));
        first = first.or(last);
        n += 1;
    }
    n >= if shape { 4 } else { 2 } && (!shape || first == last)
}

/// What the engine knows about one question, group or repeat in a draft, for a data-entry
/// screen: the same relevance, calculations, choice filters, row counts and presets that
/// [`validate`] applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldState {
    pub relevant: bool,
    /// A calculation's current value, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The choices offered here, when a `choice_filter` narrows the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    /// The number of rows a repeat must have, when its `repeat_count` says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// The fixed value of a preset question in this row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
}

/// Every field's state in a draft, keyed by path like the issues of [`validate`]
/// (`member[2]/m_age`; a group is keyed by its name at the same level as its questions).
pub fn inspect(
    form: &Form,
    answers: &Json,
    today: Date,
) -> std::collections::BTreeMap<String, FieldState> {
    let mut out = std::collections::BTreeMap::new();
    let empty = Map::new();
    let root = answers.as_object().unwrap_or(&empty);
    let v = Validator { form, root, today };
    v.inspect(&form.fields, root, &[], true, "", &mut out);
    out
}

/// The draft as it is finalized: answers to questions that do not apply are removed (removing
/// one can make another stop applying, so this repeats until nothing changes), as are empty
/// strings, empty arrays and nulls. Rows of a repeat are kept in order.
pub fn prune(form: &Form, answers: &Json, today: Date) -> Json {
    let mut current = answers.clone();
    // Each pass removes at least one answer or ends; the bound guards against a form whose
    // relevance flips back and forth.
    for _ in 0..64 {
        let states = inspect(form, &current, today);
        let next = prune_object(&form.fields, &current, "", &states);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn prune_object(
    fields: &[Field],
    obj: &Json,
    prefix: &str,
    states: &std::collections::BTreeMap<String, FieldState>,
) -> Json {
    let Some(obj) = obj.as_object() else {
        return obj.clone();
    };
    let mut known = Vec::new();
    names_at_level(fields, &mut known);
    let mut out = Map::new();
    for (key, value) in obj {
        let path = format!("{prefix}{key}");
        let applies = states.get(&path).is_some_and(|s| s.relevant);
        let blank = value.is_null()
            || value.as_str() == Some("")
            || value.as_array().is_some_and(Vec::is_empty);
        if !known.contains(&key.as_str()) {
            // Not ours to judge: validation reports it, pruning keeps it.
            out.insert(key.clone(), value.clone());
            continue;
        }
        if !applies || blank {
            continue;
        }
        let field = find_at_level(fields, key);
        match (field, value) {
            (Some(f), Json::Array(rows)) if f.kind == Kind::Repeat => {
                let rows = rows
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        prune_object(&f.children, row, &format!("{path}[{}]/", i + 1), states)
                    })
                    .collect();
                out.insert(key.clone(), Json::Array(rows));
            }
            (Some(f), _)
                if f.kind == Kind::Note
                    || f.kind == Kind::Calculate && f.device_call().is_none() => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Json::Object(out)
}

fn find_at_level<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find_map(|f| {
        if f.kind == Kind::Group {
            find_at_level(&f.children, name)
        } else {
            (f.name == name).then_some(f)
        }
    })
}

impl<'a> Validator<'a> {
    /// Whether a field's own `relevant` holds (its parents' are the caller's).
    fn applies(&self, f: &Field, rows: &[Row<'a>]) -> bool {
        f.relevant
            .as_ref()
            .is_none_or(|e| self.eval(e, rows, Value::empty(), None).to_bool())
    }

    fn inspect(
        &self,
        fields: &'a [Field],
        obj: &'a Map<String, Json>,
        rows: &[Row<'a>],
        relevant: bool,
        prefix: &str,
        out: &mut std::collections::BTreeMap<String, FieldState>,
    ) {
        for f in fields {
            let rel = relevant && self.applies(f, rows);
            let path = format!("{prefix}{}", f.name);
            let mut state = FieldState {
                relevant: rel,
                ..FieldState::default()
            };
            match f.kind {
                Kind::Group => self.inspect(&f.children, obj, rows, rel, prefix, out),
                Kind::Repeat => {
                    if rel && let Some(c) = &f.repeat_count {
                        let n = self.eval(c, rows, Value::empty(), None).to_num();
                        if n.is_finite() && n >= 0.0 {
                            state.rows = Some(n as usize);
                        }
                    }
                    let items = obj.get(&f.name).and_then(Json::as_array);
                    for (i, item) in items.into_iter().flatten().enumerate() {
                        if let Some(o) = item.as_object() {
                            let mut inner = rows.to_vec();
                            inner.push((f.name.as_str(), i, o));
                            let row_prefix = format!("{path}[{}]/", i + 1);
                            self.inspect(&f.children, o, &inner, rel, &row_prefix, out);
                        }
                    }
                }
                Kind::Calculate => {
                    state.value = Some(self.value_in(f, obj, rows, 0).to_str());
                }
                _ => {}
            }
            if rel && let Some(p) = &f.preset {
                let i = rows.last().map_or(0, |r| r.1);
                state.preset = self
                    .eval(p, rows, Value::empty(), None)
                    .to_str()
                    .split_whitespace()
                    .nth(i)
                    .map(str::to_owned);
            }
            if rel
                && f.kind.has_choices()
                && let Some(filter) = &f.choice_filter
            {
                let list = f.list.as_deref().unwrap_or("");
                let offered = self.form.choices.get(list).map_or(Vec::new(), |cs| {
                    cs.iter()
                        .filter(|c| {
                            self.eval(filter, rows, Value::Str(c.name.clone()), Some(c))
                                .to_bool()
                        })
                        .map(|c| c.name.clone())
                        .collect()
                });
                state.choices = Some(offered);
            }
            out.insert(path, state);
        }
    }
}
