//! Answer attachments (issue 19, items 5 and 6; issue 20's submission attachments) against a
//! real server: a photo, a recording or a file is sent after its interview, resumably (tus's
//! HEAD and PATCH with the file's sha256 as its address), checked, kept once per content,
//! opened by reviewers as a download that cannot run, exported with the answers, and taken
//! from ODK Collect's multipart submissions, split uploads included.

use std::io::{Read, Write};

use baraza_client::draft;
use baraza_schema::Form;
use serde_json::{Value, json};

use crate::support::{Server, TempDir, deadline, xlsx};

const SURVEY: &[&[&str]] = &[
    &["type", "name", "label", "parameters"],
    &["text", "settlement", "Settlement", ""],
    &[
        "image",
        "photo",
        "Photo of the water point",
        "max-pixels=1024",
    ],
    &["begin repeat", "docs", "Documents", ""],
    &["file", "doc", "A document the household shows", ""],
    &["end repeat", "", "", ""],
    &["audio", "voice", "The household's own words", "quality=low"],
];

const SETTINGS: &[&[&str]] = &[&["form_id", "version"], &["with_files", "1"]];

/// `len` bytes that start as a PNG does (its 8-byte signature) and go on as noise.
fn png(len: usize, seed: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x as u8);
    }
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    baraza_schema::wire::content_hash(bytes)["sha256:".len()..].to_owned()
}

fn file(name: &str, bytes: &[u8]) -> Value {
    json!({"name": name, "sha256": sha256(bytes), "size": bytes.len()})
}

/// A server with the form published and an enrolled phone: (server, admin, device, form).
fn start(extra: &[&str]) -> (Server, String, (String, String), Form) {
    let mut args = vec!["--demo-frame"];
    args.extend_from_slice(extra);
    let s = Server::start_in(TempDir::new("files"), &args);
    let admin = s.admin();
    let res = s
        .http
        .post(s.url("/forms"))
        .bearer_auth(&admin)
        .header("content-type", "application/octet-stream")
        .body(xlsx(&[("survey", SURVEY), ("settings", SETTINGS)]))
        .send()
        .expect("publish");
    assert_eq!(res.status(), 201, "{}", res.text().unwrap_or_default());
    let device = s.device(&admin, "ena");
    let form: Form = s
        .http
        .get(s.url("/forms/with_files/1"))
        .bearer_auth(&device.1)
        .send()
        .expect("the form")
        .json()
        .expect("the form's JSON");
    (s, admin, device, form)
}

/// Pushes `answers` as the phone's revision `seq` of `response_id`; its push result.
fn push(
    s: &Server,
    device: &(String, String),
    form: &Form,
    response_id: &str,
    answers: &Value,
    seq: u64,
) -> Value {
    let item = draft::revision(form, response_id, None, answers, seq, None);
    let (status, pushed) = crate::sync_api::push(s, device, vec![json!(item)]);
    assert_eq!(status, 200, "{pushed}");
    pushed["results"][0].clone()
}

/// `HEAD /attachments/{sha256}`: (status, Upload-Offset, Upload-Length).
fn head(s: &Server, token: &str, sha: &str) -> (u16, Option<u64>, Option<u64>) {
    let res = s
        .http
        .head(s.url(&format!("/attachments/{sha}")))
        .bearer_auth(token)
        .send()
        .expect("head");
    let number = |h: &str| {
        res.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    };
    if res.status() == 200 {
        assert_eq!(res.headers()["tus-resumable"], "1.0.0");
    }
    (
        res.status().as_u16(),
        number("upload-offset"),
        number("upload-length"),
    )
}

/// `PATCH /attachments/{sha256}` from `offset`: (status, Upload-Offset, error body).
fn patch(
    s: &Server,
    token: &str,
    sha: &str,
    offset: u64,
    bytes: &[u8],
) -> (u16, Option<u64>, Value) {
    patch_as(
        s,
        token,
        sha,
        offset,
        bytes,
        "application/offset+octet-stream",
    )
}

fn patch_as(
    s: &Server,
    token: &str,
    sha: &str,
    offset: u64,
    bytes: &[u8],
    kind: &str,
) -> (u16, Option<u64>, Value) {
    let res = s
        .http
        .patch(s.url(&format!("/attachments/{sha}")))
        .bearer_auth(token)
        .header("content-type", kind)
        .header("upload-offset", offset.to_string())
        .header("tus-resumable", "1.0.0")
        .body(bytes.to_vec())
        .send()
        .expect("patch");
    let status = res.status().as_u16();
    let at = res
        .headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, at, res.json().unwrap_or(Value::Null))
}

/// The status `GET /responses/{id}` answers the admin (404: nothing stored under that id).
fn response_status(s: &Server, admin: &str, id: &str) -> u16 {
    s.http
        .get(s.url(&format!("/responses/{id}")))
        .bearer_auth(admin)
        .send()
        .expect("response")
        .status()
        .as_u16()
}

/// The files of a response's revisions, as the review shows them.
fn review_files(s: &Server, admin: &str, response_id: &str) -> Vec<Value> {
    let detail = crate::openrosa::response(s, admin, response_id);
    detail["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .flat_map(|r| r["attachments"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn download(s: &Server, token: &str, response_id: &str, name: &str) -> reqwest::blocking::Response {
    s.http
        .get(s.url(&format!("/responses/{response_id}/attachments/{name}")))
        .bearer_auth(token)
        .send()
        .expect("download")
}

const RESPONSE: &str = "4a1f6c2e-0b7d-4e39-8c15-7d2e9f3a6b01";

#[test]
fn a_photo_is_sent_after_its_interview_in_parts_checked_and_opened_by_its_reviewers_as_a_download()
{
    let (s, admin, device, form) = start(&[]);
    let photo = png(1_500_000, 1);
    // An HTML page named like a photo: what it is comes from its bytes.
    let page = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec();
    let answers = json!({
        "settlement": "s01",
        "photo": file("water-point.png", &photo),
        "docs": [{"doc": file("letter.jpg", &page)}],
    });
    let (photo_sha, page_sha) = (sha256(&photo), sha256(&page));

    // Before its interview is held, no file is taken.
    assert_eq!(head(&s, &device.1, &photo_sha).0, 404);
    assert_eq!(
        push(&s, &device, &form, RESPONSE, &answers, 1)["status"],
        "stored"
    );
    assert_eq!(
        head(&s, &device.1, &photo_sha),
        (200, Some(0), Some(photo.len() as u64))
    );

    // What a device gets wrong is refused and changes nothing.
    let (status, _, body) = patch_as(&s, &device.1, &photo_sha, 0, &photo[..10], "image/png");
    assert_eq!(status, 415, "{body}");
    let (status, _, body) = patch(&s, &device.1, &photo_sha, 5, &photo[..10]);
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("0 bytes of this file are held"),
        "{body}"
    );
    assert_eq!(head(&s, &device.1, &photo_sha).1, Some(0));

    // The first million bytes, then (after asking where it stands) the rest.
    assert_eq!(
        patch(&s, &device.1, &photo_sha, 0, &photo[..1_000_000]).1,
        Some(1_000_000)
    );
    assert_eq!(head(&s, &device.1, &photo_sha).1, Some(1_000_000));
    let pending = review_files(&s, &admin, RESPONSE);
    let photo_then = pending.iter().find(|f| f["name"] == "water-point.png");
    assert_eq!(
        photo_then.map(|f| &f["received"]),
        Some(&json!(false)),
        "{pending:?}"
    );
    assert_eq!(
        download(&s, &admin, RESPONSE, "water-point.png").status(),
        404
    );
    let (status, at, _) = patch(&s, &device.1, &photo_sha, 1_000_000, &photo[1_000_000..]);
    assert_eq!((status, at), (204, Some(photo.len() as u64)));
    // Sent again after it is whole: nothing changes.
    assert_eq!(patch(&s, &device.1, &photo_sha, 0, &photo[..10]).0, 204);
    assert_eq!(patch(&s, &device.1, &page_sha, 0, &page).0, 204);

    let files = review_files(&s, &admin, RESPONSE);
    let by_name = |n: &str| {
        files
            .iter()
            .find(|f| f["name"] == n)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_name("water-point.png")["received"], true);
    assert_eq!(by_name("water-point.png")["content_type"], "image/png");
    assert_eq!(by_name("letter.jpg")["received"], true);
    assert_ne!(
        by_name("letter.jpg")["content_type"],
        "image/jpeg",
        "{files:?}"
    );

    // A reviewer downloads the bytes as sent; a page can never run from here.
    let res = download(&s, &admin, RESPONSE, "water-point.png");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.bytes().expect("bytes").as_ref() == photo.as_slice());
    let res = download(&s, &admin, RESPONSE, "letter.jpg");
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap_or("")
            .starts_with("attachment;")
    );
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap_or("")
            .contains("sandbox")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        !h["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("image/")
    );
    assert_eq!(res.bytes().expect("bytes").as_ref(), page.as_slice());

    // Only those who may see the interview: not a planner, not another settlement's
    // supervisor, not a phone.
    let (_, planner) = s.user(&admin, "plan", "planner");
    assert_eq!(
        download(&s, &planner, RESPONSE, "water-point.png").status(),
        403
    );
    let (sup_id, supervisor) = s.user(&admin, "sup-s02", "supervisor");
    let res = s
        .http
        .put(s.url(&format!("/users/{sup_id}/settlements")))
        .bearer_auth(&admin)
        .json(&json!({"settlements": ["s02"]}))
        .send()
        .expect("assign");
    assert_eq!(res.status(), 204);
    assert_eq!(
        download(&s, &supervisor, RESPONSE, "water-point.png").status(),
        404
    );
    assert_eq!(
        download(&s, &device.1, RESPONSE, "water-point.png").status(),
        401
    );
}

#[test]
fn a_connection_that_drops_mid_file_keeps_what_arrived_and_the_phone_goes_on_from_there() {
    let (s, admin, device, form) = start(&[]);
    let photo = png(800_000, 2);
    let sha = sha256(&photo);
    push(
        &s,
        &device,
        &form,
        RESPONSE,
        &json!({"settlement": "s01", "photo": file("p.png", &photo)}),
        1,
    );

    // The whole file announced, 300,000 bytes sent, and the connection gone.
    let addr = s
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let addr = addr.split('/').next().unwrap_or_default().to_owned();
    let mut tcp = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        tcp,
        "PATCH /api/v1/attachments/{sha} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        device.1,
        photo.len()
    )
    .expect("headers");
    tcp.write_all(&photo[..300_000]).expect("the first bytes");
    tcp.flush().expect("flush");
    tcp.shutdown(std::net::Shutdown::Both).expect("hang up");
    drop(tcp);

    // The server keeps them once it notices (a wait, not a timing).
    let until = std::time::Instant::now() + deadline(std::time::Duration::from_secs(20));
    let held = loop {
        let at = head(&s, &device.1, &sha).1.unwrap_or(0);
        if at == 300_000 || std::time::Instant::now() > until {
            break at;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(held, 300_000, "the bytes that arrived are held");
    finish(&s, &admin, &device.1, &photo, held, "p.png");
}

/// Sends the rest of `photo` from `held`, as the phone does, and checks that the file is
/// whole: its sha256 accepted, and the reviewer's download the same bytes.
fn finish(s: &Server, admin: &str, device: &str, photo: &[u8], held: u64, name: &str) {
    let sha = sha256(photo);
    let (status, at, body) = patch(s, device, &sha, held, &photo[held as usize..]);
    assert_eq!((status, at), (204, Some(photo.len() as u64)), "{body}");
    let mut got = Vec::new();
    download(s, admin, RESPONSE, name)
        .read_to_end(&mut got)
        .expect("bytes");
    assert!(got == photo, "the file is whole and as sent");
}

/// The server SIGKILLed while a file streams in: what it acknowledged (a `PATCH` answered
/// with its `Upload-Offset`) is still held after the restart, whatever part of the rest it
/// had committed, and the phone finishes from where the server says; the file is whole.
#[test]
fn a_server_killed_mid_upload_keeps_every_acknowledged_byte_and_the_upload_finishes_after_the_restart()
 {
    let (s, admin, device, form) = start(&[]);
    let photo = png(3 << 20, 9);
    let sha = sha256(&photo);
    push(
        &s,
        &device,
        &form,
        RESPONSE,
        &json!({"settlement": "s01", "photo": file("big.png", &photo)}),
        1,
    );
    let acknowledged = 1_500_000;
    let (status, at, body) = patch(&s, &device.1, &sha, 0, &photo[..acknowledged]);
    assert_eq!((status, at), (204, Some(acknowledged as u64)), "{body}");

    // The rest announced, 1.2 MB of it on the way, and the server killed.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut tcp = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        tcp,
        "PATCH /api/v1/attachments/{sha} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: {acknowledged}\r\nContent-Length: {}\r\n\r\n",
        device.1,
        photo.len() - acknowledged
    )
    .expect("headers");
    tcp.write_all(&photo[acknowledged..acknowledged + 1_200_000])
        .expect("more bytes");
    tcp.flush().expect("flush");
    let data = s.kill();
    drop(tcp);

    let s = Server::start_in(data, &["--demo-frame"]);
    let (status, held, size) = head(&s, &device.1, &sha);
    assert_eq!(status, 200);
    assert_eq!(size, Some(photo.len() as u64));
    let held = held.expect("an offset");
    assert!(
        held >= acknowledged as u64 && held <= (acknowledged + 1_200_000) as u64,
        "held {held}: every acknowledged byte, and no more than arrived"
    );
    finish(&s, &admin, &device.1, &photo, held, "big.png");
}

#[test]
fn bytes_that_are_not_the_file_named_are_dropped_and_bad_addresses_and_answers_get_clear_errors() {
    let (s, admin, device, form) = start(&[]);
    let photo = png(50_000, 3);
    let sha = sha256(&photo);
    push(
        &s,
        &device,
        &form,
        RESPONSE,
        &json!({"settlement": "s01", "photo": file("p.png", &photo)}),
        1,
    );

    let other = png(50_000, 4);
    let (status, _, body) = patch(&s, &device.1, &sha, 0, &other);
    assert_eq!(status, 460, "{body}");
    assert_eq!(body["code"], "checksum_mismatch");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("send the file again from 0")
    );
    assert_eq!(
        head(&s, &device.1, &sha).1,
        Some(0),
        "every part was dropped"
    );
    assert_eq!(review_files(&s, &admin, RESPONSE)[0]["received"], false);
    // More bytes than the file has.
    let mut longer = photo.clone();
    longer.push(0);
    assert_eq!(patch(&s, &device.1, &sha, 0, &longer).0, 400);
    assert_eq!(head(&s, &device.1, &sha).1, Some(0));
    assert_eq!(
        patch(&s, &device.1, &sha, 0, &photo).1,
        Some(photo.len() as u64)
    );

    // Addresses that are no file's.
    let (status, _, body) = patch(&s, &device.1, "not-a-hash", 0, b"x");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("64 lowercase hexadecimal")
    );
    assert_eq!(head(&s, &device.1, &sha256(b"nobody's")).0, 404);

    // An answer that names a file badly is held for a supervisor, with the reason.
    let bad = json!({"settlement": "s01", "photo": {"name": "../../etc/passwd", "sha256": sha, "size": 1}});
    let result = push(
        &s,
        &device,
        &form,
        "7c2d9e41-5a3b-4f60-9e18-2b4c6d8f0a13",
        &bad,
        2,
    );
    assert_eq!(result["status"], "quarantined", "{result}");
    assert!(
        result["issues"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("without folders"),
        "{result}"
    );
    // Two different files under one name.
    let two = json!({"settlement": "s01", "photo": file("same.png", &photo),
                     "docs": [{"doc": file("same.png", &other)}]});
    let result = push(
        &s,
        &device,
        &form,
        "9e3f1a52-6b4c-4d71-8f29-3c5d7e9f1b24",
        &two,
        3,
    );
    assert_eq!(result["status"], "quarantined", "{result}");
    assert!(
        result["issues"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("two different files"),
        "{result}"
    );
}

#[test]
fn a_file_over_the_servers_limit_is_refused_and_its_interview_is_kept() {
    let (s, admin, device, form) = start(&["--max-file-mib", "1"]);
    let big = png(1_200_000, 5);
    let sha = sha256(&big);
    let result = push(
        &s,
        &device,
        &form,
        RESPONSE,
        &json!({"settlement": "s01", "photo": file("big.png", &big)}),
        1,
    );
    assert_eq!(
        result["status"], "stored",
        "the interview is kept whatever its files"
    );
    let res = s
        .http
        .patch(s.url(&format!("/attachments/{sha}")))
        .bearer_auth(&device.1)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(big[..1000].to_vec())
        .send()
        .expect("patch");
    assert_eq!(res.status(), 413);
    let body: Value = res.json().expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("at most 1048576 bytes"),
        "{body}"
    );
    assert_eq!(head(&s, &device.1, &sha).0, 413);
    assert_eq!(review_files(&s, &admin, RESPONSE)[0]["received"], false);
}

#[test]
fn an_admins_export_carries_the_files_beside_the_answers_and_a_backup_holds_them() {
    let (s, admin, device, form) = start(&[]);
    let photo = png(70_000, 6);
    push(
        &s,
        &device,
        &form,
        RESPONSE,
        &json!({"settlement": "s01", "photo": file("water-point.png", &photo)}),
        1,
    );
    assert_eq!(patch(&s, &device.1, &sha256(&photo), 0, &photo).0, 204);

    let export = |token: &str, query: &str| {
        let res = s
            .http
            .get(s.url(&format!("/exports/with_files.zip{query}")))
            .bearer_auth(token)
            .send()
            .expect("export");
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().expect("zip");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).expect("an entry");
            let mut b = Vec::new();
            f.read_to_end(&mut b).expect("read");
            entries.push((f.name().expect("name").to_string(), b));
        }
        entries
    };
    let with = export(&admin, "?media=true");
    let media = format!("media/{RESPONSE}/water-point.png");
    let found = with
        .iter()
        .find(|(n, _)| *n == media)
        .map(|(_, b)| b.clone());
    assert!(
        found.as_deref() == Some(photo.as_slice()),
        "{media} in {:?}",
        with.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let csv = String::from_utf8(
        with.iter()
            .find(|(n, _)| n == "with_files.csv")
            .expect("csv")
            .1
            .clone(),
    )
    .expect("utf-8");
    assert!(
        csv.lines().nth(1).unwrap_or("").contains("water-point.png"),
        "{csv}"
    );
    let without = export(&admin, "");
    assert!(without.iter().all(|(n, _)| !n.starts_with("media/")));

    // The backup holds the file's bytes, and only then may the phone delete its copy
    // (guarantee 1).
    let backed_up = || {
        let res = s
            .http
            .head(s.url(&format!("/attachments/{}", sha256(&photo))))
            .bearer_auth(&device.1)
            .send()
            .expect("head");
        res.headers()["baraza-backed-up"]
            .to_str()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(backed_up(), "no");
    let res = s
        .http
        .post(s.url("/backups"))
        .bearer_auth(&admin)
        .send()
        .expect("backup");
    assert_eq!(res.status(), 201, "{}", res.text().unwrap_or_default());
    let backups = s.data.0.join("backups");
    let file = std::fs::read_dir(&backups)
        .expect("backups")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "db" || e == "pgdump"))
        .expect("a backup file");
    let whole = crate::support::backup_table(&file, "attachments");
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0]["sha256"], sha256(&photo));
    assert_eq!(whole[0]["size"], photo.len().to_string());
    assert!(!crate::support::backup_table(&file, "attachment_parts").is_empty());
    assert_eq!(backed_up(), "yes");
}

#[test]
fn odk_collect_sends_files_beside_its_instance_in_one_post_or_split_over_several() {
    let (s, admin, _device, form) = start(&[]);
    let (_, base) = crate::openrosa::key_url(&s, &admin, "collect");
    let photo = png(40_000, 7);
    let letter = b"%PDF-1.4 a letter".to_vec();
    let answers = json!({
        "settlement": "s01",
        "photo": {"name": "1733300000000.png"},
        "docs": [{"doc": {"name": "letter.pdf"}}],
    });
    let one = "3b5d7f91-2c4e-4a60-8b17-9d1f3a5c7e02";
    let xml = crate::openrosa::instance_xml(&form, &answers, &format!("uuid:{one}"), "");
    let (status, message) = crate::openrosa::submit(
        &s,
        &base,
        &[
            (
                "xml_submission_file",
                "submission.xml",
                "text/xml",
                xml.as_bytes(),
            ),
            (
                "1733300000000.png",
                "1733300000000.png",
                "image/png",
                &photo,
            ),
            ("letter.pdf", "letter.pdf", "application/pdf", &letter),
        ],
    );
    assert_eq!(status, 201, "{message}");
    let files = review_files(&s, &admin, one);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f["received"] == true), "{files:?}");
    let res = download(&s, &admin, one, "1733300000000.png");
    assert_eq!(res.bytes().expect("bytes").as_ref(), photo.as_slice());

    // Split: the photo with the first post (`*isIncomplete*`), the letter with the last.
    let two = "6d8f0a13-4e5b-4c72-9a39-1e3f5b7d9f04";
    let xml = crate::openrosa::instance_xml(&form, &answers, &format!("uuid:{two}"), "");
    let (status, message) = crate::openrosa::submit(
        &s,
        &base,
        &[
            (
                "xml_submission_file",
                "submission.xml",
                "text/xml",
                xml.as_bytes(),
            ),
            (
                "1733300000000.png",
                "1733300000000.png",
                "image/png",
                &photo,
            ),
            ("*isIncomplete*", "", "", b"yes"),
        ],
    );
    assert_eq!(status, 201, "{message}");
    assert_eq!(
        response_status(&s, &admin, two),
        404,
        "nothing is stored before the last post"
    );
    let (status, message) = crate::openrosa::submit(
        &s,
        &base,
        &[
            (
                "xml_submission_file",
                "submission.xml",
                "text/xml",
                xml.as_bytes(),
            ),
            ("letter.pdf", "letter.pdf", "application/pdf", &letter),
        ],
    );
    assert_eq!(status, 201, "{message}");
    let detail = crate::openrosa::response(&s, &admin, two);
    assert_eq!(detail["revisions"].as_array().map(Vec::len), Some(1));
    let files = review_files(&s, &admin, two);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f["received"] == true), "{files:?}");
    let pdf = files
        .iter()
        .find(|f| f["name"] == "letter.pdf")
        .expect("the letter");
    assert_eq!(pdf["content_type"], "application/pdf");

    // A file named in the instance and never sent stays named, and shows as missing.
    let three = "8f0a1b24-5c6d-4e83-8b40-2f4a6c8e0a15";
    let xml = crate::openrosa::instance_xml(&form, &answers, &format!("uuid:{three}"), "");
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
    let files = review_files(&s, &admin, three);
    assert!(
        files
            .iter()
            .all(|f| f["received"] == false && f.get("sha256").is_none()),
        "{files:?}"
    );
}

/// A video or a long recording is larger than any post's usual limit: Collect sends a file
/// larger than `X-OpenRosa-Accept-Content-Length` allows in a post of its own, so the server
/// takes a post as large as an interview's files, spooled to disk as it comes (never whole in
/// memory), and refuses a file over its limit with a sentence, keeping nothing of it.
#[test]
fn odk_collect_sends_a_file_larger_than_an_ordinary_request_in_one_post_and_one_over_the_limit_is_refused()
 {
    let (s, admin, _device, form) = start(&["--max-file-mib", "20"]);
    let (_, base) = crate::openrosa::key_url(&s, &admin, "collect");
    let answers = json!({"settlement": "s01", "photo": {"name": "1733300000000.png"}});
    let post = |id: &str, photo: &[u8]| {
        let xml = crate::openrosa::instance_xml(&form, &answers, &format!("uuid:{id}"), "");
        let (kind, body) = crate::openrosa::multipart(&[
            (
                "xml_submission_file",
                "submission.xml",
                "text/xml",
                xml.as_bytes(),
            ),
            ("1733300000000.png", "1733300000000.png", "image/png", photo),
        ]);
        // Chunked, as Collect's OkHttp streams a file: no Content-Length to refuse it by.
        let chunked = reqwest::blocking::Body::new(std::io::Cursor::new(body));
        crate::openrosa::read_answer(
            crate::openrosa::collect_headers(s.http.post(format!("{base}/submission")))
                .header("Content-Type", kind)
                .body(chunked)
                .send()
                .expect("submission"),
        )
    };

    let big = png(12 << 20, 11);
    let id = "5e7a9c13-1b2d-4f35-8a46-0c2e4a6c8e17";
    let (status, message) = post(id, &big);
    assert_eq!(status, 201, "{message}");
    let files = review_files(&s, &admin, id);
    assert_eq!(files[0]["received"], true, "{files:?}");
    assert_eq!(files[0]["sha256"], sha256(&big));
    assert_eq!(files[0]["size"], big.len());
    let res = download(&s, &admin, id, "1733300000000.png");
    assert_eq!(res.bytes().expect("bytes").as_ref(), big.as_slice());

    let too_big = png(21 << 20, 12);
    let refused = "7a9c1e35-3d4f-4a57-9c68-2e4a6c8e0a39";
    let (status, message) = post(refused, &too_big);
    assert_eq!(status, 413, "{message}");
    assert!(
        message.contains("larger than 20971520 bytes, the most this server takes a file"),
        "{message}"
    );
    assert_eq!(
        response_status(&s, &admin, refused),
        404,
        "nothing of a refused post is stored"
    );
    let db = crate::support::open_database(&s.data);
    let mut kept = 0;
    baraza_server::storage::AttachmentStore::read_file(&db, &sha256(&too_big), &mut |part| {
        kept += part.len();
        true
    })
    .expect("read");
    assert_eq!(kept, 0, "no byte of the refused file is kept");
}

#[test]
fn odk_collects_audit_log_arrives_as_a_file_of_the_interview() {
    let s = Server::start_in(TempDir::new("audit"), &["--demo-frame"]);
    let admin = s.admin();
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "parameters"],
        &[
            "audit",
            "audit",
            "",
            "track-changes=true location-priority=balanced location-min-interval=60 location-max-age=120",
        ],
        &["text", "settlement", "Settlement", ""],
    ];
    let settings: &[&[&str]] = &[&["form_id", "version"], &["audited", "1"]];
    let res = s
        .http
        .post(s.url("/forms"))
        .bearer_auth(&admin)
        .header("content-type", "application/octet-stream")
        .body(xlsx(&[("survey", survey), ("settings", settings)]))
        .send()
        .expect("publish");
    assert_eq!(res.status(), 201, "{}", res.text().unwrap_or_default());

    // Collect finds its audit where it looks for it, with what to record.
    let (_, base) = crate::openrosa::key_url(&s, &admin, "collect");
    let xform = s
        .http
        .get(format!("{base}/forms/audited/1/form.xml"))
        .header("X-OpenRosa-Version", "1.0")
        .send()
        .expect("the XForm")
        .text()
        .expect("text");
    assert!(
        xform.contains("<meta><audit/><instanceID/></meta>"),
        "{xform}"
    );
    assert!(
        xform.contains(r#"<bind nodeset="/data/meta/audit" type="binary" odk:track-changes="true" odk:location-priority="balanced" odk:location-min-interval="60" odk:location-max-age="120"/>"#),
        "{xform}"
    );

    let log = b"event,node,start,end\nform start,,1733300000000,\n".to_vec();
    let id = "0c2e4a68-8b1d-4f35-9a57-3c5e7a9b1d26";
    let xml = format!(
        r#"<data id="audited" version="1"><settlement>s01</settlement><meta><audit>audit.csv</audit><instanceID>uuid:{id}</instanceID></meta></data>"#
    );
    let (status, message) = crate::openrosa::submit(
        &s,
        &base,
        &[
            (
                "xml_submission_file",
                "submission.xml",
                "text/xml",
                xml.as_bytes(),
            ),
            ("audit.csv", "audit.csv", "text/csv", &log),
        ],
    );
    assert_eq!(status, 201, "{message}");
    let detail = crate::openrosa::response(&s, &admin, id);
    let payload: Value =
        serde_json::from_str(detail["revisions"][0]["payload"].as_str().expect("payload"))
            .expect("JSON");
    assert_eq!(payload["audit"], file("audit.csv", &log), "{detail}");
    assert_eq!(detail["summary"]["settlement"], "s01", "{detail}");
    let res = download(&s, &admin, id, "audit.csv");
    assert_eq!(res.bytes().expect("bytes").as_ref(), log.as_slice());
}

/// A phone's export with its files, as the phone writes it: `unsent.json` and each kept file
/// under `files/<sha256>`, stored uncompressed.
fn export_zip(request: &Value, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("unsent.json", stored).expect("entry");
    out.write_all(request.to_string().as_bytes())
        .expect("write");
    for (name, bytes) in files {
        out.start_file(*name, stored).expect("entry");
        out.write_all(bytes).expect("write");
    }
    out.finish().expect("zip").into_inner()
}

fn import_zip(s: &Server, token: &str, zip: Vec<u8>) -> (u16, Value) {
    let res = s
        .http
        .post(s.url("/sync/import"))
        .bearer_auth(token)
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .expect("import");
    let status = res.status().as_u16();
    (status, res.json().unwrap_or(Value::Null))
}

#[test]
fn a_phones_export_with_its_files_is_imported_whole_and_one_with_a_wrong_file_imports_nothing() {
    let (s, admin, device, form) = start(&[]);
    let (_, supervisor) = s.user(&admin, "sup", "supervisor");
    let photo = png(300_000, 7);
    let voice = png(40_000, 8);
    let answers = json!({
        "settlement": "s01",
        "photo": file("water-point.png", &photo),
        "voice": file("words.m4a", &voice),
    });
    let item = draft::revision(&form, RESPONSE, None, &answers, 1, None);
    let request = json!({"device_id": device.0, "username": "ena", "items": [item]});
    let (photo_name, voice_name) = (
        format!("files/{}", sha256(&photo)),
        format!("files/{}", sha256(&voice)),
    );

    // A file whose bytes are not what its name says: refused, and nothing is imported.
    let swapped = export_zip(
        &request,
        &[(photo_name.as_str(), &voice), (voice_name.as_str(), &voice)],
    );
    let (status, body) = import_zip(&s, &supervisor, swapped);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("is not the file its name says"),
        "{body}"
    );
    assert_eq!(
        response_status(&s, &admin, RESPONSE),
        404,
        "nothing imported"
    );

    // Not a zip, a zip without the answers, a stranger's entry: each a sentence.
    let (status, body) = import_zip(&s, &supervisor, b"PK but not really".to_vec());
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_export")),
        "{body}"
    );
    let only_files = {
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        out.start_file(
            photo_name.as_str(),
            zip::write::SimpleFileOptions::default(),
        )
        .expect("entry");
        out.write_all(&photo).expect("write");
        out.finish().expect("zip").into_inner()
    };
    let (status, body) = import_zip(&s, &supervisor, only_files);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("no unsent.json"),
        "{body}"
    );
    let (status, body) = import_zip(
        &s,
        &supervisor,
        export_zip(&request, &[("notes.txt", b"hello")]),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        response_status(&s, &admin, RESPONSE),
        404,
        "still nothing imported"
    );

    // The whole export: the interview and both files, which download byte for byte.
    let whole = export_zip(
        &request,
        &[(photo_name.as_str(), &photo), (voice_name.as_str(), &voice)],
    );
    let (status, body) = import_zip(&s, &supervisor, whole.clone());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "stored", "{body}");
    for (name, bytes) in [("photo", &photo), ("voice", &voice)] {
        let kept = answers[name]["name"].as_str().expect("name");
        let res = download(&s, &admin, RESPONSE, kept);
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(&res.bytes().expect("bytes")[..], &bytes[..], "{name}");
    }
    // Imported again, or sent by the phone afterwards: held once, nothing left to send.
    let (status, body) = import_zip(&s, &admin, whole);
    assert_eq!(
        (status, body["results"][0]["status"].as_str()),
        (200, Some("duplicate"))
    );
    assert_eq!(
        head(&s, &device.1, &sha256(&photo)),
        (200, Some(photo.len() as u64), Some(photo.len() as u64))
    );
    let files = review_files(&s, &admin, RESPONSE);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f["received"] == true), "{files:?}");
}

/// Sends `body` as a phone's export in `parts` pieces `gap` apart — and, when `stop` is
/// given, waits that long after the first half instead of sending the rest — over a raw
/// connection; the status and body of the answer.
fn trickle(
    s: &Server,
    token: &str,
    body: &[u8],
    parts: usize,
    gap: std::time::Duration,
    stop: Option<std::time::Duration>,
) -> (u16, Value) {
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    conn.set_read_timeout(Some(deadline(std::time::Duration::from_secs(60))))
        .expect("read timeout");
    write!(
        conn,
        "POST /api/v1/sync/import HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("write the head");
    for (i, part) in body.chunks(body.len().div_ceil(parts)).enumerate() {
        if let Some(wait) = stop.filter(|_| i == parts / 2) {
            std::thread::sleep(wait);
            break;
        }
        conn.write_all(part).expect("write a part");
        std::thread::sleep(gap);
    }
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// A phone's export with its photos can take longer to arrive over a slow line than any
/// request timeout allows: it is taken for as long as it keeps arriving, and cut off (408,
/// nothing imported) when it stops for as long as the timeout.
#[test]
fn an_export_that_keeps_arriving_past_the_request_timeout_is_imported_and_one_that_stops_is_cut_off()
 {
    let (s, admin, device, form) = start(&["--request-timeout", "2"]);
    let photo = png(200_000, 9);
    let answers = json!({"settlement": "s01", "photo": file("pump.png", &photo)});
    let item = draft::revision(&form, RESPONSE, None, &answers, 1, None);
    let request = json!({"device_id": device.0, "username": "ena", "items": [item]});
    let name = format!("files/{}", sha256(&photo));
    let zip = export_zip(&request, &[(name.as_str(), &photo)]);
    let half_second = std::time::Duration::from_millis(500);

    // Half of it, then nothing for twice the timeout: cut off, and nothing imported.
    let (status, body) = trickle(
        &s,
        &admin,
        &zip,
        8,
        half_second,
        Some(std::time::Duration::from_secs(4)),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (408, Some("request_timeout")),
        "{body}"
    );
    assert_eq!(
        response_status(&s, &admin, RESPONSE),
        404,
        "nothing imported"
    );

    // The whole of it in eight parts half a second apart: twice the timeout, imported.
    let (status, body) = trickle(&s, &admin, &zip, 8, half_second, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "stored", "{body}");
    let kept = download(
        &s,
        &admin,
        RESPONSE,
        answers["photo"]["name"].as_str().expect("name"),
    );
    assert_eq!(&kept.bytes().expect("bytes")[..], &photo[..]);
}
