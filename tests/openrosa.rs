//! ODK clients against Baraza's OpenRosa API (issue 20): ODK's own form engine
//! (`@getodk/xforms-engine`, driven by `tests/openrosa/collect.mjs` under Node) downloads
//! F1–F4 as XForms, fills them through its API with the demo city's answers, and submits what
//! its serializer writes; Baraza must then hold exactly those answers, once. The wire-level
//! cases (Collect's exact requests, and everything refused) are plain HTTP.

use std::process::Command;

use baraza_schema::{Date, Form};
use serde_json::{Value, json};

use crate::builtin_forms::form;
use crate::support::{Server, TempDir, repo};

const FORMS: [&str; 4] = [
    "f1_household",
    "f2_focus_group",
    "f3_service_actors",
    "f4_municipal_stakeholders",
];

/// One complete interview of each built-in form, from the demo city (settlements of the
/// demo frame, which the server loads).
fn demo_interviews() -> Vec<(Form, Value)> {
    let forms = FORMS.map(form);
    let today = Date::parse("2026-11-28").expect("date");
    let city = baraza_demo::city(7, &forms, today);
    let firsts = [
        &city.households[0].1,
        &city.focus_groups[0].1,
        &city.actors[0].1,
        &city.stakeholders[0].1,
    ];
    forms
        .iter()
        .cloned()
        .zip(firsts.into_iter().cloned())
        .collect()
}

/// The answers without what a device fills itself (metadata), which ODK's engine fills with
/// its own values.
fn without_metadata(form: &Form, answers: &Value) -> Value {
    let mut a = answers.clone();
    if let Some(o) = a.as_object_mut() {
        for f in form.outside_repeats() {
            if f.kind.is_metadata() {
                o.remove(&f.name);
            }
        }
    }
    a
}

/// A location as ODK's engine writes it, compared with what was typed: to 1e-9 degrees (its
/// serializer prints its own float), and an altitude of 0 where none was given (it always
/// writes four numbers).
fn same_place(got: &Value, want: &Value) -> bool {
    let near = |k: &str| {
        (got[k].as_f64().unwrap_or(f64::NAN) - want[k].as_f64().unwrap_or(f64::NAN)).abs() < 1e-9
    };
    near("lat")
        && near("lon")
        && got["accuracy"] == want["accuracy"]
        && got["alt"].as_f64().unwrap_or(0.0) == want["alt"].as_f64().unwrap_or(0.0)
}

/// Every number as a float: ODK's engine writes a decimal 6 as `6.0`, the same number.
fn as_floats(v: Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.into_iter().map(as_floats).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, as_floats(v))).collect()),
        other => other,
    }
}

/// Runs the ODK engine driver with `job`; returns what it reports.
fn collect(job: &Value) -> Value {
    let dir = repo().join("tests/openrosa");
    assert!(
        dir.join("node_modules/@getodk/xforms-engine").is_dir(),
        "@getodk/xforms-engine is not installed: `./dev test` runs npm ci in tests/openrosa"
    );
    let tmp = TempDir::new("openrosa-job");
    let (job_file, out_file) = (tmp.0.join("job.json"), tmp.0.join("out.json"));
    std::fs::write(&job_file, job.to_string()).expect("write the job");
    let out = Command::new("node")
        .arg("collect.mjs")
        .arg(&job_file)
        .arg(&out_file)
        .current_dir(&dir)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "collect.mjs failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(&out_file).expect("the driver's report"))
        .expect("JSON report")
}

/// A device key for a new enumerator: the URL an ODK client is configured with.
fn key_url(server: &Server, admin: &str, enumerator: &str) -> (String, String) {
    let (device_id, token) = server.device(admin, enumerator);
    (device_id, format!("{}/key/{token}", server.base))
}

fn response(server: &Server, admin: &str, id: &str) -> Value {
    let res = server
        .http
        .get(server.url(&format!("/responses/{id}")))
        .bearer_auth(admin)
        .send()
        .expect("response");
    assert_eq!(res.status(), 200, "response {id}");
    res.json().expect("JSON")
}

#[test]
fn odks_own_engine_downloads_fills_and_submits_every_built_in_form_and_baraza_holds_the_answers_once()
 {
    let server = Server::start();
    let admin = server.admin();
    let (_, base) = key_url(&server, &admin, "odk-enumerator");
    let interviews = demo_interviews();
    let job = json!({
        "base": base,
        "fill": interviews.iter().enumerate().map(|(i, (f, a))| {
            let mut task = json!({"form_id": f.settings.form_id, "answers": a});
            if i == 2 {
                let more = a["ac_staff"].as_i64().expect("a number of workers") + 1;
                task["edit"] = json!({"path": ["a_identity", "ac_staff"], "value": more.to_string()});
            }
            task
        }).collect::<Vec<_>>(),
    });
    let report = collect(&job);

    assert_eq!(report["forms"].as_array().map(Vec::len), Some(4), "{report}");
    for f in report["forms"].as_array().into_iter().flatten() {
        assert_eq!(f["hash_ok"], true, "the XForm's MD5 is formList's hash: {f}");
    }
    let subs = report["submissions"].as_array().expect("submissions");
    assert_eq!(subs.len(), 4);
    for ((form, answers), sub) in interviews.iter().zip(subs) {
        let id = &form.settings.form_id;
        assert_eq!(sub["status"], 201, "{id}: {}", sub["message"]);
        assert_eq!(sub["message"], "Received and stored.", "{id}");
        assert_eq!(sub["resend_status"], 201, "{id}: a resend is answered 201");
        assert!(
            sub["resend_message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Already received")),
            "{id}: {}",
            sub["resend_message"]
        );
        let response_id = sub["instance_id"]
            .as_str()
            .and_then(|i| i.strip_prefix("uuid:"))
            .expect("a uuid instance id");
        let detail = response(&server, &admin, response_id);
        let revisions = detail["revisions"].as_array().expect("revisions");
        let stored: Value =
            serde_json::from_str(revisions[0]["payload"].as_str().expect("payload"))
                .expect("payload JSON");
        let (mut got, mut want) = (
            without_metadata(form, &stored),
            without_metadata(form, answers),
        );
        for f in form.outside_repeats() {
            if f.kind == baraza_schema::Kind::Geopoint && want.get(&f.name).is_some() {
                assert!(same_place(&got[&f.name], &want[&f.name]), "{id}: {} {} ≠ {}", f.name, got[&f.name], want[&f.name]);
                got[&f.name] = Value::Null;
                want[&f.name] = Value::Null;
            }
        }
        assert_eq!(
            as_floats(got),
            as_floats(want),
            "{id}: Baraza holds the answers ODK's engine submitted"
        );
        for f in form.outside_repeats() {
            if f.kind.is_device_filled() {
                assert!(
                    stored.get(&f.name).is_some(),
                    "{id}: ODK's engine or the server filled {}",
                    f.name
                );
            }
        }
        if form.settings.form_id.contains("f3") {
            assert_eq!(revisions.len(), 2, "the edit is a second revision: {detail}");
            let edit = &sub["edit"];
            assert_eq!(edit["status"], 201, "{}", edit["message"]);
            assert_eq!(edit["deprecated_id"], sub["instance_id"]);
            let edited: Value =
                serde_json::from_str(revisions[1]["payload"].as_str().expect("payload"))
                    .expect("JSON");
            assert_eq!(
                edited["ac_staff"].as_i64(),
                answers["ac_staff"].as_i64().map(|n| n + 1)
            );
            assert_eq!(revisions[1]["parent_rev"], revisions[0]["rev"]);
            assert_eq!(detail["summary"]["head_rev"], revisions[1]["rev"]);
            assert_eq!(detail["summary"]["conflict"], false);
        } else {
            assert_eq!(revisions.len(), 1, "{id}: stored once");
        }
        assert_eq!(detail["summary"]["enumerator"], "odk-enumerator");
        assert_eq!(
            detail["summary"]["review_state"], "received",
            "{id}: in review like any interview"
        );
    }
}
