//! `baraza form check`, run as a real process on real files.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{TempDir, baraza_bin, repo};

fn check(args: &[&str], path: &Path) -> Output {
    Command::new(baraza_bin())
        .args(["form", "check"])
        .args(args)
        .arg(path)
        .output()
        .expect("baraza runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn form_check_prints_nothing_and_succeeds_for_each_built_in_form() {
    for name in [
        "f1_household",
        "f2_focus_group",
        "f3_service_actors",
        "f4_municipal_stakeholders",
    ] {
        let out = check(&[], &repo().join("forms").join(name));
        assert!(out.status.success(), "{name}: {}", stdout(&out));
        assert_eq!(stdout(&out), "", "{name}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("0 error(s), 0 warning(s)"));
    }
}

#[test]
fn form_check_reports_every_problem_of_a_broken_workbook_at_once_and_fails() {
    let dir = TempDir::with_files(
        "broken",
        &[
            (
                "survey.csv",
                b"type,name,label,relevant,calculation,constraint
text,name,Name,,,
integer,age,Age,${nmae} != '',,. >= 0 and
select_one colours,colour,Colour,,,
text,name,Name again,,,
calculate,a,,,${b} + 1,
calculate,b,,,${a} * 2,
begin group,g,Group,,,
background-audio,path,,,,
",
            ),
            (
                "choices.csv",
                b"list_name,name,label\nyes_no,yes,Yes\nyes_no,yes,Yes again\n",
            ),
        ],
    );
    let out = check(&[], &dir.0);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "\
survey:3:constraint: error: expression ends where a value was expected (at character 11 of \". >= 0 and\")
survey:3:relevant: error: ${nmae} does not name a field of this form (at character 1)
survey:4:type: error: choice list \"colours\" is not defined on the choices sheet
survey:5:name: error: the name \"name\" is already used on row 2 outside every group; names must be unique within their group or repeat
survey:6:calculation: error: calculations form a cycle: a → b → a
survey:8:type: error: begin group \"g\" is never closed with 'end group'
survey:9:type: error: question type \"background-audio\" is not supported by Baraza
choices:3:name: error: choice \"yes\" appears twice in list \"yes_no\" (first on row 2)
");
    assert!(String::from_utf8_lossy(&out.stderr).contains("8 error(s), 0 warning(s)"));
}

#[test]
fn form_check_reports_a_workbook_without_a_survey_sheet() {
    let dir = TempDir::with_files(
        "nosurvey",
        &[("choices.csv", b"list_name,name,label\nyes_no,yes,Yes\n")],
    );
    let out = check(&[], &dir.0);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "survey: error: the workbook has no survey sheet\n"
    );
}

#[test]
fn form_check_rejects_malformed_and_garbage_files_with_a_readable_error() {
    // A zip signature with nothing behind it, and 10 MB of noise named like a workbook.
    let mut noise = Vec::with_capacity(10 << 20);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while noise.len() < 10 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.extend_from_slice(&x.to_le_bytes());
    }
    let dir = TempDir::with_files(
        "garbage",
        &[
            ("broken.xlsx", b"PK\x03\x04not really a zip"),
            ("noise.xlsx", &noise),
            ("empty.xls", b""),
        ],
    );
    for name in ["broken.xlsx", "noise.xlsx", "empty.xls"] {
        let out = check(&[], &dir.0.join(name));
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{name}: error: not a readable spreadsheet")),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn form_check_reports_a_missing_path() {
    let out = check(&[], Path::new("/nonexistent/form.xlsx"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/form.xlsx"));
}

#[test]
fn form_check_json_lists_fields_in_document_order_with_their_paths() {
    let dir = TempDir::with_files("json", &[
        ("survey.csv", b"type,name,label,required,relevant,constraint,calculation,choice_filter,repeat_count
integer,n,How many?,yes,,. > 0,,,
begin repeat,person,Person,,,,,,${n}
select_one sex,sex,Sex,yes,,,,,
integer,age,Age,,${sex} != '',. < 120,,,
end repeat,,,,,,,,
calculate,total_age,,,,,sum(${age}),,
"),
        ("choices.csv", b"list_name,name,label\nsex,female,Female\nsex,male,Male\n"),
        ("settings.csv", b"form_id,version,form_title\nmini,3,Mini form\n"),
    ]);
    let out = check(&["--json"], &dir.0);
    assert!(out.status.success(), "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    let fields = v["form"]["fields"].as_array().expect("fields");
    let summary: Vec<(&str, &str, Option<&str>)> = fields
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or(""),
                f["type"].as_str().unwrap_or(""),
                f["repeat"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("n", "integer", None),
            ("person", "repeat", None),
            ("person/sex", "select_one", Some("person")),
            ("person/age", "integer", Some("person")),
            ("total_age", "calculate", None),
        ]
    );
    assert_eq!(fields[1]["repeat_count"], "${n}");
    assert_eq!(fields[2]["list"], "sex");
    assert_eq!(fields[2]["required"], "true()");
    assert_eq!(fields[3]["relevant"], "${sex} != ''");
    assert_eq!(fields[3]["constraint"], ". < 120");
    assert_eq!(fields[4]["calculation"], "sum(${age})");
    assert_eq!(v["form"]["settings"]["form_id"], "mini");
    assert_eq!(v["form"]["settings"]["version"], "3");
    assert_eq!(v["form"]["choices"]["sex"][1]["name"], "male");
    assert_eq!(v["diagnostics"], Value::Array(vec![]));
}
