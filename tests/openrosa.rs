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

/// The folder of the Node drivers, with ODK's engine installed.
fn drivers() -> std::path::PathBuf {
    let dir = repo().join("tests/openrosa");
    assert!(
        dir.join("node_modules/@getodk/xforms-engine").is_dir(),
        "@getodk/xforms-engine is not installed: `./dev test` runs npm ci in tests/openrosa"
    );
    dir
}

/// `stored` holds the answers a person gave (`answers`), whatever the ODK client filled in as
/// metadata: locations to 1e-9 degrees, numbers as numbers.
fn assert_same_answers(form: &Form, stored: &Value, answers: &Value) {
    let id = &form.settings.form_id;
    let (mut got, mut want) = (
        without_metadata(form, stored),
        without_metadata(form, answers),
    );
    for f in form.outside_repeats() {
        if f.kind == baraza_schema::Kind::Geopoint && want.get(&f.name).is_some() {
            assert!(
                same_place(&got[&f.name], &want[&f.name]),
                "{id}: {} {} ≠ {}",
                f.name,
                got[&f.name],
                want[&f.name]
            );
            got[&f.name] = Value::Null;
            want[&f.name] = Value::Null;
        }
    }
    assert_eq!(
        as_floats(got),
        as_floats(want),
        "{id}: Baraza holds the answers the ODK client submitted"
    );
}

/// Runs the ODK engine driver with `job`; returns what it reports.
pub(crate) fn collect(job: &Value) -> Value {
    let dir = drivers();
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

/// An ODK Collect key for a new enumerator, as the console makes one: (device id, the server
/// URL an ODK client is configured with).
pub(crate) fn key_url(server: &Server, admin: &str, enumerator: &str) -> (String, String) {
    let (user_id, _) = server.user(admin, enumerator, "enumerator");
    let res = server
        .http
        .post(server.url("/odk-keys"))
        .bearer_auth(admin)
        .json(&json!({"user_id": user_id}))
        .send()
        .expect("odk key");
    assert_eq!(res.status(), 201);
    let key: Value = res.json().expect("JSON");
    (
        key["device_id"].as_str().expect("id").to_owned(),
        key["server_url"].as_str().expect("url").to_owned(),
    )
}

/// `GET /devices` as `admin` sees it.
fn devices(server: &Server, admin: &str) -> Value {
    server
        .http
        .get(server.url("/devices"))
        .bearer_auth(admin)
        .send()
        .expect("devices")
        .json()
        .expect("JSON")
}

pub(crate) fn response(server: &Server, admin: &str, id: &str) -> Value {
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

    assert_eq!(
        report["forms"].as_array().map(Vec::len),
        Some(4),
        "{report}"
    );
    for f in report["forms"].as_array().into_iter().flatten() {
        assert_eq!(
            f["hash_ok"], true,
            "the XForm's MD5 is formList's hash: {f}"
        );
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
        assert_same_answers(form, &stored, answers);
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
            assert_eq!(
                revisions.len(),
                2,
                "the edit is a second revision: {detail}"
            );
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
    // Counted in the reports: R4's ladders now hold this one household's rungs (each cell
    // suppressed, as one household must be).
    let r4: Value = server
        .http
        .get(server.url("/reports/R4"))
        .bearer_auth(&admin)
        .send()
        .expect("R4")
        .json()
        .expect("JSON");
    let items: Vec<&str> = r4["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["item"].as_str())
        .collect();
    let household = &interviews[0].1;
    let rungs: Vec<String> = household["svc"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|row| !matches!(row["sv_code"].as_str(), Some("water" | "sanitation")))
        .filter_map(|row| {
            Some(format!(
                "{}:{}",
                row["sv_code"].as_str()?,
                row["sv_level"].as_str()?
            ))
        })
        .collect();
    assert!(rungs.len() >= 3, "{rungs:?}");
    for rung in &rungs {
        assert!(
            items.contains(&rung.as_str()),
            "R4 counts the submitted household's {rung}: {items:?}"
        );
    }
    assert!(
        r4["cells"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["suppressed"] == true)
    );
    assert_eq!(r4["quarters"], json!(["2026-Q4"]));
}

/// An XML instance of `form` with `answers` (Baraza's payload shape), as an ODK client writes
/// one: groups as elements, each repeat row an element, lists space-separated.
pub(crate) fn instance_xml(
    form: &Form,
    answers: &Value,
    instance_id: &str,
    extra_meta: &str,
) -> String {
    fn level(fields: &[baraza_schema::Field], answers: &Value, out: &mut String, meta: &str) {
        for f in fields {
            let name = f.local_name();
            match f.kind {
                baraza_schema::Kind::Group => {
                    out.push_str(&format!("<{name}>"));
                    level(&f.children, answers, out, "");
                    out.push_str(meta_if(name, meta));
                    out.push_str(&format!("</{name}>"));
                }
                baraza_schema::Kind::Repeat => {
                    for row in answers[&f.name].as_array().into_iter().flatten() {
                        out.push_str(&format!("<{name}>"));
                        level(&f.children, row, out, "");
                        out.push_str(&format!("</{name}>"));
                    }
                }
                _ => {
                    let text = match &answers[&f.name] {
                        Value::Null => String::new(),
                        Value::String(s) => s.replace('&', "&amp;").replace('<', "&lt;"),
                        Value::Array(items) => items
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(" "),
                        // A file: its name (the part of that name carries it).
                        Value::Object(o) if o.contains_key("name") => {
                            o["name"].as_str().unwrap_or_default().to_owned()
                        }
                        Value::Object(o) => ["lat", "lon", "alt", "accuracy"]
                            .iter()
                            .filter_map(|k| o.get(*k).map(Value::to_string))
                            .collect::<Vec<_>>()
                            .join(" "),
                        other => other.to_string(),
                    };
                    out.push_str(&format!("<{name}>{text}</{name}>"));
                }
            }
        }
    }
    fn meta_if<'a>(name: &str, meta: &'a str) -> &'a str {
        if name == "meta" { meta } else { "" }
    }
    let meta = format!("<instanceID>{instance_id}</instanceID>{extra_meta}");
    let mut out = format!(
        "<?xml version='1.0' ?><data id=\"{}\" version=\"{}\" xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:orx=\"http://openrosa.org/xforms\">",
        form.settings.form_id, form.settings.version
    );
    let has_meta_group = form.fields.iter().any(|f| f.name == "meta");
    level(&form.fields, answers, &mut out, &meta);
    if !has_meta_group {
        out.push_str(&format!("<meta>{meta}</meta>"));
    }
    out.push_str("</data>");
    out
}

/// A multipart/form-data body laid out as ODK Collect's `OkHttpConnection` writes it (OkHttp's
/// `MultipartBody`): a file part has `name` and `filename` in its Content-Disposition, then its
/// type and length; a plain field (`*isIncomplete*`; an empty filename here) its name alone.
pub(crate) fn multipart(parts: &[(&str, &str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "6c0e8d1f-3a52-4b9e-9a0d-2f4e7b1c5a93";
    let mut body = Vec::new();
    for (name, filename, kind, bytes) in parts {
        let head = if filename.is_empty() {
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            )
        } else {
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            )
        };
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The headers ODK Collect's `OkHttpOpenRosaServerClient` adds to every request.
pub(crate) fn collect_headers(
    req: reqwest::blocking::RequestBuilder,
) -> reqwest::blocking::RequestBuilder {
    req.header(
        "User-Agent",
        "Dalvik/2.1.0 (Linux; U; Android 13; SM-A135F Build/TP1A.220624.014) org.odk.collect.android/v2025.2.3",
    )
    .header("X-OpenRosa-Version", "1.0")
    // Collect's own format: "E, dd MMM yyyy hh:mm:ss zz", in GMT.
    .header("Date", "Thu, 03 Dec 2026 08:14:05 GMT")
}

/// What an OpenRosa answer says: status, its message, and whether it carried the headers.
pub(crate) fn read_answer(res: reqwest::blocking::Response) -> (u16, String) {
    let status = res.status().as_u16();
    assert_eq!(
        res.headers()
            .get("x-openrosa-version")
            .and_then(|v| v.to_str().ok()),
        Some("1.0"),
        "every answer says X-OpenRosa-Version: 1.0"
    );
    assert!(
        res.headers()
            .contains_key("x-openrosa-accept-content-length")
    );
    let body = res.text().expect("body");
    let message = body
        .split_once("<message")
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once("</message>"))
        .map(|(m, _)| {
            m.replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .unwrap_or(body);
    (status, message)
}

/// Collect's POST: the instance as `xml_submission_file`, with its headers.
pub(crate) fn submit(
    server: &Server,
    base: &str,
    parts: &[(&str, &str, &str, &[u8])],
) -> (u16, String) {
    let (kind, body) = multipart(parts);
    read_answer(
        collect_headers(server.http.post(format!("{base}/submission")))
            .header("Content-Type", kind)
            .body(body)
            .send()
            .expect("submission"),
    )
}

/// Responses and quarantined items the server holds: what "stored nothing" is checked on.
fn held(server: &Server, admin: &str) -> (usize, usize) {
    let get = |path: &str, key: &str| {
        let v: Value = server
            .http
            .get(server.url(path))
            .bearer_auth(admin)
            .send()
            .expect(path)
            .json()
            .expect("JSON");
        v[key].as_array().map_or(0, Vec::len)
    };
    (get("/responses", "responses"), get("/quarantine", "items"))
}

/// ODK Collect's requests as its source writes them (collect_app/…/openrosa/okhttp:
/// `OkHttpOpenRosaServerClientProvider` adds User-Agent, `X-OpenRosa-Version` and `Date` to
/// every request; `OkHttpConnection` checks each GET's type contains text/xml and hashes form
/// downloads, reads HEAD's headers from a 204 only, and splits a large submission into posts
/// with the same `xml_submission_file`, all but the last with `*isIncomplete*` = yes).
#[test]
fn collects_own_requests_head_then_a_multipart_post_sent_in_chunks_are_answered_as_collect_expects()
{
    let server = Server::start();
    let admin = server.admin();
    let (_, base) = key_url(&server, &admin, "collect-user");
    let (f3, actor) = demo_interviews().swap_remove(2);

    // Collect's "Get blank form": formList, then each form, each answer's type checked to
    // be text/xml and the form's MD5 compared with formList's hash.
    let get = |url: &str| {
        let res = collect_headers(server.http.get(url)).send().expect("GET");
        assert_eq!(res.status(), 200, "{url}");
        let kind = res.headers()["content-type"]
            .to_str()
            .expect("type")
            .to_lowercase();
        assert!(kind.contains("text/xml"), "Collect refuses {kind}");
        res.text().expect("body")
    };
    let list = get(&format!("{base}/formList"));
    let entry = list
        .split("<xform>")
        .find(|x| x.contains(&format!("<formID>{}</formID>", f3.settings.form_id)))
        .expect("F3 in formList");
    let field = |tag: &str| {
        entry
            .split_once(&format!("<{tag}>"))
            .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
            .map(|(v, _)| v.replace("&amp;", "&"))
            .expect(tag)
    };
    assert!(!entry.contains("<manifestUrl>"), "no media, so no manifest");
    let xform = get(&field("downloadUrl"));
    use md5::Digest as _;
    let md5: String = md5::Md5::digest(xform.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(field("hash"), format!("md5:{md5}"));
    assert_eq!(field("version"), f3.settings.version);

    // "Send finalized form": HEAD first; Collect reads the headers only from a 204.
    let head = collect_headers(server.http.head(format!("{base}/submission")))
        .send()
        .expect("HEAD");
    assert_eq!(head.status(), 204);
    assert_eq!(
        head.headers()["x-openrosa-accept-content-length"],
        ((256 << 20) + (8 << 20)).to_string().as_str(),
        "a post may carry an interview's files (256 MiB by default) and its XML"
    );

    // The POST in chunks (no Content-Length), the instance as `application/xml`.
    let xml = instance_xml(&f3, &actor, "uuid:0b9f3c55-2f7e-4c1b-9a57-1d1e0e6f4a01", "");
    let (kind, body) = multipart(&[(
        "xml_submission_file",
        "F3 Service providers_2026-12-03_08-14-05.xml",
        "application/xml",
        xml.as_bytes(),
    )]);
    let chunked = reqwest::blocking::Body::new(std::io::Cursor::new(body));
    let res = collect_headers(server.http.post(format!("{base}/submission")))
        .header("Content-Type", kind)
        .body(chunked)
        .send()
        .expect("POST");
    assert_eq!(read_answer(res), (201, "Received and stored.".to_owned()));

    // Collect's split upload: every post but the last says *isIncomplete*=yes and carries the
    // same XML; they make one submission.
    let xml = instance_xml(&f3, &actor, "uuid:0b9f3c55-2f7e-4c1b-9a57-1d1e0e6f4a02", "");
    let first = submit(
        &server,
        &base,
        &[
            ("xml_submission_file", "a.xml", "text/xml", xml.as_bytes()),
            ("*isIncomplete*", "", "", b"yes"),
        ],
    );
    let last = submit(
        &server,
        &base,
        &[("xml_submission_file", "a.xml", "text/xml", xml.as_bytes())],
    );
    assert_eq!(
        first,
        (
            201,
            "Received; the submission is stored when its last part comes.".to_owned()
        )
    );
    assert_eq!(last, (201, "Received and stored.".to_owned()));
    assert_eq!(held(&server, &admin), (2, 0), "two interviews, each once");
}

#[test]
fn other_bytes_for_a_held_instance_are_kept_beside_it_and_answers_that_break_the_form_are_held_in_quarantine()
 {
    let server = Server::start();
    let admin = server.admin();
    let (_, base) = key_url(&server, &admin, "collect-user");
    let (f3, actor) = demo_interviews().swap_remove(2);
    let id = "uuid:5d2c1f10-8a4b-4c3e-9f21-7b6a5e4d3c2b";
    let xml = instance_xml(&f3, &actor, id, "");
    let file = |x: &str| x.as_bytes().to_vec();
    let (first_xml, other_xml) = (file(&xml), {
        let mut changed = actor.clone();
        changed["ac_staff"] = json!(actor["ac_staff"].as_i64().expect("staff") + 1);
        file(&instance_xml(&f3, &changed, id, ""))
    });
    assert_eq!(
        submit(
            &server,
            &base,
            &[("xml_submission_file", "i.xml", "text/xml", &first_xml)]
        )
        .0,
        201
    );
    let (status, message) = submit(
        &server,
        &base,
        &[("xml_submission_file", "i.xml", "text/xml", &other_xml)],
    );
    assert_eq!(status, 201, "{message}");
    assert!(message.contains("beside another version"), "{message}");
    let detail = response(&server, &admin, id.trim_start_matches("uuid:"));
    assert_eq!(
        detail["summary"]["conflict"], true,
        "nothing overwritten: {detail}"
    );
    assert_eq!(detail["revisions"].as_array().map(Vec::len), Some(2));

    // A settlement the frame does not have: held, with the reason, not refused.
    let mut bad = actor.clone();
    bad["a_settlements"] = json!(["nowhere"]);
    let (status, message) = submit(
        &server,
        &base,
        &[(
            "xml_submission_file",
            "b.xml",
            "text/xml",
            instance_xml(&f3, &bad, "uuid:5d2c1f10-8a4b-4c3e-9f21-7b6a5e4d3c2c", "").as_bytes(),
        )],
    );
    assert_eq!(status, 201, "{message}");
    assert!(
        message.starts_with("Received and held for a supervisor: a_settlements: \"nowhere\" is not in the choice list"),
        "the enumerator reads why: {message}"
    );
    assert_eq!(held(&server, &admin), (1, 1));
}

#[test]
fn what_cannot_be_taken_gets_a_clear_openrosa_error_and_stores_nothing() {
    let server = Server::start();
    let admin = server.admin();
    let (device_id, base) = key_url(&server, &admin, "collect-user");
    let (f3, actor) = demo_interviews().swap_remove(2);
    let good = instance_xml(&f3, &actor, "uuid:7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d", "");
    let xml_part = |x: &str| {
        vec![(
            "xml_submission_file",
            "i.xml",
            "text/xml",
            x.as_bytes().to_vec(),
        )]
    };
    let send = |base: &str, parts: Vec<(&str, &str, &str, Vec<u8>)>| {
        let parts: Vec<(&str, &str, &str, &[u8])> = parts
            .iter()
            .map(|(a, b, c, d)| (*a, *b, *c, d.as_slice()))
            .collect();
        submit(&server, base, &parts)
    };
    let expect = |(status, message): (u16, String), want: u16, words: &str| {
        assert_eq!(status, want, "{message}");
        assert!(message.contains(words), "{message:?} should say {words:?}");
    };

    // Without the OpenRosa version header.
    let res = server
        .http
        .get(format!("{base}/formList"))
        .send()
        .expect("formList");
    expect(read_answer(res), 400, "X-OpenRosa-Version");
    // Without a key, with a wrong one.
    expect(send(&server.base, xml_part(&good)), 401, "device key");
    let wrong = format!("{}/key/{}", server.base, "0".repeat(64));
    expect(send(&wrong, xml_part(&good)), 403, "not known");
    // Not multipart; multipart without the instance; a file named with a folder; broken
    // multipart.
    let res = server
        .http
        .post(format!("{base}/submission"))
        .header("X-OpenRosa-Version", "1.0")
        .header("Content-Type", "text/xml")
        .body(good.clone())
        .send()
        .expect("post");
    expect(read_answer(res), 400, "multipart/form-data");
    expect(
        send(
            &base,
            vec![
                xml_part(&good).remove(0),
                ("x", "../x.txt", "text/plain", b"hello".to_vec()),
            ],
        ),
        400,
        "no folders",
    );
    expect(
        send(&base, vec![("*isIncomplete*", "", "", b"yes".to_vec())]),
        400,
        "no xml_submission_file",
    );
    let res = server
        .http
        .post(format!("{base}/submission"))
        .header("X-OpenRosa-Version", "1.0")
        .header("Content-Type", "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nContent-Disposition: form-data; name=\"xml_submission_file\"\r\n\r\n<data")
        .send()
        .expect("post");
    let (status, message) = read_answer(res);
    assert_eq!(status, 400, "{message}");
    // Not XML, an entity bomb, an unknown form, an element the form does not have.
    expect(send(&base, xml_part("hello")), 400, "not well-formed XML");
    let bomb = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"{}\">{}]><data id=\"baraza_f3_service_actors\">&a9;</data>",
        "x".repeat(100),
        (1..10)
            .map(|i| format!(
                "<!ENTITY a{i} \"{}\">",
                format!(
                    "&a{};",
                    if i == 1 {
                        String::new()
                    } else {
                        (i - 1).to_string()
                    }
                )
                .repeat(10)
            ))
            .collect::<String>()
    );
    expect(send(&base, xml_part(&bomb)), 400, "not well-formed XML");
    let unknown = good.replace("baraza_f3_service_actors", "no_such_form");
    expect(
        send(&base, xml_part(&unknown)),
        404,
        "no form \"no_such_form\"",
    );
    let extra = good.replace("</data>", "<smuggled>1</smuggled></data>");
    expect(
        send(&base, xml_part(&extra)),
        400,
        "<smuggled> is not a question",
    );
    let no_id = good.replace(
        "<instanceID>uuid:7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d</instanceID>",
        "",
    );
    expect(send(&base, xml_part(&no_id)), 400, "instanceID");
    // A post larger than an interview's files may be (264 MiB by default) is refused from its
    // declared length; an XML part over 8 MiB sent in chunks is refused once the post has
    // arrived. (Each case gets three tries, in case the kernel resets the connection before
    // the answer is read — status 0; any answer that arrives must be the 413.)
    for (chunked, length) in [(false, 300 << 20), (true, 50 << 20)] {
        let answers: Vec<(u16, String)> = (0..3)
            .map(|_| oversized(&server, &base, length, chunked))
            .filter(|(status, _)| *status != 0)
            .collect();
        assert!(!answers.is_empty(), "an answer arrives");
        for (status, answer) in answers {
            assert_eq!(status, 413, "{answer}");
            assert!(
                answer.to_lowercase().contains("x-openrosa-version: 1.0"),
                "{answer}"
            );
            assert!(answer.contains("OpenRosaResponse"), "{answer}");
        }
    }
    assert_eq!(held(&server, &admin), (0, 0), "nothing was stored");

    // A closed form, then a revoked key.
    let res = server
        .http
        .post(server.url(&format!(
            "/forms/{}/{}/state",
            f3.settings.form_id, f3.settings.version
        )))
        .bearer_auth(&admin)
        .json(&json!({"state": "closed"}))
        .send()
        .expect("close");
    assert_eq!(res.status(), 200);
    expect(send(&base, xml_part(&good)), 403, "closed");
    let res = server
        .http
        .post(server.url(&format!("/devices/{device_id}/revoke")))
        .bearer_auth(&admin)
        .send()
        .expect("revoke");
    assert!(res.status().is_success());
    let res = server
        .http
        .get(format!("{base}/formList"))
        .header("X-OpenRosa-Version", "1.0")
        .send()
        .expect("formList");
    expect(read_answer(res), 403, "revoked");
    assert_eq!(held(&server, &admin), (0, 0), "nothing was stored");
}

/// Posts a multipart body of `length` bytes over a raw connection (declared, or chunked),
/// stopping when the server answers; returns its status and the whole answer.
fn oversized(server: &Server, base: &str, length: usize, chunked: bool) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = server.base.trim_start_matches("http://");
    let path = format!("{}/submission", base.trim_start_matches(&server.base));
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {length}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nX-OpenRosa-Version: 1.0\r\nContent-Type: multipart/form-data; boundary=b\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("write head");
    if chunked {
        let mut chunk = b"--b\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; filename=\"i.xml\"\r\nContent-Type: text/xml\r\n\r\n".to_vec();
        chunk.resize(1 << 20, b'x');
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        // The server stops reading once past its limit; a refused write ends the sending.
        for _ in 0..(length >> 20) {
            if stream.write_all(&framed).is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// Nodes pyxform adds to a `table-list` group for Collect's table layout (a header select and a
/// note for the group's label); Baraza sends such a group as a `field-list` without them
/// (ARCHITECTURE.md, OpenRosa: what differs).
fn pyxform_table_list_node(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    last.starts_with("reserved_name_for_field_list_labels_")
        || last.starts_with("generated_table_list_label_")
}

/// The main instance's element paths in document order, each once (a repeat's template and
/// its copies are one path), without ODK's own `meta` nodes.
pub(crate) fn instance_paths(xform: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xform).expect("the XForm is XML");
    let main = doc
        .descendants()
        .find(|n| n.has_tag_name("instance") && n.attribute("id").is_none())
        .and_then(|i| i.first_element_child())
        .expect("a main instance");
    let mut out: Vec<String> = Vec::new();
    for n in main.descendants().filter(roxmltree::Node::is_element) {
        let mut names: Vec<&str> = n
            .ancestors()
            .take_while(|a| *a != main)
            .filter(roxmltree::Node::is_element)
            .map(|a| a.tag_name().name())
            .collect();
        names.reverse();
        let path = names.join("/");
        let odk_meta = names.len() == 2
            && names[0] == "meta"
            && matches!(names[1], "instanceID" | "instanceName" | "deprecatedID");
        if !path.is_empty() && !odk_meta && !pyxform_table_list_node(&path) && !out.contains(&path)
        {
            out.push(path);
        }
    }
    out
}

/// Each bind by its path below the root: its type and its rules (relevant, required,
/// constraint, calculate, readonly) as written, white space aside.
/// An XPath without its grouping parentheses (those not after a function's name): Baraza
/// writes an expression in its canonical form, without the ones that change nothing, pyxform
/// as its author typed it (`(a = 1 and b = 2) or (c = 3)`).
fn ungrouped(v: &str) -> String {
    let mut out = String::new();
    let mut kept = Vec::new();
    for c in v.chars() {
        match c {
            '(' => {
                let word: String = out
                    .trim_end()
                    .chars()
                    .rev()
                    .take_while(|c: &char| c.is_alphanumeric() || matches!(c, '_' | '-' | ':'))
                    .collect();
                let call =
                    !word.is_empty() && !matches!(word.as_str(), "ro" | "dna" | "vid" | "dom");
                kept.push(call);
                if call {
                    out.push(c);
                }
            }
            ')' => {
                if kept.pop().unwrap_or(true) {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn binds(xform: &str) -> std::collections::BTreeMap<String, Vec<(String, String)>> {
    let doc = roxmltree::Document::parse(xform).expect("the XForm is XML");
    let squash = |v: &str| ungrouped(v).split_whitespace().collect::<String>();
    doc.descendants()
        .filter(|n| n.has_tag_name("bind"))
        .filter_map(|b| {
            let path = b
                .attribute("nodeset")?
                .split('/')
                .skip(2)
                .collect::<Vec<_>>()
                .join("/");
            if pyxform_table_list_node(&path) {
                return None;
            }
            let mut rules = vec![(
                "type".to_owned(),
                b.attribute("type").unwrap_or("string").to_owned(),
            )];
            // `../x` from the node is its parent's `x`: pyxform writes the or_other question's
            // relevance that way, Baraza the absolute path (both mean the same node).
            let nodeset = b.attribute("nodeset")?;
            let parent = &nodeset[..nodeset.rfind('/').unwrap_or(0)];
            let from_parent = |v: String| {
                let mut out = String::new();
                for (i, part) in v.split("../").enumerate() {
                    let joins_path = out.ends_with(['/', '.']);
                    if i > 0 {
                        out.push_str(if joins_path { "../" } else { "" });
                        if !joins_path {
                            out.push_str(parent);
                            out.push('/');
                        }
                    }
                    out.push_str(part);
                }
                out
            };
            for r in [
                "relevant",
                "required",
                "constraint",
                "calculate",
                "readonly",
            ] {
                if let Some(v) = b.attribute(r).filter(|v| *v != "false()") {
                    rules.push((r.to_owned(), from_parent(squash(v))));
                }
            }
            Some((path, rules))
        })
        .collect()
}

/// Every choice list a control offers (its itemset), white space aside.
fn itemsets(xform: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xform).expect("the XForm is XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("itemset"))
        .filter(|n| {
            let control = n.parent().and_then(|p| p.attribute("ref")).unwrap_or("");
            !pyxform_table_list_node(control)
        })
        .filter_map(|n| n.attribute("nodeset"))
        .map(|v| ungrouped(v).split_whitespace().collect())
        .collect()
}

/// Each XForm file loaded in `@getodk/xforms-engine`: by file, `ok`, `error` and `nodes`.
pub(crate) fn load_in_odks_engine(files: &[std::path::PathBuf]) -> Value {
    let out = Command::new("node")
        .arg("load.mjs")
        .args(files)
        .current_dir(drivers())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn every_form_baraza_publishes_is_an_xform_odks_engine_loads_and_pyxform_writes_the_same_structure()
{
    let corpus = crate::support::shared().join("xlsforms");
    let mut xforms: Vec<(String, String, Option<String>)> = FORMS
        .iter()
        .map(|name| {
            (
                name.to_string(),
                baraza_server::openrosa::xform::xform(&form(name)),
                None,
            )
        })
        .collect();
    let mut accepted = 0;
    for entry in std::fs::read_dir(&corpus).expect("the corpus") {
        let path = entry.expect("entry").path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !matches!(ext, "xls" | "xlsx") {
            continue;
        }
        let (workbook, stem) = baraza_server::workbook::read_path(&path).expect("reads");
        let Ok(form) = baraza_schema::import(&workbook, &stem).publishable() else {
            continue;
        };
        accepted += 1;
        let reference = std::fs::read_to_string(path.with_extension("xml")).ok();
        xforms.push((
            stem,
            baraza_server::openrosa::xform::xform(&form),
            reference,
        ));
    }
    assert!(
        accepted >= 2,
        "the corpus workbooks Baraza accepts are compared too"
    );

    // ODK's engine loads every one.
    let tmp = TempDir::new("xforms");
    let files: Vec<std::path::PathBuf> = xforms
        .iter()
        .map(|(name, xform, _)| {
            let file = tmp.0.join(format!("{name}.xml"));
            std::fs::write(&file, xform).expect("write");
            file
        })
        .collect();
    let loaded = load_in_odks_engine(&files);
    for file in &files {
        let r = &loaded[file.to_string_lossy().as_ref()];
        assert_eq!(r["ok"], true, "{}: {}", file.display(), r["error"]);
        assert!(r["nodes"].as_u64() > Some(1), "{r}");
    }

    // Where pyxform wrote the same workbook's XForm: the same instance and the same binds.
    let mut compared = 0;
    for (name, ours, reference) in &xforms {
        let Some(theirs) = reference else { continue };
        compared += 1;
        assert_eq!(
            instance_paths(ours),
            instance_paths(theirs),
            "{name}: instance"
        );
        assert_eq!(itemsets(ours), itemsets(theirs), "{name}: choice lists");
        let (ours, theirs) = (binds(ours), binds(theirs));
        assert_eq!(ours, theirs, "{name}: binds");
        assert!(ours.len() > 3, "{name}: {ours:?}");
    }
    assert!(compared >= 2, "compared with pyxform: {compared}");
}

#[test]
fn a_supervisor_makes_an_odk_collect_key_whose_qr_settings_point_collect_at_this_server() {
    use base64::Engine as _;
    use std::io::Read as _;
    let server = Server::start();
    let admin = server.admin();
    let (enumerator, _) = server.user(&admin, "amina", "enumerator");
    let (_, supervisor) = server.user(&admin, "sup", "supervisor");
    let (planner_id, planner) = server.user(&admin, "plan", "planner");
    let make = |token: &str, user_id: i64| {
        server
            .http
            .post(server.url("/odk-keys"))
            .bearer_auth(token)
            .json(&json!({"user_id": user_id}))
            .send()
            .expect("odk key")
    };
    assert_eq!(
        make(&planner, enumerator).status(),
        403,
        "planners make no keys"
    );
    assert_eq!(
        make(&supervisor, planner_id).status(),
        422,
        "keys are for enumerators"
    );
    let res = make(&supervisor, enumerator);
    assert_eq!(res.status(), 201);
    let key: Value = res.json().expect("JSON");
    let url = key["server_url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/key/", server.base)), "{url}");

    // Collect's QR code: zlib-compressed JSON in base64, naming the same URL.
    let packed = base64::engine::general_purpose::STANDARD
        .decode(key["collect_settings"].as_str().expect("settings"))
        .expect("base64");
    let mut json_text = String::new();
    flate2::read::ZlibDecoder::new(&packed[..])
        .read_to_string(&mut json_text)
        .expect("zlib");
    let settings: Value = serde_json::from_str(&json_text).expect("JSON");
    assert_eq!(settings["general"]["server_url"], url);
    assert_eq!(settings["general"]["username"], "amina");

    // The URL works as Collect uses it, and the device is the enumerator's.
    let res = server
        .http
        .get(format!("{url}/formList"))
        .header("X-OpenRosa-Version", "1.0")
        .send()
        .expect("formList");
    let (status, body) = read_answer(res);
    assert_eq!(status, 200);
    assert_eq!(body.matches("<xform>").count(), 4, "{body}");
    let devices = devices(&server, &admin);
    assert!(
        devices["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["id"] == key["device_id"] && d["user_id"] == enumerator),
        "{devices}"
    );
}

#[test]
fn without_a_key_an_enumerator_signs_in_with_basic_over_https_only_and_a_baraza_phones_credential_is_no_key()
 {
    let certs = TempDir::new("certs");
    let (cert, key, pem) = crate::deploy::certificate(&certs.0);
    let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
    let server = Server::spawn_from(
        &crate::support::baraza_bin(),
        None,
        "serve",
        TempDir::new("openrosa-tls"),
        &["--demo-frame", "--tls-cert", &cert, "--tls-key", &key],
        &[],
        crate::deploy::trusting(&pem),
    );
    let admin = server.admin();
    let (amina_id, _) = server.user(&admin, "amina", "enumerator");
    server.user(&admin, "sup", "supervisor");
    let form_list = |auth: Option<(&str, &str)>| {
        let mut req = server
            .http
            .get(format!("{}/formList", server.base))
            .header("X-OpenRosa-Version", "1.0");
        if let Some((u, p)) = auth {
            req = req.basic_auth(u, Some(p));
        }
        req.send().expect("formList")
    };
    // Collect's first request carries no credentials: a Basic challenge.
    let res = form_list(None);
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Basic realm=\"Baraza\", charset=\"UTF-8\""
    );
    let res = form_list(Some(("amina", "wrong-password")));
    assert_eq!(res.status(), 401, "a wrong password is challenged again");
    let res = form_list(Some(("sup", "sup-password")));
    assert_eq!(res.status(), 403, "supervisors do not send interviews");
    let res = form_list(Some(("amina", "amina-password")));
    let (status, body) = read_answer(res);
    assert_eq!(status, 200);
    assert_eq!(body.matches("<xform>").count(), 4, "{body}");
    assert!(
        body.contains(&format!("<downloadUrl>{}/forms/", server.base)),
        "links without a key, over https: {body}"
    );

    // A submission signed in so is amina's, on one device however many requests she makes.
    let (f3, actor) = demo_interviews().swap_remove(2);
    for id in [
        "uuid:9a1b2c3d-0000-4000-8000-000000000001",
        "uuid:9a1b2c3d-0000-4000-8000-000000000002",
    ] {
        let (kind, body) = multipart(&[(
            "xml_submission_file",
            "i.xml",
            "text/xml",
            instance_xml(&f3, &actor, id, "").as_bytes(),
        )]);
        let res = server
            .http
            .post(format!("{}/submission", server.base))
            .basic_auth("amina", Some("amina-password"))
            .header("X-OpenRosa-Version", "1.0")
            .header("Content-Type", kind)
            .body(body)
            .send()
            .expect("submission");
        assert_eq!(read_answer(res), (201, "Received and stored.".to_owned()));
    }
    let detail = response(&server, &admin, "9a1b2c3d-0000-4000-8000-000000000002");
    assert_eq!(detail["summary"]["enumerator"], "amina");
    let devices = devices(&server, &admin);
    let amina: Vec<&Value> = devices["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["user_id"] == amina_id)
        .collect();
    assert_eq!(
        amina.len(),
        1,
        "one device for all her password sign-ins: {devices}"
    );
    assert_eq!(amina[0]["id"], detail["revisions"][0]["device_id"]);

    // A Baraza phone's own credential is not an OpenRosa key (its numbering is its own).
    let (_, phone) = server.device(&admin, "juma");
    let res = server
        .http
        .get(format!("{}/key/{phone}/formList", server.base))
        .header("X-OpenRosa-Version", "1.0")
        .send()
        .expect("formList");
    assert_eq!(read_answer(res).0, 403);

    // Over plain HTTP, no password is asked for: only a key works.
    let plain = Server::start();
    let res = plain
        .http
        .get(format!("{}/formList", plain.base))
        .header("X-OpenRosa-Version", "1.0")
        .basic_auth("admin", Some(crate::support::ADMIN_PASSWORD))
        .send()
        .expect("formList");
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_none());
    assert!(read_answer(res).1.contains("over HTTPS only"));
}

/// What ODK Collect's Digest authenticator (okhttp-digest) sends: `qop=auth`, a nonce count,
/// its own client nonce, MD5 throughout.
fn digest_authorization(
    challenge: &str,
    method: &str,
    uri: &str,
    username: &str,
    password: &str,
) -> String {
    let md5 = |text: String| -> String {
        use md5::Digest as _;
        md5::Md5::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let field = |name: &str| {
        challenge
            .split_once(&format!("{name}=\""))
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(v, _)| v.to_owned())
            .unwrap_or_else(|| panic!("no {name} in {challenge}"))
    };
    let (realm, nonce) = (field("realm"), field("nonce"));
    let ha1 = md5(format!("{username}:{realm}:{password}"));
    let ha2 = md5(format!("{method}:{uri}"));
    let cnonce = "6f1c9b52e8a7d034";
    let response = md5(format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", qop=auth, nc=00000001, cnonce=\"{cnonce}\", algorithm=MD5"
    )
}

/// Collect over plain HTTP signs in with Digest (its only choice there) when the server
/// offers it: the first request is challenged, the answer with the password passes, a wrong
/// password or an old nonce is challenged again. Off (the default), no MD5 of any password
/// is kept: turning it off deletes them.
#[test]
fn with_odk_digest_on_an_enumerator_signs_in_from_collect_over_plain_http_and_off_no_md5_of_a_password_is_kept()
 {
    let server = Server::start_in(
        TempDir::new("odk-digest"),
        &["--demo-frame", "--odk-digest"],
    );
    let admin = server.admin();
    server.user(&admin, "amina", "enumerator");
    server.user(&admin, "sup", "supervisor");
    let request = |method: &str, path: &str, authorization: Option<&str>| {
        let mut req = server
            .http
            .request(
                method.parse().expect("method"),
                format!("{}{path}", server.base),
            )
            .header("X-OpenRosa-Version", "1.0");
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        req
    };
    let challenge = |res: &reqwest::blocking::Response| {
        let values: Vec<&str> = res
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(values.len(), 1, "only Digest over plain HTTP: {values:?}");
        assert!(
            values[0].starts_with("Digest realm=\"Baraza\", qop=\"auth\""),
            "{values:?}"
        );
        values[0].to_owned()
    };

    // Collect's first request carries no credentials.
    let res = request("GET", "/formList", None).send().expect("formList");
    assert_eq!(res.status(), 401);
    let offered = challenge(&res);
    let signed = digest_authorization(&offered, "GET", "/formList", "amina", "amina-password");
    let (status, body) = read_answer(
        request("GET", "/formList", Some(&signed))
            .send()
            .expect("formList"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.matches("<xform>").count(), 4, "{body}");

    // Her submission, signed for the submission's URL.
    let (f3, actor) = demo_interviews().swap_remove(2);
    let id = "uuid:4c2e6a8f-0000-4000-8000-00000000d1a5";
    let (kind, multipart_body) = multipart(&[(
        "xml_submission_file",
        "i.xml",
        "text/xml",
        instance_xml(&f3, &actor, id, "").as_bytes(),
    )]);
    let res = request("HEAD", "/submission", None).send().expect("HEAD");
    let offered = challenge(&res);
    let signed = digest_authorization(&offered, "POST", "/submission", "amina", "amina-password");
    let res = request("POST", "/submission", Some(&signed))
        .header("Content-Type", kind)
        .body(multipart_body)
        .send()
        .expect("submission");
    assert_eq!(read_answer(res), (201, "Received and stored.".to_owned()));
    let detail = response(&server, &admin, id.trim_start_matches("uuid:"));
    assert_eq!(detail["summary"]["enumerator"], "amina");

    // A wrong password, a supervisor, another URL than the one signed, an old or made-up
    // nonce: challenged again (the last two as stale, which Collect answers by itself).
    let offered = challenge(&request("GET", "/formList", None).send().expect("formList"));
    for (username, password, path) in [
        ("amina", "not-her-password", "/formList"),
        ("sup", "sup-password", "/formList"),
        ("amina", "amina-password", "/submission"),
    ] {
        let signed = digest_authorization(&offered, "GET", path, username, password);
        let res = request("GET", "/formList", Some(&signed))
            .send()
            .expect("formList");
        assert_eq!(res.status(), 401, "{username} {password} {path}");
        assert!(!challenge(&res).contains("stale=true"));
    }
    let made_up = offered.replace("nonce=\"", "nonce=\"1");
    let signed = digest_authorization(&made_up, "GET", "/formList", "amina", "amina-password");
    let res = request("GET", "/formList", Some(&signed))
        .send()
        .expect("formList");
    assert_eq!(res.status(), 401);
    assert!(challenge(&res).ends_with(", stale=true"));

    // Only the enumerator's MD5 is kept, and only while Digest is on.
    let kept = "SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE digest_ha1 IS NOT NULL";
    assert_eq!(crate::support::sql_count(&server.data, kept), 1);
    let data = server.stop();
    let server = Server::start_in(data, &["--demo-frame"]);
    assert_eq!(crate::support::sql_count(&server.data, kept), 0);
    let res = server
        .http
        .get(format!("{}/formList", server.base))
        .header("X-OpenRosa-Version", "1.0")
        .header("Authorization", signed)
        .send()
        .expect("formList");
    assert_eq!(res.status(), 401, "no Digest sign-in when it is off");
    assert!(res.headers().get("www-authenticate").is_none());
}

/// What a person does to answer `answers` in ODK Web Forms, question by question in form
/// order: the question's label as the screen shows it (the text before any `${…}`, with
/// `exact` false when the label goes on), the repeat row it is in, and what to type or which
/// choices to tap, by their labels.
fn webforms_steps(form: &Form, answers: &Value) -> Vec<Value> {
    fn walk(
        form: &Form,
        fields: &[baraza_schema::Field],
        answers: &Value,
        row: Option<(&String, usize)>,
        out: &mut Vec<Value>,
    ) {
        const LANG: &str = "English (en)";
        for f in fields {
            use baraza_schema::Kind;
            match f.kind {
                Kind::Group => walk(form, &f.children, answers, row, out),
                Kind::Repeat => {
                    let title = form.text_in(&f.label, LANG);
                    for (i, answers) in answers[&f.name]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        walk(form, &f.children, answers, Some((&title, i)), out);
                    }
                }
                _ if f.kind.is_metadata() || f.kind == Kind::Calculate || f.kind == Kind::Note => {}
                _ if f.read_only || f.preset.is_some() => {}
                _ => {
                    let Some(value) = answers.get(&f.name) else {
                        continue;
                    };
                    let label = form.text_in(&f.label, LANG);
                    let (text, exact) = match label.split_once("${") {
                        Some((before, _)) => (before.trim().to_owned(), false),
                        None => (label.trim().to_owned(), true),
                    };
                    let list = f.list.as_deref().unwrap_or_default();
                    let choice = |code: &Value| {
                        let code = code.as_str().unwrap_or_default();
                        form.choice(list, code)
                            .map_or_else(|| code.to_owned(), |c| form.text_in(&c.label, LANG))
                    };
                    let value = match f.kind {
                        Kind::SelectOne => json!([choice(value)]),
                        Kind::SelectMultiple | Kind::Rank => Value::Array(
                            value
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|c| json!(choice(c)))
                                .collect(),
                        ),
                        Kind::Text => value.clone(),
                        Kind::Geopoint => value.clone(),
                        _ => json!(value.to_string().trim_matches('"')),
                    };
                    out.push(json!({"name": f.name, "label": text, "exact": exact,
                        "repeat": row.map(|r| r.0), "row": row.map(|r| r.1),
                        "kind": f.kind.as_str(), "value": value}));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(form, &form.fields, answers, None, &mut out);
    out
}

#[test]
fn odk_web_forms_in_chromium_fills_f1_as_a_person_would_and_baraza_holds_what_was_entered() {
    let server = Server::start();
    let admin = server.admin();
    let (_, base) = key_url(&server, &admin, "web-forms-user");
    let (f1, household) = demo_interviews().swap_remove(0);
    let tmp = TempDir::new("webforms");
    let steps = tmp.0.join("steps.json");
    std::fs::write(
        &steps,
        Value::Array(webforms_steps(&f1, &household)).to_string(),
    )
    .expect("write the steps");
    let artifacts = repo().join("target/webforms-artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    assert!(
        repo()
            .join("tests/browser/node_modules/playwright-core")
            .is_dir(),
        "playwright-core is not installed: `./dev test` runs npm ci in tests/browser"
    );
    let out = Command::new("node")
        .arg("webforms.mjs")
        .current_dir(drivers())
        .env("BASE", &base)
        .env("FORM", &f1.settings.form_id)
        .env("STEPS", &steps)
        .env("ARTIFACTS", &artifacts)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "webforms.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no RESULT line: {stdout}"));
    assert_eq!(result["errors"], json!([]), "no error in the page");
    let sent = &result["submissions"][0];
    assert_eq!(sent["status"], 201, "{sent}");
    assert!(
        sent["text"]
            .as_str()
            .is_some_and(|t| t.contains("Received and stored."))
    );
    let xml = sent["xml"].as_str().expect("the XML Web Forms sent");
    let id = xml
        .split_once("<instanceID>uuid:")
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(id, _)| id)
        .expect("an instance id");
    let detail = response(&server, &admin, id);
    let stored: Value =
        serde_json::from_str(detail["revisions"][0]["payload"].as_str().expect("payload"))
            .expect("JSON");
    assert_same_answers(&f1, &stored, &household);
    // ODK's screens are ODK's: their accessibility findings are kept beside the screenshots
    // (and reported upstream), not asserted here.
    for shot in [
        "webforms-filled-1280.png",
        "webforms-filled-360.png",
        "webforms-sent-360.png",
    ] {
        assert!(artifacts.join(shot).is_file(), "{shot}");
    }
    std::fs::write(artifacts.join("axe.json"), result["axe"].to_string()).expect("axe findings");
}
