//! Form attachments (issue 19, item 4; issue 20's media manifest) against a real server: a
//! form published with the CSV and XML files it uses (a `.zip` of them, or chosen together),
//! each kept by content and named in the definition by its sha256; phones download the
//! definition with the files' rows in it and the files themselves; ODK clients find them
//! through formList's `manifestUrl` and the manifest, and ODK's own engine fills the form with
//! them.

use baraza_client::draft;
use baraza_schema::Form;
use serde_json::{Value, json};

use crate::support::{Server, TempDir, xlsx, zipped};

const SURVEY: &[&[&str]] = &[
    &["type", "name", "label", "calculation"],
    &["text", "settlement", "Settlement", ""],
    &[
        "select_one_from_file households.csv",
        "hh",
        "Which household?",
        "",
    ],
    &[
        "calculate",
        "head",
        "",
        "pulldata('households', 'head', 'name', ${hh})",
    ],
    &[
        "calculate",
        "size",
        "",
        "instance('households')/root/item[name = ${hh}]/size",
    ],
    &["select_one_from_file wards.xml", "ward", "Which ward?", ""],
];

pub(crate) const HOUSEHOLDS: &str =
    "name,label,head,size\nh1,House by the tap,Amina,4\nh2,House by the drain,Juma,6\n";
pub(crate) const WARDS: &str = "<root><item><name>w1</name><label>Ward one</label></item><item><name>w2</name><label>Ward two</label></item></root>";

fn settings(version: &str) -> Vec<Vec<String>> {
    vec![
        vec!["form_id".into(), "version".into()],
        vec!["listed".into(), version.into()],
    ]
}

pub(crate) fn workbook(version: &str) -> Vec<u8> {
    let settings = settings(version);
    let rows: Vec<Vec<&str>> = settings
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    xlsx(&[("survey", SURVEY), ("settings", &rows)])
}

fn sha256(bytes: &[u8]) -> String {
    baraza_schema::wire::content_hash(bytes)["sha256:".len()..].to_owned()
}

fn post(s: &Server, admin: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
    let res = s
        .http
        .post(s.url(path))
        .bearer_auth(admin)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .expect("post");
    let status = res.status().as_u16();
    (status, res.json().unwrap_or(Value::Null))
}

#[test]
fn a_form_is_published_with_its_choice_files_and_phones_and_odk_clients_get_them() {
    let s = Server::start_in(TempDir::new("form-files"), &["--demo-frame"]);
    let admin = s.admin();

    // The workbook alone is checked with a warning and refused at publish, naming the files.
    let (status, check) = post(&s, &admin, "/forms/check", workbook("1"));
    assert_eq!(status, 200, "{check}");
    let warned = check["diagnostics"].to_string();
    assert!(
        warned.contains("households.csv") && warned.contains("not attached"),
        "{warned}"
    );
    let (status, refused) = post(&s, &admin, "/forms", workbook("1"));
    assert_eq!(status, 422, "{refused}");
    let said = refused.to_string();
    assert!(
        said.contains("the form uses the file \\\"households.csv\\\"")
            && said.contains("wards.xml"),
        "{said}"
    );

    // A zip of the workbook and its files (in a folder, with a Mac's litter) is published.
    let bundle = zipped(&[
        ("listed/listed.xlsx", &workbook("1")),
        ("listed/households.csv", HOUSEHOLDS.as_bytes()),
        ("listed/wards.xml", WARDS.as_bytes()),
        ("__MACOSX/listed/._households.csv", b"junk"),
    ]);
    let (status, published) = post(&s, &admin, "/forms", bundle.clone());
    assert_eq!(status, 201, "{published}");
    let (status, _) = post(&s, &admin, "/forms", bundle);
    assert_eq!(status, 200, "the same bundle again is already published");

    // The definition names each file by its content and carries its rows.
    let device = s.device(&admin, "ena");
    let definition: Value = s
        .http
        .get(s.url("/forms/listed/1"))
        .bearer_auth(&device.1)
        .send()
        .expect("the form")
        .json()
        .expect("JSON");
    assert_eq!(
        definition["files"],
        json!({"households.csv": sha256(HOUSEHOLDS.as_bytes()), "wards.xml": sha256(WARDS.as_bytes())})
    );
    let form: Form = serde_json::from_value(definition.clone()).expect("a form");
    let wards: Vec<&str> = form.choices["wards.xml"]
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(wards, ["w1", "w2"]);

    // The phone downloads a file by name, cacheable by its content; an unknown name is 404.
    let file = |name: &str, etag: Option<&str>| {
        let mut req = s
            .http
            .get(s.url(&format!("/forms/listed/1/files/{name}")))
            .bearer_auth(&device.1);
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        req.send().expect("file")
    };
    let res = file("households.csv", None);
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256(HOUSEHOLDS.as_bytes())));
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.starts_with("attachment"))
    );
    assert_eq!(res.bytes().expect("bytes").as_ref(), HOUSEHOLDS.as_bytes());
    assert_eq!(file("households.csv", Some(&etag)).status(), 304);
    assert_eq!(file("nothing.csv", None).status(), 404);

    // An interview answered from the file: the server computes the lookups as the phone does.
    let answers = json!({"settlement": "s01", "hh": "h2", "ward": "w1"});
    let item = draft::revision(
        &form,
        "7c1e2a40-1b2c-4d3e-8f40-5a6b7c8d9e01",
        None,
        &answers,
        1,
        None,
    );
    let (status, pushed) = crate::sync_api::push(&s, &device, vec![json!(item)]);
    assert_eq!(status, 200, "{pushed}");
    assert_eq!(pushed["results"][0]["status"], "stored", "{pushed}");
    let states = baraza_schema::inspect(
        &form,
        &answers,
        baraza_schema::Date::parse("2026-12-04").expect("date"),
    );
    assert_eq!(states["head"].value.as_deref(), Some("Juma"));
    assert_eq!(states["size"].value.as_deref(), Some("6"));
    let outside = json!({"settlement": "s01", "hh": "h9", "ward": "w1"});
    let item = draft::revision(
        &form,
        "7c1e2a40-1b2c-4d3e-8f40-5a6b7c8d9e02",
        None,
        &outside,
        2,
        None,
    );
    let (_, pushed) = crate::sync_api::push(&s, &device, vec![json!(item)]);
    assert_eq!(
        pushed["results"][0]["status"], "quarantined",
        "a household not in the file is not a valid answer: {pushed}"
    );

    // ODK's engine, as Collect: formList names the manifest, the manifest the files with
    // their MD5; the engine reads the files, fills the form and submits it.
    let (_, base) = crate::openrosa::key_url(&s, &admin, "collect");
    let report = crate::openrosa::collect(&json!({
        "base": base,
        "fill": [{"form_id": "listed", "answers": {"settlement": "s02", "hh": "h1", "ward": "w2"}}],
    }));
    let listed = report["forms"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["form_id"] == "listed")
        .expect("formList lists the form");
    assert_eq!(listed["hash_ok"], true);
    assert_eq!(
        listed["media"],
        json!([{"name": "households.csv", "hash_ok": true}, {"name": "wards.xml", "hash_ok": true}])
    );
    let sub = &report["submissions"][0];
    assert_eq!(sub["status"], 201, "{sub}");
    let xml = sub["xml"].as_str().expect("xml");
    assert!(
        xml.contains("<head>Amina</head>") && xml.contains("<size>4</size>"),
        "ODK's engine computed the lookups from the file: {xml}"
    );
    let id = sub["instance_id"]
        .as_str()
        .and_then(|i| i.strip_prefix("uuid:"))
        .expect("instance id");
    let detail = crate::openrosa::response(&s, &admin, id);
    let payload: Value =
        serde_json::from_str(detail["revisions"][0]["payload"].as_str().expect("payload"))
            .expect("JSON");
    assert_eq!(payload["hh"], "h1");
    // Calculations are not kept from an ODK instance (the server computes them on reference):
    // from the file, the same as ODK's engine.
    let states = baraza_schema::inspect(
        &form,
        &payload,
        baraza_schema::Date::parse("2026-12-04").expect("date"),
    );
    assert_eq!(states["head"].value.as_deref(), Some("Amina"));
}

#[test]
fn files_chosen_together_publish_like_a_zip_and_bad_bundles_are_refused_with_a_reason() {
    let s = Server::start_in(TempDir::new("form-files-bad"), &[]);
    let admin = s.admin();

    // The console sends the workbook and its files as multipart/form-data.
    let (book, households, wards) = (workbook("2"), HOUSEHOLDS.as_bytes(), WARDS.as_bytes());
    let (kind, body) = crate::openrosa::multipart(&[
        ("files", "listed.xlsx", "application/octet-stream", &book),
        ("files", "households.csv", "text/csv", households),
        ("files", "wards.xml", "text/xml", wards),
    ]);
    let res = s
        .http
        .post(s.url("/forms"))
        .bearer_auth(&admin)
        .header("content-type", kind)
        .body(body)
        .send()
        .expect("publish");
    assert_eq!(res.status(), 201, "{}", res.text().unwrap_or_default());

    for (files, said) in [
        (
            vec![("a.xlsx", workbook("3")), ("b.xlsx", workbook("4"))],
            "more than one workbook",
        ),
        (
            vec![("households.csv", HOUSEHOLDS.as_bytes().to_vec())],
            "no workbook",
        ),
        (
            vec![
                ("listed.xlsx", workbook("5")),
                ("households.csv", vec![0xff, 0xfe, 0x00]),
                ("wards.xml", WARDS.as_bytes().to_vec()),
            ],
            "households.csv is not UTF-8 text",
        ),
        (
            vec![
                ("listed.xlsx", workbook("6")),
                ("households.csv", HOUSEHOLDS.as_bytes().to_vec()),
                ("wards.xml", b"<root><item>".to_vec()),
            ],
            "wards.xml is not an XML list of items",
        ),
    ] {
        let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let (status, body) = post(&s, &admin, "/forms", zipped(&named));
        assert_eq!(status, 422, "{said}: {body}");
        assert!(body.to_string().contains(said), "{said}: {body}");
    }
    let forms: Value = s
        .http
        .get(s.url("/forms"))
        .bearer_auth(&admin)
        .send()
        .expect("forms")
        .json()
        .expect("JSON");
    let versions: Vec<&Value> = forms["forms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["form_id"] == "listed")
        .map(|f| &f["version"])
        .collect();
    assert_eq!(versions, [&json!("2")], "nothing refused was published");
}

#[test]
fn baraza_form_publish_takes_a_folder_with_the_files_beside_the_sheets() {
    let dir = TempDir::new("form-folder");
    let folder = dir.0.join("listed");
    std::fs::create_dir_all(folder.join("media")).expect("mkdir");
    std::fs::write(folder.join("listed.xlsx"), workbook("7")).expect("write");
    std::fs::write(folder.join("media/households.csv"), HOUSEHOLDS).expect("write");
    let check = std::process::Command::new(crate::support::baraza_bin())
        .args(["form", "check"])
        .arg(&folder)
        .output()
        .expect("baraza runs");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{said}");
    assert!(
        said.contains("\"wards.xml\" is not attached") && !said.contains("households.csv"),
        "{said}"
    );
    std::fs::write(folder.join("media/wards.xml"), WARDS).expect("write");
    let data = dir.0.join("data");
    let publish = std::process::Command::new(crate::support::baraza_bin())
        .args(["form", "publish"])
        .arg(&folder)
        .arg("--data")
        .arg(&data)
        .output()
        .expect("baraza runs");
    assert!(
        publish.status.success(),
        "{}",
        String::from_utf8_lossy(&publish.stderr)
    );
    assert!(
        String::from_utf8_lossy(&publish.stdout).contains("published: listed version 7"),
        "{}",
        String::from_utf8_lossy(&publish.stdout)
    );
}
