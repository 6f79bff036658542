//! An OpenRosa submission's XML instance read into Baraza's payload: the answers as a JSON
//! object keyed by field name, groups looked through, each repeat an array of row objects,
//! values typed as Baraza's own client types them (DESIGN.md's payload format). The XML itself
//! is kept beside the revision, so nothing a phone sent is lost to this reading.
//!
//! Elements are matched by local name (Collect writes some forms' `meta` in the `orx`
//! namespace). A DTD is refused outright, so no entity is ever expanded (the XML bomb).
//! What the reading does not do: it neither prunes nor validates; the answers go through the
//! same verdict as a push, and what breaks the form's rules is quarantined with the reason.

use baraza_schema::{Field, Form, Kind};
use roxmltree::{Document, Node, ParsingOptions};
use serde_json::{Map, Number, Value};

use super::xform::{META, generated_nodes};

/// Largest number of XML nodes read from one instance (elements, text and attributes).
const MAX_NODES: u32 = 200_000;

/// A submission read against its form.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// `meta/instanceID` as sent (`uuid:…`).
    pub instance_id: String,
    /// `meta/deprecatedID`: the instance this one edits (Collect's edit of a sent form).
    pub deprecated_id: Option<String>,
    pub answers: Map<String, Value>,
}

fn parse(xml: &str) -> Result<Document<'_>, String> {
    Document::parse_with_options(
        xml,
        ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_NODES,
            ..ParsingOptions::default()
        },
    )
    .map_err(|e| format!("the submission is not well-formed XML: {e}"))
}

/// The form an instance names: its root's `id` and `version` attributes.
pub fn form_of(xml: &str) -> Result<(String, String), String> {
    let doc = parse(xml)?;
    let root = doc.root_element();
    let attr = |name: &str| {
        root.attributes()
            .find(|a| a.name() == name)
            .map(|a| a.value().to_owned())
    };
    let id = attr("id").ok_or_else(|| {
        format!(
            "the instance's root <{}> has no id attribute naming its form",
            root.tag_name().name()
        )
    })?;
    Ok((id, attr("version").unwrap_or_default()))
}

/// Reads an instance of `form`. Refuses (with a sentence) an element the form does not have,
/// a question given twice, and an instance without `meta/instanceID`.
pub fn read(xml: &str, form: &Form) -> Result<Submission, String> {
    let doc = parse(xml)?;
    let root = doc.root_element();
    let generated: Vec<String> = generated_nodes(form).into_values().collect();
    let mut reader = Reader {
        generated,
        audit: form.audit().map(|f| f.name.clone()),
        instance_id: None,
        deprecated_id: None,
    };
    let mut answers = Map::new();
    reader.level(root, &form.fields, &mut answers, true)?;
    let instance_id = reader
        .instance_id
        .filter(|i| !i.is_empty())
        .ok_or("the instance has no meta/instanceID")?;
    Ok(Submission {
        instance_id,
        deprecated_id: reader.deprecated_id.filter(|i| !i.is_empty()),
        answers,
    })
}

struct Reader {
    generated: Vec<String>,
    /// The key of the form's audit, which Collect sends as `meta/audit`.
    audit: Option<String>,
    instance_id: Option<String>,
    deprecated_id: Option<String>,
}

/// The field a child element names among `fields` (a level of the form; groups are fields).
fn find<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.local_name() == name)
}

impl Reader {
    /// Reads the children of `parent` (the root, a group or a repeat row) into `out`.
    fn level(
        &mut self,
        parent: Node,
        fields: &[Field],
        out: &mut Map<String, Value>,
        top: bool,
    ) -> Result<(), String> {
        for el in parent.children().filter(Node::is_element) {
            let name = el.tag_name().name();
            if el.attributes().any(|a| a.name() == "template") {
                continue;
            }
            match find(fields, name) {
                Some(f) if f.kind == Kind::Group => {
                    if top && name == META {
                        self.meta(el, true, out)?;
                    }
                    self.level(el, &f.children, out, false)?;
                }
                Some(f) if f.kind == Kind::Repeat => {
                    let mut row = Map::new();
                    self.level(el, &f.children, &mut row, false)?;
                    match out
                        .entry(f.name.clone())
                        .or_insert_with(|| Value::Array(vec![]))
                    {
                        Value::Array(rows) => rows.push(Value::Object(row)),
                        _ => return Err(format!("<{name}> is given twice")),
                    }
                }
                Some(f) => {
                    if out.contains_key(&f.name) {
                        return Err(format!("<{name}> is given twice"));
                    }
                    if let Some(v) = leaf(f, &text(el)) {
                        out.insert(f.name.clone(), v);
                    }
                }
                None if top && name == META => self.meta(el, false, out)?,
                // ODK's own nodes inside the form's `meta` group (read by `meta`).
                None if is_odk_meta(name)
                    && parent.tag_name().name() == META
                    && parent
                        .parent_element()
                        .is_some_and(|p| p.parent_element().is_none()) => {}
                None if self.generated.iter().any(|g| g == name) => {}
                None => {
                    return Err(format!(
                        "<{name}> is not a question of this form version at {}",
                        path(el)
                    ));
                }
            }
        }
        Ok(())
    }

    /// ODK's `meta`: `instanceID`, `deprecatedID`, `instanceName`, and (in Collect's
    /// submissions) other metadata it adds; inside a form's own `meta` group only ODK's names
    /// are taken here, the rest are the form's questions.
    fn meta(
        &mut self,
        el: Node,
        form_group: bool,
        out: &mut Map<String, Value>,
    ) -> Result<(), String> {
        for child in el.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "instanceID" => self.instance_id = Some(text(child).trim().to_owned()),
                "deprecatedID" => self.deprecated_id = Some(text(child).trim().to_owned()),
                // The audit log's file name; its content is the part of that name.
                "audit" if self.audit.is_some() => {
                    let name = text(child).trim().to_owned();
                    if let (Some(key), false) = (&self.audit, name.is_empty()) {
                        out.insert(key.clone(), serde_json::json!({ "name": name }));
                    }
                }
                _ if form_group => {}
                // What ODK clients may add to meta and Baraza does not keep (the XML keeps it).
                "instanceName" | "audit" | "entity" | "timeStart" | "timeEnd" | "userID"
                | "email" | "phoneNumber" | "deviceID" => {}
                other => return Err(format!("<meta> has an unknown element <{other}>")),
            }
        }
        Ok(())
    }
}

/// Whether `name` is one of ODK's own `meta` children, not a question.
fn is_odk_meta(name: &str) -> bool {
    matches!(
        name,
        "instanceID" | "deprecatedID" | "instanceName" | "audit"
    )
}

fn text(el: Node) -> String {
    el.children()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect()
}

fn path(el: Node) -> String {
    let mut names: Vec<&str> = el
        .ancestors()
        .filter(Node::is_element)
        .map(|n| n.tag_name().name())
        .collect();
    names.reverse();
    format!("/{}", names.join("/"))
}

/// One answer as Baraza types it; `None` for an empty element (no answer), a note, and a
/// calculation (Baraza computes those where they are read, as its own client leaves them out;
/// the kept XML still has ODK's value). A value that does not read as its type is kept as
/// text, so that validation says what is wrong and the submission is held, not dropped.
fn leaf(f: &Field, raw: &str) -> Option<Value> {
    let trimmed = raw.trim();
    if trimmed.is_empty()
        || f.kind == Kind::Note
        || (f.kind == Kind::Calculate && f.device_call().is_none())
    {
        return None;
    }
    let as_text = || Value::String(trimmed.to_owned());
    Some(match f.kind {
        Kind::Text => Value::String(raw.to_owned()),
        Kind::Integer => trimmed
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| as_text()),
        // A whole number stays whole (`6`, not `6.0`), as Baraza's client keeps it.
        Kind::Decimal | Kind::Range => match trimmed.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => trimmed
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or_else(as_text, Value::Number),
        },
        Kind::SelectMultiple | Kind::Rank => Value::Array(
            trimmed
                .split_whitespace()
                .map(|c| Value::String(c.to_owned()))
                .collect(),
        ),
        Kind::Geopoint | Kind::StartGeopoint => geopoint(trimmed).unwrap_or_else(as_text),
        // The file's name; its content is the part of that name, if one came
        // (`attachment::fill`).
        Kind::Image | Kind::Audio | Kind::Video | Kind::File | Kind::Audit => {
            serde_json::json!({ "name": trimmed })
        }
        _ => as_text(),
    })
}

/// ODK's `lat lon [altitude [accuracy]]` as Baraza's `{lat, lon, alt, accuracy}`.
fn geopoint(s: &str) -> Option<Value> {
    let parts: Vec<f64> = s
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let mut o = Map::new();
    for (key, v) in ["lat", "lon", "alt", "accuracy"].iter().zip(&parts) {
        o.insert((*key).to_owned(), Value::Number(Number::from_f64(*v)?));
    }
    (2..=4).contains(&parts.len()).then_some(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f1() -> Form {
        crate::builtin::load("f1_household")
            .expect("built in")
            .expect("reads")
            .form
    }

    #[test]
    fn an_instance_reads_into_the_payload_with_groups_looked_through_and_repeats_as_rows() {
        let xml = r#"<data id="f1_household" version="x" xmlns:jr="http://openrosa.org/javarosa">
            <start>2026-12-01T09:00:00.000+03:00</start>
            <meta><settlement>s01</settlement><instanceID>uuid:abc</instanceID></meta>
            <roster><hh_size>2</hh_size>
            <member jr:template=""><m_label/></member>
            <member><m_label> Asha </m_label><m_age>34</m_age></member>
            <member><m_label>Juma</m_label><m_age>x</m_age></member></roster>
            <livelihood><inc_sources>wage casual</inc_sources></livelihood>
            <svc_count>6</svc_count>
        </data>"#;
        let form = f1();
        let s = read(xml, &form).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.instance_id, "uuid:abc");
        let a = Value::Object(s.answers);
        assert_eq!(a["settlement"], "s01");
        assert_eq!(a["hh_size"], 2);
        assert_eq!(a["start"], "2026-12-01T09:00:00.000+03:00");
        assert_eq!(a["member"][0]["m_label"], " Asha ", "text is kept as typed");
        assert_eq!(a["member"][0]["m_age"], 34);
        assert_eq!(
            a["member"][1]["m_age"], "x",
            "a bad number stays, for validation to name"
        );
        assert_eq!(
            a["member"].as_array().map(Vec::len),
            Some(2),
            "the template is not a row"
        );
        assert_eq!(a["inc_sources"], serde_json::json!(["wage", "casual"]));
    }

    #[test]
    fn an_element_the_form_does_not_have_a_question_twice_and_a_dtd_are_refused() {
        let form = f1();
        let unknown = r#"<data id="f1_household"><meta><instanceID>uuid:a</instanceID></meta><nope>1</nope></data>"#;
        assert!(
            read(unknown, &form)
                .expect_err("refused")
                .contains("<nope>")
        );
        let twice = r#"<data id="f1_household"><meta><instanceID>uuid:a</instanceID></meta><roster><hh_size>1</hh_size><hh_size>2</hh_size></roster></data>"#;
        assert!(read(twice, &form).expect_err("refused").contains("twice"));
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><data id="f1_household">&b;</data>"#;
        assert!(
            form_of(bomb)
                .expect_err("refused")
                .contains("not well-formed")
        );
        let no_id = r#"<data id="f1_household"><roster><hh_size>1</hh_size></roster></data>"#;
        assert!(
            read(no_id, &form)
                .expect_err("refused")
                .contains("instanceID")
        );
    }

    #[test]
    fn a_geopoint_reads_as_lat_lon_alt_accuracy() {
        assert_eq!(
            geopoint("-1.28 36.82 1700 5"),
            Some(serde_json::json!({"lat": -1.28, "lon": 36.82, "alt": 1700.0, "accuracy": 5.0}))
        );
        assert_eq!(geopoint("-1.28"), None);
    }
}
