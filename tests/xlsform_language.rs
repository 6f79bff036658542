//! The XLSForm language as real workbooks use it (issue 19), beyond what the built-in forms
//! need: names unique only within their group.

use baraza_client::draft::{self, parse_path};
use baraza_schema::{Date, Form, Import, Kind, Sheet, Workbook, import};
use serde_json::{Value, json};

use crate::support::{Server, TempDir, xlsx};

/// Two groups that each ask about a `source` (with `or_other`) and an `other`, and household
/// members whose `age` is asked in an adult and in a child group: pyxform accepts it.
const SURVEY: &[&[&str]] = &[
    &["type", "name", "label", "relevant", "constraint"],
    &["begin group", "water", "Water", "", ""],
    &[
        "select_one src or_other",
        "source",
        "Main source of water",
        "",
        "",
    ],
    &[
        "text",
        "other",
        "Anything else about water?",
        "",
        "string-length(.) <= 40",
    ],
    &["end group", "", "", "", ""],
    &["begin group", "power", "Power", "", ""],
    &[
        "select_one src or_other",
        "source",
        "Main source of power",
        "",
        "",
    ],
    &["text", "other", "Anything else about power?", "", ""],
    &["end group", "", "", "", ""],
    &["begin repeat", "members", "Household members", "", ""],
    &["select_one age_group", "kind", "Adult or child?", "", ""],
    &["begin group", "adult", "Adult", "${kind} = 'adult'", ""],
    &["integer", "age", "Age in years", "", ". >= 18"],
    &["end group", "", "", "", ""],
    &["begin group", "child", "Child", "${kind} = 'child'", ""],
    &["integer", "age", "Age in years", "", ". < 18"],
    &["end group", "", "", "", ""],
    &["end repeat", "", "", "", ""],
];

const CHOICES: &[&[&str]] = &[
    &["list_name", "name", "label"],
    &["src", "piped", "Piped"],
    &["src", "well", "Well"],
    &["src", "grid", "Grid"],
    &["age_group", "adult", "Adult"],
    &["age_group", "child", "Child"],
];

const SETTINGS: &[&[&str]] = &[&["form_id", "version"], &["names_by_group", "1"]];

fn import_rows(survey: &[&[&str]]) -> Import {
    let sheet = |name: &str, rows: &[&[&str]]| Sheet {
        name: name.into(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect(),
    };
    import(
        &Workbook {
            sheets: vec![
                sheet("survey", survey),
                sheet("choices", CHOICES),
                sheet("settings", SETTINGS),
            ],
        },
        "t",
    )
}

fn today() -> Date {
    Date::parse("2026-12-03").expect("a date")
}

#[test]
fn a_name_repeated_in_different_groups_is_keyed_by_its_group_path_as_pyxform_allows() {
    let done = import_rows(SURVEY);
    let problems: Vec<String> = done.diagnostics.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:?}");
    let form = &done.form;
    let keys: Vec<(String, String)> = form
        .outline()
        .fields
        .into_iter()
        .map(|f| (f.path, f.name))
        .collect();
    let expect = |path: &str, key: &str| (path.to_owned(), key.to_owned());
    assert_eq!(
        keys,
        vec![
            expect("water", "water"),
            expect("water/source", "water:source"),
            expect("water/source_other", "water:source_other"),
            expect("water/other", "water:other"),
            expect("power", "power"),
            expect("power/source", "power:source"),
            expect("power/source_other", "power:source_other"),
            expect("power/other", "power:other"),
            expect("members", "members"),
            expect("members/kind", "kind"),
            expect("members/adult", "adult"),
            expect("members/adult/age", "members:adult:age"),
            expect("members/child", "child"),
            expect("members/child/age", "members:child:age"),
        ],
        "a name used once keeps its name; each use of a repeated one is keyed by its path"
    );
    let age = form.field("members:child:age").expect("keyed by its path");
    assert_eq!((age.local_name(), age.kind), ("age", Kind::Integer));
    // The `_other` question of each `or_other` select follows its own select.
    let other = form.field("power:source_other").expect("generated");
    assert_eq!(
        other.relevant.as_ref().map(|e| e.source()),
        Some("selected(${power:source}, 'other')")
    );

    // The engine reads and checks answers under those keys, the row's constraint included.
    let answers = json!({
        "water:source": "other", "water:source_other": "rain tank",
        "water:other": "The tap runs two hours a day, at dawn only!",
        "power:source": "grid",
        "members": [{"kind": "adult", "members:adult:age": 16}, {"kind": "child", "members:child:age": 7}],
    });
    let issues: Vec<String> = baraza_schema::validate(form, &answers, today())
        .iter()
        .map(|i| i.path.clone())
        .collect();
    assert_eq!(issues, ["water:other", "members[1]/members:adult:age"]);
}

#[test]
fn a_name_repeated_in_one_group_or_referred_to_when_repeated_is_an_error_at_its_row() {
    let with = |extra: &[&[&str]]| {
        let mut rows: Vec<&[&str]> = SURVEY.to_vec();
        rows.extend_from_slice(extra);
        let done = import_rows(&rows);
        let shown: Vec<String> = done.diagnostics.iter().map(ToString::to_string).collect();
        shown
    };
    // Twice in the same group (here the form itself): refused, as pyxform refuses it.
    let shown = with(&[
        &["text", "note_a", "A", "", ""],
        &["text", "note_a", "B", "", ""],
    ]);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].starts_with("survey:20:name: error:")
            && shown[0].contains("already used on row 19 outside every group"),
        "{shown:?}"
    );
    // Only the case differs: a warning, as pyxform gives.
    let shown = with(&[
        &["text", "note_a", "A", "", ""],
        &["text", "Note_A", "B", "", ""],
    ]);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].starts_with("survey:20:name: warning:") && shown[0].contains("only in case"),
        "{shown:?}"
    );
    // A repeated name cannot be referred to: which one would it be?
    let shown = with(&[&["text", "why", "Why?", "${other} != ''", ""]]);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].starts_with("survey:19:relevant: error:")
            && shown[0]
                .contains("${other} could mean any of the fields named \"other\" (rows 4, 8)"),
        "{shown:?}"
    );
    // A repeat's name is unique in the whole form.
    let shown = with(&[
        &["begin group", "later", "Later", "", ""],
        &["begin repeat", "members", "Again", "", ""],
        &["text", "x", "X", "", ""],
        &["end repeat", "", "", "", ""],
        &["end group", "", "", "", ""],
    ]);
    assert!(
        shown.iter().any(|s| s.starts_with("survey:20:name: error:")
            && s.contains("a repeat's name must be unique in the whole form")),
        "{shown:?}"
    );
}

#[test]
fn a_form_with_names_repeated_by_group_is_published_filled_pushed_exported_and_taken_from_odk() {
    let s = Server::start();
    let admin = s.admin();
    let workbook = xlsx(&[
        ("survey", SURVEY),
        ("choices", CHOICES),
        ("settings", SETTINGS),
    ]);
    let res = s
        .http
        .post(s.url("/forms"))
        .bearer_auth(&admin)
        .header("content-type", "application/octet-stream")
        .body(workbook)
        .send()
        .expect("publish");
    assert_eq!(res.status(), 201, "{}", res.text().unwrap_or_default());

    // The device's copy of the form, as the client reads it.
    let device = s.device(&admin, "ena");
    let res = s
        .http
        .get(s.url("/forms/names_by_group/1"))
        .bearer_auth(&device.1)
        .send()
        .expect("the form");
    assert_eq!(res.status(), 200);
    let form: Form = res.json().expect("the form's JSON");

    // Filled as the client fills a draft: by the engine's paths.
    let mut answers = json!({});
    for (path, value) in [
        ("water:source", json!("other")),
        ("water:source_other", json!("rain tank")),
        ("water:other", json!("Two hours a day")),
        ("power:source", json!("grid")),
        ("power:other", json!("Cut most evenings")),
        ("members[1]/kind", json!("adult")),
        ("members[1]/members:adult:age", json!(34)),
        // Typed into the child group, then the member was said to be an adult: pruned.
        ("members[1]/members:child:age", json!(9)),
        ("members[2]/kind", json!("child")),
        ("members[2]/members:child:age", json!(7)),
    ] {
        draft::set(&mut answers, &parse_path(path), Some(value));
    }
    let (payload, issues) = draft::prepare(&form, &answers, today());
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(
        payload["members"][0],
        json!({"kind": "adult", "members:adult:age": 34})
    );
    let response_id = "0d7c57a1-6a41-4c43-9a1e-5b7cbd1f2e01";
    let item = draft::revision(&form, response_id, None, &payload, 1, None);
    let (status, pushed) = crate::sync_api::push(&s, &device, vec![json!(item)]);
    assert_eq!(status, 200, "{pushed}");
    assert_eq!(pushed["results"][0]["status"], "stored", "{pushed}");

    // The raw export: a column per key, each repeated name under its own.
    let res = s
        .http
        .get(s.url("/exports/names_by_group.zip"))
        .bearer_auth(&admin)
        .send()
        .expect("export");
    assert_eq!(res.status(), 200);
    let files = crate::export_api::unzip(&res.bytes().expect("zip"));
    let header = |file: &str| -> Vec<String> {
        let (_, text) = files.iter().find(|(n, _)| n == file).unwrap_or_else(|| {
            panic!(
                "{file} in {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        });
        text.lines()
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect()
    };
    let top = header("names_by_group.csv");
    for key in [
        "water:other",
        "power:other",
        "water:source_other",
        "power:source",
    ] {
        assert!(top.contains(&key.to_owned()), "{key} in {top:?}");
    }
    let rows = header("names_by_group-members.csv");
    for key in ["members:adult:age", "members:child:age"] {
        assert!(rows.contains(&key.to_owned()), "{key} in {rows:?}");
    }

    // ODK Collect sees each name under its group, and its submission is read back by key.
    let (_, base) = crate::openrosa::key_url(&s, &admin, "collect");
    let xform = s
        .http
        .get(format!("{base}/forms/names_by_group/1/form.xml"))
        .header("X-OpenRosa-Version", "1.0")
        .send()
        .expect("the XForm")
        .text()
        .expect("text");
    let paths = crate::openrosa::instance_paths(&xform);
    for path in [
        "water/other",
        "power/other",
        "members/adult/age",
        "members/child/age",
    ] {
        assert!(
            paths.iter().any(|p| p.ends_with(path)),
            "{path} in {paths:?}"
        );
    }
    assert!(!xform.contains(":other"), "no key reaches the XForm");
    let tmp = TempDir::new("names-by-group");
    let file = tmp.0.join("names_by_group.xml");
    std::fs::write(&file, &xform).expect("write");
    let loaded = crate::openrosa::load_in_odks_engine(&[file.clone()]);
    assert_eq!(
        loaded[file.to_string_lossy().as_ref()]["ok"],
        true,
        "{loaded}"
    );

    let collected = "5b0f2c9e-8d14-4f7a-b3e6-0a9d1c2e4f61";
    let xml = crate::openrosa::instance_xml(&form, &payload, &format!("uuid:{collected}"), "");
    let (status, message) = crate::openrosa::submit(
        &s,
        &base,
        &[(
            "xml_submission_file",
            "submission.xml",
            "text/xml",
            xml.as_bytes(),
        )],
    );
    assert_eq!(status, 201, "{message}");
    let stored = crate::openrosa::response(&s, &admin, collected);
    let got: Value = serde_json::from_str(
        stored["revisions"][0]["payload"]
            .as_str()
            .expect("a payload"),
    )
    .expect("JSON");
    for key in ["water:source_other", "power:other", "members"] {
        assert_eq!(got[key], payload[key], "{key} in {got}");
    }
}
