//! The raw-data export layout: one table for a form's top level and one per repeat, joined by
//! `_response_id` and the row's `_index` (`2`, or `2.1` inside a nested repeat) and
//! `_parent_index`; headers are the XLSForm field names; `select_multiple` and `rank`
//! answers are space-separated codes; a geopoint is `lat lon alt accuracy` as ODK writes it
//! (0 for an unknown altitude or accuracy).
//!
//! Who may see which columns: fields whose hint says they are "never exported" are never
//! exported; identifying fields (locations, and the questions the form marks
//! `baraza::identifying`: names, phone numbers, free text that may name someone) only to
//! admins; everything else to admins and supervisors. Planners and enumerators get no raw
//! export at all (the server refuses them).

use serde_json::Value;

use crate::form::{Field, Form, Kind};

/// Who is exporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Admins: every column but those never exported.
    Full,
    /// Supervisors: no identifying columns.
    Reviewer,
}

/// One CSV file of the export.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file name without `.csv`: the form id, or `formid-repeat`.
    pub name: String,
    /// The repeats from the top level down to this table's (empty for the main table).
    pub repeats: Vec<String>,
    /// The field columns, after the join-key columns.
    pub columns: Vec<String>,
}

/// The main table's leading columns, from the stored response rather than its answers.
pub const MAIN_KEYS: [&str; 6] = [
    "_response_id",
    "_rev",
    "_form_version",
    "_settlement",
    "_review_state",
    "_received_at",
];

/// A repeat table's leading columns.
pub const REPEAT_KEYS: [&str; 3] = ["_response_id", "_index", "_parent_index"];

fn never_exported(f: &Field) -> bool {
    f.hint
        .values()
        .any(|h| h.to_lowercase().contains("never exported"))
}

fn identifying(f: &Field) -> bool {
    // A place, a path or an area locates a household; a photo or a recording shows a
    // person, their voice or their home.
    matches!(
        f.kind,
        Kind::Geopoint | Kind::StartGeopoint | Kind::Geotrace | Kind::Geoshape
    ) || f.kind.is_attachment()
        || f.identifying
}

/// Whether `access` may see this field's column.
pub fn allowed(f: &Field, access: Access) -> bool {
    !never_exported(f) && (access == Access::Full || !identifying(f))
}

/// The export's tables for `form`, main table first, then each repeat in document order.
pub fn tables(form: &Form, access: Access) -> Vec<Table> {
    /// Puts `fields` into table `at`; a repeat starts a table of its own.
    fn walk(fields: &[Field], at: usize, access: Access, form_id: &str, out: &mut Vec<Table>) {
        for f in fields {
            match f.kind {
                Kind::Group => walk(&f.children, at, access, form_id, out),
                Kind::Repeat => {
                    let mut repeats = out[at].repeats.clone();
                    repeats.push(f.name.clone());
                    out.push(Table {
                        name: format!("{form_id}-{}", f.name),
                        repeats,
                        columns: Vec::new(),
                    });
                    walk(&f.children, out.len() - 1, access, form_id, out);
                }
                Kind::Note => {}
                _ if allowed(f, access) => out[at].columns.push(f.name.clone()),
                _ => {}
            }
        }
    }
    let id = &form.settings.form_id;
    let mut out = vec![Table {
        name: id.clone(),
        repeats: Vec::new(),
        columns: Vec::new(),
    }];
    walk(&form.fields, 0, access, id, &mut out);
    out
}

/// Text as a CSV field a spreadsheet will not run: text that begins with `=`, `+`, `-`,
/// `@`, a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets
/// ("CSV injection"), so it is written after a `'`, as OWASP recommends. The export's
/// README section says so; numbers are numbers and are written as they are.
pub fn text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// An answer as one CSV field.
pub fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => text_cell(s),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| cell(Some(i)))
            .collect::<Vec<_>>()
            .join(" "),
        Some(Value::Object(o)) if o.contains_key("lat") => ["lat", "lon", "alt", "accuracy"]
            .iter()
            .map(|k| o.get(*k).map_or_else(|| "0".to_owned(), |v| cell(Some(v))))
            .collect::<Vec<_>>()
            .join(" "),
        // An attachment: its file name (the media folder holds it under that name).
        Some(Value::Object(o)) if o.contains_key("name") => cell(o.get("name")),
        Some(other) => other.to_string(),
    }
}

/// The rows of a repeat table in one response: `(index, parent index, fields)`.
pub fn repeat_rows(table: &Table, answers: &Value) -> Vec<(String, String, Vec<String>)> {
    fn go(
        node: &Value,
        path: &[String],
        parent: &str,
        table: &Table,
        out: &mut Vec<(String, String, Vec<String>)>,
    ) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let rows = node.get(first).and_then(Value::as_array);
        for (i, row) in rows.into_iter().flatten().enumerate() {
            let index = if parent.is_empty() {
                (i + 1).to_string()
            } else {
                format!("{parent}.{}", i + 1)
            };
            if rest.is_empty() {
                let fields = table.columns.iter().map(|c| cell(row.get(c))).collect();
                out.push((index, parent.to_owned(), fields));
            } else {
                go(row, rest, &index, table, out);
            }
        }
    }
    let mut out = Vec::new();
    go(answers, &table.repeats, "", table, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Form {
        let mut meta = Field::new("meta", Kind::Group);
        meta.children = vec![
            Field::new("hh_id", Kind::Text),
            Field::new("gps", Kind::Geopoint),
        ];
        let mut label = Field::new("m_label", Kind::Text);
        label.hint.insert(
            "en".into(),
            "For the interview only; never exported.".into(),
        );
        let mut member = Field::new("member", Kind::Repeat);
        let mut job = Field::new("job", Kind::Repeat);
        job.children = vec![Field::new("j_kind", Kind::SelectOne)];
        member.children = vec![label, Field::new("m_age", Kind::Integer), job];
        let mut later = Field::new("later", Kind::Group);
        later.children = vec![Field::new("rooms", Kind::Integer)];
        let fields = vec![
            meta,
            Field::new("note1", Kind::Note),
            Field::new("assets", Kind::SelectMultiple),
            member,
            later,
        ];
        Form::new(
            crate::Settings {
                form_id: "f".into(),
                version: "1".into(),
                title: "F".into(),
                default_language: None,
                instance_name: None,
            },
            vec![],
            fields,
            Default::default(),
        )
    }

    #[test]
    fn each_repeat_gets_its_own_table_and_columns_follow_the_role() {
        let t = tables(&form(), Access::Full);
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["f", "f-member", "f-job"]);
        assert_eq!(
            t[0].columns,
            ["hh_id", "gps", "assets", "rooms"],
            "a group after a repeat is back on the main table"
        );
        assert_eq!(t[1].columns, ["m_age"], "m_label is never exported");
        let t = tables(&form(), Access::Reviewer);
        assert_eq!(
            t[0].columns,
            ["hh_id", "assets", "rooms"],
            "no coordinates for supervisors"
        );
    }

    #[test]
    fn nested_repeat_rows_carry_their_index_path_and_values_their_odk_form() {
        let t = tables(&form(), Access::Full);
        let a = json!({"assets": ["radio", "bicycle"], "gps": {"lat": -1.5, "lon": 36.8, "accuracy": 5.0},
            "member": [{"m_age": 30, "job": [{"j_kind": "vendor"}, {"j_kind": "driver"}]}, {"m_age": 4}]});
        assert_eq!(cell(a.get("assets")), "radio bicycle");
        assert_eq!(cell(a.get("gps")), "-1.5 36.8 0 5.0");
        let members = repeat_rows(&t[1], &a);
        assert_eq!(
            members,
            [
                ("1".into(), "".into(), vec!["30".to_owned()]),
                ("2".into(), "".into(), vec!["4".to_owned()])
            ]
        );
        let jobs = repeat_rows(&t[2], &a);
        assert_eq!(
            jobs,
            [
                ("1.1".into(), "1".into(), vec!["vendor".to_owned()]),
                ("1.2".into(), "1".into(), vec!["driver".to_owned()])
            ]
        );
    }
}
