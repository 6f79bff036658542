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

/// A sheet of plain text cells, first the header.
fn sheet(name: &str, rows: &[&[&str]]) -> Sheet {
    Sheet {
        name: name.into(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect(),
    }
}

/// Imported with no diagnostic at all.
fn import_clean(sheets: Vec<Sheet>) -> Form {
    let done = import(&Workbook { sheets }, "t");
    let problems: Vec<String> = done.diagnostics.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:?}");
    done.form
}

/// Published as an `.xlsx` through `POST /forms`, as an admin uploads one.
fn publish(s: &Server, admin: &str, sheets: &[(&str, &[&[&str]])]) {
    let res = s
        .http
        .post(s.url("/forms"))
        .bearer_auth(admin)
        .header("content-type", "application/octet-stream")
        .body(xlsx(sheets))
        .send()
        .expect("publish");
    assert_eq!(res.status(), 201, "{}", res.text().unwrap_or_default());
}

/// Version 1 of `form_id` as ODK Collect downloads it through a key's `base` URL; ODK's
/// own engine must load it.
fn xform_for_collect(s: &Server, base: &str, form_id: &str) -> String {
    let xform = s
        .http
        .get(format!("{base}/forms/{form_id}/1/form.xml"))
        .header("X-OpenRosa-Version", "1.0")
        .send()
        .expect("the XForm")
        .text()
        .expect("text");
    assert_odks_engine_loads(form_id, &xform);
    xform
}

fn assert_odks_engine_loads(name: &str, xform: &str) {
    let tmp = TempDir::new(name);
    let file = tmp.0.join(format!("{name}.xml"));
    std::fs::write(&file, xform).expect("write");
    let loaded = crate::openrosa::load_in_odks_engine(std::slice::from_ref(&file));
    assert_eq!(
        loaded[file.to_string_lossy().as_ref()]["ok"],
        true,
        "{loaded}"
    );
}

/// `answers` submitted as ODK Collect would under instance `id`; the payload Baraza holds.
fn submit_and_read(
    s: &Server,
    admin: &str,
    base: &str,
    form: &Form,
    answers: &Value,
    id: &str,
) -> Value {
    let xml = crate::openrosa::instance_xml(form, answers, &format!("uuid:{id}"), "");
    let (status, message) = crate::openrosa::submit(
        s,
        base,
        &[(
            "xml_submission_file",
            "submission.xml",
            "text/xml",
            xml.as_bytes(),
        )],
    );
    assert_eq!(status, 201, "{message}");
    let stored = crate::openrosa::response(s, admin, id);
    serde_json::from_str(
        stored["revisions"][0]["payload"]
            .as_str()
            .expect("a payload"),
    )
    .expect("JSON")
}

fn import_rows(survey: &[&[&str]]) -> Import {
    let sheets = vec![
        sheet("survey", survey),
        sheet("choices", CHOICES),
        sheet("settings", SETTINGS),
    ];
    import(&Workbook { sheets }, "t")
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
    publish(
        &s,
        &admin,
        &[
            ("survey", SURVEY),
            ("choices", CHOICES),
            ("settings", SETTINGS),
        ],
    );

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
    let xform = xform_for_collect(&s, &base, "names_by_group");
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
    let collected = "5b0f2c9e-8d14-4f7a-b3e6-0a9d1c2e4f61";
    let got = submit_and_read(&s, &admin, &base, &form, &payload, collected);
    for key in ["water:source_other", "power:other", "members"] {
        assert_eq!(got[key], payload[key], "{key} in {got}");
    }
}

/// A survey of the types added for real workbooks: every row as pyxform reads it.
pub(crate) const TYPES: &[&[&str]] = &[
    &["type", "name", "label", "default", "parameters"],
    &["start-geopoint", "opened_at", "", "", ""],
    &[
        "time",
        "arrived",
        "When did the water truck arrive?",
        "",
        "",
    ],
    &["dateTime", "cut", "When was the power last cut?", "", ""],
    &["barcode", "meter", "Meter number", "", ""],
    &[
        "acknowledge",
        "consent",
        "The household agrees to be interviewed",
        "",
        "",
    ],
    &["trigger", "seen", "I have seen the meter", "", ""],
    &["hidden", "round", "", "2026-R2", ""],
    &[
        "range",
        "level",
        "How full is the tank (0 to 100, by tens)?",
        "",
        "start=0 end=100 step=10",
    ],
];

pub(crate) const TYPES_SETTINGS: &[&[&str]] = &[
    &["form_id", "version", "form_title"],
    &["more_types", "1", "Water, power and consent"],
];

fn import_types() -> Form {
    import_clean(vec![
        sheet("survey", TYPES),
        sheet("settings", TYPES_SETTINGS),
    ])
}

#[test]
fn times_moments_codes_acknowledgements_hidden_values_and_the_opening_place_are_checked_as_odk_writes_them()
 {
    let form = import_types();
    let kinds: Vec<Kind> = form.fields.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::StartGeopoint,
            Kind::Time,
            Kind::DateTime,
            Kind::Barcode,
            Kind::Acknowledge,
            Kind::Acknowledge,
            Kind::Hidden,
            Kind::Range,
        ]
    );
    let issues = |answers: Value| -> Vec<String> {
        baraza_schema::validate(&form, &answers, today())
            .iter()
            .map(|i| format!("{}: {}", i.path, i.message))
            .collect()
    };
    // As a browser's inputs write them, and as ODK Collect does (seconds, fraction, offset).
    for (time, moment) in [
        ("09:30", "2026-12-03T09:30"),
        ("09:30:15", "2026-12-03T09:30:15Z"),
        ("23:59:60.250+03:00", "2026-12-03T09:30:00.000+03:00"),
        ("00:00:00.000-0530", "2026-12-03T23:59:59.9-05:30"),
    ] {
        let ok = issues(json!({
            "opened_at": {"lat": -1.2921, "lon": 36.8219},
            "arrived": time, "cut": moment, "meter": "KPLC-0042-17", "consent": "OK",
            "seen": "OK", "round": "2026-R2", "level": 40,
        }));
        assert!(ok.is_empty(), "{time} / {moment}: {ok:?}");
    }
    // What is not one, each said once at its question.
    for (time, moment) in [
        ("9:30", "2026-12-03 09:30"),
        ("24:00", "2026-13-03T09:30"),
        ("09:60", "2026-12-03T9:30"),
        ("09:30+3", "2026-12-03T09:30+03"),
        ("09:30:00Z+03:00", "2026-12-03"),
        ("half past nine", "2026-12-03T09:30:00.000+24:00"),
    ] {
        let bad = issues(json!({"arrived": time, "cut": moment, "consent": "yes"}));
        assert_eq!(
            bad,
            [
                "arrived: expected a time as HH:MM",
                "cut: expected a day and time as YYYY-MM-DDTHH:MM",
                "consent: expected \"OK\"",
            ],
            "{time} / {moment}"
        );
    }
    // A range's value is on its steps, between its ends.
    for level in [45, 110, -10] {
        assert_eq!(
            issues(json!({ "level": level })),
            ["level: the answer must be from 0 to 100 in steps of 10"],
            "{level}"
        );
    }
    let bad = issues(json!({"opened_at": {"lat": 100, "lon": 0}, "meter": 42, "level": "full"}));
    assert_eq!(
        bad,
        [
            "opened_at: expected a location {lat, lon}",
            "meter: expected text",
            "level: expected a number"
        ]
    );
}

#[test]
fn odk_collect_gets_each_added_type_as_pyxform_writes_it_and_its_submission_is_stored_as_sent() {
    let s = Server::start();
    let admin = s.admin();
    publish(
        &s,
        &admin,
        &[("survey", TYPES), ("settings", TYPES_SETTINGS)],
    );
    let form = import_types();
    let (_, base) = crate::openrosa::key_url(&s, &admin, "collect");
    let xform = xform_for_collect(&s, &base, "more_types");
    // pyxform 4.5's binds and controls for the same rows.
    for part in [
        r#"<bind nodeset="/data/opened_at" type="geopoint"/>"#,
        r#"<odk:setgeopoint ref="/data/opened_at" event="odk-instance-first-load"/>"#,
        r#"<bind nodeset="/data/arrived" type="time"/>"#,
        r#"<bind nodeset="/data/cut" type="dateTime"/>"#,
        r#"<bind nodeset="/data/meter" type="barcode"/>"#,
        r#"<bind nodeset="/data/consent" type="string"/>"#,
        r#"<trigger ref="/data/consent">"#,
        r#"<bind nodeset="/data/round" type="string"/>"#,
        r#"<bind nodeset="/data/level" type="int"/>"#,
        r#"<range ref="/data/level" start="0" end="100" step="10">"#,
        "<round>2026-R2</round>",
        r#"<input ref="/data/arrived">"#,
    ] {
        assert!(xform.contains(part), "{part} in {xform}");
    }
    for hidden in [r#"ref="/data/round""#, r#"<input ref="/data/opened_at""#] {
        assert!(!xform.contains(hidden), "no control: {hidden}");
    }
    // Collect's values, seconds and offsets included, are kept as sent.
    let sent = json!({
        "opened_at": {"lat": -1.2921, "lon": 36.8219, "alt": 1700.5, "accuracy": 4.0},
        "arrived": "09:30:00.000+03:00", "cut": "2026-12-02T21:15:00.000+03:00",
        "meter": "KPLC-0042-17", "consent": "OK", "seen": "OK", "round": "2026-R2", "level": 70,
    });
    let id = "7e1d0c4b-2f3a-4b5c-8d6e-9f0a1b2c3d4e";
    let got = submit_and_read(&s, &admin, &base, &form, &sent, id);
    for key in [
        "opened_at",
        "arrived",
        "cut",
        "meter",
        "consent",
        "seen",
        "round",
        "level",
    ] {
        assert_eq!(got[key], sent[key], "{key} in {got}");
    }
}

/// What importing one question of type `ty` with these `parameters` says.
fn with_parameters(ty: &str, parameters: &str) -> Vec<String> {
    let rows: &[&[&str]] = &[
        &["type", "name", "label", "parameters"],
        &[ty, "q", "Q", parameters],
    ];
    import(
        &Workbook {
            sheets: vec![sheet("survey", rows)],
        },
        "t",
    )
    .diagnostics
    .iter()
    .map(ToString::to_string)
    .collect()
}

#[test]
fn range_parameters_are_read_as_pyxform_reads_them_and_refused_where_it_refuses_them() {
    // Accepted as pyxform 4.5 accepts them: descending, a step that does not divide the
    // range, the slider's own keys, and none at all (1 to 10 by 1).
    for ok in [
        "start=10 end=1 step=1",
        "start=1 end=10 step=2",
        "start=0 end=1 step=0.25 tick_interval=2 placeholder=5",
        "",
    ] {
        assert_eq!(with_parameters("range", ok), Vec::<String>::new(), "{ok}");
    }
    for (bad, said) in [
        (
            "start=1 end=10 step=0",
            "must not be 0 nor larger than the range",
        ),
        ("start=1 end=1", "must not be 0 nor larger than the range"),
        ("start=a end=10", "\"start=a\" is not a range parameter"),
        ("foo=1", "\"foo=1\" is not a range parameter"),
    ] {
        let shown = with_parameters("range", bad);
        assert!(
            shown.len() == 1
                && shown[0].starts_with("survey:2:parameters: error:")
                && shown[0].contains(said),
            "{bad}: {shown:?}"
        );
    }
    // On a question that takes none, they are said to be ignored.
    let shown = with_parameters("text", "max-pixels=1024");
    assert!(
        shown.len() == 1
            && shown[0].contains("warning: parameters of a text question are not used"),
        "{shown:?}"
    );
}

#[test]
fn indexed_repeat_reads_another_repeats_row_in_the_engine_and_in_odks() {
    let rows: &[&[&str]] = &[
        &[
            "type",
            "name",
            "label",
            "relevant",
            "calculation",
            "repeat_count",
        ],
        &["begin repeat", "members", "Members", "", "", ""],
        &["text", "m_name", "Name", "", "", ""],
        &["integer", "m_age", "Age", "", "", ""],
        &["end repeat", "", "", "", "", ""],
        &["begin repeat", "work", "Work", "", "", "count(${members})"],
        &[
            "calculate",
            "who",
            "",
            "",
            "indexed-repeat(${m_name}, ${members}, position(..))",
            "",
        ],
        &[
            "text",
            "job",
            "What work does ${who} do?",
            "indexed-repeat(${m_age}, ${members}, position(..)) >= 15",
            "",
            "",
        ],
        &["end repeat", "", "", "", "", ""],
        &["calculate", "names", "", "", "join(', ', ${m_name})", ""],
    ];
    let settings: &[&[&str]] = &[&["form_id", "version"], &["work_by_member", "1"]];
    let form = import_clean(vec![sheet("survey", rows), sheet("settings", settings)]);
    // The engine: each work row sees its own member; a child's row asks no work.
    let answers = json!({
        "members": [{"m_name": "Achieng", "m_age": 34}, {"m_name": "Baraka", "m_age": 9}],
        "work": [{"job": "Mama mboga"}, {"job": "Herding"}],
    });
    let issues: Vec<String> = baraza_schema::validate(&form, &answers, today())
        .iter()
        .map(|i| format!("{} {:?}", i.path, i.kind))
        .collect();
    assert_eq!(issues, ["work[2]/job NotRelevant"]);
    let states = baraza_schema::inspect(&form, &answers, today());
    let value = |path: &str| states.get(path).and_then(|s| s.value.clone());
    assert_eq!(value("work[1]/who").as_deref(), Some("Achieng"));
    assert_eq!(value("work[2]/who").as_deref(), Some("Baraka"));
    assert_eq!(value("names").as_deref(), Some("Achieng, Baraka"));
    // ODK's own engine loads the same logic from Baraza's XForm.
    let xform = baraza_server::openrosa::xform::xform(&form);
    assert!(
        xform.contains("indexed-repeat(/data/members/m_name, /data/members, position(..))"),
        "{xform}"
    );
    assert_odks_engine_loads("work_by_member", &xform);
}

#[test]
fn a_loop_over_a_choice_list_is_a_group_per_choice_with_its_name_and_label_in_every_language() {
    let survey: &[&[&str]] = &[
        &[
            "type",
            "name",
            "label::English (en)",
            "label::Kiswahili (sw)",
        ],
        &["begin loop over service", "per_service", "", ""],
        &[
            "integer",
            "months",
            "Months without %(label)s?",
            "Miezi bila %(label)s?",
        ],
        &["text", "code", "Code (%(name)s)", "Msimbo (%(name)s)"],
        &["end loop", "", "", ""],
    ];
    let choices: &[&[&str]] = &[
        &[
            "list_name",
            "name",
            "label::English (en)",
            "label::Kiswahili (sw)",
        ],
        &["service", "water", "water", "maji"],
        &["service", "power", "power", "umeme"],
    ];
    let form = import_clean(vec![sheet("survey", survey), sheet("choices", choices)]);
    let outline: Vec<(String, String)> = form
        .outline()
        .fields
        .into_iter()
        .map(|f| (f.path, f.name))
        .collect();
    let at = |path: &str, key: &str| (path.to_owned(), key.to_owned());
    assert_eq!(
        outline,
        [
            at("per_service", "per_service"),
            at("per_service/water", "water"),
            at("per_service/water/months", "per_service:water:months"),
            at("per_service/water/code", "per_service:water:code"),
            at("per_service/power", "power"),
            at("per_service/power/months", "per_service:power:months"),
            at("per_service/power/code", "per_service:power:code"),
        ]
    );
    let months = form
        .field("per_service:power:months")
        .expect("a copy per choice");
    assert_eq!(months.label["English (en)"], "Months without power?");
    assert_eq!(months.label["Kiswahili (sw)"], "Miezi bila umeme?");
    let code = form
        .field("per_service:water:code")
        .expect("a copy per choice");
    assert_eq!(code.label["Kiswahili (sw)"], "Msimbo (water)");
    assert_eq!(
        form.field("water")
            .map(|g| g.label["Kiswahili (sw)"].as_str()),
        Some("maji"),
        "each group is labelled with its choice"
    );
    // Answers are checked per copy.
    let issues: Vec<String> = baraza_schema::validate(
        &form,
        &json!({"per_service:water:months": 3, "per_service:power:months": "many"}),
        today(),
    )
    .iter()
    .map(|i| i.path.clone())
    .collect();
    assert_eq!(issues, ["per_service:power:months"]);

    // A loop over a list the form does not have, or over nothing: an error at its row.
    for (ty, said) in [
        (
            "begin loop over services",
            "choice list \"services\" is not defined",
        ),
        ("begin loop", "names no choice list"),
    ] {
        let rows: &[&[&str]] = &[
            &["type", "name", "label"],
            &[ty, "l", ""],
            &["integer", "n", "N"],
            &["end loop", "", ""],
        ];
        let done = import(
            &Workbook {
                sheets: vec![sheet("survey", rows), sheet("choices", choices)],
            },
            "t",
        );
        let shown: Vec<String> = done.errors().map(ToString::to_string).collect();
        assert!(
            shown.len() == 1
                && shown[0].starts_with("survey:2:type: error:")
                && shown[0].contains(said),
            "{ty}: {shown:?}"
        );
    }
}

#[test]
fn photos_recordings_videos_and_files_import_with_pyxforms_parameters_and_reach_odk_as_uploads() {
    let rows: &[&[&str]] = &[
        &["type", "name", "label", "parameters"],
        &["image", "house", "The house", "max-pixels=1024"],
        &[
            "photo",
            "meter",
            "The meter",
            "max-pixels=800 app=org.example.cam",
        ],
        &["audio", "voice", "In their words", "quality=voice-only"],
        &["video", "walk", "The street", ""],
        &["file", "letter", "A letter", ""],
    ];
    let done = import(
        &Workbook {
            sheets: vec![sheet("survey", rows)],
        },
        "files",
    );
    assert!(!done.has_errors(), "{:?}", done.diagnostics);
    let kinds: Vec<(Kind, Option<u32>)> = done
        .form
        .fields
        .iter()
        .map(|f| (f.kind, f.max_pixels()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::Image, Some(1024)),
            (Kind::Image, Some(800)),
            (Kind::Audio, None),
            (Kind::Video, None),
            (Kind::File, None),
        ]
    );
    let said: Vec<String> = done.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(said, Vec::<String>::new());

    // Refused where pyxform 4.5 refuses ("Parameter max-pixels must have an integer value.",
    // "Invalid value for quality.", a key the type does not take); a photo without
    // max-pixels is a warning, as pyxform's.
    for (ty, bad, said) in [
        (
            "image",
            "max-pixels=big",
            "max-pixels must be a whole number",
        ),
        (
            "image",
            "foo=1",
            "\"foo=1\" is not a parameter of image questions",
        ),
        ("audio", "quality=great", "\"great\" is not a quality"),
        (
            "audit",
            "track-changes=yes",
            "track-changes must be true or false",
        ),
        (
            "audit",
            "location-priority=fast location-min-interval=1 location-max-age=2",
            "\"fast\" is not a location priority",
        ),
        (
            "audit",
            "location-priority=balanced",
            "an audit's location needs all three",
        ),
        (
            "audit",
            "location-priority=balanced location-min-interval=x location-max-age=2",
            "location-min-interval must be a whole number of seconds",
        ),
        (
            "audit",
            "foo=1",
            "\"foo=1\" is not a parameter of audit questions",
        ),
        (
            "audio",
            "max-pixels=5",
            "\"max-pixels=5\" is not a parameter of audio questions",
        ),
    ] {
        let shown = with_parameters(ty, bad);
        let errors: Vec<&String> = shown.iter().filter(|d| d.contains(" error: ")).collect();
        assert!(
            errors.len() == 1
                && errors[0].starts_with("survey:2:parameters: error:")
                && errors[0].contains(said),
            "{ty} {bad}: {errors:?}"
        );
    }
    // An audit logs the whole interview: in a repeat too it is the form's, as pyxform has it.
    let rows: &[&[&str]] = &[
        &["type", "name", "label"],
        &["begin repeat", "visits", "Visits"],
        &["audit", "audit", ""],
        &["text", "note", "Note"],
        &["end repeat", "", ""],
    ];
    let audited = import(
        &Workbook {
            sheets: vec![sheet("survey", rows)],
        },
        "audited",
    );
    assert!(!audited.has_errors(), "{:?}", audited.diagnostics);
    let top: Vec<(&str, Kind)> = audited
        .form
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.kind))
        .collect();
    assert_eq!(top, [("audit", Kind::Audit), ("visits", Kind::Repeat)]);
    let x = baraza_server::openrosa::xform::xform(&audited.form);
    assert!(x.contains("<meta><audit/><instanceID/></meta>"), "{x}");

    let shown = with_parameters("image", "");
    assert!(
        shown.len() == 1 && shown[0].contains("warning: photos are kept at the size"),
        "{shown:?}"
    );

    // ODK Collect gets binary binds and upload controls, as pyxform writes them.
    let x = baraza_server::openrosa::xform::xform(&done.form);
    for bind in [
        r#"<bind nodeset="/data/house" type="binary" orx:max-pixels="1024"/>"#,
        r#"<bind nodeset="/data/voice" type="binary" odk:quality="voice-only"/>"#,
        r#"<bind nodeset="/data/letter" type="binary"/>"#,
    ] {
        assert!(x.contains(bind), "{bind} in {x}");
    }
    for control in [
        r#"<upload ref="/data/house" mediatype="image/*">"#,
        r#"<upload ref="/data/voice" mediatype="audio/*">"#,
        r#"<upload ref="/data/walk" mediatype="video/*">"#,
        r#"<upload ref="/data/letter" mediatype="application/*">"#,
    ] {
        assert!(x.contains(control), "{control} in {x}");
    }
    assert_odks_engine_loads("files", &x);
}

/// A survey sheet imported with the files uploaded beside it, and what the import said.
fn import_survey(
    survey: &[&[&str]],
    stem: &str,
    files: &[baraza_schema::Attached],
) -> (baraza_schema::Import, Vec<String>) {
    let done = baraza_schema::import_with_files(
        &Workbook {
            sheets: vec![sheet("survey", survey)],
        },
        stem,
        files,
    );
    let said = done.diagnostics.iter().map(ToString::to_string).collect();
    (done, said)
}

#[test]
fn choices_and_lookups_come_from_csv_files_uploaded_with_the_workbook() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "calculation", "choice_filter"],
        &[
            "select_one_from_file households.csv",
            "hh",
            "Household",
            "",
            "",
        ],
        &[
            "calculate",
            "head",
            "",
            "pulldata('households', 'head', 'name', ${hh})",
            "",
        ],
        &[
            "calculate",
            "size",
            "",
            "instance('households')/root/item[name = ${hh}]/size",
            "",
        ],
        &[
            "select_one_from_file households.csv",
            "big",
            "A big household",
            "",
            "size > 5",
        ],
        &[
            "select_multiple_from_file wards.xml",
            "wards",
            "Wards",
            "",
            "",
        ],
    ];
    let households = sheet(
        "households.csv",
        &[
            &["name", "label", "label::Français (fr)", "head", "size"],
            &["h1", "House 1", "Maison 1", "Amina", "4"],
            &["h2", "House 2", "Maison 2", "Juma", "6"],
        ],
    );
    let sha = "ab".repeat(32);
    let files = [baraza_schema::Attached {
        name: "households.csv".into(),
        sha256: sha.clone(),
        table: Some(households),
    }];
    let (done, said) = import_survey(survey, "lookups", &files);
    assert_eq!(
        said,
        [
            "survey:6:type: warning: \"wards.xml\" is not attached: upload it with the workbook (a .zip of both, or chosen together) before publishing"
        ]
    );
    assert_eq!(done.missing_files, ["wards.xml"]);
    let form = &done.form;
    assert_eq!(
        form.files,
        std::collections::BTreeMap::from([("households.csv".to_owned(), sha)])
    );
    let list = &form.choices["households.csv"];
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[1].label.get("Français (fr)").map(String::as_str),
        Some("Maison 2")
    );
    assert_eq!(list[1].extra.get("size").map(String::as_str), Some("6"));
    // pulldata() and instance() paths are one lookup, as they mean the same.
    let calc = |name: &str| {
        form.field(name)
            .and_then(|f| f.calculation.as_ref())
            .map(|c| c.expr().to_string())
    };
    assert_eq!(
        calc("head").as_deref(),
        Some("lookup('households.csv', 'head', name = ${hh})")
    );
    assert_eq!(
        calc("size").as_deref(),
        Some("lookup('households.csv', 'size', name = ${hh})")
    );
    let today = Date::from_ymd(2026, 12, 4).expect("date");
    let states = baraza_schema::inspect(form, &json!({"hh": "h2"}), today);
    assert_eq!(states["head"].value.as_deref(), Some("Juma"));
    assert_eq!(states["size"].value.as_deref(), Some("6"));
    assert_eq!(states["big"].choices, Some(vec!["h2".to_owned()]));
    assert!(
        baraza_schema::validate(form, &json!({"hh": "h9"}), today)
            .iter()
            .any(|i| i.path == "hh"),
        "an answer not in the file is refused"
    );

    // ODK clients read the file as an external instance, by the file's name without extension.
    let x = baraza_server::openrosa::xform::xform(form);
    for part in [
        r#"<instance id="households" src="jr://file-csv/households.csv"/>"#,
        r#"<itemset nodeset="instance(&apos;households&apos;)/root/item"><value ref="name"/><label ref="label"/></itemset>"#,
        r#"calculate="instance(&apos;households&apos;)/root/item[name = /data/hh]/head""#,
        r#"<itemset nodeset="instance(&apos;households&apos;)/root/item[size &gt; 5]">"#,
    ] {
        assert!(x.contains(part), "{part} in {x}");
    }

    // Published only with every file it uses.
    let refused = done.publishable().expect_err("a file is missing");
    assert!(
        refused
            .errors()
            .any(|e| e.message.contains("the form uses the file \"wards.xml\"")),
        "{:?}",
        refused.diagnostics
    );
}

/// pyxform's `value=` and `label=` parameters of `select_one_from_file`: the file's columns an
/// item's value and label come from; ODK clients are told the same columns (pyxform's XForm
/// for this sheet has `<value ref="hid"/><label ref="hname"/>`), from one instance per file.
#[test]
fn a_choice_from_a_file_takes_its_value_and_label_from_the_columns_its_parameters_name() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "parameters"],
        &["select_one_from_file households.csv", "hh", "Household", ""],
        &[
            "select_one_from_file households.csv",
            "by_id",
            "Household by its number",
            "value=hid, label=hname",
        ],
        &[
            "select_multiple_from_file households.csv",
            "odd",
            "Odd",
            "colour=red",
        ],
    ];
    let households = sheet(
        "households.csv",
        &[
            &["name", "label", "hid", "hname"],
            &["h1", "House 1", "H-001", "Amina's house"],
            &["h2", "House 2", "H-002", "Juma's house"],
        ],
    );
    let files = [baraza_schema::Attached {
        name: "households.csv".into(),
        sha256: "cd".repeat(32),
        table: Some(households),
    }];
    let (done, said) = import_survey(survey, "by_columns", &files);
    assert_eq!(
        said,
        [
            "survey:4:parameters: error: \"colour=red\" is not a parameter of a choice from a file: write value= and label= with the file's column names"
        ]
    );
    let form = &done.form;
    let list = form
        .field("by_id")
        .and_then(|f| f.list.clone())
        .expect("a list");
    assert_eq!(list, "households.csv/hid/hname");
    let items: Vec<(&str, &str)> = form.choices[&list]
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.label.values().next().map_or("", String::as_str),
            )
        })
        .collect();
    assert_eq!(
        items,
        [("H-001", "Amina's house"), ("H-002", "Juma's house")]
    );
    assert_eq!(
        form.field("hh").and_then(|f| f.list.as_deref()),
        Some("households.csv"),
        "without parameters, the name and label columns"
    );
    let today = Date::from_ymd(2026, 12, 4).expect("date");
    assert!(
        baraza_schema::validate(form, &json!({"by_id": "H-002", "hh": "h1"}), today).is_empty()
    );
    assert!(
        baraza_schema::validate(form, &json!({"by_id": "h2"}), today)
            .iter()
            .any(|i| i.path == "by_id"),
        "a name from the name column is not a value of this question"
    );

    let x = baraza_server::openrosa::xform::xform(form);
    assert_eq!(x.matches("<instance id=\"households\"").count(), 1, "{x}");
    for part in [
        r#"<value ref="hid"/><label ref="hname"/>"#,
        r#"<value ref="name"/><label ref="label"/>"#,
    ] {
        assert!(x.contains(part), "{part} in {x}");
    }
}

/// `csv-external` and `xml-external` rows declare a data file by name (no question); lookups
/// by that name read it, and ODK clients get it as pyxform declares it (an external instance
/// by the declared name).
#[test]
fn external_data_files_are_declared_by_name_read_by_lookups_and_required_at_publish() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "calculation"],
        &["csv-external", "households", "", ""],
        &["xml-external", "wards", "", ""],
        &[
            "calculate",
            "head",
            "",
            "instance('households')/root/item[name = 'h2']/head",
        ],
        &[
            "calculate",
            "ward",
            "",
            "instance('wards')/root/item[name = 'w1']/label",
        ],
        &["csv-external", "", "", ""],
    ];
    let households = sheet(
        "households.csv",
        &[
            &["name", "label", "head"],
            &["h1", "House 1", "Amina"],
            &["h2", "House 2", "Juma"],
        ],
    );
    let files = [baraza_schema::Attached {
        name: "households.csv".into(),
        sha256: "ef".repeat(32),
        table: Some(households),
    }];
    let (done, said) = import_survey(survey, "externals", &files);
    assert_eq!(
        said,
        [
            "survey:3:type: warning: \"wards.xml\" is not attached: upload it with the workbook (a .zip of both, or chosen together) before publishing",
            "survey:6:name: error: \"csv-external\" row has no name: the file's name without its extension",
        ]
    );
    assert_eq!(done.missing_files, ["wards.xml"]);
    let form = &done.form;
    let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["head", "ward"], "a declaration is no question");
    let calc = |name: &str| {
        form.field(name)
            .and_then(|f| f.calculation.as_ref())
            .map(|c| c.expr().to_string())
    };
    assert_eq!(
        calc("ward").as_deref(),
        Some("lookup('wards.xml', 'label', name = 'w1')")
    );
    let today = Date::from_ymd(2026, 12, 4).expect("date");
    let states = baraza_schema::inspect(form, &json!({}), today);
    assert_eq!(states["head"].value.as_deref(), Some("Juma"));

    let x = baraza_server::openrosa::xform::xform(form);
    for part in [
        r#"<instance id="households" src="jr://file-csv/households.csv"/>"#,
        r#"calculate="instance(&apos;households&apos;)/root/item[name = &apos;h2&apos;]/head""#,
        r#"calculate="instance(&apos;wards&apos;)/root/item[name = &apos;w1&apos;]/label""#,
    ] {
        assert!(x.contains(part), "{part} in {x}");
    }
}

/// Pictures and sounds beside labels (`image`, `big-image`, `audio`, `video`, with or without
/// `media::` and a language): files the form carries, shown by ODK clients as pyxform writes
/// them (an itext `<value form="image">jr://images/…</value>` per translation; pyxform 4.5's
/// XForm of this sheet has the same values); Baraza's phone shows them too, but for big-image.
#[test]
fn pictures_and_sounds_beside_labels_come_with_the_form_and_reach_odk_clients_in_each_language() {
    let survey: &[&[&str]] = &[
        &[
            "type",
            "name",
            "label::English (en)",
            "label::Français (fr)",
            "media::image::English (en)",
            "media::image::Français (fr)",
            "audio",
            "big-image",
        ],
        &[
            "text",
            "q",
            "Which pump?",
            "Quelle pompe ?",
            "pump.png",
            "pompe.png",
            "ask.mp3",
            "",
        ],
        &["note", "n", "", "", "", "map.png", "", "map.jpg"],
        &["note", "lone", "Alone", "Seul", "", "", "", "big.jpg"],
    ];
    let attached = |name: &str| baraza_schema::Attached {
        name: name.into(),
        sha256: "12".repeat(32),
        table: None,
    };
    let files = ["pump.png", "pompe.png", "ask.mp3", "map.png", "big.jpg"].map(attached);
    let (done, said) = import_survey(survey, "pictures", &files);
    assert_eq!(
        said,
        [
            "survey:3:big-image: warning: a big-image (the larger view ODK clients open when the image is tapped) is for ODK clients; Baraza's own phone shows the image",
            "survey:3:big-image: warning: \"map.jpg\" is not attached: upload it with the workbook (a .zip of both, or chosen together) before publishing",
            "survey:4:big-image: error: a big-image is the larger view of the label's image: give the image too",
        ]
    );
    assert_eq!(done.missing_files, ["map.jpg"]);
    let form = &done.form;
    let q = form.field("q").expect("q");
    let text = |pairs: &[(&str, &str)]| -> baraza_schema::form::Text {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        q.media,
        std::collections::BTreeMap::from([
            ("audio".to_owned(), text(&[("default", "ask.mp3")])),
            (
                "image".to_owned(),
                text(&[("English (en)", "pump.png"), ("Français (fr)", "pompe.png")])
            ),
        ])
    );

    let x = baraza_server::openrosa::xform::xform(form);
    for part in [
        r#"<text id="/data/q:label"><value>Which pump?</value><value form="audio">jr://audio/ask.mp3</value><value form="image">jr://images/pump.png</value></text>"#,
        r#"<text id="/data/q:label"><value>Quelle pompe ?</value><value form="audio">jr://audio/ask.mp3</value><value form="image">jr://images/pompe.png</value></text>"#,
        r#"<text id="/data/n:label"><value form="big-image">jr://images/map.jpg</value><value form="image">jr://images/map.png</value></text>"#,
        r#"<input ref="/data/q"><label ref="jr:itext('/data/q:label')"/></input>"#,
    ] {
        assert!(x.contains(part), "{part} in {x}");
    }
    // Beside choices too: kept beside the choice, and written as pyxform 4.5 writes
    // them (its XForm of this sheet has the same itext for `pumps-0`); a file not attached is
    // said and keeps the form from being published.
    let with_choices = baraza_schema::import_with_files(
        &Workbook {
            sheets: vec![
                sheet(
                    "survey",
                    &[
                        &[
                            "type",
                            "name",
                            "label::English (en)",
                            "label::Français (fr)",
                        ],
                        &["select_one pumps", "p", "Pump", "Pompe"],
                    ],
                ),
                sheet(
                    "choices",
                    &[
                        &[
                            "list_name",
                            "name",
                            "label::English (en)",
                            "label::Français (fr)",
                            "media::image::English (en)",
                            "media::image::Français (fr)",
                            "audio",
                        ],
                        &[
                            "pumps",
                            "hand",
                            "Hand pump",
                            "Pompe à main",
                            "pump.png",
                            "pompe.png",
                            "",
                        ],
                        &["pumps", "motor", "Motor", "Moteur", "", "", "motor.mp3"],
                    ],
                ),
            ],
        },
        "choice_pictures",
        &files,
    );
    let said: Vec<String> = with_choices
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        said,
        [
            "choices:3:audio: warning: \"motor.mp3\" is not attached: upload it with the workbook (a .zip of both, or chosen together) before publishing",
        ]
    );
    assert_eq!(with_choices.missing_files, ["motor.mp3"]);
    let hand = &with_choices.form.choices["pumps"][0];
    assert!(hand.extra.is_empty(), "{:?}", hand.extra);
    assert_eq!(
        hand.media,
        std::collections::BTreeMap::from([(
            "image".to_owned(),
            text(&[("English (en)", "pump.png"), ("Français (fr)", "pompe.png")])
        )])
    );
    let xc = baraza_server::openrosa::xform::xform(&with_choices.form);
    for part in [
        r#"<text id="pumps-0"><value>Hand pump</value><value form="image">jr://images/pump.png</value></text>"#,
        r#"<text id="pumps-0"><value>Pompe à main</value><value form="image">jr://images/pompe.png</value></text>"#,
        r#"<text id="pumps-1"><value>Motor</value><value form="audio">jr://audio/motor.mp3</value></text>"#,
        r#"<item><itextId>pumps-0</itextId><name>hand</name></item>"#,
    ] {
        assert!(xc.contains(part), "{part} in {xc}");
    }

    // ODK's own engine loads it.
    let dir = crate::support::TempDir::new("pictures");
    let file = dir.0.join("pictures.xml");
    std::fs::write(&file, &x).expect("write the XForm");
    let beside = dir.0.join("choice_pictures.xml");
    std::fs::write(&beside, &xc).expect("write the XForm");
    let both = [file, beside];
    let loaded = crate::openrosa::load_in_odks_engine(&both);
    for f in &both {
        let loaded = &loaded[f.to_string_lossy().as_ref()];
        assert_eq!(loaded["ok"], true, "{loaded}");
    }
}

#[test]
fn lookups_read_the_way_odk_writes_them_and_what_is_not_one_is_refused_clearly() {
    let form = |calculation: &str| {
        let survey: &[&[&str]] = &[
            &["type", "name", "label", "calculation"],
            &["text", "x", "X", ""],
            &["calculate", "c", "", calculation],
        ];
        let choices: &[&[&str]] = &[
            &["list_name", "name", "label", "price"],
            &["fruits", "mango", "Mango", "3"],
        ];
        import(
            &Workbook {
                sheets: vec![sheet("survey", survey), sheet("choices", choices)],
            },
            "l",
        )
    };
    // A choices-sheet list by its own name; quotes and brackets inside the filter.
    let done =
        form("concat(instance('fruits')/root/item[name = 'ma]ngo' or name=${x}]/price, 'x')");
    assert!(!done.has_errors(), "{:?}", done.diagnostics);
    assert_eq!(
        done.form
            .field("c")
            .and_then(|f| f.calculation.as_ref())
            .map(|c| c.expr().to_string())
            .as_deref(),
        Some("concat(lookup('fruits', 'price', name = 'ma]ngo' or name = ${x}), 'x')")
    );
    // A file's list that was not uploaded: the form can be checked, not published.
    let done = form("pulldata('prices', 'price', 'name', ${x})");
    assert_eq!(done.missing_files, ["prices.csv"]);
    // Not a lookup: the parser says what is wrong.
    for bad in [
        "instance('fruits')/root/item",
        "instance('fruits')/root/item[name = 'x']",
    ] {
        let done = form(bad);
        assert!(
            done.errors().any(|e| e.message.contains("instance()")),
            "{bad}: {:?}",
            done.diagnostics
        );
    }
}

#[test]
fn a_choices_label_by_jr_choice_name_and_once_read_as_odk_forms_write_them() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "calculation"],
        &["select_one crops or_other", "crop", "Crop", ""],
        &[
            "calculate",
            "crop_label",
            "",
            "jr:choice-name(${crop}, '${crop}')",
        ],
        &[
            "calculate",
            "path_label",
            "",
            "jr:choice-name( ${crop} , ' /data/crop ')",
        ],
        &["calculate", "first", "", "once(concat('x', ${crop}))"],
        &["note", "said", "You chose ${crop_label}", ""],
    ];
    let choices: &[&[&str]] = &[
        &["list_name", "name", "label"],
        &["crops", "maize", "Maize"],
        &["crops", "beans", "Beans"],
    ];
    let form = import_clean(vec![sheet("survey", survey), sheet("choices", choices)]);
    let calc = |name: &str| {
        form.field(name)
            .and_then(|f| f.calculation.as_ref())
            .map(|c| c.expr().to_string())
    };
    assert_eq!(
        calc("crop_label").as_deref(),
        Some("lookup('crops', 'label', name = ${crop})")
    );
    assert_eq!(calc("path_label"), calc("crop_label"));
    let today = Date::from_ymd(2026, 12, 4).expect("date");
    let states = baraza_schema::inspect(&form, &json!({"crop": "beans"}), today);
    assert_eq!(states["crop_label"].value.as_deref(), Some("Beans"));
    assert_eq!(states["first"].value.as_deref(), Some("xbeans"));

    // ODK clients get jr:choice-name() and once() back, and ODK's engine loads the form.
    let x = baraza_server::openrosa::xform::xform(&form);
    for part in [
        r#"calculate="jr:choice-name(/data/crop, &apos;/data/crop&apos;)""#,
        r#"calculate="once(concat(&apos;x&apos;, /data/crop))""#,
    ] {
        assert!(x.contains(part), "{part} in {x}");
    }
    assert_odks_engine_loads("choice_name", &x);

    // A path that names no select is not read as a label lookup: the parser says why.
    let done = import(
        &Workbook {
            sheets: vec![sheet(
                "survey",
                &[
                    &["type", "name", "label", "calculation"],
                    &["text", "t", "T", ""],
                    &["calculate", "c", "", "jr:choice-name(${t}, '${t}')"],
                ],
            )],
        },
        "bad",
    );
    assert!(done.has_errors(), "{:?}", done.diagnostics);
}

#[test]
fn a_path_and_an_area_import_are_checked_as_odk_writes_them_and_stay_with_admins() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label"],
        &["geotrace", "drain", "Walk along the drain"],
        &["geoshape", "plot", "Walk round the plot"],
    ];
    let form = import_clean(vec![sheet("survey", survey)]);
    let kinds: Vec<Kind> = form.fields.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [Kind::Geotrace, Kind::Geoshape]);
    let today = Date::from_ymd(2026, 12, 4).expect("date");
    let issues = |answers: Value| -> Vec<String> {
        baraza_schema::validate(&form, &answers, today)
            .into_iter()
            .map(|i| format!("{}: {}", i.path, i.message))
            .collect()
    };
    // As ODK Collect sends them: points `lat lon alt accuracy` separated by `;`.
    assert_eq!(
        issues(json!({
            "drain": "-1.2921 36.8219 1700 5;-1.2925 36.8225 1702 4.5",
            "plot": "-1.29 36.82; -1.29 36.83; -1.30 36.83; -1.29 36.82",
        })),
        Vec::<String>::new()
    );
    for (answers, path) in [
        (json!({"drain": "-1.2921 36.8219"}), "drain"),
        (json!({"drain": "-1.29 36.82; 95 36.83"}), "drain"),
        (json!({"drain": "north; south"}), "drain"),
        (
            json!({"plot": "-1.29 36.82; -1.29 36.83; -1.30 36.83"}),
            "plot",
        ),
        (
            json!({"plot": "-1.29 36.82; -1.29 36.83; -1.30 36.83; -1.31 36.84"}),
            "plot",
        ),
        (json!({"plot": 4}), "plot"),
    ] {
        let said = issues(answers.clone());
        assert!(
            said.len() == 1 && said[0].starts_with(&format!("{path}: ")),
            "{answers} gives {said:?}"
        );
    }
    let x = baraza_server::openrosa::xform::xform(&form);
    for bind in [
        r#"<bind nodeset="/data/drain" type="geotrace"/>"#,
        r#"<bind nodeset="/data/plot" type="geoshape"/>"#,
    ] {
        assert!(x.contains(bind), "{bind} in {x}");
    }
    assert_odks_engine_loads("shapes", &x);
    // Like a point, a path or an area locates a household: admins' export only.
    for f in &form.fields {
        assert!(
            !baraza_schema::export::allowed(f, baraza_schema::export::Access::Reviewer),
            "{}",
            f.name
        );
    }
}

/// `now()` and `random()` as ODK forms use them: a calculation of its own (in `once()` or
/// not), which the device fills and the server checks is there; used inside a larger
/// expression, a sentence says to give it a calculation of its own. ODK clients get the
/// calculation as written (pyxform 4.5 writes the same).
#[test]
fn now_and_random_are_calculations_the_device_fills_and_the_server_requires() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "calculation", "relevant"],
        &["calculate", "began", "", "once(now())", ""],
        &["calculate", "stamp", "", "now()", ""],
        &["calculate", "draw", "", "once( random() )", ""],
        &["calculate", "bid", "", "int(${draw} * 5) + 1", ""],
        &["integer", "price", "Price", "", "${draw} < 0.5"],
    ];
    let (done, said) = import_survey(survey, "devices", &[]);
    assert_eq!(said, Vec::<String>::new());
    let form = &done.form;
    let call = |n: &str| form.field(n).and_then(|f| f.device_call());
    assert_eq!(
        [call("began"), call("stamp"), call("draw"), call("bid")],
        [Some("now"), Some("now"), Some("random"), None]
    );
    let today = baraza_schema::Date::parse("2026-12-04").expect("a date");
    let missing: Vec<String> = baraza_schema::validate(form, &json!({}), today)
        .iter()
        .map(|i| format!("{} {}", i.path, i.message))
        .collect();
    assert_eq!(
        missing,
        [
            "began now() is filled by the device, but it is missing",
            "stamp now() is filled by the device, but it is missing",
            "draw random() is filled by the device, but it is missing",
        ]
    );
    let filled = json!({"began": "2026-12-04T09:00:00.000Z", "stamp": "2026-12-04T09:20:00.000Z",
                        "draw": 0.25, "price": 40});
    assert_eq!(baraza_schema::validate(form, &filled, today), vec![]);
    // The draw decides what applies: above a half, the price is not asked.
    let high = json!({"began": "2026-12-04T09:00:00.000Z", "stamp": "2026-12-04T09:20:00.000Z",
                      "draw": 0.75, "price": 40});
    assert_eq!(
        baraza_schema::validate(form, &high, today)[0].kind,
        baraza_schema::IssueKind::NotRelevant
    );
    let x = baraza_server::openrosa::xform::xform(form);
    for part in [
        r#"calculate="once(now())""#,
        r#"calculate="now()""#,
        r#"calculate="once(random())""#,
    ] {
        assert!(x.contains(part), "{part} in {x}");
    }

    // Inside a larger expression: refused with the way out.
    let (_, said) = import_survey(
        &[
            &["type", "name", "label", "calculation"],
            &["calculate", "bid", "", "int(random() * 5) + 1"],
            &["text", "t", "T", ""],
        ],
        "inside",
        &[],
    );
    assert_eq!(
        said,
        [
            "survey:2:calculation: error: random() is filled by the device, so it must be the whole calculation of a calculate (`random()` or `once(random())`): compute with it in another calculation that reads that one, not in \"int(random() * 5) + 1\""
        ]
    );
}

/// `digest()` with SHA-256, as ODK computes it (base64 by default, or hex), on the phone and
/// the server alike; the other algorithms are refused at import with a sentence.
#[test]
fn digest_computes_sha_256_and_other_algorithms_are_refused_by_name() {
    let (done, said) = import_survey(
        &[
            &["type", "name", "label", "calculation"],
            &["text", "hh", "Household", ""],
            &["calculate", "key", "", "digest(${hh}, 'SHA-256', 'hex')"],
            &["calculate", "key64", "", "digest(${hh}, 'SHA-256')"],
        ],
        "digests",
        &[],
    );
    assert_eq!(said, Vec::<String>::new());
    let today = baraza_schema::Date::parse("2026-12-04").expect("a date");
    let states = baraza_schema::inspect(&done.form, &json!({"hh": "abc"}), today);
    let value = |k: &str| states[k].value.clone().unwrap_or_default();
    assert_eq!(
        value("key"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        value("key64"),
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
    let x = baraza_server::openrosa::xform::xform(&done.form);
    for part in [
        "calculate=\"digest(/data/hh, &apos;SHA-256&apos;, &apos;hex&apos;)\"",
        "calculate=\"digest(/data/hh, &apos;SHA-256&apos;)\"",
    ] {
        assert!(x.contains(part), "{part} in {x}");
    }
    let (_, said) = import_survey(
        &[
            &["type", "name", "label", "calculation"],
            &["text", "hh", "Household", ""],
            &["calculate", "key", "", "digest(${hh}, 'MD5')"],
        ],
        "md5",
        &[],
    );
    assert_eq!(
        said,
        [
            "survey:3:calculation: error: digest() computes SHA-256 on Baraza's phone and server ('SHA-256', with 'base64' or 'hex'); \"MD5\" is not supported"
        ]
    );
}
