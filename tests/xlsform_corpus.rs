//! Agreement with the reference converter: every real workbook in `../shared/xlsforms/` is
//! imported and compared with pyxform's summary of it (`*.pyxform.json`).

use std::path::Path;

use baraza_schema::import;
use baraza_server::workbook::read_path;
use serde_json::Value;

fn our_type(pyxform: &str) -> String {
    match pyxform {
        "select one" => "select_one".into(),
        "select all that apply" => "select_multiple".into(),
        // The older spelling of the device id, which Baraza reads as `deviceid`.
        "uri:deviceid" => "deviceid".into(),
        // pyxform's name for XLSForm's `image`.
        "photo" => "image".into(),
        other => other.into(),
    }
}

/// The choice list each `begin loop over LIST` row of the workbook's survey sheet loops over,
/// by the loop's name (pyxform's summary does not give it).
fn loop_lists(workbook: &baraza_schema::Workbook) -> std::collections::HashMap<String, String> {
    let mut lists = std::collections::HashMap::new();
    let Some(survey) = workbook
        .sheets
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case("survey"))
    else {
        return lists;
    };
    let header = survey.rows.first().cloned().unwrap_or_default();
    let col = |n: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
    let (Some(ty), Some(name)) = (col("type"), col("name")) else {
        return lists;
    };
    for row in &survey.rows {
        let words: Vec<&str> = row
            .get(ty)
            .map_or(vec![], |t| t.split_whitespace().collect());
        if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case("over"))
            && let (Some(list), Some(n)) = (words.get(i + 1), row.get(name))
        {
            lists.insert(n.trim().to_owned(), (*list).to_owned());
        }
    }
    lists
}

/// pyxform's fields that Baraza is expected to have: not its generated `meta` group; a `begin loop` expanded as pyxform's XForm has it (a group per choice
/// of its list holding a copy of its questions).
fn expected_fields(
    summary: &Value,
    loops: &std::collections::HashMap<String, String>,
) -> Vec<Value> {
    let mut keep = Vec::new();
    let mut dropped_prefixes: Vec<String> = Vec::new();
    let fields = summary["fields"].as_array().expect("fields array");
    for (at, f) in fields.iter().enumerate() {
        let path = f["path"].as_str().unwrap_or_default();
        let ty = f["type"].as_str().unwrap_or_default();
        let name = f["name"].as_str().unwrap_or_default();
        // pyxform's own additions: a label row it inserts in table-list groups, and the
        // calculate it adds for a constant repeat_count (Baraza keeps the constant).
        let generated_count = ty == "calculate"
            && fields
                .iter()
                .any(|r| r["repeat_count"].as_str() == Some(&format!("${{{name}}}")));
        if name.starts_with("reserved_name_for_field_list_labels_") || generated_count {
            continue;
        }
        let root_meta = path.split('/').nth(2) == Some("meta");
        if root_meta || dropped_prefixes.iter().any(|p| path.starts_with(p)) {
            continue;
        }
        if ty == "loop" {
            let prefix = format!("{path}/");
            dropped_prefixes.push(prefix.clone());
            let mut group = f.clone();
            group["type"] = "group".into();
            keep.push(group);
            let template: Vec<&Value> = fields[at + 1..]
                .iter()
                .take_while(|t| t["path"].as_str().is_some_and(|p| p.starts_with(&prefix)))
                .collect();
            let list = loops.get(name).map(String::as_str).unwrap_or_default();
            for choice in summary["choices"][list].as_array().into_iter().flatten() {
                let c = choice["name"].as_str().unwrap_or_default();
                let mut g = f.clone();
                g["type"] = "group".into();
                g["path"] = format!("{prefix}{c}").into();
                keep.push(g);
                for t in &template {
                    let mut copy = (*t).clone();
                    let rest = t["path"].as_str().unwrap_or_default()[prefix.len()..].to_owned();
                    copy["path"] = format!("{prefix}{c}/{rest}").into();
                    keep.push(copy);
                }
            }
            continue;
        }
        keep.push(f.clone());
    }
    keep
}

/// Baraza's `lookup('list.csv', 'column', filter)` as the XLSForm path it was read from,
/// `instance('list')/root/item[filter]/column`.
fn odk_spelling(expr: &str) -> String {
    let Some(at) = expr.find("lookup('") else {
        return expr.to_owned();
    };
    let rest = &expr[at + "lookup('".len()..];
    let (list, rest) = rest.split_once("', '").expect("a lookup's list");
    let (column, rest) = rest.split_once("', ").expect("a lookup's column");
    let mut depth = 0;
    let end = rest
        .char_indices()
        .find(|(_, c)| {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            depth < 0
        })
        .map(|(i, _)| i)
        .expect("a closed lookup");
    let id = list.trim_end_matches(".csv").trim_end_matches(".xml");
    format!(
        "{}instance('{id}')/root/item[{}]/{column}{}",
        &expr[..at],
        &rest[..end],
        odk_spelling(&rest[end + 1..])
    )
}

fn strip_root(path: &str) -> String {
    path.split('/').skip(2).collect::<Vec<_>>().join("/")
}

fn check_one(summary_path: &Path) -> Vec<String> {
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(summary_path).expect("read summary"))
            .expect("summary is JSON");
    let source = summary_path.with_file_name(summary["source"].as_str().expect("source name"));
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let (workbook, stem) = match read_path(&source) {
        Ok(r) => r,
        Err(e) => return vec![format!("{name}: could not be read: {e}")],
    };
    let result = import(&workbook, &stem);

    if summary["accepted"] != Value::Bool(true) {
        if !result.has_errors() {
            problems.push(format!(
                "{name}: pyxform rejects it ({}), Baraza reported no error",
                summary["error"]
            ));
        }
        return problems;
    }

    // Where pyxform accepts a workbook, so does Baraza: no "unsupported" escape.
    if result.has_errors() {
        let errors: Vec<String> = result.errors().map(ToString::to_string).collect();
        problems.push(format!(
            "{name}: pyxform accepts it, Baraza refuses it: {errors:#?}"
        ));
        return problems;
    }
    let expected = expected_fields(&summary, &loop_lists(&workbook));
    let outline = result.form.outline();
    let ours: Vec<_> = outline.fields.iter().collect();
    let theirs: Vec<(String, String)> = expected
        .iter()
        .map(|f| {
            (
                strip_root(f["path"].as_str().unwrap_or_default()),
                our_type(f["type"].as_str().unwrap_or_default()),
            )
        })
        .collect();
    // pyxform moves an audit into its generated `meta`; Baraza keeps it where its row is.
    let audits = |fields: &[Value]| {
        fields
            .iter()
            .filter(|f| {
                f["type"] == "audit"
                    && f["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("/meta/audit"))
            })
            .count()
    };
    let ours: Vec<_> = ours
        .into_iter()
        .filter(|f| f.kind.as_str() != "audit")
        .collect();
    if audits(summary["fields"].as_array().expect("fields")) != outline.fields.len() - ours.len() {
        problems.push(format!("{name}: pyxform's audit is not Baraza's"));
    }
    let mine: Vec<(String, String)> = ours
        .iter()
        .map(|f| (f.path.clone(), f.kind.as_str().to_owned()))
        .collect();
    if theirs != mine {
        let missing: Vec<_> = theirs.iter().filter(|t| !mine.contains(t)).collect();
        let extra: Vec<_> = mine.iter().filter(|m| !theirs.contains(m)).collect();
        problems.push(format!(
            "{name}: fields differ; missing {missing:?}, extra {extra:?}"
        ));
        return problems;
    }
    for (f, o) in expected.iter().zip(&ours) {
        let path = &o.path;
        // pyxform's summary collapses runs of spaces; compare modulo white space.
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = |k: &str| f[k].as_str().map(squash);
        // A `select_one_from_file` question's list is its file (pyxform's itemset).
        let list = text("list_name").or_else(|| text("itemset"));
        if list != o.list {
            problems.push(format!(
                "{name}: {path}: list {list:?} vs ours {:?}",
                o.list
            ));
        }
        let repeat = text("repeat").map(|r| strip_root(&r));
        if repeat != o.repeat {
            problems.push(format!(
                "{name}: {path}: nearest repeat {repeat:?} vs ours {:?}",
                o.repeat
            ));
        }
        let generated_count = |rc: Option<String>| {
            let name = rc.as_deref()?.strip_prefix("${")?.strip_suffix('}')?;
            let calc = summary["fields"]
                .as_array()?
                .iter()
                .find(|g| g["name"] == name && g["type"] == "calculate")?;
            calc["calculation"].as_str().map(squash)
        };
        for (key, mine) in [
            ("relevant", &o.relevant),
            ("constraint", &o.constraint),
            ("calculation", &o.calculation),
            ("choice_filter", &o.choice_filter),
            ("repeat_count", &o.repeat_count),
        ] {
            // pyxform's summary keeps a choice_filter on a question without choices, and its
            // XForm ignores it, as Baraza does (with a warning).
            if key == "choice_filter"
                && !matches!(o.kind.as_str(), "select_one" | "select_multiple" | "rank")
            {
                continue;
            }
            let mine = mine.as_deref().map(odk_spelling).as_deref().map(squash);
            let mut theirs = text(key);
            if key == "repeat_count" && mine.is_some() && generated_count(theirs.clone()) == mine {
                theirs = mine.clone();
            }
            // pyxform writes `../x` for the or_other question it generates.
            if key == "relevant" && theirs.as_deref().is_some_and(|t| t.contains("../")) {
                continue;
            }
            if theirs != mine {
                problems.push(format!("{name}: {path}: {key} {theirs:?} vs ours {mine:?}"));
            }
        }
        let required = text("required")
            .filter(|r| !matches!(r.to_lowercase().as_str(), "no" | "false" | "false()"));
        if required.is_some() != o.required.is_some() {
            problems.push(format!(
                "{name}: {path}: required {required:?} vs ours {:?}",
                o.required
            ));
        }
    }
    let their_lists: Vec<(&String, Vec<&str>)> = summary["choices"]
        .as_object()
        .expect("choices object")
        .iter()
        .map(|(k, v)| {
            (
                k,
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["name"].as_str())
                    .collect(),
            )
        })
        .collect();
    for (list, names) in their_lists {
        let mine: Vec<&str> = outline
            .choices
            .get(list.as_str())
            .into_iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        if mine != names {
            problems.push(format!(
                "{name}: choice list {list:?} differs: {names:?} vs ours {mine:?}"
            ));
        }
    }
    problems
}

#[test]
fn every_real_workbook_matches_the_reference_converter_or_is_rejected_like_it() {
    let dir = crate::support::shared().join("xlsforms");
    let mut summaries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{} must exist (shared/ beside the repository): {e}",
                dir.display()
            )
        })
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".pyxform.json"))
        .collect();
    summaries.sort();
    assert!(
        summaries.len() >= 15,
        "expected the 15-workbook corpus, found {}",
        summaries.len()
    );
    let problems: Vec<String> = summaries.iter().flat_map(|s| check_one(s)).collect();
    assert!(
        problems.is_empty(),
        "{} disagreement(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
