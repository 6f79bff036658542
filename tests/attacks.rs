//! Abuse of the HTTP surface (issue 7, attack cases): path traversal, SQL injection through
//! string parameters, hostile JSON and compressed bodies, and household data a planner must
//! never reach. Each case must get a clear 4xx (never a 5xx), change nothing, and leave the
//! server serving.

use serde_json::{Value, json};

use crate::reports_api::{push_households, push_item};
use crate::support::Server;

const INJECTIONS: [&str; 6] = [
    // PostgreSQL refuses a NUL in text where SQLite takes it: still a plain "no such thing".
    "s01\u{0}' OR '1'='1",
    "' OR '1'='1",
    "s01' OR 1=1 --",
    "\"; DROP TABLE responses; --",
    "s01'; DELETE FROM users; --",
    "%' UNION SELECT payload FROM revisions --",
];

/// Status and body text of a GET with `token`.
fn get(s: &Server, path: &str, token: &str) -> (u16, String) {
    let res = s
        .http
        .get(format!("{}{path}", s.base))
        .bearer_auth(token)
        .send()
        .expect("get");
    (res.status().as_u16(), res.text().unwrap_or_default())
}

/// How many responses the admin sees: what an attack must not change.
fn held(s: &Server, admin: &str) -> usize {
    let (status, body) = get(s, "/api/v1/responses", admin);
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).expect("JSON");
    v["responses"].as_array().map_or(0, Vec::len)
}

#[test]
fn paths_that_climb_out_of_the_web_client_folder_get_nothing() {
    let s = Server::start();
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/pkg/..%2f..%2f..%2fCargo.toml",
        "/..%5c..%5cCargo.toml",
        "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/dashboard/../../../../etc/passwd",
        "//etc/passwd",
    ] {
        let (status, body) = get(&s, path, "");
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(
            !body.contains("[workspace]") && !body.contains("root:"),
            "{path} leaked a file: {body}"
        );
    }
}

#[test]
fn sql_injection_through_string_parameters_finds_nothing_and_changes_nothing() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "amina");
    push_households(&s, &device_id, &token, 30);
    let (supervisor_id, supervisor) = s.user(&admin, "sup", "supervisor");
    let res = s
        .http
        .put(s.url(&format!("/users/{supervisor_id}/settlements")))
        .bearer_auth(&admin)
        .json(&json!({"settlements": ["s02"]}))
        .send()
        .expect("assign");
    assert!(res.status().is_success());
    let (_, planner) = s.user(&admin, "plan", "planner");
    assert_eq!(held(&s, &admin), 30);

    for evil in INJECTIONS {
        let q: String = url_escape(evil);
        // Login: a wrong username, not a way in.
        let res = s
            .http
            .post(s.url("/auth/login"))
            .json(&json!({"username": evil, "password": evil}))
            .send()
            .expect("login");
        assert!(
            res.status().is_client_error(),
            "login as {evil}: {}",
            res.status()
        );
        // Filters: a supervisor scoped to s02 (which holds nothing) still sees nothing.
        for path in [
            format!("/api/v1/responses?settlement={q}"),
            format!("/api/v1/responses?form_id={q}"),
            format!("/api/v1/responses?review_state={q}"),
            format!("/api/v1/responses/{q}"),
            format!("/api/v1/exports/{q}.zip"),
            format!("/api/v1/exports/baraza_f1_household.zip?settlement={q}"),
        ] {
            let (status, body) = get(&s, &path, &supervisor);
            assert!(status < 500, "{path}: {status} {body}");
            assert!(
                !body.contains("S01-"),
                "{path}: a supervisor of s02 saw s01's households: {body}"
            );
        }
        for path in [
            format!("/api/v1/reports/R1?settlement={q}"),
            format!("/api/v1/reports/R1?settlement_type={q}"),
            format!("/api/v1/reports/R1?by={q}"),
            format!("/api/v1/reports/R1?from={q}&to={q}"),
            format!("/api/v1/reports/R1?form_version={q}"),
            format!("/api/v1/reports/{q}"),
        ] {
            let (status, body) = get(&s, &path, &planner);
            assert!(status < 500, "{path}: {status} {body}");
            assert!(!body.contains("S01-"), "{path}: {body}");
        }
    }
    // Nothing was deleted or dropped, and the accounts still work.
    assert_eq!(held(&s, &admin), 30);
    s.login("plan", "plan-password");
    s.admin();
}

#[test]
fn hostile_push_bodies_get_a_clear_error_and_store_nothing() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "amina");
    let post = |body: Vec<u8>, encoding: Option<&str>| {
        let mut req = s
            .http
            .post(s.url("/sync/push"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body);
        if let Some(e) = encoding {
            req = req.header("content-encoding", e);
        }
        let res = req.send().expect("push");
        let status = res.status().as_u16();
        (status, res.json::<Value>().unwrap_or(Value::Null))
    };
    // Nested 100,000 levels deep: refused by the parser's depth limit, not a stack overflow.
    let deep = format!(
        "{{\"device_id\":\"{device_id}\",\"items\":[{}{}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (status, body) = post(deep.into_bytes(), None);
    assert_eq!(status, 400, "{body}");
    assert!(body["code"].is_string() && body["message"].is_string());

    // A gzip bomb: 8 MiB of zeros in 8 KiB. The server does not inflate request bodies, so it
    // is a body that is not JSON.
    let bomb = {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 8 * 1024 * 1024]).expect("compress");
        z.finish().expect("gzip")
    };
    assert!(bomb.len() < 64 * 1024);
    let (status, body) = post(bomb, Some("gzip"));
    assert!((400..500).contains(&status), "{status} {body}");

    // A payload string holding deeply nested JSON: quarantined with a reason, nothing lost.
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let item = json!({
        "device_seq": 1,
        "response_id": "nested-1",
        "rev": baraza_schema::wire::rev(None, "baraza_f1_household", "2026120301", nested.as_bytes()),
        "parent_rev": null,
        "form_id": "baraza_f1_household",
        "form_version": "2026120301",
        "content_hash": baraza_schema::wire::content_hash(nested.as_bytes()),
        "payload": nested,
    });
    let body =
        serde_json::to_vec(&json!({"device_id": device_id, "items": [item]})).expect("serialize");
    let (status, body) = post(body, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "quarantined", "{body}");
    assert_eq!(held(&s, &admin), 0);

    // The server still serves, and a good batch goes through.
    let good = push_item(2, "good-1", None, &crate::reports_api::household(1));
    let body =
        serde_json::to_vec(&json!({"device_id": device_id, "items": [good]})).expect("serialize");
    let (status, body) = post(body, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "stored", "{body}");
}

#[test]
fn a_planner_reaches_no_household_level_data_by_any_route() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "amina");
    push_households(&s, &device_id, &token, 30);
    let (_, planner) = s.user(&admin, "plan", "planner");
    let listed: Value =
        serde_json::from_str(&get(&s, "/api/v1/responses", &admin).1).expect("JSON");
    let id = listed["responses"][0]["response_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    for path in [
        "/api/v1/responses".to_owned(),
        format!("/api/v1/responses/{id}"),
        "/api/v1/exports/baraza_f1_household.zip".to_owned(),
        "/api/v1/quarantine".to_owned(),
        "/api/v1/sync/pull?cursor=0".to_owned(),
    ] {
        let (status, body) = get(&s, &path, &planner);
        assert!(
            status == 403 || status == 401,
            "{path}: a planner got {status}: {body}"
        );
        assert!(
            !body.contains(&id) && !body.contains("S01-"),
            "{path}: {body}"
        );
    }
    // Reports and their CSVs carry cells, never ids, names or coordinates.
    let reports: Value =
        serde_json::from_str(&get(&s, "/api/v1/reports", &planner).1).expect("JSON");
    for r in reports["reports"].as_array().expect("reports") {
        let rid = r["id"].as_str().expect("id");
        let by: Vec<&str> = r["by"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let (first, last) = (by.first().unwrap_or(&"all"), by.last().unwrap_or(&"all"));
        for path in [
            format!("/api/v1/reports/{rid}?by={first}"),
            format!("/api/v1/reports/{rid}.csv?by={last}"),
        ] {
            let (status, body) = get(&s, &path, &planner);
            assert_eq!(status, 200, "{path}");
            for secret in [id.as_str(), "S01-", "resp_name", "\"lat\"", "gps"] {
                assert!(!body.contains(secret), "{path} carries {secret}");
            }
        }
    }
}

/// Percent-encodes everything but letters and digits.
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn a_client_that_trickles_its_body_is_cut_off_and_the_server_keeps_serving() {
    use std::io::{Read, Write};
    let s = Server::start_in(
        crate::support::TempDir::new("slow"),
        &["--demo-frame", "--request-timeout", "2"],
    );
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut slow = std::net::TcpStream::connect(&addr).expect("connect");
    slow.set_read_timeout(Some(crate::support::deadline(
        std::time::Duration::from_secs(20),
    )))
    .expect("read timeout");
    // Headers promise 1,000 bytes; one arrives, then nothing.
    slow.write_all(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .expect("write");
    let mut answer = [0u8; 64];
    let n = slow
        .read(&mut answer)
        .expect("the server answers before our 20 s");
    let status = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    // Everyone else is still served.
    let health = s.health();
    assert_eq!(health.status(), 200);
}

#[test]
fn a_client_that_trickles_its_request_head_is_cut_off_and_the_server_keeps_serving() {
    use std::io::{Read, Write};
    let s = Server::start_in(
        crate::support::TempDir::new("slow-head"),
        &["--demo-frame", "--request-timeout", "2"],
    );
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut slow = std::net::TcpStream::connect(&addr).expect("connect");
    slow.set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .expect("read timeout");
    slow.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .expect("write");
    // One more header line every half second, for up to 20 s: the head never ends.
    let mut cut_off = false;
    for _ in 0..40 {
        let mut buf = [0u8; 64];
        match slow.read(&mut buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if slow.write_all(b"X-Slow: 1\r\n").is_err() {
                    cut_off = true;
                    break;
                }
            }
            // Closed, reset, or answered without waiting for the rest.
            Ok(n) => {
                let answer = String::from_utf8_lossy(&buf[..n]).to_string();
                assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
                cut_off = true;
                break;
            }
            Err(_) => {
                cut_off = true;
                break;
            }
        }
    }
    assert!(cut_off, "a head trickled for 20 s is still being read");
    let health = s.health();
    assert_eq!(health.status(), 200);
}

/// Resident memory of a process, in KiB (Linux).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// A client whose connections come from `address` (any of 127.0.0.0/8 reaches the server).
fn client_from(address: [u8; 4]) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .local_address(std::net::IpAddr::from(address))
        .timeout(crate::support::deadline(std::time::Duration::from_secs(60)))
        .build()
        .expect("client")
}

fn sign_in(s: &Server, http: &reqwest::blocking::Client, username: &str, password: &str) -> u16 {
    http.post(s.url("/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .expect("login")
        .status()
        .as_u16()
}

#[test]
fn a_login_flood_stays_bounded_and_cannot_lock_the_admin_out() {
    let s = Server::start();
    let db_bytes = || crate::support::database_bytes(&s.data);
    let (rss_before, bytes_before) = (rss_kib(s.pid()), db_bytes());
    // 10,000 failed sign-ins with 100 KB usernames, from 16 threads at once.
    let body = json!({"username": "x".repeat(100_000), "password": "not-the-password"}).to_string();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    (0..625)
                        .map(|_| {
                            s.http
                                .post(s.url("/auth/login"))
                                .header("content-type", "application/json")
                                .body(body.clone())
                                .send()
                                .expect("login")
                                .status()
                                .as_u16()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    assert_eq!(statuses.len(), 10_000);
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "refused, never a 5xx"
    );
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        throttled > 9_000,
        "the address is slowed down after a few failures: {throttled} answered 429"
    );
    let rss_after = rss_kib(s.pid());
    assert!(
        rss_after < rss_before + 64 * 1024,
        "memory stays bounded: {rss_before} KiB before, {rss_after} KiB after"
    );
    let count = |sql: &str| crate::support::sql_count(&s.data, sql);
    assert_eq!(
        count("SELECT CAST(count(*) AS TEXT) FROM login_failures"),
        0,
        "names no account could have are refused before anything is written"
    );
    assert_eq!(
        count("SELECT CAST(count(*) AS TEXT) FROM audit WHERE action = 'auth.login_failed'"),
        0
    );
    assert!(
        db_bytes() < bytes_before + (1 << 20),
        "the database did not grow with the flood"
    );

    // An attacker at another address fails five times as `admin`: the name is locked there,
    // even for the right password...
    let attacker = client_from([127, 0, 0, 3]);
    for _ in 0..5 {
        assert_eq!(sign_in(&s, &attacker, "admin", "guessing-wrong"), 401);
    }
    assert_eq!(
        sign_in(&s, &attacker, "admin", crate::support::ADMIN_PASSWORD),
        429
    );
    // ...and only there: the real admin signs in from their own address.
    let office = client_from([127, 0, 0, 2]);
    assert_eq!(
        sign_in(&s, &office, "admin", crate::support::ADMIN_PASSWORD),
        200,
        "an attacker cannot lock the admin out"
    );
}

/// A real workbook rewritten: each entry through `change`, and `extra` entries added.
fn rewritten_workbook(
    change: impl Fn(&str, Vec<u8>) -> Vec<u8>,
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    use std::io::{Read, Write};
    let original = std::fs::read(
        crate::support::shared().join("xlsforms/hotosm_building_natural_risks_survey.xlsx"),
    )
    .expect("a real workbook");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(original)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("an entry name").to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read entry");
        out.start_file(name.as_str(), options).expect("start");
        out.write_all(&change(&name, bytes)).expect("write");
    }
    for (name, bytes) in extra {
        out.start_file(*name, options).expect("start");
        out.write_all(bytes).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

fn check_workbook(s: &Server, admin: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = s
        .http
        .post(s.url("/forms/check"))
        .bearer_auth(admin)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .expect("check");
    (res.status().as_u16(), res.json().unwrap_or(Value::Null))
}

#[test]
fn a_zip_bomb_and_a_sheet_a_million_columns_wide_are_refused_with_a_sentence() {
    let s = Server::start();
    let admin = s.admin();
    // The workbook as it is is read and imported (the control): its diagnostics are about
    // the form (the choice file it was not given, pyxform's warnings), located by sheet and
    // row.
    let (status, body) = check_workbook(&s, &admin, rewritten_workbook(|_, b| b, &[]));
    assert_eq!(status, 200, "{body}");
    assert!(
        body["diagnostics"]
            .as_array()
            .is_some_and(|d| d.len() > 5 && d.iter().all(|d| d["row"].as_u64() > Some(0))),
        "{body}"
    );
    // 200 MB of zeros squeezed into about 200 KB: refused before it is unpacked whole.
    let zeros = vec![0u8; 200 << 20];
    let bomb = rewritten_workbook(|_, b| b, &[("xl/media/padding.bin", &zeros)]);
    assert!(
        bomb.len() < baraza_server::http::MAX_BODY_BYTES,
        "{}",
        bomb.len()
    );
    // Refused (422) with a sentence that says why.
    let refused_saying = |(status, body): (u16, Value), words: &str| {
        assert_eq!(status, 422, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(words)),
            "`{words}` in {body}"
        );
    };
    refused_saying(check_workbook(&s, &admin, bomb), "unpacks to more than");
    // One more cell in the survey sheet, at the last column of the last row: reading the
    // sheet as one range would allocate seventeen billion cells.
    let far = rewritten_workbook(
        |name, bytes| {
            if name != "xl/worksheets/sheet1.xml" {
                return bytes;
            }
            String::from_utf8(bytes)
                .expect("xml")
                .replace(
                    "</sheetData>",
                    r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData>"#,
                )
                .into_bytes()
        },
        &[],
    );
    refused_saying(
        check_workbook(&s, &admin, far),
        "beyond what a form can use",
    );
    // The server is still serving.
    let health = s.health();
    assert_eq!(health.status(), 200);
}
