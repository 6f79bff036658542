//! An interview as its form: question and choice labels in a language, groups as sections,
//! repeats as tables; the field-by-field difference between two revisions; and merging two
//! conflicting revisions answer by answer.

use std::collections::{BTreeMap, BTreeSet};

use baraza_schema::{Field, Form, Kind};
use serde_json::{Map, Value};

/// One block of an interview as the console shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// A group's title.
    Section(String),
    /// One question and its answer as words.
    Answer { label: String, value: String },
    /// A repeat: one column per question, one row per repetition.
    Table {
        label: String,
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// A question's label, or its name when it has none (metadata).
pub fn label(form: &Form, f: &Field, lang: &str) -> String {
    let l = form.text_in(&f.label, lang);
    if l.trim().is_empty() {
        f.name.clone()
    } else {
        l
    }
}

/// An answer in words: choice labels for selects (in order for a rank), numbers and text
/// as they are; an absent answer is empty.
pub fn answer(form: &Form, f: &Field, v: Option<&Value>, lang: &str) -> String {
    let choice = |code: &str| {
        f.list
            .as_deref()
            .and_then(|list| form.choice(list, code))
            .map(|c| form.text_in(&c.label, lang))
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| code.to_owned())
    };
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Object(p)) if matches!(f.kind, Kind::Geopoint | Kind::StartGeopoint) => {
            let n = |k: &str| p.get(k).and_then(Value::as_f64);
            match (n("lat"), n("lon")) {
                (Some(lat), Some(lon)) => match n("accuracy") {
                    Some(a) => format!("{lat:.6}, {lon:.6} (± {a:.0} m)"),
                    None => format!("{lat:.6}, {lon:.6}"),
                },
                _ => Value::Object(p.clone()).to_string(),
            }
        }
        // A file: its name (the Files section downloads it).
        Some(Value::Object(p)) if f.kind.is_attachment() => p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        Some(Value::String(s)) if f.kind == Kind::SelectOne => choice(s),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            let words: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => choice(s),
                    other => other.to_string(),
                })
                .collect();
            if f.kind == Kind::Rank {
                words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| format!("{}. {w}", i + 1))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                words.join("; ")
            }
        }
        Some(other) => other.to_string(),
    }
}

/// Whether a field is shown as a question with an answer (not a note, a group, a repeat or
/// metadata, which [`metadata`] gives apart).
fn answers(f: &Field) -> bool {
    !f.kind.is_container()
        && f.kind != Kind::Note
        && (!f.kind.is_metadata() || f.kind == Kind::Hidden)
}

/// The interview's metadata (when it was opened and finalized, the device, the account…)
/// as its kind and value, in form order, for the screen to name in its own language.
pub fn metadata(form: &Form, payload: &Value) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    form.visit(&mut |f, _| {
        if f.kind.is_metadata()
            && f.kind != Kind::Hidden
            && let Some(v) = payload.get(&f.name).filter(|v| !v.is_null())
        {
            out.push((f.kind, answer(form, f, Some(v), "")));
        }
    });
    out
}

/// The questions of a repeat's row, groups inside it flattened.
fn row_questions(fields: &[Field]) -> Vec<&Field> {
    let mut out = Vec::new();
    for f in fields {
        if f.kind == Kind::Group {
            out.extend(row_questions(&f.children));
        } else if answers(f) {
            out.push(f);
        }
    }
    out
}

/// The interview `payload` (answers keyed by name, repeats as arrays of row objects) as its
/// form, in `lang`. Questions without an answer are left out; answers the form does not
/// know are listed at the end under their names, so nothing received is hidden.
pub fn show(form: &Form, payload: &Value, lang: &str) -> Vec<Shown> {
    let empty = Map::new();
    let answers_of = payload.as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    fn walk(
        form: &Form,
        fields: &[Field],
        a: &Map<String, Value>,
        lang: &str,
        out: &mut Vec<Shown>,
    ) {
        for f in fields {
            match f.kind {
                Kind::Group => {
                    let before = out.len();
                    out.push(Shown::Section(label(form, f, lang)));
                    walk(form, &f.children, a, lang, out);
                    if out.len() == before + 1 {
                        out.pop();
                    }
                }
                Kind::Repeat => {
                    let Some(Value::Array(rows)) = a.get(&f.name) else {
                        continue;
                    };
                    let questions = row_questions(&f.children);
                    out.push(Shown::Table {
                        label: label(form, f, lang),
                        columns: questions.iter().map(|q| label(form, q, lang)).collect(),
                        rows: rows
                            .iter()
                            .map(|row| {
                                questions
                                    .iter()
                                    .map(|q| answer(form, q, row.get(&q.name), lang))
                                    .collect()
                            })
                            .collect(),
                    });
                }
                _ if answers(f) => {
                    if let Some(v) = a.get(&f.name).filter(|v| !v.is_null()) {
                        out.push(Shown::Answer {
                            label: label(form, f, lang),
                            value: answer(form, f, Some(v), lang),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    walk(form, &form.fields, answers_of, lang, &mut out);
    for (name, v) in answers_of {
        if form.field(name).is_none() {
            out.push(Shown::Answer {
                label: name.clone(),
                value: match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            });
        }
    }
    out
}

/// One answer that differs between two revisions.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The top-level answer it belongs to (a question, or a whole repeat): what a conflict
    /// resolution chooses between.
    pub key: String,
    /// The question's label, with the repeat and row where it is in one.
    pub label: String,
    pub before: String,
    pub after: String,
}

/// Every answer by path: `name` at the top, `repeat[2]/name` in a repeat's second row.
fn flatten(payload: &Value) -> BTreeMap<(String, usize, String), Value> {
    let mut out = BTreeMap::new();
    if let Some(map) = payload.as_object() {
        for (k, v) in map {
            match v {
                Value::Array(rows) if rows.iter().all(Value::is_object) && !rows.is_empty() => {
                    for (i, row) in rows.iter().enumerate() {
                        for (q, a) in row.as_object().into_iter().flatten() {
                            out.insert((k.clone(), i + 1, q.clone()), a.clone());
                        }
                    }
                }
                _ => {
                    out.insert((k.clone(), 0, String::new()), v.clone());
                }
            }
        }
    }
    out
}

/// The answers that differ between revision `a` and revision `b`, in the form's order,
/// labelled in `lang`: a changed, added or removed answer each give one line.
pub fn diff(form: &Form, a: &Value, b: &Value, lang: &str) -> Vec<Change> {
    let (fa, fb) = (flatten(a), flatten(b));
    let keys: BTreeSet<&(String, usize, String)> = fa.keys().chain(fb.keys()).collect();
    let position = |name: &str| {
        form.location(name)
            .map(|l| l.indices.clone())
            .unwrap_or_else(|| vec![usize::MAX])
    };
    let mut out: Vec<(Vec<usize>, usize, Change)> = Vec::new();
    for key @ (top, row, inner) in keys {
        let (va, vb) = (fa.get(key), fb.get(key));
        if va == vb {
            continue;
        }
        let leaf = if inner.is_empty() { top } else { inner };
        let words = |v: Option<&Value>| match form.field(leaf) {
            Some(f) => answer(form, f, v, lang),
            None => v.map(Value::to_string).unwrap_or_default(),
        };
        let leaf_label = form
            .field(leaf)
            .map(|f| label(form, f, lang))
            .unwrap_or_else(|| leaf.clone());
        let label = match form.field(top) {
            Some(r) if *row > 0 => format!("{} {row} · {leaf_label}", label(form, r, lang)),
            _ if *row > 0 => format!("{top} {row} · {leaf_label}"),
            _ => leaf_label,
        };
        out.push((
            position(leaf),
            *row,
            Change {
                key: top.clone(),
                label,
                before: words(va),
                after: words(vb),
            },
        ));
    }
    out.sort_by(|x, y| (&x.0, x.1).cmp(&(&y.0, y.1)));
    out.into_iter().map(|(_, _, c)| c).collect()
}

/// Two conflicting revisions made one: every top-level answer from `a`, except those named
/// in `from_b`, which come from `b` (a whole repeat is one answer). Answers only `b` has are
/// taken when named; answers named but absent in `b` are left out.
pub fn merge(a: &Value, b: &Value, from_b: &BTreeSet<String>) -> Value {
    let empty = Map::new();
    let (ma, mb) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let mut out = ma.clone();
    for key in from_b {
        match mb.get(key) {
            Some(v) => {
                out.insert(key.clone(), v.clone());
            }
            None => {
                out.remove(key);
            }
        }
    }
    Value::Object(out)
}

/// A moment as the server stores it (`2026-12-05T02:47:28.682Z`) as people read it:
/// `2026-12-05 02:47 UTC`; anything else as it is.
pub fn when(at: &str) -> String {
    match (at.get(..10), at.get(10..11), at.get(11..16)) {
        (Some(day), Some("T"), Some(time)) if at.ends_with('Z') => format!("{day} {time} UTC"),
        _ => at.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_moment_reads_as_a_day_and_a_time_in_utc_and_anything_else_stays_as_it_is() {
        assert_eq!(when("2026-12-05T02:47:28.682Z"), "2026-12-05 02:47 UTC");
        assert_eq!(when("2026-12-05T02:47:28Z"), "2026-12-05 02:47 UTC");
        assert_eq!(when("yesterday"), "yesterday");
        assert_eq!(
            when("2026-12-05T02:47:28+03:00"),
            "2026-12-05T02:47:28+03:00"
        );
    }
    use baraza_schema::Choice;
    use baraza_schema::form::Text;
    use serde_json::json;

    fn text(en: &str, fr: &str) -> Text {
        [
            ("English (en)".to_owned(), en.to_owned()),
            ("Français (fr)".to_owned(), fr.to_owned()),
        ]
        .into()
    }

    fn form() -> Form {
        let mut water = Field::new("water", Kind::SelectOne);
        water.list = Some("src".into());
        water.label = text("Main water source", "Source d'eau principale");
        let mut size = Field::new("size", Kind::Integer);
        size.label = text("Household size", "Taille du ménage");
        let start = Field::new("start", Kind::Start);
        let mut group = Field::new("services", Kind::Group);
        group.label = text("Services", "Services");
        group.children = vec![water];
        let mut age = Field::new("age", Kind::Integer);
        age.label = text("Age", "Âge");
        let mut member = Field::new("member", Kind::Repeat);
        member.label = text("Member", "Membre");
        member.children = vec![age];
        let choices = [(
            "src".to_owned(),
            vec![
                Choice {
                    name: "kiosk".into(),
                    label: text("Water kiosk", "Kiosque à eau"),
                    extra: Default::default(),
                    media: Default::default(),
                },
                Choice {
                    name: "tap".into(),
                    label: text("Own tap", "Robinet privé"),
                    extra: Default::default(),
                    media: Default::default(),
                },
            ],
        )]
        .into();
        Form::new(
            baraza_schema::Settings {
                form_id: "f".into(),
                version: "1".into(),
                title: "F".into(),
                default_language: Some("English (en)".into()),
                instance_name: None,
            },
            vec!["English (en)".into(), "Français (fr)".into()],
            vec![start, size, group, member],
            choices,
        )
    }

    #[test]
    fn an_interview_reads_as_its_form_with_labels_in_the_chosen_language() {
        let f = form();
        let lang = f.language_for("fr");
        assert_eq!(lang, "Français (fr)");
        let shown = show(
            &f,
            &json!({"start": "2026-11-01T09:00:00+03:00", "size": 2, "water": "kiosk", "member": [{"age": 40}, {"age": 9}], "extra": "kept"}),
            &lang,
        );
        assert_eq!(
            shown,
            [
                Shown::Answer {
                    label: "Taille du ménage".into(),
                    value: "2".into()
                },
                Shown::Section("Services".into()),
                Shown::Answer {
                    label: "Source d'eau principale".into(),
                    value: "Kiosque à eau".into()
                },
                Shown::Table {
                    label: "Membre".into(),
                    columns: vec!["Âge".into()],
                    rows: vec![vec!["40".into()], vec!["9".into()]],
                },
                Shown::Answer {
                    label: "extra".into(),
                    value: "kept".into()
                },
            ]
        );
        assert_eq!(
            metadata(
                &f,
                &json!({"start": "2026-11-01T09:00:00+03:00", "size": 2})
            ),
            [(Kind::Start, "2026-11-01T09:00:00+03:00".to_owned())],
            "metadata is given apart, for the screen to name"
        );
    }

    #[test]
    fn a_location_reads_as_latitude_longitude_and_accuracy() {
        let f = Form::new(
            form().settings,
            vec![],
            vec![Field::new("gps", Kind::Geopoint)],
            Default::default(),
        );
        let gps = f.field("gps").expect("gps");
        let v = json!({"lat": -1.31573578432992, "lon": 36.8, "accuracy": 7.36});
        assert_eq!(
            answer(&f, gps, Some(&v), "en"),
            "-1.315736, 36.800000 (± 7 m)"
        );
    }

    #[test]
    fn a_language_the_form_lacks_falls_back_to_its_default() {
        assert_eq!(form().language_for("sw"), "English (en)");
    }

    #[test]
    fn the_difference_names_each_changed_answer_in_form_order_with_its_row() {
        let f = form();
        let a = json!({"size": 2, "water": "kiosk", "member": [{"age": 40}, {"age": 9}]});
        let b =
            json!({"size": 3, "water": "tap", "member": [{"age": 40}, {"age": 10}, {"age": 1}]});
        let changes = diff(&f, &a, &b, "English (en)");
        let lines: Vec<(String, String, String)> = changes
            .iter()
            .map(|c| (c.label.clone(), c.before.clone(), c.after.clone()))
            .collect();
        assert_eq!(
            lines,
            [
                ("Household size".into(), "2".into(), "3".into()),
                (
                    "Main water source".into(),
                    "Water kiosk".into(),
                    "Own tap".into()
                ),
                ("Member 2 · Age".into(), "9".into(), "10".into()),
                ("Member 3 · Age".into(), "".into(), "1".into()),
            ]
        );
        assert_eq!(changes[2].key, "member");
        assert!(
            diff(&f, &a, &a, "English (en)").is_empty(),
            "no change, no line"
        );
    }

    #[test]
    fn merging_takes_the_chosen_answers_from_the_other_side_and_the_rest_from_the_first() {
        let a = json!({"size": 2, "water": "kiosk", "note": "a"});
        let b = json!({"size": 3, "water": "tap"});
        let merged = merge(&a, &b, &["water".to_owned(), "note".to_owned()].into());
        assert_eq!(merged, json!({"size": 2, "water": "tap"}));
    }
}
