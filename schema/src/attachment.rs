//! Answer attachments: a photo, a recording, a video or a file answers its question as
//! `{"name": "1733.jpg", "sha256": "…", "size": 48213}` — the file's name as the device gave
//! it (what an expression, the review and the export see) and the sha256 and size of its
//! bytes, which the device sends after the revision is acknowledged and the server keeps
//! once per content. The hash is in the payload, so the revision's content hash and rev cover
//! the file: another photo under the same name is another revision, never an overwrite.
//! An ODK client's submission that names a file it never sent is read as `{"name"}` alone.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::form::{Field, Form, Kind};
use crate::validate::{Issue, IssueKind};

/// A file an answer names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub name: String,
    /// Lowercase hex; absent when the file was never sent (an ODK submission without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// The longest file name kept (a common file system's limit, in bytes).
pub const MAX_NAME_BYTES: usize = 255;

/// A file name that is one name: not empty, no folder, no control character.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

/// The choice list of a question whose items are the rows of a file the form carries: the
/// file's name, and the columns the items' values and labels are read from. Plainly the
/// file's name (`households.csv`: the `name` and `label` columns); with pyxform's `value=` and
/// `label=` parameters, `households.csv/hh_id/hh_name` (a file's name has no `/`). `None` for
/// a list of the choices sheet.
pub fn file_list(list: &str) -> Option<(&str, &str, &str)> {
    let mut parts = list.splitn(3, '/');
    let file = parts.next()?;
    if !(file.ends_with(".csv") || file.ends_with(".xml")) {
        return None;
    }
    match (parts.next(), parts.next()) {
        (Some(value), Some(label)) => Some((file, value, label)),
        _ => Some((file, "name", "label")),
    }
}

/// 64 lowercase hexadecimal digits.
pub fn valid_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads an attachment answer, or says what is wrong with it.
pub fn read(o: &Map<String, Json>) -> Result<Attachment, &'static str> {
    if o.keys()
        .any(|k| !matches!(k.as_str(), "name" | "sha256" | "size"))
    {
        return Err("only a name, a sha256 and a size");
    }
    let name = o.get("name").and_then(Json::as_str).unwrap_or_default();
    if !valid_name(name) {
        return Err("a name without folders, of at most 255 bytes");
    }
    let sha256 = match o.get("sha256") {
        None => None,
        Some(Json::String(s)) if valid_sha256(s) => Some(s.clone()),
        Some(_) => return Err("its sha256 as 64 lowercase hexadecimal digits"),
    };
    let size = match o.get("size") {
        None => None,
        Some(n) => Some(n.as_u64().ok_or("its size in bytes")?),
    };
    if sha256.is_some() != size.is_some() {
        return Err("both its sha256 and its size, or neither");
    }
    Ok(Attachment {
        name: name.to_owned(),
        sha256,
        size,
    })
}

/// The files a response's answers name, in form order (repeats row by row), each name once;
/// or, when two answers give one name to different files, the issue that refuses them (the
/// second would be lost under the first in the review and the export). Checked where
/// answers are stored, not in `validate`: a phone names each file after its content, so it
/// cannot clash, and the check would cost the phone's download.
pub fn files(form: &Form, answers: &Json) -> Result<Vec<Attachment>, Issue> {
    fn walk(fields: &[Field], obj: &Json, out: &mut Vec<Attachment>) {
        for f in fields {
            match f.kind {
                Kind::Group => walk(&f.children, obj, out),
                Kind::Repeat => {
                    for row in obj
                        .get(&f.name)
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten()
                    {
                        walk(&f.children, row, out);
                    }
                }
                k if k.is_attachment() => {
                    if let Some(Ok(a)) = obj.get(&f.name).and_then(Json::as_object).map(read) {
                        out.push(a);
                    }
                }
                _ => {}
            }
        }
    }
    let mut every = Vec::new();
    walk(&form.fields, answers, &mut every);
    let mut out: Vec<Attachment> = Vec::new();
    for a in every {
        match out.iter().find(|b| b.name == a.name) {
            None => out.push(a),
            Some(b) if *b == a => {}
            Some(_) => {
                return Err(Issue {
                    path: String::new(),
                    kind: IssueKind::ConstraintFailed,
                    message: format!("two different files are both named {:?}", a.name),
                });
            }
        }
    }
    Ok(out)
}

/// Gives each file an answer names by name alone its content as `found` knows it (the files
/// an ODK client sent beside its instance); a file `found` does not know stays a name.
pub fn fill(
    form: &Form,
    answers: &mut Map<String, Json>,
    found: &dyn Fn(&str) -> Option<Attachment>,
) {
    fn walk(
        fields: &[Field],
        obj: &mut Map<String, Json>,
        found: &dyn Fn(&str) -> Option<Attachment>,
    ) {
        for f in fields {
            match f.kind {
                Kind::Group => walk(&f.children, obj, found),
                Kind::Repeat => {
                    let rows = obj.get_mut(&f.name).and_then(Json::as_array_mut);
                    for row in rows.into_iter().flatten().filter_map(Json::as_object_mut) {
                        walk(&f.children, row, found);
                    }
                }
                k if k.is_attachment() => {
                    let Some(slot) = obj.get_mut(&f.name) else {
                        continue;
                    };
                    let name = slot.get("name").and_then(Json::as_str).map(str::to_owned);
                    if let Some(a) = name.as_deref().and_then(found) {
                        *slot = serde_json::to_value(a).unwrap_or_default();
                    }
                }
                _ => {}
            }
        }
    }
    walk(&form.fields, answers, found);
}

/// What an ODK client is told to capture for a question of this kind (the XForm's
/// `mediatype`).
pub fn media_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => "image/*",
        Kind::Audio => "audio/*",
        Kind::Video => "video/*",
        _ => "application/*",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_attachment_answer_is_a_name_with_its_hash_and_size_or_a_name_alone() {
        let sha = "a".repeat(64);
        let a = read(&obj(json!({"name": "1.jpg", "sha256": sha, "size": 10}))).expect("a file");
        assert_eq!((a.name.as_str(), a.size), ("1.jpg", Some(10)));
        assert_eq!(
            read(&obj(json!({"name": "1.jpg"}))).expect("a name").sha256,
            None,
            "a file an ODK client named and never sent"
        );
        for bad in [
            json!({"name": "../1.jpg", "sha256": sha, "size": 1}),
            json!({"name": "", "sha256": sha, "size": 1}),
            json!({"name": "x".repeat(256)}),
            json!({"name": "a\u{0}b"}),
            json!({"name": "1.jpg", "sha256": "A".repeat(64), "size": 1}),
            json!({"name": "1.jpg", "sha256": sha}),
            json!({"name": "1.jpg", "sha256": sha, "size": -1}),
            json!({"name": "1.jpg", "path": "/etc"}),
        ] {
            assert!(read(&obj(bad.clone())).is_err(), "{bad} was accepted");
        }
    }
}
